"""Issue 14, item 3: the visitor pages in seven languages, Arabic right to left; staff stays nl/en.

Two kinds of proof. The catalogues: every visitor msgid translated in every visitor language, no
key that no visitor text uses, placeholders as in the msgid, and the review status in the header.
The pages: each visitor page, served by a real server in each language, carries the right
``lang``/``dir`` and shows no text that the English page shows too (an untranslated string).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from baken.i18n import (
    LANGUAGE_NAMES,
    LOCALE_DIR,
    STAFF_LANGUAGES,
    VISITOR_LANGUAGES,
    direction,
    negotiate,
    translations,
)
from baken.web.templating import render
from baken.web.ui_strings import visitor_strings
from tests.support import Server
from tests.visitor_msgids import (
    RAISED_FOR_VISITORS,
    SRC,
    catalogue,
    template_msgids,
    visitor_msgids,
)

VISITOR_ONLY = tuple(lang for lang in VISITOR_LANGUAGES if lang not in STAFF_LANGUAGES)
# Words that are the same in English on purpose; anything else the same is untranslated.
SAME_AS_ENGLISH = {"nl": {"Chat"}, "ro": {"Chat"}}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


# --- the catalogues -------------------------------------------------------------------------------


def test_the_languages_are_split_between_visitors_and_staff() -> None:
    assert VISITOR_LANGUAGES == ("nl", "en", "pl", "ro", "bg", "uk", "ar")
    assert STAFF_LANGUAGES == ("nl", "en")
    assert set(LANGUAGE_NAMES) == set(VISITOR_LANGUAGES)
    assert [direction(lang) for lang in VISITOR_LANGUAGES].count("rtl") == 1
    assert direction("ar") == "rtl"


def test_the_visitor_texts_are_found() -> None:
    # Guards the extraction: an empty set would let every test below pass for nothing.
    found = visitor_msgids()
    assert len(found) > 120
    assert "Quick exit" in found and "Start chat" in found and "{n} characters left" in found
    assert template_msgids("_langs.html") == {"Choose a language"}


def test_texts_raised_for_visitors_are_still_raised_where_listed() -> None:
    for text, path in RAISED_FOR_VISITORS.items():
        assert f'"{text}"' in (SRC / path).read_text(encoding="utf-8"), (text, path)


@pytest.mark.parametrize("lang", VISITOR_LANGUAGES)
def test_every_visitor_text_is_translated_with_the_same_placeholders(lang: str) -> None:
    cat = catalogue(lang)
    wanted = visitor_msgids()
    missing = sorted(m for m in wanted if not cat.get(m))
    assert not missing, f"{len(missing)} visitor texts missing from {lang}: {missing[:20]}"
    if lang != "en":
        same = sorted(m for m in wanted if cat[m] == m and m not in SAME_AS_ENGLISH.get(lang, ()))
        assert not same, f"{lang} copies English instead of translating: {same}"
    wrong = [
        (msgid, cat[msgid]) for msgid in wanted if _placeholders(msgid) != _placeholders(cat[msgid])
    ]
    assert not wrong, f"placeholders differ in {lang}: {wrong}"


@pytest.mark.parametrize("lang", VISITOR_ONLY)
def test_a_visitor_only_catalogue_has_no_unused_key_and_says_it_needs_review(lang: str) -> None:
    cat = catalogue(lang)
    unused = sorted(set(cat) - visitor_msgids())
    assert not unused, f"{lang} has keys no visitor text uses: {unused}"
    head = (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert '"X-Review-Status: needs native-speaker review\\n"' in head
    assert "needs\n# review by a native speaker" in head or "review by a native speaker" in head
    assert f'"Language: {lang}\\n"' in head


@pytest.mark.parametrize("lang", VISITOR_ONLY)
def test_the_translation_is_really_used(lang: str) -> None:
    gettext = translations(lang).gettext
    assert gettext("Quick exit") != "Quick exit"
    assert gettext("Quick exit") == catalogue(lang)["Quick exit"]


def test_negotiation_keeps_staff_in_their_languages_and_gives_visitors_theirs() -> None:
    # A visitor's browser in Polish gets Polish; a staff page for the same browser stays Dutch.
    assert negotiate(None, "pl-PL,pl;q=0.9", VISITOR_LANGUAGES) == "pl"
    assert negotiate(None, "pl-PL,pl;q=0.9") == "nl"
    assert negotiate(None, "pl-PL,en;q=0.5") == "en"
    assert negotiate("ar", None, VISITOR_LANGUAGES) == "ar"
    assert negotiate("ar", None) == "nl"
    assert negotiate("uk", "ro", VISITOR_LANGUAGES) == "uk"
    # Unknown or malformed ?lang= falls back to the browser, then to Dutch.
    assert negotiate("xx", "bg", VISITOR_LANGUAGES) == "bg"
    assert negotiate("../../etc", None, VISITOR_LANGUAGES) == "nl"


# --- the pages ------------------------------------------------------------------------------------


class _Texts(HTMLParser):
    """Visible text, the attributes people read, and the strings handed to the scripts."""

    READ_ATTRS = ("aria-label", "placeholder", "title", "alt", "data-thanks", "data-choose")

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self.html_attrs: dict[str, str] = {}
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.html_attrs = values
        if tag in ("script", "style"):
            self._skip += 1
        for name in self.READ_ATTRS:
            if values.get(name):
                self.texts.add(values[name].strip())
        if values.get("data-strings"):
            for value in json.loads(values["data-strings"]).values():
                if value:
                    self.texts.add(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.add(" ".join(data.split()))


def _texts(page: str) -> _Texts:
    parser = _Texts()
    parser.feed(page)
    return parser


def _untranslated(lang: str, page: str, english: str) -> set[str]:
    """Texts of ``page`` that the English page shows too, minus the legitimate ones."""
    same = _texts(page).texts & _texts(english).texts
    own = {text for msgid, text in catalogue(lang).items() if text != msgid}
    own |= SAME_AS_ENGLISH.get(lang, set()) | set(LANGUAGE_NAMES.values())
    return {text for text in same - own if re.search(r"[A-Za-z]{2}", text)}


def _get(server: Server, path: str, lang: str, token: str | None = None) -> httpx.Response:
    cookies = {"Cookie": f"__Host-baken_v={token}"} if token else {}
    sep = "&" if "?" in path else "?"
    return httpx.get(f"{server.base}{path}{sep}lang={lang}", headers=cookies, timeout=20)


def _pages(server: Server, lang: str, token: str) -> dict[str, httpx.Response]:
    wrong_code = httpx.post(
        f"{server.base}/return",
        data={"code": "not a real code at all", "lang": lang},
        headers={"Origin": server.origin},
        timeout=20,
    )
    return {
        "start": _get(server, "/", lang),
        "queued": _get(server, "/", lang, token),
        "nojs queued": _get(server, "/chat", lang, token),
        "nojs log": _get(server, "/chat/log", lang, token),
        "nojs ended": _get(server, "/chat", lang),
        "not found": _get(server, "/no-such-page", lang),
        "wrong code": wrong_code,
    }


@pytest.fixture(scope="module")
def waiting_token(sqlite_server: Server) -> str:
    _conversation, token = sqlite_server.start_visitor()
    return token


@pytest.mark.parametrize("lang", [lang for lang in VISITOR_LANGUAGES if lang != "en"])
def test_every_visitor_page_is_in_the_chosen_language(
    sqlite_server: Server, waiting_token: str, lang: str
) -> None:
    english = _pages(sqlite_server, "en", waiting_token)
    for name, response in _pages(sqlite_server, lang, waiting_token).items():
        page = response.text
        assert response.headers["content-type"].startswith("text/html"), name
        # Enough text to compare: a page that rendered nothing would pass for the wrong reason.
        assert len(_texts(page).texts) >= (1 if name == "nojs log" else 5), name
        html_attrs = _texts(page).html_attrs
        assert html_attrs.get("lang") == lang, (name, html_attrs)
        assert html_attrs.get("dir") == direction(lang), (name, html_attrs)
        left = _untranslated(lang, page, english[name].text)
        assert not left, f"{lang} {name} shows English: {sorted(left)}"


def test_the_wrong_code_form_and_a_bad_lang_fall_back_without_error(sqlite_server: Server) -> None:
    page = _get(sqlite_server, "/", "zz")
    assert page.status_code == 200
    assert _texts(page.text).html_attrs["lang"] == "nl"
    polish_browser = httpx.get(
        sqlite_server.base + "/?lang=zz", headers={"Accept-Language": "pl"}, timeout=20
    )
    assert _texts(polish_browser.text).html_attrs["lang"] == "pl"


def test_the_picker_lists_each_language_in_its_own_name(sqlite_server: Server) -> None:
    page = _get(sqlite_server, "/", "ar").text
    nav = page[page.index('<details class="langs">') : page.index("</details>")]
    for code, name in LANGUAGE_NAMES.items():
        link = f'<a href="/?lang={code}" lang="{code}" hreflang="{code}"'
        assert link in nav, code
        assert f">{name}</a>" in nav, name
    assert nav.count("aria-current") == 1 and 'hreflang="ar" aria-current="true"' in nav


def test_forms_keep_the_visitor_language(sqlite_server: Server) -> None:
    for lang in VISITOR_ONLY:
        page = _get(sqlite_server, "/", lang).text
        assert page.count(f'<input type="hidden" name="lang" value="{lang}">') >= 2, lang
    # A posted form with a visitor-only language answers in it and redirects with it.
    response = httpx.post(
        f"{sqlite_server.base}/start",
        data={"lang": "uk", "nickname": ""},
        headers={"Origin": sqlite_server.origin},
        timeout=20,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/?lang=uk")


def test_staff_pages_stay_in_dutch_or_english(sqlite_server: Server) -> None:
    for lang, expected in (("pl", "nl"), ("ar", "nl"), ("en", "en")):
        page = _get(sqlite_server, "/staff/login", lang)
        assert _texts(page.text).html_attrs["lang"] == expected, lang
        assert _texts(page.text).html_attrs["dir"] == "ltr"
    english_browser = httpx.get(
        sqlite_server.base + "/staff/login?lang=ar",
        headers={"Accept-Language": "ar, en;q=0.5"},
        timeout=20,
    )
    assert _texts(english_browser.text).html_attrs["lang"] == "en"


@pytest.mark.parametrize("lang", VISITOR_ONLY)
def test_the_closed_page_and_a_left_message_are_translated(lang: str) -> None:
    closed = {
        "opens_at": "2026-12-07T08:00:00Z",
        "opens_text": "x",
        "message": "",
        "numbers": [],
    }

    def page(language: str) -> str:
        response = render(
            "visitor.html",
            language,
            visitor_strings,
            conversation=None,
            notice=None,
            max_chars=4000,
            offer_message_after=600,
            ws_path="/ws/visitor",
            exit_path="/exit",
            closed=closed,
            forms={"leave": {"code": "apple river stone"}, "answers": {"code": "a"}},
        )
        return bytes(response.body).decode()

    left = _untranslated(lang, page(lang), page("en")) - {"apple river stone"}
    assert not left, f"{lang} closed page shows English: {sorted(left)}"
    assert 'class="closed-code__value" data-role="code" dir="ltr">apple river stone<' in page(lang)


def test_the_catalogues_sit_where_the_loader_reads_them() -> None:
    for lang in VISITOR_LANGUAGES:
        assert (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").is_file(), lang
    # No stray catalogue for a language the code does not know.
    on_disk = {p.name for p in Path(LOCALE_DIR).iterdir() if p.is_dir()}
    assert on_disk == set(VISITOR_LANGUAGES)
