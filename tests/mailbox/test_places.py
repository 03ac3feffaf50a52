"""Unit (place) codes: the /u/{token} page, its rating, officer search, letters for the
unit, posters decoded with zxing-cpp, reissue and revoke, and backup of the new tables."""

from __future__ import annotations

import gzip
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from rating.cli import main
from rating.mailbox import service
from rating.mailbox.form import stamp_token
from rating.mailbox.places import stamp_token as place_stamp
from rating.store.models import Unit
from tests.conftest import Web, rows
from tests.units import run_sql

STATION = "张家口市公安局/桥东分局/胜利路派出所"


async def station(web: Web) -> tuple[Unit, str]:
    unit = await web.store.ensure_unit_path(STATION)
    return unit, await service.issue_unit_token(web.store, unit)


async def test_place_page_is_tiny_and_offers_rating_search_and_letter(web: Web) -> None:
    unit, token = await station(web)
    async with web.client.stream("GET", f"/u/{token}", headers={"accept-encoding": "gzip"}) as r:
        wire = b"".join([chunk async for chunk in r.aiter_raw()])
    page = gzip.decompress(wire).decode("utf-8")
    assert r.status_code == 200 and "胜利路派出所" in page and "<script" not in page
    assert f'action="/u/{token}"' in page and f'href="/mailbox/u/{token}"' in page
    assert f'action="/u/{token}/officer"' in page
    assert len(wire) <= 14 * 1024


async def test_place_rating_counts_for_the_unit_never_an_officer(web: Web) -> None:
    unit, token = await station(web)
    stamp = web.keys.stamp(int((time.time() - 5) * 1000), place_stamp(token))
    r = await web.client.post(f"/u/{token}", data={"t": stamp, "level": "2", "website": ""})
    assert r.status_code == 303 and r.headers["location"] == f"/u/{token}?rated=1"
    assert "感谢您的评价" in (await web.client.get(r.headers["location"])).text
    assert rows(web.svc.settings, "SELECT unit_id, level FROM unit_ratings") == [(unit.id, 2)]
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM ratings") == [(0,)]


async def test_place_rating_refusals_name_the_field(web: Web) -> None:
    _, token = await station(web)
    stamp = web.keys.stamp(int((time.time() - 5) * 1000), place_stamp(token))
    r = await web.client.post(f"/u/{token}", data={"t": stamp, "level": "9"})
    assert r.status_code == 400 and 'id="level-err"' in r.text
    r = await web.client.post(f"/u/{token}", data={"t": "1.forged", "level": "5"})
    assert r.status_code == 400 and "页面已过期" in r.text
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM unit_ratings") == [(0,)]


async def test_find_officer_by_badge_number(web: Web) -> None:
    _, token = await station(web)
    r = await web.client.get(f"/u/{token}/officer", params={"badge": " 100001 "})
    assert r.status_code == 303 and r.headers["location"] == f"/r/{web.token(0)}"
    r = await web.client.get(f"/u/{token}/officer", params={"badge": "999999"})
    assert r.status_code == 404 and 'id="badge-err"' in r.text and 'value="999999"' in r.text


async def test_officers_signed_in_at_the_units_kiosks_are_listed(web: Web) -> None:
    unit, token = await station(web)
    officer = web.officers[0]
    now = int(time.time() * 1000)
    await web.store.write(
        run_sql,
        "INSERT INTO kiosks (name, unit_id, created_at) VALUES ('窗口1', ?, ?)",
        (unit.id, now),
    )
    ((kiosk_id,),) = rows(web.svc.settings, "SELECT id FROM kiosks")
    await web.store.write(
        run_sql,
        "INSERT INTO kiosk_sessions (kiosk_id, officer_id, started_by, started_at) "
        "VALUES (?, ?, 'admin', ?)",
        (kiosk_id, officer.id, now),
    )
    page = (await web.client.get(f"/u/{token}")).text
    assert re.search(rf'<a href="/r/{officer.token}">{officer.name}</a>', page)


async def test_letter_through_the_unit_code_is_for_that_unit(web: Web) -> None:
    unit, token = await station(web)
    page = (await web.client.get(f"/mailbox/u/{token}")).text
    assert "桥东分局 · 胜利路派出所" in page and f'action="/mailbox/u/{token}"' in page
    stamp = web.keys.stamp(int((time.time() - 5) * 1000), stamp_token(token))
    r = await web.client.post(
        f"/mailbox/u/{token}",
        data={"t": stamp, "lang": "zh", "category": "建议", "text": "大厅座位太少"},
        files=[("photos", ("", b"", "application/octet-stream"))],
    )
    assert r.status_code == 303
    assert rows(web.svc.settings, "SELECT unit_id, category FROM letters") == [(unit.id, "建议")]


async def test_revoked_and_unknown_place_codes(web: Web) -> None:
    unit, token = await station(web)
    new = await service.issue_unit_token(web.store, unit)
    for path in (f"/u/{token}", f"/mailbox/u/{token}"):
        r = await web.client.get(path)
        assert r.status_code == 410 and "此二维码已失效" in r.text
    assert (await web.client.get(f"/u/{new}")).status_code == 200
    assert (await web.client.get("/u/ABCDEFGHJKMN")).status_code == 404
    r = await web.client.post("/u/ABCDEFGHJKMN", data={"level": "5"})
    assert r.status_code == 404


