"""The badge-printing batch job: badge texts in, artwork files and a manifest out.

Output folder:
    png/<badge_no>.png     bilevel artwork at the requested DPI
    svg/<badge_no>.svg     vector artwork, text as outlines
    sheets/<label>.pdf     A4 sheets, N-up with crop marks, by unit then badge number
    manifest.csv           one row per badge: what was printed, where, and sha256 of files

Pages are rendered by worker processes (each writes its badges' PNG and SVG files); the
parent streams the pages into the PDF in order and writes the manifest at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from qr.defaults import DEFAULT_DPI, DEFAULT_SIZE_MM, FORMATS  # the CLI reads it without numpy
from qr.encode import encode, encode_many, with_quiet_zone
from qr.fonts import BadgeFont, FontError, find_font, load_font
from qr.layout import (
    Badge,
    BadgeText,
    LayoutError,
    badge_height,
    check_printable,
    layout_badge,
)
from qr.output import (
    MANIFEST,
    PART,
    ManifestRow,
    OutputError,
    manifest_bytes,
    merge_rows,
    prepare_out,
    read_manifest,
    safe_label,
    safe_name,
    sweep_partial,
    write_atomic,
)
from qr.render import Rasteriser, svg_bytes
from qr.sheets import Imposition, SheetWriter, glyph_form, impose, page_content


class BatchError(Exception):
    """A user mistake or an impossible request: one line, nothing half-written."""


@dataclass(frozen=True)
class PrintOptions:
    out: Path
    size_mm: float = DEFAULT_SIZE_MM
    dpi: int = DEFAULT_DPI
    ecc: str = "Q"
    formats: tuple[str, ...] = FORMATS
    jobs: int = 0  # 0: one process per core
    font: str | None = None
    skip_missing_glyphs: bool = False
    progress: bool = True


@dataclass
class PrintReport:
    printed: list[ManifestRow] = field(default_factory=list)
    skipped: list[tuple[BadgeText, list[str]]] = field(default_factory=list)
    sheet: str = ""
    pages: int = 0
    per_page: int = 0


# ------------------------------------------------------------------ rendering


@dataclass(frozen=True)
class _Config:
    font_path: str
    font_index: int
    size_mm: float
    dpi: int
    ecc: str
    formats: tuple[str, ...]
    out: str
    imposition: Imposition
    label: str
    total_pages: int


@dataclass
class _PageResult:
    page: int
    rows: list[ManifestRow]
    content: bytes = b""
    forms: dict[int, bytes] = field(default_factory=dict)


class _Renderer:
    """Renders pages of badges in one process, keeping its font caches between pages."""

    def __init__(self, config: _Config, font: BadgeFont | None = None) -> None:
        self.config = config
        self.font = font or load_font(config.font_path, config.font_index)
        self.raster = Rasteriser(self.font, config.dpi)
        self.sent: set[int] = set()  # glyph forms already handed to the parent
        self._writer: ThreadPoolExecutor | None = None
        self._writer_pid = 0

    def write(self, path: Path, data: bytes) -> Future[None]:
        """Write a file on a background thread.

        Creating a file can stall for milliseconds on a busy disk's journal; with a few
        writer threads (the GIL is released in the system call) rendering carries on.
        """
        if self._writer is None or self._writer_pid != os.getpid():  # new after a fork
            self._writer = ThreadPoolExecutor(max_workers=4, thread_name_prefix="badge-write")
            self._writer_pid = os.getpid()
        return self._writer.submit(write_atomic, path, data)

    def close(self) -> None:
        """Stop the writer threads (a later fork must not copy a process with threads)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def badges(self, texts: list[BadgeText]) -> list[Badge]:
        cfg = self.config
        out = []
        for text, symbol in zip(texts, encode_many([t.url for t in texts], cfg.ecc), strict=True):
            modules = with_quiet_zone(symbol.modules)
            check_printable(cfg.size_mm, cfg.dpi, modules.shape[0])
            out.append(layout_badge(text, modules, cfg.size_mm, self.font))
        return out

    def page(self, task: tuple[int, list[BadgeText]]) -> _PageResult:
        page_no, texts = task
        cfg = self.config
        out = Path(cfg.out)
        badges, rows = self.badges(texts), []
        pending: list[Future[None]] = []
        try:
            for text, badge in zip(texts, badges, strict=True):
                row = ManifestRow(
                    text.badge_no, text.name, text.kind, text.unit_path, text.token, text.url
                )
                stem = safe_name(text.badge_no)
                if "png" in cfg.formats:
                    data = self.raster.png(badge)
                    pending.append(self.write(out / "png" / f"{stem}.png", data))
                    row.png, row.png_sha256 = f"png/{stem}.png", _sha(data)
                if "svg" in cfg.formats:
                    data = svg_bytes(badge, self.font)
                    pending.append(self.write(out / "svg" / f"{stem}.svg", data))
                    row.svg, row.svg_sha256 = f"svg/{stem}.svg", _sha(data)
                rows.append(row)
        finally:
            wait(pending)  # no write outlives its page, even when rendering failed
        for done in pending:
            done.result()  # a failed write (disk full, ...) fails the run
        result = _PageResult(page_no, rows)
        if "pdf" in cfg.formats:
            footer = (
                f"Pingjing {cfg.label}  {page_no}/{cfg.total_pages}  "
                f"{texts[0].badge_no} - {texts[-1].badge_no}"
            )
            result.content, used = page_content(badges, cfg.imposition, footer, self.font)
            for ch in sorted(used):
                outline = self.font.outline(ch)
                if outline.pdf and outline.gid not in self.sent:
                    self.sent.add(outline.gid)
                    result.forms[outline.gid] = glyph_form(outline, self.font.units_per_em)
        return result


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_RENDERER: _Renderer | None = None


