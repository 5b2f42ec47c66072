"""First render of the visitor page on an emulated slow-3G phone (issue 18, item 7).

Starts its own `baken serve` (proof-of-work on, as in production), then opens the visitor page in a
fresh Chromium context per run with the network and the CPU throttled through DevTools, and prints
the first contentful paint (median and worst) and the bytes on the wire. Target: ≤ 2 s.

"Slow 3G" here is WebPageTest's profile: 400 ms round trip, 400 kbit/s down and up. DevTools' own
preset of that name adds 2 s to every request, so no page at all could paint within 2 s under it;
its figure is printed as well (``--devtools-preset``) for comparison. CPU: 4x slower
(Emulation.setCPUThrottlingRate 4), a cheap phone.

    .venv/bin/python bench/slow_phone.py
    .venv/bin/python bench/slow_phone.py --runs 9 --devtools-preset
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

import benchlib as bl

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PROFILES = {
    # (round trip in ms, download and upload in bytes per second)
    "slow-3g": (400.0, 400_000 / 8),
    "devtools-slow-3g": (2000.0, 500_000 / 8 * 0.8),
}


def one_visit(browser: Any, url: str, latency_ms: float, throughput: float) -> tuple[float, int]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": latency_ms,
                "downloadThroughput": throughput,
                "uploadThroughput": throughput,
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        wire: dict[str, int] = {}
        cdp.on(
            "Network.loadingFinished",
            lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        page.goto(url, wait_until="networkidle", timeout=120_000)
        fcp = page.evaluate(
            "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
        )
        if fcp < 0:
            raise bl.BenchError("the page reported no first contentful paint")
        return float(fcp) / 1000, sum(wire.values())
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--devtools-preset", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="baken-slow-phone-"))
    server = bl.start_server(
        "baken", data_dir, core=None, extra_env={"BAKEN_PROOF_OF_WORK": "true"}
    )
    try:
        asyncio.run(bl.wait_ready(server))
        url = server.origin + "/"
        profiles = ["slow-3g"] + (["devtools-slow-3g"] if args.devtools_preset else [])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                one_visit(browser, url, 0, -1)  # warm the server (templates, first hashes)
                for name in profiles:
                    latency, throughput = PROFILES[name]
                    runs = [one_visit(browser, url, latency, throughput) for _ in range(args.runs)]
                    paints = [fcp for fcp, _ in runs]
                    print(
                        f"{name}: first contentful paint median {statistics.median(paints):.2f} s, "
                        f"worst {max(paints):.2f} s over {len(runs)} runs; "
                        f"{runs[-1][1]} bytes on the wire; CPU 4x slower"
                    )
            finally:
                browser.close()
    finally:
        bl.stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
