"""Spot-checks end to end on the app (SQLite): the receipt page's optional phone for a
satisfied rating, the daily sample, the centre's queue (list, task, take, reveal,
outcome; CSRF; POST/redirect/GET), and `pingjing spotcheck sample`."""

from __future__ import annotations

import pytest

from rating.clock import now_ms
from rating.settings import Settings
from rating.spotcheck import service
from rating.spotcheck.store import local_day
from tests.cases.helpers import add_user, cli, hidden, login
from tests.conftest import Web, rows

PHONE = "13812345678"


async def good_rating(web: Web, i: int = 0, **fields: object) -> str:
    r = await web.client.post("/api/v1/ratings", json=web.rating(i, level=5, **fields))
    assert r.status_code == 201, r.text
    web.client.cookies.clear()  # the next rating comes from another device
    return str(r.json()["receipt"])


async def test_a_satisfied_rater_may_leave_a_phone_on_the_receipt_page(
    web: Web, settings: Settings
) -> None:
    token = web.token()
    r = await web.client.post(
        f"/r/{token}", data={"t": web.stamp(token), "level": "5", "lang": "zh"}
    )
    assert r.status_code == 303
    receipt_url = r.headers["location"]
    page = await web.client.get(receipt_url)
    assert 'id="spot"' in page.text and "可以打电话向您了解本次服务的质量吗" in page.text
    receipt = receipt_url.split("/")[2].split("?")[0]
    form = {"t": hidden(page.text, "t"), "lang": "zh", "receipt": receipt, "level": "5"}

    bad = await web.client.post(f"/r/{token}", data={**form, "phone": "12345", "consent": "1"})
    assert bad.status_code == 303 and bad.headers["location"] == f"/receipt/{receipt}?spot=phone"
    shown = await web.client.get(bad.headers["location"])
    assert 'id="spot-err"' in shown.text and 'value="12345"' not in shown.text
    assert rows(settings, "SELECT phone_enc FROM ratings") == [(None,)]

    ok = await web.client.post(f"/r/{token}", data={**form, "phone": PHONE, "consent": "1"})
    assert ok.status_code == 303
    (stored,) = rows(settings, "SELECT level, phone_enc, phone_mask FROM ratings")
    assert stored[0] == 5 and stored[2] == "138****5678"
    assert web.keys.decrypt_phone(stored[1]) == PHONE and PHONE not in stored[1]
    after = await web.client.get(ok.headers["location"])
    assert 'id="spot"' not in after.text and "已留下回访电话" in after.text


async def test_the_centre_works_a_task_from_the_queue(web: Web, settings: Settings) -> None:
    await good_rating(web, 0, phone=PHONE, consent=True)
    await good_rating(web, 2, phone="13900001111", consent=True)
    await good_rating(web, 1)  # no phone: not a candidate
    result = await service.sample(web.store, settings, local_day(now_ms()))
    assert result.new and result.tasks == 2
    await add_user(web, "centre", "admin")
    await login(web, "centre")

    listing = await web.client.get("/admin/spotchecks")
    assert listing.status_code == 200 and listing.text.count('href="/admin/spotchecks/') == 2
    assert PHONE not in listing.text
    (task_id,) = rows(
        settings,
        "SELECT s.id FROM spot_checks s JOIN officers o ON o.unit_id = s.unit_id "
        "WHERE o.badge_no = '100001'",
    )[0]
    page = await web.client.get(f"/admin/spotchecks/{task_id}")
    assert "138****5678" in page.text and PHONE not in page.text and 'id="script"' in page.text
    assert "/reveal" not in page.text  # not taken yet: no reveal
    csrf = hidden(page.text, "csrf")

    forged = await web.client.post(f"/admin/spotchecks/{task_id}/claim", data={"csrf": "x"})
    assert forged.status_code == 403
    taken = await web.client.post(f"/admin/spotchecks/{task_id}/claim", data={"csrf": csrf})
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/admin/spotchecks/{task_id}?done=claimed"
    revealed = await web.client.post(f"/admin/spotchecks/{task_id}/reveal", data={"csrf": csrf})
    assert revealed.status_code == 200 and f'<strong id="phone">{PHONE}</strong>' in revealed.text

    refused = await web.client.post(
        f"/admin/spotchecks/{task_id}/outcome", data={"csrf": csrf, "outcome": "not_confirmed"}
    )
    assert refused.status_code == 400
    assert rows(settings, "SELECT outcome FROM spot_checks WHERE id = ?", (task_id,)) == [(None,)]
    done = await web.client.post(
        f"/admin/spotchecks/{task_id}/outcome",
        data={"csrf": csrf, "outcome": "not_confirmed", "reason": "in_front_of_officer"},
    )
    assert done.status_code == 303
    shown = await web.client.get(done.headers["location"])
    assert "当着民警的面评价" in shown.text and 'id="outcome-form"' not in shown.text
    english = await web.client.get(f"/admin/spotchecks/{task_id}?lang=en")
    assert "Rated in front of the officer" in english.text
    assert (await web.client.get("/admin/spotchecks?status=done")).text.count(
        'href="/admin/spotchecks/'
    ) == 1
    audit = rows(settings, "SELECT action FROM audit_log WHERE action LIKE 'spotcheck%'")
    assert sorted(a for (a,) in audit) == [
        "spotcheck_claim", "spotcheck_outcome", "spotcheck_reveal_phone", "spotcheck_sample"
    ]  # fmt: skip


async def test_a_viewer_sees_the_queue_but_cannot_act(web: Web, settings: Settings) -> None:
    await good_rating(web, 0, phone=PHONE, consent=True)
    await service.sample(web.store, settings, local_day(now_ms()))
    await add_user(web, "look", "viewer")
    await login(web, "look")
    ((task_id,),) = rows(settings, "SELECT id FROM spot_checks")
    page = await web.client.get(f"/admin/spotchecks/{task_id}")
    assert page.status_code == 200 and 'id="claim"' not in page.text
    r = await web.client.post(
        f"/admin/spotchecks/{task_id}/claim", data={"csrf": hidden(page.text, "csrf")}
    )
    assert r.status_code == 403
    assert (await web.client.get("/admin/spotchecks/999999")).status_code == 404


async def test_the_sample_command_is_idempotent_per_day(
    web: Web, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await good_rating(web, 0, phone=PHONE, consent=True)
    day = local_day(now_ms()).isoformat()
    assert await cli(settings, "spotcheck", "sample", "--day", day) == 0
    assert await cli(settings, "spotcheck", "sample", "--day", day) == 0
    out = capsys.readouterr()
    assert "1 spot-check task(s) from 1 candidate(s)" in out.out
    assert "sampled before, 1 task(s); nothing added" in out.out
    assert rows(settings, "SELECT COUNT(*) FROM spot_checks") == [(1,)]
    assert await cli(settings, "spotcheck", "sample", "--day", "30/11/2026") == 1
    assert "day must be YYYY-MM-DD" in capsys.readouterr().err
