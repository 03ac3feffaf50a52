"""schemathesis against a live server, on SQLite and on PostgreSQL, every check on.

The document under test is the server's own /openapi.json. Only two things are added to
it here, because no schema can produce them: a genuine form stamp in the rating example
(the stamp is signed by the server's secret), so that the examples phase stores a rating
and the stateful phase can follow the `GetReceipt` link; and the bearer tokens of a seeded
kiosk and API user (schemathesis' [auth.openapi.*] configuration).

Budget: a fixed seed and a fixed number of examples per operation, so a run takes a few
tens of seconds per database and the same inputs every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import httpx

from tests.ops.live import Live, live_server
from tests.store.conftest import fresh_database

MAX_EXAMPLES = 30
SEED = 20261202
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

CONFIG = """
[auth.openapi.KioskToken]
bearer = "${PJ_KIOSK_TOKEN}"

[auth.openapi.ApiToken]
bearer = "${PJ_API_TOKEN}"

[auth.openapi.MetricsToken]
bearer = "${PJ_METRICS_TOKEN}"

# The form stamp is an HMAC of the page-load time and the officer's code: a body that the
# schema allows but that was not built from a real page gets 400 (documented in the
# schema). Everything else about positive data stays checked.
[[operations]]
include-operation-id = "createRating"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "410", "429"]

# The relation between tapped_at and sent_at (not in the future, at most 7 days apart) is
# not expressible in JSON Schema; those taps get a documented 400.
[[operations]]
include-operation-id = "kioskRating"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "409", "410", "429"]

# An action's required fields depend on the action (a path parameter): a documented 400.
[[operations]]
include-operation-id = "caseAction"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404", "409"]

# A unit code that the schema allows but no unit has: a documented 400 naming `unit`.
[[operations]]
include-operation-id = "dispatchCases"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404", "409"]

# The mailbox's form stamp is signed like the rating page's (400 without a genuine one);
# a category must be in the bureau's list and a unit code must name a unit (404, 410).
[[operations]]
include-operation-id = "createLetter"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "410", "429"]

[[operations]]
include-operation-id = "getLetterForm"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "410"]

# The PIN is needed only while an officer is on duty (the kiosk's state, not the body's
# shape): signing out without one then gets a documented 400.
[[operations]]
include-operation-id = "kioskSignout"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "429"]
"""


def _schema(live: Live, path: Path) -> None:
    with urllib.request.urlopen(live.url + "/openapi.json", timeout=10) as r:  # noqa: S310
        doc = json.loads(r.read())
    token = live.tokens[0]
    body = doc["paths"]["/api/v1/ratings"]["post"]["requestBody"]["content"]["application/json"]
    body["example"] = {
        "token": token,
        "level": 2,
        "t": live.stamp(token),
        "reasons": ["attitude"],
        "comment": "等了很久",
        "phone": "13812345678",
        "consent": True,
        "lang": "zh",
    }
    # A genuine mailbox stamp in the letter example: the examples phase stores a letter
    # and the stateful phase can follow `GetLetterReceipt`.
    letter = doc["paths"]["/api/v1/mailbox/letters"]["post"]["requestBody"]["content"]
    letter["application/json"]["example"] = {
        "t": live.stamp("mailbox"),
        "category": "投诉",
        "text": "窗口排队两小时无人办理，请求增派人员。",
        "phone": "13812345678",
        "consent": True,
        "lang": "zh",
    }
    # A receipt that exists, so that the examples phase reads one whatever the stateful
    # phase happens to reach within its budget.
    first = {"token": token, "level": 5, "t": live.stamp(token)}
    created = httpx.post(live.url + "/api/v1/ratings", json=first, timeout=10)
    assert created.status_code == 201, created.text
    receipt = created.json()["receipt"]
    receipt_op = doc["paths"]["/api/v1/receipts/{code}"]["get"]
    receipt_op["parameters"][0]["example"] = receipt
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def run_schemathesis(live: Live, tmp_path: Path) -> None:
    schema = tmp_path / "openapi.json"
    _schema(live, schema)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {
        **os.environ,
        "PJ_KIOSK_TOKEN": live.kiosk_token,
        "PJ_API_TOKEN": live.api_token,
        "PJ_METRICS_TOKEN": "metrics-test-token",
    }
    cmd = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(schema),
        "--url",
        live.url,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    done = subprocess.run(
        cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400, check=False
    )
    output = done.stdout + done.stderr
    # The summary is the evidence: printed on success too (pytest -s, or the CI log).
    print(output[-3000:])
    assert done.returncode == 0, output[-20000:]
    # The server's own log shows that schemathesis stored ratings (the examples phase, with
    # the genuine stamp) and read receipts back, and that nothing answered 5xx.
    seen = Counter(
        (e["method"], e["route"], e["status"])
        for e in map(json.loads, live.log_text().splitlines())
        if e.get("event") == "request"
    )
    assert seen["POST", "/api/v1/ratings", 201] >= 2  # ours above, and schemathesis'
    assert seen["GET", "/api/v1/receipts/{code}", 200] >= 1
    assert seen["POST", "/api/v1/mailbox/letters", 201] >= 1
    assert seen["GET", "/api/v1/mailbox/form", 200] >= 1
    # The take-in rules, as the admin's token: listed, added, applied and removed.
    assert seen["GET", "/api/v1/workorders/rules", 200] >= 1
    assert seen["POST", "/api/v1/workorders/rules", 201] >= 1
    assert seen["POST", "/api/v1/workorders/rules/apply", 200] >= 1
    assert seen["POST", "/api/v1/workorders/rules/{rule_id}/remove", 200] >= 1
    assert not any(status >= 500 for _, _, status in seen)
    assert "No issues found" in output or "0 failures" in output or "passed" in output


def test_contract_on_sqlite(tmp_path: Path) -> None:
    with live_server(tmp_path, PINGJING_METRICS_TOKEN="metrics-test-token") as live:
        run_schemathesis(live, tmp_path)
        assert live.proc.poll() is None


def test_contract_on_postgres(tmp_path: Path) -> None:
    with (
        fresh_database() as url,
        live_server(tmp_path, url, PINGJING_METRICS_TOKEN="metrics-test-token") as live,
    ):
        run_schemathesis(live, tmp_path)
