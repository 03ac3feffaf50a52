"""`pingjing units codes print|reissue|revoke|list`: unit (place) codes and their posters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rating.cli import CliError, resolve_unit, with_store
from rating.settings import Settings, public_url_problem
from rating.store import Store
from rating.store.models import Unit


def register(sub: Any) -> None:
    units = sub.add_parser("units", help="units: place codes (QR posters for halls and windows)")
    usub = units.add_subparsers(dest="units_command", required=True)
    codes = usub.add_parser("codes", help="unit codes: print posters, reissue, revoke, list")
    csub = codes.add_subparsers(dest="codes_command", required=True)
    p = csub.add_parser(
        "print",
        help="write an A4 poster (PDF and PNG) per unit, issuing codes where missing",
        description="Write <unit code>.pdf and <unit code>.png for every unit, or one unit "
        "and its sub-units with --unit.",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--unit", help="unit code or full path (sub-units included)")
    p.add_argument("--font", help="CJK font file (default: a system Noto CJK / WenQuanYi font)")
    p.add_argument("--allow-local", action="store_true", help="allow a 127.0.0.1 base URL")
    p.set_defaults(func=cmd_print)
    for name, fn, text in (
        ("reissue", cmd_reissue, "revoke a unit's code and issue a new one (reprint its poster)"),
        ("revoke", cmd_revoke, "revoke a unit's code (its poster stops working)"),
    ):
        p = csub.add_parser(name, help=text)
        p.add_argument("unit", help="unit code or full path")
        p.set_defaults(func=fn)
    p = csub.add_parser("list", help="list units with their live code URLs")
    p.set_defaults(func=cmd_list)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(database=getattr(args, "database", None))


def _url(settings: Settings, token: str) -> str:
    return settings.public_base_url.rstrip("/") + f"/u/{token}"


def cmd_print(args: argparse.Namespace) -> None:
    from qr.fonts import FontError, find_font
    from qr.posters import PosterText, write_posters
    from rating.mailbox import service

    settings = _settings(args)
    problem = public_url_problem(settings.public_base_url)
    if problem and not args.allow_local:
        raise CliError(
            f"PINGJING_PUBLIC_BASE_URL {problem}: set it to the https:// address citizens' "
            "phones reach (e.g. https://pj.example.cn), or pass --allow-local"
        )
    try:
        font_path, font_index = find_font(args.font)
    except FontError as exc:
        raise CliError(str(exc)) from None

    async def run(store: Store) -> list[tuple[Unit, str]]:
        units = await store.list_units()
        if args.unit:
            top = await resolve_unit(store, args.unit)
            units = [u for u in units if u.path == top.path or u.path.startswith(top.path + "/")]
        tokens = await service.unit_tokens(store, units)
        return [(u, tokens[u.id]) for u in units]

    chosen = with_store(settings, run)
    if not chosen:
        raise CliError("no units yet: import a roster with `pingjing officers import`")
    posters = [
        PosterText(u.code, u.name, u.path, _url(settings, token), token) for u, token in chosen
    ]
    try:
        written = write_posters(posters, Path(args.out), font_path, font_index)
    except OSError as exc:
        raise CliError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    print(f"{len(posters)} posters ({len(written)} files) written to {args.out}")


def _change(args: argparse.Namespace, revoke: bool) -> None:
    from rating.mailbox import service

    settings = _settings(args)

    async def run(store: Store) -> tuple[Unit, str | None]:
        unit = await resolve_unit(store, args.unit)
        if revoke:
            if not await service.revoke_unit_token(store, unit):
                raise CliError(f"unit {unit.path} has no live code")
            return unit, None
        return unit, await service.issue_unit_token(store, unit)

    unit, token = with_store(settings, run)
    if token is None:
        print(f"code of {unit.path} revoked")
    else:
        print(f"new code for {unit.path}: {_url(settings, token)} (print its poster again)")


def cmd_reissue(args: argparse.Namespace) -> None:
    _change(args, revoke=False)


def cmd_revoke(args: argparse.Namespace) -> None:
    _change(args, revoke=True)


def cmd_list(args: argparse.Namespace) -> None:
    from rating.mailbox import service

    settings = _settings(args)

    async def run(store: Store) -> list[tuple[Unit, str | None]]:
        units = await store.list_units()
        out = []
        for u in units:
            found = await service.live_unit_token(store, u)
            out.append((u, found))
        return out

    for unit, token in with_store(settings, run):
        print(f"{unit.code}\t{unit.path}\t{_url(settings, token) if token else '-'}")
