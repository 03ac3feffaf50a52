"""Benchmark: print badges for a whole city force (11,873 synthetic officers).

Builds a synthetic roster in a temporary SQLite database (not timed), then times
`pingjing badges print` end to end in a subprocess (interpreter start, roster read,
encoding, PNG files, A4 PDF sheets, manifest) and prints wall time, badges/s and peak
memory. Also times QR encoding alone, ours against qrcode's defaults, on a sample.

    .venv/bin/python bench/badges.py                 # PNG + PDF on 2 processes
    .venv/bin/python bench/badges.py --formats png,svg,pdf --jobs 4 --officers 2000

Target (issue 4): <= 15 s for 11,873 badges, PNG + PDF, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import add_database_option, sqlite_file  # noqa: E402

from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402
from rating.store.models import RosterRow  # noqa: E402

BUREAU = "张家口市公安局"
BRANCHES = ("桥东分局", "桥西分局", "宣化分局", "下花园分局", "万全分局", "崇礼分局", "经开分局")
STATIONS = ("胜利路", "东门外", "新华街", "堡子里", "南关", "北新村", "大境门", "五一路", "工业路")
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波宁晨浩宇欣怡俊帅"
    "鹏飞斌辉峰鑫亮林婷雪琳晶博文凯瑞佳琪涵睿轩子豪梓萱梦洁诗雨嘉怡一鸣天翔宏伟"
    "立新振东春生秋菊冬梅玉兰凤英永福德胜成龙家乐思远泽宇子墨依诺可馨若曦昊然炳森"
)


def synthetic_roster(count: int, seed: int = 11873) -> list[RosterRow]:
    rng = random.Random(seed)
    units = [f"{BUREAU}/{b}/{s}派出所" for b in BRANCHES for s in STATIONS]
    units += [f"{BUREAU}/交通警察支队/第{i}大队" for i in range(1, 9)]
    rows = []
    for i in range(count):
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        kind = "auxiliary" if rng.random() < 0.35 else "police"
        rows.append(
            RosterRow(
                i + 2, f"{130000 + i:06d}", rng.choice(SURNAMES) + given, rng.choice(units), kind
            )
        )
    return rows


async def build_db(path: Path, count: int) -> None:
    settings = Settings.load(database=str(path), public_base_url="https://pj.zjk.gov.cn")
    store = make_store(settings)
    await store.open()
    try:
        result = await store.import_roster(synthetic_roster(count))
        assert len(result.created) == count, result.errors[:3]
    finally:
        await store.close()


def encode_sample(n: int) -> tuple[float, float]:
    """Milliseconds per code: our encoder, qrcode's defaults (same symbols)."""
    import qrcode

    from qr.encode import encode

    rng = random.Random(1)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    urls = [
        "https://pj.zjk.gov.cn/r/" + "".join(rng.choice(alphabet) for _ in range(12))
        for _ in range(n)
    ]
    t0 = time.perf_counter()
    for url in urls:
        encode(url, "Q")
    ours = (time.perf_counter() - t0) / n * 1000
    t0 = time.perf_counter()
    for url in urls:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q)
        code.add_data(url)
        code.make()
    theirs = (time.perf_counter() - t0) / n * 1000
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=11873)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--formats", default="png,pdf")
    parser.add_argument("--dpi", type=int, default=600)
    parser.add_argument("--keep", help="write into this folder and keep it")
    add_database_option(parser, " (the synthetic roster)")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="pingjing-bench-") as tmp,
        sqlite_file(args.database) as db_path,
    ):
        db = Path(db_path)
        out = Path(args.keep) if args.keep else Path(tmp) / "out"
        t0 = time.perf_counter()
        asyncio.run(build_db(db, args.officers))
        print(
            f"roster: {args.officers} synthetic officers in {time.perf_counter() - t0:.1f} s "
            "(not counted)"
        )
        cmd = [
            str(Path(sys.executable).parent / "pingjing"),
            "--database",
            str(db),
            "badges",
            "print",
            "--out",
            str(out),
            "--formats",
            args.formats,
            "--jobs",
            str(args.jobs),
            "--dpi",
            str(args.dpi),
            "--no-progress",
            "--allow-local",  # the synthetic roster's URLs point at this machine
        ]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if done.returncode:
            sys.exit(f"badges print failed: {done.stderr.strip()}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Largest resident set of any finished child process (the CLI or one of its workers).
        peak_mb = usage.ru_maxrss / 1024
        # CPU seconds of the CLI and its workers: steadier than wall time on a busy host.
        cpu = usage.ru_utime + usage.ru_stime
        files = sum(1 for p in out.rglob("*") if p.is_file())
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        print(done.stdout.strip())
        print(
            f"badges print ({args.formats}, {args.dpi} dpi, {args.jobs} processes): "
            f"{wall:.1f} s wall, {args.officers / wall:.0f} badges/s, "
            f"peak memory {peak_mb:.0f} MB (largest process), {files} files, {size_mb:.0f} MB; "
            f"{cpu:.1f} CPU-seconds in all ({cpu / args.officers * 1000:.2f} ms a badge)"
        )
    ours, theirs = encode_sample(300)
    print(
        f"QR encode alone: {ours:.2f} ms/code here vs {theirs:.2f} ms/code with qrcode's "
        f"defaults (same symbol, same mask)"
    )


if __name__ == "__main__":
    main()
