"""Write ``docs/codebook.md`` from the codebook in code.

Run ``python -m baken.registration.codebook_doc``.

A test fails when the file in the repository differs from what this prints, so the document can
never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from baken.registration.codebook import CODEBOOK_VERSION, CODEBOOK_VERSIONS, FIELDS, Kind

KIND_TEXT = {
    Kind.SINGLE: "one value",
    Kind.MULTI: "one or more values",
    Kind.BOOL: "yes / no",
    Kind.INT: "whole number",
}


def render() -> str:
    lines = [
        "# Codebook",
        "",
        f"Version **{CODEBOOK_VERSION}**. Generated from `src/baken/registration/codebook.py` by",
        "`python -m baken.registration.codebook_doc`; do not edit by hand.",
        "",
        "A counselor registers these fields for every conversation. Every field allows *unknown*",
        "(an empty age is unknown). A field that does not apply is stored empty; giving it a value",
        "anyway is refused as a contradiction. The storage code of a value never changes and is",
        "never reused; multiple-answer fields are stored as a bitmask of `1 << code`.",
        "A person (case) links conversations over time; the report counts persons (see",
        "`docs/reports.md`).",
        "Each registration keeps the codebook version it was saved with; a field added in a later",
        "version is empty, and so *unknown*, in registrations saved with an earlier one.",
        "",
    ]
    for f in FIELDS:
        lines += [
            f"## `{f.id}` — {f.label.en} / {f.label.nl}",
            "",
            f"*Kind:* {KIND_TEXT[f.kind]}.",
        ]
        if f.since != CODEBOOK_VERSIONS[0]:
            lines.append(f"*Since codebook version* {f.since}.")
        if f.kind is Kind.INT:
            lines.append(f"*Range:* {f.minimum}–{f.maximum}; empty means unknown.")
        for condition in f.not_applicable_when:
            values = ", ".join(f"`{v}`" for v in sorted(condition.values))
            lines.append(f"*Does not apply when* `{condition.field}` is {values}.")
        if f.exclusive:
            exclusive = ", ".join(f"`{v}`" for v in sorted(f.exclusive))
            lines.append(f"*Cannot be combined with other values:* {exclusive}.")
        lines += [
            "",
            f"- en: {f.definition.en}",
            f"- nl: {f.definition.nl}",
            "",
        ]
        if f.values:
            lines += ["| code | id | en | nl |", "|---:|---|---|---|"]
            lines += [
                f"| {v.code} | `{v.id}` | {v.label.en}{' (retired)' if v.retired else ''} "
                f"| {v.label.nl} |"
                for v in f.values
            ]
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/codebook.md")
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
