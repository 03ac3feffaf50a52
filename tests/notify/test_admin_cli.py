"""The notifications page (dead letters, retry) and the `pingjing notify` commands."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rating.clock import now_ms
from rating.notify import deliver
from rating.notify import store as nstore
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, bad_rating, cli, hidden, login, rows
from tests.conftest import Web, make_settings, open_web
from tests.polling import until


def closed_port() -> int:
    """A local port nobody listens on (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def dead_letter(web: Web) -> None:
    url = f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key=secret-robot-key"
    await web.store.write(
        nstore.add_subscription, QIAODONG, "wecom", url, "", nstore.KINDS, "桥东群", now_ms()
    )
    await bad_rating(web, 0, level=1)
    cfg = deliver.Config("https://pj.example.cn", 1, 1000, 0, "", "x@y")
    r = await deliver.run_once(web.store, cfg, now_ms())
    assert r.failed == 1


async def test_dead_letters_are_listed_and_sent_again_with_csrf(
    web: Web, settings: Settings
) -> None:
    await dead_letter(web)
    await add_user(web, "boss", "admin")
    assert (await login(web, "boss")).status_code == 303
    page = await web.client.get("/admin/notifications")
    assert page.status_code == 200
    assert "桥东群" in page.text and "企业微信群机器人" in page.text
    assert "secret-robot-key" not in page.text and "?***" in page.text
    assert "ConnectionRefusedError" in page.text or "URLError" in page.text
    english = await web.client.get("/admin/notifications?lang=en")
    assert "Dead letters" in english.text and "Send again" in english.text
    (delivery,) = rows(settings, "SELECT id FROM notify_deliveries WHERE state = 'dead'")
    refused = await web.client.post("/admin/notifications/retry", data={"delivery": "all"})
    assert refused.status_code == 403
    assert rows(settings, "SELECT state FROM notify_deliveries") == [("dead",)]
    csrf = hidden(page.text, "csrf")
    done = await web.client.post(
        "/admin/notifications/retry", data={"csrf": csrf, "delivery": str(delivery[0])}
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/notifications?retried=1"
    assert rows(settings, "SELECT state, attempts FROM notify_deliveries") == [("pending", 0)]
    assert rows(
        settings, "SELECT actor_name, items FROM audit_log WHERE action = 'notify_retry'"
    ) == [("boss", 1)]
    after = await web.client.get(done.headers["location"])
    assert "已重新排队 1 条消息" in after.text or "1 messages queued again" in after.text


async def test_a_unit_manager_sees_only_their_subtree_and_a_viewer_nothing(web: Web) -> None:
    await dead_letter(web)
    await add_user(web, "west", "unit_manager", QIAOXI)
    await add_user(web, "east", "unit_manager", QIAODONG)
    await add_user(web, "look", "viewer")
    assert (await login(web, "west")).status_code == 303
    west = await web.client.get("/admin/notifications")
    assert west.status_code == 200 and "桥东群" not in west.text
    web.client.cookies.clear()
    assert (await login(web, "east")).status_code == 303
    east = await web.client.get("/admin/notifications")
    assert "桥东群" in east.text and "/admin/notifications/retry" in east.text
    web.client.cookies.clear()
    assert (await login(web, "look")).status_code == 303
    assert (await web.client.get("/admin/notifications")).status_code == 403


async def test_notify_commands(
    web: Web, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=very-secret-key"
    assert await cli(settings, "notify", "add", "wecom", url, "--unit", QIAODONG) == 0
    assert "subscription 1 added" in capsys.readouterr().out
    assert await cli(settings, "notify", "list") == 0
    listed = capsys.readouterr().out
    assert "very-secret-key" not in listed and "webhook/send?***" in listed and QIAODONG in listed
    ding = "https://oapi.dingtalk.com/robot/send?access_token=t"
    assert await cli(settings, "notify", "add", "dingtalk", ding) == 1
    assert "secret" in capsys.readouterr().err
    assert await cli(settings, "notify", "add", "email", "a@b.cn", "--events", "fire") == 1
    assert "events" in capsys.readouterr().err
    assert await cli(settings, "notify", "add", "email", "a@b.cn", "--unit", "nowhere") == 1
    assert "unit" in capsys.readouterr().err
    assert await cli(settings, "notify", "remove", "1") == 0
    assert await cli(settings, "notify", "remove", "1") == 1
    capsys.readouterr()
    assert await cli(settings, "notify", "dead") == 0
    assert "no dead letters" in capsys.readouterr().err


async def test_the_server_sends_in_the_background(tmp_path: Path) -> None:
    from tests.notify.servers import Robot, robot_server

    settings = make_settings(tmp_path, notify_poll_seconds=0.05)
    with robot_server(Robot("wecom")) as robot:
        async for web in open_web(settings):
            await web.store.write(
                nstore.add_subscription, None, "wecom", robot.url, "", nstore.KINDS, "", now_ms()
            )
            await bad_rating(web, 2, level=2)
            await until(lambda: len(robot.messages) == 1, "the robot's message")
            assert "新差评" in robot.messages[0]["markdown"]["content"]
