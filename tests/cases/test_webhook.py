"""The webhook against a real HTTP server on 127.0.0.1: signed, retried, never blocking."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rating.settings import Settings
from tests.cases.helpers import bad_rating, case_id_of, rows
from tests.conftest import Web, make_settings, open_web
from tests.polling import until

SECRET = "webhook-test-secret"


@dataclass
class Receiver:
    """Answers 500 to the first `fail` requests, then 204; can hold requests on a gate."""

    fail: int = 0
    gate: threading.Event | None = None
    got: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    arrived: list[bytes] = field(default_factory=list)  # bodies, before the gate
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            rec.arrived.append(body)
            if rec.gate is not None:
                rec.gate.wait(10)
            status = 500 if len(rec.got) < rec.fail else 204
            rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        if rec.gate is not None:
            rec.gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
async def hooked(tmp_path: Path, receiver: Receiver) -> AsyncIterator[tuple[Web, Settings]]:
    settings = make_settings(
        tmp_path,
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        webhook_retry_seconds=0.05,
        webhook_poll_seconds=0.02,
        webhook_max_attempts=4,
    )
    async for w in open_web(settings):
        yield w, settings


async def wait_for(predicate: Callable[[], bool], what: str) -> None:
    await until(predicate, what, timeout=10)


async def test_signed_and_retried_until_delivered(
    hooked: tuple[Web, Settings], receiver: Receiver
) -> None:
    web, settings = hooked
    receiver.fail = 2
    receipt = await bad_rating(web, 0, level=1)
    case_id = case_id_of(settings, receipt)
    await wait_for(lambda: len(receiver.got) >= 3, "three attempts")
    await wait_for(
        lambda: (
            rows(settings, "SELECT notify_state FROM cases WHERE id = ?", (case_id,)) == [("sent",)]
        ),
        "the case marked sent",
    )
    assert [status for _, _, status in receiver.got] == [500, 500, 204]
    assert rows(settings, "SELECT notify_attempts FROM cases WHERE id = ?", (case_id,)) == [(3,)]
    headers, body, _ = receiver.got[-1]
    expected = hmac.new(
        SECRET.encode(), f"{headers['x-pingjing-timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-pingjing-signature"] == "sha256=" + expected
    assert headers["x-pingjing-delivery"] == f"case-{case_id}"
    payload = json.loads(body)
    assert payload["event"] == "case.opened" and payload["case_id"] == case_id
    assert payload["level"] == 1 and payload["badge_no"] == "100001"
    assert "phone" not in body.decode() and receipt not in body.decode()
    # A wrong secret does not verify.
    forged = hmac.new(b"other", body, hashlib.sha256).hexdigest()
    assert headers["x-pingjing-signature"] != "sha256=" + forged


async def test_gives_up_after_max_attempts(
    hooked: tuple[Web, Settings], receiver: Receiver
) -> None:
    web, settings = hooked
    receiver.fail = 100
    case_id = case_id_of(settings, await bad_rating(web, 0))
    await wait_for(
        lambda: (
            rows(settings, "SELECT notify_state FROM cases WHERE id = ?", (case_id,))
            == [("failed",)]
        ),
        "giving up",
    )
    assert len(receiver.got) == 4


async def test_rating_does_not_wait_for_a_hanging_receiver(
    hooked: tuple[Web, Settings], receiver: Receiver
) -> None:
    web, settings = hooked
    receiver.gate = threading.Event()  # the receiver holds every request until released
    first = case_id_of(settings, await bad_rating(web, 0))
    await wait_for(lambda: len(receiver.arrived) == 1, "a held request")
    # While the receiver hangs, further bad ratings are still answered 201 at once.
    second = case_id_of(settings, await bad_rating(web, 1))
    assert receiver.got == []
    receiver.gate.set()
    await wait_for(
        lambda: rows(settings, "SELECT COUNT(*) FROM cases WHERE notify_state = 'sent'") == [(2,)],
        "both delivered",
    )
    assert {json.loads(b)["case_id"] for _, b, _ in receiver.got} == {first, second}
