"""Isolation you can prove (issue 14): two organisations with random activity on one server, and
nothing any staff member of one can reach — pages, CSV, JSON, report, socket frames — carries an
id, nickname or count of the other.

The activity is random but seeded (each seed is one run; the seeds are listed so a failure can be
replayed): visitors start at either entry, some are taken and chat, some leave messages while
waiting, some end. Afterwards every staff member of each organisation fetches everything their
role may fetch and collects every frame their socket gets; the other organisation's markers must
appear in none of it, and the counts they see must be their own organisation's counts.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests.conftest import server_on
from tests.support import (
    Client,
    Server,
    add_staff_with_role,
    counselor,
    open_socket,
    run_async,
)

OTHER = "org_noord"
ENTRIES = {DEFAULT_ORGANISATION: "", OTHER: "/o/noord"}
ROLES = (Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER)
SEEDS = (1, 2)


@dataclass
class Side:
    """What one organisation did: the markers that must never show up at the other."""

    organisation_id: str
    nicknames: set[str] = field(default_factory=set)
    conversation_ids: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)
    chats: int = 0
    staff: dict[Role, tuple[str, str]] = field(default_factory=dict)

    @property
    def markers(self) -> set[str]:
        staff_ids = {staff_id for staff_id, _token in self.staff.values()}
        return self.nicknames | self.conversation_ids | staff_ids


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    with server_on(request.param, tmp_path, max_chats=50, queue_max=200) as srv:
        _add_other(srv)
        yield srv


def _add_other(srv: Server) -> None:
    async def add() -> None:
        db = Database(srv.settings)
        try:
            await OrganisationRepository(db).add("noord", "Noord", organisation_id=OTHER)
        finally:
            await db.dispose()

    run_async(add())


def _start(srv: Server, side: Side) -> tuple[str, str]:
    nickname = "nick" + secrets.token_hex(5)
    response = httpx.post(
        f"{srv.base}{ENTRIES[side.organisation_id]}/api/visitor/start",
        json={"nickname": nickname, "lang": "nl"},
        headers={"Origin": srv.origin},
        timeout=30,
    )
    response.raise_for_status()
    conversation_id = response.json()["conversation"]["id"]
    side.nicknames.add(nickname)
    side.conversation_ids.add(conversation_id)
    token = response.headers["set-cookie"].split("=", 1)[1].split(";", 1)[0]
    return conversation_id, token


async def _activity(srv: Server, sides: dict[str, Side], rng: random.Random) -> None:
    consoles: dict[str, Client] = {}
    for side in sides.values():
        consoles[side.organisation_id] = await counselor(srv, side.staff[Role.COUNSELOR][1])
    for _step in range(14):
        side = sides[rng.choice(sorted(sides))]
        conversation_id, _token = await asyncio.to_thread(_start, srv, side)
        side.waiting.add(conversation_id)
        choice = rng.random()
        console = consoles[side.organisation_id]
        if choice < 0.5:  # taken, a few messages, ended
            await console.send({"type": "accept", "conversation_id": conversation_id})
            await console.expect("accepted", conversation_id=conversation_id)
            side.waiting.discard(conversation_id)
            side.chats += 1
            await console.send(
                {
                    "type": "send",
                    "conversation_id": conversation_id,
                    "client_msg_id": secrets.token_hex(4),
                    "text": "Fijn dat je er bent.",
                }
            )
            await console.expect("ack")
            if rng.random() < 0.7:
                await console.send({"type": "end", "conversation_id": conversation_id})
                await console.expect("ended", conversation_id=conversation_id)
        elif choice < 0.7:  # a message left at this organisation's entry
            response = await asyncio.to_thread(
                httpx.post,
                f"{srv.base}{ENTRIES[side.organisation_id]}/api/visitor/message",
                json={"text": "Kan iemand mij later antwoorden?", "lang": "nl"},
                headers={"Origin": srv.origin},
                timeout=30,
            )
            assert response.status_code == 200, response.text
        # else: the visitor keeps waiting
    for console in consoles.values():
        await console.close()


STAFF_PAGES = {
    Role.COUNSELOR: [
        "/staff",
        "/api/left-messages",
        "/api/registrations/pending",
        "/api/canned",
        "/staff/wellbeing",
    ],
    Role.SUPERVISOR: [
        "/staff",
        "/staff/figures",
        "/staff/figures.csv",
        "/api/left-messages",
        "/staff/wellbeing",  # issue 15: the team's totals and shared figures, own organisation
        "/staff/blocks",  # issue 15: the organisation's own blocks
        "/staff/figures/counselors",  # issue 15, item 7: the own organisation's counselors
        "/staff/figures/counselors.csv",
    ],
    Role.ADMIN: ["/staff/accounts", "/staff/audit", "/staff/figures.csv", "/api/service-hours"],
    Role.RESEARCHER: ["/research", f"/research/{datetime.now(UTC).year}/report.json"],
}


def _everything_seen(srv: Server, side: Side) -> list[tuple[str, str]]:
    """(what, text) for every page and frame this organisation's staff can get."""
    seen: list[tuple[str, str]] = []
    for role, paths in STAFF_PAGES.items():
        _staff_id, token = side.staff[role]
        cookies = {"__Host-baken_s": token}
        for path in paths:
            response = httpx.get(srv.base + path, cookies=cookies, timeout=30)
            assert response.status_code in (200, 404), (role, path, response.status_code)
            seen.append((f"{role.value} GET {path}", response.text))

    async def frames() -> list[tuple[str, str]]:
        got: list[tuple[str, str]] = []
        for role in (Role.COUNSELOR, Role.SUPERVISOR):
            client = await open_socket(srv, "/ws/staff", side.staff[role][1])
            await client.expect("welcome")
            queue = await client.expect("queue")
            # The queue shows this organisation's waiting visitors, all of them, no others.
            ids = {e["conversation_id"] for e in queue["entries"]}
            assert ids == side.waiting, (role, ids, side.waiting)
            assert queue["total"] == len(side.waiting)
            assert [e["position"] for e in queue["entries"]] == list(
                range(1, len(side.waiting) + 1)
            )
            await client.send({"type": "ping", "t": 1})
            await client.expect("pong")
            got.extend((f"{role.value} frame {f.get('type')}", str(f)) for f in client.frames)
            await client.close()
        return got

    seen.extend(run_async(frames()))
    # The supervisor's figures count this organisation's chats, and only those.
    csv_text = dict(seen)[f"{Role.SUPERVISOR.value} GET /staff/figures.csv"]
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    total = next(row for row in rows if row["period_start"] == "total")
    assert int(total["contacts"]) == len(side.conversation_ids), total
    assert int(total["answered"]) == side.chats, total
    # Per counselor: the chats of this organisation's counselors, every one of them once.
    per_counselor = dict(seen)[f"{Role.SUPERVISOR.value} GET /staff/figures/counselors.csv"]
    counted = sum(int(row["chats"]) for row in csv.DictReader(io.StringIO(per_counselor)))
    assert counted == side.chats, (counted, side.chats)
    return seen


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_of_one_organisation_reaches_the_other(shared: Server, seed: int) -> None:
    srv = shared
    rng = random.Random(seed)
    sides = {org: Side(org) for org in ENTRIES}
    for side in sides.values():
        for role in ROLES:
            side.staff[role] = add_staff_with_role(srv, role, organisation_id=side.organisation_id)
    run_async(_activity(srv, sides, rng))
    assert all(side.conversation_ids for side in sides.values())  # both were active
    for side in sides.values():
        other = sides[
            OTHER if side.organisation_id == DEFAULT_ORGANISATION else DEFAULT_ORGANISATION
        ]
        for what, text in _everything_seen(srv, side):
            leaked = sorted(marker for marker in other.markers if marker in text)
            assert not leaked, f"{side.organisation_id}: {what} shows the other's {leaked[:3]}"
