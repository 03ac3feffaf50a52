"""The built-in senders: WeCom (企业微信) and DingTalk (钉钉) group robots, SMTP e-mail.

Message formats, as the two robots document them:
- WeCom: POST ``{"msgtype": "markdown", "markdown": {"content": "..."}}`` (UTF-8, at most
  4096 bytes of content) to ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``.
- DingTalk: POST ``{"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}``
  to ``https://oapi.dingtalk.com/robot/send?access_token=...&timestamp=T&sign=S`` where T
  is the time in milliseconds and S = urlencode(base64(HMAC-SHA256(key=secret,
  msg="T\\nsecret"))) (the robot's 加签 setting; the robot refuses a T an hour off).
Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure.

Every function here is blocking (run it in a thread) and returns (ok, error); the error
names what failed without the URL or the secret (the robot's key is in the URL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18_000  # the robot's limit is 20,000 bytes of JSON


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The DingTalk robot's `sign` query parameter (already URL-encoded)."""
    mac = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(mac).decode("ascii"))


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8 (never inside a character)."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 4].decode("utf-8", errors="ignore") + "\n…"


def wecom_body(markdown: str) -> bytes:
    body = {"msgtype": "markdown", "markdown": {"content": clip(markdown, WECOM_MAX_BYTES)}}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def dingtalk_body(title: str, markdown: str) -> bytes:
    body = {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": clip(markdown, DINGTALK_MAX_BYTES)},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def post_json(url: str, body: bytes, timeout: float = 10.0) -> tuple[bool, str]:
    req = urllib.request.Request(  # noqa: S310 - the URL is the operator's subscription
        url,
        data=body,
        method="POST",
        headers={"content-type": "application/json; charset=utf-8", "user-agent": "pingjing/1"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            status: int = resp.status
            answer = resp.read(65_536)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{type(exc).__name__}: {type(reason).__name__}"
    if not 200 <= status < 300:
        return False, f"HTTP {status}"
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return False, "answer is not JSON"
    code = data.get("errcode", 0) if isinstance(data, dict) else 0
    if code != 0:
        return False, f"errcode {code}: {str(data.get('errmsg', ''))[:100]}"
    return True, ""


def send_wecom(url: str, markdown: str) -> tuple[bool, str]:
    return post_json(url, wecom_body(markdown))


def send_dingtalk(
    url: str, secret: str, title: str, markdown: str, now_ms: int
) -> tuple[bool, str]:
    return post_json(dingtalk_url(url, secret, now_ms), dingtalk_body(title, markdown))


def send_email(
    smtp_url: str, sender: str, to: str, subject: str, text: str, now_ms: int, timeout: float = 20.0
) -> tuple[bool, str]:
    """One e-mail through the server in `smtp_url` (smtp://, smtp+starttls://, smtps://,
    with optional user:password@)."""
    if not smtp_url:
        return False, "PINGJING_SMTP_URL is not set"
    parts = urllib.parse.urlsplit(smtp_url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        return False, "PINGJING_SMTP_URL: expected smtp://, smtp+starttls:// or smtps://host"
    port = parts.port or (465 if scheme == "smtps" else 25)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(now_ms / 1000, localtime=False)
    msg["Message-ID"] = make_msgid(domain="pingjing")
    msg.set_content(text)
    try:
        client: smtplib.SMTP
        if scheme == "smtps":
            client = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout,
                                      context=ssl.create_default_context())  # fmt: skip
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=timeout)
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(
                    urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
                )
            client.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        return False, f"SMTP {exc.smtp_code}"
    except (smtplib.SMTPException, OSError) as exc:
        return False, f"SMTP {type(exc).__name__}"
    return True, ""
