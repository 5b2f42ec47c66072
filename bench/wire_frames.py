"""What one outgoing `message` frame costs to build and encode, declared three ways (issue 13,
item 3; docs/architecture.md, "Typed wire"): a `TypedDict` (realtime/wire.py: at run time a plain
dict, then orjson), a pydantic model (validated, then `model_dump_json`), and a msgspec `Struct`
(only when msgspec can be imported: it is not a dependency of Baken; to measure it, install it
somewhere apart and pass that folder with `--msgspec-path`).

The variants run interleaved, round after round, and each reports its fastest round: on a busy
machine that is the figure least disturbed by other processes.

    .venv/bin/python bench/wire_frames.py [--rounds 40] [--msgspec-path /tmp/msgspec_pkg]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import timeit
from collections.abc import Callable
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from baken.realtime import wire

TEXT = "Ik weet niet of ik dit mag zeggen, maar ik moet elke dag werken en krijg geen geld."
SENT_AT = "2026-12-06T17:00:00.000Z"
PER_ROUND = 20_000


def typed_dict() -> str:
    frame: wire.Message = {
        "type": "message",
        "conversation_id": "c_0123456789abcdef",
        "message": {
            "seq": 7,
            "sender": "visitor",
            "name": None,
            "text": TEXT,
            "event": None,
            "sent_at": SENT_AT,
            "client_msg_id": None,
        },
    }
    return wire.encode(frame)


class _MessageView(BaseModel):
    seq: int
    sender: str
    name: str | None
    text: str
    event: str | None
    sent_at: str
    client_msg_id: str | None


class _MessageFrame(BaseModel):
    type: Literal["message"]
    conversation_id: str
    message: _MessageView


def pydantic_model() -> str:
    view = _MessageView(
        seq=7,
        sender="visitor",
        name=None,
        text=TEXT,
        event=None,
        sent_at=SENT_AT,
        client_msg_id=None,
    )
    return _MessageFrame(
        type="message", conversation_id="c_0123456789abcdef", message=view
    ).model_dump_json()


def msgspec_variant() -> Callable[[], str] | None:
    try:
        msgspec: Any = importlib.import_module("msgspec")
    except ImportError:
        return None

    class View(msgspec.Struct):  # type: ignore[misc]
        seq: int
        sender: str
        name: str | None
        text: str
        event: str | None
        sent_at: str
        client_msg_id: str | None

    class Frame(msgspec.Struct, tag_field="type", tag="message"):  # type: ignore[misc,call-arg]
        conversation_id: str
        message: View

    encoder = msgspec.json.Encoder()

    def build() -> str:
        view = View(7, "visitor", None, TEXT, None, SENT_AT, None)
        return str(encoder.encode(Frame("c_0123456789abcdef", view)).decode())

    return build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--msgspec-path", help="a folder holding msgspec (pip install --target …)")
    args = ap.parse_args()
    if args.msgspec_path:
        sys.path.append(args.msgspec_path)
    variants: dict[str, Callable[[], str]] = {
        "TypedDict (a dict) + orjson": typed_dict,
        "pydantic model + model_dump_json": pydantic_model,
    }
    msgspec_build = msgspec_variant()
    if msgspec_build is not None:
        variants["msgspec Struct + msgspec.json"] = msgspec_build
    # All of them write the same JSON: the comparison is of equals.
    assert len({orjson.dumps(orjson.loads(build())) for build in variants.values()}) == 1
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(args.rounds):
        for name, build in variants.items():
            best[name] = min(best[name], timeit.timeit(build, number=PER_ROUND) / PER_ROUND)
    for name, seconds in best.items():
        print(f"{name:36s} {seconds * 1e6:6.2f} µs per frame")
    if msgspec_build is None:
        print("(msgspec not importable: not measured)")


if __name__ == "__main__":
    main()
