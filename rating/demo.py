"""Demo data that tells the whole story: 12 weeks of ratings, cases in every state, work
orders on the four hotlines, warnings, a kiosk, letters, a unit code and three accounts.

Everything goes through the store's units of work with an injected clock (`now`), so the
history really lies 12 weeks back: a case opens at its rating's (or its letter's) time and
moves on at the times its script gives; letters go through the loop's steps (accept,
dispatch, the unit's reply or return, re-dispatch, callback, verify, rectify, close) by
rating/cases/logic.transition, as on the case page. A second run on the same database
seeds nothing, keeps every password and session, and says what it reused.

Demo passwords are derived from the database's master secret (HMAC), not stored: a
second run can print them again without changing them. A password changed since (through
`pingjing users`) no longer matches and is not shown.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rating.cases import logic as cases_logic
from rating.cases.model import Actor, CaseState
from rating.crypto import Keys
from rating.store import Store, logic
from rating.store.models import REASONS, RateLimits, RatingSubmission, RosterRow
from rating.store.tx import Tx

BUREAU = "张家口市公安局"
UNITS = (
    f"{BUREAU}/桥东分局/胜利路派出所",
    f"{BUREAU}/桥东分局/东门外派出所",
    f"{BUREAU}/桥西分局/新华街派出所",
    f"{BUREAU}/桥西分局/堡子里派出所",
    f"{BUREAU}/交通警察支队/车管所",
    f"{BUREAU}/出入境管理支队",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波宁晨浩宇欣怡"
WEEKS = 12
DAY = 86_400_000
HOUR = 3_600_000
RATINGS_PER_WEEK = 110
# The unit whose bad rate jumps last week (a baseline warning), and the officers who get
# a burst of top ratings from one network: last week, and this week.
SPIKE_UNIT = 3
BURST_OFFICERS = (7, 20)

DEMO_ADMIN = "demo"
# name, role, unit (None: the whole bureau)
ACCOUNTS = (
    (DEMO_ADMIN, "admin", None),
    ("demo-manager", "unit_manager", f"{BUREAU}/桥东分局"),
    ("demo-viewer", "viewer", None),
)
KIOSK = "demo-kiosk-胜利路"


def demo_roster(count: int = 50, seed: int = 7) -> list[RosterRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        kind = "police" if i % 4 else "auxiliary"
        rows.append(RosterRow(i + 2, f"{130100 + i}", name, UNITS[i % len(UNITS)], kind))
    return rows


# ---------------------------------------------------------------- case scripts

# A case's life after its rating: (action, fields, hours after the previous step). Each
# script ends in one state; a later loop step (dispatch, reply, return) is one more entry
# here. Steps whose time has not come by `now` are not taken: a young case stays early.
REACHED = {"outcome": "reached", "note": "已联系群众，了解情况"}
VERIFY_TRUE = {"verification": "substantiated", "note": "调取执法记录仪，情况属实"}
VERIFY_FALSE = {"verification": "unsubstantiated", "note": "经核实，民警按规定办理"}
RECTIFY = {"measures": "对当事民警批评教育，组织窗口服务规范培训"}
CLOSE = {"note": "已办结"}
Step = tuple[str, dict[str, str], float]
SCRIPTS: dict[str, tuple[Step, ...]] = {
    "open": (),  # waits for its callback (overdue once its deadline passes)
    "taken": (("take", {}, 2),),
    "unreachable": (("callback", {"outcome": "unreachable", "note": "电话无人接听"}, 6),),
    "called_back": (("callback", REACHED, 5),),
    "verified": (("callback", REACHED, 5), ("verify", VERIFY_FALSE, 30)),
    "rectifying": (("callback", REACHED, 4), ("verify", VERIFY_TRUE, 20), ("rectify", RECTIFY, 8)),
    "closed": (("callback", REACHED, 4), ("verify", VERIFY_FALSE, 24), ("close", CLOSE, 4)),
    "mistaken": (
        ("callback", REACHED, 3),
        ("verify", {"verification": "mistaken_malicious", "note": "群众表示误点"}, 6),
        ("close", CLOSE, 2),
    ),
    "rectified": (
        ("take", {}, 1),
        ("callback", REACHED, 4),
        ("verify", VERIFY_TRUE, 20),
        ("rectify", RECTIFY, 6),
        ("close", {"note": "整改完成"}, 24 * 9),
        ("fix:satisfied", {}, 30),  # re-checked: the citizen rates the rectification
    ),  # fmt: skip
    "reopened": (
        ("callback", REACHED, 4),
        ("verify", VERIFY_FALSE, 24),
        ("close", CLOSE, 4),
        ("reopen", {"note": "群众对答复不满意，重新办理"}, 30),
        ("callback", REACHED, 6),
    ),  # fmt: skip
}
# Which script a case gets, by its age in days: the young are early in the loop, the old
# mostly closed, with a few stalled (overdue) and re-checked among them.
YOUNG = ("open", "open", "taken", "unreachable", "called_back")
MIDDLE = ("called_back", "verified", "rectifying", "unreachable", "open", "closed")
OLD = ("closed", "closed", "rectified", "rectified", "mistaken", "reopened", "rectifying",
       "verified", "open")  # fmt: skip


# A letter's life after it is written (issue 18's loop): the centre accepts it, dispatches
# it to a unit (一键派发), the unit replies (or returns it, 退回), the centre calls back,
# verifies, has it rectified where it holds, and closes it. "{unit}" is the unit the case
# goes to first, "{other}" the unit it is sent to next (退回 then dispatched again, or 改派).
ACCEPT = {"note": "已受理"}
DISPATCH = {"unit": "{unit}", "note": "请按期办理并书面回复"}
REPLY = {"reply": "已核查相关情况，已向当事群众说明并调整窗口安排，后续将加强管理。"}
LETTER_REPLIED: tuple[Step, ...] = (("accept", ACCEPT, 3), ("dispatch", DISPATCH, 1),
                                    ("reply", REPLY, 40))  # fmt: skip
LETTER_CALLED_BACK = (*LETTER_REPLIED, ("callback", REACHED, 20))
LETTER_RECTIFYING = (*LETTER_CALLED_BACK, ("verify", VERIFY_TRUE, 24), ("rectify", RECTIFY, 6))
LETTER_RECTIFIED = (*LETTER_RECTIFYING, ("complete", {"note": "整改措施已落实"}, 24 * 5))
LETTER_SCRIPTS: dict[str, tuple[Step, ...]] = {
    "received": (),  # waits to be accepted (overdue once its deadline passes)
    "accepted": (("accept", ACCEPT, 2),),
    "dispatched": LETTER_REPLIED[:2],  # the unit has not replied (overdue when old)
    "replied": LETTER_REPLIED,
    "called_back": LETTER_CALLED_BACK,
    "verified": (*LETTER_CALLED_BACK, ("verify", VERIFY_FALSE, 24)),
    "rectifying": LETTER_RECTIFYING,
    "rectified": LETTER_RECTIFIED,
    "closed": (*LETTER_CALLED_BACK, ("verify", VERIFY_FALSE, 24), ("close", CLOSE, 4)),
    "closed_rectified": (*LETTER_RECTIFIED, ("close", {"note": "整改完成，群众满意"}, 24)),
    "returned": (  # 退回 by the first unit, dispatched again to the right one, worked to the end
        ("accept", ACCEPT, 2),
        ("dispatch", DISPATCH, 1),
        ("return", {"reason": "不属本单位辖区，请改派"}, 8),
        ("dispatch", {"unit": "{other}", "note": "退回后重新派发"}, 3),
        ("reply", REPLY, 30),
        ("callback", REACHED, 20),
        ("verify", VERIFY_FALSE, 24),
        ("close", CLOSE, 4),
    ),
    "redispatched": (  # 改派 by the centre before the first unit replied
        ("accept", ACCEPT, 2),
        ("dispatch", DISPATCH, 1),
        ("redispatch", {"unit": "{other}", "reason": "涉及出入境业务，改派主管单位"}, 5),
        ("reply", REPLY, 36),
    ),
}
# The demo's letters: (category, text, phone, days before now, script). Fixed, so that the
# mailbox and the case list show every state of a letter's path.
LETTERS = (
    ("投诉", "派出所户籍窗口中午不办公，群众白跑一趟", "13800001111", 1, "received"),
    ("建议", "建议在出入境大厅增加自助拍照设备", None, 3, "accepted"),
    ("求助", "老人身份证丢失行动不便，能否上门办理", "13900002222", 5, "dispatched"),
    ("咨询", "居住证办理需要哪些材料，能否网上预约", None, 6, "replied"),
    ("投诉", "交警路口执勤时对外地车辆态度生硬", "13700003333", 9, "called_back"),
    ("举报", "小区附近有人夜间非法摆摊占道经营", None, 12, "verified"),
    ("投诉", "办理居住证时被要求重复提交材料", "13600004444", 16, "rectifying"),
    ("投诉", "车管所窗口排队无人引导，老人不会取号", None, 25, "rectified"),
    ("建议", "建议派出所门口设置无障碍坡道", None, 30, "closed"),
    ("投诉", "报警后出警较慢，事后无人回复", "13500005555", 40, "closed_rectified"),
    ("求助", "孩子户口迁入需要哪些证明材料", None, 20, "returned"),
    ("咨询", "护照丢失后补办需要多长时间", None, 14, "redispatched"),
    ("投诉", "派出所窗口工作人员上班时间玩手机", "13400006666", 33, "dispatched"),
    ("举报", "网吧长期接纳未成年人上网", None, 24, "received"),
    ("建议", "建议在社区增设警务服务点", None, 50, "closed"),
    ("求助", "家中老人走失，请求协助查找", "13300007777", 60, "closed"),
)


def script_for(age_days: float, rng: random.Random) -> str:
    pool = YOUNG if age_days < 3 else MIDDLE if age_days < 14 else OLD
    return rng.choice(pool)


# ---------------------------------------------------------------- units of work


def _seed_ratings(
    tx: Tx, subs: list[RatingSubmission], limits: RateLimits
) -> list[tuple[int, int]]:
    """Every rating at its own time (its case opens then); (rating id, time) of each."""
    out = []
    for sub in subs:
        result = logic.apply_rating(tx, sub, limits, sub.at_ms)
        if result.rating_id is not None:
            out.append((result.rating_id, sub.at_ms))
    return out


def _advance(tx: Tx, plan: list[tuple[int, str, dict[str, str], int]], actor: Actor,
             limits: RateLimits, unit_actor: Actor | None = None) -> int:  # fmt: skip
    """Take the planned steps (case id, action, fields, time) in time order. A unit's
    reply or return is `unit_actor`'s (the unit manager) where the case's unit is in its
    scope, else the centre's."""
    done = 0
    for case_id, action, fields, at in sorted(plan, key=lambda p: (p[3], p[0])):
        who = actor
        if unit_actor is not None and action in ("reply", "return"):
            row = tx.one(
                "SELECT u.path FROM cases c JOIN units u ON u.id = c.dispatch_unit_id "
                "WHERE c.id = ?",
                (case_id,),
            )
            if row is not None and unit_actor.sees(str(row[0])):
                who = unit_actor
        if action.startswith("fix:"):
            row = tx.one(
                "SELECT r.receipt FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE c.id = ?",
                (case_id,),
            )
            assert row is not None
            cases_logic.rate_fix(tx, str(row[0]), action[4:], at)
        else:
            cases_logic.transition(tx, case_id, who, action, fields, at, limits.deadlines)
        done += 1
    return done


