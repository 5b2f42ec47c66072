"""Issue 18, item 2: anonymous daily campaign counts — visits, chats started, chats answered.

Pure rules (codes, the shown value, the counter's memory), the batched add on SQLite and
PostgreSQL (two writers at once), and the whole way on a real server: /c/<code> → /?c=<code> →
start → a counselor takes the chat → the supervisor's page, which never shows a count below the
report threshold and nothing of another organisation.
"""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
from datetime import UTC, date, datetime
from urllib.parse import quote

import httpx
import pytest

from baken.campaigns.codes import UNKNOWN, campaign_code, local_day
from baken.campaigns.counter import MAX_CODES_PER_DAY, CampaignCounter
from baken.campaigns.repository import Tally, add_counts, counts_between
from baken.domain.conversation import Role, State
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.records import ConversationRecord
from baken.store.staff_repo import DEFAULT_ORGANISATION
from baken.web.campaign_routes import shown
from tests.support import Server, add_staff_with_role, counselor, run_async, visitor
from tests.test_multiprocess import pair  # noqa: F401  (PostgreSQL + Redis, two servers)

BAD_CODES = [
    "<script>alert(1)</script>",
    "x" * 10_000,
    "a/../../staff",
    "%00",
    "../etc/passwd",
    "\u212a",  # the Kelvin sign: lower-cases to an ASCII "k"
    "école",
    "a" * 33,
]


# --- pure rules ----------------------------------------------------------------------------------


def test_codes_are_normalised_or_unknown() -> None:
    assert campaign_code("School-2027") == "school-2027"
    assert campaign_code("a" * 32) == "a" * 32
    assert campaign_code(None) is None
    assert campaign_code("") is None
    assert campaign_code(42) == UNKNOWN
    for bad in BAD_CODES:
        assert campaign_code(bad) == UNKNOWN, bad


def test_days_are_amsterdam_days() -> None:
    # 23:30 UTC on 31 December is already 1 January in Amsterdam (UTC+1 in winter).
    assert local_day(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_day(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)) == date(2026, 7, 1)
    assert local_day(datetime(2026, 7, 1, 22, 0, tzinfo=UTC)) == date(2026, 7, 2)


def test_counts_below_the_threshold_are_never_shown() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 6, 120)] == ["0", "< 5", "< 5", "5", "6", "120"]
    assert shown(9, threshold=10) == "< 10"


def _record(conversation_id: str, state: State, accepted: bool) -> ConversationRecord:
    now = datetime.now(UTC)
    return ConversationRecord(
        id=conversation_id,
        organisation_id=DEFAULT_ORGANISATION,
        state=state,
        priority=0,
        lang="nl",
        created_at=now,
        accepted_at=now if accepted else None,
        ended_at=None,
        ended_by=None,
        counselor_id=None,
        counselor_name=None,
        nickname=None,
        last_seq=0,
        visitor_read_seq=0,
        visitor_delivered_seq=0,
        counselor_read_seq=0,
        counselor_delivered_seq=0,
    )


def test_the_counter_counts_in_memory_and_forgets_the_link() -> None:
    counter = CampaignCounter(db=None)  # type: ignore[arg-type]  # never flushed here
    at = datetime(2026, 12, 6, 12, tzinfo=UTC)
    day = date(2026, 12, 6)
    for _ in range(3):
        counter.visit("org_a", "school", at)
    counter.started("org_a", "school", "c1", at)
    counter.started("org_a", "school", "c2", at)
    counter.on_conversation(_record("c1", State.QUEUED, accepted=False))  # still waiting
    counter.on_conversation(_record("c1", State.ACTIVE, accepted=True))
    counter.on_conversation(_record("c1", State.ACTIVE, accepted=True))  # heard twice: once
    counter.on_conversation(_record("c2", State.ENDED, accepted=False))  # left untaken
    counter.on_conversation(_record("c3", State.ACTIVE, accepted=True))  # not a campaign chat
    assert counter._counts == {("org_a", day, "school"): Tally(3, 2, 1)}
    assert not counter._pending, "a taken or ended chat's campaign is forgotten at once"


def test_a_flood_of_invented_codes_is_bounded() -> None:
    counter = CampaignCounter(db=None)  # type: ignore[arg-type]
    at = datetime(2026, 12, 6, 12, tzinfo=UTC)
    for n in range(MAX_CODES_PER_DAY + 50):
        counter.visit("org_a", f"made-up-{n}", at)
    codes = {key[2] for key in counter._counts}
    assert len(codes) == MAX_CODES_PER_DAY + 1
    assert counter._counts[("org_a", date(2026, 12, 6), UNKNOWN)] == Tally(visits=50)
    # A code seen before the bound was reached still counts as itself.
    counter.visit("org_a", "made-up-0", at)
    assert counter._counts[("org_a", date(2026, 12, 6), "made-up-0")] == Tally(visits=2)


# --- the batched add, on SQLite and PostgreSQL ---------------------------------------------------


