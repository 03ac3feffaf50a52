"""Tap to stored: how long after a citizen taps 不满意 the rating is durably stored.

Starts `pingjing serve` on a fresh SQLite file (synchronous=FULL), opens the rating page
in Debian's Chromium with JavaScript at a phone viewport (390x844), and --taps times:
loads an officer's page, taps 不满意 and times from the click to the server's 201 (which
is sent only after the commit). Also prints the cold first view: bytes over the wire and
requests. Prints the median, the 90th percentile and the first-view figures; not a test.

Usage: python bench/tap.py [--taps 20] [--host 127.0.0.1] [--port N] [--database PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import (  # noqa: E402
    SECRET,
    add_database_option,
    add_server_options,
    ports,
    seed,
    sqlite_file,
    start_server,
    stop_server,
)

from rating.settings import Settings  # noqa: E402

TAP_CLOCK = """document.addEventListener('click',
  () => { window.__tapped = performance.now(); }, {capture: true, once: true})"""
TAP_TIME = """new Promise(done => { const look = () => {
  const e = performance.getEntriesByType('resource').filter(x => x.initiatorType === 'fetch');
  if (e.length && e[0].responseEnd > 0) done(e[0].responseEnd - window.__tapped);
  else setTimeout(look, 10); }; look(); })"""
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--taps", type=int, default=20)
    add_server_options(parser)
    add_database_option(parser)
    args = parser.parse_args()
    with sqlite_file(args.database) as db:
        run(args, db)


def run(args: argparse.Namespace, db: str) -> None:
    from playwright.sync_api import sync_playwright

    settings = Settings.load(env={}, database=db, secret=SECRET)
    tokens = asyncio.run(seed(settings, args.taps))
    (port,) = ports(args)
    env = dict(os.environ, PINGJING_DATABASE=db, PINGJING_SECRET=SECRET)
    env.update(PINGJING_LOG_LEVEL="warning", PINGJING_SQLITE_SYNCHRONOUS="FULL")
    proc = start_server(env, port, host=args.host)
    base = f"http://{args.host}:{port}"
    times: list[float] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # Cold first view: a new context (empty cache), everything that loads.
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            page = context.new_page()
            finished: list = []
            page.on("requestfinished", lambda r: finished.append(r))
            page.goto(f"{base}/r/{tokens[0]}")
            page.wait_for_load_state("networkidle")
            wire = sum(
                r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished
            )
            print(f"cold first view: {len(finished)} request(s), {wire:,} bytes on the wire")
            context.close()
            for token in tokens:
                # A new phone each time: no device cookie, so every tap is a new rating.
                context = browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
                )
                page = context.new_page()
                page.goto(f"{base}/r/{token}")
                # Timed inside the page: from the click event to the end of the reply
                # (resource timing), so Playwright's own steps are not counted.
                page.evaluate(TAP_CLOCK)
                with page.expect_response(lambda r: r.request.method == "POST") as stored:
                    page.get_by_role("button", name="不满意", exact=True).click()
                status = stored.value.status
                times.append(page.evaluate(TAP_TIME))
                if status != 201:
                    raise SystemExit(f"tap answered {status}, not 201")
                context.close()
            browser.close()
    finally:
        stop_server(proc)
    times.sort()
    p90 = times[max(0, round(0.9 * len(times)) - 1)]
    print(
        f"tap to stored (JS, 390x844, {len(times)} taps): median "
        f"{statistics.median(times):.0f} ms, p90 {p90:.0f} ms, "
        f"min {times[0]:.0f} ms, max {times[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
