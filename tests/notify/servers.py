"""Local servers that speak the robots' and SMTP's formats, for the notification tests.

Each checks what a real one checks (the WeCom JSON shape, the DingTalk signature) and can
be told to fail its first N requests, to test the retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Robot:
    """A WeCom ("wecom") or DingTalk ("dingtalk") group robot."""

    kind: str
    secret: str = ""
    fail: int = 0  # answer HTTP 500 to this many requests first
    always_fail: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted bodies
    refused: list[str] = field(default_factory=list)  # why a request was refused
    requests: int = 0
    url: str = ""

    def check(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self.requests += 1
        if self.always_fail or self.requests <= self.fail:
            return 500, {}
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        data = json.loads(body)
        if self.kind == "wecom":
            if query.get("key") != ["robot-key-123"]:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            if data.get("msgtype") != "markdown" or not isinstance(
                data.get("markdown", {}).get("content"), str
            ):
                self.refused.append("not a WeCom markdown message")
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        else:
            ts = query.get("timestamp", [""])[0]
            mac = hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256)
            # parse_qs has already URL-decoded the sign once, as DingTalk does.
            if query.get("sign", [""])[0] != base64.b64encode(mac.digest()).decode():
                self.refused.append("bad sign")
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
            md = data.get("markdown", {})
            if data.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
                self.refused.append("not a DingTalk markdown message")
                return 200, {"errcode": 40035, "errmsg": "missing parameter"}
        self.messages.append(data)
        return 200, {"errcode": 0, "errmsg": "ok"}


@contextmanager
def robot_server(robot: Robot) -> Iterator[Robot]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            status, answer = robot.check(self.path, body)
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    if robot.kind == "wecom":
        robot.url = f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=robot-key-123"
    else:
        robot.url = f"http://127.0.0.1:{port}/robot/send?access_token=ding-token-456"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robot
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Mailbox:
    """A minimal SMTP server (RFC 5321's commands, no extensions); the first `fail`
    sessions get a 451 to MAIL FROM."""

    fail: int = 0
    sessions: int = 0
    mails: list[tuple[str, list[str], str]] = field(default_factory=list)  # from, to, data
    url: str = ""


@contextmanager
def smtp_server(box: Mailbox) -> Iterator[Mailbox]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            box.sessions += 1
            failing = box.sessions <= box.fail
            self.wfile.write(b"220 localhost test SMTP\r\n")
            sender, rcpts = "", []
            while True:
                line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    return
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250 localhost\r\n")
                elif verb == "MAIL":
                    if failing:
                        self.wfile.write(b"451 try again later\r\n")
                        continue
                    sender = line[10:].strip("<>")
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "RCPT":
                    rcpts.append(line[8:].strip("<>"))
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "DATA":
                    self.wfile.write(b"354 go ahead\r\n")
                    chunks = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        chunks.append(data)
                    box.mails.append((sender, rcpts, b"".join(chunks).decode("utf-8")))
                    self.wfile.write(b"250 OK queued\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.url = f"smtp://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
