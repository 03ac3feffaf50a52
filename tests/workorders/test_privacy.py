"""Caller phone numbers: encrypted at rest, matched by keyed hash, only ever shown masked."""

from __future__ import annotations

from pathlib import Path

from tests.workorders.conftest import Env, order, write_csv

PHONES = ("13812345678", "15900001111", "03134567890")


def database_bytes(env: Env) -> bytes:
    db = Path(env.settings.database)
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def test_phones_are_encrypted_at_rest_and_never_printed(env: Env) -> None:
    rows = [
        order("P1", 来电号码=PHONES[0]),
        order("P2", 来电号码="+86 159-0000-1111"),
        order("P3", 来电号码="0313-4567890"),
        order("P4", 来电号码="8675309", 承办单位="无此单位"),  # bad: reported masked
    ]
    path = write_csv(env.tmp / "phones.csv", rows)
    failed = env.run("workorders", "import", str(path), "--channel", "12345")
    assert failed.code == 1
    assert "line 6, column R 来电号码: not a mainland mobile or landline number (*******)" in (
        failed.err
    )
    r = env.run("workorders", "import", str(path), "--channel", "12345", "--skip-bad")
    assert r.code == 0, r.err
    listing = env.run("workorders", "imports")
    for phone in (*PHONES, "8675309"):
        for output in (failed.out, failed.err, r.out, r.err, listing.out):
            assert phone not in output
    stored = env.orders()
    assert [stored[n]["phone_mask"] for n in ("P1", "P2", "P3")] == [
        "138****5678",
        "159****1111",
        "031****7890",
    ]
    keys = env.keys
    for no, phone in zip(("P1", "P2", "P3"), PHONES, strict=True):
        assert keys.decrypt_phone(stored[no]["phone_enc"]) == phone
        assert stored[no]["phone_hash"] == keys.phone_hash(phone)  # matches ratings' hash
    raw = database_bytes(env)
    assert b"138****5678" in raw  # the stored rows were really read
    for phone in PHONES:
        assert phone.encode() not in raw
    rejects = (env.tmp / "phones.rejected.csv").read_text(encoding="utf-8-sig")
    assert "8675309" not in rejects and "*******" in rejects


def test_masked_export_keeps_the_number_an_earlier_export_gave(env: Env) -> None:
    first = write_csv(env.tmp / "full.csv", [order("M1"), order("M2")])
    masked = write_csv(
        env.tmp / "masked.csv",
        [order("M1", 来电号码="138****5678", 满意度="满意"), order("M2", 来电号码="139****0000")],
    )
    assert env.run("workorders", "import", str(first), "--channel", "12345").code == 0
    r = env.run("workorders", "import", str(masked), "--channel", "12345")
    assert r.code == 0, r.err
    assert "0 new, 2 updated" in r.out
    m1, m2 = env.orders()["M1"], env.orders()["M2"]
    assert m1["satisfaction"] == "satisfied"
    assert env.keys.decrypt_phone(m1["phone_enc"]) == "13812345678"
    # A different masked number replaces the old one: it is another caller.
    assert (m2["phone_enc"], m2["phone_hash"], m2["phone_mask"]) == (None, None, "139****0000")
    again = env.run("workorders", "import", str(masked), "--channel", "12345")
    assert "2 unchanged" in again.out


def test_purge_deletes_caller_phones_of_long_closed_orders_only(env: Env) -> None:
    """Retention: a closed order's caller number goes after the retention period; an
    order still open keeps it; the purge is counted in the audit log."""
    path = write_csv(
        env.tmp / "old.csv",
        [
            order("12345202501010001", 来电时间="2025-01-03 09:00", 办结时间="2025-01-20 10:00"),
            order("12345202501010002", 来电号码="13900001111"),
        ],
    )
    assert env.run("workorders", "import", str(path), "--channel", "12345").code == 0
    done = env.run("purge")
    assert done.code == 0, done.err
    assert "1 work-order phone number(s)" in done.out
    kept = env.query(
        "SELECT order_no, phone_enc IS NOT NULL, phone_mask FROM workorders ORDER BY order_no"
    )
    assert kept == [("12345202501010001", 0, None), ("12345202501010002", 1, "139****1111")]
    audited = env.query(
        "SELECT items FROM audit_log WHERE action = 'purge' AND note = 'work-order phone numbers'"
    )
    assert audited == [(1,)]
