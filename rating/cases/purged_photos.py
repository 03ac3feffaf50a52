"""How many photos the retention purge removed from the letter or supervisor's report
behind a case (migration 0032), so that its case page can say "N photos removed after the
retention period" rather than show nothing.

The purges (rating/mailbox/store.purge_letters, rating/supervisors/store.purge) call the
`count_*` functions in their transaction just before they delete, so the count and the
deletion commit together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rating.cases.model import CaseSource

if TYPE_CHECKING:
    from rating.store.tx import Tx


# The tables of the sources that carry photos (the names are ours, never the caller's).
_TABLES = {str(CaseSource.LETTER): "letters", str(CaseSource.SUPERVISOR): "supervisor_reports"}


def count_letter_photos(tx: Tx, letter_id: int) -> None:
    """Add the letter's photos still stored to its purged count (they go next)."""
    tx.run(
        "UPDATE letters SET photos_purged = photos_purged + "
        "(SELECT COUNT(*) FROM letter_photos WHERE letter_id = ?) WHERE id = ?",
        (letter_id, letter_id),
    )


def count_report_photo(tx: Tx, photo_id: int) -> None:
    """Add one to the purged count of the report that the photo `photo_id` belongs to."""
    tx.run(
        "UPDATE supervisor_reports SET photos_purged = photos_purged + 1 WHERE id = "
        "(SELECT report_id FROM supervisor_report_photos WHERE id = ?)",
        (photo_id,),
    )


def purged_photos(tx: Tx, source: str, source_id: int) -> int:
    """How many photos the purge removed from a case's letter or report (0 for others)."""
    table = _TABLES.get(source)
    if table is None:
        return 0
    row = tx.one(f"SELECT photos_purged FROM {table} WHERE id = ?", (source_id,))  # noqa: S608
    return int(row[0]) if row is not None else 0
