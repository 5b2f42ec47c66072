"""The OpenAPI description of the HTTP routes, completed where FastAPI cannot see the shape.

Most handlers take the raw Request (their guards check the origin; they read size and JSON
themselves), so FastAPI declares neither their path parameters nor their JSON bodies. This adds
both: every `{name}` in a path becomes a required string parameter, and each JSON route gets an
object body listing the keys it accepts (any other key is refused with 400); the visitor's
no-JavaScript forms get their URL-encoded fields (strings). JSON values stay unconstrained on
purpose: the handlers check types themselves, and the schema is used to throw wrong ones at them
(tests/test_openapi_fuzz.py).
The schema is built in-process only; production serves no /openapi.json (web/app.py).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from fastapi import FastAPI

_PATH_PARAMETER = re.compile(r"{([^}/]+)}")

# (method, path) -> the keys the route's JSON body may carry; kept next to the handlers' own sets.
JSON_BODIES: dict[tuple[str, str], frozenset[str]] = {
    ("post", "/api/visitor/start"): frozenset({"nickname", "lang", "danger", "age_band", "pow"}),
    ("post", "/api/visitor/return"): frozenset({"code", "lang", "pow"}),
    ("post", "/api/visitor/code/destroy"): frozenset({"code"}),
    ("post", "/api/visitor/message"): frozenset({"text", "lang"}),
    ("post", "/api/visitor/mailbox"): frozenset({"code", "text", "lang"}),
    ("post", "/api/visitor/feedback/ticket"): frozenset(),
    ("post", "/api/visitor/feedback/status"): frozenset({"ticket"}),
    ("post", "/api/visitor/feedback"): frozenset({"ticket", "helped", "come_back"}),
    ("post", "/api/canned"): frozenset({"scope", "lang", "title", "body"}),
    ("put", "/api/canned/{canned_id}"): frozenset({"lang", "title", "body"}),
    ("put", "/api/conversations/{conversation_id}/registration"): frozenset(
        {"version", "values", "complete"}
    ),
    ("post", "/api/conversations/{conversation_id}/case-link"): frozenset(
        {"earlier_conversation_id"}
    ),
    ("post", "/api/left-messages/{code_id}/reply"): frozenset({"text"}),
    ("put", "/api/service-hours"): frozenset({"version", "config"}),
    # Passkeys (issue 16): `credential` is the browser's WebAuthn answer as JSON.
    ("post", "/staff/passkeys/options"): frozenset(),
    ("post", "/staff/passkeys"): frozenset({"name", "credential"}),
    ("post", "/staff/login/passkey/options"): frozenset(),
    ("post", "/staff/login/passkey"): frozenset({"credential"}),
}

# (method, path) -> the fields of a visitor form that works without JavaScript (issue 12). Form
# fields are always text, so these are strings; the handlers check what the text says.
FORM_BODIES: dict[tuple[str, str], frozenset[str]] = {
    ("post", "/closed/message"): frozenset({"text", "lang"}),
    ("post", "/closed/answers"): frozenset({"code", "lang"}),
    ("post", "/return"): frozenset({"code", "lang"}),
    ("post", "/return/destroy"): frozenset({"code", "lang"}),
    # Issue 13: the chat without JavaScript.
    ("post", "/chat/send"): frozenset({"text", "client_msg_id", "lang"}),
    ("post", "/chat/end"): frozenset({"lang"}),
    ("post", "/chat/partner/refuse"): frozenset({"lang"}),
    ("post", "/staff/security/organisation"): frozenset({"require"}),
    # Issue 17, item 1: the partner directory's upkeep (docs/directory.md).
    ("post", "/staff/directory/save"): frozenset(
        {
            "id",
            "name",
            "organization_name",
            "service_type",
            "description",
            "age_min",
            "age_max",
            "languages",
            "regions",
            "phones",
            "email",
            "url",
            "opening_hours_text",
            "accepts_warm_handoff",
            "baken_organisation_id",
            "genders",
            "exploitation_types",
        }
    ),
    ("post", "/staff/directory/remove"): frozenset({"id"}),
}

# (method, path) -> optional query parameters of routes that read them from the raw Request.
QUERY_PARAMETERS: dict[tuple[str, str], frozenset[str]] = {
    ("get", "/api/availability"): frozenset({"org"}),  # issue 18
    # Issue 17, item 1: the partner directory's search and its edit form.
    ("get", "/api/staff/directory"): frozenset({"need", "age", "language", "region", "q"}),
    ("get", "/staff/directory"): frozenset({"need", "age", "language", "region", "q", "done"}),
    ("get", "/staff/directory/edit"): frozenset({"id"}),
}


def _body(keys: frozenset[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {key: {} for key in sorted(keys)},
                    "additionalProperties": False,
                }
            }
        },
    }


def _form_body(keys: frozenset[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {key: {"type": "string"} for key in sorted(keys)},
                    "additionalProperties": False,
                }
            }
        },
    }


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    schema = copy.deepcopy(app.openapi())
    for path, operations in schema.get("paths", {}).items():
        names = _PATH_PARAMETER.findall(path)
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            operation.setdefault("parameters", []).extend(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in names
                if name not in declared
            )
            operation["parameters"].extend(
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in sorted(QUERY_PARAMETERS.get((method, path), frozenset()))
            )
            keys = JSON_BODIES.get((method, path))
            if keys is not None and "requestBody" not in operation:
                operation["requestBody"] = _body(keys)
            fields = FORM_BODIES.get((method, path))
            if fields is not None and "requestBody" not in operation:
                operation["requestBody"] = _form_body(fields)
    return schema
