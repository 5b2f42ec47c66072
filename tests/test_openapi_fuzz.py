"""Schemathesis against the OpenAPI schema (issue 5): no HTTP route answers with a server error.

The schema is built in-process (production serves none) and completed by web/openapi_schema.py with
path parameters and the JSON bodies' keys. Every case goes to a real server, with an admin's session
cookie and the same-origin header, so the signed-in branches run too. The run is derandomized and
capped per operation, so CI sees the same cases every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from baken.config import Settings
from baken.domain.conversation import Role
from baken.web.app import create_app
from baken.web.openapi_schema import openapi_schema
from tests.support import Server, add_staff_with_role, start_server

schema = schemathesis.openapi.from_dict(
    openapi_schema(create_app(Settings(), migrate=False))
).exclude(
    # Signing out would end the session every later case is sent with (tested in
    # test_staff_sessions.py).
    path="/staff/logout",
    method="POST",
)

EXAMPLES_PER_OPERATION = 25
calls: Counter[str] = Counter()
statuses: dict[str, set[int]] = {}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    server = start_server(tmp_path_factory.mktemp("fuzz"), queue_max=100_000)
    _id, token = add_staff_with_role(server, Role.ADMIN)
    headers = {"Cookie": f"__Host-baken_s={token}", "Origin": server.origin}
    yield server, headers
    # The server stays healthy through the whole run.
    assert httpx.get(f"{server.base}/healthz").status_code == 200
    server.stop()
    # Every operation in the schema was exercised (a route with no case would prove nothing).
    operations = {
        result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)
    }
    assert len(operations) == len(list(schema.get_all_operations()))  # the schema loaded whole
    assert set(calls) == operations, operations ^ set(calls)
    # The session and origin were honoured: signed-in routes answered, not only refused.
    for label in ("GET /api/canned", "GET /staff/audit", "GET /api/registrations/pending"):
        assert 200 in statuses[label], (label, statuses[label])
    print(f"\nschemathesis: {len(calls)} operations, {sum(calls.values())} cases")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_with_a_server_error(
    case: schemathesis.Case[Any], live: tuple[Server, dict[str, str]]
) -> None:
    server, headers = live
    response = case.call(base_url=server.base, headers=headers, allow_redirects=False, timeout=30)
    calls[case.operation.label] += 1
    statuses.setdefault(case.operation.label, set()).add(response.status_code)
    case.validate_response(response, checks=[not_a_server_error])
