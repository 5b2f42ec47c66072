"""The benchmarks' counselor accounts (baken.devtools) in an organisation of their own (issue 14:
bench/load.py and bench/queue_updates.py --organisations N)."""

from __future__ import annotations

from pathlib import Path

import pytest

from baken.config import Settings
from baken.devtools import create_bench_counselors
from baken.store.database import Database
from baken.store.migrate import upgrade_async
from baken.store.organisation_repo import OrganisationRepository
from baken.store.staff_repo import DEFAULT_ORGANISATION, StaffRepository
from tests.support import run_async


async def _members(settings: Settings, organisation_id: str) -> list[str]:
    db = Database(settings)
    try:
        return [m.username for m in await StaffRepository(db).members(organisation_id)]
    finally:
        await db.dispose()


def test_bench_counselors_belong_to_the_organisation_asked_for(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        await upgrade_async(settings)
        db = Database(settings)
        try:
            other = await OrganisationRepository(db).add("bench1", "Bench 1")
        finally:
            await db.dispose()
        theirs = await create_bench_counselors(settings, 2, organisation_id=other.id)
        ours = await create_bench_counselors(settings, 1)
        return (
            theirs,
            ours,
            await _members(settings, other.id),
            await _members(settings, DEFAULT_ORGANISATION),
        )

    theirs, ours, other_members, default_members = run_async(scenario())
    assert len(theirs) == 2 and len(ours) == 1 and len(set(theirs + ours)) == 3
    assert len(other_members) == 2 and len(default_members) == 1
    assert not set(other_members) & set(default_members)


def test_bench_counselors_need_an_existing_organisation(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ValueError, match="org_nowhere"):
        run_async(create_bench_counselors(settings, 1, organisation_id="org_nowhere"))
    assert run_async(_members(settings, "org_nowhere")) == []
