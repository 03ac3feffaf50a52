"""Receipt codes: made from the rating's id with the database's own key (see
crypto.ReceiptCodec), and matched back to their rating, old random ones included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rating.crypto import ReceiptCodec
from rating.store.tx import named, select_list

if TYPE_CHECKING:
    from rating.store.tx import Tx

# The database's receipt key (hex), made by migration 0006.
RECEIPT_KEY_SQL = "SELECT value FROM store_keys WHERE name = 'receipt'"

_CODECS: dict[str, ReceiptCodec] = {}


def codec_for(key: str | None) -> ReceiptCodec:
    """The codec for a receipt key as stored in `store_keys` (hex)."""
    if key is None:
        raise RuntimeError("the database has no receipt key (table store_keys, migration 0006)")
    codec = _CODECS.get(key)
    if codec is None:
        codec = _CODECS[key] = ReceiptCodec(bytes.fromhex(key))
    return codec


def receipt_codec(tx: Tx) -> ReceiptCodec:
    """The codec for this database's receipts (its key lives in the database)."""
    row = tx.one_cached(RECEIPT_KEY_SQL)
    return codec_for(None if row is None else str(row[0]))


def receipt_match(tx: Tx, code: str, alias: str = "r") -> tuple[str, tuple[Any, ...]]:
    """A WHERE condition, and its parameters, for the rating whose receipt is `code`:
    found by the id the code decodes to, or, for a receipt issued before codes came from
    ids, through legacy_receipts. Either way the stored code must be the same."""
    return (
        f"{alias}.id IN (?, (SELECT rating_id FROM legacy_receipts WHERE receipt = ?)) "
        f"AND {alias}.receipt = ?",
        (receipt_codec(tx).rating_id(code), code, code),
    )


def named_by_receipt(
    tx: Tx, columns: Mapping[str, str], tables: str, code: str
) -> dict[str, Any] | None:
    """The `columns` (as `tx.named` names them) of the row of `tables` whose rating (alias
    ``r``) has the receipt `code`; None if there is none."""
    match, params = receipt_match(tx, code)
    row = tx.one(f"SELECT {select_list(columns)} FROM {tables} WHERE {match}", params)
    return None if row is None else named(columns, row)
