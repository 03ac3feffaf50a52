"""The supervisor's page and the admin roll through the real app (SQLite): the form, its
post and every refusal naming its field with what was typed kept, photos stripped of EXIF,
the refusal pages outside the term or with a revoked link, the admin page (admins only,
CSRF, POST/redirect/GET, audited) and `pingjing supervisors`."""

from __future__ import annotations

import gzip
import io
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from rating.settings import Settings
from rating.store.logic import unit_code_for_path
from rating.supervisors import service
from rating.supervisors.form import stamp_token
from rating.supervisors.model import Supervisor
from rating.supervisors.service import SHANGHAI
from tests.cases.helpers import add_user, cli, hidden, login
from tests.conftest import Web, make_settings, rows
from tests.mailbox.test_mailbox_web import jpeg
from tests.supervisors.test_store import day

EN = {"accept-language": "en-US,en;q=0.9"}
DUCHA = unit_code_for_path("张家口市公安局")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, supervisor_unit=DUCHA)


async def appoint(web: Web, start: int = 0, end: int = 30, name: str = "张三") -> Supervisor:
    x = await service.add(web.store, web.keys, None, name, "13812345678", day(start), day(end))
    assert x.token
    return x


def local(minutes_ago: int) -> str:
    moment = datetime.now(SHANGHAI) - timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M")


def form(web: Web, token: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "t": web.keys.stamp(int((time.time() - 10) * 1000), stamp_token(token)),
        "lang": "zh",
        "badge": "100001",
        "place": "胜利路派出所户籍窗口",
        "event_at": local(60),
        "text": "民警办理业务时态度生硬，让群众等了两个小时",
    }
    data.update(fields)
    return data


async def post(web: Web, token: str, data: dict[str, Any], files: list[Any] | None = None) -> Any:
    return await web.client.post(
        f"/supervisor/{token}",
        data=data,
        files=files or [("photos", ("", b"", "application/octet-stream"))],
    )


def reports(settings: Settings) -> int:
    return int(rows(settings, "SELECT COUNT(*) FROM supervisor_reports")[0][0])


async def test_the_page_is_small_chinese_and_needs_no_javascript(web: Web) -> None:
    x = await appoint(web)
    async with web.client.stream(
        "GET", f"/supervisor/{x.token}", headers={"accept-encoding": "gzip"}
    ) as r:
        wire = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.status_code == 200
    page = gzip.decompress(wire).decode("utf-8")
    assert '<html lang="zh-CN">' in page and "警风监督员" in page and "张三，您好" in page
    assert 'enctype="multipart/form-data"' in page and "<script" not in page
    assert 'id="no-reports"' in page and "13812345678" not in page
    assert len(wire) <= 14 * 1024, f"{len(wire)} bytes compressed"
    english = await web.client.get(f"/supervisor/{x.token}", headers=EN)
    assert '<html lang="en">' in english.text and "Officer&#39;s badge number" in english.text
    # A typed link survives the usual slips (lower case, O for 0).
    typed = x.token.lower() if x.token else ""
    assert (await web.client.get(f"/supervisor/{typed}")).status_code == 200


async def test_a_report_is_filed_routed_and_shown_with_its_progress(
    web: Web, settings: Settings
) -> None:
    x = await appoint(web)
    assert x.token
    data = form(web, x.token)
    sent = await post(web, x.token, data,
                      files=[("photos", ("a.jpg", jpeg(gps=True), "image/jpeg"))])  # fmt: skip
    assert sent.status_code == 303
    assert re.fullmatch(rf"/supervisor/{x.token}\?sent=\d+#r\d+", sent.headers["location"])
    page = await web.client.get(sent.headers["location"])
    assert 'id="sent"' in page.text and "张伟（100001）" in page.text
    assert "督察部门办理中" in page.text and "尚未答复" in page.text
    ((state, unit, category),) = rows(
        settings,
        "SELECT c.state, d.code, c.category FROM cases c JOIN units d ON d.id = c.dispatch_unit_id "
        "WHERE c.source = 'supervisor'",
    )
    assert (state, unit, category) == ("dispatched", DUCHA, "监督员报告")
    ((blob,),) = rows(settings, "SELECT data FROM supervisor_report_photos")
    stored = Image.open(io.BytesIO(blob))
    assert stored.format == "JPEG" and not stored.getexif() and b"PhoneMaker" not in blob

    # The same page sent twice (a double tap, a resend after a lost answer) is one report.
    again = await post(web, x.token, data)
    assert again.status_code == 303 and again.headers["location"] == sent.headers["location"]
    assert reports(settings) == 1


