"""Texts of the officers, users, kiosks and units pages (rating/locale/admin_people.toml).

Kept apart from the shared admin table so that pages added in parallel merge cleanly; the
views hand them to templates as `p`. None of them carries markup.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rating.admin import render
from rating.admin.auth import SessionInfo
from rating.admin.web import page
from rating.i18n import pick_lang, table

people_texts = table("admin_people.pages")


def ptext(request: Request, key: str, **values: Any) -> str:
    return people_texts(pick_lang(request))[key].format(**values)


def people_page(request: Request, template: str, me: SessionInfo, **ctx: Any) -> Response:
    """An admin page of this area: the shared frame plus this area's texts as `p`."""
    return page(request, template, me, p=people_texts(pick_lang(request)), **ctx)


# The shared frame (base.html, every admin page) shows this area's navigation links in the
# page's language: register the table with the template environment instead of adding to
# the shared texts.
render._env.globals["nav_people"] = people_texts
