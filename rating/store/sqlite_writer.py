"""SQLite's one writer, in a process of its own.

Why a process: in one process the writer thread and the event loop share the GIL. Under
load the event loop rarely lets go of it, so the writer waits for the GIL after every
statement, and ratings queue behind it (measured: 1,600 ratings/s with the loop at 60 %
and the writer at 30 % of a core, neither busy). In its own process the writer keeps
its statements and commits on the other core, and the server's loop only sends a batch
and reads the results.

Requests and replies are length-prefixed pickles over a socket pair, one reply per request,
in order:
  ("ratings", subs, limits, prune, now) -> list of RatingResult or exception, one per item
  ("write", fn, args)             -> fn(tx, *args) in one transaction (fn importable)
  ("group", [(fn, args), ...])    -> [(ok, value), ...]: each fn(tx, *args) under a
                                     savepoint of its own, in one transaction with the
                                     consecutive group requests (sqlite.grouped; for
                                     Store.write_grouped)
  ("stop",)                       -> None, then the process exits
A reply is (True, value) or (False, exception). Every write of the store goes through here:
it is still the one write path. Settings a unit of work needs travel as its arguments
(the rate limits and case deadlines with each batch), never as process state. Pickles
only ever cross a socket pair between this server and the processes it started, never a
network.

The server does not wait for a reply before sending the next request (a pipeline): the
writer takes every request already waiting, applies consecutive rating requests in one
transaction (one fsync for all of them), and answers each. So the writer never idles
while the server's event loop is busy, and the loop never waits for the writer.

Writers are forked from a small fork server: a clean, single-threaded Python started once
per server process that has the store modules imported, so a writer starts in a few
milliseconds. (multiprocessing's own "forkserver" re-runs the parent's main script in each
child, which a script that opens a store at top level cannot survive; plain fork() of the
server itself would copy its threads' locks.) The fork server exits when its parent does;
a writer exits when its socket closes.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import itertools
import logging
import os
import pickle
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from typing import Any

# Imported here so that the fork server preloads them and each writer starts at once.
from rating.cases import logic as _cases_logic  # noqa: F401
from rating.store import logic as _logic  # noqa: F401
from rating.store.base import StoreUnavailable
from rating.store.sqlite_cache import WriterConnection

log = logging.getLogger("pingjing.store")

_HEADER = 4
_START_TIMEOUT_S = 30.0


def configure(conn: sqlite3.Connection, synchronous: str) -> None:
    """The pragmas every connection of ours uses."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: indexes stay in memory
    conn.execute("PRAGMA temp_store=MEMORY")


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError saying what it was."""
    try:
        back = pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own object)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    if not isinstance(back, BaseException):
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return back


def frame(obj: Any) -> bytes:
    """One length-prefixed pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_HEADER, "big") + data