def _cases_of(tx: Tx, rating_ids: list[int]) -> dict[int, int]:
    rows = tx.all("SELECT rating_id, id FROM cases WHERE rating_id IS NOT NULL")
    wanted = set(rating_ids)
    return {int(r[0]): int(r[1]) for r in rows if int(r[0]) in wanted}


def _set_user(tx: Tx, name: str, role: str, unit: str | None, hashed: str, now: int) -> bool:
    """Create the account if missing (True); an existing one is left as it is."""
    from rating.admin import auth

    if auth.user_by_name(tx, name) is not None:
        return False
    auth.add_user(tx, name, role, unit, hashed, now)
    return True


def _password_hash(tx: Tx, name: str) -> str | None:
    from rating.admin import auth

    user = auth.user_by_name(tx, name)
    return None if user is None else user.password_hash


# ---------------------------------------------------------------- the seeding


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)  # what this run made
    reused: list[str] = field(default_factory=list)  # what was there already
    passwords: dict[str, str | None] = field(default_factory=dict)  # None: not shown
    accounts_reused: set[str] = field(default_factory=set)
    kiosk_code: str | None = None
    unit_code: str | None = None
    supervisor_token: str | None = None  # the demo supervisor's personal link


def week_start(ms: int) -> int:
    """The start (Monday 00:00, Asia/Shanghai) of the report week holding `ms`."""
    from datetime import datetime, timedelta

    from rating.cases.calendar import SHANGHAI

    local = datetime.fromtimestamp(ms / 1000, SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                              microsecond=0)  # fmt: skip
    return int(monday.timestamp() * 1000)


