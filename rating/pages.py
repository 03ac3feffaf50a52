"""Rendering citizen pages: templates, inlined CSS/JS, security headers, error pages.

CSS and JS are inlined so the page is one request on a slow link; the Content-Security-
Policy allows exactly those inline blocks (by hash) and nothing from any other host.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rating.errors import HTTPError
from rating.i18n import other_lang_href, pick_lang, remember_lang, texts
from rating.labels import LEVEL_LABELS, REASON_LABELS
from rating.pagecache import PageCache
from rating.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


# The tab icon: inlined as a data URI so that the first view is one request; /favicon.ico
# serves the same PNG (cached for a month) to browsers that ask for it anyway.
@functools.cache
def favicon_png() -> bytes:
    """The icon as a 32 px PNG (a few hundred bytes), drawn once."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, 31, 31), radius=6, fill=(11, 61, 145, 255))
    draw.line([(8, 17), (13, 22), (24, 10)], fill=(255, 255, 255, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


@functools.cache
def favicon_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(favicon_png()).decode("ascii")


async def favicon(request: Request) -> Response:
    return Response(
        favicon_png(),
        media_type="image/png",
        headers={"cache-control": "public, max-age=2592000, immutable"},
    )


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class Pages:
    def __init__(self, settings: Settings, static_dir: Path = STATIC) -> None:
        self.settings = settings
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.css = (static_dir / "rate.css").read_text(encoding="utf-8")
        self.js = (static_dir / "rate.js").read_text(encoding="utf-8")
        self.csp = (
            "default-src 'none'; "
            f"style-src {_csp_hash(self.css)}; "
            f"script-src {_csp_hash(self.js)}; connect-src 'self'; "
            "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        self.hotlines = settings.hotline_list()
        self.cache = PageCache(settings.page_cache_size)

    def render_html(self, template: str, lang: str, lang_href: str, **context: Any) -> str:
        """A page's HTML in `lang` (no request needed: the page cache renders with this)."""
        return self.env.get_template(template).render(
            lang=lang,
            t=texts(lang),
            level_labels=LEVEL_LABELS[lang],
            reason_labels=REASON_LABELS[lang],
            bureau=self.settings.bureau_name,
            css=self.css,
            js=self.js,
            lang_href=lang_href,
            favicon=favicon_uri(),
            hotlines=[(n, zh if lang == "zh" else en) for n, zh, en in self.hotlines],
            **context,
        )

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = context.pop("lang", None) or pick_lang(request)
        lang_href = other_lang_href(request.url.path, request.query_params, lang)
        html = self.render_html(template, lang, lang_href, **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["content-security-policy"] = self.csp
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "no-referrer"
        response.headers["cache-control"] = "no-store"
        # Beside the CSP's frame-ancestors, for browsers (and WebViews) that ignore it.
        response.headers["x-frame-options"] = "DENY"
        remember_lang(request, response, self.settings.cookie_secure)
        return response


def error_page(request: Request, status: int, exc: HTTPError) -> Response:
    pages: Pages = request.app.state.pages
    lang = pick_lang(request)
    t = texts(lang)
    # A refused rating form: offer the way back to the officer's page to try again.
    back = request.url.path if request.method == "POST" and status in (400, 429) else None
    return pages.render(
        request,
        "notice.html",
        status=status,
        lang=lang,
        heading=t["error_title"],
        body=exc.message(lang),
        back=back,
    )