def settle(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Hand a reply `(ok, value)` to its waiter, unless it has stopped waiting."""
    if fut.done():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def _reply(ok: bool, value: Any) -> bytes:
    try:
        return frame((ok, value))
    except Exception as exc:  # an unpicklable result: say so instead of hanging the caller
        return frame((False, RuntimeError(f"result cannot be sent: {exc}")))


class _Inbox:
    """Frames from the server: wait for at least one, then take all that have arrived."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _recv(self, block: bool) -> bool:
        try:
            data = self.sock.recv(1 << 20, 0 if block else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.buf += data
        return True

    def _pop(self) -> list[bytes]:
        out = []
        while len(self.buf) >= _HEADER:
            size = int.from_bytes(self.buf[:_HEADER], "big")
            if len(self.buf) < _HEADER + size:
                break
            out.append(bytes(self.buf[_HEADER : _HEADER + size]))
            del self.buf[: _HEADER + size]
        return out

    def take(self) -> list[bytes] | None:
        """Every complete request that has arrived (at least one); None once the server
        has gone away."""
        while True:
            if not self._recv(block=True):
                return None
            self._recv(block=False)
            frames = self._pop()
            if frames:
                return frames


def _apply(conn: WriterConnection, requests: list[tuple[Any, ...]]) -> list[bytes]:
    """Replies for a run of requests; consecutive rating requests share one transaction,
    and so do consecutive group requests."""
    from rating.store.sqlite import grouped, in_transaction, rating_batch

    replies: list[bytes] = []
    for kind, run in itertools.groupby(requests, key=lambda r: r[0]):
        group = list(run)
        if kind == "ratings":
            subs = [sub for r in group for sub in r[1]]
            try:
                results = rating_batch(
                    conn, subs, group[0][2], any(r[3] for r in group), max(r[4] for r in group)
                )
            except Exception as exc:  # the commit failed: nothing in the group is stored
                replies += [_reply(False, _portable(exc))] * len(group)
                continue
            at = 0
            for r in group:
                replies.append(_reply(True, results[at : at + len(r[1])]))
                at += len(r[1])
            continue
        if kind == "group":
            try:
                done = grouped(conn, [work for r in group for work in r[1]])
            except Exception as exc:  # the commit failed: nothing in the group is stored
                replies += [_reply(False, _portable(exc))] * len(group)
                continue
            at = 0
            for r in group:
                mine = done[at : at + len(r[1])]
                at += len(r[1])
                replies.append(_reply(True, [(ok, v if ok else _portable(v)) for ok, v in mine]))
            continue
        for request in group:
            try:
                if kind == "write":
                    replies.append(_reply(True, in_transaction(conn, request[1], *request[2])))
                else:
                    replies.append(_reply(False, ValueError(f"unknown request {kind!r}")))
            except Exception as exc:
                replies.append(_reply(False, _portable(exc)))
    return replies


def serve(sock: socket.socket, path: str, synchronous: str) -> None:
    """The writer process: apply requests in order until told to stop or orphaned."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0, factory=WriterConnection)
    configure(conn, synchronous)
    inbox = _Inbox(sock)
    try:
        while True:
            frames = inbox.take()
            if frames is None:
                return  # the server went away
            requests: list[tuple[Any, ...]] = []
            stop = False
            for body in frames:
                try:
                    request = list(pickle.loads(body))  # noqa: S301 (private socket pair)
                except Exception as exc:
                    request = ["bad", exc]
                if request[0] == "stop":
                    stop = True
                    break
                requests.append(tuple(request))
            replies = _apply(conn, requests)
            if stop:
                replies.append(_reply(True, None))
            sock.sendall(b"".join(replies))
            if stop:
                return
    finally:
        conn.close()
        sock.close()


def fork_server(control_fd: int, sys_path: list[str]) -> None:
    """Fork a writer for each request on the control socket, until the parent goes away.

    `sys_path` is the parent's sys.path, so that units of work import as they do there.
    """
    sys.path[:] = sys_path
    import rating.store.sqlite  # noqa: F401  (what every writer needs, imported once)
    from rating import logs
    from rating.settings import Settings

    # The writers' log lines (e.g. the device log's warning) in the server's format.
    with contextlib.suppress(ValueError):  # a bad setting: the server itself reports it
        logs.configure(Settings.load())

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # writers are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, not for us
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 65536, 1)
        except OSError:
            return
        if not msg or not fds:
            return  # the parent went away
        path, synchronous = pickle.loads(msg)  # noqa: S301 (private socket pair)
        pid = os.fork()
        if pid == 0:
            control.close()
            code = 0
            try:
                serve(socket.socket(fileno=fds[0]), path, synchronous)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        control.sendall(pid.to_bytes(_HEADER, "big"))


class _ForkServer:
    """This process's fork server, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._atexit = False

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = (
            "from rating.store.sqlite_writer import fork_server; "
            f"fork_server({theirs.fileno()}, {sys.path!r})"
        )
        try:
            self._proc = subprocess.Popen(  # noqa: S603 (our own interpreter and code)
                [sys.executable, "-c", code], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL
            )
        finally:
            theirs.close()
        self._control = ours
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True

    def stop(self) -> None:
        """Close the control socket: the fork server sees it and exits."""
        with self._lock:
            if self._control is not None:
                self._control.close()
                self._control = None
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None

    def fork(self, path: str, synchronous: str) -> tuple[socket.socket, int]:
        """A new writer on `path`: the socket to talk to it and its process id."""
        with self._lock:
            for _attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None or self._control is None:
                    self._start()
                assert self._control is not None
                ours, theirs = socket.socketpair()
                try:
                    msg = pickle.dumps((path, synchronous))
                    socket.send_fds(self._control, [msg], [theirs.fileno()])
                    reply = self._control.recv(_HEADER)
                except OSError:
                    reply = b""
                finally:
                    theirs.close()
                if len(reply) == _HEADER:
                    return ours, int.from_bytes(reply, "big")
                ours.close()
                self._control.close()
                self._control = None
                self._proc = None  # it died: start another once
        raise StoreUnavailable("could not start the database writer process")


_fork_server = _ForkServer()


class WriterProcess:
    """The server's side: start the writer, send it requests one at a time."""

    def __init__(self, path: str, synchronous: str) -> None:
        # Absolute: the fork server's working directory is the one this process had when
        # it started the fork server, which need not be the current one.
        self.path = os.path.abspath(path)
        self.synchronous = synchronous
        self._pid: int | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._replies: asyncio.Task[None] | None = None

    def alive(self) -> bool:
        if self._pid is None or self._writer is None or self._writer.is_closing():
            return False
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - a reused pid of another user
            return False
        return True

    async def start(self) -> None:
        # Starting the fork server (the first time) blocks for a moment: not on the loop.
        ours, self._pid = await asyncio.to_thread(_fork_server.fork, self.path, self.synchronous)
        self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._replies = asyncio.create_task(self._read_replies(), name="pingjing-writer-replies")
        await asyncio.wait_for(self.call(("write", _ping, ())), _START_TIMEOUT_S)

    def send(self, message: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Send one request now; the future gets its value (or its exception).

        Requests are answered in the order sent, so a caller that gives up (is cancelled)
        never mixes up another caller's reply.
        """
        if not self.alive():
            raise StoreUnavailable("the database writer is not running")
        assert self._writer is not None
        try:
            data = frame(message)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError(
                "a SQLite write runs in the writer process: pass a module-level function "
                f"(or functools.partial of one) and picklable arguments ({exc})"
            ) from None
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(fut)
        self._writer.write(data)
        return fut

    async def call(self, message: tuple[Any, ...]) -> Any:
        """Send one request and wait for its value (or raise its exception)."""
        return await self.send(message)

    async def _read_replies(self) -> None:
        assert self._reader is not None
        try:
            while True:
                size = int.from_bytes(await self._reader.readexactly(_HEADER), "big")
                ok, value = pickle.loads(await self._reader.readexactly(size))  # noqa: S301 (private socket pair)
                settle(self._waiting.popleft(), ok, value)
        except (asyncio.IncompleteReadError, ConnectionError, OSError, IndexError) as exc:
            if self._waiting:
                log.error("the database writer process stopped: %r", exc)
        finally:
            if self._writer is not None:
                self._writer.close()
            while self._waiting:
                fut = self._waiting.popleft()
                if not fut.done():
                    fut.set_exception(StoreUnavailable("the database writer stopped"))

    async def _discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._replies is not None:
            await asyncio.gather(self._replies, return_exceptions=True)
            self._replies = None
        self._reader = self._writer = None
        pid, self._pid = self._pid, None
        if pid is not None:
            # It exits by itself once its socket is closed; wait a little, then make sure.
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except OSError:
                    return
                await asyncio.sleep(0.01)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(StoreUnavailable):
                await self.call(("stop",))
        await self._discard()


def _ping(tx: Any) -> None:
    """An empty transaction: the writer is up and can take the write lock."""
    return None
