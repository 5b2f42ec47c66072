"""Several helplines on one installation (issue 14): each organisation's own entry, queue, cap,
numbers and quick exit, and nothing of one reaching the other's visitors or staff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from baken.domain.conversation import Role
from baken.domain.languages import parse_languages, speaks
from baken.domain.organisation import (
    OrganisationError,
    Phone,
    check_exit_url,
    check_host,
    check_number,
    check_slug,
)
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.conftest import _postgres_or_skip, server_on
from tests.support import (
    Server,
    add_staff_with_role,
    counselor,
    postgres_database,
    run_async,
    start_server,
    visitor,
)

# --- the rules for an organisation's settings ---------------------------------------------------


@pytest.mark.parametrize("slug", ["fier", "jeugd-hulp", "a", "x1", "a" * 40])
def test_good_slugs_pass(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize(
    "slug", ["", "-a", "a-", "A", "a_b", "a/b", "a" * 41, "staff", "api", "static", "ws", "o"]
)
def test_bad_or_reserved_slugs_are_refused(slug: str) -> None:
    with pytest.raises(OrganisationError) as caught:
        check_slug(slug)
    assert caught.value.field == "slug"


def test_host_exit_address_and_numbers_are_checked() -> None:
    assert check_host(" Chat.Example.ORG. ") == "chat.example.org"
    assert check_host("") is None
    for bad in ("https://chat.example.org", "chat.example.org:8443", "localhost", "a..b", "-a.b"):
        with pytest.raises(OrganisationError):
            check_host(bad)
    assert check_exit_url("https://www.nu.nl/") == "https://www.nu.nl/"
    for bad in ("http://www.nu.nl/", "javascript:alert(1)", "//nu.nl", "https://"):
        with pytest.raises(OrganisationError):
            check_exit_url(bad)
    assert check_number(" 0800  2000 ") == "0800 2000"
    assert check_number("+31 20 123 4567") == "+31 20 123 4567"
    for bad in ("112; drop", "call me", "1", "<b>112</b>"):
        with pytest.raises(OrganisationError):
            check_number(bad)


def test_counselor_languages_are_checked_and_default_to_the_staff_languages() -> None:
    assert parse_languages(" NL, pl,nl ,") == ("nl", "pl")
    with pytest.raises(ValueError, match="xx"):
        parse_languages("nl,xx")
    assert speaks(("pl",), "pl") and not speaks(("pl",), "nl")
    assert speaks((), "nl") and speaks((), "en") and not speaks((), "ar")


# --- the repository on both databases -------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def two_helplines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server with the default organisation and a second one, `jeugd` (cap 2, own numbers)."""
    with server_on(request.param, tmp_path, max_chats=10) as srv:
        _add_second(srv)
        yield srv


SECOND = "org_jeugd"
T = TypeVar("T")


def _add_second(srv: Server) -> None:
    async def add() -> None:
        db = Database(srv.settings)
        try:
            repo = OrganisationRepository(db)
            await repo.add(
                "jeugd",
                "Jeugdlijn",
                exit_url="https://www.nu.nl/",
                emergency_number="0800 0432",
                queue_max=2,
                organisation_id=SECOND,
            )
        finally:
            await db.dispose()

    run_async(add())


