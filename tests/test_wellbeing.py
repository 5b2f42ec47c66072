"""Counselor wellbeing (issue 15, item 6; docs/wellbeing.md): the day's figures, heavy marks (one
tap, or a registration with acute danger or sexual exploitation), "I would like to talk about this"
reaching only the organisation's own supervisors, pauses in the overview, the break reminder on an
injected clock, and the "My day" page with its opt-in sharing — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from baken.domain.conversation import Role
from baken.realtime.wellbeing import Wellbeing
from baken.registration import codebook
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.web.services import services_of
from baken.wellbeing.day import (
    Stint,
    break_due,
    day_start,
    figures,
    in_chats_since,
    registration_is_heavy,
)
from tests.authz_world import in_db
from tests.registration_helpers import World as RegistrationWorld
from tests.support import Client, Server, add_staff_with_role, counselor, run_async

# --- the rules, without a server ------------------------------------------------------------------

NOON = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam
GAP = timedelta(minutes=10)


def stint(conversation: str, start: datetime, end: datetime | None, heavy: bool = False) -> Stint:
    return Stint("s1", conversation, start, end, heavy)


def test_today_starts_at_midnight_in_amsterdam() -> None:
    assert day_start(NOON) == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert day_start(datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == datetime(
        2026, 12, 5, 23, 0, tzinfo=UTC
    )


def test_figures_count_only_today_and_sum_per_chat() -> None:
    h = timedelta(hours=1)
    stints = [
        stint("yesterday", NOON - 20 * h, NOON - 19 * h, heavy=True),  # before midnight: not today
        stint("night", NOON - 13 * h, NOON - 11 * h),  # 22:00–00:00 local: one hour counts
        stint("morning", NOON - 3 * h, NOON - 2 * h, heavy=True),
        stint("at-once", NOON - 3 * h, NOON - 2 * h),  # two chats at once: two hours of listening
        stint("open", NOON - timedelta(minutes=30), None),
    ]
    day = figures(stints, NOON)
    assert day.chats == 4
    assert day.heavy == 1
    assert day.seconds == int((h + h + h + timedelta(minutes=30)).total_seconds())


def test_a_registration_is_heavy_with_acute_danger_or_sexual_exploitation() -> None:
    acute = codebook.code("risk_level", "acute")
    high = codebook.code("risk_level", "high")
    assert registration_is_heavy(acute, None)
    assert registration_is_heavy(None, codebook.mask("exploitation_types", "labour", "sexual"))
    assert not registration_is_heavy(high, codebook.mask("exploitation_types", "labour"))
    assert not registration_is_heavy(None, None)


def test_the_stretch_in_chats_and_the_reminder() -> None:
    m = timedelta(minutes=1)
    two_hours = timedelta(minutes=120)
    # Chats back to back with gaps shorter than a pause: one stretch since 09:00 local.
    stints = [
        stint("a", NOON - 180 * m, NOON - 100 * m),
        stint("b", NOON - 95 * m, NOON - 30 * m),
        stint("c", NOON - 25 * m, None),
    ]
    since = in_chats_since(stints, NOON, None, GAP)
    assert since == NOON - 180 * m
    assert break_due(since, NOON, two_hours)
    assert not break_due(since, NOON, timedelta(0)), "0 turns the reminder off"
    # A gap as long as a pause is a break.
    spaced = [stint("a", NOON - 180 * m, NOON - 100 * m), stint("c", NOON - 90 * m, None)]
    assert in_chats_since(spaced, NOON, None, GAP) == NOON - 90 * m
    assert not break_due(NOON - 90 * m, NOON, two_hours)
    # A pause taken in the console counts as a break.
    assert in_chats_since(stints, NOON, NOON - 20 * m, GAP) == NOON - 20 * m
    # No chat now and the last one ended a pause's length ago: not in chats at all.
    done = [stint("a", NOON - 180 * m, NOON - 15 * m)]
    assert in_chats_since(done, NOON, None, GAP) is None
    assert not break_due(None, NOON, two_hours)


# --- on a real server ----------------------------------------------------------------------------


def _wellbeing(server: Server) -> Wellbeing:
    app: Any = server._server.config.app
    found: Wellbeing = app.state.baken.chat.wellbeing
    return found


@pytest.fixture
def clock(server: Server) -> Iterator[list[datetime]]:
    """The server's wellbeing clock, set by the test (a one-item list); put back afterwards."""
    wellbeing = _wellbeing(server)
    now = [datetime.now(UTC)]
    original = wellbeing.clock
    wellbeing.clock = lambda: now[0]
    try:
        yield now
    finally:
        wellbeing.clock = original


