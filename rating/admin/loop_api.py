"""The case loop's JSON endpoints (issue 18): bulk dispatch (一键派发), the letters in the
user's scope with their cases, and a letter's public receipt. Single-case actions
(accept, dispatch, redispatch, reply, return, complete, ...) go through
/api/v1/cases/{case_id}/{action} in rating/admin/views.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.letter_photos import api_photo_url
from rating.admin.views import NO_STORE, case_json
from rating.admin.web import login_required
from rating.bodycap import JSON_API_MAX_BYTES
from rating.cases import service as cases
from rating.crypto import normalize_code
from rating.errors import BadRequest, NotFound
from rating.intake import load_json, read_body
from rating.mailbox import service as mailbox
from rating.mailbox.models import LetterView
from rating.service import svc


@login_required(api=True)
async def api_dispatch_many(request: Request, me: SessionInfo) -> Response:
    """POST /api/v1/dispatch {"ids": [..], "unit": code, "note"?}: all or none."""
    body = load_json(await read_body(request, JSON_API_MAX_BYTES))
    raw = body.get("ids")
    # 530.0 is an integer in JSON (and in the schema); true is not.
    if not isinstance(raw, list) or not all(
        isinstance(i, (int, float)) and not isinstance(i, bool) and float(i).is_integer()
        for i in raw
    ):
        raise BadRequest("ids must be a list of case numbers", "ids 必须是案件编号列表")
    ids = [int(i) for i in raw]
    unit, note = body.get("unit"), body.get("note", "")
    if not isinstance(unit, str):
        raise BadRequest("unit must be a unit code (a string)", "unit 必须是单位代码")
    if not isinstance(note, str):
        raise BadRequest("note must be a string", "note 必须是文字")
    extra = set(body) - {"ids", "unit", "note"}
    if extra:
        name = sorted(extra)[0]
        raise BadRequest(f"unknown field {name!r}", f"未知字段 {name!r}")
    done = await cases.dispatch_many(svc(request).store, ids, unit, me.actor, note)
    return JSONResponse({"ok": True, "cases": [case_json(c) for c in done]}, headers=NO_STORE)


def _letter_json(letter: LetterView, case: tuple[int, str] | None) -> dict[str, Any]:
    return {
        "id": letter.id,
        "receipt": letter.receipt,
        "unit": letter.unit_path,
        "category": letter.category,
        "body": letter.body,
        "phone_mask": letter.phone_mask,
        "consent": letter.consent,
        "status": letter.status,
        "reply": letter.reply,
        "replied_at": letter.replied_at,
        "created_at": letter.created_at,
        "photos": len(letter.photos),
        "photos_removed": letter.photos_purged,
        "photo_urls": []
        if case is None
        else [api_photo_url(case[0], p.position) for p in letter.photos],
        "case_id": None if case is None else case[0],
        "case_state": None if case is None else case[1],
    }


@login_required(api=True)
async def api_letters(request: Request, me: SessionInfo) -> Response:
    """GET /api/v1/letters: the letters of the user's units (newest first), each with its
    case. A letter to the bureau as a whole is seen by bureau-wide users only."""
    store = svc(request).store
    letters = await mailbox.list_letters(store, me.actor.unit_path)
    found = await cases.source_cases(store, "letter", [x.id for x in letters])
    rows = [_letter_json(x, found.get(x.id)) for x in letters]
    return JSONResponse({"ok": True, "letters": rows}, headers=NO_STORE)


async def api_letter_receipt(request: Request) -> Response:
    """GET /api/v1/mailbox/receipts/{code}: what the letter's receipt page shows (public,
    like the rating receipt: the code is the secret; no phone, no text)."""
    code = normalize_code(request.path_params["code"])
    letter = await mailbox.letter_by_receipt(svc(request).store, code) if code else None
    if letter is None:
        raise NotFound("no letter with that receipt", "未找到该回执")
    out = {
        "receipt": letter.receipt,
        "category": letter.category,
        "status": letter.status,
        "reply": letter.reply,
        "replied_at": letter.replied_at,
        "created_at": letter.created_at,
    }
    return JSONResponse({"ok": True, "letter": out}, headers=NO_STORE)


def loop_routes() -> list[BaseRoute]:
    """The loop's JSON routes (bulk dispatch has a path of its own: under /api/v1/cases
    it would read as a case number)."""
    return [
        Route("/api/v1/dispatch", api_dispatch_many, methods=["POST"]),
        Route("/api/v1/letters", api_letters, methods=["GET"]),
        Route("/api/v1/mailbox/receipts/{code}", api_letter_receipt, methods=["GET"]),
    ]
