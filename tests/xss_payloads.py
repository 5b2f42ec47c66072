"""A corpus of hostile texts (issue 5, "Bad input to try"): markup that would run script, URLs with
script schemes, template-injection strings, unicode tricks and very long text. Synthetic only.

A payload that runs sets `window.__pwned` or changes document.title to PWNED; one that becomes
markup leaves an element the browser tests look for (img[src=x], iframe, [onload], ...).
"""

from __future__ import annotations

# `{{ 6007*7 }}` would render as 42049: unlike 49, that number occurs nowhere else on a page.
TEMPLATE_MARKERS = ("{{7*7}}", "${7*7}", "{{ 6007*7 }}", "#{7*7}", "<%= 7*7 %>", "{% print(7*7) %}")
EXPANDED = "42049"

SHORT_PAYLOADS: tuple[str, ...] = (
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    '"><img src=x onerror="window.__pwned=1">',
    "'><svg onload=window.__pwned=1>",
    "<svg><script>window.__pwned=1</script></svg>",
    "</script><script>document.title='PWNED'</script>",
    '<a href="javascript:window.__pwned=1">klik</a>',
    "javascript:window.__pwned=1",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    '<iframe srcdoc="<script>parent.__pwned=1</script>">',
    "<style>body{display:none}</style>",
    "&lt;b&gt;al escaped&lt;/b&gt; &amp; &#60;i&#62;",
    *TEMPLATE_MARKERS,
    "{{constructor.constructor('window.__pwned=1')()}}",
    # Unicode: right-to-left override, zero-width and full-width look-alikes, BOM, combining marks.
    "\u202egnp.exe<b>x</b>",
    "<\u200bscript>window.__pwned=1</\u200bscript>",
    "\uff1cscript\uff1ewindow.__pwned=1\uff1c/script\uff1e",
    "\ufeff<b>bom</b> Z\u0351\u0352\u0353algo",
    "🙂 <b>emoji</b> 👍🏽",
    # Not markup, but other injections: SQL and JSON operators are data too.
    "'; DROP TABLE messages; --",
    '{"$gt": ""}',
)
# Long: markup repeated up to the message limit (4000 by default).
LONG_PAYLOAD = ("<img src=x onerror=window.__pwned=1>" * 120)[:4000]
PAYLOADS: tuple[str, ...] = (*SHORT_PAYLOADS, LONG_PAYLOAD)

# What a browser must not contain after showing the payloads: elements the markup would make.
INJECTED_SELECTORS = (
    "img[src=x]",
    "[onerror]",
    "[onload]",
    "iframe",
    "a[href^='javascript']",
    "body style",
    "body b",
    "body i",
)
