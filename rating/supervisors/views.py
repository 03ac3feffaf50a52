"""The supervisor's own page `/supervisor/{token}`: the report form and the progress of
their own reports (state and reply), nothing else. Outside the term or with a revoked
link it answers a refusal page instead.

Thin handlers, as the mailbox's (rating/mailbox/views.py): parse, check
(rating/supervisors/form.py), call the service, answer. No JavaScript: a plain multipart
form answered by a redirect back to the page (PRG); a refusal re-shows the form with the
message beside the field and what was typed kept (photos excepted)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from rating.clock import now_ms
from rating.crypto import normalize_code
from rating.i18n import pick_lang
from rating.mailbox.form import refusal_notice
from rating.mailbox.views import check_photo_form, read_photo_form
from rating.service import svc
from rating.supervisors import service
from rating.supervisors.form import Kept, Refused, check_report, kept_from, stamp_token
from rating.supervisors.model import LinkState, Supervisor
from rating.supervisors.service import SHANGHAI
from rating.supervisors.texts import stexts

# The refusal page's status by the link's state.
REFUSAL_STATUS = {
    LinkState.UNKNOWN: 404,
    LinkState.REVOKED: 410,
    LinkState.NOT_STARTED: 403,
    LinkState.ENDED: 403,
}
FIELD_ERRORS = ("badge", "place", "event_at", "text", "photos")


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _refusal(request: Request, state: LinkState, found: Supervisor | None) -> Response:
    lang = pick_lang(request)
    m = stexts(lang)
    body = m["refused_body"]
    if found is not None and state in (LinkState.NOT_STARTED, LinkState.ENDED):
        body = m["refused_term"].format(start=found.term_start, end=found.term_end) + " " + body
    return svc(request).pages.render(
        request,
        "supervisor_notice.html",
        status=REFUSAL_STATUS.get(state, 404),
        lang=lang,
        m=m,
        heading=m[f"refused_{state}"],
        body=body,
    )


async def _live(request: Request) -> tuple[str, Supervisor | None, Response | None]:
    token = normalize_code(str(request.path_params["token"])) or ""
    found = await service.lookup(svc(request).store, token) if token else None
    if found is None or found.state is not LinkState.LIVE or found.supervisor is None:
        state = found.state if found is not None else LinkState.UNKNOWN
        return token, None, _refusal(request, state, found.supervisor if found else None)
    return token, found.supervisor, None


async def _page(
    request: Request,
    token: str,
    who: Supervisor,
    *,
    status: int = 200,
    kept: Kept | None = None,
    notice: str | None = None,
    lang: str | None = None,
) -> Response:
    s = svc(request)
    lang = pick_lang(request, lang)
    m = stexts(lang)
    reports = await service.reports_of(s.store, who.id)
    sent = request.query_params.get("sent", "")
    return s.pages.render(
        request,
        "supervisor.html",
        status=status,
        lang=lang,
        m=m,
        who=who,
        hello=m["hello"].format(name=who.name),
        term=m["term"].format(start=who.term_start, end=who.term_end),
        action=f"/supervisor/{token}",
        stamp=s.keys.stamp(now_ms(), stamp_token(token)),
        kept=kept or Kept(),
        notice=notice,
        sent=sent.isdigit() and any(str(r.id) == sent for r in reports),
        reports=[
            {
                "r": r,
                "no": m["report_no"].format(id=r.id),
                "event_at": _when(r.event_at),
                "created_at": _when(r.created_at),
                "replied_at": _when(r.replied_at) if r.replied_at else None,
                "state": m.get(f"state_{r.case_state}", m["state_received"]),
            }
            for r in reports
        ],
        now_local=_when(now_ms()).replace(" ", "T"),
    )


async def supervisor_page(request: Request) -> Response:
    """GET: the form and the supervisor's reports; POST: file a report."""
    token, who, refused = await _live(request)
    if refused is not None or who is None:
        assert refused is not None
        return refused
    if request.method == "GET":
        return await _page(request, token, who)
    return await _submit(request, token, who)


async def _submit(request: Request, token: str, who: Supervisor) -> Response:
    s = svc(request)
    values: dict[str, str] = {}
    uploads: list[bytes] = []
    try:
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise Refused("content-type", 415, "expected a form post", "请求格式错误")
        values, uploads = await read_photo_form(request)
        now = now_ms()
        inp = await check_photo_form(
            check_report, values, uploads, s=s, stamp_for=stamp_token(token), now=now
        )
        filed = await service.file_report(s.store, token, inp, s.settings.supervisor_unit, now)
        if filed.refused == "badge":
            raise Refused(
                "badge", 400, "badge: no serving officer has this badge number",
                "未找到该警号的在岗民警",
            )  # fmt: skip
        if filed.refused == "limit":
            raise Refused(
                "limit", 429, "too many reports in an hour; please try again later",
                "一小时内提交过多，请稍后再试",
            )  # fmt: skip
        if filed.refused is not None:  # the term ended or the link was revoked meanwhile
            state = LinkState(filed.refused)
            return _refusal(request, state, await service.get(s.store, who.id))
    except Refused as exc:
        lang = pick_lang(request, values.get("lang"))
        m = stexts(lang)
        kept = kept_from(values, {exc.field: exc.message(lang)})
        notice = refusal_notice(exc, lang, m, FIELD_ERRORS, bool(uploads))
        return await _page(
            request, token, who, status=exc.status, kept=kept, notice=notice, lang=lang
        )
    assert filed.report_id is not None
    return RedirectResponse(
        f"/supervisor/{token}?sent={filed.report_id}#r{filed.report_id}", status_code=303
    )


def supervisor_routes() -> list[Route]:
    return [Route("/supervisor/{token}", supervisor_page, methods=["GET", "POST"])]
