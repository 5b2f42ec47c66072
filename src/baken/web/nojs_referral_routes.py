"""The referral card in the chat without JavaScript (issue 17, item 2; docs/referrals.md).

The chat page shows each proposal waiting for the visitor's answer as a form: one button per
choice, and for a warm hand-off the boxes of what may be shared. POST /chat/referral answers it
through the same ChatService path as the socket's `referral_answer`; the conversation is always
the one behind the visitor's own cookie, never one named in the form.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from baken.i18n import translations
from baken.realtime.frames import FrameError
from baken.referrals.model import SCOPE_ITEMS
from baken.web.guards import SameOriginVisitor
from baken.web.nojs_chat_routes import _ended_page, _own_conversation, _page, pending_cards
from baken.web.pages import error_page
from baken.web.services import services_of

REFERRAL_PATH = "/chat/referral"


async def answer_form(request: Request, _origin: SameOriginVisitor) -> Response:
    """POST /chat/referral: `referral_id`, `answer` (the button pressed), `scope_<item>` boxes."""
    from baken.web.visitor_forms import posted_form

    posted = await posted_form(request)
    if isinstance(posted, Response):
        return posted
    form, lang = posted
    _ = translations(lang).gettext
    record = await _own_conversation(request)
    if record is None:
        return _ended_page(request, lang, 409, None)
    referral_id, answer = form.get("referral_id", ""), form.get("answer", "")
    if not referral_id or not answer:
        return error_page(lang, 400)
    scope = (
        [item for item in SCOPE_ITEMS if form.get(f"scope_{item}")] if answer == "handoff" else []
    )
    try:
        await services_of(request.app).chat.referrals.answer(record.id, referral_id, answer, scope)
    except FrameError as exc:
        notice = (
            _("This suggestion can no longer be answered.")
            if exc.code == "referral_closed"
            else _("Something went wrong. Please try again.")
        )
        status = 409 if exc.code == "referral_closed" else 400
        cards = await pending_cards(request, record)
        return _page(request, lang, record, status=status, notice=notice, referral_cards=cards)
    cards = await pending_cards(request, record)
    return _page(
        request,
        lang,
        record,
        notice=_("Thank you. Your choice has been saved."),
        referral_cards=cards,
    )