def _repo_call(srv: Server, work: Callable[[OrganisationRepository], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(srv.settings)
        try:
            return await work(OrganisationRepository(db))
        finally:
            await db.dispose()

    result: T = run_async(run())
    return result


def test_slugs_and_hosts_are_unique_and_settings_change(two_helplines: Server) -> None:
    srv = two_helplines

    async def duplicate(repo: OrganisationRepository) -> None:
        await repo.add("jeugd", "Nog een jeugdlijn")

    with pytest.raises(OrganisationError, match="already in use"):
        _repo_call(srv, duplicate)

    async def change(repo: OrganisationRepository):  # type: ignore[no-untyped-def]
        changed = await repo.update(
            SECOND,
            name="Jeugdlijn Noord",
            host="chat.jeugd.example",
            phones=[Phone("0900 1234", {"nl": "Zorglijn", "en": "Care line"})],
        )
        assert changed is not None
        other = await repo.add("tweede", "Tweede")
        with pytest.raises(OrganisationError, match="already in use"):
            await repo.update(other.id, host="chat.jeugd.example")
        with pytest.raises(OrganisationError):
            await repo.update(SECOND, slug="anders")  # the slug is on posters: it never changes
        return changed, await repo.update("org_nobody", name="x")

    changed, missing = _repo_call(srv, change)
    assert changed.name == "Jeugdlijn Noord" and changed.host == "chat.jeugd.example"
    assert changed.phones[0].label("en") == "Care line"
    assert missing is None


def test_an_organisation_with_data_cannot_be_deleted_only_disabled(two_helplines: Server) -> None:
    srv = two_helplines
    add_staff_with_role(srv, Role.COUNSELOR, organisation_id=SECOND)

    async def try_delete(repo: OrganisationRepository):  # type: ignore[no-untyped-def]
        with pytest.raises(OrganisationError, match="staff: 1"):
            await repo.delete(SECOND)
        empty = await repo.add("leeg", "Leeg")
        assert await repo.delete(empty.id) is True
        assert await repo.by_slug("leeg") is None
        assert await repo.set_active(SECOND, False) is True
        return await repo.by_id(SECOND)

    kept = _repo_call(srv, try_delete)
    assert kept is not None and kept.active is False


# --- over the wire --------------------------------------------------------------------------------


def _start(srv: Server, base: str = "", **body: object) -> httpx.Response:
    return httpx.post(
        f"{srv.base}{base}/api/visitor/start",
        json={"lang": "nl", **body},
        headers={"Origin": srv.origin},
        timeout=30,
    )


def _token(response: httpx.Response) -> str:
    header = response.headers["set-cookie"]
    return header.split("=", 1)[1].split(";", 1)[0]


def test_the_entry_page_of_an_organisation_keeps_the_visitor_there(two_helplines: Server) -> None:
    page = httpx.get(f"{two_helplines.base}/o/jeugd/?lang=nl", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert 'action="/o/jeugd/start"' in html
    assert 'data-base="/o/jeugd"' in html
    assert 'href="/o/jeugd/exit"' in html
    assert "0800 0432" in html  # its own emergency number
    # The default organisation's page is as it was.
    default = httpx.get(f"{two_helplines.base}/?lang=nl", timeout=30).text
    assert 'action="/start"' in default and "/o/jeugd" not in default


def test_unknown_disabled_and_non_visitor_paths_get_the_same_neutral_404(
    two_helplines: Server,
) -> None:
    srv = two_helplines
    reference = httpx.get(f"{srv.base}/no-such-page", timeout=30)
    assert reference.status_code == 404
    for path in ("/o/nobody/", "/o/", "/o", "/o/jeugd/staff", "/o/jeugd/static/baken.css"):
        response = httpx.get(srv.base + path, timeout=30)
        assert response.status_code == 404, path
        assert response.text == reference.text, path
        assert "nobody" not in response.text and "jeugd" not in response.text.lower()

    async def disable(repo: OrganisationRepository) -> None:
        await repo.set_active(SECOND, False)

    _repo_call(srv, disable)

    async def wait_until_gone() -> None:
        # The entry cache re-reads within five seconds; wait for that state, do not sleep blindly.
        for _ in range(200):
            async with httpx.AsyncClient() as client:
                response = await client.get(f"{srv.base}/o/jeugd/", timeout=30)
            if response.status_code == 404:
                assert response.text == reference.text
                return
            await asyncio.sleep(0.05)
        raise AssertionError("a disabled organisation's entry still answers")

    run_async(wait_until_gone())
    assert _start(srv, "/o/jeugd").status_code == 404


async def test_queues_places_and_caps_are_per_organisation(two_helplines: Server) -> None:
    srv = two_helplines
    default_ids = [_start(srv).json()["conversation"]["id"] for _ in range(3)]
    first = _start(srv, "/o/jeugd")
    assert first.status_code == 200
    jeugd = first.json()["conversation"]
    # Three visitors wait at the default organisation; at jeugd this visitor is first in line.
    assert jeugd["position"] == 1
    second = _start(srv, "/o/jeugd").json()["conversation"]
    assert second["position"] == 2
    full = _start(srv, "/o/jeugd")  # jeugd's own cap is 2
    assert full.status_code == 503 and full.json()["error"] == "queue_full"
    assert _start(srv).status_code == 200  # the default organisation's cap is not reached
    # Someone in danger is never turned away by a cap, here neither.
    assert _start(srv, "/o/jeugd", danger=True).status_code == 200

    _sid, a_token = add_staff_with_role(srv, Role.COUNSELOR)
    _bid, b_token = add_staff_with_role(srv, Role.COUNSELOR, organisation_id=SECOND)
    a = await counselor(srv, a_token)
    b = await counselor(srv, b_token)
    a_queue = await a.expect("queue")
    b_queue = await b.expect("queue")
    a_ids = {e["conversation_id"] for e in a_queue["entries"]}
    b_ids = {e["conversation_id"] for e in b_queue["entries"]}
    assert set(default_ids) <= a_ids and not a_ids & b_ids
    assert {jeugd["id"], second["id"]} <= b_ids and a_queue["total"] == 4
    assert b_queue["total"] == 3

    # A counselor of the default organisation cannot take jeugd's visitor: the same refusal
    # as for a chat that is no longer waiting.
    await a.send({"type": "accept", "conversation_id": jeugd["id"]})
    refused = await a.expect("error", ref="accept")
    await a.send({"type": "accept", "conversation_id": "c_doesnotexist"})
    missing = await a.expect("error", ref="accept")
    assert refused["code"] == missing["code"] and refused["message"] == missing["message"]
    await b.send({"type": "take_next"})
    taken = await b.expect("accepted")
    assert taken["conversation_id"] not in a_ids
    await a.close()
    await b.close()


def test_each_organisation_has_its_own_priority_rules(two_helplines: Server) -> None:
    srv = two_helplines

    async def equal_for_all(repo: OrganisationRepository) -> None:
        await repo.update(SECOND, priority_under_16=0, priority_16_17=0)
        app: Any = srv._server.config.app
        app.state.baken.organisations.forget()  # the server sees the change at once

    _repo_call(srv, equal_for_all)
    # The default organisation moves an under-16 visitor forward; jeugd does not.
    _start(srv, "/o/jeugd", age_band="18_plus")
    young_at_jeugd = _start(srv, "/o/jeugd", age_band="under_16").json()["conversation"]
    assert young_at_jeugd["position"] == 2
    _start(srv, age_band="18_plus")
    young_at_default = _start(srv, age_band="under_16").json()["conversation"]
    assert young_at_default["position"] == 1


async def test_a_waiting_visitor_hears_only_their_own_line_move(two_helplines: Server) -> None:
    srv = two_helplines
    for _ in range(2):  # two wait at the default organisation, ahead in time
        assert _start(srv).status_code == 200
    jeugd = _start(srv, "/o/jeugd")
    v = await visitor(srv, _token(jeugd))
    assert v.frames[0]["conversations"][0]["position"] == 1
    # A default counselor takes one of theirs: in one shared line this visitor would move up.
    _sid, a_token = add_staff_with_role(srv, Role.COUNSELOR)
    a = await counselor(srv, a_token)
    await a.send({"type": "take_next"})
    await a.expect("accepted")
    # The jeugd visitor's place never moved: no place frame with another position came.
    _bid, b_token = add_staff_with_role(srv, Role.COUNSELOR, organisation_id=SECOND)
    b = await counselor(srv, b_token)
    await b.send({"type": "take_next"})
    await b.expect("accepted")
    await v.seen(
        lambda f: f.get("type") == "conversation" and f["conversation"]["state"] == "active"
    )
    places = [
        f.get("position") for f in v.frames if f.get("type") == "place"
    ]  # place frames, if any, only ever said 1
    assert all(p == 1 for p in places)
    for client in (v, a, b):
        await client.close()


def test_a_return_code_works_only_at_its_own_organisation(two_helplines: Server) -> None:
    srv = two_helplines
    cid, token = srv.start_visitor()

    async def issue() -> str:
        v = await visitor(srv, token)
        await v.send({"type": "request_code", "conversation_id": cid})
        frame = await v.expect("return_code")
        await v.send({"type": "end", "conversation_id": cid})
        await v.close()
        return str(frame["code"])

    code = run_async(issue())
    headers = {"Origin": srv.origin}
    body = {"code": code, "lang": "nl"}
    elsewhere = httpx.post(f"{srv.base}/o/jeugd/api/visitor/return", json=body, headers=headers)
    wrong = httpx.post(
        f"{srv.base}/o/jeugd/api/visitor/return",
        json={"code": "appel peer kers druif mango citroen", "lang": "nl"},
        headers=headers,
    )
    assert elsewhere.status_code == wrong.status_code == 400
    assert elsewhere.json() == wrong.json()
    mailbox = httpx.post(f"{srv.base}/o/jeugd/api/visitor/mailbox", json=body, headers=headers)
    assert mailbox.status_code == 400 and mailbox.json()["error"] == "code_not_accepted"
    home = httpx.post(f"{srv.base}/api/visitor/return", json=body, headers=headers)
    assert home.status_code == 200, home.text


def test_quick_exit_and_availability_follow_the_entry(two_helplines: Server) -> None:
    srv = two_helplines
    out = httpx.get(f"{srv.base}/o/jeugd/exit", follow_redirects=False, timeout=30)
    assert out.status_code == 303 and out.headers["location"] == "https://www.nu.nl/"
    default_out = httpx.get(f"{srv.base}/exit", follow_redirects=False, timeout=30)
    assert default_out.headers["location"] == srv.settings.exit_url
    by_entry = httpx.get(f"{srv.base}/o/jeugd/api/availability", timeout=30).json()
    by_slug = httpx.get(f"{srv.base}/api/availability?org=jeugd", timeout=30).json()
    assert by_entry["organisation"] == by_slug["organisation"] == SECOND
    default = httpx.get(f"{srv.base}/api/availability", timeout=30).json()
    assert default["organisation"] == DEFAULT_ORGANISATION


# --- the command line -----------------------------------------------------------------------------


def test_baken_org_and_user_add_manage_a_second_helpline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from baken.cli import app

    monkeypatch.setenv("BAKEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAKEN_DATABASE_URL", raising=False)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=stdin)
        return result.exit_code, " ".join(result.output.split())

    code, out = run(
        "org", "add", "jeugd", "--name", "Jeugdlijn", "--queue-max", "20",
        "--emergency-number", "0800 0432", "--exit-url", "https://www.nu.nl/",
    )  # fmt: skip
    assert code == 0, out
    assert "entry=/o/jeugd/" in out and "queue_max=20" in out
    assert run("org", "add", "jeugd", "--name", "Dubbel") == (
        2,
        "The slug 'jeugd' is already in use.",
    )
    assert run("org", "add", "staff", "--name", "Botst")[0] == 2  # reserved: reads like Baken's
    assert run("org", "add", "x", "--name", "X", "--exit-url", "http://plain.example/")[0] == 2

    password = "een-lange-zin-die-niemand-raadt-42\n"
    code, out = run(
        "user", "add", "piet", "--name", "Piet", "--org", "jeugd", "--languages", "nl,pl",
        "--password-stdin", stdin=password,
    )  # fmt: skip
    assert code == 0, out
    code, out = run(
        "user", "add", "kees", "--name", "Kees", "--org", "nergens", "--password-stdin",
        stdin=password,
    )  # fmt: skip
    assert code == 2 and "no organisation 'nergens'" in out
    code, out = run(
        "user", "add", "kees", "--name", "Kees", "--languages", "nl,xx", "--password-stdin",
        stdin=password,
    )  # fmt: skip
    assert code == 2 and "'xx' is not a configured language" in out

    code, out = run("org", "set", "jeugd", "--name", "Jeugdlijn Noord", "--default-queue-max")
    assert code == 0 and "name='Jeugdlijn Noord'" in out and "queue_max=default" in out
    code, out = run("org", "set", "jeugd", "--priority-under-16", "0", "--priority-16-17", "0")
    assert code == 0 and "priority=0/0" in out, out
    assert run("org", "set", "jeugd", "--priority-under-16", "100")[0] == 2  # danger stays first
    code, out = run("org", "set", "jeugd", "--retention-days", "30")
    assert code == 0 and "retention_days=30" in out, out
    assert run("org", "set", "jeugd", "--retention-days", "0")[0] == 2
    assert run("org", "set", "jeugd")[0] == 2  # nothing to change
    assert run("org", "set", "nergens", "--name", "X") == (2, "There is no organisation 'nergens'.")

    poster = tmp_path / "poster.pdf"
    code, out = run(
        "poster", "--campaign", "school", "--org", "jeugd", "--out", str(poster),
        "--base-url", "https://chat.example.org",
    )  # fmt: skip
    assert code == 0 and "https://chat.example.org/o/jeugd/c/school" in out, out
    assert poster.read_bytes().startswith(b"%PDF")
    code, out = run("org", "delete", "jeugd")  # it has a staff member now
    assert code == 2 and "staff: 1" in out and "disable it instead" in out
    assert run("org", "disable", "default")[0] == 2
    assert run("org", "disable", "jeugd")[0] == 0
    code, out = run("org", "list")
    assert code == 0
    assert "default name='Baken'" in out and "entry=/ " in out
    assert "jeugd name='Jeugdlijn Noord'" in out and "DISABLED" in out
    assert run("org", "add", "leeg", "--name", "Leeg")[0] == 0
    assert run("org", "delete", "leeg") == (0, "leeg is deleted.")

    async def members() -> dict[str, tuple[str, tuple[str, ...]]]:
        from baken.config import Settings
        from baken.store.staff_repo import StaffRepository

        db = Database(Settings(data_dir=tmp_path))
        try:
            found = await StaffRepository(db).by_username("piet")
            assert found is not None
            member = found[0]
            return {member.username: (member.organisation_id, member.languages)}
        finally:
            await db.dispose()

    piet = run_async(members())["piet"]
    assert piet[1] == ("nl", "pl") and piet[0] != DEFAULT_ORGANISATION


# --- upgrading an installation that has data ------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_upgrading_an_installation_with_data_keeps_every_row(tmp_path: Path, dialect: str) -> None:
    """Data made by a running server and the demo generator at head, the schema taken back to
    0010 (before organisations were data) and upgraded again: every row of every table stays,
    and the existing organisation gets the slug `default`."""
    from sqlalchemy import inspect, text

    from baken.config import Settings
    from baken.demo.seed import seed
    from baken.store.database import engine_for_migrations
    from baken.store.migrate import alembic_config

    if dialect == "postgres":
        _postgres_or_skip()
        database = postgres_database()
        url = database.__enter__()
    else:
        database, url = None, ""
    try:
        srv = start_server(tmp_path, database_url=url)
        try:
            cid, token = srv.start_visitor("Mila")
            add_staff_with_role(srv, Role.COUNSELOR, languages=("nl", "pl"))

            async def chat() -> None:
                v = await visitor(srv, token)
                await v.send(
                    {"type": "send", "conversation_id": cid, "client_msg_id": "m1", "text": "hoi"}
                )
                await v.expect("ack")
                await v.close()

            run_async(chat())
        finally:
            srv.stop()
        settings = Settings(data_dir=tmp_path, database_url=url)
        run_async(seed(settings, [2021], 40, 3))

        def counts() -> dict[str, int]:
            async def read() -> dict[str, int]:
                engine = engine_for_migrations(settings)
                try:
                    async with engine.connect() as conn:
                        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
                        return {
                            name: (
                                await conn.execute(text(f'SELECT COUNT(*) FROM "{name}"'))
                            ).scalar_one()
                            for name in names
                            if name != "alembic_version"
                        }
                finally:
                    await engine.dispose()

            found: dict[str, int] = run_async(read())
            return found

        def rows(query: str) -> list[tuple[object, ...]]:
            async def read() -> list[tuple[object, ...]]:
                engine = engine_for_migrations(settings)
                try:
                    async with engine.connect() as conn:
                        return [tuple(r) for r in (await conn.execute(text(query))).all()]
                finally:
                    await engine.dispose()

            found: list[tuple[object, ...]] = run_async(read())
            return found

        before = counts()
        assert before["conversations"] > 40 and before["messages"] >= 1 and before["staff"] >= 1
        from alembic import command

        command.downgrade(alembic_config(settings), "0010")
        at_0010 = counts()
        assert {k: v for k, v in before.items() if k in at_0010} == at_0010
        command.upgrade(alembic_config(settings), "head")
        assert counts() == before
        slugs = rows("SELECT id, slug, active FROM organisations")
        assert [(i, slug, bool(active)) for i, slug, active in slugs] == [
            (DEFAULT_ORGANISATION, "default", True)
        ]
        # Taken back to 0010 and up again: no languages known, nothing invented.
        assert {r[0] for r in rows("SELECT languages FROM staff")} == {""}
    finally:
        if database is not None:
            database.__exit__(None, None, None)


# --- language-aware take-next ---------------------------------------------------------------------


async def test_take_next_prefers_a_visitor_whose_language_the_counselor_speaks(
    two_helplines: Server,
) -> None:
    srv = two_helplines
    polish = _start(srv, lang="pl").json()["conversation"]  # first in line
    dutch = _start(srv, lang="nl").json()["conversation"]
    assert polish["lang"] == "pl" and dutch["lang"] == "nl"
    _did, dutch_token = add_staff_with_role(srv, Role.COUNSELOR, languages=("nl", "en"))
    _pid, polish_token = add_staff_with_role(srv, Role.COUNSELOR, languages=("pl", "nl"))
    nl_speaker = await counselor(srv, dutch_token)
    queue = await nl_speaker.expect("queue")
    assert {e["conversation_id"]: e["lang"] for e in queue["entries"]} == {
        polish["id"]: "pl",
        dutch["id"]: "nl",
    }
    # The Polish visitor waits longer, but the counselor who speaks only Dutch and English gets
    # the Dutch visitor; the Polish visitor is left for a counselor who speaks Polish.
    await nl_speaker.send({"type": "take_next"})
    assert (await nl_speaker.expect("accepted"))["conversation_id"] == dutch["id"]
    pl_speaker = await counselor(srv, polish_token)
    await pl_speaker.send({"type": "take_next"})
    assert (await pl_speaker.expect("accepted"))["conversation_id"] == polish["id"]
    # With nobody else waiting, a visitor in a language nobody online speaks is still taken.
    arabic = _start(srv, lang="ar").json()["conversation"]
    await nl_speaker.send({"type": "take_next"})
    assert (await nl_speaker.expect("accepted"))["conversation_id"] == arabic["id"]
    await nl_speaker.close()
    await pl_speaker.close()


def test_the_language_hold_is_part_of_the_wait_estimate() -> None:
    from datetime import timedelta

    from baken.domain.languages import LANGUAGE_HOLD, language_floor

    hold = int(LANGUAGE_HOLD.total_seconds())
    assert language_floor(timedelta(0), spoken=True, position=5) == 0
    assert language_floor(timedelta(0), spoken=False, position=1) == 0  # nobody else: taken now
    assert language_floor(timedelta(seconds=30), spoken=False, position=2) == hold - 30
    assert language_floor(LANGUAGE_HOLD * 2, spoken=False, position=2) == 0


async def test_a_visitor_nobody_online_speaks_to_is_told_the_longer_wait(
    two_helplines: Server,
) -> None:
    srv = two_helplines
    _sid, token = add_staff_with_role(srv, Role.COUNSELOR, languages=("nl",))
    anna = await counselor(srv, token)
    for _ in range(3):  # three accepts make a service rate, so there is an estimate at all
        _start(srv)
        await anna.send({"type": "take_next"})
        await anna.expect("accepted")
    dutch = _start(srv, lang="nl").json()["conversation"]
    polish = _start(srv, lang="pl").json()["conversation"]
    assert dutch["estimated_wait_seconds"] is not None
    # Nobody online speaks Polish: the visitor waits for the language hold, and is told so.
    assert polish["position"] == 2
    assert polish["estimated_wait_seconds"] >= 150 > dutch["estimated_wait_seconds"]
    await anna.close()
