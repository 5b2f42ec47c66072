"""Anonymous signals to the police (issue 17, item 4; docs/police-signals.md): the identity checks,
the four-eyes rule, object-level access, and the signed export — whose JSON and PDF must not hold
the visitor's code, nickname or words — on SQLite and PostgreSQL, over HTTP and the command line.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from baken.cli import app
from baken.domain.conversation import Role
from baken.domain.return_code import wordlist
from baken.police_signals import workflow
from baken.police_signals.checks import VisitorTraces, check, code_candidates, words
from baken.police_signals.fields import FieldError, SignalFields, parse
from baken.police_signals.signing import load_public_pem, verify
from tests.support import (
    Server,
    add_organisation,
    add_staff_with_role,
    counselor,
    row_counts,
    visitor,
)

NICKNAME = "Marisol"
# Eight or more words the visitor writes; a draft copying them word for word is refused.
VISITOR_TEXT = (
    "ze houden mijn paspoort vast in het huis aan de haven bij de oude loods "
    "mijn mailadres is marisol.vlinder@example.org en mijn nummer 06-98765432"
)
CLEAN: dict[str, Any] = {
    "what": "Meerdere vrouwen werken onder dwang in een woning; de daders nemen paspoorten in.",
    "place": "Woning bij een loods",
    "city": "Rotterdam",
    "region": "Zuid-Holland",
    "when_from": "2026-10-01",
    "when_to": "2026-11-30",
    "when_text": "sinds het najaar",
    "exploitation_types": ["sexual", "labour"],
    "perpetrators": "Twee mannen, rond de 40, een met een tatoeage op de nek.",
    "vehicles": "Witte bestelbus",
    "phones": "+31 6 11122233",
    "online_handles": "@dader_voorbeeld",
}

# --- the rules, without a server ---------------------------------------------------------------


def test_parse_refuses_bad_fields_by_name() -> None:
    with pytest.raises(FieldError) as missing:
        parse({"what": "  "})
    assert (missing.value.field, missing.value.code) == ("what", "required")
    with pytest.raises(FieldError) as date:
        parse({"what": "x", "when_from": "31-12-2026"})
    assert date.value.field == "when_from"
    with pytest.raises(FieldError) as order:
        parse({"what": "x", "when_from": "2026-05-02", "when_to": "2026-05-01"})
    assert order.value.field == "when_to"
    with pytest.raises(FieldError) as kind:
        parse({"what": "x", "exploitation_types": ["organ_removal"]})
    assert kind.value.field == "exploitation_types"
    with pytest.raises(FieldError) as long:
        parse({"what": "x" * 4001})
    assert long.value.code == "too_long"
    with pytest.raises(FieldError) as unknown:
        parse({"what": "x", "visitor_name": "A"})
    assert unknown.value.code == "unknown_field"
    assert parse(CLEAN).exploitation_types == ("sexual", "labour")


def test_the_checks_find_code_nickname_verbatim_and_contact() -> None:
    code = " ".join(wordlist("nl")[1:7])
    traces = VisitorTraces(nickname="Marisol", messages=(VISITOR_TEXT,))

    def is_code(candidate: str) -> bool:
        return candidate == code

    clean = check(parse(CLEAN), traces, is_code)
    assert clean.ok and clean.warnings == []
    cases = {
        "return_code": SignalFields(what="De code is " + "-".join(code.upper().split()) + "."),
        "nickname": SignalFields(what="Het meisje heet marisol en werkt daar."),
        "verbatim": SignalFields(
            what="Zij zei: ze houden mijn paspoort vast in het huis aan de haven"
        ),
        "contact": SignalFields(what="Bereikbaar op 0698765432."),
    }
    for reason, fields in cases.items():
        result = check(fields, traces, is_code)
        assert [(f.field, f.reason) for f in result.refusals] == [("what", reason)], reason
    # Seven identical words in a row are the counselor's own summary, not a quote.
    seven = check(SignalFields(what="ze houden mijn paspoort vast in het"), traces, is_code)
    assert seven.ok
    # In the field for perpetrators' numbers a number the visitor typed is a warning only.
    number = check(SignalFields(what="x", phones="06 9876 5432"), traces, is_code)
    assert number.ok and [(w.field, w.reason) for w in number.warnings] == [("phones", "contact")]
    # Six code words that are not this visitor's code pass (hashed and compared, not guessed).
    other_code = " ".join(wordlist("nl")[2:8])
    other = check(SignalFields(what=other_code), traces, is_code)
    assert other.ok
    assert code in code_candidates(f"x {code}, y")


def test_the_workflow_wants_a_second_pair_of_eyes() -> None:
    with pytest.raises(workflow.Refused) as own:
        workflow.check_decide(Role.SUPERVISOR, "s1", "s1", workflow.Status.SUBMITTED)
    assert own.value.code == "own_signal"
    with pytest.raises(workflow.Refused) as counselor_role:
        workflow.check_decide(Role.COUNSELOR, "c2", "c1", workflow.Status.SUBMITTED)
    assert counselor_role.value.code == "not_approver"
    workflow.check_decide(Role.ADMIN, "a1", "s1", workflow.Status.SUBMITTED)
    with pytest.raises(workflow.Refused):
        workflow.check_export(Role.SUPERVISOR, workflow.Status.SUBMITTED)
    assert not workflow.may_see(Role.RESEARCHER, "r1", "r1")
    assert not workflow.may_see(Role.COUNSELOR, "c2", "c1")


# --- on a real server ------------------------------------------------------------------------


def _headers(token: str) -> dict[str, str]:
    return {"Cookie": f"__Host-baken_s={token}"}


def _post(server: Server, token: str, path: str, data: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        server.base + path,
        data=data,
        headers={**_headers(token), "Origin": server.origin},
        follow_redirects=False,
        timeout=30,
    )


def _get(server: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(server.base + path, headers=_headers(token), timeout=30)


def _signal_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.search(r"/staff/police-signals/(ps_[\w-]+)", response.headers["location"])
    assert found is not None
    return found.group(1)


async def _chat_with_code(server: Server, counselor_token: str) -> tuple[str, str]:
    """A chat taken by the counselor where the visitor wrote VISITOR_TEXT and got a return code;
    (conversation id, code)."""
    conversation_id, vtoken = server.start_visitor(NICKNAME)
    c = await counselor(server, counselor_token)
    await c.send({"type": "accept", "conversation_id": conversation_id})
    await c.expect("accepted")
    v = await visitor(server, vtoken)
    await v.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": "v1",
            "text": VISITOR_TEXT,
        }
    )
    await c.expect_message(conversation_id, "visitor")
    await v.send({"type": "request_code", "conversation_id": conversation_id})
    code = str((await v.expect("return_code"))["code"])
    await v.ws.close()
    await c.ws.close()
    return conversation_id, code


def _audit_kinds(server: Server, admin_token: str) -> str:
    return _get(server, admin_token, "/staff/audit?lang=en").text


async def test_four_eyes_checks_and_a_clean_signed_export(server: Server, tmp_path: Path) -> None:
    anna_id, anna = add_staff_with_role(server, Role.COUNSELOR, display_name="Anna Verhoef")
    _sup_id, sup = add_staff_with_role(server, Role.SUPERVISOR, display_name="Sanne")
    _admin_id, admin = add_staff_with_role(server, Role.ADMIN, display_name="Bea")
    conversation_id, code = await _chat_with_code(server, anna)
    base = {**CLEAN, "conversation_id": conversation_id}

    assert _get(
        server, anna, f"/staff/police-signals/new?conversation={conversation_id}"
    ).is_success
    before = row_counts(server)["police_signals"]
    refusals = {
        "return_code": {**base, "what": f"Code van de bezoeker: {code.upper()}"},
        "nickname": {**base, "perpetrators": f"Ze noemen haar {NICKNAME} daar."},
        "verbatim": {**base, "place": "het huis aan de haven bij de oude loods mijn"},
    }
    texts = {
        "return_code": "contains the visitor's return code",
        "nickname": "contains the visitor's name",
        "verbatim": "word for word",
    }
    for reason, form in refusals.items():
        refused = _post(server, anna, "/staff/police-signals?lang=en", form)
        assert refused.status_code == 422, reason
        assert texts[reason] in html.unescape(refused.text), reason
        assert 'aria-invalid="true"' in refused.text
    assert row_counts(server)["police_signals"] == before  # nothing half-written

    signal_id = _signal_id(_post(server, anna, "/staff/police-signals?lang=en", base))
    assert _post(server, anna, f"/staff/police-signals/{signal_id}/submit", {}).status_code == 303
    # A counselor cannot approve; the drafter never can.
    own = _post(server, anna, f"/staff/police-signals/{signal_id}/approve?lang=en", {})
    assert own.status_code == 403 and "supervisor or administrator" in own.text
    # Not yet approved: nothing to export.
    early = _get(server, sup, f"/staff/police-signals/{signal_id}/export/json")
    assert early.status_code == 409
    no_reason = _post(server, sup, f"/staff/police-signals/{signal_id}/reject", {"reason": " "})
    assert no_reason.status_code == 400
    rejected = _post(
        server, sup, f"/staff/police-signals/{signal_id}/reject", {"reason": "Plaats te vaag"}
    )
    assert rejected.status_code == 303
    page = _get(server, anna, f"/staff/police-signals/{signal_id}?lang=en")
    assert 'data-status="rejected"' in page.text and "Plaats te vaag" in page.text
    edited = _post(server, anna, f"/staff/police-signals/{signal_id}/edit", base)
    assert edited.status_code == 303
    assert _post(server, anna, f"/staff/police-signals/{signal_id}/submit", {}).status_code == 303
    assert _post(server, sup, f"/staff/police-signals/{signal_id}/approve", {}).status_code == 303
    again = _post(server, admin, f"/staff/police-signals/{signal_id}/approve?lang=en", {})
    assert again.status_code == 409  # approved once, by one colleague

    document = _get(server, sup, f"/staff/police-signals/{signal_id}/export/json")
    assert document.status_code == 200
    signature = _get(server, sup, f"/staff/police-signals/{signal_id}/export/sig").content
    pdf = _get(server, admin, f"/staff/police-signals/{signal_id}/export/pdf")
    assert pdf.content.startswith(b"%PDF")
    key_pem = _get(server, admin, "/staff/police-signals/public-key").content

    content = orjson.loads(document.content)
    assert content["signal_id"] == signal_id and content["organisation"]["id"] == "org_default"
    assert content["signal"]["what"] == CLEAN["what"]
    assert content["drafted_by_role"] == "counselor" and content["approved_by_role"] == "supervisor"
    raw = base64.b64decode(signature)
    public = load_public_pem(key_pem)
    assert verify(public, document.content, raw)
    tampered = document.content.replace(b"Rotterdam", b"Amsterdam")
    assert not verify(public, tampered, raw)

    pdf_path = tmp_path / "signal.pdf"
    pdf_path.write_bytes(pdf.content)
    exported_texts = [document.content.decode()]
    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Rotterdam" in pdf_text and signal_id in pdf_text
        assert content["key_fingerprint"][:14] in pdf_text
        exported_texts.append(pdf_text)
    # The code's words, as whole words (a short word like "draf" is inside "drafted"); a word the
    # counselor typed in the clean draft may of course be one of the list's.
    typed = set(words(" ".join(str(v) for v in CLEAN.values())))
    for text in exported_texts:
        found = words(text)
        assert " ".join(code.split()) not in " ".join(found)
        assert not [w for w in code.split() if w in found and w not in typed], code
    forbidden = [
        NICKNAME,
        conversation_id,
        anna_id,
        "Anna",
        "Verhoef",
        "Sanne",
        "paspoort vast",
        "loods mijn",
        "marisol.vlinder",
        "98765432",
    ]
    for text in exported_texts:
        lowered = text.casefold()
        for word in forbidden:
            assert word.casefold() not in lowered, word

    page = _get(server, anna, f"/staff/police-signals/{signal_id}?lang=en")
    assert 'data-status="exported"' in page.text
    log = _audit_kinds(server, admin)
    for label in (
        "Drafted a police signal",
        "Police signal refused by the check",
        "Submitted a police signal for approval",
        "Rejected a police signal",
        "Approved a police signal",
        "Exported a police signal",
    ):
        assert label in log, label


def test_own_approval_is_refused_and_others_see_nothing(server: Server) -> None:
    _sup_id, sup = add_staff_with_role(server, Role.SUPERVISOR)
    _sup2_id, sup2 = add_staff_with_role(server, Role.SUPERVISOR)
    _c_id, other_counselor = add_staff_with_role(server, Role.COUNSELOR)
    _r_id, researcher = add_staff_with_role(server, Role.RESEARCHER)
    _slug, partner_org = add_organisation(server, "ps", "Andere hulplijn")
    _p_id, partner = add_staff_with_role(server, Role.SUPERVISOR, organisation_id=partner_org)

    signal_id = _signal_id(_post(server, sup, "/staff/police-signals", {"what": "Feiten."}))
    assert _post(server, sup, f"/staff/police-signals/{signal_id}/submit", {}).status_code == 303
    own = _post(server, sup, f"/staff/police-signals/{signal_id}/approve?lang=en", {})
    assert own.status_code == 403
    assert "You drafted this signal" in html.unescape(own.text)
    page = _get(server, sup, f"/staff/police-signals/{signal_id}?lang=en")
    assert 'data-status="submitted"' in page.text and "police-signal-approve" not in page.text

    for token in (partner, other_counselor):
        missing = _get(server, token, "/staff/police-signals/ps_nothing")
        assert missing.status_code == 404
        seen = _get(server, token, f"/staff/police-signals/{signal_id}")
        assert seen.status_code == 404 and seen.text == missing.text
        tried = _post(server, token, f"/staff/police-signals/{signal_id}/approve", {})
        assert tried.status_code == 404
        assert (
            _get(server, token, f"/staff/police-signals/{signal_id}/export/pdf").status_code == 404
        )
    assert signal_id not in _get(server, partner, "/staff/police-signals").text
    assert _get(server, researcher, "/staff/police-signals").status_code == 403
    assert _get(server, researcher, f"/staff/police-signals/{signal_id}").status_code == 403

    assert _post(server, sup2, f"/staff/police-signals/{signal_id}/approve", {}).status_code == 303
    assert _get(server, sup2, f"/staff/police-signals/{signal_id}/export/json").status_code == 200
    # A counselor of the organisation never exports, even a signal they may see.
    assert _get(server, other_counselor, "/staff/police-signals/public-key").status_code == 403


def test_the_command_line_exports_and_verifies(server: Server, tmp_path: Path) -> None:
    """`baken police-signal export/public-key/verify`: the same signed bytes as the console, a
    valid signature, and a changed file that fails."""
    _c, drafter = add_staff_with_role(server, Role.COUNSELOR)
    _a, admin = add_staff_with_role(server, Role.ADMIN)
    signal_id = _signal_id(_post(server, drafter, "/staff/police-signals", CLEAN))
    runner = CliRunner()
    env = {"BAKEN_DATA_DIR": str(server.settings.data_dir)}
    if server.settings.database_url:
        env["BAKEN_DATABASE_URL"] = server.settings.database_url
    out = tmp_path / "out"
    early = runner.invoke(app, ["police-signal", "export", signal_id, "--out", str(out)], env=env)
    assert early.exit_code == 1 and not out.exists()
    assert (
        _post(server, drafter, f"/staff/police-signals/{signal_id}/submit", {}).status_code == 303
    )
    assert _post(server, admin, f"/staff/police-signals/{signal_id}/approve", {}).status_code == 303
    document = _get(server, admin, f"/staff/police-signals/{signal_id}/export/json")
    key_pem = _get(server, admin, "/staff/police-signals/public-key").content
    env = {"BAKEN_DATA_DIR": str(server.settings.data_dir)}
    if server.settings.database_url:
        env["BAKEN_DATABASE_URL"] = server.settings.database_url
    runner = CliRunner()
    out = tmp_path / "out"
    done = runner.invoke(app, ["police-signal", "export", signal_id, "--out", str(out)], env=env)
    assert done.exit_code == 0, done.output
    json_file, sig_file = out / f"{signal_id}.json", out / f"{signal_id}.json.sig"
    assert json_file.read_bytes() == document.content  # the same signed bytes every time
    assert (out / f"{signal_id}.pdf").read_bytes().startswith(b"%PDF")
    key_file = tmp_path / "key.pem"
    shown = runner.invoke(app, ["police-signal", "public-key", "--out", str(key_file)], env=env)
    assert shown.exit_code == 0 and key_file.read_bytes() == key_pem
    ok = runner.invoke(
        app,
        ["police-signal", "verify", str(json_file), str(sig_file), "--key", str(key_file)],
        env=env,
    )
    assert ok.exit_code == 0 and "Valid" in ok.output
    assert (
        runner.invoke(
            app, ["police-signal", "verify", str(json_file), str(sig_file)], env=env
        ).exit_code
        == 0
    )
    json_file.write_bytes(json_file.read_bytes().replace(b"Rotterdam", b"Rotterdan"))
    bad = runner.invoke(
        app,
        ["police-signal", "verify", str(json_file), str(sig_file), "--key", str(key_file)],
        env=env,
    )
    assert bad.exit_code == 1 and "NOT VALID" in bad.output


def _signal_records(server: Server, signal_id: str) -> list[tuple[str, str | None, str | None]]:
    """(kind, actor id, detail) of every audit record about this signal, oldest first."""
    from sqlalchemy import select

    from baken.store import tables
    from baken.store.database import Database
    from tests.authz_world import in_db

    async def read(db: Database) -> list[tuple[str, str | None, str | None]]:
        log = tables.audit_log.c
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(log.kind, log.actor_id, log.detail)
                .where(log.object_type == "police_signal", log.object_id == signal_id)
                .order_by(log.id)
            )
            return [(row.kind, row.actor_id, row.detail) for row in rows]

    return in_db(server, read)


def test_every_view_and_every_download_is_audited(server: Server) -> None:
    """Issue 17, item 4: reading a signal's page and downloading an export each leave a record
    (who, which signal), never the signal's words; a refused look leaves none."""
    drafter_id, drafter = add_staff_with_role(server, Role.COUNSELOR)
    sup_id, sup = add_staff_with_role(server, Role.SUPERVISOR)
    _o, outsider = add_staff_with_role(server, Role.COUNSELOR)
    signal_id = _signal_id(_post(server, drafter, "/staff/police-signals", CLEAN))

    def views() -> list[tuple[str | None, str | None]]:
        return [
            (actor, detail)
            for kind, actor, detail in _signal_records(server, signal_id)
            if kind == "police_signal.view"
        ]

    assert views() == []
    assert _get(server, drafter, f"/staff/police-signals/{signal_id}").status_code == 200
    assert _get(server, drafter, f"/staff/police-signals/{signal_id}").status_code == 200
    assert views() == [(drafter_id, None), (drafter_id, None)]
    # Someone who may not see it gets the 404 of a missing signal, and no record is written.
    assert _get(server, outsider, f"/staff/police-signals/{signal_id}").status_code == 404
    assert len(views()) == 2

    assert (
        _post(server, drafter, f"/staff/police-signals/{signal_id}/submit", {}).status_code == 303
    )
    assert _post(server, sup, f"/staff/police-signals/{signal_id}/approve", {}).status_code == 303
    assert _get(server, sup, f"/staff/police-signals/{signal_id}").status_code == 200
    assert views()[-1] == (sup_id, None)
    for fmt in ("json", "sig", "pdf", "json"):
        download = _get(server, sup, f"/staff/police-signals/{signal_id}/export/{fmt}")
        assert download.status_code == 200
    exports = [
        (actor, detail)
        for kind, actor, detail in _signal_records(server, signal_id)
        if kind == "police_signal.export"
    ]
    assert exports == [(sup_id, f"fmt={fmt}") for fmt in ("json", "sig", "pdf", "json")]
    # Codes only: nothing the counselor typed is in any record about the signal.
    for _kind, _actor, detail in _signal_records(server, signal_id):
        for typed in ("Rotterdam", "loods", "paspoort", "dader"):
            assert typed not in (detail or ""), typed
    log = _audit_kinds(server, add_staff_with_role(server, Role.ADMIN)[1])
    assert "Viewed a police signal" in log
