"""Topic analysis through the store (SQLite and PostgreSQL) and the `pingjing topics` CLI."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from analytics import topics_db
from analytics.synthetic_orders import make_orders
from analytics.taxonomy import TaxonomyError
from analytics.topics import TopicModel
from rating.cli import main
from rating.store import Store
from rating.store.logic import Tx
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms
from tests.conftest import ROSTER
from tests.store.conftest import LIMITS, empty_tables, fresh_database

T = ms("2026-11-17 10:00")


def put_orders(tx: Tx, rows: list[tuple[str, str | None, str | None]]) -> None:
    """Work orders (order_no, content, category) received at T."""
    imp = tx.insert(
        "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, rows_total, "
        "rows_new, rows_updated, rows_unchanged, rows_rejected, units_unmatched, "
        "officers_unmatched, imported_at) VALUES ('12345', 'p', 'f', 'x', 1, 1, 0, 0, 0, 0, 0, ?) "
        "RETURNING id",
        (T,),
    )
    for no, content, category in rows:
        tx.insert(
            "INSERT INTO workorders (channel, order_no, received_at, content, category, "
            "first_import_id, last_import_id, created_at, updated_at) "
            "VALUES ('12345', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (no, T, content, category, imp, imp, T, T),
        )


def put_comment(tx: Tx, comment: str, level: int = 1) -> None:
    officer, unit = tx.one("SELECT id, unit_id FROM officers ORDER BY badge_no") or (0, 0)
    tx.insert(
        "INSERT INTO ratings (receipt, officer_id, unit_id, token, channel, level, comment, "
        "created_at, updated_at) VALUES (?, ?, ?, 't', 'badge', ?, ?, ?, ?) RETURNING id",
        (f"R{comment[:4]}{level}", officer, unit, level, comment, T, T),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        s: Store = SqliteStore(str(tmp_path / "t.db"), LIMITS, writer="thread")
        await s.open()
        try:
            await s.import_roster(ROSTER)
            yield s
        finally:
            await s.close()
        return
    with fresh_database() as url:
        empty_tables(url)
        s = PostgresStore(url, LIMITS, pool_max=2)
        await s.open()
        try:
            await s.import_roster(ROSTER)
            yield s
        finally:
            await s.close()


async def test_taxonomy_edits(store: Store) -> None:
    assert await store.write(topics_db.ensure_taxonomy, T)
    assert not await store.write(topics_db.ensure_taxonomy, T)  # only when empty
    await store.write(topics_db.add_topic, "drugs", "禁毒", ("吸毒", "贩毒"), T)
    edit = functools.partial(topics_db.update_topic, add=("装修",), remove=("喇叭",))
    noise = await store.write(edit, "noise", T)
    assert "装修" in noise.keywords and "喇叭" not in noise.keywords
    off = functools.partial(topics_db.update_topic, active=False)
    await store.write(off, "praise", T)
    taxonomy = {t.code: t for t in await store.read(topics_db.load_taxonomy)}
    assert taxonomy["drugs"].keywords == ("吸毒", "贩毒")
    assert not taxonomy["praise"].active
    assert list(taxonomy)[-1] == "drugs"  # added at the end
    with pytest.raises(TaxonomyError, match="exists"):
        await store.write(topics_db.add_topic, "drugs2", "禁毒", (), T)
    with pytest.raises(TaxonomyError, match="no topic with code"):
        await store.write(edit, "nope", T)
    with pytest.raises(TaxonomyError, match="cannot be disabled"):
        await store.write(off, "other", T)


async def test_categories_label_orders_and_apply_is_reproducible(store: Store) -> None:
    orders = make_orders(300, seed=5)
    rows: list[tuple[str, str | None, str | None]] = [
        (f"GD{i}", o.content, o.category) for i, o in enumerate(orders)
    ]
    rows += [("NOCAT", "楼下烧烤店营业到凌晨，食客喧哗严重", None), ("ODD", "路灯坏了", "市政其他")]
    await store.write(put_orders, rows)
    await store.write(put_comment, "窗口工作人员说话很冲，问两句就不理人")
    # A bureau's own category name the rules do not know, mapped by hand.
    await store.write(topics_db.set_category, "市政其他", "other", T)
    cats = {c.category: c for c in await store.read(topics_db.list_categories)}
    assert cats["市政其他"].how == "map" and cats["户政管理"].topic == "household"
    texts, labels = await store.read(topics_db.labelled_orders)
    assert len(texts) == 301 and labels[-1] == "other"

    from analytics.taxonomy import KeywordRules
    from analytics.topics import train

    rules = KeywordRules(await store.read(topics_db.load_taxonomy))
    model = train(texts, labels, rules.keywords)
    model_id = await store.write(topics_db.save_model, model, T)
    loaded = await store.read(topics_db.latest_model)
    assert loaded is not None and loaded[0] == model_id
    assert loaded[1].to_json() == model.to_json()

    todo = await store.read(topics_db.texts_to_classify, 0, True)
    assert len(todo) == 303
    mapped = await store.read(topics_db.category_map)
    first = topics_db.assign(todo, loaded, rules, mapped)
    await store.write(topics_db.write_assignments, first, T)
    assert await store.read(topics_db.texts_to_classify, 0, True) == []
    stored = await store.read(topics_db.read_assignments)
    by_key = {(k, i): (topic, source) for k, i, topic, source, _ in first}
    assert {k: v[:2] for k, v in stored.items()} == by_key
    # The order without a category: the model's topic; the rating comment too.
    sources = {source for (kind, _), (_, source) in by_key.items() if kind == "rating"}
    assert sources == {"model"}
    nocat = [v for (k, i), v in by_key.items() if k == "workorder" and v[1] == "model"]
    assert nocat == [("noise", "model")]
    # Again, from what is stored, on every text: the same topics.
    again = topics_db.assign(
        await store.read(topics_db.texts_to_classify, 0, False),
        await store.read(topics_db.latest_model),
        rules,
        mapped,
    )
    assert sorted(again) == sorted(first)


def add_orders(seeded: Seeded, prefix: str, n: int, seed: int) -> None:
    """`n` synthetic labelled orders in one transaction (one commit, not n)."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(seeded.settings.database)) as conn, conn:
        imp = conn.execute(
            "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, "
            "rows_total, rows_new, rows_updated, rows_unchanged, rows_rejected, "
            "units_unmatched, officers_unmatched, imported_at) "
            "VALUES ('12345', 'p', 'f.csv', 'x', 1, 1, 0, 0, 0, 0, 0, ?)",
            (T,),
        ).lastrowid
        conn.executemany(
            "INSERT INTO workorders (channel, order_no, received_at, content, category, "
            "first_import_id, last_import_id, created_at, updated_at) "
            "VALUES ('12345', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (f"{prefix}{i}", T, o.content, o.category, imp, imp, T, T)
                for i, o in enumerate(make_orders(n, seed=seed))
            ],
        )


