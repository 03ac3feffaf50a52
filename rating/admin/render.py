"""Rendering admin pages: their own templates and a static stylesheet, a strict CSP."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rating.cases.calendar import SHANGHAI
from rating.cases.model import (
    ACTION_LABELS,
    FIX_LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    VERIFICATION_LABELS,
)
from rating.i18n import LEVEL_LABELS, REASON_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
# No scripts at all; styles only from our own /static/admin.css.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def fmt_ts(ms: int | None, with_time: bool = True) -> str:
    if ms is None:
        return ""
    value = datetime.fromtimestamp(int(ms) / 1000, SHANGHAI)
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["ts"] = fmt_ts
_env.globals.update(
    state_labels=STATE_LABELS,
    outcome_labels=OUTCOME_LABELS,
    verification_labels=VERIFICATION_LABELS,
    fix_labels=FIX_LABELS,
    action_labels=ACTION_LABELS,
    level_labels=LEVEL_LABELS["zh"],
    reason_labels=REASON_LABELS["zh"],
)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(request=request, **context)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    return response
