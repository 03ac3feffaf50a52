"""Units of work for topic analysis: the taxonomy, the category map, models, assignments.

Like `rating.store.logic`, each function runs inside one transaction on a `Tx` with
portable SQL, so SQLite and PostgreSQL share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics.taxonomy import (
    DEFAULT_TOPICS,
    OTHER,
    KeywordRules,
    TaxonomyError,
    Topic,
    check_code,
)
from analytics.topics import TopicModel
from rating.store.tx import Tx

WRITE_CHUNK = 500


def _topic(row: tuple[Any, ...]) -> Topic:
    code, name, keywords, active = row
    words = tuple(w for w in str(keywords).split(",") if w)
    return Topic(code, name, words, bool(active))


def ensure_taxonomy(tx: Tx, now: int) -> bool:
    """Fill an empty taxonomy with the defaults; True if it did."""
    if tx.one("SELECT code FROM topics LIMIT 1") is not None:
        return False
    for pos, t in enumerate(DEFAULT_TOPICS):
        tx.run(
            "INSERT INTO topics (code, name, keywords, position, active, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?)",
            (t.code, t.name, ",".join(t.keywords), pos, now),
        )
    return True


def load_taxonomy(tx: Tx) -> list[Topic]:
    """The bureau's topics in order (inactive ones included); the defaults if none yet."""
    rows = tx.all("SELECT code, name, keywords, active FROM topics ORDER BY position, code")
    return [_topic(r) for r in rows] if rows else list(DEFAULT_TOPICS)


def add_topic(tx: Tx, code: str, name: str, keywords: Sequence[str], now: int) -> None:
    ensure_taxonomy(tx, now)
    check_code(code)
    if not name.strip():
        raise TaxonomyError("topic name is empty")
    if tx.one("SELECT code FROM topics WHERE code = ? OR name = ?", (code, name.strip())):
        raise TaxonomyError(f"a topic with code {code!r} or name {name.strip()!r} exists")
    (last,) = tx.one("SELECT MAX(position) FROM topics") or (0,)
    tx.run(
        "INSERT INTO topics (code, name, keywords, position, active, updated_at) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        (code, name.strip(), ",".join(keywords), int(last or 0) + 1, now),
    )


def update_topic(
    tx: Tx,
    code: str,
    now: int,
    *,
    name: str | None = None,
    keywords: Sequence[str] | None = None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    active: bool | None = None,
) -> Topic:
    """Change a topic's name, keywords (replace, add, remove) or whether it is used."""
    ensure_taxonomy(tx, now)
    row = tx.one("SELECT code, name, keywords, active FROM topics WHERE code = ?", (code,))
    if row is None:
        raise TaxonomyError(f"no topic with code {code!r} (see pingjing topics list)")
    topic = _topic(row)
    words = list(topic.keywords if keywords is None else keywords)
    words += [w for w in add if w not in words]
    missing = [w for w in remove if w not in words]
    if missing:
        raise TaxonomyError(f"topic {code} has no keyword {missing[0]!r}")
    words = [w for w in words if w not in remove]
    new_name = topic.name if name is None else name.strip()
    if not new_name:
        raise TaxonomyError("topic name is empty")
    if new_name != topic.name and tx.one("SELECT code FROM topics WHERE name = ?", (new_name,)):
        raise TaxonomyError(f"another topic is already called {new_name!r}")
    if active is False and code == OTHER:
        raise TaxonomyError(f"topic {OTHER} takes what no other topic does; it cannot be disabled")
    now_active = topic.active if active is None else active
    tx.run(
        "UPDATE topics SET name = ?, keywords = ?, active = ?, updated_at = ? WHERE code = ?",
        (new_name, ",".join(words), 1 if now_active else 0, now, code),
    )
    return Topic(code, new_name, tuple(words), now_active)


# ---------------------------------------------------------------- hotline categories


@dataclass(frozen=True)
class CategoryRow:
    category: str
    orders: int
    topic: str
    how: str  # "map" (set by the bureau) or "rule" (the keyword rules)


def category_map(tx: Tx) -> dict[str, str]:
    """Hotline category → topic, as the bureau set it; categories set to a disabled topic
    are left to the keyword rules."""
    return {
        c: t
        for c, t in tx.all(
            "SELECT c.category, c.topic_code FROM topic_categories c "
            "JOIN topics t ON t.code = c.topic_code WHERE t.active = 1"
        )
    }


def list_categories(tx: Tx) -> list[CategoryRow]:
    """Every hotline category of the stored work orders, with the topic it maps to."""
    mapped = category_map(tx)
    rules = KeywordRules(load_taxonomy(tx))
    rows = tx.all(
        "SELECT category, COUNT(*) FROM workorders WHERE category IS NOT NULL "
        "GROUP BY category ORDER BY COUNT(*) DESC, category"
    )
    out = []
    for category, n in rows:
        key = str(category).strip()
        if key in mapped:
            out.append(CategoryRow(key, int(n), mapped[key], "map"))
        else:
            out.append(CategoryRow(key, int(n), rules.classify(key), "rule"))
    return out


def set_category(tx: Tx, category: str, code: str | None, now: int) -> None:
    """Map a hotline category to a topic (None: back to the keyword rules)."""
    ensure_taxonomy(tx, now)
    key = category.strip()
    tx.run("DELETE FROM topic_categories WHERE category = ?", (key,))
    if code is None:
        return
    if tx.one("SELECT code FROM topics WHERE code = ?", (code,)) is None:
        raise TaxonomyError(f"no topic with code {code!r} (see pingjing topics list)")
    tx.run(
        "INSERT INTO topic_categories (category, topic_code, updated_at) VALUES (?, ?, ?)",
        (key, code, now),
    )