async def test_staff_see_the_reports_photos_on_its_case_page(web: Web, settings: Settings) -> None:
    """The report's photos are kept with its case and shown to staff who may see it, as a
    letter's are (the case page's thumbnails and /admin/cases/{id}/photos/{n})."""
    x = await appoint(web)
    assert x.token
    files = [("photos", (f"{n}.jpg", jpeg(gps=True), "image/jpeg")) for n in (1, 2)]
    assert (await post(web, x.token, form(web, x.token), files=files)).status_code == 303
    ((case_id,),) = rows(settings, "SELECT id FROM cases WHERE source = 'supervisor'")
    stored = rows(settings, "SELECT data FROM supervisor_report_photos ORDER BY position")
    assert len(stored) == 2

    anonymous = await web.client.get(f"/admin/cases/{case_id}/photos/1")
    assert anonymous.status_code in (302, 303) and "/admin/login" in anonymous.headers["location"]

    await add_user(web, "centre", "admin")
    await login(web, "centre")
    page = await web.client.get(f"/admin/cases/{case_id}")
    links = re.findall(r'<a href="(/admin/cases/\d+/photos/\d+)"><img', page.text)
    assert links == [f"/admin/cases/{case_id}/photos/{n}" for n in (1, 2)]
    for n, (blob,) in enumerate(stored, start=1):
        r = await web.client.get(f"/admin/cases/{case_id}/photos/{n}")
        assert r.status_code == 200 and r.content == bytes(blob)
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"] == "private, no-store"
    assert (await web.client.get(f"/admin/cases/{case_id}/photos/3")).status_code == 404


async def test_refusals_name_the_field_and_keep_what_was_typed(
    web: Web, settings: Settings
) -> None:
    x = await appoint(web)
    assert x.token
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"badge": "999999"}, "badge", "未找到该警号的在岗民警"),
        ({"badge": ""}, "badge", "请填写民警警号"),
        ({"place": "  "}, "place", "请填写事发地点"),
        ({"event_at": "yesterday"}, "event_at", "请填写事发时间"),
        ({"event_at": local(-120)}, "event_at", "事发时间晚于现在"),
        ({"text": ""}, "text", "请填写事情经过"),
        ({"text": "长" * 2001}, "text", "最多 2000 字"),
        ({"t": "forged"}, "t", "页面已过期"),
    ]
    for change, field, message in cases:
        r = await post(web, x.token, form(web, x.token, **change))
        assert r.status_code == 400, (field, r.status_code)
        assert message in r.text, field
        if field != "t":
            assert f'id="{field}-err"' in r.text and 'aria-invalid="true"' in r.text
        if field != "place":
            assert 'value="胜利路派出所户籍窗口"' in r.text  # what was typed stays
    not_image = [("photos", ("a.jpg", b"not an image", "image/jpeg"))]
    bad_photo = await post(web, x.token, form(web, x.token), files=not_image)
    assert bad_photo.status_code == 415 and 'id="photos-err"' in bad_photo.text
    assert "照片未保存" not in bad_photo.text  # a refused photo has its own message
    one_photo = [("photos", ("a.jpg", jpeg(), "image/jpeg"))]
    unknown = await post(web, x.token, form(web, x.token, badge="999999"), files=one_photo)
    assert unknown.status_code == 400 and "照片未保存，请重新选择。" in unknown.text
    four = [("photos", (f"{i}.jpg", jpeg(), "image/jpeg")) for i in range(4)]
    assert (await post(web, x.token, form(web, x.token), files=four)).status_code == 400
    english = await post(web, x.token, form(web, x.token, badge="999999", lang="en"))
    assert "badge: no serving officer has this badge number" in english.text
    assert reports(settings) == 0
    assert rows(settings, "SELECT COUNT(*) FROM cases")[0][0] == 0


async def test_outside_the_term_or_revoked_the_link_answers_a_refusal_page(
    web: Web, settings: Settings
) -> None:
    early = await appoint(web, 3, 30, "赵六")
    late = await appoint(web, -30, -1, "钱七")
    live = await appoint(web)
    assert early.token and late.token and live.token
    r = await web.client.get(f"/supervisor/{early.token}")
    assert r.status_code == 403 and "任期尚未开始" in r.text and 'id="report"' not in r.text
    r = await web.client.get(f"/supervisor/{late.token}", headers=EN)
    assert r.status_code == 403 and "Your term has ended" in r.text
    assert (await web.client.get("/supervisor/0000000000AA")).status_code == 404
    assert (await web.client.get("/supervisor/nonsense")).status_code == 404
    token = live.token
    page_form = form(web, token)
    await service.revoke(web.store, live.id, None)
    r = await web.client.get(f"/supervisor/{token}")
    assert r.status_code == 410 and "此链接已失效" in r.text
    r = await post(web, token, page_form)
    assert r.status_code == 410 and reports(settings) == 0
    fresh = await service.reissue(web.store, live.id, None)
    assert fresh.token and (await web.client.get(f"/supervisor/{fresh.token}")).status_code == 200
    await service.end_term(web.store, live.id, None)
    r = await post(web, fresh.token, form(web, fresh.token))
    assert r.status_code == 403 and reports(settings) == 0


