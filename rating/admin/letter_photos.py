"""A mailbox letter's or a supervisor's report's photos on its case page (issue 18: "kept
with the case, shown only to staff in scope").

The case page shows them as thumbnails (the same image scaled by CSS) linking to
`GET /admin/cases/{case_id}/photos/{n}`, which serves photo number `n` (from 1) to a
signed-in user who may see the case: the case's scope rule, so a case out of scope, a
case that is not a letter's, a photo that does not exist and a photo purged with the
letter's phone all answer 404 alike. Viewing a photo is not audited: it is shown to
everyone who may read the letter's text, as the text is (only the full phone number, a
handler's explicit reveal, is).

The JSON API serves the same photos to an API token's user at
`GET /api/v1/cases/{case_id}/photos/{n}` (the URLs `GET /api/v1/letters` lists), with the
same rule; its errors are JSON.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rating.admin.auth import SessionInfo
from rating.admin.render import CSP
from rating.admin.web import login_required
from rating.cases import service as cases
from rating.cases.model import CaseSource, CaseView
from rating.cases.purged_photos import purged_photos
from rating.errors import NotFound
from rating.mailbox import service as mailbox
from rating.mailbox.models import LetterPhoto
from rating.service import svc
from rating.store import Store
from rating.supervisors import service as supervisors


def api_photo_url(case_id: int, position: int) -> str:
    return f"/api/v1/cases/{case_id}/photos/{position}"


async def case_photos(store: Store, case: CaseView) -> tuple[LetterPhoto, ...]:
    """The photos of the letter or supervisor's report behind `case` (none for any other
    source, or once purged). The caller has already read the case as its user, so the
    scope is checked."""
    if case.source_id is None:
        return ()
    if case.source == CaseSource.SUPERVISOR:
        return tuple(await supervisors.report_photos(store, case.source_id))
    if case.source != CaseSource.LETTER:
        return ()
    letter = await mailbox.letter_by_id(store, case.source_id)
    return letter.photos if letter is not None else ()


async def removed_photos(store: Store, case: CaseView) -> int:
    """How many photos the retention purge removed from the case's letter or report."""
    if case.source_id is None:
        return 0
    return await store.read(purged_photos, str(case.source), case.source_id)


async def photo_at(store: Store, case: CaseView, n: int) -> tuple[bytes, str] | None:
    """Photo number `n` of the letter or report behind `case`, or None."""
    if case.source_id is None:
        return None
    if case.source == CaseSource.SUPERVISOR:
        return await supervisors.report_photo_at(store, case.source_id, n)
    if case.source == CaseSource.LETTER:
        return await mailbox.letter_photo_at(store, case.source_id, n)
    return None


def _number(raw: str) -> int | None:
    """A path segment as a positive number (at most 18 digits), else None."""
    return int(raw) if raw.isdigit() and len(raw) <= 18 and int(raw) > 0 else None


async def _photo(request: Request, me: SessionInfo) -> Response:
    """The photo's bytes, never cached; NotFound when `me` may not see the case, the case
    has no letter or report behind it, or that has no such photo (any more)."""
    case_id = _number(str(request.path_params["case_id"]))
    n = _number(str(request.path_params["n"]))
    if case_id is None:
        raise NotFound("case not found", "未找到该案件")
    store = svc(request).store
    case = await cases.get_case(store, case_id, me.actor)  # NotFound out of scope
    found = await photo_at(store, case, n) if n is not None else None
    if found is None:
        raise NotFound("photo not found", "未找到该照片")
    data, mime = found
    ext = "jpg" if mime == "image/jpeg" else mime.rpartition("/")[2]
    return Response(
        data,
        media_type=mime,
        headers={
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
            "content-security-policy": CSP,
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
            "content-disposition": f'inline; filename="case-{case_id}-photo-{n}.{ext}"',
        },
    )


@login_required()
async def case_photo(request: Request, me: SessionInfo) -> Response:
    """GET /admin/cases/{case_id}/photos/{n} (the case page's thumbnails and links)."""
    return await _photo(request, me)


@login_required(api=True)
async def api_case_photo(request: Request, me: SessionInfo) -> Response:
    """GET /api/v1/cases/{case_id}/photos/{n}: the same, for an API token."""
    return await _photo(request, me)
