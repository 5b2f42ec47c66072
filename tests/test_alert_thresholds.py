"""Alert thresholds per organisation (issue 15, item 3; docs/organisations.md, docs/supervision.md):
each organisation's administrator sets when its supervisors' alerts fire, on /staff/organisation or
with `baken org set`; an empty threshold keeps the installation's BAKEN_ALERT_*. The alerts job
reads each organisation's own values (an injected time: nothing waits) — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect

from baken.audit import kinds
from baken.config import Settings
from baken.domain.conversation import Role
from baken.domain.organisation import ALERT_LIMITS, Organisation, OrganisationError, check_alert
from baken.realtime.alerts import Thresholds, thresholds_of
from baken.store.clock import utcnow
from baken.store.database import Database, engine_for_migrations
from baken.store.migrate import alembic_config
from baken.store.organisation_repo import OrganisationRepository
from baken.store.return_code_repo import CodeState, Direction
from baken.store.tables import mailbox_messages, return_codes
from tests.authz_world import in_db
from tests.conftest import server_on
from tests.support import Server, add_staff_with_role, counselor, run_async
from tests.test_alerts import _alerts, kinds_of, one, start_in
from tests.test_organisation_admin import get, new_organisation, nl, organisation, post, records
from tests.test_timeouts import on_server
from tests.test_wellbeing import partner_organisation, staff

# --- the rules ------------------------------------------------------------------------------------


def test_the_bounds_are_those_of_the_installation_settings() -> None:
    for name, (low, high, _what) in ALERT_LIMITS.items():
        bounds = {type(m).__name__: m for m in Settings.model_fields[name].metadata}
        assert (low, high) == (bounds["Ge"].ge, bounds["Le"].le), name


def test_a_threshold_is_a_whole_number_within_its_bounds() -> None:
    assert check_alert("alert_wait_minutes", None) is None
    assert check_alert("alert_wait_minutes", 1) == 1
    assert check_alert("alert_queue_near_percent", 0) == 0  # never
    for name, value in [
        ("alert_wait_minutes", 0),
        ("alert_silent_minutes", 1441),
        ("alert_left_message_hours", 721),
        ("alert_queue_near_percent", 101),
        ("alert_queue_near_percent", -1),
        ("alert_wait_minutes", True),
    ]:
        with pytest.raises(OrganisationError) as refused:
            check_alert(name, value)
        assert refused.value.field == name
    with pytest.raises(OrganisationError, match="from 1 to 1,440"):
        check_alert("alert_wait_minutes", 0)


def test_each_empty_threshold_is_the_installations() -> None:
    settings = Settings(
        alert_wait_minutes=10,
        alert_silent_minutes=5,
        alert_left_message_hours=24,
        alert_queue_near_percent=80,
        queue_max=200,
    )
    assert thresholds_of(None, settings) == Thresholds(10, 5, 24, 80, 200)
    own = Organisation(
        id="o",
        slug="o",
        name="O",
        queue_max=20,
        alert_wait_minutes=3,
        alert_left_message_hours=1,
        alert_queue_near_percent=0,
    )
    assert thresholds_of(own, settings) == Thresholds(3, 5, 1, 0, 20)


# --- the alerts job uses each organisation's own ------------------------------------------------


def _set(server: Server, organisation_id: str, **changes: Any) -> None:
    async def work(db: Database) -> None:
        assert await OrganisationRepository(db).update(organisation_id, **changes) is not None

    in_db(server, work)


def _left_message(server: Server, organisation_id: str, sent_at_ms: int) -> None:
    """An active return code of this organisation with one unanswered message to staff."""

    async def work(db: Database) -> None:
        code_id = "r_" + secrets.token_hex(8)
        async with db.writer.begin() as conn:
            await conn.execute(
                insert(return_codes).values(
                    id=code_id,
                    organisation_id=organisation_id,
                    code_hash=secrets.token_hex(32),
                    state=CodeState.ACTIVE,
                    created_at=utcnow(),
                    key_id="k",
                )
            )
            await conn.execute(
                insert(mailbox_messages).values(
                    return_code_id=code_id,
                    seq=1,
                    direction=Direction.TO_STAFF,
                    body=b"x",  # never read: the alerts count, they do not decrypt
                    sent_at_ms=sent_at_ms,
                )
            )

    in_db(server, work)


def test_two_organisations_with_their_own_thresholds(server: Server) -> None:
    strict, lenient = partner_organisation(server), partner_organisation(server)
    _set(
        server,
        strict,
        alert_wait_minutes=5,
        alert_left_message_hours=1,
        alert_queue_near_percent=50,
        queue_max=4,
    )
    # 0: never warn that the queue is nearly full, though it is full (the default would: 80 %).
    _set(server, lenient, alert_wait_minutes=30, alert_queue_near_percent=0, queue_max=2)
    _s, strict_sup_token = staff(server, Role.SUPERVISOR, strict)
    _l, lenient_sup_token = staff(server, Role.SUPERVISOR, lenient)
    now = utcnow()
    sent_ms = int((now - timedelta(hours=2)).timestamp() * 1000)
    for organisation_id in (strict, lenient):
        start_in(server, organisation_id)
        start_in(server, organisation_id)
        _left_message(server, organisation_id, sent_ms)

    async def run() -> None:
        strict_sup = await counselor(server, strict_sup_token)
        lenient_sup = await counselor(server, lenient_sup_token)
        try:
            six = now + timedelta(minutes=6)
            computed = await on_server(server, _alerts(server).run(six))
            mine, theirs = computed[strict], computed[lenient]
            assert kinds_of(mine) == {"long_wait", "queue_near_cap", "left_message_unanswered"}
            assert (one(mine, "long_wait") or {})["minutes"] == 5
            assert one(mine, "queue_near_cap") == {"kind": "queue_near_cap", "count": 2, "cap": 4}
            left = one(mine, "left_message_unanswered")
            assert left == {"kind": "left_message_unanswered", "count": 1, "hours": 1}
            # The same waiting, the same queue and the same left message: under its own
            # thresholds (and the installation's 24 hours), nothing for the other organisation.
            assert theirs == [], theirs
            # Each supervisor is sent their own organisation's list, and only that.
            strict_frame = await strict_sup.expect("alerts", timeout=10)
            lenient_frame = await lenient_sup.expect("alerts", timeout=10)
            assert strict_frame["alerts"] == mine and lenient_frame["alerts"] == theirs

            # Half an hour later the lenient organisation's own wait threshold is reached too.
            later = await on_server(
                server, _alerts(server).compute(lenient, now + timedelta(minutes=31))
            )
            assert (one(later, "long_wait") or {})["minutes"] == 30
            # Back to the installation's defaults: BAKEN_ALERT_WAIT_MINUTES (10) and 80 %.
            _set(server, lenient, alert_wait_minutes=None, alert_queue_near_percent=None)
            back = await on_server(server, _alerts(server).compute(lenient, six))
            assert kinds_of(back) == {"queue_near_cap"}, back
            eleven = await on_server(
                server, _alerts(server).compute(lenient, now + timedelta(minutes=11))
            )
            wait = one(eleven, "long_wait")
            assert wait is not None and wait["minutes"] == server.settings.alert_wait_minutes
        finally:
            await strict_sup.close()
            await lenient_sup.close()

    run_async(run())


# --- the organisation page ------------------------------------------------------------------------

ALERT_FORM = {
    "alert_wait_minutes": "15",
    "alert_silent_minutes": "",
    "alert_left_message_hours": "2",
    "alert_queue_near_percent": "0",
}


def _own_form(mine: Organisation) -> dict[str, str]:
    return {
        "name": mine.name,
        "exit_url": mine.exit_url or "",
        "emergency_number": mine.emergency_number or "",
        "queue_max": "" if mine.queue_max is None else str(mine.queue_max),
    }


def _field(html: str, name: str) -> str:
    found = re.search(rf'<input id="{name}"[^>]*>', html)
    assert found is not None, name
    return found.group(0)


def test_an_administrator_sets_the_alert_thresholds_audited(server: Server) -> None:
    mine = new_organisation(server)
    _admin_id, token = add_staff_with_role(server, Role.ADMIN, organisation_id=mine.id)
    page = get(server, "/staff/organisation?lang=nl", token)
    assert page.status_code == 200
    assert nl("Alerts for supervisors") in page.text
    assert (
        nl(
            "Empty: {number}, the installation's default.",
            number=server.settings.alert_wait_minutes,
        )
        in page.text
    )
    for name in ALERT_LIMITS:
        assert 'value=""' in _field(page.text, name)

    saved = post(server, "/staff/organisation?lang=nl", token, {**_own_form(mine), **ALERT_FORM})
    assert saved.status_code == 303, saved.text
    back = organisation(server, mine.id)
    assert (
        back.alert_wait_minutes,
        back.alert_silent_minutes,
        back.alert_left_message_hours,
        back.alert_queue_near_percent,
    ) == (15, None, 2, 0)
    assert back.name == mine.name and back.queue_max == mine.queue_max
    audited = records(server, kinds.ORGANISATION_CHANGE, mine.id)
    assert [r.detail for r in audited] == [
        "changed=alert_left_message_hours,alert_queue_near_percent,alert_wait_minutes"
    ]
    # The page shows them again; emptied, the installation's defaults apply once more.
    page = get(server, "/staff/organisation?lang=nl", token)
    assert 'value="15"' in _field(page.text, "alert_wait_minutes")
    assert 'value="0"' in _field(page.text, "alert_queue_near_percent")
    cleared = post(server, "/staff/organisation?lang=nl", token, _own_form(mine))
    assert cleared.status_code == 303
    again = organisation(server, mine.id)
    assert again.alert_wait_minutes is None and again.alert_queue_near_percent is None


def test_bad_thresholds_are_refused_and_nothing_is_saved(server: Server) -> None:
    mine = new_organisation(server)
    _admin_id, token = add_staff_with_role(server, Role.ADMIN, organisation_id=mine.id)
    bad = {
        "alert_wait_minutes": "0",
        "alert_silent_minutes": "1441",
        "alert_left_message_hours": "een dag",
        "alert_queue_near_percent": "101",
    }
    # A good name change beside them is not saved either.
    response = post(
        server, "/staff/organisation?lang=nl", token, {**_own_form(mine), "name": "Nieuw", **bad}
    )
    assert response.status_code == 400
    html = response.text
    assert nl("Not saved: check the marked fields.") in html
    expected = {
        "alert_wait_minutes": nl("Enter a whole number from {min} to {max}.", min=1, max="1.440"),
        "alert_silent_minutes": nl("Enter a whole number from {min} to {max}.", min=1, max="1.440"),
        "alert_left_message_hours": nl("Enter a whole number from {min} to {max}.", min=1, max=720),
        "alert_queue_near_percent": nl("Enter a whole number from {min} to {max}.", min=0, max=100),
    }
    for name, text in expected.items():
        assert f'<p id="{name}-error" class="field__error">{text}</p>' in html, name
        tag = _field(html, name)
        assert 'aria-invalid="true"' in tag and f"{name}-error" in tag, name
    assert 'value="een dag"' in html  # what was typed stays in the form
    # Not a whole number in plain digits: refused, never guessed at.
    for typed in ("-5", "5.5", "1e3", "+5", "٣"):
        one_bad = post(
            server,
            "/staff/organisation?lang=nl",
            token,
            {**_own_form(mine), "alert_wait_minutes": typed},
        )
        assert one_bad.status_code == 400 and 'id="alert_wait_minutes-error"' in one_bad.text
    assert organisation(server, mine.id) == mine
    assert records(server, kinds.ORGANISATION_CHANGE, mine.id) == []


# --- the command line -----------------------------------------------------------------------------


def test_baken_org_set_sets_and_shows_the_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from baken.cli import app

    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.output.split())

    code, out = run("org", "add", "jeugd", "--name", "Jeugdlijn")
    assert code == 0, out
    defaults = (
        "alert_wait_minutes=default alert_silent_minutes=default "
        "alert_left_message_hours=default alert_queue_near_percent=default"
    )
    assert defaults in out
    code, out = run(
        "org", "set", "jeugd", "--alert-wait-minutes", "15", "--alert-silent-minutes", "3",
        "--alert-left-message-hours", "48", "--alert-queue-near-percent", "0",
    )  # fmt: skip
    assert code == 0, out
    assert (
        "alert_wait_minutes=15 alert_silent_minutes=3 "
        "alert_left_message_hours=48 alert_queue_near_percent=0" in out
    )
    code, out = run("org", "list")
    assert code == 0 and "alert_queue_near_percent=0" in out

    # Out of bounds: refused with the bounds, and nothing changes.
    assert run("org", "set", "jeugd", "--alert-wait-minutes", "0") == (
        2,
        "Minutes a visitor waits before an alert: a whole number from 1 to 1,440.",
    )
    assert run("org", "set", "jeugd", "--alert-queue-near-percent", "101")[0] == 2
    assert "alert_wait_minutes=15 " in run("org", "list")[1]

    # The installation's settings again, for all but the one given.
    code, out = run("org", "set", "jeugd", "--default-alerts", "--alert-silent-minutes", "7")
    assert code == 0, out
    assert (
        "alert_wait_minutes=default alert_silent_minutes=7 "
        "alert_left_message_hours=default alert_queue_near_percent=default"
    ) in out


# --- the migration --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migration_goes_down_and_up_again(kind: str, tmp_path: Path) -> None:
    """0024 adds the four nullable thresholds to organisations; taken back to 0023 they are gone
    and every organisation is still there; up again they are back, empty (the defaults)."""
    from alembic import command
    from sqlalchemy import text

    with server_on(kind, tmp_path) as srv:
        config = alembic_config(srv.settings)

        def look() -> tuple[set[str], list[tuple[Any, ...]]]:
            async def read() -> tuple[set[str], list[tuple[Any, ...]]]:
                engine = engine_for_migrations(srv.settings)
                try:
                    async with engine.connect() as conn:
                        columns = await conn.run_sync(
                            lambda c: {
                                col["name"] for col in inspect(c).get_columns("organisations")
                            }
                        )
                        rows = (await conn.execute(text("SELECT id FROM organisations"))).all()
                        return set(columns), sorted(tuple(r) for r in rows)
                finally:
                    await engine.dispose()

            found: tuple[set[str], list[tuple[Any, ...]]] = run_async(read())
            return found

        columns, before = look()
        assert set(ALERT_LIMITS) <= columns
        srv.stop()
        command.downgrade(config, "0023")
        columns, rows = look()
        assert not set(ALERT_LIMITS) & columns and rows == before
        command.upgrade(config, "0024")
        columns, rows = look()
        assert set(ALERT_LIMITS) <= columns and rows == before

        async def read_back() -> list[Organisation]:
            db = Database(srv.settings)
            try:
                return await OrganisationRepository(db).all()
            finally:
                await db.dispose()

        assert all(o.alert_wait_minutes is None for o in run_async(read_back()))


def test_the_alerts_need_no_server_cache_forget(server: Server) -> None:
    """A change made elsewhere (the command line, another process) reaches the alerts at their
    next round: the job reads the organisation itself, not this process's 5-second snapshot."""
    org = partner_organisation(server)
    start_in(server, org)  # the entry's snapshot now holds the organisation without thresholds
    _set(server, org, alert_wait_minutes=1)

    async def run() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await on_server(
            server, _alerts(server).compute(org, utcnow() + timedelta(minutes=2))
        )
        return found

    alerts = run_async(run())
    assert (one(alerts, "long_wait") or {})["minutes"] == 1
