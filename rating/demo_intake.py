"""The demo's other intakes (issues 18 and 19): a citizen supervisor (警风监督员) with two
reports, and a hotline take-in rule whose orders are worked in the case loop.

Like rating/demo.py, everything goes through the store's units of work with the demo's
clock: the supervisor is appointed weeks back, each report is filed at its own time (its
case opens then) and moves on by rating/cases/logic.transition at the times its script
gives; the rule takes each matching open order in two hours after the hotline received it,
as an import would have. Seeded once, with the rest of the history; a second run reuses
them and prints the same links.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rating.cases.model import Actor, Deadlines
from rating.crypto import Keys, mask_phone
from rating.store import Store
from rating.store.models import Officer
from rating.store.tx import Tx
from rating.supervisors import service as supervisors
from rating.supervisors import store as sstore
from rating.supervisors.model import ReportInput
from rating.workorders import loop as wol

DAY = 86_400_000
HOUR = 3_600_000

SUPERVISOR = "刘建华"
SUPERVISOR_PHONE = "13812340000"
# The demo's rule, the issue's own example: every 12389 (纪检监察) complaint is worked here.
RULE = ("12389", "complaint", "")
# (days before now, officer index, place, what happened, with a photo, script)
REPORTS = (
    (20, 9, "胜利路派出所户籍大厅", "窗口民警办理业务时多次接听私人电话，群众排队等候二十多分钟。",
     True, "rectifying"),
    (2, 16, "新华街路口", "执勤辅警未佩戴警号，对问路群众态度生硬。", False, "received"),
)  # fmt: skip
# A taken-in order opens accepted (the hotline accepted it): its script starts at the
# dispatch. The taken-in orders get these in turn (the demo's rule takes in three).
ORDER_SCRIPTS = ("replied", "dispatched", "called_back")


def demo_photo() -> bytes:
    """A small JPEG drawn here (a counter and a queue), for the report's photo: it goes
    through the mailbox's photo pipeline like any upload."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 320), (226, 232, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 200, 460, 300), fill=(120, 94, 70))  # the counter
    for k in range(5):  # the queue
        x = 60 + k * 80
        draw.ellipse((x, 90, x + 40, 130), fill=(60, 60, 70))
        draw.rectangle((x - 5, 132, x + 45, 200), fill=(40, 70, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def _supervisor_named(tx: Tx, name: str) -> tuple[int, str | None] | None:
    """(id, live token) of the demo's supervisor, if appointed."""
    found = [s for s in sstore.list_supervisors(tx) if s.name == name]
    return (found[0].id, found[0].token) if found else None


def _report_case(tx: Tx, report_id: int) -> int:
    row = tx.one("SELECT id FROM cases WHERE source = 'supervisor' AND source_id = ?", (report_id,))
    assert row is not None, f"report {report_id} has no case"
    return int(row[0])


def _take_in_by_rules(tx: Tx, now: int, counts: Deadlines) -> list[tuple[int, int]]:
    """Take in the open orders the rules match, each two hours after the hotline received
    it (as the import that brought it would have); (case id, time taken in) of each."""
    rules = {r.id: r for r in wol.list_rules(tx)}
    lookup = wol.load_lookup(tx)
    out = []
    for order_id, rule_id in wol.rule_matches(tx, None):
        row = tx.one("SELECT received_at FROM workorders WHERE id = ?", (order_id,))
        assert row is not None
        at = min(int(row[0]) + 2 * HOUR, now)
        taken = wol.take_one(tx, order_id, None, at, counts, rule=rules[rule_id], lookup=lookup)
        if taken is not None and taken.opened:
            out.append((taken.case_id, at))
    return out


async def seed_intakes(
    store: Store, keys: Keys, officers: Sequence[Officer], admin: Actor, unit_actor: Actor,
    now: int, route_code: str = "",
) -> list[str]:  # fmt: skip
    """Appoint the supervisor and file the reports, add the rule and take its orders in,
    and move each case along its script; what was made."""
    from rating import demo
    from rating.mailbox.form import checked_photos

    phone = SUPERVISOR_PHONE
    appointed = await store.write(
        sstore.add_supervisor, SUPERVISOR,
        (keys.encrypt_phone(phone), keys.phone_hash(phone), mask_phone(phone)),
        (supervisors.local_day(now - 100 * DAY), supervisors.local_day(now + 265 * DAY)),
        admin, now - 100 * DAY,
    )  # fmt: skip
    assert appointed.token is not None
    reports = []
    for days, officer, place, body, photo, script in REPORTS:
        at = now - days * DAY - 3 * HOUR
        inp = ReportInput(
            officers[officer].badge_no, place, at - 2 * HOUR, body, "zh", None,
            checked_photos([demo_photo()]) if photo else (),
        )  # fmt: skip
        filed = await supervisors.file_report(store, appointed.token, inp, route_code, now=at)
        assert filed.report_id is not None, filed
        reports.append((await store.read(_report_case, filed.report_id), script, at))
    # A report routed at once to the discipline unit (PINGJING_SUPERVISOR_UNIT, when it
    # names a unit) is already dispatched: its script starts after the accept and dispatch.
    routed = bool(route_code) and await supervisors.discipline_unit(store, route_code) is not None
    scripts = {name: demo.LETTER_SCRIPTS[name][2 if routed else 0 :] for _, _, _, _, _, name
               in REPORTS}  # fmt: skip
    plan = await store.read(demo._letter_plan, reports, now, scripts)
    steps = await store.write(demo._advance, plan, admin, store.limits, unit_actor)

    await store.write(wol.add_rule, *RULE, admin, now - 60 * DAY)
    taken = await store.write(_take_in_by_rules, now, store.limits.deadlines)
    orders = [(case_id, ORDER_SCRIPTS[k % len(ORDER_SCRIPTS)], at)
              for k, (case_id, at) in enumerate(taken)]  # fmt: skip
    from_dispatch = {name: demo.LETTER_SCRIPTS[name][1:] for name in ORDER_SCRIPTS}
    order_plan = await store.read(demo._letter_plan, orders, now, from_dispatch)
    order_steps = await store.write(demo._advance, order_plan, admin, store.limits, unit_actor)
    return [
        f"citizen supervisor {SUPERVISOR} with {len(reports)} reports ({steps} steps taken)",
        f"take-in rule {' '.join(RULE[:2])}: {len(taken)} hotline orders in the case loop "
        f"({order_steps} steps taken)",
    ]


async def reuse_intakes(store: Store) -> list[str]:
    """What a second run finds of the supervisor and the rule (it seeds nothing)."""
    found = await store.read(_supervisor_named, SUPERVISOR)
    rules = await store.read(wol.list_rules)
    reused = []
    if found is not None:
        reused.append(f"citizen supervisor {SUPERVISOR}")
    if any((r.channel, r.order_type, r.category) == RULE for r in rules):
        reused.append(f"take-in rule {' '.join(RULE[:2])}")
    return reused


async def supervisor_token(store: Store) -> str | None:
    found = await store.read(_supervisor_named, SUPERVISOR)
    return found[1] if found else None
