"""Reading SQLite results as columns, not Python rows.

A weekly report at three times a city's scale reads 1.6 million ratings; fetched through
the `sqlite3` module that is 1.6 million tuples of Python objects (most of the load time
and memory). The ADBC SQLite driver runs the same SQL in C and hands back Arrow columns,
which become numpy arrays and categoricals without a Python object per value. It opens its
own read-only connection to the file and reads the queries of one report in one read
transaction (WAL lets it read beside the writer; the report sees one consistent state);
the caller may read a part `aside`, on a second connection in a thread (the driver steps
SQLite without holding the GIL, so the two use two cores), in a transaction of its own:
the weekly report reads its ratings so (see analytics.load._read_all for why the two
agree).

The driver carries its own copy of SQLite, which must never share a process with the
store's (they would share the process's POSIX locks on the file): `column_reader` is
used only inside the reader process of analytics.colread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from rating.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

T = TypeVar("T")
Query = Callable[[str, Sequence[Any], Sequence[tuple[str, str]]], pd.DataFrame]

# SQLite columns have no declared type in a result: the driver infers each column's type
# from its first batch. One large batch lets it see every row (a text column that starts
# with NULLs would otherwise be taken for integers).
BATCH_ROWS = 1 << 22
_NUMPY = {"i64": np.int64, "i8": np.int8, "flag": bool}


class ColumnarReadError(RuntimeError):
    """The driver could not read a result as columns (the caller reads rows instead)."""


def sqlite_path(store: Store) -> str | None:
    """The database file of a SQLite store (None for PostgreSQL or a store in memory)."""
    from rating.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        return None
    path = str(store.path)
    return path if path and path != ":memory:" and Path(path).exists() else None


def _column(values: pa.ChunkedArray, kind: str, n: int) -> Any:
    import pyarrow as pa

    if kind in _NUMPY:
        if values.null_count:
            raise ColumnarReadError("NULL in a column declared NOT NULL")
        if n == 0:
            return np.zeros(0, dtype=_NUMPY[kind])
        return values.to_numpy().astype(_NUMPY[kind], copy=False)
    textual = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    if kind == "n64":
        if values.null_count == n:
            return pd.array([pd.NA] * n, dtype="Int64")
        if not pa.types.is_integer(values.type):
            raise ColumnarReadError(f"expected integers, got {values.type}")
        return values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array
    if values.null_count == n:  # all NULL: the driver may have guessed any type
        empty = np.full(n, None, dtype=object)
        return pd.Categorical(empty) if kind == "cat" else empty
    if not textual:
        raise ColumnarReadError(f"expected text, got {values.type}")
    if kind == "cat":
        return _categorical(values)
    return values.to_pandas().to_numpy(dtype=object)


def _categorical(values: pa.ChunkedArray) -> pd.Categorical:
    """`pd.Categorical(values.to_pandas())` (categories sorted) without a Python string
    per row: Arrow encodes the column as a dictionary, pandas takes its codes."""
    import pyarrow.compute as pc

    encoded = values.combine_chunks().dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    dictionary = encoded.dictionary.to_pylist()
    ordered = sorted(dictionary)
    position = {v: i for i, v in enumerate(ordered)}
    rank = np.array([position[v] for v in dictionary] + [-1], dtype=np.int64)
    # -1 (NULL) indexes the appended -1: stays missing.
    return pd.Categorical.from_codes(rank[codes], categories=pd.Index(ordered, dtype="str"))


class ColumnReader:
    """One read-only connection and read transaction on a SQLite file; `query` returns a
    frame with a schema's dtypes (the kinds of analytics.load.Schema). Given a way to open
    a second connection, `aside` runs a query there meanwhile."""

    def __init__(self, conn: Any, connect: Callable[[], Any] | None = None) -> None:
        self._conn = conn
        self._connect = connect
        self._side: Any = None
        self._pool: ThreadPoolExecutor | None = None

    def query(
        self, sql: str, params: Sequence[Any], schema: Sequence[tuple[str, str]]
    ) -> pd.DataFrame:
        return self._query(self._conn, sql, params, schema)

    def __call__(
        self, sql: str, params: Sequence[Any], schema: Sequence[tuple[str, str]]
    ) -> pd.DataFrame:
        return self.query(sql, params, schema)

    def aside(self, fn: Callable[[Query], T]) -> Callable[[], T]:
        """Start `fn(query)` on a second connection, in a thread of its own (the driver
        steps SQLite without holding the GIL, so it reads beside this thread's queries, on
        another core); returns a function that waits for its result. Without a second
        connection `fn` runs now, on this one. The second connection reads in a transaction
        of its own."""
        if self._connect is None:
            result = fn(self.query)
            return lambda: result
        if self._side is None:
            self._side = self._connect()
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="pj-aside")
        assert self._pool is not None
        side = self._side
        future = self._pool.submit(
            fn, lambda sql, params, schema: self._query(side, sql, params, schema)
        )
        return future.result

    def close(self) -> None:
        """End the second connection's read (the first is the caller's)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._side is not None:
            with contextlib.suppress(Exception):
                self._side.rollback()
            self._side.close()
        self._side = self._pool = None

    @staticmethod
    def _query(
        conn: Any, sql: str, params: Sequence[Any], schema: Sequence[tuple[str, str]]
    ) -> pd.DataFrame:
        try:
            with contextlib.closing(conn.cursor()) as cur:
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
                cur.execute(sql, tuple(params))
                table = cur.fetch_arrow_table()
        except Exception as exc:  # the driver's own error types
            raise ColumnarReadError(str(exc)) from exc
        n = table.num_rows
        data = {name: _column(table.column(i), kind, n) for i, (name, kind) in enumerate(schema)}
        return pd.DataFrame(data, columns=[name for name, _ in schema])


@contextlib.contextmanager
def column_reader(path: str) -> Iterator[ColumnReader]:
    import adbc_driver_sqlite.dbapi as adbc

    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = adbc.connect(uri)
    reader = ColumnReader(conn, lambda: adbc.connect(uri))
    try:
        # The DB-API connection is not in autocommit mode: the first query begins one read
        # transaction that every later query of the report shares (and `aside` queries
        # one on a second connection).
        yield reader
    finally:
        reader.close()
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()