def test_batches_add_up_across_writers(server: Server) -> None:
    day = date(2001, 1, int(secrets.randbelow(28)) + 1)
    code = "batch-" + secrets.token_hex(4)
    key = (DEFAULT_ORGANISATION, day, code)

    async def run() -> list[Tally]:
        # Two Database objects: two processes' pools flushing the same row at the same time.
        first, second = Database(server.settings), Database(server.settings)
        try:
            await add_counts(first, {key: Tally(1, 0, 0)})
            await asyncio.gather(
                *(add_counts(db, {key: Tally(2, 1, 1)}) for db in (first, second) for _ in range(5))
            )
            rows = await counts_between(first, DEFAULT_ORGANISATION, day, day)
            return [row.tally for row in rows if row.code == code]
        finally:
            await first.dispose()
            await second.dispose()

    assert run_async(run()) == [Tally(21, 10, 10)]


def test_a_failed_flush_keeps_its_counts(server: Server) -> None:
    code = "retry-" + secrets.token_hex(4)
    at = datetime(2002, 3, 4, 12, tzinfo=UTC)

    async def run() -> list[Tally]:
        db = Database(server.settings)
        try:
            counter = CampaignCounter(db)
            counter.visit("no-such-organisation", code, at)  # refused: foreign key
            counter.visit(DEFAULT_ORGANISATION, code, at)
            await counter.flush()
            assert len(counter._counts) == 2, "nothing of the failed batch is lost"
            counter._counts.pop(("no-such-organisation", local_day(at), code))
            await counter.flush()
            assert not counter._counts
            rows = await counts_between(db, DEFAULT_ORGANISATION, local_day(at), local_day(at))
            return [row.tally for row in rows if row.code == code]
        finally:
            await db.dispose()

    assert run_async(run()) == [Tally(visits=1)]


# --- the whole way, over HTTP --------------------------------------------------------------------

ROW = re.compile(
    r"<tr>\s*<th scope=\"row\">([0-9-]+)</th>\s*<td>(.*?)</td>\s*"
    r"<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>",
    re.S,
)


