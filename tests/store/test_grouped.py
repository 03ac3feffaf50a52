"""Store.write_grouped (letters posted together share one commit) on SQLite's writer
process, its thread writer and PostgreSQL: each unit answers its own result, one that
raises is undone alone (rows and rate-limit hits), a letter and its case commit together.
"""

from __future__ import annotations

import asyncio

from rating.crypto import Keys
from rating.mailbox import service
from rating.mailbox.service import LetterInput
from rating.store import Store
from rating.store.tx import Tx

KEYS = Keys("test-secret-not-for-production")
WINDOW = 3_600_000


class Refused(ValueError):
    pass


def note(tx: Tx, text: str) -> int:
    """A unit of work: one audit row (the table every backend has), its hit counted."""
    if text.startswith("bad"):
        tx.count_hit("grouped-test", WINDOW)
        tx.run(
            "INSERT INTO audit_log (at, actor_name, action, note) VALUES (1, 't', 'grouped', ?)",
            (text,),
        )
        raise Refused(text)
    hits = tx.count_hit("grouped-test", WINDOW)
    tx.run(
        "INSERT INTO audit_log (at, actor_name, action, note) VALUES (1, 't', 'grouped', ?)",
        (text,),
    )
    return hits


def notes(tx: Tx) -> list[str]:
    return [
        str(r[0]) for r in tx.all("SELECT note FROM audit_log WHERE action = 'grouped' ORDER BY id")
    ]


async def test_units_posted_together_answer_each_and_a_bad_one_fails_alone(
    store: Store,
) -> None:
    texts = ["a", "b", "bad-1", "c", "bad-2", "d"]
    results = await asyncio.gather(
        *(store.write_grouped(note, t) for t in texts), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["int", "int", "Refused", "int", "Refused", "int"]
    assert str(results[2]) == "bad-1" and str(results[4]) == "bad-2"
    # PostgreSQL commits the units concurrently on its pool: the order is not promised.
    assert sorted(await store.read(notes)) == ["a", "b", "c", "d"]
    # The refused units' hits were undone with them: four counted, the fifth is the 5th.
    assert sorted(r for r in results if isinstance(r, int)) == [1, 2, 3, 4]
    assert await store.write_grouped(note, "e") == 5


def letter(n: int) -> LetterInput:
    return LetterInput(
        "投诉", f"第 {n} 封信：窗口排队两小时无人办理", None, False, "zh", f"stamp-{n}"
    )


async def test_letters_posted_together_each_get_their_receipt_and_case(store: Store) -> None:
    done = await asyncio.gather(
        *(
            service.submit_letter(
                store, KEYS, letter(n), unit_id=None, device=f"dev-{n}", address="203.0.113.9"
            )
            for n in range(40)
        )
    )
    receipts = {d.receipt for d in done}
    assert all(d.created for d in done) and len(receipts) == 40 and None not in receipts

    def counts(tx: Tx) -> tuple[int, int, int]:
        one = tx.one(
            "SELECT (SELECT COUNT(*) FROM letters), (SELECT COUNT(*) FROM cases "
            "WHERE source = 'letter'), (SELECT COUNT(*) FROM letters l WHERE NOT EXISTS "
            "(SELECT 1 FROM cases c WHERE c.source = 'letter' AND c.source_id = l.id))"
        )
        assert one is not None
        return int(one[0]), int(one[1]), int(one[2])

    assert await store.read(counts) == (40, 40, 0)
    # The same page sent again inside a group answers the first letter's receipt.
    again = await asyncio.gather(
        *(
            service.submit_letter(
                store, KEYS, letter(n), unit_id=None, device=f"dev-{n}", address="203.0.113.9"
            )
            for n in (1, 1, 2)
        )
    )
    assert [a.created for a in again] == [False, False, False]
    assert again[0].receipt == again[1].receipt == done[1].receipt
    assert await store.read(counts) == (40, 40, 0)


async def test_the_network_limit_counts_within_a_group(store: Store) -> None:
    limit = service.LETTERS_PER_NETWORK_HOUR
    done = await asyncio.gather(
        *(
            service.submit_letter(
                store, KEYS, letter(n), unit_id=None, device=f"dev-{n}", address="198.51.100.4"
            )
            for n in range(limit + 3)
        )
    )
    assert sum(d.created for d in done) == limit
    assert [d.refused for d in done if not d.created] == ["rate_network"] * 3
