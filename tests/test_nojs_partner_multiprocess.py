"""The no-JavaScript "no" to a partner professional on two processes (issue 17, item 3): the
visitor's form is answered by process A, the partner is connected to process B; their access ends
there at once (PostgreSQL + Redis, like tests/test_partner_access_multiprocess.py)."""

from __future__ import annotations

import secrets

import httpx

from baken.domain.conversation import Role
from baken.partners.consent import HandoffConsent
from tests import test_partner_access_multiprocess as multiprocess
from tests.support import (
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    invite_partner_and_join,
)
from tests.test_counselor_tools import got
from tests.test_partner_access import Handoffs, access_row

# The two processes and their shared table of consents.
processes = multiprocess.processes
handoffs = multiprocess.handoffs


async def test_a_no_on_one_process_ends_the_partners_access_on_the_other(
    processes: tuple[Server, Server, str], handoffs: Handoffs
) -> None:
    a, b, _channel = processes
    conversation_id, visitor_token = a.start_visitor("bezoeker")
    _sid, staff_token = a.add_staff(display_name="Anna")
    c = await counselor(a, staff_token)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted", conversation_id=conversation_id)
    _slug, partner_org = add_organisation(a, "fier", "Fier")
    partner_id, partner_token = add_staff_with_role(
        a, Role.PARTNER, display_name="Sanne (Fier)", organisation_id=partner_org
    )
    referral_id, service_id = secrets.token_hex(16), "svc-" + secrets.token_hex(4)
    handoffs.consents[referral_id] = HandoffConsent(
        referral_id, conversation_id, "org_default", frozenset(), handoffs.now[0], service_id
    )
    handoffs.partners[service_id] = partner_org
    p = await counselor(b, partner_token)  # the partner is on the other process
    await p.expect("partner_invitations")
    access_id = await invite_partner_and_join(c, p, conversation_id, referral_id, partner_id)

    said_no = httpx.post(
        a.base + "/chat/partner/refuse",
        data={"lang": "nl"},
        headers={"Origin": a.origin, "Cookie": f"__Host-baken_v={visitor_token}"},
        follow_redirects=False,
        timeout=20,
    )
    assert (said_no.status_code, said_no.headers["location"]) == (
        303,
        "/chat?lang=nl&partner=refused",
    )
    await got(p, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    await got(c, "partner_access_ended", access_id=access_id, reason="visitor_refused")
    msg = {"type": "send", "conversation_id": conversation_id, "client_msg_id": "p9", "text": "x"}
    await p.send(msg)
    assert (await p.expect("error", ref="p9"))["code"] == "not_a_participant"
    assert access_row(b, access_id)["ended_reason"] == "visitor_refused"
