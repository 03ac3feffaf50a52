"""Named operations behind the officers pages: search, an officer's ratings by level and
weekly trend, retire and move, badge reissue with that one badge's artwork, and the roster
upload's preview and import. Changes are audited under the user who made them.

Scope: every function that reads or changes one officer takes the actor and treats an
officer outside the actor's units as not there (the web layer answers 404).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rating.cases.audit import audit
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.roster import read_roster
from rating.store import Store, logic
from rating.store.models import Officer, OfficerStatus, RosterResult, RosterRow
from rating.store.tx import RollBack
from rating.subtree import SUBTREE_SQL, subtree_params

if TYPE_CHECKING:
    from rating.store.tx import Tx

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
TREND_WEEKS = 12


class OfficerError(ValueError):
    """A refused change (unknown unit, outside the actor's scope, already retired)."""


def _visible(actor: Actor, officer: Officer | None) -> Officer | None:
    return officer if officer is not None and actor.sees(officer.unit_path) else None


def search_tx(
    tx: Tx, actor: Actor, q: str, unit_path: str | None, retired: bool, limit: int, offset: int
) -> list[Officer]:
    """Officers whose name or badge number contains `q`, in `unit_path`'s subtree and the
    actor's scope, by unit then badge number."""
    where, params = [], []
    for scope in (actor.unit_path, unit_path):
        if scope:
            where.append(SUBTREE_SQL)
            params += subtree_params(scope)
    if not retired:
        where.append("o.status = ?")
        params.append(str(OfficerStatus.ACTIVE))
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(o.name LIKE ? ESCAPE '\\' OR o.badge_no LIKE ? ESCAPE '\\')")
        params += [like, like.upper()]
    sql = logic._OFFICER_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = tx.all(sql + " ORDER BY u.path, o.badge_no LIMIT ? OFFSET ?", [*params, limit, offset])
    return [logic._officer(r) for r in rows]


@dataclass(frozen=True)
class OfficerStats:
    by_level: dict[int, int]  # counted ratings of the last TREND_WEEKS weeks by level
    weeks: list[tuple[int, int, float | None]]  # (week start ms, ratings, mean level)


def stats_tx(tx: Tx, officer_id: int, now: int) -> OfficerStats:
    since = now - TREND_WEEKS * WEEK_MS
    rows = tx.all(
        "SELECT created_at, level FROM ratings WHERE created_at >= ? AND officer_id = ? "
        "AND invalidated IS NULL",
        (since, officer_id),
    )
    by_level = {level: 0 for level in (5, 4, 3, 2, 1)}
    sums = [[0, 0] for _ in range(TREND_WEEKS)]
    for at, level in rows:
        by_level[int(level)] = by_level.get(int(level), 0) + 1
        week = min(TREND_WEEKS - 1, max(0, int((int(at) - since) // WEEK_MS)))
        sums[week][0] += 1
        sums[week][1] += int(level)
    weeks = [
        (since + i * WEEK_MS, n, total / n if n else None) for i, (n, total) in enumerate(sums)
    ]
    return OfficerStats(by_level, weeks)


def retire_tx(tx: Tx, actor: Actor, badge_no: str, now: int) -> bool:
    officer = _visible(actor, logic.officer_by_badge(tx, badge_no))
    if officer is None:
        return False
    if officer.status == OfficerStatus.RETIRED:
        raise OfficerError(f"{badge_no} is already retired")
    tx.run(
        "UPDATE officers SET status = ?, updated_at = ? WHERE id = ?",
        (str(OfficerStatus.RETIRED), now, officer.id),
    )
    logic._pages_changed(tx)  # the officer's rating page now answers "no longer in service"
    audit(tx, now, actor, "officer_retire", note=badge_no)
    return True


def move_tx(tx: Tx, actor: Actor, badge_no: str, unit_ref: str, now: int) -> bool:
    officer = _visible(actor, logic.officer_by_badge(tx, badge_no))
    if officer is None:
        return False
    unit = logic.unit_by_code(tx, unit_ref.strip())
    if unit is None:
        row = tx.one("SELECT code FROM units WHERE path = ?", (unit_ref.strip().strip("/"),))
        unit = logic.unit_by_code(tx, row[0]) if row else None
    if unit is None or not actor.sees(unit.path):
        raise OfficerError(f"unknown unit {unit_ref!r}")
    tx.run(
        "UPDATE officers SET unit_id = ?, updated_at = ? WHERE id = ?", (unit.id, now, officer.id)
    )
    logic._pages_changed(tx)  # the rating page shows the unit
    audit(tx, now, actor, "officer_move", note=f"{badge_no} {officer.unit_path} -> {unit.path}")
    return True


def reissue_tx(tx: Tx, actor: Actor, badge_no: str, now: int) -> Officer | None:
    if _visible(actor, logic.officer_by_badge(tx, badge_no)) is None:
        return None
    officer = logic.reissue_token(tx, badge_no, now)
    audit(tx, now, actor, "officer_reissue", note=badge_no)
    return officer


# ---------------------------------------------------------------- roster upload


@dataclass
class RosterPreview:
    result: RosterResult
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _import_tx(
    tx: Tx, rows: list[RosterRow], errors: tuple[tuple[int, str], ...], retire: bool,
    now: int, actor: Actor, dry_run: bool,
) -> RosterResult:  # fmt: skip
    result = logic.import_roster(
        tx, rows, now=now, skip_bad=False, retire_missing=retire, prior_errors=errors
    )
    if dry_run:
        raise RollBack(result)
    audit(
        tx, now, actor, "roster_import", items=len(result.created) + len(result.updated),
        note=f"{len(result.created)} new, {len(result.updated)} updated, "
        f"{len(result.retired)} retired",
    )  # fmt: skip
    return result


async def roster(
    store: Store, actor: Actor, path: Path, retire: bool, dry_run: bool
) -> RosterPreview:
    """Read a roster file with the CLI's parser and import it whole or not at all; with
    `dry_run` the import is rolled back and only says what it would do. RosterFileError
    for a file that cannot be read at all."""
    parsed = await asyncio.to_thread(read_roster, path)
    try:
        result = await store.write(
            _import_tx, parsed.rows, tuple(parsed.errors), retire, now_ms(), actor, dry_run
        )
    except RollBack as undone:
        result = undone.result
    return RosterPreview(result, list(result.errors))


# ---------------------------------------------------------------- named async operations


async def search(
    store: Store, actor: Actor, q: str, unit_path: str | None, retired: bool, limit: int,
    offset: int,
) -> list[Officer]:  # fmt: skip
    return await store.read(search_tx, actor, q, unit_path, retired, limit, offset)


async def officer(store: Store, actor: Actor, badge_no: str) -> Officer | None:
    """The officer (active or retired) if within the actor's scope."""
    return _visible(actor, await store.read(logic.officer_by_badge, badge_no))


async def stats(store: Store, officer_id: int) -> OfficerStats:
    return await store.read(stats_tx, officer_id, now_ms())


async def retire(store: Store, actor: Actor, badge_no: str) -> bool:
    return await store.write(retire_tx, actor, badge_no, now_ms())


async def move(store: Store, actor: Actor, badge_no: str, unit_ref: str) -> bool:
    return await store.write(move_tx, actor, badge_no, unit_ref, now_ms())


async def reissue(store: Store, actor: Actor, badge_no: str) -> Officer | None:
    return await store.write(reissue_tx, actor, badge_no, now_ms())


def badge_files(officer: Officer, url: str, cta: str, bureau: str) -> dict[str, bytes]:
    """One officer's badge as `{badge_no}.png` and `{badge_no}.pdf`, rendered by the badge
    printer itself (qr.batch) into a scratch folder. Blocking: run it in a thread."""
    from qr.batch import PrintOptions, print_badges
    from qr.layout import BadgeText
    from qr.output import safe_name

    text = BadgeText(
        badge_no=officer.badge_no, name=officer.name, kind=officer.kind,
        unit_path=officer.unit_path, unit_name=officer.unit_name, token=officer.token or "",
        url=url, cta=cta, bureau=bureau,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="pj-badge-") as tmp:
        out = Path(tmp) / "out"
        options = PrintOptions(out=out, formats=("png", "pdf"), jobs=1, progress=False)
        report = print_badges([text], options, officer.badge_no)
        name = safe_name(officer.badge_no)
        return {
            f"{name}.png": (out / "png" / f"{name}.png").read_bytes(),
            f"{name}.pdf": (out / report.sheet).read_bytes(),
        }


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