def _ratings_plan(officers: list[Any], keys: Keys, now: int, rng: random.Random
                  ) -> list[RatingSubmission]:  # fmt: skip
    start = now - WEEKS * 7 * DAY
    this_week = week_start(now)
    last_week = this_week - 7 * DAY
    subs: list[RatingSubmission] = []
    n = 0

    def add(officer: Any, level: int, at: int, network: str | None = None,
            channel: str = "badge") -> None:  # fmt: skip
        nonlocal n
        n += 1
        reasons: tuple[str, ...] = (rng.choice(REASONS),) if level <= 2 else ()
        phone = f"13{rng.randint(100_000_000, 999_999_999)}" if level <= 2 and n % 3 else None
        subs.append(
            RatingSubmission(
                token=officer.token, level=level, channel=channel, reasons=reasons,
                comment="窗口等候时间太长，工作人员态度冷淡" if level <= 2 and n % 2 else "",
                **keys.phone_columns(phone),
                device_hash=keys.device_hash(f"demo-device-{n}"),
                network_hash=keys.network_hash(network or f"demo-net-{n}"), at_ms=at,
            )
        )  # fmt: skip

    spike = [o for o in officers if o.unit_path == UNITS[SPIKE_UNIT]]
    for _ in range(WEEKS * RATINGS_PER_WEEK):
        at = rng.randint(start, now - 60_000)
        officer = rng.choice(officers)
        level = rng.choices((5, 4, 3, 2, 1), weights=(70, 18, 6, 4, 2))[0]
        if officer in spike and last_week <= at < this_week:
            level = rng.choices((5, 4, 2, 1), weights=(45, 10, 25, 20))[0]  # the jump
        add(officer, level, at, channel=rng.choice(("badge", "badge", "badge", "kiosk")))
    # Bursts: six top ratings from one network within ten minutes.
    bases = (last_week + 3 * DAY + 10 * HOUR, max(this_week, now - 2 * HOUR))
    for which, base in zip(BURST_OFFICERS, bases, strict=True):
        for k in range(6):
            at = min(base + k * 90_000, now - 1000)
            add(officers[which], 5, at, network=f"demo-burst-{which}")
    return sorted(subs, key=lambda s: s.at_ms)


