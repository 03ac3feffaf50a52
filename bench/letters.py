"""Letters to the chief's mailbox: the real server on 127.0.0.1 under wrk.

Starts `pingjing serve` (as bench/ratings.py does: one process, SQLite) and measures
  1. a no-op GET (/healthz) for reference, then
  2. POST /mailbox, a multipart letter without a photo, every check on the path: form
     stamp, honeypot, category from the table, text, per-device and per-network limits,
     and the durable commit; printed as letters/s and as a ratio to (1);
  3. on a fresh server, POST /mailbox with one photo of about 2 MB (a 12-megapixel-class
     JPEG of noise, the worst case for the re-encode): letters/s, p50/p99 and the server's
     peak resident memory (VmHWM).
Each request is a page load of its own (a fresh stamp), from a device and address of its
own (the server trusts 127.0.0.1 as its proxy), so limits are counted but never hit; a
letter is answered 303 to its receipt. Afterwards the letters stored are counted and
compared with the answers.

Usage: python bench/letters.py [--seconds 5] [--connections 32] [--photo-connections 4]
                               [--photo-seconds 10]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import (  # noqa: E402
    SECRET,
    add_database_option,
    add_server_options,
    ports,
    run_wrk,
    sqlite_file,
    start_server,
    stop_server,
)

from rating.crypto import Keys  # noqa: E402
from rating.mailbox.form import stamp_token  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402

LUA = r"""
local stamps = {}
for line in io.lines({STAMPS}) do stamps[#stamps + 1] = line end
local photo = nil
if {PHOTO} ~= "" then
  local f = assert(io.open({PHOTO}, "rb")); photo = f:read("*a"); f:close()
end
local boundary = "pjbenchboundary7MA4YWxkTrZu0gW"
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
    "\"\r\n\r\n" .. value .. "\r\n"
end
local text = "窗口排队两小时无人办理，请求增派人员。"
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local run = math.random(1, 200)
local n = 0
request = function()
  n = n + 1
  local body = part("t", stamps[(n - 1) % #stamps + 1]) .. part("lang", "zh") ..
    part("website", "") .. part("category", "投诉") .. part("text", text) .. part("phone", "")
  if photo then
    body = body .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"photos\"; " ..
      "filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n"
  end
  body = body .. "--" .. boundary .. "--\r\n"
  local headers = {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Cookie"] = "pj_dev=benchdevice" .. run .. "x" .. n .. "yyyyyyyy",
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", run, math.floor(n / 250) % 250, n % 250),
  }
  return wrk.format("POST", "/mailbox", headers, body)
end
"""


def write_script(work: Path, name: str, stamps: int, photo: Path | None) -> Path:
    keys = Keys(SECRET)
    now = int(time.time() * 1000)
    stamp_file = work / f"{name}.stamps"
    # Pages loaded over the minute before the run, each once.
    stamp_file.write_text(
        "\n".join(keys.stamp(now - 60_000 + i % 50_000, stamp_token(None)) for i in range(stamps))
        + "\n"
    )
    script = work / f"{name}.lua"
    script.write_text(
        LUA.replace("{STAMPS}", repr(str(stamp_file)).replace("'", '"')).replace(
            "{PHOTO}", repr(str(photo) if photo else "").replace("'", '"')
        ),
        encoding="utf-8",
    )
    return script


def make_photo(path: Path, target: int = 2 * 1024 * 1024) -> int:
    """A JPEG of noise of about `target` bytes (noise does not compress: worst case)."""
    from PIL import Image

    rng = random.Random(7)
    side = 1400
    while True:
        noise = bytes(rng.getrandbits(8) for _ in range(side * side * 3 // 4))
        img = Image.frombytes("RGB", (side, side // 4), noise).resize((side, side * 3 // 4))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=92)
        if out.tell() >= target or side > 4000:
            path.write_bytes(out.getvalue())
            return out.tell()
        side = int(side * 1.15)


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def letters(database: str) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0])


async def migrate(database: str) -> None:
    store = make_store(Settings.load(env={}, database=database, secret=SECRET), one_shot=True)
    await store.open()
    await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="each no-photo run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--photo-seconds", type=int, default=10)
    parser.add_argument("--photo-connections", type=int, default=4)
    add_server_options(parser, servers=2)
    add_database_option(parser, " without photos (the photo run takes PATH.photo)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/setup-system installs it)")
    work = Path(tempfile.mkdtemp(prefix="pj-bench-mailbox-"))
    files = ExitStack()  # the databases: removed at the end, also after a failure
    try:
        env = dict(os.environ)
        env.update(
            {
                "PINGJING_SECRET": SECRET,
                "PINGJING_TRUSTED_PROXIES": "127.0.0.1",
                "PINGJING_LOG_LEVEL": "warning",
            }
        )
        # 1 and 2: the no-op GET and letters without a photo, one server.
        port, photo_port = ports(args, 2)
        host = args.host
        db = files.enter_context(sqlite_file(args.database))
        asyncio.run(migrate(db))
        proc = start_server({**env, "PINGJING_DATABASE": db}, port, host=host)
        try:
            base = f"http://{host}:{port}"
            run_wrk(base + "/healthz", 2, args.connections)  # warm up
            get = run_wrk(base + "/healthz", args.seconds, args.connections)
            script = write_script(work, "plain", args.seconds * 20_000, None)
            post = run_wrk(base + "/mailbox", args.seconds, args.connections, script)
            plain_rss = vm_hwm_mb(proc.pid)
        finally:
            stop_server(proc)
        stored = letters(db)
        print(f"no-op GET /healthz: {get.requests_per_s:,.0f} req/s")
        print(
            f"POST /mailbox, no photo: {post.requests_per_s:,.0f} letters/s = "
            f"{post.requests_per_s / get.requests_per_s:.2f} x the no-op GET (goal >= 0.5); "
            f"p50 {post.p50_ms:.1f} ms, p99 {post.p99_ms:.1f} ms; server peak RSS "
            f"{plain_rss:.0f} MB; stored {stored} of {post.requests - post.non_2xx} answered "
            f"({post.non_2xx} refused){'; ' + post.errors if post.errors else ''}"
        )
        # 3: one ~2 MB photo each, on a fresh server (its own peak memory).
        photo = work / "photo.jpg"
        size = make_photo(photo)
        db = files.enter_context(sqlite_file(args.database + ".photo" if args.database else None))
        asyncio.run(migrate(db))
        proc = start_server({**env, "PINGJING_DATABASE": db}, photo_port, host=host)
        try:
            base = f"http://{host}:{photo_port}"
            script = write_script(work, "photo", args.photo_seconds * 2_000, photo)
            with_photo = run_wrk(
                base + "/mailbox", args.photo_seconds, args.photo_connections, script
            )
            photo_rss = vm_hwm_mb(proc.pid)
        finally:
            stop_server(proc)
        stored = letters(db)
        print(
            f"POST /mailbox, one {size / 2**20:.1f} MB photo ({args.photo_connections} "
            f"connections): {with_photo.requests_per_s:,.1f} letters/s = "
            f"{with_photo.requests_per_s / get.requests_per_s:.4f} x the no-op GET; "
            f"p50 {with_photo.p50_ms:.0f} ms, p99 {with_photo.p99_ms:.0f} ms; server peak RSS "
            f"{photo_rss:.0f} MB; stored {stored} of "
            f"{with_photo.requests - with_photo.non_2xx} answered ({with_photo.non_2xx} refused)"
        )
    finally:
        files.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
