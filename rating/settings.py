"""Settings, read once from the environment (``PINGJING_*``) and CLI flags.

Every setting is declared in ``SETTINGS`` with its default and help text; docs/settings.md
is checked against this table by a test, so a new setting cannot go undocumented.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


def setting(default: T, help: str) -> T:
    """Declare one field of `Settings` with its default and its documented help text.

    Typed as the default so mypy checks the field's annotation against it; at run time
    it is a dataclass field carrying the help, from which `SETTINGS` is derived (as
    datasette derives ``DEFAULT_SETTINGS`` from its one ``SETTINGS`` list).
    """
    value: T = field(default=default, metadata={"help": help})
    return value


def _coerce(setting: Setting, raw: Any) -> Any:
    default = setting.default
    if isinstance(raw, str):
        raw = raw.strip()
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"PINGJING_{setting.name.upper()}: expected true/false, got {raw!r}")
        if isinstance(default, int):
            try:
                return int(raw)
            except ValueError:
                raise ValueError(
                    f"PINGJING_{setting.name.upper()}: expected a whole number, got {raw!r}"
                ) from None
        if isinstance(default, float):
            try:
                return float(raw)
            except ValueError:
                raise ValueError(
                    f"PINGJING_{setting.name.upper()}: expected a number, got {raw!r}"
                ) from None
    return raw


@dataclass(frozen=True)
class Settings:
    """Every setting, declared once: name and type, default, help (see `setting`)."""

    database: str = setting(
        "pingjing.db",
        "SQLite file path (default pingjing.db in the working directory) or a postgresql:// URL.",
    )
    secret: str = setting(
        "",
        "Master secret for phone encryption and keyed hashes. If empty, one is generated "
        "and kept in <database>.secret beside the SQLite file (mode 0600).",
    )
    public_base_url: str = setting(
        "http://127.0.0.1:8000",
        "Base URL printed on badges and in officer rating URLs.",
    )
    bureau_name: str = setting("公安局", "Bureau name shown on citizen pages and on badges.")
    badge_call_to_action: str = setting(
        "扫码评价",
        "The short line printed under the QR code on every badge (e.g. 扫码评价 Scan to rate).",
    )
    page_cache_size: int = setting(
        2048,
        "Rendered rating pages kept in memory (one per officer and language, about 16 KB "
        "each, 32 MB at the default); 0 renders every page afresh.",
    )
    hotlines: str = setting(
        "12389:公安机关警务监督举报电话|Police supervision hotline;"
        "12345:政务服务便民热线|Government service hotline",
        "Complaint hotlines shown on the revoked-code and error pages: "
        "number:中文|English entries separated by ';'.",
    )
    amend_window_minutes: int = setting(
        30,
        "A second rating of one officer from one device within this many minutes amends the first.",
    )
    rate_limit_device_per_hour: int = setting(
        30,
        "Rating submissions allowed per device cookie per clock hour.",
    )
    rate_limit_network_per_hour: int = setting(
        3000,
        "Rating submissions allowed per client address per clock hour (carrier NAT: keep "
        "high). On SQLite the writer counts them in memory, afresh after a restart.",
    )
    min_submit_seconds: float = setting(
        2.0,
        "A rating sooner than this after its page was served is stored and marked fast (for the "
        "integrity statistics); never refused.",
    )
    form_max_age_hours: int = setting(
        12,
        "A rating form older than this many hours must be reloaded before submitting.",
    )
    max_body_bytes: int = setting(16384, "Largest accepted request body in bytes (413 above).")
    trusted_proxies: str = setting(
        "",
        "Comma-separated proxy addresses whose X-Forwarded-For header is believed.",
    )
    cookie_secure: bool = setting(False, "Mark cookies Secure (set true behind HTTPS).")
    sqlite_synchronous: str = setting(
        "FULL",
        "SQLite synchronous mode. FULL fsyncs every commit (durable); NORMAL may lose the "
        "last commits on power loss.",
    )
    write_batch_max: int = setting(512, "Most ratings committed together in one transaction.")
    database_timeout_seconds: float = setting(
        5.0,
        "PostgreSQL: longest wait for a connection, a connect or a rating's statement; "
        "past it the rating gets 503 and /healthz turns 503 until the database answers again.",
    )
    host: str = setting("127.0.0.1", "Address `pingjing serve` listens on.")
    port: int = setting(8000, "Port `pingjing serve` listens on.")
    log_level: str = setting("info", "Log level: debug, info, warning, error.")
    log_format: str = setting(
        "json",
        "Log format of `pingjing serve`: json (one JSON object per line, for production) or "
        "text (human-readable, for development; `pingjing demo` uses it unless this is set).",
    )
    access_log: bool = setting(
        True,
        "Log one `request` event per request (request id, route template, method, status, "
        "duration; never the path, address or body).",
    )
    metrics: bool = setting(
        True,
        "Serve Prometheus metrics at /metrics and count requests for them (false: off, 404).",
    )
    metrics_token: str = setting(
        "",
        "Bearer token that lets a scraper read /metrics from any address (empty: none).",
    )
    metrics_allow: str = setting(
        "127.0.0.1,::1",
        "Comma-separated client addresses or networks (CIDR) that may read /metrics without "
        "the token. Behind a trusted proxy the forwarded client address counts, not the proxy.",
    )
    admin_session_hours: int = setting(12, "Admin login sessions expire after this many hours.")
    admin_lockout_attempts: int = setting(
        5,
        "Failed admin logins in a row that lock the account.",
    )
    admin_lockout_minutes: int = setting(15, "How long a locked admin account stays locked.")
    admin_login_client_failures: int = setting(
        20,
        "Failed admin logins from one client network per 15 minutes before it must wait.",
    )
    callback_due_workdays: int = setting(
        1,
        "A bad rating must be called back within this many Chinese working days.",
    )
    rectify_due_workdays: int = setting(
        15,
        "Rectification deadline, in Chinese working days from the start of rectification.",
    )
    retry_due_workdays: int = setting(
        1,
        "A callback that could not reach the citizen must be retried within this many "
        "Chinese working days.",
    )
    verify_due_workdays: int = setting(
        3,
        "A called-back case must be verified within this many Chinese working days.",
    )
    act_due_workdays: int = setting(
        2,
        "A verified case must start rectification (substantiated) or be closed (otherwise) "
        "within this many Chinese working days.",
    )
    phone_retention_days: int = setting(
        30,
        "Phone numbers are deleted this many days after their case closes (or after the "
        "rating, when it opened no case).",
    )
    device_data_hours: int = setting(
        24,
        "Ratings' device and network hashes are cleared after this many hours (at least the "
        "amend window and one hour).",
    )
    purge_interval_hours: int = setting(24, "The server purges expired data this often.")
    spotcheck_share: float = setting(
        0.02,
        "Share of each day's satisfied ratings with a phone (and of closed cases) sampled "
        "for a spot-check callback, per unit and channel; 0 turns the daily sample off.",
    )
    spotcheck_min_per_unit: int = setting(
        1,
        "Spot-check tasks at least, per unit and channel and day (where that many exist).",
    )
    supervisor_unit: str = setting(
        "",
        "Unit code of the discipline unit (督察) that citizen supervisors' reports are "
        "dispatched to as they arrive; empty (or an unknown code): they wait, received, for "
        "the centre to accept and dispatch.",
    )
    webhook_url: str = setting(
        "",
        "If set, a signed JSON POST is sent here when a bad rating opens a case.",
    )
    webhook_secret: str = setting(
        "",
        "HMAC-SHA256 key for the webhook signature (required with PINGJING_WEBHOOK_URL).",
    )
    webhook_max_attempts: int = setting(8, "Webhook delivery attempts before giving up.")
    webhook_retry_seconds: float = setting(
        5.0,
        "First webhook retry delay in seconds; doubles after each failed attempt.",
    )
    webhook_poll_seconds: float = setting(
        2.0,
        "How often the server looks for new cases to send to the webhook.",
    )
    notify_poll_seconds: float = setting(
        30.0,
        "Notifications: how often the server scans for new bad ratings and overdue cases "
        "and sends what is due (docs/notifications.md).",
    )
    notify_max_attempts: int = setting(
        6, "Notifications: delivery attempts before a message goes to the dead-letter list."
    )
    notify_retry_seconds: float = setting(
        30.0,
        "Notifications: first retry delay in seconds; doubles after each failed attempt.",
    )
    notify_digest_minutes: int = setting(
        60, "Notifications: e-mail subscribers get one digest per this many minutes."
    )
    smtp_url: str = setting(
        "",
        "SMTP server for e-mail digests: smtp://[user:password@]host[:port], "
        "smtp+starttls://… or smtps://… (empty: e-mail subscriptions are not sent).",
    )
    smtp_from: str = setting("pingjing@localhost", "Sender address of e-mail digests.")
    kiosk_min_interval_seconds: float = setting(
        3.0,
        "Kiosk rate limit: a kiosk's taps closer together than this many seconds (tap time) "
        "are refused; 0 turns it off.",
    )
    report_basic_counts_satisfied: bool = setting(
        True,
        "Weekly report: level 3 (基本满意) counts as satisfied in the satisfaction rate.",
    )
    report_week_start: str = setting(
        "monday",
        "Weekly report: the first day of a report week (monday … sunday), Asia/Shanghai.",
    )
    report_archive_dir: str = setting(
        "",
        "Folder keeping every weekly report generated (empty: reports/ beside the SQLite "
        "file, or in the working folder for PostgreSQL).",
    )
    report_workers: int = setting(
        2,
        "Reports built at once by the server, each in its own worker process; further "
        "requests wait.",
    )
    report_timeout_seconds: int = setting(
        600,
        "A report worker still running after this long is stopped and the request fails.",
    )

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from defaults, then the environment, then explicit overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = env.get(f"PINGJING_{s.name.upper()}")
            values[s.name] = s.default if raw is None else _coerce(s, raw)
        for name, raw in overrides.items():
            if raw is None:
                continue
            if name not in _BY_NAME:
                raise ValueError(f"unknown setting {name!r}")
            values[name] = _coerce(_BY_NAME[name], raw)
        for part in str(values["metrics_allow"]).split(","):
            try:
                if part.strip():
                    ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"PINGJING_METRICS_ALLOW: {part.strip()!r} is not an address or network"
                ) from None
        if not 0 <= float(values["spotcheck_share"]) <= 1:
            raise ValueError("PINGJING_SPOTCHECK_SHARE must be between 0 and 1")
        if int(values["spotcheck_min_per_unit"]) < 0:
            raise ValueError("PINGJING_SPOTCHECK_MIN_PER_UNIT must be 0 or more")
        if values["log_format"] not in ("json", "text"):
            raise ValueError("PINGJING_LOG_FORMAT must be json or text")
        if values["sqlite_synchronous"].upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("PINGJING_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def is_postgres(self) -> bool:
        return self.database.startswith(("postgresql://", "postgres://"))

    def resolved_secret(self) -> str:
        """The master secret; generated once and kept beside the SQLite file if not set."""
        if self.secret:
            return self.secret
        if self.is_postgres:
            raise ValueError(
                "PINGJING_SECRET must be set when the database is PostgreSQL "
                "(every instance needs the same secret)"
            )
        path = Path(self.database + ".secret")
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        value = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value + "\n")
        return value

    def hotline_list(self) -> list[tuple[str, str, str]]:
        """(number, Chinese label, English label) for each configured hotline."""
        # Empty still lists the defaults: the revoked-code page must always name a hotline.
        raw = self.hotlines or str(_BY_NAME["hotlines"].default)
        out = []
        for entry in raw.split(";"):
            if ":" not in entry:
                continue
            number, labels = entry.split(":", 1)
            zh, _, en = labels.partition("|")
            out.append((number.strip(), zh.strip(), (en or zh).strip()))
        return out

    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())


# The declared table: the documentation test, `pingjing settings` and the environment
# reader walk it; it is derived from the dataclass so no default is written twice.
SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings)
)
_BY_NAME = {s.name: s for s in SETTINGS}


def public_url_problem(url: str) -> str | None:
    """Why printed codes must not point at `url` (the public base URL), or None.

    Loopback, private-range and link-local addresses cannot be reached from citizens'
    phones; plain http:// on a public host can be altered on the way.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return f"is {url!r}, not an http(s) address"
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and ip.is_loopback):
        return f"is {url}, this machine's own address"
    if ip is not None and (ip.is_private or ip.is_link_local or ip.is_unspecified):
        return f"is {url}, a private-range address citizens' phones cannot reach"
    if parts.scheme == "http":
        return f"is {url}, plain http:// (badges need https://)"
    return None
