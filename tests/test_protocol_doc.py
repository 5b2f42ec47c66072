"""docs/protocol.md cannot drift from the code (issue 13, item 3): every frame a client may send is
documented with each of its fields, every frame type the server sends is documented, and the doc
names no client frame the server does not know."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from baken.realtime import frames

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
SOURCES = [
    *sorted((ROOT / "src" / "baken" / "realtime").glob("*.py")),
    ROOT / "src" / "baken" / "web" / "socket_routes.py",
]
# A frame the server sends is built as a dict literal with this key first, e.g. {"type": "ack", …}.
SENT_TYPE = re.compile(r"""["']type["']\s*:\s*["']([a-z_]+)["']""")
BACKTICKED = re.compile(r"`([a-z_]+)`")


def _client_frames() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for value in vars(frames).values():
        if isinstance(value, dict) and value:
            for name, model in value.items():
                is_model = isinstance(model, type) and issubclass(model, BaseModel)
                if isinstance(name, str) and is_model:
                    found[name] = model
    return found


def _sections() -> list[str]:
    """The doc cut at every heading: a frame is documented where its section names it."""
    return re.split(r"(?m)^#{2,4} ", DOC)


def _client_section() -> str:
    start = DOC.index("## Client → server")
    end = DOC.index("\n## ", start + 1)
    return DOC[start:end]


def test_the_frame_tables_were_found() -> None:
    # Guards the test itself: if frames.py were reorganised, nothing would be checked.
    assert len(_client_frames()) >= 30
    assert "send" in _client_frames() and "accept" in _client_frames()


def test_every_client_frame_is_in_the_client_table() -> None:
    named = set(BACKTICKED.findall(_client_section()))
    missing = sorted(set(_client_frames()) - named)
    assert not missing, f"client frames missing from docs/protocol.md 'Client → server': {missing}"


def test_every_field_of_a_client_frame_is_documented_where_the_frame_is() -> None:
    problems = []
    sections = _sections()
    for name, model in sorted(_client_frames().items()):
        where = [s for s in sections if f"`{name}`" in s]
        mentioned = set(BACKTICKED.findall("\n".join(where)))
        for field in model.model_fields:
            if field != "type" and field not in mentioned:
                problems.append(f"{name}.{field}")
    assert not problems, f"fields not documented beside their frame: {problems}"


def test_every_frame_type_the_server_sends_is_documented() -> None:
    sent: dict[str, str] = {}
    for path in SOURCES:
        for kind in SENT_TYPE.findall(path.read_text(encoding="utf-8")):
            sent.setdefault(kind, path.name)
    documented = set(BACKTICKED.findall(DOC)) | set(SENT_TYPE.findall(DOC))
    client = set(_client_frames())
    missing = sorted(f"{k} ({sent[k]})" for k in sent if k not in documented and k not in client)
    assert len(sent) >= 15
    assert not missing, f"frames the server sends but docs/protocol.md does not name: {missing}"