def _case_plan(cases: dict[int, int], times: dict[int, int], now: int, rng: random.Random
               ) -> list[tuple[int, str, dict[str, str], int]]:  # fmt: skip
    plan = []
    for rating_id, case_id in sorted(cases.items()):
        at = times[rating_id]
        for action, fields, hours in SCRIPTS[script_for((now - at) / DAY, rng)]:
            at += int(hours * HOUR)
            if at >= now:
                break
            plan.append((case_id, action, fields, at))
    return plan


CHANNELS = ("12345", "12389", "12123", "sunshine")
ORDER_COLUMNS = ("order_no", "received_at", "order_type", "category", "content", "unit",
                 "badge_no", "dispatched_at", "due_at", "closed_at", "resolution",
                 "callback_at", "callback_outcome", "satisfaction", "verification",
                 "rectification", "rectified_at", "caller_phone")  # fmt: skip
ORDER_TEXTS = (
    ("投诉", "户政管理", "办理户口迁移时窗口排队时间长，工作人员解释不耐心"),
    ("求助", "治安管理", "小区门口夜间有人聚集喧哗，希望加强巡逻"),
    ("咨询", "出入境", "咨询护照加急办理需要的材料"),
    ("投诉", "交通管理", "违停处罚时民警未说明理由"),
    ("建议", "窗口服务", "建议车管所周末增开一个窗口"),
)