def _init_worker(config: _Config) -> None:
    global _RENDERER
    # Forked workers inherit the parent's renderer (font already parsed); spawned ones build it.
    if _RENDERER is None or _RENDERER.config != config:
        _RENDERER = _Renderer(config)


def _render_page(task: tuple[int, list[BadgeText]]) -> _PageResult:
    assert _RENDERER is not None
    return _RENDERER.page(task)


@contextlib.contextmanager
def _runner(
    jobs: int, config: _Config, renderer: _Renderer, pages: int
) -> Iterator[Callable[[list[tuple[int, list[BadgeText]]]], Iterator[_PageResult]]]:
    global _RENDERER
    if jobs <= 1 or pages <= 1:
        yield lambda tasks: map(renderer.page, tasks)
        return
    _RENDERER = renderer  # forked workers inherit it, fonts parsed and caches warm
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    try:
        with ctx.Pool(min(jobs, pages), initializer=_init_worker, initargs=(config,)) as pool:
            yield lambda tasks: pool.imap(_render_page, tasks, chunksize=1)
    finally:
        _RENDERER = None


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ------------------------------------------------------------------ the job


def missing_glyphs(texts: list[BadgeText], font: BadgeFont) -> list[tuple[BadgeText, list[str]]]:
    """Officers with a character the font cannot draw (never printed as an empty box)."""
    out = []
    for text in texts:
        lacking = font.missing("".join(text.lines().values()))
        if lacking:
            out.append((text, lacking))
    return out


def describe_missing(found: list[tuple[BadgeText, list[str]]]) -> str:
    return "; ".join(f"{t.name} ({t.badge_no}) lacks {' '.join(chars)}" for t, chars in found)