def seed_labelled(seeded: Seeded, n: int) -> None:
    add_orders(seeded, "GD", n, 11)


def cli(seeded: Seeded, *args: str) -> int:
    return main(["--database", seeded.settings.database, "topics", *args])


def test_cli_train_evaluate_apply(seeded_file: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    seeded = seeded_file
    seed_labelled(seeded, 40)
    assert cli(seeded, "train") == 1
    err = capsys.readouterr().err
    # Topics with fewer than 5 of the 40 orders are left out before counting.
    assert "too few labelled work orders: " in err and "need at least 100" in err
    # Without a model, apply uses the hotline categories and the keyword rules.
    seeded.rating(0, 1, T, comment="护照签注预约不上")
    assert cli(seeded, "apply") == 0
    out = capsys.readouterr().out
    assert "41 text(s) given a topic with the keyword rules" in out
    assert "40 by category" in out and "1 by keywords" in out

    add_orders(seeded, "MORE", 600, 12)
    assert cli(seeded, "evaluate") == 0
    out = capsys.readouterr().out
    assert "macro-F1 on the held-out orders:" in out and "(keyword rules alone)" in out
    model_f1 = float(out.split("macro-F1 on the held-out orders: ")[1].split()[0])
    assert model_f1 > 0.8
    assert cli(seeded, "train") == 0
    assert "model #1: 20 topics" in capsys.readouterr().out
    assert cli(seeded, "apply") == 0  # only the 600 new orders
    assert "600 text(s) given a topic with model #1" in capsys.readouterr().out
    # The comment kept its keyword topic; --all re-assigns it with the model.
    assert [r for r in seeded_rows(seeded) if r[0] == "rating"] == [
        ("rating", "exit_entry", "keywords")
    ]
    assert cli(seeded, "apply", "--all") == 0
    assert "641 text(s)" in capsys.readouterr().out
    first = seeded_rows(seeded)
    assert [r for r in first if r[0] == "rating"] == [("rating", "exit_entry", "model")]
    assert cli(seeded, "apply", "--all") == 0
    assert seeded_rows(seeded) == first


def seeded_rows(seeded: Seeded) -> list[Any]:
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(seeded.settings.database)) as conn:
        return conn.execute(
            "SELECT item_kind, topic_code, source FROM topic_assignments "
            "ORDER BY item_kind, item_id"
        ).fetchall()


def test_cli_taxonomy_commands(seeded_file: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    seeded = seeded_file
    assert cli(seeded, "add", "drugs", "禁毒", "--keywords", "吸毒，贩毒") == 0
    assert cli(seeded, "set", "drugs", "--add", "制毒", "--name", "禁毒举报") == 0
    assert "drugs\t禁毒举报\t吸毒、贩毒、制毒" in capsys.readouterr().out
    assert cli(seeded, "set", "drugs", "--disable") == 0
    assert cli(seeded, "list") == 0
    assert "drugs\t禁毒举报\t吸毒、贩毒、制毒\t(disabled)" in capsys.readouterr().out
    assert cli(seeded, "add", "Bad Code", "x") == 1
    assert "lower-case ASCII" in capsys.readouterr().err
    assert cli(seeded, "map", "户政服务", "nope") == 1
    assert "no topic with code 'nope'" in capsys.readouterr().err
    seeded.workorder("W1", T, content="x", category="户政服务")
    assert cli(seeded, "map", "户政服务", "household") == 0
    capsys.readouterr()
    assert cli(seeded, "categories") == 0
    assert "户政服务\t1\thousehold\tset" in capsys.readouterr().out
    assert cli(seeded, "apply", "--since", "2026-13-01") == 1
    assert "--since '2026-13-01'" in capsys.readouterr().err


def test_model_rows_are_json_not_pickles(seeded_file: Seeded) -> None:
    seeded = seeded_file
    seed_labelled(seeded, 300)
    assert cli(seeded, "train") == 0
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(seeded.settings.database)) as conn:
        (params,) = conn.execute("SELECT params FROM topic_models").fetchone()
    assert params.startswith('{"format":1,"method":"tfidf_linear_svm"')
    from analytics.topics import usable

    labels = [o.topic for o in make_orders(300, seed=11)]
    assert TopicModel.from_json(params).labels == sum(usable(labels))
