"""Indicator detection speed (issue 19): per-message latency and `baken signals detect` throughput.

Targets: p99 ≤ 0.2 ms per message, ≥ 5,000 messages/s through `detect`. Messages are the dev set
(tests/data/signals_dev.jsonl) mixed with short everyday chat lines, in the proportion a chat
has them (most messages are short and carry no indicator), plus a separate line for 4,000-
character messages (the longest a visitor can send). Prints numbers; asserts nothing.

Run: ``.venv/bin/python bench/signals.py [--messages 50000] [--json FILE]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from baken.signals import detect, warm_up

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "tests" / "data" / "signals_dev.jsonl"
EVERYDAY = [
    ("nl", "hoi"),
    ("nl", "ok"),
    ("nl", "ja klopt"),
    ("nl", "ik weet het niet zo goed"),
    ("nl", "mag ik iets vragen?"),
    ("nl", "sorry ik moest even weg"),
    ("nl", "ik ben 16 en woon bij mn moeder"),
    ("nl", "dankjewel dat je luistert, ik voel me al wat beter"),
    ("en", "thanks"),
    ("en", "yeah i guess so"),
    ("en", "can you help me with something"),
    ("en", "i don't really know how to explain it"),
]


def percentile(values: list[float], p: float) -> float:
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def messages(n: int, seed: int = 7) -> list[tuple[str, str]]:
    dev = [
        (d["lang"], d["text"])
        for d in (json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines())
    ]
    rng = random.Random(seed)
    pool = dev + EVERYDAY * 30  # about half everyday lines
    return [rng.choice(pool) for _ in range(n)]


def latencies(msgs: list[tuple[str, str]], cpu: bool = False) -> list[float]:
    """Microseconds per message: wall clock, or this process's CPU time (which leaves out the
    time another process had the core: the machine is shared)."""
    out: list[float] = []
    clock = time.process_time_ns if cpu else time.perf_counter_ns
    for lang, text in msgs:
        t0 = clock()
        detect(text, lang)
        out.append((clock() - t0) / 1000)
    return sorted(out)


def summary(lat: list[float]) -> dict[str, float]:
    return {
        "messages": len(lat),
        "p50": round(percentile(lat, 50), 1),
        "p90": round(percentile(lat, 90), 1),
        "p99": round(percentile(lat, 99), 1),
        "p999": round(percentile(lat, 99.9), 1),
        "max": round(lat[-1], 1),
    }


def long_messages(n: int, seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 4000:
            parts.append(rng.choice(dev)["text"])
        out.append(("nl", " ".join(parts)[:4000]))
    out.append(("nl", "a" * 4000))
    out.append(("nl", "moet " * 800))
    out.append(("en", "\u200d".join("help") * 400))
    return out


def cli_throughput(n: int) -> dict[str, float]:
    """The real command in a subprocess, process start and all."""
    msgs = messages(n, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for i, (lang, text) in enumerate(msgs):
                f.write(json.dumps({"id": i, "text": text, "lang": lang}, ensure_ascii=False))
                f.write("\n")
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(REPO / ".venv" / "bin" / "baken"),
                "signals",
                "detect",
                str(src),
                "--out",
                os.devnull,
            ],
            check=True,
        )
        wall = time.perf_counter() - t0
    return {"messages": n, "seconds": round(wall, 3), "messages_per_s": round(n / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--cli-messages", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    t0 = time.perf_counter()
    warm_up()
    compile_ms = (time.perf_counter() - t0) * 1000
    msgs = messages(args.messages)
    latencies(msgs[:2000])  # warm caches
    gc.collect()
    load_before = os.getloadavg()[0]
    lat = latencies(msgs)
    cpu = latencies(msgs, cpu=True)
    total_s = sum(lat) / 1e6
    long = latencies(long_messages(50))
    result = {
        "load_average_1min": round(load_before, 2),
        "cpus": os.cpu_count(),
        "lexicon_compile_ms": round(compile_ms, 1),
        "mean_chars": round(sum(len(t) for _, t in msgs) / len(msgs), 1),
        "per_message_us_wall": summary(lat),
        "per_message_us_cpu": summary(cpu),
        "in_process_messages_per_s": round(len(lat) / total_s),
        "long_4000_chars_us_wall": summary(long),
        "cli_detect": cli_throughput(args.cli_messages),
    }
    print(json.dumps(result, indent=2))
    p99_ms = result["per_message_us_wall"]["p99"] / 1000  # type: ignore[index]
    rate = result["cli_detect"]["messages_per_s"]  # type: ignore[index]
    print(
        f"p99 {p99_ms:.3f} ms per message (target ≤ 0.2 ms); "
        f"`baken signals detect` {rate:,} messages/s (target ≥ 5,000)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
