"""`pingjing badges print`: files a print shop can use, that scan to the right officer."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import pypdf
import pypdfium2
import pytest
from PIL import Image

from qr.layout import badge_height
from qr.sheets import MARK_LENGTH_MM, MARK_OFFSET_MM, impose
from tests.qr.conftest import (
    BASE_URL,
    Cli,
    dark,
    decode_all,
    decode_one,
    read_manifest,
    sha256,
    tree,
    url_of,
)

A4_PT = (595.2756, 841.8898)


def test_every_png_scans_to_its_officers_url_at_600_dpi(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli.badges(out)
    assert run.code == 0, run.err
    assert "5 badge(s) printed" in run.out
    for officer in cli.officers():
        image = Image.open(out / "png" / f"{officer.badge_no}.png")
        assert image.info["dpi"] == pytest.approx((600, 600), abs=0.01)
        # 40 mm wide (the default), 58 mm high, at 600 dpi.
        assert image.size == (round(40 / 25.4 * 600), round(badge_height(40) / 25.4 * 600))
        assert decode_one(image) == url_of(officer)


def test_code_has_a_clear_quiet_zone_and_text_below_it(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.badges(out, "--badge", "100001").code == 0
    pixels = dark(Image.open(out / "png" / "100001.png"))
    width = pixels.shape[1]
    dots = width // 41  # a version 4 code: 33 modules + 2 x 4 quiet zone
    code_end = (width - dots * 41) // 2 + dots * 41
    quiet = 4 * dots
    assert not pixels[:quiet].any(), "top quiet zone"
    assert not pixels[:code_end, :quiet].any() and not pixels[:code_end, -quiet:].any()
    assert not pixels[code_end - quiet : code_end].any(), "bottom quiet zone"
    assert pixels[code_end:].any(), "name, number, unit and typed address under the code"


def test_svg_is_vector_with_outlined_text_and_scans(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.badges(out, "--size", "50").code == 0
    officer = cli.officers()[0]
    svg = (out / "svg" / f"{officer.badge_no}.svg").read_bytes()
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "50mm"
    assert root.get("height") == f"{badge_height(50):g}mm"
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert "path" in tags and not tags & {"image", "text"}  # no bitmaps, no font needed
    png = cairosvg.svg2png(bytestring=svg, dpi=300)
    assert decode_one(Image.open(io.BytesIO(png))) == url_of(officer)


def test_pdf_sheets_are_a4_n_up_by_unit_then_badge_with_crop_marks(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert cli.badges(out).code == 0
    path = out / "sheets" / "all.pdf"
    reader = pypdf.PdfReader(path, strict=True)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_PT, abs=0.01)

    officers = sorted(cli.officers(), key=lambda o: (o.unit_path, o.badge_no))
    assert [o.badge_no for o in officers] == ["100005", "100001", "100002", "100003", "100004"]
    page = pypdfium2.PdfDocument(path)[0].render(scale=200 / 72).to_pil()
    assert decode_all(page) == [url_of(o) for o in officers]  # 4 across, in print order

    pixels = dark(page)
    per_mm = 200 / 25.4
    slot = impose(40, badge_height(40)).slot(0)
    # The left crop mark on the first badge's top trim line, and a blank gap at the corner.
    mark_x = slot[0] - MARK_OFFSET_MM - MARK_LENGTH_MM / 2
    y = round(slot[1] * per_mm)
    assert pixels[y - 1 : y + 2, round(mark_x * per_mm)].any()
    assert not pixels[y - 1 : y + 2, round((slot[0] - MARK_OFFSET_MM / 2) * per_mm)].any()


def test_manifest_lists_each_badge_with_the_hashes_of_its_files(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.badges(out).code == 0
    rows = read_manifest(out)
    officers = {o.badge_no: o for o in cli.officers()}
    assert [r["badge_no"] for r in rows] == ["100005", "100001", "100002", "100003", "100004"]
    for row in rows:
        officer = officers[row["badge_no"]]
        assert (row["name"], row["unit"], row["token"], row["url"]) == (
            officer.name,
            officer.unit_path,
            officer.token,
            url_of(officer),
        )
        for kind in ("png", "svg", "sheet"):
            assert sha256(out / row[kind]) == row[f"{kind}_sha256"]
        assert row["sheet"] == "sheets/all.pdf" and row["sheet_page"] == "1"
    assert sorted(p.name for p in (out / "png").iterdir()) == sorted(f"{b}.png" for b in officers)


def test_rerun_gives_byte_identical_files_whatever_the_process_count(
    cli: Cli, tmp_path: Path
) -> None:
    # 90 mm badges: 4 per A4 page, so five officers take two pages and two processes.
    args = ("--size", "90", "--dpi", "200")
    first, second = tmp_path / "one", tmp_path / "two"
    assert cli.badges(first, *args, "--jobs", "1").code == 0
    before = tree(first)
    assert cli.badges(first, *args, "--jobs", "1").code == 0
    assert tree(first) == before
    assert cli.badges(second, *args, "--jobs", "2").code == 0
    assert tree(second) == before
    assert len(pypdf.PdfReader(second / "sheets" / "all.pdf").pages) == 2


def test_reissue_then_only_changed_prints_just_the_new_code(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.badges(out).code == 0
    before = tree(out)
    old = {o.badge_no: o for o in cli.officers()}["100002"]

    assert cli("officers", "reissue", "100002").code == 0
    run = cli.badges(out, "--only-changed")
    assert run.code == 0, run.err
    assert "1 badge(s) printed" in run.out
    new = {o.badge_no: o for o in cli.officers()}["100002"]
    assert new.token != old.token
    assert decode_one(Image.open(out / "png" / "100002.png")) == url_of(new)

    after = tree(out)
    changed = {k for k in after if before.get(k) != after[k]}
    (sheet,) = [k for k in changed if k.startswith("sheets/")]
    assert changed == {"png/100002.png", "svg/100002.svg", "manifest.csv", sheet}
    assert sheet.startswith("sheets/changed-")
    assert decode_all(pypdfium2.PdfDocument(out / sheet)[0].render(scale=2).to_pil()) == [
        url_of(new)
    ]
    rows = {r["badge_no"]: r for r in read_manifest(out)}
    assert rows["100002"]["token"] == new.token and rows["100002"]["sheet"] == sheet
    assert rows["100001"]["sheet"] == "sheets/all.pdf"

    # The old printed code no longer rates anyone.
    lookup = cli.lookup(old.token or "")
    assert lookup == "revoked"

    again = cli.badges(out, "--only-changed")
    assert again.code == 0 and again.out.startswith("nothing to print")
    assert tree(out) == after


def test_new_officer_is_printed_by_only_changed(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.badges(out, "--formats", "png").code == 0
    cli.import_csv(
        "警号,姓名,单位,类别\r\n100006,孙丽,张家口市公安局/桥东分局/东门外派出所,民警\r\n"
    )
    run = cli.badges(out, "--formats", "png", "--only-changed")
    assert run.code == 0 and "1 badge(s) printed" in run.out
    assert [r["badge_no"] for r in read_manifest(out)].count("100006") == 1
    assert len(list((out / "png").iterdir())) == 6


def test_name_the_font_cannot_draw_is_reported_not_printed_as_a_box(
    cli: Cli, tmp_path: Path
) -> None:
    from qr.fonts import find_font, load_font

    font = load_font(*find_font())
    rare = next(c for c in "𪚥𪚦𪚧𫝀𬺰𮯠" if font.missing(c))
    cli.import_csv(
        f"警号,姓名,单位,类别\r\n100009,王{rare},张家口市公安局/桥西分局/新华街派出所,民警\r\n"
    )
    out = tmp_path / "out"
    run = cli.badges(out)
    assert run.code == 1
    assert run.err.count("\n") == 1 and f"王{rare} (100009)" in run.err
    assert not (out / "png").exists() or not any((out / "png").iterdir())

    run = cli.badges(out, "--skip-missing-glyphs")
    assert run.code == 1 and f"王{rare} (100009)" in run.err
    assert "5 badge(s) printed" in run.out
    assert "100009" not in {r["badge_no"] for r in read_manifest(out)}
    assert not (out / "png" / "100009.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unit", "no/such/unit"), "unknown unit 'no/such/unit'"),
        (("--badge", "999999"), "no officer with badge number '999999'"),
        (
            ("--unit", "张家口市公安局/桥西分局", "--badge", "100001"),
            "张伟 (100001) is not in unit 张家口市公安局/桥西分局",
        ),
        (("--size", "12"), "the minimum --size for this code (41 modules across) is 21 mm"),
        (("--dpi", "72"), "the minimum --dpi is 104"),
        (("--size", "200"), "does not fit an A4 sheet; the maximum --size is"),
        (("--font", "/no/such/font.ttc"), "font file /no/such/font.ttc does not exist"),
        (("--formats", "png,tiff"), "--formats takes a comma-separated list of png, svg, pdf"),
    ],
)
def test_bad_input_is_one_line_and_a_failing_exit(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out"
    run = cli.badges(out, *args)
    assert run.code == 1
    assert run.err.startswith("pingjing: ") and run.err.count("\n") == 1
    assert message in run.err
    assert not (out / "manifest.csv").exists()


def test_stated_minimums_are_enough(cli: Cli, tmp_path: Path) -> None:
    officer = {o.badge_no: o for o in cli.officers()}["100001"]
    for args in (("--size", "21"), ("--dpi", "104")):
        run = cli.badges(tmp_path / args[0].strip("-"), "--badge", "100001", *args)
        assert run.code == 0, run.err
        image = Image.open(tmp_path / args[0].strip("-") / "png" / "100001.png")
        assert decode_one(image) == url_of(officer)
    assert math.isclose(image.info["dpi"][0], 104, abs_tol=0.05)  # PNG stores dots per metre


def test_unwritable_output_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = cli.badges(blocker / "out")
    assert run.code == 1 and run.err.count("\n") == 1
    assert f"cannot write to output folder {blocker / 'out'}" in run.err


def test_empty_roster_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Cli(tmp_path / "empty.db", capsys).badges(tmp_path / "out")
    assert run.code == 1 and run.err.count("\n") == 1
    assert "no active officers" in run.err


def test_missing_cjk_font_says_what_to_install(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qr.fonts

    monkeypatch.setattr(qr.fonts, "SYSTEM_FONTS", ())
    monkeypatch.setattr(qr.fonts, "_fc_list", lambda: [])
    run = cli.badges(tmp_path / "out")
    assert run.code == 1 and run.err.count("\n") == 1
    assert "no Chinese (CJK) font found" in run.err and "fonts-noto-cjk" in run.err


def test_interrupted_run_leaves_no_half_written_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qr.batch

    real = qr.batch.svg_bytes
    calls = []

    def interrupt_on_third(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(qr.batch, "svg_bytes", interrupt_on_third)
    out = tmp_path / "out"
    assert cli.badges(out, "--jobs", "1").code == 130
    files = tree(out)
    hidden = [name for name in files if name.rsplit("/", 1)[-1].startswith(".")]
    assert hidden == [".badges.lock"]  # the folder's lock; no temporary files
    assert "sheets/all.pdf" not in files and "manifest.csv" not in files
    assert sorted(n for n in files if n.endswith(".svg")) == ["svg/100001.svg", "svg/100005.svg"]
    for name in files:  # whatever was written is whole
        if name.endswith(".png"):
            assert decode_one(Image.open(out / name)).startswith(BASE_URL)
        elif name.endswith(".svg"):
            ET.fromstring(files[name])  # noqa: S314 - our own output


def test_interrupted_write_keeps_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qr.output

    target = tmp_path / "100001.png"
    target.write_bytes(b"the badge printed last week")

    def interrupted(*_: object) -> None:  # after the new bytes are written, before rename
        raise KeyboardInterrupt

    monkeypatch.setattr(qr.output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        qr.output.write_atomic(target, b"\x89PNG" + bytes(5000))
    assert [p.name for p in tmp_path.iterdir()] == ["100001.png"]
    assert target.read_bytes() == b"the badge printed last week"


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "png").mkdir(parents=True)
    leftover = out / "png" / ".100001.png.4242.part"
    leftover.write_bytes(b"\x89PNG half")
    assert cli.badges(out, "--formats", "png").code == 0
    assert not leftover.exists()
    assert sorted(p.name for p in (out / "png").iterdir())[0] == "100001.png"


def test_unreadable_print_record_is_refused_not_overwritten(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.csv").write_bytes(b"\xff\xfe not a manifest \xc3")
    for args in ((), ("--only-changed",)):
        run = cli.badges(out, *args)
        assert run.code == 1 and run.err.count("\n") == 1
        assert "cannot read the print record" in run.err
    assert (out / "manifest.csv").read_bytes() == b"\xff\xfe not a manifest \xc3"


def test_error_correction_level_h_on_request(cli: Cli, tmp_path: Path) -> None:
    import zxingcpp

    out = tmp_path / "out"
    assert cli.badges(out, "--badge", "100001", "--ecc", "H", "--formats", "png").code == 0
    (found,) = zxingcpp.read_barcodes(Image.open(out / "png" / "100001.png").convert("L"))
    assert found.ec_level == "H"
    assert found.text == url_of({o.badge_no: o for o in cli.officers()}["100001"])


def test_a_second_run_into_the_same_folder_waits_its_turn(cli: Cli, tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".badges.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running print would
        run = cli.badges(out)
    assert run.code == 1 and run.err.count("\n") == 1
    assert "another badges print is writing into" in run.err
    assert cli.badges(out).code == 0
