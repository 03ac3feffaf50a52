"""Demo data: a unit tree, about 50 officers and a few hundred ratings."""

from __future__ import annotations

import random
import secrets

from rating import clock
from rating.store import Store
from rating.store.models import REASONS, RatingSubmission, RosterRow
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


def demo_roster(count: int = 50, seed: int = 7) -> list[RosterRow]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        kind = "police" if i % 4 else "auxiliary"
        rows.append(RosterRow(i + 2, f"{130100 + i}", name, UNITS[i % len(UNITS)], kind))
    return rows


async def seed_demo(store: Store, ratings: int = 400, seed: int = 7) -> int:
    """Fill an empty store with demo officers and ratings; returns officers created."""
    result = await store.import_roster(demo_roster(seed=seed))
    officers = await store.list_officers()
    rng = random.Random(seed)
    now = clock.now_ms()
    for i in range(ratings):
        officer = rng.choice(officers)
        assert officer.token is not None
        level = rng.choices((5, 4, 3, 2, 1), weights=(70, 18, 6, 4, 2))[0]
        reasons: tuple[str, ...] = ()
        if level <= 2:
            reasons = (rng.choice(REASONS),)
        await store.submit_rating(
            RatingSubmission(
                token=officer.token,
                level=level,
                channel=rng.choice(("badge", "badge", "badge", "kiosk")),
                reasons=reasons,
                device_hash=f"demo-device-{i}",
                at_ms=now - rng.randint(0, 28 * 86_400_000),
            )
        )
    return len(result.created)


DEMO_ADMIN = "demo"


async def demo_admin_password(store: Store) -> str:
    """Give the demo admin account (created if missing) a fresh random password."""
    from rating.admin import auth

    password = secrets.token_urlsafe(9)
    hashed = auth.hash_password(password)
    now = clock.now_ms()

    await store.write(_set_demo_admin, hashed, now)
    return password


def _set_demo_admin(tx: Tx, hashed: str, now: int) -> None:
    from rating.admin import auth

    if auth.user_by_name(tx, DEMO_ADMIN) is None:
        auth.add_user(tx, DEMO_ADMIN, "admin", None, hashed, now)
    else:
        auth.set_password(tx, DEMO_ADMIN, hashed, now)