def print_badges(texts: list[BadgeText], options: PrintOptions, label: str) -> PrintReport:
    """Render `texts` into `options.out`; see the module docstring for the files."""
    formats = tuple(f for f in FORMATS if f in options.formats)
    if not formats:
        raise BatchError(f"--formats needs at least one of {', '.join(FORMATS)}")
    if not texts:
        raise BatchError("no officers to print")
    label = safe_label(label)
    try:
        font_path, font_index = find_font(options.font)
        font = load_font(font_path, font_index)
    except FontError as exc:
        raise BatchError(str(exc)) from None
    no_token = [t for t in texts if not t.token]
    if no_token:
        who = ", ".join(f"{t.name} ({t.badge_no})" for t in no_token)
        raise BatchError(f"no live badge token for {who}; run `pingjing officers reissue BADGE_NO`")

    report = PrintReport()
    lacking = missing_glyphs(texts, font)
    if lacking and not options.skip_missing_glyphs:
        raise BatchError(
            f"{len(lacking)} officer(s) have characters the font {font.family} cannot print: "
            f"{describe_missing(lacking)}; pass --font with a font that has them, or "
            "--skip-missing-glyphs to print the others"
        )
    if lacking:
        skip = {t.badge_no for t, _ in lacking}
        report.skipped = lacking
        texts = [t for t in texts if t.badge_no not in skip]
        if not texts:
            raise BatchError(f"nothing printable: {describe_missing(lacking)}")
    if font.missing(f"Pingjing {label} 0123456789/-"):
        raise BatchError(f"the font {font.family} has no Latin letters or digits; use --font")

    texts = sorted(texts, key=lambda t: (t.unit_path, t.badge_no))
    try:
        longest = max(texts, key=lambda t: len(t.url.encode("utf-8")))
        modules = with_quiet_zone(encode(longest.url, options.ecc).modules).shape[0]
        check_printable(options.size_mm, options.dpi, modules)
        imposition = impose(options.size_mm, badge_height(options.size_mm))
    except (LayoutError, ValueError) as exc:
        raise BatchError(str(exc)) from None

    per_page = imposition.per_page if "pdf" in formats else 16
    tasks = [(i // per_page + 1, texts[i : i + per_page]) for i in range(0, len(texts), per_page)]
    config = _Config(
        font_path,
        font_index,
        options.size_mm,
        options.dpi,
        options.ecc,
        formats,
        str(options.out),
        imposition,
        label,
        len(tasks),
    )
    out = options.out
    try:
        prepare_out(out, formats)
    except OutputError as exc:
        raise BatchError(str(exc)) from None
    with _locked(out):
        return _print(texts, options, out, formats, font, config, tasks, per_page, report)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One run at a time per output folder (a second run would sweep the first's files)."""
    try:
        import fcntl
    except ImportError:  # not on Unix: no lock
        yield
        return
    with open(out / ".badges.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another badges print is writing into {out}; wait for it") from None
        yield


def _print(
    texts: list[BadgeText],
    options: PrintOptions,
    out: Path,
    formats: tuple[str, ...],
    font: BadgeFont,
    config: _Config,
    tasks: list[tuple[int, list[BadgeText]]],
    per_page: int,
    report: PrintReport,
) -> PrintReport:
    label = config.label
    sweep_partial(out)
    try:
        previous = read_manifest(out)
    except OutputError as exc:
        raise BatchError(str(exc)) from None
    renderer = _Renderer(config, font)
    renderer.font.outline("中")  # parse the outline tables before workers fork
    jobs = options.jobs or default_jobs()

    sheet_rel = f"sheets/{label}.pdf" if "pdf" in formats else ""
    sheet_tmp = out / "sheets" / f".{label}.pdf.{os.getpid()}{PART}"
    printed: list[ManifestRow] = []
    try:
        with contextlib.ExitStack() as stack:
            writer = None
            if sheet_rel:
                handle = stack.enter_context(open(sheet_tmp, "wb"))
                writer = SheetWriter(handle, f"Pingjing badges {label}")
            forms: dict[int, bytes] = {}
            # Workers fork before the progress bar starts its monitor thread.
            run = stack.enter_context(_runner(jobs, config, renderer, len(tasks)))
            bar = stack.enter_context(
                tqdm(
                    total=len(texts),
                    unit="badge",
                    desc="badges",
                    disable=None if options.progress else True,
                )
            )
            for result in run(tasks):
                if writer is not None:
                    writer.add_page(result.content)
                    forms.update(result.forms)
                    for row in result.rows:
                        row.sheet, row.sheet_page = sheet_rel, str(result.page)
                printed.extend(result.rows)
                bar.update(len(result.rows))
            sheet_sha = writer.finish(forms) if writer is not None else ""
        if sheet_rel:
            os.replace(sheet_tmp, out / sheet_rel)
            for row in printed:
                row.sheet_sha256 = sheet_sha
        write_atomic(out / MANIFEST, manifest_bytes(merge_rows(previous, printed, sheet_rel)))
    except LayoutError as exc:
        raise BatchError(str(exc)) from None
    except OSError as exc:
        raise BatchError(f"cannot write to {out}: {exc.strerror or exc}") from None
    finally:
        renderer.close()
        with contextlib.suppress(OSError):
            sheet_tmp.unlink()
        sweep_partial(out)
    report.printed = printed
    report.sheet = sheet_rel
    report.pages = len(tasks)
    report.per_page = per_page
    return report


def batch_label(
    unit: str | None, badges: list[str], only_changed: bool, texts: list[BadgeText]
) -> str:
    """The sheet file's name for a run: what was asked for, stable across re-runs."""
    parts = []
    if unit:
        parts.append(f"unit-{unit}")
    if len(badges) == 1:
        parts.append(f"badge-{badges[0]}")
    elif badges:
        digest = hashlib.sha256("\n".join(sorted(badges)).encode()).hexdigest()[:8]
        parts.append(f"badges-{digest}")
    if only_changed:
        # Each reprint batch gets its own sheet; the same batch re-run gives the same name.
        key = "\n".join(sorted(f"{t.badge_no}:{t.token}" for t in texts))
        parts.append(f"changed-{hashlib.sha256(key.encode()).hexdigest()[:8]}")
    return "-".join(parts) or "all"
