"""The subscription pages of /admin/notifications: add, edit, stop and start, test-send
(against local servers that speak the robots' formats), admins only, CSRF-checked,
audited, scoped, targets and secrets never shown back; and the page in the navigation."""

from __future__ import annotations

import re

import httpx

from rating.clock import now_ms
from rating.notify import store as nstore
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, bad_rating, hidden, login, rows
from tests.conftest import Web
from tests.notify.servers import Robot, robot_server
from tests.notify.test_admin_cli import closed_port

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-0001"
DING = "https://oapi.dingtalk.com/robot/send?access_token=ding-token-0002"


async def _csrf(web: Web) -> str:
    page = await web.client.get("/admin/notifications")
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


async def _post(web: Web, action: str, data: dict[str, str | list[str]]) -> httpx.Response:
    return await web.client.post(
        f"/admin/notifications/{action}", data={"csrf": await _csrf(web), **data}
    )


async def _flash(web: Web, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/notifications"
    page = await web.client.get("/admin/notifications")
    found = re.search(r'id="flash">([^<]*)<', page.text)
    assert found, "no flash message"
    return found.group(1)


async def test_an_admin_adds_edits_stops_and_starts_a_subscription(
    web: Web, settings: Settings
) -> None:
    await add_user(web, "boss", "admin")
    assert (await login(web, "boss")).status_code == 303
    forged = await web.client.post(
        "/admin/notifications/add", data={"sender": "wecom", "target": WECOM, "event": "overdue"}
    )
    assert forged.status_code == 403
    assert rows(settings, "SELECT COUNT(*) FROM notify_subscriptions") == [(0,)]
    added = await _post(
        web, "add",
        {"sender": "wecom", "target": WECOM, "unit": "", "label": "桥东群",
         "event": ["bad_rating", "overdue"]},
    )  # fmt: skip
    assert "已添加订阅 #1" in await _flash(web, added)
    assert rows(settings, "SELECT sender, target, events, label FROM notify_subscriptions") == [
        ("wecom", WECOM, "bad_rating,overdue", "桥东群")
    ]
    page = (await web.client.get("/admin/notifications")).text
    assert "wecom-key-0001" not in page and "webhook/send?***" in page
    assert "新差评、案件超期" in page and "企业微信群机器人" in page
    # Edit: a new label, unit and events; the target left empty stays as it was.
    edited = await _post(
        web, "edit",
        {"id": "1", "label": "桥东值班群", "unit": QIAODONG, "target": "", "event": "warning"},
    )  # fmt: skip
    assert "已保存订阅 #1" in await _flash(web, edited)
    assert rows(
        settings,
        "SELECT s.target, s.events, s.label, u.path FROM notify_subscriptions s "
        "JOIN units u ON u.id = s.unit_id",
    ) == [(WECOM, "warning", "桥东值班群", QIAODONG)]
    new_url = WECOM.replace("0001", "0003")
    await _post(web, "edit", {"id": "1", "unit": QIAODONG, "target": new_url, "event": "warning"})
    assert rows(settings, "SELECT target FROM notify_subscriptions") == [(new_url,)]
    # Stop, then a bad rating: nothing is enqueued for it; start again.
    stopped = await _post(web, "disable", {"id": "1"})
    assert "已停用订阅 #1" in await _flash(web, stopped)
    assert rows(settings, "SELECT disabled FROM notify_subscriptions") == [(1,)]
    started = await _post(web, "enable", {"id": "1"})
    assert "已重新启用订阅 #1" in await _flash(web, started)
    assert rows(settings, "SELECT disabled FROM notify_subscriptions") == [(0,)]
    audit = rows(
        settings,
        "SELECT actor_name, action, note FROM audit_log WHERE action LIKE 'notify_%' ORDER BY id",
    )
    assert [a[1] for a in audit] == [
        "notify_add", "notify_edit", "notify_edit", "notify_disable", "notify_enable",
    ]  # fmt: skip
    assert {a[0] for a in audit} == {"boss"}
    assert not any("key-000" in a[2] for a in audit), audit
    english = await web.client.get("/admin/notifications?lang=en")
    assert '<td data-label="Events">Warning</td>' in english.text  # warnings only now
    assert "WeCom robot" in english.text
    assert "Add a subscription" in english.text


async def test_bad_input_keeps_what_was_typed_but_never_the_target_or_secret(
    web: Web, settings: Settings
) -> None:
    await add_user(web, "boss", "admin")
    assert (await login(web, "boss")).status_code == 303
    refused = await _post(
        web, "add",
        {"sender": "dingtalk", "target": DING, "secret": "", "label": "钉钉群", "unit": QIAOXI,
         "event": "overdue"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "钉钉加签密钥" in refused.text and 'value="钉钉群"' in refused.text
    assert "ding-token-0002" not in refused.text
    assert re.search(r'value="[^"]*"\s+selected>' + re.escape(QIAOXI), refused.text)
    assert re.search(r'value="overdue" id="add-overdue" checked', refused.text)
    assert not re.search(r'value="bad_rating" id="add-bad_rating" checked', refused.text)
    none = await _post(web, "add", {"sender": "email", "target": "a@b.cn", "unit": ""})
    assert none.status_code == 400 and "事件类型无效" in none.text
    bad_unit = await _post(web, "add", {"sender": "email", "target": "a@b.cn", "unit": "nowhere",
                                         "event": "warning"})  # fmt: skip
    assert bad_unit.status_code == 400 and "未找到该单位" in bad_unit.text
    long_label = await _post(web, "add", {"sender": "email", "target": "a@b.cn",
                                           "event": "warning", "label": "x" * 101})  # fmt: skip
    assert long_label.status_code == 400
    assert rows(settings, "SELECT COUNT(*) FROM notify_subscriptions") == [(0,)]
    # A DingTalk subscription with its secret; an edit without one keeps the secret.
    ok = await _post(web, "add", {"sender": "dingtalk", "target": DING, "secret": "SECabc",
                                   "event": "overdue"})  # fmt: skip
    assert ok.status_code == 303
    page = (await web.client.get("/admin/notifications")).text
    assert "SECabc" not in page and "ding-token-0002" not in page
    await _post(web, "edit", {"id": "1", "event": "overdue", "label": "改名"})
    assert rows(settings, "SELECT secret, label FROM notify_subscriptions") == [("SECabc", "改名")]
    english = await web.client.post(
        "/admin/notifications/edit?lang=en",
        data={"csrf": await _csrf(web), "id": "1", "event": "fire"},
    )
    assert english.status_code == 400 and "Not saved: events must be" in english.text
    missing = await _post(web, "edit", {"id": "99", "event": "overdue"})
    assert missing.status_code == 404


async def test_test_send_reaches_each_robot_and_reports_a_failure(
    web: Web, settings: Settings
) -> None:
    await add_user(web, "boss", "admin")
    assert (await login(web, "boss")).status_code == 303
    with (
        robot_server(Robot("wecom")) as wecom,
        robot_server(Robot("dingtalk", secret="SEC-ding")) as ding,
    ):
        await web.store.write(
            nstore.add_subscription, None, "wecom", wecom.url, "", nstore.KINDS, "", now_ms()
        )
        await web.store.write(
            nstore.add_subscription, None, "dingtalk", ding.url, "SEC-ding", nstore.KINDS, "",
            now_ms(),
        )  # fmt: skip
        sent = await _post(web, "test", {"id": "1"})
        assert "测试消息已发送到订阅 #1" in await _flash(web, sent)
        assert "测试消息" in wecom.messages[0]["markdown"]["content"]
        signed = await _post(web, "test", {"id": "2"})
        assert "测试消息已发送到订阅 #2" in await _flash(web, signed)
        assert ding.refused == [] and ding.messages[0]["markdown"]["title"] == "评警 · 测试消息"
    url = f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key=gone-key"
    await web.store.write(nstore.add_subscription, None, "wecom", url, "", nstore.KINDS, "", 0)
    failed = await _post(web, "test", {"id": "3"})
    text = await _flash(web, failed)
    assert "测试消息发送到订阅 #3 失败" in text and "gone-key" not in text
    mail = await _post(web, "add", {"sender": "email", "target": "a@b.cn", "event": "warning"})
    assert mail.status_code == 303
    no_smtp = await _post(web, "test", {"id": "4"})
    assert "PINGJING_SMTP_URL" in await _flash(web, no_smtp)
    # A test message is not a notification: nothing in the outbox, but in the audit log.
    assert rows(settings, "SELECT COUNT(*) FROM notify_deliveries") == [(0,)]
    assert rows(settings, "SELECT note FROM audit_log WHERE action = 'notify_test' ORDER BY id")[
        :2
    ] == [("#1 ok",), ("#2 ok",)]


async def test_only_admins_change_and_a_scoped_admin_stays_in_scope(
    web: Web, settings: Settings
) -> None:
    await web.store.write(
        nstore.add_subscription, None, "wecom", WECOM, "", nstore.KINDS, "全局群", now_ms()
    )
    await web.store.write(
        nstore.add_subscription, QIAODONG, "email", "east@b.cn", "", nstore.KINDS, "", now_ms()
    )
    await add_user(web, "east", "unit_manager", QIAODONG)
    assert (await login(web, "east")).status_code == 303
    page = await web.client.get("/admin/notifications")
    assert page.status_code == 200 and "e***@b.cn" in page.text and "全局群" not in page.text
    assert "/admin/notifications/edit" not in page.text
    for action in ("add", "edit", "disable", "enable", "test"):
        refused = await web.client.post(
            f"/admin/notifications/{action}",
            data={"csrf": hidden(page.text, "csrf"), "id": "2", "sender": "email",
                  "target": "x@y.cn", "event": "warning", "unit": QIAODONG},
        )  # fmt: skip
        assert refused.status_code == 403, action
    web.client.cookies.clear()
    await add_user(web, "east-admin", "admin", QIAODONG)
    assert (await login(web, "east-admin")).status_code == 303
    page = await web.client.get("/admin/notifications")
    assert "全局群" not in page.text and "/admin/notifications/edit" in page.text
    assert (await _post(web, "disable", {"id": "1"})).status_code == 404
    bureau = await _post(web, "add", {"sender": "email", "target": "x@y.cn", "unit": "",
                                       "event": "warning"})  # fmt: skip
    assert bureau.status_code == 400 and "本单位范围" in bureau.text
    west = await _post(web, "add", {"sender": "email", "target": "x@y.cn", "unit": QIAOXI,
                                     "event": "warning"})  # fmt: skip
    assert west.status_code == 400
    assert (await _post(web, "disable", {"id": "2"})).status_code == 303
    assert rows(settings, "SELECT id, disabled FROM notify_subscriptions ORDER BY id") == [
        (1, 0), (2, 1),
    ]  # fmt: skip


async def test_the_outbox_lists_what_waits_and_a_restart_drops_the_backlog(
    web: Web, settings: Settings
) -> None:
    await web.store.write(
        nstore.add_subscription, None, "email", "chief@b.cn", "", nstore.KINDS, "", now_ms()
    )
    await bad_rating(web, 0, level=1)  # (clears the client's cookies: log in after it)
    await add_user(web, "boss", "admin")
    assert (await login(web, "boss")).status_code == 303
    await web.store.write(nstore.scan, now_ms(), 3_600_000)  # a digest: waits for the hour
    page = await web.client.get("/admin/notifications")
    outbox = page.text.split('id="outbox"')[1].split('id="dead"')[0]
    assert "新差评 #1" in outbox and "c***@b.cn" in outbox
    await _post(web, "disable", {"id": "1"})
    await _post(web, "enable", {"id": "1"})
    assert rows(settings, "SELECT state, last_error FROM notify_deliveries") == [
        ("dead", nstore.STOPPED_ERROR)
    ]
    page = await web.client.get("/admin/notifications")
    assert "没有待发送的消息" in page.text


async def test_every_nav_link_opens_for_each_role(web: Web) -> None:
    """Every page the admin header links to opens (200) for the roles it is shown to, and
    the notifications page is linked for admins and unit managers."""
    await add_user(web, "boss", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await add_user(web, "look", "viewer")
    for name, sees_notify in (("boss", True), ("east", True), ("look", False)):
        web.client.cookies.clear()
        assert (await login(web, name)).status_code == 303
        home = await web.client.get("/admin")
        nav = home.text.split("<nav>")[1].split("</nav>")[0]
        assert ('href="/admin/notifications"' in nav) == sees_notify, name
        links = re.findall(r'href="([^"]+)"', nav)
        assert len(links) >= 8
        for link in links:
            r = await web.client.get(link.replace("&amp;", "&"))
            assert r.status_code == 200, (name, link, r.status_code)
        english = await web.client.get("/admin?lang=en")
        if sees_notify:
            assert '<a href="/admin/notifications">Notifications</a>' in english.text