# ------------------------------------------------------------------ the CLI


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PINGJING_DATABASE", "PINGJING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"badge_no,name,unit,kind\n100001,张伟,{STATION},police\n", encoding="utf-8")
    path = tmp_path / "pingjing.db"
    assert main(["--database", str(path), "officers", "import", str(roster)]) == 0
    return path


def decode(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image.convert("L"))]


def live_token(db: Path, path: str) -> str:
    with sqlite3.connect(db) as conn:
        (token,) = conn.execute(
            "SELECT t.token FROM unit_tokens t JOIN units u ON u.id = t.unit_id "
            "WHERE u.path = ? AND t.revoked_at IS NULL",
            (path,),
        ).fetchone()
    return str(token)


def test_posters_print_and_decode(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posters"
    args = ["--database", str(db), "units", "codes", "print", "--out", str(out)]
    assert main([*args, "--unit", "张家口市公安局/桥东分局"]) == 0
    assert "2 posters" in capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 4 and all(f.endswith((".png", ".pdf")) for f in files)
    token = live_token(db, STATION)
    url = f"https://pj.example.cn/u/{token}"
    (png,) = [p for p in out.glob("*.png") if decode(Image.open(p)) == [url]]
    pdf = pypdfium2.PdfDocument(png.with_suffix(".pdf"))
    width, height = pdf[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    assert decode(pdf[0].render(scale=1).to_pil()) == [url]
    # Printing again keeps the codes (the posters on the wall stay valid).
    assert main(args) == 0
    assert live_token(db, STATION) == token


def test_reissue_and_revoke(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--database", str(db), "units", "codes", "print", "--out", str(tmp_path / "p")]) == 0
    )
    old = live_token(db, STATION)
    assert main(["--database", str(db), "units", "codes", "reissue", STATION]) == 0
    new = live_token(db, STATION)
    assert new != old and new in capsys.readouterr().out
    assert main(["--database", str(db), "units", "codes", "revoke", STATION]) == 0
    assert main(["--database", str(db), "units", "codes", "revoke", STATION]) == 1
    assert "no live code" in capsys.readouterr().err
    assert main(["--database", str(db), "units", "codes", "revoke", "no/such/unit"]) == 1


def test_categories_command(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", str(db), "mailbox", "categories"]) == 0
    assert capsys.readouterr().out.split("\t")[0] == "投诉"
    assert (
        main(["--database", str(db), "mailbox", "categories", "--set", "投诉=Complaint，建议"]) == 0
    )
    assert capsys.readouterr().out == "投诉\tComplaint\n建议\n"
    assert main(["--database", str(db), "mailbox", "categories", "--set", "a,a"]) == 1
    assert "twice" in capsys.readouterr().err


def test_backup_holds_letters_and_photos(db: Path, tmp_path: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO letters (receipt, category, body, created_at, updated_at) "
            "VALUES ('ABCDEFGHJKMN', '投诉', '信', 1, 1)"
        )
        conn.execute(
            "INSERT INTO letter_photos (letter_id, position, data, mime, width, height, size) "
            "VALUES (1, 1, x'ffd8ffd9', 'image/jpeg', 1, 1, 4)"
        )
    dest = tmp_path / "backup.db"
    assert main(["--database", str(db), "backup", str(dest)]) == 0
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT body FROM letters").fetchall() == [("信",)]
        assert conn.execute("SELECT data FROM letter_photos").fetchall() == [(b"\xff\xd8\xff\xd9",)]


async def test_the_bureaus_short_path_answers_a_letter_as_the_usual_way_does(web: Web) -> None:
    """A letter to the bureau's box is answered by views.take_quickly, a unit's box the
    usual way (router, middleware, RedirectResponse): the same answer, header for header."""
    _, token = await station(web)
    answers = []
    for path, unit_token in (("/mailbox", None), (f"/mailbox/u/{token}", token)):
        web.client.cookies.clear()
        stamp = web.keys.stamp(int((time.time() - 5) * 1000), stamp_token(unit_token))
        answers.append(
            await web.client.post(
                path,
                data={"t": stamp, "lang": "zh", "category": "建议", "text": "大厅座位太少"},
                files=[("photos", ("", b"", "application/octet-stream"))],
            )
        )
    quick, usual = answers

    def shape(r: httpx.Response) -> list[tuple[str, str]]:
        # The receipt, the device cookie and the request id differ by nature.
        return sorted(
            (k, re.sub(r"(receipt/|pj_dev=)[\w-]+", r"\1*", v))
            for k, v in r.headers.items()
            if k != "x-request-id"
        )

    assert quick.status_code == usual.status_code == 303
    assert shape(quick) == shape(usual) and quick.content == usual.content == b""
    assert quick.headers["x-request-id"] and usual.headers["x-request-id"]
    assert len(rows(web.svc.settings, "SELECT id FROM letters")) == 2
