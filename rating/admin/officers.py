"""The officers pages: search, the officer page (ratings by level, trend, cases), roster
upload with a preview, badge reissue and download, retire and move.

Everyone signed in may search and read within their units; admins and unit managers may
change officers of their units; only admins upload a roster (it touches every unit).
Thin handlers over rating.admin.officer_admin; every change is a CSRF-checked POST that
redirects (POST/redirect/GET). An officer outside the user's units is a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
import tempfile
import time
from pathlib import Path, PurePath
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating.admin import flash, officer_admin
from rating.admin.auth import SessionInfo
from rating.admin.texts_people import people_page, ptext
from rating.admin.web import check_csrf, login_required, posted_form
from rating.cases import service as cases
from rating.errors import BadRequest, Forbidden, NotFound
from rating.roster import RosterFileError
from rating.service import list_units, svc, unit_by_code
from rating.store.models import Officer
from rating.textcheck import check_fields, check_text

PAGE_SIZE = 50
ROSTER_MAX_BYTES = 5 * 1024 * 1024
# Uploaded rosters wait here between the preview and the import (an hour at most).
STAGING = Path(tempfile.gettempdir()) / "pingjing-roster"
STAGING_TTL_S = 3600
_STAGED = re.compile(r"[A-Za-z0-9_-]{22}\.(csv|txt|tsv|xlsx|xls|ods)")
CAN_CHANGE = ("admin", "unit_manager")
ADMINS_ONLY = ("only administrators upload a roster", "仅管理员可以上传民警名册")


def _page_no(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


@login_required()
async def officers_page(request: Request, me: SessionInfo) -> Response:
    return await _list(request, me)


async def _list(request: Request, me: SessionInfo, status: int = 200, **ctx: object) -> Response:
    s = svc(request)
    q = request.query_params
    check_fields(q)
    unit_path = None
    if q.get("unit"):
        unit = await unit_by_code(s.store, q["unit"])
        if unit is None or not me.actor.sees(unit.path):
            raise NotFound("unit not found", "未找到该单位")
        unit_path = unit.path
    page_no = _page_no(request)
    rows = await officer_admin.search(
        s.store, me.actor, q.get("q", "").strip(), unit_path, q.get("retired") == "1",
        PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE,
    )  # fmt: skip
    shown = flash.take(request, me.csrf) if status == 200 else None
    units = [u for u in await list_units(s.store) if me.actor.sees(u.path)]
    query = {k: v for k, v in q.items() if k != "page"}
    response = people_page(
        request, "officers.html", me, officers=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
        page=page_no, query=urlencode(query), q=q, units=units, flash=shown,
        max_mb=ROSTER_MAX_BYTES // (1024 * 1024), toggle=("/admin/officers", query), **ctx,
    )  # fmt: skip
    return flash.shown(request, response, shown, status)


# ---------------------------------------------------------------- roster upload


def _owner(me: SessionInfo) -> str:
    # A staged file belongs to the session that uploaded it.
    return hashlib.sha256(me.csrf.encode()).hexdigest()[:16]


def _sweep() -> None:
    cutoff = time.time() - STAGING_TTL_S
    for old in STAGING.glob("*/*"):
        with contextlib.suppress(FileNotFoundError):  # another request swept it first
            if old.stat().st_mtime < cutoff:
                old.unlink()


def _save(upload: UploadFile, dest: Path) -> int:
    size = 0
    with dest.open("wb") as out:
        while chunk := upload.file.read(1 << 16):
            size += len(chunk)
            if size > ROSTER_MAX_BYTES:
                break
            out.write(chunk)
    return size


def _errors(name: str, errors: list[tuple[int, str]]) -> list[str]:
    # Exactly as `pingjing officers import` prints them: file:line: reason.
    return [f"{name}:{line}: {reason}" for line, reason in errors]


@login_required("admin", refuse=ADMINS_ONLY)
async def roster_preview(request: Request, me: SessionInfo) -> Response:
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise BadRequest("Content-Length required", "请求缺少长度信息，请用页面上的表单上传")
    too_big = ptext(request, "roster_too_big", mb=ROSTER_MAX_BYTES // (1024 * 1024))
    if int(length) > ROSTER_MAX_BYTES + 64 * 1024:
        return await _list(request, me, 413, error=too_big)
    STAGING.mkdir(mode=0o700, exist_ok=True)
    await asyncio.to_thread(_sweep)
    folder = STAGING / _owner(me)
    folder.mkdir(mode=0o700, exist_ok=True)
    async with request.form(max_files=1, max_fields=10) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        check_csrf(me.csrf, fields)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _list(request, me, 400, error=ptext(request, "roster_choose"))
        name = re.split(r"[\\/]", upload.filename)[-1].strip()[:200] or "roster"
        suffix = PurePath(name).suffix.lower()
        if suffix not in (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".ods"):
            suffix = ".csv"
        staged = folder / (secrets.token_urlsafe(16) + suffix)
        size = await asyncio.to_thread(_save, upload, staged)
    if size > ROSTER_MAX_BYTES:
        staged.unlink(missing_ok=True)
        return await _list(request, me, 413, error=too_big)
    retire = fields.get("retire") == "1"
    return await _preview(request, me, staged, name, retire)


async def _preview(
    request: Request, me: SessionInfo, staged: Path, name: str, retire: bool
) -> Response:
    store = svc(request).store
    try:
        preview = await officer_admin.roster(store, me.actor, staged, retire, dry_run=True)
    except RosterFileError as exc:
        staged.unlink(missing_ok=True)
        error = ptext(request, "roster_unreadable", name=name, reason=str(exc))
        return await _list(request, me, 400, error=error)
    if preview.errors:
        staged.unlink(missing_ok=True)  # nothing to import: the file must be fixed first
    return people_page(
        request, "roster_preview.html", me, name=name, staged=staged.name, retire=retire,
        result=preview.result, errors=_errors(name, preview.errors),
        status=400 if preview.errors else 200, toggle=("/admin/officers", {}),
    )  # fmt: skip


@login_required("admin", refuse=ADMINS_ONLY)
async def roster_commit(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    staged_name = form.get("staged", "")
    if not _STAGED.fullmatch(staged_name):
        raise BadRequest("unknown upload", "上传的文件已失效，请重新上传")
    staged = STAGING / _owner(me) / staged_name
    if not staged.is_file():
        raise BadRequest(
            "the upload expired; upload the file again", "上传的文件已失效，请重新上传"
        )
    name = form.get("name", "roster")[:200]
    try:
        done = await officer_admin.roster(
            svc(request).store, me.actor, staged, form.get("retire") == "1", dry_run=False
        )
    except RosterFileError as exc:
        raise BadRequest(str(exc)) from None
    if done.errors:  # changed since the preview (a unit renamed, say): show them again
        return await _preview(request, me, staged, name, form.get("retire") == "1")
    staged.unlink(missing_ok=True)
    r = done.result
    msg = ptext(
        request, "roster_done", new=len(r.created), updated=len(r.updated),
        unchanged=len(r.unchanged), retired=len(r.retired),
    )  # fmt: skip
    return flash.redirect(request, me.csrf, "/admin/officers", {"msg": msg})


# ---------------------------------------------------------------- one officer


async def _officer(request: Request, me: SessionInfo) -> Officer:
    badge = check_text("badge_no", request.path_params["badge_no"])
    officer = await officer_admin.officer(svc(request).store, me.actor, badge)
    if officer is None:
        raise NotFound("officer not found", "未找到该民警")
    return officer


def trend_svg(weeks: list[tuple[int, int, float | None]], title: str) -> Markup:
    """Ratings per week as bars, the mean level (1-5) as a line: no chart framework."""
    w, h, n = 240, 60, len(weeks)
    top = max([c for _, c, _ in weeks] + [1])
    step = w / n
    bars, points = [], []
    for i, (_, count, mean) in enumerate(weeks):
        bh = count / top * (h - 4)
        bars.append(
            f'<rect x="{i * step + 1:.1f}" y="{h - bh:.1f}" width="{step - 2:.1f}" '
            f'height="{bh:.1f}" fill="#c9d4e2"/>'
        )
        if mean is not None:
            points.append(f"{i * step + step / 2:.1f},{h - (mean - 1) / 4 * (h - 4) - 2:.1f}")
    line = (
        f'<polyline fill="none" stroke="#12355b" stroke-width="2" points="{" ".join(points)}"/>'
        if len(points) > 1
        else ""
    )
    label = Markup.escape(title)
    return Markup(  # noqa: S704 - numbers and the escaped title only
        f'<svg class="trend" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        f'preserveAspectRatio="none"><title>{label}</title>{"".join(bars)}{line}</svg>'
    )


@login_required()
async def officer_page(request: Request, me: SessionInfo) -> Response:
    s = svc(request)
    officer = await _officer(request, me)
    stats = await officer_admin.stats(s.store, officer.id)
    ratings = await cases.officer_ratings(s.store, officer.id)
    rows = await cases.list_cases(s.store, me.actor, officer_id=officer.id, limit=50)
    units = [u for u in await list_units(s.store) if me.actor.sees(u.path)]
    shown = flash.take(request, me.csrf)
    response = people_page(
        request, "officer_detail.html", me, officer=officer, ratings=ratings, cases=rows,
        stats=stats, trend=trend_svg(stats.weeks, ptext(request, "trend_title")),
        units=units, can_change=me.actor.role in CAN_CHANGE, flash=shown,
        reissued=request.query_params.get("reissued") == "1",
    )  # fmt: skip
    return flash.shown(request, response, shown)


@login_required()
async def officer_action(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    if me.actor.role not in CAN_CHANGE:
        raise Forbidden("read-only users cannot change officers", "只读用户不能修改民警信息")
    officer = await _officer(request, me)
    store, action = svc(request).store, request.path_params["action"]
    target = f"/admin/officers/{officer.badge_no}"
    try:
        if action == "reissue":
            await officer_admin.reissue(store, me.actor, officer.badge_no)
            target += "?reissued=1"
            msg = ptext(request, "reissued", badge=officer.badge_no)
        elif action == "retire":
            await officer_admin.retire(store, me.actor, officer.badge_no)
            msg = ptext(request, "retired_msg", badge=officer.badge_no)
        elif action == "move":
            await officer_admin.move(store, me.actor, officer.badge_no, form.get("unit", ""))
            msg = ptext(request, "moved", badge=officer.badge_no)
        else:
            raise NotFound()
    except officer_admin.OfficerError as exc:
        raise BadRequest(str(exc)) from None
    return flash.redirect(request, me.csrf, target, {"msg": msg})


@login_required()
async def badge_download(request: Request, me: SessionInfo) -> Response:
    s = svc(request)
    officer = await _officer(request, me)
    if not officer.token or officer.status != "active":
        raise NotFound("no live badge", "该民警没有有效的评价码")
    url = f"{s.settings.public_base_url.rstrip('/')}/r/{officer.token}"
    files = await asyncio.to_thread(
        officer_admin.badge_files, officer, url, s.settings.badge_call_to_action,
        s.settings.bureau_name,
    )  # fmt: skip
    kind = request.path_params["kind"]
    name = officer.badge_no
    if kind == "zip":
        body, media = officer_admin.zip_of(files), "application/zip"
    elif kind in ("png", "pdf"):
        body = next(v for k, v in files.items() if k.endswith("." + kind))
        media = "image/png" if kind == "png" else "application/pdf"
    else:
        raise NotFound()
    return Response(
        body, media_type=media,
        headers={
            "content-disposition": f'attachment; filename="badge-{name}.{kind}"',
            "cache-control": "no-store", "x-content-type-options": "nosniff",
        },
    )  # fmt: skip


def officer_routes() -> list[BaseRoute]:
    return [
        Route("/admin/officers", officers_page, methods=["GET"]),
        Route("/admin/officers/roster", roster_preview, methods=["POST"]),
        Route("/admin/officers/roster/import", roster_commit, methods=["POST"]),
        Route("/admin/officers/{badge_no}", officer_page, methods=["GET"]),
        Route("/admin/officers/{badge_no}/badge.{kind}", badge_download, methods=["GET"]),
        Route("/admin/officers/{badge_no}/{action}", officer_action, methods=["POST"]),
    ]
