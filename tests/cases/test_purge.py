"""Retention: phone numbers after their case closes, device data after its window."""

from __future__ import annotations

import pytest

from rating.cases.purge import DAY_MS
from rating.cases.service import now_ms, run_purge
from rating.settings import Settings
from tests.cases.helpers import act, add_user, bad_rating, case_id_of, cli, login, rows
from tests.conftest import Web
from tests.polling import until

PHONE_SQL = "SELECT phone_enc IS NOT NULL, phone_mask FROM ratings WHERE receipt = ?"


async def _closed_case_with_phone(web: Web, settings: Settings) -> tuple[str, int]:
    receipt = await bad_rating(web, 0, phone="13812345678", consent=True)
    case_id = case_id_of(settings, receipt)
    await add_user(web, "wang", "admin")
    await login(web, "wang")
    await act(web, case_id, "callback", outcome="reached", note="n")
    await act(web, case_id, "verify", verification="unsubstantiated", note="n")
    await act(web, case_id, "close", note="n")
    return receipt, case_id


async def test_phone_kept_until_retention_then_deleted_and_counted(
    web: Web, settings: Settings
) -> None:
    receipt, case_id = await _closed_case_with_phone(web, settings)
    open_receipt = await bad_rating(web, 1, phone="13900001111", consent=True)
    (closed_at,) = rows(settings, "SELECT closed_at FROM cases WHERE id = ?", (case_id,))[0]
    days = settings.phone_retention_days

    result = await run_purge(web.store, settings, now=closed_at + (days - 1) * DAY_MS)
    assert result.phones == 0
    assert rows(settings, PHONE_SQL, (receipt,)) == [(1, "138****5678")]

    result = await run_purge(web.store, settings, now=closed_at + days * DAY_MS + 1)
    assert result.phones == 1
    assert rows(settings, PHONE_SQL, (receipt,)) == [(0, None)]
    # The open case keeps its number, however old.
    assert rows(settings, PHONE_SQL, (open_receipt,)) == [(1, "139****1111")]
    counted = rows(
        settings,
        "SELECT items FROM audit_log WHERE action = 'purge' AND note LIKE 'phone numbers%' "
        "ORDER BY id DESC LIMIT 1",
    )
    assert counted == [(1,)]


async def test_device_data_cleared_after_its_window(web: Web, settings: Settings) -> None:
    receipt = await bad_rating(web, 0)
    device = "SELECT device_hash IS NOT NULL, network_hash IS NOT NULL FROM ratings "
    assert rows(settings, device + "WHERE receipt = ?", (receipt,)) == [(1, 1)]
    await run_purge(web.store, settings, now=now_ms())
    assert rows(settings, device + "WHERE receipt = ?", (receipt,)) == [(1, 1)]
    later = now_ms() + (settings.device_data_hours + 1) * 3_600_000
    result = await run_purge(web.store, settings, now=later)
    assert result.devices == 1
    assert rows(settings, device + "WHERE receipt = ?", (receipt,)) == [(0, 0)]


async def test_purge_command(
    web: Web,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receipt, _ = await _closed_case_with_phone(web, settings)
    monkeypatch.setenv("PINGJING_PHONE_RETENTION_DAYS", "0")
    assert await cli(settings, "purge") == 0
    assert "purged: 1 phone number(s)" in capsys.readouterr().out
    assert rows(settings, PHONE_SQL, (receipt,)) == [(0, None)]


async def test_server_purges_at_start_up(web: Web, settings: Settings) -> None:
    query = "SELECT note, items FROM audit_log WHERE action = 'purge' ORDER BY id"
    await until(lambda: len(rows(settings, query)) >= 2, "the start-up purge", timeout=5)
    first = rows(settings, query)[:2]
    assert first[0][0].startswith("phone numbers before ") and first[0][1] == 0
    assert first[1] == ("device data", 0)