def staff(
    server: Server, role: Role = Role.COUNSELOR, organisation_id: str = DEFAULT_ORGANISATION
) -> tuple[str, str]:
    return add_staff_with_role(
        server,
        role,
        f"{role.value[:3]}-" + secrets.token_hex(4),
        "Kim " + secrets.token_hex(2),
        organisation_id=organisation_id,
    )


SLUGS: dict[str, str] = {}  # organisation id -> its slug (its visitors start at /o/<slug>/)


def partner_organisation(server: Server) -> str:
    async def add(db: Database) -> str:
        made = await OrganisationRepository(db).add("wb-" + secrets.token_hex(4), "Jeugdlijn")
        SLUGS[made.id] = made.slug
        return made.id

    result: str = in_db(server, add)
    # The server re-reads its organisations every few seconds; this one is needed now.
    services_of(server._server.config.app).organisations.forget()
    return result


def start_visitor(server: Server, organisation_id: str | None) -> str:
    if organisation_id is None:
        return server.start_visitor()[0]
    response = httpx.post(
        f"{server.base}/o/{SLUGS[organisation_id]}/api/visitor/start",
        json={"nickname": None, "lang": "nl"},
        headers={"Origin": server.origin},
        timeout=20,
    )
    response.raise_for_status()
    conversation_id: str = response.json()["conversation"]["id"]
    return conversation_id


async def take_chat(server: Server, client: Client, organisation_id: str | None = None) -> str:
    conversation_id = start_visitor(server, organisation_id)
    await client.send({"type": "accept", "conversation_id": conversation_id})
    await client.expect("accepted", conversation_id=conversation_id)
    return conversation_id


async def end_chat(client: Client, conversation_id: str) -> None:
    await client.send({"type": "end", "conversation_id": conversation_id})
    await client.expect("ended", conversation_id=conversation_id)


async def day_of(client: Client, conversation_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "wellbeing_get"}
    if conversation_id:
        frame["conversation_id"] = conversation_id
    await client.send(frame)
    return await client.expect("wellbeing", timeout=10)


def register(server: Server, conversation_id: str, staff_id: str, **values: Any) -> None:
    async def run() -> None:
        world = RegistrationWorld(server.settings)
        try:
            await world.register(conversation_id, staff_id, **values)
        finally:
            await world.close()

    run_async(run())


def test_figures_and_heavy_marks(server: Server) -> None:
    staff_id, token = staff(server)
    _other_id, other_token = staff(server)

    async def run() -> None:
        client = await counselor(server, token)
        other = await counselor(server, other_token)
        try:
            light = await take_chat(server, client)
            heavy = await take_chat(server, client)
            await end_chat(client, light)
            await end_chat(client, heavy)
            day = await day_of(client, heavy)
            assert (day["chats"], day["heavy"], day["conversation_heavy"]) == (2, 0, False)
            assert day["chat_seconds"] >= 0 and day["pause_minutes"] == 10

            await client.send({"type": "heavy_mark", "conversation_id": heavy})
            marked = await client.expect("heavy_marked", conversation_id=heavy)
            assert marked["heavy"] is True
            day = await day_of(client, heavy)
            assert (day["heavy"], day["conversation_heavy"]) == (1, True)
            # Marking twice is one mark; taking it back removes it.
            await client.send({"type": "heavy_mark", "conversation_id": heavy})
            await client.expect("heavy_marked", conversation_id=heavy)
            assert (await day_of(client))["heavy"] == 1

            # A colleague cannot mark a chat they did not take part in; nothing changes.
            await other.send({"type": "heavy_mark", "conversation_id": light})
            error = await other.expect("error")
            assert (error["code"], error["ref"]) == ("not_a_participant", "heavy_mark")
            assert (await day_of(other))["chats"] == 0

            # A registration with acute danger counts as heavy without a mark.
            register(server, light, staff_id, risk_level="acute")
            day = await day_of(client, light)
            assert (day["heavy"], day["conversation_heavy"]) == (2, True)

            await client.send({"type": "heavy_mark", "conversation_id": heavy, "heavy": False})
            await client.expect("heavy_marked", conversation_id=heavy, heavy=False)
            assert (await day_of(client))["heavy"] == 1
        finally:
            await client.close()
            await other.close()

    run_async(run())


