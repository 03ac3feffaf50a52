"""The admin audit page, `GET /admin/audit` (admins only): the audit entries that belong
to no case (users, kiosks, notifications, officers, units, supervisors, rules, spot
checks, the purge), filtered by kind and by who acted, newest first, in pages; each
action and each actor that is not a user in the page's language. A thin handler over
rating.admin.audit_log; the filters stay in the URL."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating.admin import audit_log, audit_notes
from rating.admin.auth import SessionInfo
from rating.admin.texts_audit import actor_name
from rating.admin.texts_auditlog import action_labels, audit_texts, kind_labels
from rating.admin.web import login_required, page
from rating.errors import BadRequest
from rating.i18n import pick_lang
from rating.service import svc
from rating.textcheck import check_fields

PAGE_SIZE = 100
ADMINS_ONLY = ("only administrators see the audit log", "仅管理员可以查看审计日志")


def _page_no(raw: str) -> int:
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


@login_required("admin", refuse=ADMINS_ONLY)
async def audit_page(request: Request, me: SessionInfo) -> Response:
    q = request.query_params
    check_fields(q)
    kind = q.get("kind", "")
    if kind and kind not in audit_log.KINDS:
        raise BadRequest("kind: unknown kind of entry", "未知类别（kind）")
    actor = q.get("actor", "").strip()[: audit_log.MAX_ACTOR]
    page_no = _page_no(q.get("page", "1"))
    store = svc(request).store
    rows = await store.read(
        audit_log.entries, kind or None, actor or None, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE
    )
    units = await store.read(
        audit_log.unit_paths, sorted(audit_notes.unit_refs((e.action, e.note) for e in rows))
    )
    keep = {k: v for k, v in (("kind", kind), ("actor", actor)) if v}
    lang = pick_lang(request)
    return page(
        request, "audit.html", me, entries=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
        page=page_no, query=urlencode(keep), kind=kind, actor=actor, kinds=audit_log.KINDS,
        at=audit_texts(lang), entry_kinds=kind_labels(lang), audit_actions=action_labels(lang),
        actor_label=actor_name, units=units, note_text=audit_notes.entry_note,
    )  # fmt: skip


def audit_routes() -> list[BaseRoute]:
    return [Route("/admin/audit", audit_page, methods=["GET"])]
