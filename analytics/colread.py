"""Columnar reads in a child process: the ADBC driver's SQLite never shares a process with
the store's.

The ADBC SQLite driver (analytics.fastread) links its own copy of SQLite. Two copies of
SQLite in one process share the process's POSIX locks on a file without knowing of each
other: when one closes its descriptor, the kernel drops every lock the process held on the
file, the other copy's too (sqlite.org/howtocorrupt.html, section 2.2.1). With the store's
connection reading beside the driver's, the store once saw "database disk image is
malformed". So the driver runs only here, in a process started afresh (exec, not fork: a
forked child would inherit the store's open connections) that opens nothing but the
driver's read-only connection; the process that asked (the report job, the CLI) keeps its
store connections and never loads the driver. Being a separate process, the read now also
overlaps the parent's own reads through the store.

`python -m analytics.colread` takes a pickled `(path, fn, args)` on stdin, runs
`fn(query, *args)` (query: a fastread.ColumnReader, one read transaction, and a second
one for what `fn` reads `aside`), and writes the result as a pickle whose large
arrays travel out of band (protocol 5): a header of sizes, the pickle, then each buffer's
bytes. The parent reads them into writable buffers of their own, one copy in all. The
process then keeps what it read (or the part of it the parent names) and takes further
`(fn, args)` requests, answering `fn(result, *args)`: the parent can hand it work on the
same frames (the weekly report's integrity tables) and compute something else meanwhile.
It ends when its stdin closes.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, TypeVar

T = TypeVar("T")
_SIZE = struct.Struct("<Q")
_OK, _COLUMNAR, _FAILED = b"K", b"C", b"F"
# Linux allows an unprivileged process pipes of up to 1 MiB (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20


class ChildReadError(RuntimeError):
    """The reader process failed (not a result the driver could not type)."""


@dataclass
class ChildStats:
    """The last reader process: CPU seconds (user + system) before its first request (the
    imports), for the read, for its later calls and in all; its peak RSS so far."""

    import_cpu_s: float = 0.0
    read_cpu_s: float = 0.0
    call_cpu_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: float = 0.0


last = ChildStats()


def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _read_exact(stream: IO[bytes], n: int) -> bytearray:
    out = bytearray(n)
    view = memoryview(out)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not k:
            raise ChildReadError("the reader process ended early")
        got += k
    return out


def _send(stream: IO[bytes], status: bytes, payload: object) -> None:
    """One message: a status byte, then (status _OK) a pickle with out-of-band buffers or
    (otherwise) a text."""
    if status != _OK:
        data = str(payload).encode()
        stream.write(status + _SIZE.pack(len(data)) + data)
        stream.flush()
        return
    buffers: list[pickle.PickleBuffer] = []
    body = pickle.dumps(payload, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    head = [_SIZE.pack(len(body)), _SIZE.pack(len(views))]
    stream.write(status + b"".join(head + [_SIZE.pack(v.nbytes) for v in views]))
    stream.write(body)
    for v in views:
        stream.write(v)
    stream.flush()


def _receive(stream: IO[bytes]) -> tuple[bytes, Any]:
    """(status, payload) of one message; (b"", None) at the end of the stream."""
    status = stream.read(1)
    if not status:
        return b"", None
    size = _SIZE.unpack(_read_exact(stream, _SIZE.size))[0]
    if status != _OK:
        return status, _read_exact(stream, size).decode("utf-8", "replace")
    count = _SIZE.unpack(_read_exact(stream, _SIZE.size))[0]
    sizes = [_SIZE.unpack(_read_exact(stream, _SIZE.size))[0] for _ in range(count)]
    body = _read_exact(stream, size)
    buffers = [_read_exact(stream, n) for n in sizes]
    # Our own child's (or parent's) message on a private pipe.
    return status, pickle.loads(body, buffers=buffers)  # noqa: S301


class _Child:
    """A reader process and the file its errors go to (a file, not a pipe: a chatty child
    never blocks on a full pipe)."""

    def __init__(self) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analytics.colread"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            close_fds=True,  # the parent's store descriptors stay in the parent
        )
        # A report's frames are over 100 MB: through the default 64 KiB pipe that is
        # thousands of turns of writer and reader, each a wake-up of the other process.
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    fcntl.fcntl(stream, fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def ask(self, payload: object) -> Any:
        from analytics.fastread import ColumnarReadError

        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            _send(proc.stdin, _OK, payload)
            status, reply = _receive(proc.stdout)
        except BrokenPipeError:
            status, reply = b"", None
        if status == _OK:
            (began, cpu, peak), result = reply
            if began is None:  # the read: began is the CPU time its imports took
                last.import_cpu_s, last.read_cpu_s, last.call_cpu_s = cpu[0], cpu[1], 0.0
                last.cpu_s = cpu[0] + cpu[1]
            else:
                last.call_cpu_s += cpu - began
                last.cpu_s = cpu
            last.peak_mb = peak
            return result
        if status == _COLUMNAR:
            raise ColumnarReadError(reply)
        if status == _FAILED:
            raise ChildReadError(f"columnar reader: {reply}")
        # No reply it could give: it died, or (an unreadable reply) it may live on. Never
        # wait for it without an end.
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.errors.seek(0)
        tail = self.errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        raise ChildReadError(f"columnar reader failed: {(tail or ['no output'])[0]}")

    def close(self) -> None:
        proc = self.proc
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        self.errors.close()


_spare: _Child | None = None
_spare_lock = threading.Lock()


def prestart() -> None:
    """Start a reader process now, so that its imports (pandas, Arrow, the driver: most of
    a second of CPU) run beside the caller's own start-up instead of before the read. For a
    process about to make a report from a SQLite file; the next `Reader.read` uses it.
    Unused, it ends when this process does (its stdin closes)."""
    global _spare
    with _spare_lock:
        if _spare is None:
            _spare = _Child()
            atexit.register(_spare.close)


def _take() -> _Child:
    global _spare
    with _spare_lock:
        child, _spare = _spare, None
    if child is not None and child.proc.poll() is None:
        return child
    if child is not None:
        child.close()
    return _Child()


class Reader:
    """One reader process: `read` once, then `call` on what it read, then `close`."""

    def __init__(self) -> None:
        self._child: _Child | None = None

    @property
    def holding(self) -> bool:
        """Whether a `read` succeeded and the process still holds its result."""
        return self._child is not None

    def read(
        self,
        path: str,
        fn: Callable[..., T],
        *args: Any,
        keep: Callable[[T], Any] | None = None,
    ) -> T:
        """`fn(query, *args)` in the reader process over a columnar reader on `path`
        (blocks: call it from a thread). The process then holds `keep(result)` (default:
        the result) for later calls. fastread.ColumnarReadError if the driver could not
        read a result as columns; ChildReadError if the process failed."""
        if self._child is not None:
            raise RuntimeError("this reader has read already")
        child = _take()
        try:
            result: T = child.ask((path, fn, args, keep))
        except BaseException:
            child.close()
            raise
        self._child = child
        return result

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(result of read, *args)` in the reader process (blocks); ChildReadError if
        it failed there."""
        if self._child is None:
            raise RuntimeError("nothing read yet")
        result: T = self._child.ask((fn, args))
        return result

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()