def staff_get(server: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(
        server.base + path, headers={"Cookie": f"__Host-baken_s={token}"}, follow_redirects=False
    )


def campaign_rows(server: Server, token: str) -> dict[str, tuple[str, str, str]]:
    """code (or "?" for unknown) → (visits, started, answered) as today's row shows them."""
    page = staff_get(server, token, "/staff/campaigns?lang=en")
    assert page.status_code == 200, page.text[:300]
    today = local_day(datetime.now(UTC)).isoformat()
    rows: dict[str, tuple[str, str, str]] = {}
    for day, code_cell, visits, started, answered in ROW.findall(page.text):
        if day != today:
            continue
        found = re.search(r"<code>([^<]*)</code>", code_cell)
        cells = (html.unescape(visits), html.unescape(started), html.unescape(answered))
        rows[found.group(1) if found else "?"] = cells
    return rows


def start_with(server: Server, campaign: str | None, base: str = "") -> str:
    body: dict[str, object] = {"nickname": None, "lang": "nl"}
    if campaign is not None:
        body["campaign"] = campaign
    if server.settings.proof_of_work:
        body["pow"] = server.proof_of_work()
    response = httpx.post(
        f"{server.base}{base}/api/visitor/start", json=body, headers={"Origin": server.origin}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["conversation"]["id"])


@pytest.fixture(scope="module")
def supervisor(server: Server) -> str:
    return add_staff_with_role(server, Role.SUPERVISOR)[1]


def test_visit_start_and_answer_are_counted(server: Server, supervisor: str) -> None:
    code = "school-" + secrets.token_hex(3)
    response = httpx.get(f"{server.base}/c/{code.upper()}?lang=pl", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/?c={code}&lang=pl"
    assert "set-cookie" not in response.headers
    page = httpx.get(server.base + response.headers["location"])
    assert f'<input type="hidden" name="campaign" value="{code}">' in page.text
    # Choosing another language keeps the campaign (the language links carry it).
    assert f'href="/?lang=en&amp;c={code}"' in page.text
    assert campaign_rows(server, supervisor)[code] == ("< 5", "0", "0")

    for _ in range(4):
        httpx.get(f"{server.base}/c/{code}", follow_redirects=False)
    started = [start_with(server, code) for _ in range(5)]
    _staff_id, token = server.add_staff()

    async def take(ids: list[str]) -> None:
        console = await counselor(server, token)
        try:
            for conversation_id in ids:
                await console.send({"type": "accept", "conversation_id": conversation_id})
                await console.expect("accepted", conversation_id=conversation_id)
                # Ended again at once: a counselor holds only BAKEN_MAX_CHATS at a time.
                await console.send({"type": "end", "conversation_id": conversation_id})
                await console.seen(
                    lambda f, cid=conversation_id: (
                        f.get("type") == "conversation"
                        and f["conversation"].get("id") == cid
                        and f["conversation"].get("state") == "ended"
                    )
                )
        finally:
            await console.close()

    run_async(take(started[:2]))
    assert campaign_rows(server, supervisor)[code] == ("5", "5", "< 5")
    run_async(take(started[2:]))
    assert campaign_rows(server, supervisor)[code] == ("5", "5", "5")


def test_a_start_without_a_campaign_counts_nowhere(server: Server, supervisor: str) -> None:
    before = campaign_rows(server, supervisor)
    start_with(server, None)
    assert campaign_rows(server, supervisor) == before


@pytest.mark.parametrize("bad", BAD_CODES, ids=range(len(BAD_CODES)))
def test_bad_codes_count_as_unknown_and_are_never_echoed(
    server: Server, supervisor: str, bad: str
) -> None:
    response = httpx.get(f"{server.base}/c/{quote(bad, safe='')}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?c=unknown"
    landing = httpx.get(f"{server.base}/?c={quote(bad, safe='')}")
    assert landing.status_code == 200
    assert 'name="campaign" value="unknown"' in landing.text
    page = staff_get(server, supervisor, "/staff/campaigns").text
    for text in (landing.text, page):
        assert bad not in text
        assert "<script>alert" not in text
    assert "?" in campaign_rows(server, supervisor), "the unknown row is there"


def test_a_bad_campaign_in_the_start_request_is_unknown_not_refused(server: Server) -> None:
    start_with(server, "<b>" + "x" * 5000)


def test_each_organisation_sees_only_its_own_counts(server: Server, supervisor: str) -> None:
    slug = "camp-" + secrets.token_hex(3)

    async def add() -> str:
        db = Database(server.settings)
        try:
            return (await OrganisationRepository(db).add(slug, "Andere lijn")).id
        finally:
            await db.dispose()

    other_id = run_async(add())
    deadline = time.monotonic() + 15  # the server sees a new organisation within 5 s
    while httpx.get(f"{server.base}/o/{slug}/").status_code != 200:
        assert time.monotonic() < deadline, "the new organisation never opened"
        time.sleep(0.1)
    code = "theirs-" + secrets.token_hex(3)
    for _ in range(6):
        response = httpx.get(f"{server.base}/o/{slug}/c/{code}", follow_redirects=False)
        assert response.headers["location"] == f"/o/{slug}/?c={code}"
    start_with(server, code, base=f"/o/{slug}")
    assert code not in campaign_rows(server, supervisor)
    their_supervisor = add_staff_with_role(server, Role.SUPERVISOR, organisation_id=other_id)[1]
    assert campaign_rows(server, their_supervisor)[code] == ("6", "< 5", "0")


def test_counselors_and_researchers_may_not_read_the_counts(server: Server) -> None:
    for role in (Role.COUNSELOR, Role.RESEARCHER):
        token = add_staff_with_role(server, role)[1]
        assert staff_get(server, token, "/staff/campaigns").status_code == 403
    assert staff_get(server, "nonsense", "/staff/campaigns").status_code == 303


def test_the_visitor_socket_still_works_after_a_campaign_start(server: Server) -> None:
    """The campaign field changes nothing else about the chat."""
    code = "sock-" + secrets.token_hex(3)
    body: dict[str, object] = {"nickname": "Sam", "lang": "nl", "campaign": code}
    if server.settings.proof_of_work:
        body["pow"] = server.proof_of_work()
    response = httpx.post(
        f"{server.base}/api/visitor/start", json=body, headers={"Origin": server.origin}
    )
    header = response.headers["set-cookie"]
    token = header.split("=", 1)[1].split(";", 1)[0]

    async def open_it() -> None:
        client = await visitor(server, token)
        await client.close()

    run_async(open_it())


# --- two processes: the chat starts on one, a counselor on the other takes it ---------------------


def test_an_answer_on_another_process_is_counted(pair: tuple[Server, Server]) -> None:  # noqa: F811
    first, second = pair
    code = "multi-" + secrets.token_hex(3)
    conversation_id = start_with(first, code)
    _staff_id, token = second.add_staff()

    async def take() -> None:
        console = await counselor(second, token)
        try:
            await console.send({"type": "accept", "conversation_id": conversation_id})
            await console.expect("accepted", conversation_id=conversation_id)
        finally:
            await console.close()

    run_async(take())
    # The first process holds the link in memory and hears of the accept through Redis; its
    # supervisor page writes what it holds before reading.
    reader = add_staff_with_role(first, Role.SUPERVISOR)[1]
    deadline = time.monotonic() + 15
    while (rows := campaign_rows(first, reader)).get(code, ("", "", ""))[2] != "< 5":
        assert time.monotonic() < deadline, f"never counted as answered: {rows.get(code)}"
        time.sleep(0.1)
    assert rows[code] == ("0", "< 5", "< 5")


def test_the_start_form_without_javascript_counts_too(server: Server, supervisor: str) -> None:
    code = "nojs-" + secrets.token_hex(3)
    response = httpx.post(
        server.base + "/start",
        data={"lang": "nl", "campaign": code},
        headers={"Origin": server.origin},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    assert campaign_rows(server, supervisor)[code] == ("0", "< 5", "0")
