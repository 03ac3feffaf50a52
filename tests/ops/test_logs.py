"""Structured logs: a citizen's and an administrator's whole journey against a live server,
then the server's log is read line by line for anything personal."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import httpx

from rating import logs
from rating.settings import Settings
from tests.ops.live import live_server

PHONE = "13812345678"
FORM_PHONE = "13987654321"
COMMENT = "窗口民警态度很差让我等了两个小时"
FORM_COMMENT = "派出所门口不让进"
CLIENT_IP = "203.0.113.77"
PASSWORD = "correct horse battery staple"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def test_a_full_journey_logs_json_lines_and_nothing_personal(tmp_path: Path) -> None:
    env = {
        "PINGJING_TRUSTED_PROXIES": "127.0.0.1",
        "PINGJING_LOG_FORMAT": "json",
        "PINGJING_LOG_LEVEL": "debug",  # the most the server would ever write
        "PINGJING_MIN_SUBMIT_SECONDS": "0",
    }
    with live_server(tmp_path, **env) as live:
        fwd = {"x-forwarded-for": CLIENT_IP}
        secrets_seen = [live.api_token, live.kiosk_token, *live.tokens]
        with httpx.Client(base_url=live.url, headers=fwd, timeout=20) as c:
            token = live.tokens[0]
            assert c.get(f"/r/{token}").status_code == 200
            # JSON rating with a phone and a comment, under a request id from the proxy.
            r = c.post(
                "/api/v1/ratings",
                json={
                    "token": token,
                    "level": 1,
                    "t": live.stamp(token),
                    "reasons": ["attitude"],
                    "comment": COMMENT,
                    "phone": PHONE,
                    "consent": True,
                },
                headers={"x-request-id": "journey-0001"},
            )
            assert r.status_code == 201, r.text
            assert r.headers["x-request-id"] == "journey-0001"
            receipt = r.json()["receipt"]
            secrets_seen.append(receipt)
            # The plain form post of another officer, with phone and comment.
            form_token = live.tokens[1]
            r = c.post(
                f"/r/{form_token}",
                data={
                    "level": "2",
                    "t": live.stamp(form_token),
                    "reasons": "efficiency",
                    "comment": FORM_COMMENT,
                    "phone": FORM_PHONE,
                    "consent": "1",
                },
            )
            assert r.status_code == 303, r.text
            assert c.get(f"/api/v1/receipts/{receipt}").status_code == 200
            assert c.get(f"/receipt/{receipt}").status_code == 200
            # A refused rating (a malformed phone) and an unknown receipt.
            bad = c.post(
                "/api/v1/ratings",
                json={"token": token, "level": 1, "t": live.stamp(token), "phone": "1381234"},
            )
            assert bad.status_code == 400
            assert c.get("/api/v1/receipts/ZZZZZZZZZZZZ").status_code == 404
            # Administration: the case API with the token, then the admin pages.
            api = {"authorization": f"Bearer {live.api_token}"}
            cases = c.get("/api/v1/cases", headers=api).json()["cases"]
            assert len(cases) == 2
            case_id = next(x["id"] for x in cases if x["receipt"] == receipt)
            r = c.post(f"/api/v1/cases/{case_id}/take", json={}, headers=api)
            assert r.status_code == 200, r.text
            r = c.post(
                f"/api/v1/cases/{case_id}/callback",
                json={"outcome": "reached", "note": f"已回访 {PHONE}"},
                headers=api,
            )
            assert r.status_code == 200, r.text
            assert (
                c.get("/api/v1/cases", headers={"authorization": "Bearer pjt_wrong"}).status_code
                == 401
            )
            login = c.get("/admin/login")
            r = c.post(
                "/admin/login",
                data={
                    "csrf": _hidden(login.text, "csrf"),
                    "name": "ops",
                    "password": PASSWORD,
                    "next": f"/admin/cases/{case_id}",
                },
            )
            assert r.status_code == 303, r.text
            page = c.get(f"/admin/cases/{case_id}")
            assert page.status_code == 200
            revealed = c.post(
                f"/admin/cases/{case_id}/reveal", data={"csrf": _hidden(page.text, "csrf")}
            )
            assert revealed.status_code == 303  # POST/redirect/GET: the page shows it once
            shown = c.get(revealed.headers["location"])
            assert PHONE in shown.text  # the journey reached the full number
            kiosk = c.get(
                "/api/v1/kiosk/state", headers={"authorization": f"Bearer {live.kiosk_token}"}
            )
            assert kiosk.status_code == 200
            assert c.get("/metrics").status_code == 403  # an outside client via the proxy
        text = live.log_text()

    lines = [ln for ln in text.splitlines() if ln.strip()]
    events = [json.loads(ln) for ln in lines]  # every line is one JSON object
    requests = [e for e in events if e["event"] == "request"]
    assert len(requests) >= 15
    for e in requests:
        assert set(e) >= {
            "time",
            "level",
            "logger",
            "request_id",
            "route",
            "method",
            "status",
            "duration_ms",
        }
    by_id = {e["request_id"]: e for e in requests}
    assert by_id["journey-0001"]["route"] == "/api/v1/ratings"
    assert by_id["journey-0001"]["status"] == 201
    routes = {(e["method"], e["route"], e["status"]) for e in requests}
    assert ("POST", "/r/{token}", 303) in routes
    assert ("POST", "/admin/cases/{case_id}/reveal", 303) in routes
    assert ("GET", "/api/v1/cases", 401) in routes
    assert len({e["request_id"] for e in requests}) == len(requests)

    for needle in (
        PHONE,
        FORM_PHONE,
        "138****5678",
        COMMENT,
        FORM_COMMENT,
        CLIENT_IP,
        PASSWORD,
        "pjt_",
        *secrets_seen,
    ):
        assert needle not in text, needle
    # No mobile number at all, outside the request ids: a random 16-hex-digit id holds a run
    # of eleven decimal digits like a phone's about once in twenty runs of this test.
    ids = {e["request_id"] for e in events}
    assert all(re.fullmatch(r"[0-9a-f]{16}|journey-0001|", i) for i in ids), ids
    values = [v for e in events for k, v in e.items() if k != "request_id"]
    assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", json.dumps(values)) is None


def test_text_format_for_development_and_scrubbing() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    flags = (logging._srcfile, logging.logThreads, logging.logProcesses)  # type: ignore[attr-defined]
    logs.configure(Settings.load(env={}, log_format="text"), stream)
    try:
        logging.getLogger("pingjing.test").warning("call back %s from %s", PHONE, CLIENT_IP)
        logs.access("abc123", "/r/{token}", "GET", 200, 0.0042)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging._srcfile, logging.logThreads, logging.logProcesses = flags  # type: ignore[attr-defined]
        logs.ACCESS.disabled = False
    out = stream.getvalue().splitlines()
    assert out[0].endswith("WARNING pingjing.test: call back [phone] from [ip]")
    assert out[1].endswith("GET /r/{token} 200 4.2ms [abc123]")
    for line in out:
        assert not line.startswith("{")
