"""Which items of a day become spot-check tasks: a stratified sample, reproducible and not
guessable.

Pure functions (candidates in, chosen candidates out), so the rule is tested on literal
lists. Each stratum is one (kind, unit, channel): a unit's kiosk ratings and its badge
ratings are sampled apart, so a unit cannot hide behind the channel with the most
ratings. A stratum of n candidates gives max(minimum, ceil(share × n)) tasks, at most n.

The order inside a stratum is HMAC-SHA256(secret, day | kind | id): the same day and
secret always choose the same items (an auditor with the secret can recompute the sample),
another day chooses others, and without the bureau's secret nobody — an officer who wants
to know whether a rating will be checked — can tell in advance.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("rating", "case")


@dataclass(frozen=True, order=True)
class Candidate:
    """An item that may be checked: a satisfied rating with a phone (kind "rating", item_id =
    the rating), or a case closed that day whose rating has a phone (kind "case", item_id =
    the case). `rating_id` is the rating whose phone is called."""

    kind: str
    item_id: int
    rating_id: int
    unit_id: int
    channel: str


def sampling_key(master_secret: str) -> bytes:
    """The sampling secret, derived from the bureau's master secret (its own purpose
    string: knowing it tells nothing about the phone keys)."""
    return hmac.new(master_secret.encode(), b"pingjing spot-check sample", hashlib.sha256).digest()


def rank(key: bytes, day: str, c: Candidate) -> str:
    return hmac.new(key, f"{day}|{c.kind}|{c.item_id}".encode(), hashlib.sha256).hexdigest()


def stratum_size(n: int, share: float, minimum: int) -> int:
    """How many of a stratum's n candidates are checked."""
    if n <= 0:
        return 0
    return min(n, max(minimum, math.ceil(share * n - 1e-9)))


def choose(
    candidates: Iterable[Candidate], day: str, key: bytes, share: float, minimum: int
) -> list[Candidate]:
    """The candidates chosen for `day`, in a stable order (kind, unit, channel, rank)."""
    strata: dict[tuple[str, int, str], list[Candidate]] = defaultdict(list)
    for c in set(candidates):
        strata[(c.kind, c.unit_id, c.channel)].append(c)
    chosen: list[Candidate] = []
    for stratum in sorted(strata):
        items = sorted(strata[stratum], key=lambda c: rank(key, day, c))
        chosen += items[: stratum_size(len(items), share, minimum)]
    return chosen