async def test_the_admin_roll_is_for_admins_csrf_checked_and_audited(
    web: Web, settings: Settings
) -> None:
    await add_user(web, "look", "viewer")
    await login(web, "look")
    assert (await web.client.get("/admin/supervisors")).status_code == 403
    web.client.cookies.clear()
    await add_user(web, "boss", "admin")
    await login(web, "boss")
    page = await web.client.get("/admin/supervisors")
    assert page.status_code == 200 and 'id="add-supervisor"' in page.text
    assert "派发至督察部门（张家口市公安局）" in page.text  # PINGJING_SUPERVISOR_UNIT's unit
    csrf = hidden(page.text, "csrf")
    add = {"csrf": csrf, "name": "张三", "phone": "13812345678",
           "term_start": day(0), "term_end": day(365)}  # fmt: skip
    assert (
        await web.client.post("/admin/supervisors/add", data=add | {"csrf": "x"})
    ).status_code == 403
    bad = await web.client.post("/admin/supervisors/add", data=add | {"term_end": day(-1)})
    assert bad.status_code == 400 and "term_end" in bad.text and 'value="13812345678"' in bad.text
    done = await web.client.post("/admin/supervisors/add", data=add)
    assert done.status_code == 303 and done.headers["location"] == "/admin/supervisors?done=added"
    shown = await web.client.get(done.headers["location"])
    ((sid, token),) = rows(
        settings,
        "SELECT s.id, t.token FROM supervisors s JOIN supervisor_tokens t "
        "ON t.supervisor_id = s.id AND t.revoked_at IS NULL",
    )
    assert f"https://pj.example.cn/supervisor/{token}" in shown.text
    assert "138****5678" in shown.text and "13812345678" not in shown.text
    for action, status in (("revoke", 410), ("reissue", 410), ("end", 410)):
        r = await web.client.post(f"/admin/supervisors/{sid}/{action}", data={"csrf": csrf})
        assert r.status_code == 303, action
        assert (await web.client.get(f"/supervisor/{token}")).status_code == status
    ((new_token,),) = rows(settings, "SELECT token FROM supervisor_tokens WHERE revoked_at IS NULL")
    assert (await web.client.get(f"/supervisor/{new_token}")).status_code == 403  # ended
    assert (
        await web.client.post("/admin/supervisors/999/end", data={"csrf": csrf})
    ).status_code == 404
    audit = rows(
        settings, "SELECT action, actor_name FROM audit_log WHERE action LIKE 'supervisor%'"
    )
    assert [a for a, _ in audit] == [
        "supervisor_add", "supervisor_revoke", "supervisor_reissue", "supervisor_end"]  # fmt: skip
    assert {n for _, n in audit} == {"boss"}


async def test_the_command_line_appoints_lists_ends_and_reissues(
    web: Web, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async def run(*args: str) -> str:
        assert await cli(settings, "supervisors", *args) == 0
        return capsys.readouterr().out

    out = await run("add", "--name", "张三", "--phone", "13812345678", "--from", day(0),
                    "--to", day(30))  # fmt: skip
    sid, name, phone, term, state, n, link = out.strip().split("\t")
    assert (name, phone, term, state, n) == ("张三", "138****5678", f"{day(0)}..{day(30)}",
                                             "live", "0")  # fmt: skip
    assert "/supervisor/" in link and (await web.client.get(link[link.index("/supervisor/"):])
                                       ).status_code == 200  # fmt: skip
    assert link in await run("list")
    reissued = await run("reissue", sid)
    assert link not in reissued and "/supervisor/" in reissued
    revoked = await run("revoke", sid)
    assert revoked.strip().endswith("\t-") and "\trevoked\t" in revoked
    assert "\tended\t" in await run("end", sid)
    assert await cli(settings, "supervisors", "add", "--name", "李四", "--from", day(1),
                     "--to", day(0)) == 1  # fmt: skip
    assert "term_end: before term_start" in capsys.readouterr().err
    audit = rows(
        settings, "SELECT action, actor_name FROM audit_log WHERE action LIKE 'supervisor%'"
    )
    assert {n for _, n in audit} == {"命令行"} and len(audit) == 4
