"""What the timeout sweeps cost (issue 15, "Performance"): with 5,000 waiting and 1,000 active
chats, the sweep's work per second must stay below 2 % of one core.

The state is built with the project's own code in a real database (SQLite by default, migrated
with Alembic): ``ConversationRepository.create`` for every visitor, ``accept`` for the active
ones, and messages through the ``MessageWriter`` the server uses. Every visitor has a socket on
this process (as in the server, ``Hub.by_conversation``), so nothing is due to end: this is the
steady state the sweep runs in all day.

Two measurements, both in CPU time, not wall time, so they mean something on a busy machine
(``time.process_time``: every thread of this process, SQLite's included; on PostgreSQL the CPU of
the backends serving this bench's own database is added):

1. per call: sweeps (and presence writes) back to back, CPU and SQL statements of each;
2. as the server runs it: ``Timeouts.start()`` — a sweep every ``BAKEN_SWEEP_SECONDS`` and a
   presence write every ``PRESENCE_SECONDS`` — for ``--duration`` wall seconds, with nothing else
   in the process; CPU seconds per wall second over that window.

    .venv/bin/python bench/timeout_sweep.py [--waiting 5000] [--active 1000] [--duration 60]
        [--messages 10] [--database-url URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import psutil
from sqlalchemy import and_, event, func, select, text

import benchlib as bl
from baken.config import Settings
from baken.crypto.envelope import CipherCache
from baken.crypto.keyfile import load_or_create_master_key
from baken.domain.conversation import Sender, State
from baken.realtime.broker import InProcessBroker
from baken.realtime.chat_service import VISITOR_AUTHOR
from baken.realtime.connection import Connection
from baken.realtime.hub import Hub
from baken.realtime.live import Live
from baken.realtime.timeouts import PRESENCE_SECONDS, Timeouts
from baken.store.clock import as_utc
from baken.store.conversation_repo import ConversationRepository, Liveness
from baken.store.database import Database
from baken.store.message_writer import MessageWriter
from baken.store.migrate import upgrade_async
from baken.store.staff_repo import StaffRepository
from baken.store.tables import conversations, messages

TARGET_SHARE = 0.02  # of one core
COUNSELORS = 100


class _VisitorSocket:
    """A visitor's open WebSocket in the hub, as far as the sweep asks: is it a visitor's?"""

    is_visitor = True


class _NoLive:
    """In the steady state nothing ends and nobody is warned; if it happens, the bench says so."""

    def __init__(self) -> None:
        self.transitions = 0
        self.events = 0

    def transition(self, _transition: object) -> None:
        self.transitions += 1

    def committed(self, events: list[object]) -> None:
        self.events += len(events)


class StatementCounter:
    """Counts the SQL statements sent to the database (SQLAlchemy's cursor events)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        engines = {id(db.writer): db.writer, id(db.reader): db.reader}
        for engine in engines.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_args: object) -> None:
        self.count += 1


