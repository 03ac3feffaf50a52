"""The take-in rules as JSON (/api/v1/workorders/rules): list, add, remove, apply, for an
admin's API token; every refusal in the one error shape naming its field; each reply
valid against the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import httpx

from rating.admin import accounts
from rating.settings import Settings
from tests.cases.helpers import add_user, rows
from tests.conftest import Web
from tests.ops.test_openapi import _validator
from tests.workorders.conftest import write_csv
from tests.workorders.test_loop import QIAOXI, imported, order_ids, rows3

RULES = "/api/v1/workorders/rules"


async def _token(web: Web, name: str, role: str, unit: str | None = None) -> dict[str, str]:
    await add_user(web, name, role, unit)
    return {"authorization": "Bearer " + await accounts.new_api_token(web.store, name, "test")}


def _error(r: httpx.Response, status: int, field: str) -> None:
    assert r.status_code == status, r.text
    _validator("Error").validate(r.json())
    assert r.json()["ok"] is False and r.json()["status"] == status
    assert field in r.json()["error"], r.json()


async def test_an_admin_lists_adds_applies_and_removes_rules(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    await imported(web.store, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(web.store)
    admin = await _token(web, "centre", "admin")

    r = await web.client.get(RULES, headers=admin)
    assert r.status_code == 200 and r.json() == {"ok": True, "rules": []}
    assert r.headers["cache-control"] == "no-store"

    # Added (201), with the hotline's spelling of the order type; again: the same rule (200).
    r = await web.client.post(RULES, headers=admin, json={"channel": "12345", "order_type": "投诉"})
    assert r.status_code == 201, r.text
    _validator("WorkorderRuleAdded").validate(r.json())
    rule = r.json()["rule"]
    assert (rule["channel"], rule["order_type"], rule["category"]) == ("12345", "complaint", "")
    assert rule["created_by"] == "centre" and r.json()["created"] is True
    again = await web.client.post(
        RULES, headers=admin, json={"channel": "12345", "order_type": "complaint", "category": ""}
    )
    assert again.status_code == 200 and again.json() == {**r.json(), "created": False}

    listed = await web.client.get(RULES, headers=admin)
    _validator("WorkorderRuleList").validate(listed.json())
    assert listed.json()["rules"] == [rule]

    # Applied to the stored orders: the open complaint (GD001), not the closed one (GD003)
    # nor the consultation (GD002); a second apply takes nothing more.
    r = await web.client.post(RULES + "/apply", headers=admin)
    assert r.status_code == 200 and r.json() == {"ok": True, "taken_in": 1}
    _validator("WorkorderRulesApplied").validate(r.json())
    taken = rows(settings, "SELECT source_id FROM cases WHERE source = 'workorder'")
    assert taken == [(ids["GD001"],)]
    r = await web.client.post(RULES + "/apply", headers=admin)
    assert r.json()["taken_in"] == 0

    # Removed: its case stays; a second time, 404 naming rule_id. Never a rule "apply".
    r = await web.client.post(f"{RULES}/{rule['id']}/remove", headers=admin)
    assert r.status_code == 200 and r.json() == {"ok": True, "removed": rule["id"]}
    _validator("WorkorderRuleRemoved").validate(r.json())
    _error(await web.client.post(f"{RULES}/{rule['id']}/remove", headers=admin), 404, "rule_id")
    _error(await web.client.post(f"{RULES}/x1/remove", headers=admin), 404, "rule_id")
    _error(await web.client.post(f"{RULES}/apply/remove", headers=admin), 404, "rule_id")
    r = await web.client.delete(f"{RULES}/apply", headers=admin)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = await web.client.put(RULES, headers=admin)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert rows(settings, "SELECT COUNT(*) FROM workorder_rules") == [(0,)]
    assert len(rows(settings, "SELECT id FROM cases WHERE source = 'workorder'")) == 1
    # Audited under the token's user, as on the admin page.
    assert rows(
        settings,
        "SELECT actor_name, action FROM audit_log WHERE action LIKE 'workorder_rule%' ORDER BY id",
    ) == [("centre", "workorder_rule_add"), ("centre", "workorder_rule_remove")]


async def test_refusals_name_the_field_and_store_nothing(web: Web, settings: Settings) -> None:
    admin = await _token(web, "centre", "admin")
    bad = [
        ({"order_type": "complaint"}, "channel"),  # missing
        ({"channel": "110"}, "channel"),  # unknown
        ({"channel": 12345}, "channel"),  # not a string
        ({"channel": " 12345"}, "channel"),  # the API takes codes as listed
        ({"channel": "12345", "order_type": "nonsense"}, "order_type"),
        ({"channel": "12345", "order_type": None}, "order_type"),
        ({"channel": "12345", "category": "户" * 101}, "category"),
        ({"channel": "12345", "category": " " * 101}, "category"),  # counted as sent
        ({"channel": "12345", "unit": "x"}, "unit"),  # unknown field
        ({"channel": "12345", "category": "a\x00b"}, "category"),  # NUL
    ]
    for body, field in bad:
        _error(await web.client.post(RULES, headers=admin, json=body), 400, field)
    _error(await web.client.post(RULES, headers=admin, content=b"[1]"), 400, "JSON object")
    assert rows(settings, "SELECT COUNT(*) FROM workorder_rules") == [(0,)]


async def test_only_an_admins_token_may_use_them(web: Web, settings: Settings) -> None:
    manager = await _token(web, "west", "unit_manager", QIAOXI)
    viewer = await _token(web, "reader", "viewer")
    body = {"channel": "12389"}
    for headers in (manager, viewer):
        _error(await web.client.get(RULES, headers=headers), 403, "admin")
        _error(await web.client.post(RULES, headers=headers, json=body), 403, "admin")
        _error(await web.client.post(RULES + "/apply", headers=headers), 403, "admin")
        _error(await web.client.post(RULES + "/1/remove", headers=headers), 403, "admin")
    # No token, or a browser's session cookie alone: 401 (the API never takes a cookie).
    for r in (await web.client.get(RULES), await web.client.post(RULES, json=body)):
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert rows(settings, "SELECT COUNT(*) FROM workorder_rules") == [(0,)]