def test_a_talk_request_reaches_only_the_organisations_supervisors(server: Server) -> None:
    partner = partner_organisation(server)
    asker_id, asker = staff(server)
    _s, supervisor = staff(server, Role.SUPERVISOR)
    _c, colleague = staff(server)
    _a, admin = staff(server, Role.ADMIN)
    _ps, partner_supervisor = staff(server, Role.SUPERVISOR, partner)
    _pc, partner_counselor = staff(server, Role.COUNSELOR, partner)

    async def run() -> None:
        sockets = {
            name: await counselor(server, token)
            for name, token in (
                ("asker", asker),
                ("supervisor", supervisor),
                ("colleague", colleague),
                ("admin", admin),
                ("partner_supervisor", partner_supervisor),
                ("partner_counselor", partner_counselor),
            )
        }
        try:
            await sockets["asker"].send({"type": "talk_request"})
            sent = await sockets["asker"].expect("talk_request_sent")
            assert sent["supervisors_online"] >= 1
            got = await sockets["supervisor"].expect("talk_request", timeout=10)
            assert got["from_staff_id"] == asker_id
            assert set(got) == {"type", "from_staff_id", "from", "at"}, "who and when, nothing else"
            # One coroutine delivers to every reader at once: after a round trip on each other
            # socket, a frame meant for it would have arrived.
            for name in ("colleague", "admin", "partner_supervisor", "partner_counselor", "asker"):
                client = sockets[name]
                await client.send({"type": "ping", "t": 1})
                await client.expect("pong")
                assert not [f for f in client.frames if f.get("type") == "talk_request"], name
        finally:
            for client in sockets.values():
                await client.close()

    run_async(run())


def test_a_talk_request_with_no_supervisor_online_says_so(server: Server) -> None:
    partner = partner_organisation(server)  # a fresh organisation: nobody else is online there
    _id, token = staff(server, Role.COUNSELOR, partner)

    async def run() -> None:
        client = await counselor(server, token)
        try:
            await client.send({"type": "talk_request"})
            assert (await client.expect("talk_request_sent"))["supervisors_online"] == 0
        finally:
            await client.close()

    run_async(run())


def test_the_overview_shows_a_pause_and_nothing_more(server: Server) -> None:
    partner = partner_organisation(server)
    counselor_id, token = staff(server, Role.COUNSELOR, partner)
    _s, supervisor_token = staff(server, Role.SUPERVISOR, partner)

    async def run() -> None:
        client = await counselor(server, token)
        supervisor = await counselor(server, supervisor_token)
        try:
            await supervisor.send({"type": "overview_subscribe"})
            await supervisor.expect("overview")
            await client.send({"type": "pause", "minutes": 10})
            state = await client.expect("pause_state")
            assert state["until"] is not None

            def paused(frame: dict[str, Any]) -> bool:
                return frame.get("type") == "overview" and any(
                    c["id"] == counselor_id and c["pause_until"] for c in frame["counselors"]
                )

            await supervisor.seen(paused, timeout=15)
            await client.send({"type": "pause", "minutes": 0})
            assert (await client.expect("pause_state"))["until"] is None
        finally:
            await client.close()
            await supervisor.close()

    run_async(run())


