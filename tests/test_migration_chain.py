"""Migrations form one line: several engineers add them in parallel, and two children of one
revision would leave `baken db upgrade` with two heads, applied in no fixed order."""

from __future__ import annotations

import re
from itertools import pairwise

from alembic.script import ScriptDirectory

from baken.config import Settings
from baken.store.migrate import MIGRATIONS, alembic_config


def test_one_head_and_one_line_numbered_in_order() -> None:
    scripts = ScriptDirectory.from_config(alembic_config(Settings()))
    assert scripts.get_heads() == [max(s.revision for s in scripts.walk_revisions())]
    line = list(reversed(list(scripts.walk_revisions())))
    for before, after in pairwise(line):
        assert after.down_revision == before.revision
        assert int(after.revision) == int(before.revision) + 1, after.revision
    files = sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py"))
    assert [re.match(r"\d+", f).group() for f in files] == [s.revision for s in line]  # type: ignore[union-attr]
