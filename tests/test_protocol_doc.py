"""docs/protocol.md cannot drift from the code (issue 13, item 3): every frame a client may send is
documented with each of its fields; every frame the server sends is declared in realtime/wire.py,
documented with each of its fields, and actually sent somewhere; no frame is sent that is not
declared; every broker event published is declared; and the doc names no client frame the server
does not know."""

from __future__ import annotations

import ast
import importlib
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from baken.realtime import frames, wire

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
SOURCES = [
    *sorted((ROOT / "src" / "baken" / "realtime").glob("*.py")),
    ROOT / "src" / "baken" / "web" / "socket_routes.py",
    ROOT / "src" / "baken" / "referrals" / "consent.py",  # the `referral_card` frame
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


# --- the declarations in realtime/wire.py ---------------------------------------------------------


def _literal(declaration: type, key: str) -> str:
    (value,) = typing.get_args(declaration.__annotations__[key])
    return str(value)


def _fields(declaration: type) -> list[str]:
    return list(declaration.__annotations__)


def test_every_declaration_carries_its_own_name() -> None:
    # FRAMES / EVENTS are what everything else here enumerates: each key must be its
    # declaration's `type` / `kind`, and the unions the code is checked against must hold
    # exactly these declarations.
    assert len(wire.FRAMES) >= 50 and len(wire.EVENTS) >= 15
    assert {name: _literal(d, "type") for name, d in wire.FRAMES.items()} == {
        name: name for name in wire.FRAMES
    }
    assert {name: _literal(d, "kind") for name, d in wire.EVENTS.items()} == {
        name: name for name in wire.EVENTS
    }
    assert set(typing.get_args(wire.OutgoingFrame)) == set(wire.FRAMES.values())
    assert set(typing.get_args(wire.BrokerEvent)) == set(wire.EVENTS.values())


def _frame_places(name: str) -> str:
    """Where the doc shows a server frame: a section headed by it or with a JSON example of it,
    and every line that names it (the tables: `handed_over` `{conversation_id, to_staff_id}`)."""
    example = f'"type": "{name}"'
    sections = [s for s in _sections() if example in s or s.startswith(f"`{name}`")]
    lines = [line for line in DOC.splitlines() if f"`{name}`" in line]
    return "\n".join(sections + lines)


# A field shown as `field`, as "field" (JSON, or listed: {"type": "ack", "seq"}) or in braces.
FIELD_NAMES = (BACKTICKED, re.compile(r'"([a-z_]+)"'), re.compile(r"[{,]\s*([a-z_]+)\b"))


def test_every_declared_frame_is_documented_with_each_of_its_fields() -> None:
    problems = []
    for name, declaration in sorted(wire.FRAMES.items()):
        where = _frame_places(name)
        if not where:
            problems.append(f"{name} (not named)")
            continue
        named = {field for pattern in FIELD_NAMES for field in pattern.findall(where)}
        problems += [f"{name}.{f}" for f in _fields(declaration) if f != "type" and f not in named]
    assert not problems, f"server frames or fields missing from docs/protocol.md: {problems}"


def _module_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)


def _value(node: ast.expr, module: object) -> str | None:
    """A dict value that names a frame or an event: a string, or a module-level constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        found = getattr(module, node.id, None)
        return found if isinstance(found, str) else None
    return None


def _dict_values(path: Path, key: str) -> list[str | None]:
    """The value of `key` in every dict literal of the file that has it."""
    module = importlib.import_module(_module_of(path))
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == key:
                    found.append(_value(v, module))
    return found


def _sent_frames() -> dict[str, str]:
    sent: dict[str, str] = {}
    for path in SOURCES:
        if path.name in ("frames.py", "wire.py"):
            continue  # declarations and client frames, not frames being sent
        for name in _dict_values(path, "type"):
            assert name is not None, f"a frame whose type this test cannot read in {path.name}"
            sent.setdefault(name, path.name)
    return sent


def test_every_frame_sent_is_declared_and_every_declared_frame_is_sent() -> None:
    sent = _sent_frames()
    undeclared = sorted(
        f"{name} ({where})" for name, where in sent.items() if name not in wire.FRAMES
    )
    assert not undeclared, f"frames sent but not declared in realtime/wire.py: {undeclared}"
    unsent = sorted(set(wire.FRAMES) - set(sent))
    assert not unsent, f"frames declared in realtime/wire.py that nothing sends: {unsent}"


def _published_kinds() -> list[tuple[str | None, str]]:
    """The `kind` of every event literal handed to a broker: `….publish({"kind": …})`, or
    built as a declared event (`event: wire.X = {"kind": …}`) first."""
    found = []
    for path in sorted((ROOT / "src" / "baken").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "publish(" not in text:
            continue
        module = importlib.import_module(_module_of(path))
        for node in ast.walk(ast.parse(text)):
            literal: ast.expr | None = None
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "publish"
                and node.args
            ):
                literal = node.args[0]
            elif isinstance(node, ast.AnnAssign) and "wire." in ast.unparse(node.annotation):
                literal = node.value
            if not isinstance(literal, ast.Dict):
                continue
            for k, v in zip(literal.keys, literal.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == "kind":
                    found.append((_value(v, module), path.name))
    return found


def test_every_broker_event_published_is_declared() -> None:
    published = _published_kinds()
    kinds = {kind for kind, _where in published}
    # Guards the scan itself: these are published in a few different ways.
    assert {"message_committed", "conversation", "typing", "staff_status", "note"} <= kinds
    undeclared = sorted({f"{k} ({where})" for k, where in published if k not in wire.EVENTS})
    assert not undeclared, f"broker events published but not declared in wire.py: {undeclared}"