def label_for(category: str | None, mapped: dict[str, str], rules: KeywordRules) -> str | None:
    """The topic a hotline category stands for, or None (no category, or it says nothing
    the rules know)."""
    if not category or not category.strip():
        return None
    key = category.strip()
    if key in mapped:
        return mapped[key]
    topic = rules.classify(key)
    return None if topic == OTHER else topic


def labelled_orders(tx: Tx) -> tuple[list[str], list[str]]:
    """(content, topic) of every stored work order whose category maps to a topic."""
    mapped = category_map(tx)
    rules = KeywordRules(load_taxonomy(tx))
    texts, labels = [], []
    for content, category in tx.all(
        "SELECT content, category FROM workorders "
        "WHERE content IS NOT NULL AND category IS NOT NULL ORDER BY id"
    ):
        label = label_for(category, mapped, rules)
        if label is not None and str(content).strip():
            texts.append(str(content))
            labels.append(label)
    return texts, labels


# ---------------------------------------------------------------- models


def save_model(tx: Tx, model: TopicModel, now: int) -> int:
    return tx.insert(
        "INSERT INTO topic_models (method, params, labels, macro_f1, created_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        ("tfidf_linear_svm", model.to_json(), model.labels, model.macro_f1, now),
    )


def latest_model(tx: Tx, as_of_ms: int | None = None) -> tuple[int, TopicModel] | None:
    """The model in use (the newest; at `as_of_ms`, the newest trained by then), read from
    its JSON."""
    if as_of_ms is None:
        row = tx.one("SELECT id, params FROM topic_models ORDER BY id DESC LIMIT 1")
    else:
        row = tx.one(
            "SELECT id, params FROM topic_models WHERE created_at <= ? ORDER BY id DESC LIMIT 1",
            (as_of_ms,),
        )
    if row is None:
        return None
    return int(row[0]), TopicModel.from_json(str(row[1]))


# ---------------------------------------------------------------- assignments


@dataclass(frozen=True)
class Text:
    kind: str  # "rating" or "workorder"
    item_id: int
    text: str
    category: str | None


_RATING_TEXTS = (
    "SELECT r.id, r.comment FROM ratings r LEFT JOIN topic_assignments a "
    "ON a.item_kind = 'rating' AND a.item_id = r.id "
    "WHERE r.comment <> '' AND r.created_at >= ? {missing} ORDER BY r.id"
)
_ORDER_TEXTS = (
    "SELECT w.id, w.content, w.category FROM workorders w LEFT JOIN topic_assignments a "
    "ON a.item_kind = 'workorder' AND a.item_id = w.id "
    "WHERE w.content IS NOT NULL AND w.received_at >= ? {missing} ORDER BY w.id"
)


def texts_to_classify(tx: Tx, since_ms: int, only_missing: bool) -> list[Text]:
    """Rating comments and work-order contents created since `since_ms` (those without a
    topic yet, if `only_missing`)."""
    missing = "AND a.item_id IS NULL" if only_missing else ""
    out = [
        Text("rating", int(i), str(c), None)
        for i, c in tx.all(_RATING_TEXTS.format(missing=missing), (since_ms,))
    ]
    out += [
        Text("workorder", int(i), str(c), cat)
        for i, c, cat in tx.all(_ORDER_TEXTS.format(missing=missing), (since_ms,))
    ]
    return out


def write_assignments(
    tx: Tx, rows: Sequence[tuple[str, int, str, str, int | None]], now: int
) -> int:
    """Store (kind, item id, topic, source, model id) rows, replacing earlier topics."""
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        marks = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
        params: list[Any] = []
        for kind, item_id, topic, source, model_id in chunk:
            params += [kind, item_id, topic, source, model_id, now]
        tx.run(
            "INSERT INTO topic_assignments (item_kind, item_id, topic_code, source, model_id, "
            f"assigned_at) VALUES {marks} ON CONFLICT (item_kind, item_id) DO UPDATE SET "
            "topic_code = excluded.topic_code, source = excluded.source, "
            "model_id = excluded.model_id, assigned_at = excluded.assigned_at",
            params,
        )
    return len(rows)


def read_assignments(tx: Tx) -> dict[tuple[str, int], tuple[str, str, int | None]]:
    return {
        (k, int(i)): (t, s, None if m is None else int(m))
        for k, i, t, s, m in tx.all(
            "SELECT item_kind, item_id, topic_code, source, model_id FROM topic_assignments"
        )
    }


def assign(
    texts: Sequence[Text],
    model: tuple[int, TopicModel] | None,
    rules: KeywordRules,
    mapped: dict[str, str],
) -> list[tuple[str, int, str, str, int | None]]:
    """(kind, item id, topic, source, model id) per text. A work order whose hotline
    category maps to a topic takes that topic (a person chose it); everything else gets the
    model's topic, or the keyword rules' where there is no model or the text has no word
    the model knows. Pure: the same texts and model give the same rows."""
    from analytics.topics import classify

    out: list[tuple[str, int, str, str, int | None]] = []
    rest: list[Text] = []
    for t in texts:
        label = label_for(t.category, mapped, rules) if t.kind == "workorder" else None
        if label is not None:
            out.append((t.kind, t.item_id, label, "category", None))
        else:
            rest.append(t)
    topics, sources = classify([t.text for t in rest], model[1] if model else None, rules)
    model_id = model[0] if model else None
    for t, topic, source in zip(rest, topics, sources, strict=True):
        out.append((t.kind, t.item_id, topic, source, model_id if source == "model" else None))
    return out
