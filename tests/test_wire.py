"""Broker events by declared kind (realtime/wire.py, issue 13, item 3): a handler registered with
`broker.on(Declaration, handler)` gets exactly the events of that kind, local or from another
process; whole-stream listeners still get everything; the order of registration is kept; and each
committed message is published once, as `message_committed`, and reaches other processes as the
same `message` they always got."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from baken.domain.conversation import Sender
from baken.realtime import wire
from baken.realtime.broker import Broker, InProcessBroker
from baken.realtime.live import Live
from baken.realtime.redis_broker import RedisBroker, wire_form
from baken.store.records import StoredMessage


def _message(seq: int) -> StoredMessage:
    return StoredMessage(
        conversation_id="c_one",
        seq=seq,
        author="v",
        sender=Sender.VISITOR,
        staff_id=None,
        name=None,
        client_msg_id=f"m-{seq}",
        event=None,
        text="hallo",
        sent_at_ms=1_764_000_000_000 + seq,
    )


def _status(staff_id: str) -> wire.StatusChanged:
    text_free: wire.StatusWire = {
        "staff_id": staff_id,
        "organisation_id": "org",
        "status": "busy",
        "until": None,
    }
    return {"kind": "staff_status", **text_free, "wire": text_free}


def _brokers() -> list[Broker]:
    # The Redis broker is never started here: its local dispatch needs no Redis.
    return [InProcessBroker(), RedisBroker("redis://127.0.0.1:1/0", "test-wire")]


@pytest.mark.parametrize("broker", _brokers(), ids=["in-process", "redis"])
def test_a_handler_gets_only_its_kind_and_listeners_keep_their_order(broker: Broker) -> None:
    heard: list[str] = []
    broker.on(wire.StatusChanged, lambda e: heard.append(f"status-a:{e['staff_id']}"))
    broker.subscribe(lambda e: heard.append(f"all:{e['kind']}"))
    broker.on(wire.CapacityChanged, lambda e: heard.append(f"capacity:{e['max_chats']}"))
    broker.on(wire.StatusChanged, lambda e: heard.append(f"status-b:{e['staff_id']}"))

    broker.publish(_status("s1"))
    broker.publish({"kind": "resync"})  # nobody registered for it: only the whole stream
    capacity: wire.CapacityWire = {"staff_id": "s1", "organisation_id": "org", "max_chats": 4}
    broker.publish({"kind": "staff_capacity", **capacity, "wire": capacity})

    assert heard == [
        "status-a:s1",
        "all:staff_status",
        "status-b:s1",
        "all:resync",
        "all:staff_capacity",
        "capacity:4",
    ]


def test_events_from_another_process_reach_the_handlers_of_their_kind() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0", "test-wire")
    statuses: list[Any] = []
    peer_messages: list[Any] = []
    committed: list[Any] = []
    broker.on(wire.StatusChanged, statuses.append)
    broker.on(wire.PeerMessage, peer_messages.append)
    broker.on(wire.MessageCommitted, committed.append)
    batch = [
        {"kind": "staff_status", "staff_id": "s2", "organisation_id": "org", "status": "busy",
         "until": None, "origin": "elsewhere"},
        {"kind": "message", "conversation_id": "c_one", "seq": 3, "origin": "elsewhere"},
        {"kind": "no_such_kind", "origin": "elsewhere"},  # a newer process: ignored, no error
        {"origin": "elsewhere"},  # no kind at all
    ]  # fmt: skip
    broker._receive(orjson.dumps(batch))
    assert [e["staff_id"] for e in statuses] == ["s2"]
    assert [e["seq"] for e in peer_messages] == [3]
    assert committed == []  # only the process that stored a message hears `message_committed`


def test_each_committed_message_is_published_once_and_goes_to_peers_as_before() -> None:
    broker = InProcessBroker()
    everything: list[Any] = []
    committed: list[wire.MessageCommitted] = []
    broker.subscribe(everything.append)
    broker.on(wire.MessageCommitted, committed.append)
    live = Live(None, None, broker, None, None, None, None)  # type: ignore[arg-type]

    live.committed([_message(1), _message(2)])

    assert [e["message"].seq for e in committed] == [1, 2]
    assert everything == committed  # one event per message, nothing else
    assert [wire_form(e) for e in committed] == [
        {"kind": "message", "conversation_id": "c_one", "seq": 1},
        {"kind": "message", "conversation_id": "c_one", "seq": 2},
    ]


def test_every_event_goes_to_peers_without_its_objects() -> None:
    # The objects a local handler gets (a note, a record, a message) never go to Redis: each
    # event's peer form is JSON of ids and codes only.
    status = _status("s3")
    assert wire_form(status) == {
        "kind": "staff_status",
        "staff_id": "s3",
        "organisation_id": "org",
        "status": "busy",
        "until": None,
    }
    assert wire_form({"kind": "resync"}) == {"kind": "resync"}
    assert wire_form({"kind": "message", "conversation_id": "c", "seq": 1}) is None
    assert wire_form({"kind": "conversation", "conversation_id": "c"}) is None
