"""The risk-ranked queue in Chromium (issue 19, item 3; docs/signals.md): a waiting visitor who is
moved back reads a calm note (no reason, no words), and the console says why an entry is ahead."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import People, open_console, start_chat, t
from tests.support import Server, counselor, run_async, visitor

pytestmark = pytest.mark.browser

ACUTE = "de baas heeft mijn paspoort en hij staat nu voor de deur"
MOVED = (
    "Someone went ahead of you, for example because they are in danger. "
    "You stay in line; we have not forgotten you."
)


def _write_first_message(server: Server, conversation_id: str, token: str) -> None:
    async def send() -> None:
        v = await visitor(server, token)
        await v.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": "b1",
                "text": ACUTE,
            }
        )
        await v.expect("ack", client_msg_id="b1")
        await v.close()

    run_async(send())


def test_a_visitor_moved_back_is_told_calmly_and_staff_see_why(
    baken: Server, people: People
) -> None:
    calm = people.visitor().new_page()
    start_chat(calm, baken, "rustig")
    position = calm.locator("#queue-position")
    moved = calm.locator("#queue-moved")
    expect(position).to_have_text(t("nl", "You are next in line."))
    expect(moved).to_be_hidden()

    console = open_console(people.counselor(), baken)
    items = console.locator("#queue-list li")
    expect(items).to_have_count(1)

    later, later_token = baken.start_visitor("later")
    _write_first_message(baken, later, later_token)

    # The later visitor with possible acute danger is placed first; the console says why.
    expect(items.nth(0)).to_have_attribute("data-id", later)
    why = items.nth(0).locator(".queue-item__why")
    expect(why).to_have_text(
        t(
            "nl",
            "Placed ahead: {reasons}",
            reasons=", ".join(
                [
                    t("nl", "possible acute danger in the first message"),
                    t("nl", "possible signals in the first message"),
                ]
            ),
        )
    )
    expect(items.nth(1).locator(".queue-item__why")).to_be_hidden()
    # Not marked as "in danger now": the visitor did not say so.
    expect(items.nth(0).locator(".queue-item__urgent")).to_be_hidden()
    expect(console.get_by_text(t("nl", "How the queue is ordered"))).to_be_visible()

    # The calm visitor sees the honest number and the calm note, never the other's words.
    expect(position).to_have_text(t("nl", "You are number {n} in line.", n=2))
    expect(moved).to_be_visible()
    expect(moved).to_have_text(t("nl", MOVED))
    assert ACUTE not in calm.content()

    # The line moves forward again: the note goes.
    _sid, token = baken.add_staff()

    async def take_next() -> str:
        c = await counselor(baken, token)
        await c.send({"type": "take_next"})
        taken = str((await c.expect("accepted"))["conversation_id"])
        await c.close()
        return taken

    assert run_async(take_next()) == later
    expect(position).to_have_text(t("nl", "You are next in line."))
    expect(moved).to_be_hidden()
    assert not people.script_errors
