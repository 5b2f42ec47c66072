"""How long the proof-of-work takes a visitor's browser at normal load on a slow phone (issue 16):
Debian's Chromium with 4× CPU throttling (DevTools `Emulation.setCPUThrottlingRate`), the pow.js
of the visitor page (a Web Worker, as on a phone), against a real `baken serve` with the default
difficulty. Measured from asking for the challenge to holding the solution, as the visitor waits
for it before a start, a return or a mailbox read. Target: at most 1 s (docs/performance.md).

    .venv/bin/python bench/pow_throttled.py [--runs 20] [--rate 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import start_server, stop_server, wait_ready

CHROMIUM = "/usr/bin/chromium"
CHALLENGE_SIZE = "async () => (await (await fetch('/api/visitor/challenge')).json()).maxnumber"
MEASURE = """async () => {
  const pow = await import("/static/pow.js");
  const start = performance.now();
  const proof = await pow.fetchProof();
  return { ms: performance.now() - start, solved: proof !== null };
}"""


def _measure(page: Page, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        result = page.evaluate(MEASURE)
        if not result["solved"]:
            raise SystemExit("a proof was not solved")
        times.append(result["ms"] / 1000)
    return sorted(times)


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "runs": len(times),
        "median_s": round(statistics.median(times), 3),
        "p90_s": round(times[int(0.9 * (len(times) - 1))], 3),
        "max_s": round(times[-1], 3),
        "mean_s": round(statistics.fmean(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=4.0, help="CPU slowdown factor")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baken-pow-") as tmp:
        server = start_server(
            "baken", Path(tmp), core=None, extra_env={"BAKEN_PROOF_OF_WORK": "true"}
        )
        try:
            asyncio.run(wait_ready(server))
            base = f"http://127.0.0.1:{server.port}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                # A page of Baken's origin that starts no proof by itself.
                page.goto(base + "/healthz")
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.rate})
                maxnumber = page.evaluate(CHALLENGE_SIZE)
                times = _measure(page, args.runs)
                # The fallback without a Web Worker (pow.js solves on the page itself): CPU
                # throttling certainly applies to the page's own thread.
                page.evaluate("() => { window.Worker = undefined; }")
                fallback = _measure(page, args.runs)
                browser.close()
        finally:
            stop_server(server)
    summary = {
        "cpu_throttling": args.rate,
        "maxnumber": maxnumber,
        "web_worker": _summary(times),
        "page_thread": _summary(fallback),
    }
    for name, figures in (("Web Worker", times), ("page thread", fallback)):
        line = _summary(figures)
        print(
            f"proof-of-work at normal load (maxnumber {maxnumber}), Chromium with "
            f"{args.rate:g}x CPU throttling, {name}, {len(figures)} runs: median "
            f"{line['median_s']} s, p90 {line['p90_s']} s, max {line['max_s']} s (target <= 1 s)"
        )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
