"""`pingjing badges print`: the badge-printing batch job on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Only light imports here: every `pingjing` command builds this parser. The badge
# machinery (numpy, fonts) is imported when `badges print` runs.
from qr.defaults import DEFAULT_DPI, DEFAULT_SIZE_MM, FORMATS
from rating.cli import CliError, rating_url, resolve_unit, with_store
from rating.settings import Settings, public_url_problem
from rating.store import Store
from rating.store.models import Officer, Unit


def register(sub: Any) -> None:
    """Add `badges print` to the `pingjing` command's subparsers."""
    badges = sub.add_parser("badges", help="print-ready QR badge artwork")
    bsub = badges.add_subparsers(dest="badges_command", required=True)
    p = bsub.add_parser(
        "print",
        help="render badges (PNG, SVG, A4 PDF sheets, manifest) for active officers",
        description="Render badges for all active officers, or those the filters select.",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--unit", help="only this unit (code or full path), sub-units included")
    p.add_argument(
        "--badge", action="append", metavar="BADGE_NO", help="only this officer (repeatable)"
    )
    p.add_argument(
        "--only-changed",
        action="store_true",
        help="only officers new or changed (e.g. re-issued) since the last print into --out",
    )
    p.add_argument(
        "--size",
        type=float,
        default=DEFAULT_SIZE_MM,
        help=f"badge width in mm; the code is this wide (default {DEFAULT_SIZE_MM:g})",
    )
    p.add_argument(
        "--dpi", type=int, default=DEFAULT_DPI, help=f"PNG resolution (default {DEFAULT_DPI})"
    )
    p.add_argument(
        "--ecc", choices=("Q", "H"), default="Q", help="QR error correction level (default Q)"
    )
    p.add_argument("--font", help="CJK font file (default: a system Noto Sans CJK SC)")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs (default {','.join(FORMATS)})",
    )
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: every core)")
    p.add_argument(
        "--skip-missing-glyphs",
        action="store_true",
        help="print everyone else when some names have characters the font lacks",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-local",
        action="store_true",
        help="print even if PINGJING_PUBLIC_BASE_URL is local, private or http:// (demo, tests)",
    )
    p.set_defaults(func=cmd_badges_print)


def _select(
    settings: Settings, unit_ref: str | None, badges: list[str]
) -> tuple[Unit | None, list[Officer]]:
    async def run(store: Store) -> tuple[Unit | None, list[Officer]]:
        unit = await resolve_unit(store, unit_ref) if unit_ref else None
        if not badges:
            return unit, await store.list_officers(unit.path if unit else None)
        chosen = []
        for badge_no in dict.fromkeys(badges):
            officer = await store.officer_by_badge(badge_no)
            if officer is None:
                raise CliError(f"no officer with badge number {badge_no!r}")
            if officer.status != "active":
                raise CliError(f"{officer.name} ({badge_no}) is {officer.status}; no badge printed")
            if unit and not (
                officer.unit_path == unit.path or officer.unit_path.startswith(unit.path + "/")
            ):
                raise CliError(f"{officer.name} ({badge_no}) is not in unit {unit.path}")
            chosen.append(officer)
        return unit, chosen

    return with_store(settings, run)


def cmd_badges_print(args: argparse.Namespace) -> None:
    from qr.batch import BatchError, PrintOptions, batch_label, describe_missing, print_badges
    from qr.layout import BadgeText
    from qr.output import OutputError, changed_since_last_print

    settings = Settings.load(database=getattr(args, "database", None))
    problem = public_url_problem(settings.public_base_url)
    if problem and not args.allow_local:
        # A force's worth of badges pointing at 127.0.0.1 is an expensive mistake.
        raise CliError(
            f"PINGJING_PUBLIC_BASE_URL {problem}: set it to the https:// address citizens' "
            "phones reach (e.g. https://pj.example.cn), or pass --allow-local"
        )
    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise CliError(f"--formats takes a comma-separated list of {', '.join(FORMATS)}")
    if args.jobs < 0:
        raise CliError("--jobs must be 0 (every core) or more")
    out = Path(args.out)
    unit, officers = _select(settings, args.unit, args.badge or [])
    if not officers:
        where = f"unit {unit.path} has" if unit else "the roster has"
        raise CliError(
            f"{where} no active officers; import a roster with `pingjing officers import`"
        )
    texts = [
        BadgeText(
            badge_no=o.badge_no,
            name=o.name,
            kind=o.kind,
            unit_path=o.unit_path,
            unit_name=o.unit_name,
            token=o.token or "",
            url=rating_url(settings, o.token),
            cta=settings.badge_call_to_action,
            bureau=settings.bureau_name,
        )
        for o in officers
    ]
    if args.only_changed:
        try:
            texts = changed_since_last_print(texts, out, formats)
        except OutputError as exc:
            raise CliError(str(exc)) from None
        if not texts:
            print(f"nothing to print: no new or changed badges since the last print into {out}")
            return
    options = PrintOptions(
        out=out,
        size_mm=args.size,
        dpi=args.dpi,
        ecc=args.ecc,
        formats=formats,
        jobs=args.jobs,
        font=args.font,
        skip_missing_glyphs=args.skip_missing_glyphs,
        progress=not args.no_progress,
    )
    label = batch_label(unit.code if unit else None, args.badge or [], args.only_changed, texts)
    try:
        report = print_badges(texts, options, label)
    except BatchError as exc:
        raise CliError(str(exc)) from None
    done = [f"{len(report.printed)} badge(s) printed into {out}"]
    if "pdf" in formats:
        done.append(f"{report.sheet} has {report.pages} A4 page(s), {report.per_page} per page")
    done.append("manifest.csv updated")
    print("; ".join(done))
    if report.skipped:
        raise CliError(
            f"{len(report.skipped)} officer(s) not printed, the font lacks characters: "
            f"{describe_missing(report.skipped)}"
        )