def read_in_child(path: str, fn: Callable[..., T], *args: Any) -> T:
    """`Reader().read(path, fn, *args)` in a process that ends afterwards."""
    reader = Reader()
    try:
        return reader.read(path, fn, *args)
    finally:
        reader.close()


def _give_back() -> None:
    """Return the read's freed memory to the system (Arrow's pool and the C heap keep it
    otherwise): the process lives on beside the report's own peak."""
    import ctypes
    import gc

    import pyarrow

    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def main() -> int:
    # Imported before the request comes (see `prestart`): the report's loading code, the
    # driver and Arrow.
    import traceback

    import adbc_driver_sqlite.dbapi  # noqa: F401
    import pyarrow  # noqa: F401

    import analytics.load  # noqa: F401
    from analytics.fastread import ColumnarReadError, column_reader

    stdin, out = sys.stdin.buffer, sys.stdout.buffer
    ready = _cpu()
    status, request = _receive(stdin)
    if not status:  # a spare reader nobody needed
        return 0
    path, fn, args, keep = request
    try:
        with column_reader(path) as reader:
            held = fn(reader, *args)  # a query function (and its `aside`)
    except ColumnarReadError as exc:
        _send(out, _COLUMNAR, exc)
        return 0
    _send(out, _OK, ((None, (ready, _cpu() - ready), _peak_mb()), held))
    if keep is not None:
        held = keep(held)
    _give_back()
    while True:
        status, request = _receive(stdin)
        if not status:
            return 0
        began = _cpu()
        fn, args = request
        try:
            result = fn(held, *args)
        except Exception:
            _send(out, _FAILED, traceback.format_exc().strip().splitlines()[-1])
            continue
        _send(out, _OK, ((began, _cpu(), _peak_mb()), result))


if __name__ == "__main__":
    sys.exit(main())
