"""`baken signals eval` and `baken signals detect` (issue 19), through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from baken.cli import app

runner = CliRunner()


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_detect_writes_one_line_per_message(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "hij heeft mn paspoort", "lang": "nl"},
            {"id": 7, "text": "hi", "lang": "en"},
            {"id": "c", "text": "", "lang": "ar"},
        ],
    )
    result = runner.invoke(app, ["signals", "detect", str(src)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 7, "c"]
    assert lines[0]["labels"] == ["retention_of_documents"]
    span = lines[0]["spans"][0]
    assert set(span) == {"start", "end", "label", "rule", "words"}
    assert "hij heeft mn paspoort"[span["start"] : span["end"]] == "heeft mn paspoort"
    assert lines[1] == {"id": 7, "labels": [], "spans": []}


def test_detect_to_a_file(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [{"id": "a", "text": "he raped me", "lang": "en"}])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["signals", "detect", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text())["labels"] == ["physical_sexual_violence"]


def test_detect_bad_input(tmp_path: Path) -> None:
    cases: list[tuple[str, str]] = [
        ('{"id": "a", "text": "x", "lang": "nl"}\n{"id": "b", "lang": "nl"}\n', "line 2"),
        ('{"id": "a", "text": "x", "lang": "de"}\n', "unknown language"),
        ("not json\n", "not JSON"),
        ("[1, 2]\n", "expected an object"),
        ('{"id": null, "text": "x", "lang": "nl"}\n', "'id'"),
    ]
    for body, expected in cases:
        src = tmp_path / "bad.jsonl"
        src.write_text(body, encoding="utf-8")
        result = runner.invoke(app, ["signals", "detect", str(src)])
        assert result.exit_code == 1, body
        assert expected in result.stderr, (body, result.stderr)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b'{"id": "a", "text": "\xff\xfe", "lang": "nl"}\n')
    result = runner.invoke(app, ["signals", "detect", str(binary)])
    assert result.exit_code == 1
    assert "UTF-8" in result.stderr
    result = runner.invoke(app, ["signals", "detect", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_eval_prints_the_figures(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "dev.jsonl",
        [
            {"id": 1, "text": "hij slaat me", "lang": "nl", "labels": ["physical_sexual_violence"]},
            {"id": 2, "text": "hij staat voor de deur", "lang": "nl", "labels": ["acute_danger"]},
            {"id": 3, "text": "ik ben moe", "lang": "nl", "labels": []},
            {"id": 4, "text": "he hit me", "lang": "en", "labels": ["physical_sexual_violence"]},
            {"id": 5, "text": "help", "lang": "en", "labels": ["acute_danger"]},
        ],
    )
    result = runner.invoke(app, ["signals", "eval", str(src), "--misses", "5"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "physical_sexual_violence" in out
    assert "acute_danger recall 0.500 (1/2)" in out
    assert "false-positive rate on items without a label 0.000 (0/1)" in out
    assert "macro F1" in out
    assert "\nen " in out and "\nnl " in out
    assert "5 [en] expected ['acute_danger'] got []" in out

    as_json = runner.invoke(app, ["signals", "eval", str(src), "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["all"]["micro_recall"] == 0.75
    assert data["all"]["micro_precision"] == 1.0
    assert data["per_lang"]["en"]["acute_danger_recall"] == 0.0
    assert data["per_label"]["acute_danger"]["support"] == 2


def test_eval_bad_input(tmp_path: Path) -> None:
    src = _write(tmp_path / "dev.jsonl", [{"id": 1, "text": "x", "lang": "nl", "labels": ["nope"]}])
    result = runner.invoke(app, ["signals", "eval", str(src)])
    assert result.exit_code == 1
    assert "unknown label(s) nope" in result.stderr
    src.write_text('{"id": 1, "text": "x", "lang": "nl"}\n', encoding="utf-8")
    result = runner.invoke(app, ["signals", "eval", str(src)])
    assert result.exit_code == 1
    assert "'labels'" in result.stderr
    src.write_text("\n\n", encoding="utf-8")
    result = runner.invoke(app, ["signals", "eval", str(src)])
    assert result.exit_code == 1
    assert "no items" in result.stderr