def test_the_break_reminder_follows_the_clock_and_a_pause_resets_it(
    server: Server, clock: list[datetime]
) -> None:
    _id, token = staff(server)
    start = clock[0]

    async def run() -> None:
        client = await counselor(server, token)
        try:
            await take_chat(server, client)  # joined at the real time, about `start`
            clock[0] = start + timedelta(minutes=119)
            day = await day_of(client)
            assert day["break_due"] is False and day["in_chats_since"] is not None
            clock[0] = start + timedelta(minutes=121)
            assert (await day_of(client))["break_due"] is True
            await client.send({"type": "pause", "minutes": 10})
            await client.expect("pause_state")
            clock[0] = start + timedelta(minutes=125)
            day = await day_of(client)
            assert day["break_due"] is False and day["pause_until"] is not None
            # The pause is over at +131: the stretch starts again from there.
            clock[0] = start + timedelta(minutes=131 + 119)
            day = await day_of(client)
            assert day["break_due"] is False and day["pause_until"] is None
            clock[0] = start + timedelta(minutes=131 + 121)
            assert (await day_of(client))["break_due"] is True
        finally:
            await client.close()

    run_async(run())


def test_the_reminder_can_be_turned_off(tmp_path: Any) -> None:
    from tests.support import start_server

    srv = start_server(tmp_path, break_reminder_minutes=0)
    try:
        wellbeing = _wellbeing(srv)
        start = datetime.now(UTC)
        _id, token = staff(srv)

        async def run() -> None:
            client = await counselor(srv, token)
            try:
                await take_chat(srv, client)
                wellbeing.clock = lambda: start + timedelta(hours=10)
                day = await day_of(client)
                assert day["break_due"] is False and day["break_reminder_minutes"] == 0
            finally:
                await client.close()

        run_async(run())
    finally:
        srv.stop()


# --- the page -----------------------------------------------------------------------------------


def page(server: Server, token: str) -> httpx.Response:
    return httpx.get(
        server.base + "/staff/wellbeing", cookies={"__Host-baken_s": token}, timeout=20
    )


def share(server: Server, token: str, choice: str) -> httpx.Response:
    return httpx.post(
        server.base + "/staff/wellbeing/share",
        data={"share": choice},
        cookies={"__Host-baken_s": token},
        headers={"Origin": server.origin},
        timeout=20,
    )


def test_my_day_page_and_sharing(server: Server) -> None:
    organisation = partner_organisation(server)
    counselor_id, token = staff(server, Role.COUNSELOR, organisation)
    _s, supervisor = staff(server, Role.SUPERVISOR, organisation)
    _o, outsider = staff(server, Role.SUPERVISOR)  # the default organisation's

    async def run() -> None:
        client = await counselor(server, token)
        try:
            conversation_id = await take_chat(server, client, organisation)
            await end_chat(client, conversation_id)
            await client.send({"type": "heavy_mark", "conversation_id": conversation_id})
            await client.expect("heavy_marked")
        finally:
            await client.close()

    run_async(run())
    own = page(server, token)
    assert own.status_code == 200
    assert re.search(r'id="my-chats">1<', own.text) and re.search(r'id="my-heavy">1<', own.text)
    assert 'id="team-day"' not in own.text, "a counselor sees no team figures"

    name = re.search(r'class="staffbar__name">([^<]+)<', own.text)
    assert name is not None
    display_name = name.group(1)
    before = page(server, supervisor)
    # One colleague with chats: the team's totals would point at them.
    assert 'id="team-hidden"' in before.text and 'id="team-heavy"' not in before.text
    assert display_name not in before.text.split('class="staffbar__name"')[1].split("</header>")[1]

    assert share(server, token, "yes").status_code == 303
    shared = page(server, supervisor)
    assert 'id="shared-table"' in shared.text and display_name in shared.text
    # Another organisation's supervisor sees nothing of it.
    assert display_name not in page(server, outsider).text
    assert share(server, token, "no").status_code == 303
    assert 'id="shared-table"' not in page(server, supervisor).text
    assert share(server, token, "maybe").status_code == 400
    assert counselor_id  # the account exists; its id appears nowhere on the pages
    assert counselor_id not in shared.text
