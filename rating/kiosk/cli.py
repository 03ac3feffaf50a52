"""`pingjing kiosks ...`: register service-window kiosks, officers' kiosk PINs, duty.

There are no admin accounts yet; until the admin pages exist the CLI is the way in.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from rating.cli import (
    CliError,
    command,
    command_group,
    found,
    found_in_store,
    load_settings,
    warn_if_local,
    with_store,
)
from rating.kiosk import service
from rating.kiosk import store as ks
from rating.settings import Settings


def enroll_url(settings: Settings, code: str) -> str:
    # The code travels in the fragment, which browsers never send to a server or proxy log.
    return f"{settings.public_base_url.rstrip('/')}/kiosk/#enroll={code}"


def cmd_add(args: argparse.Namespace) -> None:
    settings = load_settings(args)

    # A ValueError (an unknown unit, a name taken) is printed as one line by `pingjing`.
    code = with_store(settings, lambda s: service.add_kiosk(s, args.name, args.unit))
    print(f"kiosk {args.name!r} registered.")
    print("Open this one-time URL on the tablet (valid 7 days, works once):")
    print(f"  {enroll_url(settings, code)}")
    warn_if_local(settings)


def cmd_reenroll(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    code = found(
        with_store(settings, lambda s: service.reenroll_kiosk(s, args.name)),
        f"no kiosk named {args.name!r}",
    )
    print(f"kiosk {args.name!r}: the old tablet no longer works. New one-time URL:")
    print(f"  {enroll_url(settings, code)}")
    warn_if_local(settings)


def cmd_list(args: argparse.Namespace) -> None:
    kiosks = with_store(load_settings(args), service.list_kiosks)
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
    found_in_store(
        args, lambda s: service.revoke_kiosk(s, args.name), f"no kiosk named {args.name!r}"
    )
    print(f"kiosk {args.name!r} revoked: its tablet can no longer send ratings.")


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new kiosk PIN (4-12 digits): ")
        if getpass.getpass("repeat: ") != pin:
            raise CliError("the PINs differ; nothing changed")
    if not service.PIN_FORMAT.match(pin):
        raise CliError("a PIN is 4 to 12 digits")
    return pin


def cmd_set_pin(args: argparse.Namespace) -> None:
    pin_hash = ks.hash_pin(_read_pin(args))
    found_in_store(
        args,
        lambda s: service.set_pin(s, args.badge_no, pin_hash),
        f"no officer with badge number {args.badge_no!r}",
    )
    print(f"kiosk PIN set for {args.badge_no}.")


def cmd_assign(args: argparse.Namespace) -> None:
    problem = with_store(
        load_settings(args),
        lambda s: service.assign_officer(s, args.name, args.badge_no),
    )
    if problem:
        raise CliError(problem)
    print(f"{args.badge_no} is now on duty at kiosk {args.name!r}.")


def register(sub: Any) -> None:
    ksub = command_group(sub, "kiosks", help="service-window kiosks and officers' kiosk PINs")
    p = command(
        ksub, "add", cmd_add, "name", help="register a kiosk; prints its one-time enrolment URL"
    )
    p.add_argument("--unit", required=True, help="unit code or full unit path")
    command(
        ksub,
        "reenroll",
        cmd_reenroll,
        "name",
        help="new enrolment URL (replaced tablet); old one stops",
    )
    command(ksub, "list", cmd_list, help="kiosks, their status and the officer on duty")
    command(
        ksub,
        "revoke",
        cmd_revoke,
        "name",
        help="stop a kiosk: its tablet can no longer send ratings",
    )
    p = command(ksub, "set-pin", cmd_set_pin, "badge_no", help="set an officer's kiosk sign-in PIN")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    command(
        ksub,
        "assign",
        cmd_assign,
        "name",
        "badge_no",
        help="put an officer on duty at a kiosk (no PIN needed)",
    )
