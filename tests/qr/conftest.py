"""Fixtures for the badge job: a small roster in a fresh database, the CLI, decoders."""

from __future__ import annotations

import asyncio
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from rating.cli import main
from rating.settings import SETTINGS, Settings
from rating.store import make_store
from rating.store.models import Officer

BASE_URL = "https://pj.example.cn"
# Two branches, three stations; listed out of order on purpose.
ROSTER_CSV = (
    "警号,姓名,单位,类别\r\n"
    "100003,王强,张家口市公安局/桥西分局/新华街派出所,民警\r\n"
    "100001,张伟,张家口市公安局/桥东分局/胜利路派出所,民警\r\n"
    "100002,李娜,张家口市公安局/桥东分局/胜利路派出所,辅警\r\n"
    "100005,欧阳晓燕,张家口市公安局/桥东分局/东门外派出所,民警\r\n"
    "100004,赵磊,张家口市公安局/桥西分局/新华街派出所,辅警\r\n"
)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for s in SETTINGS:
        monkeypatch.delenv(f"PINGJING_{s.name.upper()}", raising=False)
    monkeypatch.setenv("PINGJING_SQLITE_SYNCHRONOUS", "NORMAL")
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", BASE_URL)


class Cli:
    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main(["--database", str(self.db), *args])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def badges(self, out: Path, *args: str) -> Run:
        return self("badges", "print", "--out", str(out), "--no-progress", *args)

    def officers(self) -> list[Officer]:
        async def run() -> list[Officer]:
            store = make_store(Settings.load(database=str(self.db)))
            await store.open()
            try:
                return await store.list_officers()
            finally:
                await store.close()

        return asyncio.run(run())

    def lookup(self, token: str) -> str:
        """What the service makes of a printed token now: live, revoked or unknown."""

        async def run() -> str:
            store = make_store(Settings.load(database=str(self.db)))
            await store.open()
            try:
                return (await store.lookup_token(token)).state.value
            finally:
                await store.close()

        return asyncio.run(run())

    def import_csv(self, text: str) -> None:
        path = self.db.with_suffix(".csv")
        path.write_text(text, encoding="utf-8")
        assert self("officers", "import", str(path)).code == 0


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The `pingjing` command on a database holding the five-officer roster."""
    runner = Cli(tmp_path / "pingjing.db", capsys)
    runner.import_csv(ROSTER_CSV)
    return runner


def url_of(officer: Officer) -> str:
    return f"{BASE_URL}/r/{officer.token}"


def decode_all(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds, top to bottom, left to right."""
    found = [
        b
        for b in zxingcpp.read_barcodes(image.convert("L"))
        if b.format == zxingcpp.BarcodeFormat.QRCode
    ]
    found.sort(key=lambda b: (round(b.position.top_left.y / 50), b.position.top_left.x))
    return [b.text for b in found]


def decode_one(image: Image.Image) -> str:
    texts = decode_all(image)
    assert len(texts) == 1, texts
    return texts[0]


def read_manifest(out: Path) -> list[dict[str, str]]:
    with open(out / "manifest.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(out: Path) -> dict[str, bytes]:
    """Every file under `out` by relative path, with its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def dark(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128
