"""Rendering admin pages: their own templates and a static stylesheet, a strict CSP.

Each page is in the language `rating.i18n.pick_lang` picks, as the citizen pages are, and
carries a link to itself in the other language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rating.admin.texts import admin_texts, fill, labels
from rating.cases.calendar import SHANGHAI
from rating.i18n import other_lang_href, pick_lang, remember_lang
from rating.service import svc

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


# The public templates second: the pages' common <head> (_head.html) is theirs.
_env = Environment(
    loader=FileSystemLoader([TEMPLATES, TEMPLATES.parent.parent / "templates"]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["ts"] = fmt_ts


_env.filters["fmt"] = fill


def render(
    request: Request,
    template: str,
    status: int = 200,
    toggle: tuple[str, Mapping[str, str]] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render an admin page in the request's language.

    `toggle` is the page (path, query) the language link shows again; it defaults to this
    request's own URL and must be given for pages answering a POST, which has no GET twin.
    """
    lang = pick_lang(request)
    path, query = toggle or (request.url.path, request.query_params)
    html = _env.get_template(template).render(
        request=request,
        lang=lang,
        t=admin_texts(lang),
        lang_href=other_lang_href(path, query, lang),
        **labels(lang),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    remember_lang(request, response, svc(request).settings.cookie_secure)
    return response
