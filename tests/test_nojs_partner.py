"""Warm hand-off in the chat without JavaScript (issue 17, item 3), on SQLite and PostgreSQL: the
visitor's one-tap "no" from the transcript frame (POST /chat/partner/refuse) ends the partner's
access through the same step as the socket's ``partner_refuse``, audited the same way; a refusal
aimed at someone else's chat touches nothing and reads like one with nothing to refuse."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass

import httpx

from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent
from baken.store.staff_repo import DEFAULT_ORGANISATION
from tests import test_partner_access
from tests.browser_support import t
from tests.support import (
    Client,
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    invite_partner_and_join,
)
from tests.test_counselor_tools import got
from tests.test_partner_access import Handoffs, access_row, audited

REFUSE_PATH = "/chat/partner/refuse"
# The partner tests' fixture: the referral's consent and the partner organisation, as set here.
handoffs = test_partner_access.handoffs


@dataclass
class NojsScene:
    conversation_id: str
    visitor_token: str
    counselor: Client
    partner: Client
    partner_id: str
    access_id: str


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_v={token}"}


def _get(server: Server, path: str, token: str) -> httpx.Response:
    return httpx.get(server.base + path, headers=_cookie(token), timeout=20)


def _post(
    server: Server, path: str, token: str, form: dict[str, str], origin: str | None = None
) -> httpx.Response:
    headers = {"Origin": origin or server.origin, **_cookie(token)}
    return httpx.post(
        server.base + path, data=form, headers=headers, follow_redirects=False, timeout=20
    )


async def nojs_scene(server: Server, handoffs: Handoffs) -> NojsScene:
    """A visitor without JavaScript (a cookie, no socket) in a chat with a counselor; a partner
    professional invited on a referral the visitor consented to, and joined."""
    conversation_id, token = server.start_visitor("bezoeker")
    _staff_id, staff_token = server.add_staff(display_name="Anna")
    c = await counselor(server, staff_token)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    _slug, partner_org = add_organisation(server, "fier", "Fier")
    partner_id, partner_token = add_staff_with_role(
        server, Role.PARTNER, display_name="Sanne (Fier)", organisation_id=partner_org
    )
    referral_id, service_id = secrets.token_hex(16), "svc-" + secrets.token_hex(4)
    handoffs.consents[referral_id] = HandoffConsent(
        referral_id,
        conversation_id,
        DEFAULT_ORGANISATION,
        frozenset({"first_name"}),
        handoffs.now[0],
        service_id,
    )
    handoffs.partners[service_id] = partner_org
    p = await counselor(server, partner_token)
    await p.expect("partner_invitations")
    access_id = await invite_partner_and_join(c, p, conversation_id, referral_id, partner_id)
    return NojsScene(conversation_id, token, c, p, partner_id, access_id)


async def _partner_may_send(s: NojsScene, msg_id: str) -> bool:
    await s.partner.send(
        {"type": "send", "conversation_id": s.conversation_id, "client_msg_id": msg_id, "text": "x"}
    )
    answer = await s.partner.seen(
        lambda f: f.get("client_msg_id") == msg_id or f.get("ref") == msg_id
    )
    if answer["type"] == "error":
        assert answer["code"] == "not_a_participant"
        return False
    return True


async def test_a_visitor_without_javascript_says_no_to_the_partner(
    server: Server, handoffs: Handoffs
) -> None:
    s = await nojs_scene(server, handoffs)
    access_id = s.access_id
    log = _get(server, "/chat/log?lang=nl", s.visitor_token)
    assert log.status_code == 200
    button = t("nl", "I do not want this person in the chat")
    assert 'id="nojs-partner-refuse"' in log.text and button in html.unescape(log.text)
    assert re.search(r'action="/chat/partner/refuse" target="_top"', log.text)

    # From another site: refused before anything happens.
    evil = _post(server, REFUSE_PATH, s.visitor_token, {"lang": "nl"}, "http://evil.example")
    assert evil.status_code == 403
    assert await _partner_may_send(s, "p-before")

    # The visitor taps "no": Post/Redirect/Get back to the chat, which says so calmly.
    said_no = _post(server, REFUSE_PATH, s.visitor_token, {"lang": "nl"})
    assert said_no.status_code == 303
    assert said_no.headers["location"] == "/chat?lang=nl&partner=refused"
    await got(s.partner, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    await got(s.counselor, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    assert not await _partner_may_send(s, "p-after")
    assert access_row(server, access_id)["ended_reason"] == "visitor_refused"
    # Audited exactly as the socket's refusal: the same step ends it.
    assert audited(server, access_id)[-1] == ("partner.end", "reason=visitor_refused")

    page = _get(server, "/chat?lang=nl&partner=refused", s.visitor_token)
    notice = t(
        "nl", "You said no. This person is no longer in the chat. Your counselor stays with you."
    )
    assert page.status_code == 200 and notice in html.unescape(page.text)
    after = html.unescape(_get(server, "/chat/log?lang=nl", s.visitor_token).text)
    assert 'id="nojs-partner-refuse"' not in after
    assert t("nl", "{name} has left the chat.", name="Sanne (Fier)") in after
    # Saying no again (a second tap, a resent form) is the same calm answer, nothing more.
    again = _post(server, REFUSE_PATH, s.visitor_token, {"lang": "nl"})
    assert (again.status_code, again.headers["location"]) == (303, said_no.headers["location"])
    assert [k for k, _d in audited(server, access_id)].count("partner.end") == 1


async def test_a_refusal_for_someone_elses_chat_changes_nothing(
    server: Server, handoffs: Handoffs
) -> None:
    s = await nojs_scene(server, handoffs)
    access_id = s.access_id
    _other, other_token = server.start_visitor("ander")
    # Another visitor names this chat (the form takes no such field: the cookie decides) ...
    forged = _post(
        server, REFUSE_PATH, other_token, {"lang": "nl", "conversation_id": s.conversation_id}
    )
    # ... and gets exactly what a refusal with nothing to refuse gets.
    nothing = _post(server, REFUSE_PATH, other_token, {"lang": "nl"})
    assert (forged.status_code, forged.headers["location"]) == (
        nothing.status_code,
        nothing.headers["location"],
    )
    assert forged.text == nothing.text
    # Without a chat at all: the ended page, nothing done.
    anonymous = httpx.post(
        server.base + REFUSE_PATH,
        data={"lang": "nl"},
        headers={"Origin": server.origin},
        follow_redirects=False,
        timeout=20,
    )
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/chat?lang=nl")
    # The partner is still in this chat, and nothing was recorded.
    assert await _partner_may_send(s, "p-still")
    assert access_row(server, access_id)["ended_at"] is None
    assert [k for k, _d in audited(server, access_id)] == ["partner.invite", "partner.join"]


# --- issue 17: the partner's mailbox message under the partner organisation's name -------------


async def _leave_both(s: NojsScene, round_: int) -> None:
    """The counselor (the helpline) and the partner each leave one mailbox message."""
    await s.counselor.send(
        {
            "type": "mailbox_send",
            "conversation_id": s.conversation_id,
            "text": f"Hulplijn {round_}",
        }
    )
    # One after the other: each round adds two to the mailbox (seq 2n-1 and 2n).
    await got(s.counselor, "mailbox_sent", conversation_id=s.conversation_id, seq=2 * round_ - 1)
    await s.partner.send(
        {
            "type": "partner_mailbox_send",
            "access_id": s.access_id,
            "text": f"Afspraak {round_} dinsdag 10:00",
        }
    )
    await got(s.partner, "partner_mailbox_sent", access_id=s.access_id, seq=2 * round_)


def _items(page: str, list_id: str) -> list[str]:
    block = re.search(rf'<ul id="{list_id}"[^>]*>(.*?)</ul>', page, re.S)
    assert block, list_id
    items = re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


async def test_the_partners_mailbox_message_comes_from_the_partner_organisation(
    server: Server, handoffs: Handoffs
) -> None:
    s = await nojs_scene(server, handoffs)
    from tests.support import visitor as visitor_socket

    v = await visitor_socket(server, s.visitor_token)
    await v.send({"type": "request_code", "conversation_id": s.conversation_id})
    code = str((await v.expect("return_code"))["code"])
    await v.close()
    origin = {"Origin": server.origin}

    # With JavaScript: the return API names the partner organisation (never the person).
    await _leave_both(s, 1)
    back = httpx.post(
        f"{server.base}/api/visitor/return", json={"code": code, "lang": "nl"}, headers=origin
    )
    assert back.status_code == 200, back.text
    shown = [(m["text"], m["partner"]) for m in back.json()["mailbox"]]
    assert shown == [("Hulplijn 1", None), ("Afspraak 1 dinsdag 10:00", "Fier")]
    assert "Sanne" not in back.text

    # Without JavaScript: the return form's page, in the visitor's language.
    await _leave_both(s, 2)
    form = httpx.post(
        f"{server.base}/return", data={"code": code, "lang": "pl"}, headers=origin, timeout=20
    )
    assert form.status_code == 200, form.text
    assert _items(form.text, "followup-list") == [
        f"{t('pl', 'From the helpline')}: Hulplijn 2",
        f"{t('pl', 'From {name}', name='Fier')}: Afspraak 2 dinsdag 10:00",
    ]
    assert "Sanne" not in form.text

    # Reading the answers on the closed page: as JSON, and as its form without JavaScript.
    await _leave_both(s, 3)
    read = httpx.post(
        f"{server.base}/api/visitor/mailbox", json={"code": code}, headers=origin, timeout=20
    )
    assert read.status_code == 200, read.text
    assert [(m["text"], m["partner"]) for m in read.json()["messages"]] == [
        ("Hulplijn 3", None),
        ("Afspraak 3 dinsdag 10:00", "Fier"),
    ]
    await _leave_both(s, 4)
    answers = httpx.post(
        f"{server.base}/closed/answers",
        data={"code": code, "lang": "ar"},
        headers=origin,
        timeout=20,
    )
    assert answers.status_code == 200, answers.text
    assert _items(answers.text, "read-answer-list") == [
        "Hulplijn 4",
        f"{t('ar', 'From {name}', name='Fier')}: Afspraak 4 dinsdag 10:00",
    ]
    assert "Sanne" not in answers.text


async def test_the_counselor_and_the_partner_may_write_to_the_mailbox_at_once(
    server: Server, handoffs: Handoffs
) -> None:
    """Both mailbox messages are stored, with their own numbers, when they arrive together (on
    PostgreSQL two transactions can read the same last number: the second takes the next)."""
    s = await nojs_scene(server, handoffs)
    from tests.support import visitor as visitor_socket

    v = await visitor_socket(server, s.visitor_token)
    await v.send({"type": "request_code", "conversation_id": s.conversation_id})
    code = str((await v.expect("return_code"))["code"])
    await v.close()
    rounds = 4
    for n in range(rounds):
        await s.counselor.send(
            {"type": "mailbox_send", "conversation_id": s.conversation_id, "text": f"H{n}"}
        )
        await s.partner.send(
            {"type": "partner_mailbox_send", "access_id": s.access_id, "text": f"P{n}"}
        )
    seqs: set[int] = set()
    for client, kind in ((s.counselor, "mailbox_sent"), (s.partner, "partner_mailbox_sent")):
        for _ in range(rounds):
            seqs.add(int((await client.expect(kind))["seq"]))
    assert seqs == set(range(1, 2 * rounds + 1))
    back = httpx.post(
        f"{server.base}/api/visitor/return",
        json={"code": code, "lang": "nl"},
        headers={"Origin": server.origin},
    )
    mailbox = back.json()["mailbox"]
    assert sorted(m["text"] for m in mailbox) == sorted(
        [f"H{n}" for n in range(rounds)] + [f"P{n}" for n in range(rounds)]
    )
    assert {m["text"][0]: m["partner"] for m in mailbox} == {"H": None, "P": "Fier"}