def _orders_csv(channel: str, officers: list[Any], now: int, rng: random.Random) -> bytes:
    from rating.cases.calendar import SHANGHAI

    def ts(ms: int) -> str:
        from datetime import datetime

        return datetime.fromtimestamp(ms / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M")

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(ORDER_COLUMNS)
    for k in range(24):
        received = now - rng.randint(1, WEEKS * 7 - 1) * DAY - rng.randint(0, 8) * HOUR
        officer = rng.choice(officers)
        kind, category, content = ORDER_TEXTS[k % len(ORDER_TEXTS)]
        due = received + 5 * DAY
        row = dict.fromkeys(ORDER_COLUMNS, "")
        row.update(
            order_no=f"{channel.upper()}-DEMO-{k + 1:04d}", received_at=ts(received),
            order_type=kind, category=category, content=content,
            unit=officer.unit_path.rsplit("/", 1)[-1], badge_no=officer.badge_no,
            dispatched_at=ts(received + HOUR), due_at=ts(due),
            caller_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
        )  # fmt: skip
        fate = k % 6
        if fate < 4 or received < now - 30 * DAY:  # closed (one in six of them late)
            closed = received + (7 * DAY if fate == 3 else rng.randint(4, 72) * HOUR)
            row.update(closed_at=ts(closed), resolution="已解决" if fate else "部分解决")
            if fate != 2:  # called back
                row.update(
                    callback_at=ts(closed + 20 * HOUR), callback_outcome="已回访",
                    satisfaction=("满意", "基本满意", "不满意")[k % 3],
                )  # fmt: skip
            if kind == "投诉":
                done = k % 2 == 0
                row.update(verification="属实", rectification="已整改" if done else "整改中",
                           rectified_at=ts(closed + 3 * DAY) if done else "")  # fmt: skip
        # else: still open (overdue once past its due time)
        w.writerow([row[c] for c in ORDER_COLUMNS])
    return out.getvalue().encode("utf-8")


async def seed_roster(store: Store, now: int, seed: int = 7) -> int:
    """The demo's officers and units, on the roster since before the history starts."""
    start = now - WEEKS * 7 * DAY - DAY
    roster = functools.partial(logic.import_roster, now=start, skip_bad=False,
                               retire_missing=False)  # fmt: skip
    imported = await store.write(roster, demo_roster(seed=seed))
    return len(imported.created)


async def seed_history(
    store: Store, keys: Keys, now: int, seed: int = 7, route_code: str = ""
) -> list[str]:
    """12 weeks (up to `now`) of ratings, cases, work orders, letters, a citizen
    supervisor's reports and hotline orders taken in by a rule; what was made.
    `route_code`: where supervisors' reports go at once (PINGJING_SUPERVISOR_UNIT)."""
    from rating.demo_intake import seed_intakes
    from rating.workorders.parse import parse_file
    from rating.workorders.profiles import load_profile
    from rating.workorders.store import apply_import

    rng = random.Random(seed)
    made = []
    officers = await store.list_officers()
    rated = await store.write(_seed_ratings, _ratings_plan(officers, keys, now, rng), store.limits)
    times = dict(rated)
    cases = await store.read(_cases_of, [r for r, _ in rated])
    made.append(f"{len(rated)} ratings over {WEEKS} weeks")
    actor = await _account_actor(store, DEMO_ADMIN)
    steps = await store.write(_advance, _case_plan(cases, times, now, rng), actor, store.limits)
    counts = await store.read(state_counts, "rating")
    made.append(
        f"{len(cases)} cases ({steps} steps taken; "
        + ", ".join(f"{n} {state}" for state, n in counts.items() if n)
        + ")"
    )
    orders = 0
    for channel in CHANNELS:
        raw = _orders_csv(channel, officers, now, rng)
        parsed = parse_file(Path(f"demo-{channel}.csv"), load_profile(channel), keys, raw=raw)
        done = await store.write(apply_import, parsed, channel, now)
        orders += done.new
    made.append(f"{orders} work orders on {', '.join(CHANNELS)}")
    letter_cases = await _letters(store, keys, officers, now)
    unit_actor = await _account_actor(store, "demo-manager")
    plan = await store.read(_letter_plan, letter_cases, now)
    steps = await store.write(_advance, plan, actor, store.limits, unit_actor)
    letter_states = await store.read(state_counts, "letter")
    made.append(
        f"{len(letter_cases)} mailbox letters ({steps} steps taken; "
        + ", ".join(f"{n} {state}" for state, n in letter_states.items() if n)
        + ")"
    )
    made += await seed_intakes(store, keys, officers, actor, unit_actor, now, route_code)
    return made


async def _letters(store: Store, keys: Keys, officers: list[Any], now: int
                   ) -> list[tuple[int, str, int]]:  # fmt: skip
    """The demo's letters, written at their own times (each opens its case then);
    (case id, script, time written) of each."""
    from rating.mailbox.service import LetterInput, submit_letter

    units = {o.unit_path: o.unit_id for o in officers}
    out = []
    for k, (category, body, phone, days, script) in enumerate(LETTERS):
        inp = LetterInput(category, body, phone, phone is not None, "zh", None)
        unit_id = units[UNITS[k % len(UNITS)]] if k % 2 else None  # every other via a unit
        at = now - days * DAY - (k % 5) * HOUR
        done = await submit_letter(store, keys, inp, unit_id=unit_id, device=f"demo-letter-{k}",
                                   address=None, at_ms=at)  # fmt: skip
        if done.letter_id is not None:
            out.append((await store.read(_letter_case, done.letter_id), script, at))
    return out


def _letter_case(tx: Tx, letter_id: int) -> int:
    row = tx.one("SELECT id FROM cases WHERE source = 'letter' AND source_id = ?", (letter_id,))
    assert row is not None, f"letter {letter_id} has no case"
    return int(row[0])


def _letter_plan(tx: Tx, letters: list[tuple[int, str, int]], now: int,
                 scripts: dict[str, tuple[Step, ...]] | None = None,
                 ) -> list[tuple[int, str, dict[str, str], int]]:  # fmt: skip
    """The steps of each letter's script (of LETTER_SCRIPTS, or `scripts`) that are due by
    `now`. A letter written through a unit's code goes to that unit; a bureau-wide one to a
    station in turn."""
    codes = {str(r[0]): str(r[1]) for r in tx.all("SELECT path, code FROM units")}
    plan = []
    for k, (case_id, script, written) in enumerate(letters):
        row = tx.one(
            "SELECT u.path FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.id = ?",
            (case_id,),
        )
        first = str(row[0]) if row is not None else UNITS[k % len(UNITS)]
        other = next(p for p in UNITS[k % len(UNITS) + 1 :] + UNITS if p != first)
        at = written
        for action, fields, hours in (scripts or LETTER_SCRIPTS)[script]:
            at += int(hours * HOUR)
            if at >= now:
                break
            filled = {
                name: codes[first] if value == "{unit}" else codes[other]
                if value == "{other}" else value
                for name, value in fields.items()
            }  # fmt: skip
            plan.append((case_id, action, filled, at))
    return plan


async def _account_actor(store: Store, name: str) -> Actor:
    from rating.admin import auth

    user = await store.read(auth.user_by_name, name)
    assert user is not None, f"demo account {name} missing"
    return Actor(user.id, user.name, user.role, user.unit_path)


def demo_password(secret: str, name: str) -> str:
    """The demo account's password: the same on every run for one database's secret."""
    mac = hmac.new(
        secret.encode("utf-8"), b"pingjing demo password:" + name.encode(), hashlib.sha256
    )
    return mac.hexdigest()[:12]


async def ensure_accounts(store: Store, secret: str, now: int, result: DemoResult) -> None:
    """Create the demo accounts that are missing; never touch an existing one (no new
    password, no session ended)."""
    from rating.admin import auth

    for name, role, unit in ACCOUNTS:
        password = demo_password(secret, name)
        stored = await store.read(_password_hash, name)
        if stored is None:
            # scrypt at full cost takes a moment: only for an account that is missing.
            hashed = auth.hash_password(password)
            if await store.write(_set_user, name, role, unit, hashed, now):
                result.passwords[name] = password
                continue
            stored = await store.read(_password_hash, name)
        result.accounts_reused.add(name)
        same = stored is not None and auth.check_password(password, stored)
        result.passwords[name] = password if same else None


async def ensure_extras(store: Store, result: DemoResult) -> None:
    """The kiosk and a unit code, created once."""
    from rating.kiosk.service import add_kiosk, list_kiosks
    from rating.mailbox import store as mstore
    from rating.mailbox.service import issue_unit_token

    if any(k.name == KIOSK for k in await list_kiosks(store)):
        result.reused.append(f"kiosk {KIOSK}")
    else:
        result.kiosk_code = await add_kiosk(store, KIOSK, UNITS[0])
        result.created.append(f"kiosk {KIOSK}")
    unit = next(u for u in await store.list_units() if u.path == UNITS[0])
    token = await store.read(mstore.live_unit_token, unit.id)
    if token:
        result.reused.append(f"unit code of {unit.name}")
    else:
        token = await issue_unit_token(store, unit)
        result.created.append(f"unit code of {unit.name}")
    result.unit_code = token


async def run_demo(
    store: Store, keys: Keys, secret: str, now: int, route_code: str = ""
) -> DemoResult:
    """Seed an empty database, or reuse what is there (a database with officers); the
    accounts, the kiosk and the unit code are created only where missing. `route_code`:
    the discipline unit supervisors' reports go to (PINGJING_SUPERVISOR_UNIT)."""
    from rating.demo_intake import reuse_intakes, supervisor_token

    result = DemoResult()
    officers = await store.list_officers()
    if officers:
        result.reused.append(f"{len(officers)} officers and their history")
        result.reused += await reuse_intakes(store)
    else:
        result.created.append(f"{await seed_roster(store, now)} officers")
    await ensure_accounts(store, secret, now, result)
    if not officers:
        result.created += await seed_history(store, keys, now, route_code=route_code)
    await ensure_extras(store, result)
    result.supervisor_token = await supervisor_token(store)
    return result


def state_counts(tx: Tx, source: str | None = None) -> dict[str, int]:
    """Cases (of one source, or all) per state (the demo's tests and its summary line)."""
    where, params = ("WHERE source = ?", (source,)) if source else ("", ())
    rows = tx.all(f"SELECT state, COUNT(*) FROM cases {where} GROUP BY state", params)  # noqa: S608
    return {str(r[0]): int(r[1]) for r in rows} | {
        s: 0 for s in CaseState if s not in {str(r[0]) for r in rows}
    }