class DatabaseCpu:
    """CPU seconds of the PostgreSQL backends serving this bench's own database (none on SQLite,
    whose work is in this process). Only those backends: the machine's PostgreSQL also serves
    other work (the project's tests), which `benchlib.database_cpu_seconds` would count too."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pids: set[int] = set()

    async def refresh(self) -> None:
        if self.db.is_sqlite:
            return
        async with self.db.reader.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND backend_type = 'client backend'"
                )
            )
            self.pids |= {int(row.pid) for row in rows}

    def seconds(self) -> dict[int, float]:
        times = {}
        for pid in self.pids:
            with contextlib.suppress(psutil.Error):
                cpu = psutil.Process(pid).cpu_times()
                times[pid] = cpu.user + cpu.system
        return times

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(value - before.get(pid, 0.0) for pid, value in after.items())


async def liveness_before(db: Database) -> list[Liveness]:
    """`ConversationRepository.active_liveness` as issue 15 first had it, word for word: the
    newest person's line as max(sent_at_ms) over the whole transcript. Timed beside today's."""
    last_words = (
        select(func.max(messages.c.sent_at_ms))
        .where(
            and_(
                messages.c.conversation_id == conversations.c.id,
                messages.c.sender != Sender.SYSTEM.value,
            )
        )
        .scalar_subquery()
    )
    last_event = (
        select(messages.c.event)
        .where(messages.c.conversation_id == conversations.c.id)
        .order_by(messages.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    async with db.reader.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    conversations.c.id,
                    conversations.c.accepted_at,
                    conversations.c.created_at,
                    conversations.c.visitor_seen_at,
                    last_words.label("last_words_ms"),
                    last_event.label("last_event"),
                ).where(conversations.c.state == State.ACTIVE.value)
            )
        ).all()
    return [
        Liveness(
            conversation_id=row.id,
            since=as_utc(row.accepted_at or row.created_at),
            visitor_seen_at=as_utc(row.visitor_seen_at) if row.visitor_seen_at else None,
            last_words_ms=row.last_words_ms,
            last_event=row.last_event,
        )
        for row in rows
    ]


async def build_state(
    repo: ConversationRepository, waiting: int, active: int, messages: int
) -> list[str]:
    """The conversations, through the project's own code; returns every open conversation's id."""
    staff_repo = StaffRepository(repo.db)
    await staff_repo.ensure_organisation("Bench")
    counselors = [
        (await staff_repo.create(f"bench-{secrets.token_hex(4)}", f"C{i}", "x")).id
        for i in range(COUNSELORS)
    ]
    ids = []
    for n in range(waiting + active):
        record, _token = await repo.create(None, "nl")
        ids.append(record.id)
        if n % 1000 == 999:
            print(f"  {n + 1} conversations", file=sys.stderr, flush=True)
    chats = ids[waiting:]
    for n, conversation_id in enumerate(chats):
        await repo.accept(conversation_id, counselors[n % COUNSELORS], "C", max_chats=10**6)
    writer = MessageWriter(repo, lambda _stored: None)
    writer.start()
    futures = []
    for n, conversation_id in enumerate(chats):
        counselor = counselors[n % COUNSELORS]
        for m in range(messages):
            if m % 2 == 0:
                futures.append(
                    writer.submit(
                        conversation_id, VISITOR_AUTHOR, Sender.VISITOR, None, None, f"v{m}", "Hoi"
                    )
                )
            else:
                futures.append(
                    writer.submit(
                        conversation_id, counselor, Sender.COUNSELOR, counselor, "C", f"c{m}", "Ja"
                    )
                )
    await asyncio.gather(*futures)
    await writer.stop()
    return ids


async def per_call(
    work: Callable[[], Awaitable[object]],
    statements: StatementCounter,
    database: DatabaseCpu,
    calls: int,
) -> dict[str, float]:
    await work()  # warm: caches, prepared statements, the first connection
    await database.refresh()
    cpu, wall, sql = [], [], []
    for _ in range(calls):
        before = statements.count
        d0 = database.seconds()
        c0, w0 = time.process_time(), time.perf_counter()
        await work()
        cpu.append(time.process_time() - c0 + database.spent(d0, database.seconds()))
        wall.append(time.perf_counter() - w0)
        sql.append(statements.count - before)
    cpu.sort()
    return {
        "calls": calls,
        "cpu_ms_median": cpu[len(cpu) // 2] * 1000,
        "cpu_ms_max": cpu[-1] * 1000,
        "wall_ms_median": sorted(wall)[len(wall) // 2] * 1000,
        "statements": max(sql),
    }


async def as_the_server_runs_it(
    timeouts: Timeouts, statements: StatementCounter, database: DatabaseCpu, duration: float
) -> dict[str, float]:
    timeouts.start()
    # A process sweeps only once it has been up for the queue's limit (after a restart the
    # sockets come back first); the bench measures the sweeping process, so it is "up" already.
    timeouts._started_at = timeouts.clock() - timeouts.limits.queue_gone
    await database.refresh()
    d0 = database.seconds()
    before = statements.count
    c0, w0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(duration)
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    sent = statements.count - before
    await database.refresh()  # backends the pool opened meanwhile count from their start
    db_cpu = database.spent(d0, database.seconds())
    await timeouts.stop()
    return {
        "wall_s": wall,
        "process_cpu_s": cpu,
        "database_cpu_s": db_cpu,
        "statements": sent,
        "share_of_one_core": (cpu + db_cpu) / wall,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--waiting", type=int, default=5000)
    parser.add_argument("--active", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=10, help="per active chat")
    parser.add_argument("--calls", type=int, default=20, help="sweeps measured one by one")
    parser.add_argument("--duration", type=float, default=60.0, help="wall seconds as the server")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="baken-sweep-")),
        database_url=args.database_url,
        queue_max=args.waiting + args.active,
    )
    await upgrade_async(settings)
    db = Database(settings)
    master, _ = load_or_create_master_key(settings.master_key, settings.data_dir)
    repo = ConversationRepository(db, CipherCache(master))
    began = time.perf_counter()
    ids = await build_state(repo, args.waiting, args.active, args.messages)
    print(
        f"state: {args.waiting} waiting + {args.active} active conversations, "
        f"{args.messages} messages per active chat, in {time.perf_counter() - began:.1f} s "
        f"({'PostgreSQL' if args.database_url else 'SQLite'})",
        flush=True,
    )

    hub = Hub(repo, InProcessBroker())
    for conversation_id in ids:
        hub.by_conversation[conversation_id].add(cast(Connection, _VisitorSocket()))
    live = _NoLive()
    timeouts = Timeouts(settings, repo, hub, cast(Live, live))
    await timeouts.write_presence()
    statements = StatementCounter(db)

    database = DatabaseCpu(db)
    sweep = await per_call(timeouts.sweep, statements, database, args.calls)
    presence = await per_call(
        timeouts.write_presence, statements, database, max(3, args.calls // 4)
    )

    before = await per_call(lambda: liveness_before(db), statements, database, args.calls)
    after = await per_call(repo.active_liveness, statements, database, args.calls)
    derived = (
        sweep["cpu_ms_median"] / 1000 / timeouts.sweep_seconds
        + presence["cpu_ms_median"] / 1000 / PRESENCE_SECONDS
    )
    running = await as_the_server_runs_it(timeouts, statements, database, args.duration)
    result: dict[str, Any] = {
        "waiting": args.waiting,
        "active": args.active,
        "messages_per_active_chat": args.messages,
        "database": "PostgreSQL" if args.database_url else "SQLite",
        "sweep_seconds": timeouts.sweep_seconds,
        "presence_seconds": PRESENCE_SECONDS,
        "sweep": sweep,
        "presence_write": presence,
        "liveness_query_before": before,
        "liveness_query_after": after,
        "derived_share_of_one_core": derived,
        "as_the_server_runs_it": running,
        "ended_or_warned": live.transitions + live.events,
        "target_share": TARGET_SHARE,
        "machine": bl.machine_info(),
    }
    print(
        f"sweep (every {timeouts.sweep_seconds:.0f} s): "
        f"CPU median {sweep['cpu_ms_median']:.1f} ms, "
        f"max {sweep['cpu_ms_max']:.1f} ms, {sweep['statements']} SQL statements"
    )
    print(
        f"presence write (every {PRESENCE_SECONDS:.0f} s, {len(ids)} visitors here): CPU median "
        f"{presence['cpu_ms_median']:.1f} ms, {presence['statements']} SQL statements"
    )
    print(
        f"active chats' liveness query: before (max over the transcript) CPU median "
        f"{before['cpu_ms_median']:.1f} ms, after (newest line by seq) "
        f"{after['cpu_ms_median']:.1f} ms"
    )
    print(f"per call, derived: {derived * 100:.2f} % of one core")
    print(
        f"as the server runs it, {running['wall_s']:.0f} s: {running['process_cpu_s']:.3f} CPU s"
        + (f" + database {running['database_cpu_s']:.3f} s" if args.database_url else "")
        + f", {running['statements']} SQL statements: "
        f"{running['share_of_one_core'] * 100:.2f} % of one core"
    )
    if live.transitions or live.events:
        print(f"NOTE: the sweep ended or warned {live.transitions + live.events} chats")
    worst = max(derived, running["share_of_one_core"])
    verdict = "PASS" if worst < TARGET_SHARE else "FAIL"
    print(f"verdict: {verdict} ({worst * 100:.2f} % against {TARGET_SHARE * 100:.0f} %)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
