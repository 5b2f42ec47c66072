"""docs/asvs.md, the OWASP ASVS 5.0 Level 2 checklist, kept honest.

The page has one table per chapter: | ID | Requirement (short) | Status | Evidence |. A "met"
line must name its evidence — tests as `tests/test_x.py::test_name` (or a whole `tests/test_x.py`),
files as `src/baken/...`, `docs/...` and the like — and every name anywhere on the page must
exist: a renamed or deleted test makes this fail instead of leaving a claim without proof.

Also here: the source properties some "met" and "not applicable" lines rest on (no OS commands,
eval or unsafe deserializers in the server; no eval or HTML sinks in the page scripts), checked
by reading the code, so the lines stay true when the code changes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "docs" / "asvs.md"
STATUSES = frozenset({"met", "not applicable", "not met"})
HEADER = ["ID", "Requirement (short)", "Status", "Evidence"]

# Every Level 1 and Level 2 requirement of ASVS 5.0.0: section -> its last L1/L2 requirement.
# In 5.0.0 the Level 1 and 2 requirements of a section are always its first ones, numbered from
# 1 (OWASP/ASVS, 5.0/docs_en/OWASP_Application_Security_Verification_Standard_5.0.0_en.csv).
# Sections with Level 3 requirements only (V3.1, V3.6, V6.7, V11.7, V15.4) are absent.
LEVEL_2_SECTIONS = {
    "1.1": 2, "1.2": 9, "1.3": 11, "1.4": 3, "1.5": 2,
    "2.1": 3, "2.2": 3, "2.3": 4, "2.4": 1,
    "3.2": 2, "3.3": 4, "3.4": 6, "3.5": 5, "3.7": 2,
    "4.1": 3, "4.2": 1, "4.3": 2, "4.4": 4,
    "5.1": 1, "5.2": 3, "5.3": 2, "5.4": 3,
    "6.1": 3, "6.2": 12, "6.3": 4, "6.4": 4, "6.5": 5, "6.6": 3, "6.8": 4,
    "7.1": 3, "7.2": 4, "7.3": 2, "7.4": 5, "7.5": 2, "7.6": 2,
    "8.1": 2, "8.2": 3, "8.3": 1, "8.4": 1,
    "9.1": 3, "9.2": 4,
    "10.1": 2, "10.2": 2, "10.3": 4, "10.4": 11, "10.5": 5, "10.6": 2, "10.7": 3,
    "11.1": 2, "11.2": 3, "11.3": 3, "11.4": 4, "11.5": 1, "11.6": 1,
    "12.1": 3, "12.2": 2, "12.3": 4,
    "13.1": 1, "13.2": 5, "13.3": 2, "13.4": 5,
    "14.1": 2, "14.2": 4, "14.3": 3,
    "15.1": 3, "15.2": 3, "15.3": 7,
    "16.1": 1, "16.2": 5, "16.3": 4, "16.4": 3, "16.5": 3,
    "17.1": 1, "17.2": 4, "17.3": 2,
}  # fmt: skip
LEVEL_2_IDS = frozenset(
    f"V{section}.{number}"
    for section, last in LEVEL_2_SECTIONS.items()
    for number in range(1, last + 1)
)

_BACKTICKED = re.compile(r"`([^`]+)`")
_TEST_REF = re.compile(r"^(tests/[\w/]+\.py)::([\w:\[\]\-.,]+)$")
# Files the evidence may point at: source, tests, documentation and the repository's own files.
_PATH_REF = re.compile(r"^(?:(?:src|tests|docs|requirements|scripts|bench)/[\w./-]+|[A-Z]+\.md)$")
_CHAPTER = re.compile(r"^## (V\d+) ")


@dataclass(frozen=True)
class Line:
    number: int  # in docs/asvs.md, for messages
    chapter: str  # "V3" for a row in the table under "## V3 …"
    id: str
    requirement: str
    status: str
    evidence: str

    def __str__(self) -> str:
        return f"docs/asvs.md:{self.number} {self.id}"


def _cells(row: str) -> list[str]:
    # No cell of the checklist holds a "|" of its own, so a plain split is exact.
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


@cache
def checklist() -> tuple[Line, ...]:
    lines: list[Line] = []
    chapter = ""
    in_table = False
    for number, text in enumerate(CHECKLIST.read_text("utf-8").splitlines(), start=1):
        heading = _CHAPTER.match(text)
        if heading:
            chapter = heading.group(1)
        if not text.startswith("|"):
            in_table = False
            continue
        cells = _cells(text)
        if cells == HEADER:
            in_table = True
            continue
        if not in_table or set(text) <= set("|-: "):
            continue
        assert len(cells) == 4, f"docs/asvs.md:{number} has {len(cells)} cells, not 4"
        lines.append(Line(number, chapter, *cells))
    return tuple(lines)


def references(evidence: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(test file, test name) pairs and file paths named in an Evidence cell."""
    tests, paths = [], []
    for span in _BACKTICKED.findall(evidence):
        if found := _TEST_REF.match(span):
            tests.append((found.group(1), found.group(2)))
        elif _PATH_REF.match(span):
            paths.append(span)
    return tests, paths


@cache
def defined_names(test_file: str) -> frozenset[str]:
    """Every function and method defined in a test file: module level, in classes, nested."""
    tree = ast.parse((ROOT / test_file).read_text("utf-8"), filename=test_file)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
    return frozenset(names)


def test_the_checklist_has_one_table_per_chapter_and_lines_in_the_right_one() -> None:
    lines = checklist()
    assert lines, "no checklist table found in docs/asvs.md"
    assert {line.chapter for line in lines} == {f"V{n}" for n in range(1, 18)}
    misplaced = [str(line) for line in lines if not line.id.startswith(line.chapter + ".")]
    assert not misplaced, f"in another chapter's table: {misplaced}"


