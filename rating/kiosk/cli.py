"""`pingjing kiosks ...`: register service-window kiosks, officers' kiosk PINs, duty.

There are no admin accounts yet; until the admin pages exist the CLI is the way in.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from typing import Any

from rating.cli import CliError, warn_if_local, with_store
from rating.clock import now_ms
from rating.kiosk import store as ks
from rating.settings import Settings
from rating.store import Store

_PIN = re.compile(r"^[0-9]{4,12}$")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(database=getattr(args, "database", None))


def enroll_url(settings: Settings, code: str) -> str:
    # The code travels in the fragment, which browsers never send to a server or proxy log.
    return f"{settings.public_base_url.rstrip('/')}/kiosk/#enroll={code}"


def cmd_add(args: argparse.Namespace) -> None:
    settings = _settings(args)

    async def run(store: Store) -> str:
        try:
            return await store.write(ks.add_kiosk, args.name, args.unit, now_ms())
        except ValueError as exc:
            raise CliError(str(exc)) from None

    code = with_store(settings, run)
    print(f"kiosk {args.name!r} registered.")
    print("Open this one-time URL on the tablet (valid 7 days, works once):")
    print(f"  {enroll_url(settings, code)}")
    warn_if_local(settings)


def cmd_reenroll(args: argparse.Namespace) -> None:
    settings = _settings(args)
    code = with_store(settings, lambda s: s.write(ks.reenroll_kiosk, args.name, now_ms()))
    if code is None:
        raise CliError(f"no kiosk named {args.name!r}")
    print(f"kiosk {args.name!r}: the old tablet no longer works. New one-time URL:")
    print(f"  {enroll_url(settings, code)}")
    warn_if_local(settings)


def cmd_list(args: argparse.Namespace) -> None:
    kiosks = with_store(_settings(args), lambda s: s.read(ks.list_kiosks))
    for k in kiosks:
        if k.revoked:
            status = "revoked"
        elif not k.enrolled:
            status = "awaiting enrolment"
        else:
            status = "active"
        duty = f"{k.officer.name} ({k.officer.badge_no})" if k.officer else "-"
        print("\t".join((k.name, k.unit_path, status, duty)))
    print(f"{len(kiosks)} kiosk(s)", file=sys.stderr)


def cmd_revoke(args: argparse.Namespace) -> None:
    done = with_store(_settings(args), lambda s: s.write(ks.revoke_kiosk, args.name, now_ms()))
    if not done:
        raise CliError(f"no kiosk named {args.name!r}")
    print(f"kiosk {args.name!r} revoked: its tablet can no longer send ratings.")


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new kiosk PIN (4-12 digits): ")
        if getpass.getpass("repeat: ") != pin:
            raise CliError("the PINs differ; nothing changed")
    if not _PIN.match(pin):
        raise CliError("a PIN is 4 to 12 digits")
    return pin


def cmd_set_pin(args: argparse.Namespace) -> None:
    pin_hash = ks.hash_pin(_read_pin(args))
    done = with_store(
        _settings(args), lambda s: s.write(ks.set_pin, args.badge_no, pin_hash, now_ms())
    )
    if not done:
        raise CliError(f"no officer with badge number {args.badge_no!r}")
    print(f"kiosk PIN set for {args.badge_no}.")


def cmd_assign(args: argparse.Namespace) -> None:
    problem = with_store(
        _settings(args),
        lambda s: s.write(ks.assign_officer, args.name, args.badge_no, now_ms()),
    )
    if problem:
        raise CliError(problem)
    print(f"{args.badge_no} is now on duty at kiosk {args.name!r}.")


def register(sub: Any) -> None:
    kiosks = sub.add_parser("kiosks", help="service-window kiosks and officers' kiosk PINs")
    ksub = kiosks.add_subparsers(dest="kiosks_command", required=True)
    p = ksub.add_parser("add", help="register a kiosk; prints its one-time enrolment URL")
    p.add_argument("name")
    p.add_argument("--unit", required=True, help="unit code or full unit path")
    p.set_defaults(func=cmd_add)
    p = ksub.add_parser("reenroll", help="new enrolment URL (replaced tablet); old one stops")
    p.add_argument("name")
    p.set_defaults(func=cmd_reenroll)
    p = ksub.add_parser("list", help="kiosks, their status and the officer on duty")
    p.set_defaults(func=cmd_list)
    p = ksub.add_parser("revoke", help="stop a kiosk: its tablet can no longer send ratings")
    p.add_argument("name")
    p.set_defaults(func=cmd_revoke)
    p = ksub.add_parser("set-pin", help="set an officer's kiosk sign-in PIN")
    p.add_argument("badge_no")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    p.set_defaults(func=cmd_set_pin)
    p = ksub.add_parser("assign", help="put an officer on duty at a kiosk (no PIN needed)")
    p.add_argument("name")
    p.add_argument("badge_no")
    p.set_defaults(func=cmd_assign)
