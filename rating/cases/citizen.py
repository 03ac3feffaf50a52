"""The citizen's side of a case: answering "is it fixed?" from the receipt page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rating.admin.render import fmt_ts
from rating.cases import service
from rating.crypto import normalize_code
from rating.errors import NotFound
from rating.intake import read_body
from rating.service import svc
from rating.store import Store
from rating.textcheck import check_fields


async def fix_submit(request: Request) -> Response:
    """POST /receipt/{code}/fix (a plain form): store the answer, back to the receipt."""
    s = svc(request)
    code = normalize_code(request.path_params["code"])
    if code is None:
        raise NotFound("receipt not found", "未找到该回执")
    body = await read_body(request, s.settings.max_body_bytes)
    form = parse_qs(body.decode("utf-8", errors="replace"))
    check_fields(form)
    answer = form.get("answer", [""])[-1]
    await service.rate_fix(s.store, code, answer)
    return RedirectResponse(f"/receipt/{code}?fixed=1", status_code=303)


@dataclass(frozen=True)
class Step:
    key: str  # i18n text key
    done: bool
    at: str  # the day it was done (Asia/Shanghai), or ""


@dataclass(frozen=True)
class ReceiptProgress:
    steps: list[Step]
    ask_fix: bool
    fix_rating: str | None
    callback_due: str  # the day the call back is due, while it is still to come; else ""


async def receipt_progress(store: Store, receipt: str) -> ReceiptProgress | None:
    """The case's progress as the citizen sees it (no notes, no names), or None."""
    p = await service.progress(store, receipt)
    if p is None:
        return None
    if p.needs_rectify or p.verified_at is None:
        rectify = Step("step_rectified", p.rectified_at is not None, fmt_ts(p.rectified_at, False))
    else:
        # Verified as not substantiated: nothing to rectify.
        rectify = Step("step_no_rectify", p.verified_at is not None, "")
    steps = [
        Step("step_received", True, fmt_ts(p.opened_at, False)),
        Step("step_called_back", p.callback_at is not None, fmt_ts(p.callback_at, False)),
        Step("step_verified", p.verified_at is not None, fmt_ts(p.verified_at, False)),
        rectify,
        Step("step_closed", p.state == "closed", fmt_ts(p.closed_at, False)),
    ]
    due = p.callback_due_at if p.callback_at is None and p.state != "closed" else None
    return ReceiptProgress(steps, p.ask_fix, p.fix_rating, fmt_ts(due, False))