def test_every_status_is_one_of_three_and_every_line_says_why() -> None:
    bad = [f"{line}: {line.status!r}" for line in checklist() if line.status not in STATUSES]
    assert not bad, f"status must be one of {sorted(STATUSES)}: {bad}"
    empty = [str(line) for line in checklist() if not line.evidence]
    assert not empty, f"no evidence, reason or plan: {empty}"


def test_every_met_line_names_its_evidence() -> None:
    missing = [
        str(line)
        for line in checklist()
        if line.status == "met" and references(line.evidence) == ([], [])
    ]
    assert not missing, f"'met' without a test or file that proves it: {missing}"


def test_every_named_test_exists() -> None:
    problems = []
    for line in checklist():
        for test_file, name in references(line.evidence)[0]:
            if not (ROOT / test_file).is_file():
                problems.append(f"{line}: no file {test_file}")
                continue
            # "test_x[case]" is a case of a parametrised test; "Class::test_x" a method.
            for part in name.split("[", 1)[0].split("::"):
                if part not in defined_names(test_file):
                    problems.append(f"{line}: {test_file} defines no {part}")
    assert not problems, "\n".join(problems)


def test_every_named_file_exists() -> None:
    problems = [
        f"{line}: no {path}"
        for line in checklist()
        for path in references(line.evidence)[1]
        if not (ROOT / path).exists()
    ]
    assert not problems, "\n".join(problems)


def test_every_level_2_requirement_appears_once_and_nothing_else() -> None:
    seen: dict[str, list[str]] = {}
    for line in checklist():
        seen.setdefault(line.id, []).append(str(line))
    twice = {requirement: where for requirement, where in seen.items() if len(where) > 1}
    assert not twice, f"listed more than once: {twice}"
    unknown = sorted(set(seen) - LEVEL_2_IDS)
    assert not unknown, f"not an ASVS 5.0 Level 1 or 2 requirement: {unknown}"
    missing = sorted(LEVEL_2_IDS - set(seen), key=lambda i: [int(n) for n in i[1:].split(".")])
    assert not missing, f"Level 1/2 requirements missing from docs/asvs.md: {missing}"


# --- what some lines rest on, checked in the code ---------------------------------------------

_FORBIDDEN_MODULES = {"subprocess", "pickle", "marshal", "shelve", "dill"}
_FORBIDDEN_CALLS = {"eval", "exec"}
_FORBIDDEN_ATTRIBUTES = {("os", "system"), ("os", "popen"), ("yaml", "load")}
_OS_PROCESS_FUNCTIONS = re.compile(r"^(exec|spawn)\w*$")


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            found += [
                f"{where}:{node.lineno} imports {module}"
                for module in modules
                if module.split(".")[0] in _FORBIDDEN_MODULES
            ]
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
                found.append(f"{where}:{node.lineno} calls {func.id}()")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                pair = (func.value.id, func.attr)
                if pair in _FORBIDDEN_ATTRIBUTES or (
                    func.value.id == "os" and _OS_PROCESS_FUNCTIONS.match(func.attr)
                ):
                    found.append(f"{where}:{node.lineno} calls {'.'.join(pair)}()")
    return found


def test_the_server_runs_no_os_command_eval_or_unsafe_deserializer() -> None:
    """V1.2.5, V1.3.2, V1.5.2: nothing in src/baken starts a process, evaluates text as code or
    unpickles anything."""
    found = [
        v for path in sorted((ROOT / "src" / "baken").rglob("*.py")) for v in _violations(path)
    ]
    assert not found, "\n".join(found)


# Ways a page script could run text as code or turn it into markup.
_SCRIPT_SINKS = re.compile(
    r"\beval\s*\(|\bnew\s+Function\s*\(|\.(?:inner|outer)HTML\b|insertAdjacentHTML"
    r"|document\.write|\bset(?:Timeout|Interval)\s*\(\s*[\"'`]"
)
_TEMPLATE_ESCAPES = re.compile(r"\|\s*safe\b|\{%-?\s*autoescape\s+false")


def test_page_scripts_use_no_eval_or_html_sinks() -> None:
    """V1.3.2 and V3.2.2: the scripts put text into the page with textContent only, and never
    evaluate strings; no template switches autoescape off or marks anything safe."""
    web = ROOT / "src" / "baken" / "web"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
        for path in sorted((web / "static").glob("*.js"))
        for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if _SCRIPT_SINKS.search(text) and not text.lstrip().startswith("//")
    ]
    found += [
        f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
        for path in sorted((ROOT / "src" / "baken").rglob("*.html"))
        for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if _TEMPLATE_ESCAPES.search(text)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "evidence, tests, paths",
    [
        (
            "`tests/test_x.py::test_a`, `src/baken/a.py`",
            [("tests/test_x.py", "test_a")],
            ["src/baken/a.py"],
        ),
        (
            "`tests/test_x.py::test_a[nl]` and `tests/test_y.py`",
            [("tests/test_x.py", "test_a[nl]")],
            ["tests/test_y.py"],
        ),
        ("`object-src 'none'`, `BAKEN_EXIT_URL`, `/staff/login`", [], []),
        ("`docs/security.md`, `README.md`", [], ["docs/security.md", "README.md"]),
    ],
)
def test_references_are_read_from_backticks(
    evidence: str, tests: list[tuple[str, str]], paths: list[str]
) -> None:
    assert references(evidence) == (tests, paths)
