"""Admin upload of hotline work-order exports: the import log, the form, the rejects CSV.

Thin handlers over the same library calls as `pingjing workorders import`
(`read_export`, then `import_parsed`); only admins may use them.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating import metrics
from rating.admin import auth
from rating.admin.texts import text
from rating.admin.views import _check_csrf, _page, _session, _to_login
from rating.errors import BadRequest, Forbidden, NotFound
from rating.i18n import pick_lang
from rating.service import svc
from rating.workorders import CHANNELS
from rating.workorders.parse import ParsedFile, read_export
from rating.workorders.profiles import ProfileError, builtin_names, load_profile
from rating.workorders.reader import ImportFileError
from rating.workorders.store import ImportResult, import_parsed, import_rejects, list_imports

UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# Room for the multipart framing and the small fields around the file.
_BODY_SLACK = 64 * 1024
SHOW_ERRORS = 200
SHOW_UNMATCHED = 50
LOG_ROWS = 30


async def _admin(request: Request) -> auth.SessionInfo | Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    if info.actor.role != "admin":
        raise Forbidden("only admins may import work orders", "仅管理员可以导入工单")
    return info


def _profiles() -> list[tuple[str, str]]:
    return [(name, load_profile(name).title) for name in builtin_names()]


async def _render(
    request: Request, info: auth.SessionInfo, status: int = 200, **ctx: Any
) -> Response:
    imports = await svc(request).store.read(list_imports, LOG_ROWS)
    ctx.setdefault("form", {})
    return _page(
        request, "workorders.html", info, status=status, imports=imports,
        channels=CHANNELS, profiles=_profiles(), max_mb=UPLOAD_MAX_BYTES // (1024 * 1024),
        show_unmatched=SHOW_UNMATCHED, toggle=("/admin/workorders", {}), **ctx,
    )  # fmt: skip


async def workorders_page(request: Request) -> Response:
    info = await _admin(request)
    if isinstance(info, Response):
        return info
    return await _render(request, info)


def _file_name(raw: str | None) -> str:
    # Some browsers send the full client path; keep the last part, as the CLI logs it.
    name = re.split(r"[\\/]", raw or "")[-1].strip()
    return name[:200] or "upload"


async def import_upload(request: Request) -> Response:
    info = await _admin(request)
    if isinstance(info, Response):
        return info
    too_big = text(request, "wo_too_big", mb=UPLOAD_MAX_BYTES // (1024 * 1024))
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise BadRequest("Content-Length required", "请求缺少长度信息，请用页面上的表单上传")
    if int(length) > UPLOAD_MAX_BYTES + _BODY_SLACK:
        return await _render(request, info, status=413, error=too_big)
    async with request.form(max_files=1, max_fields=20) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        _check_csrf(info.csrf, fields)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _render(
                request, info, status=400, error=text(request, "wo_choose_file"), form=fields
            )
        raw = await upload.read(UPLOAD_MAX_BYTES + 1)
        name = _file_name(upload.filename)
    channel = fields.get("channel", "")
    profile = fields.get("profile", "") or None
    skip_bad = fields.get("skip_bad") in ("1", "on")
    if channel not in CHANNELS:
        raise BadRequest("unknown channel", "请选择渠道")
    if profile is not None and profile not in builtin_names():
        # Only the built-in profiles: a file path would read files on the server.
        raise BadRequest("unknown profile", "未知的列配置")
    if len(raw) > UPLOAD_MAX_BYTES:
        return await _render(request, info, status=413, error=too_big, form=fields)
    if not raw:
        error = text(request, "wo_empty", name=name)
        return await _render(request, info, status=400, error=error, form=fields)
    keys = svc(request).keys
    started = time.perf_counter()
    try:
        parsed = await asyncio.to_thread(read_export, raw, channel, profile, keys, name=name)
    except (ImportFileError, ProfileError) as exc:
        metrics.IMPORT_SECONDS.labels("unreadable").observe(time.perf_counter() - started)
        # Only built-in profiles are offered here, so a ProfileError is our own bug: English.
        why = exc.reason.text(pick_lang(request)) if isinstance(exc, ImportFileError) else exc
        error = text(request, "wo_unreadable", name=name, reason=why)
        return await _render(request, info, status=400, error=error, form=fields)
    del raw
    result = await import_parsed(svc(request).store, parsed, channel, skip_bad=skip_bad)
    stored = not parsed.errors or skip_bad
    outcome = "stored" if stored else "refused"
    metrics.IMPORT_SECONDS.labels(outcome).observe(time.perf_counter() - started)
    csv_kind = text(request, "wo_csv_kind", encoding=parsed.encoding)
    return await _render(
        request, info, status=200 if stored else 422, form=fields,
        outcome=_outcome(parsed, result, channel, stored, csv_kind),
    )  # fmt: skip


def _outcome(
    parsed: ParsedFile, result: ImportResult, channel: str, stored: bool, csv_kind: str
) -> dict[str, Any]:
    return {
        "name": parsed.path.name,
        "channel": channel,
        "kind": csv_kind if parsed.kind == "csv" else "XLSX",
        "profile": parsed.profile.name,
        "header_line": parsed.header_line,
        "data_rows": parsed.data_rows,
        "ignored": parsed.ignored,
        "stored": stored,
        "bad_lines": parsed.bad_lines,
        "errors": parsed.errors[:SHOW_ERRORS],
        "more_errors": max(0, len(parsed.errors) - SHOW_ERRORS),
        "result": result,
        "rejects": stored and bool(parsed.rejected),
    }


async def rejects_download(request: Request) -> Response:
    info = await _admin(request)
    if isinstance(info, Response):
        return info
    raw = str(request.path_params["import_id"])
    found = await svc(request).store.read(import_rejects, int(raw)) if raw.isdigit() else None
    if found is None:
        raise NotFound("no rejected rows for this import", "该次导入没有被拒绝的行")
    file_name, text = found
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    download = f"{stem}.rejected.csv"
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="import-{raw}.rejected.csv"; '
            f"filename*=UTF-8''{quote(download)}",
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


def workorder_routes() -> list[BaseRoute]:
    return [
        Route("/admin/workorders", workorders_page, methods=["GET"]),
        Route("/admin/workorders/import", import_upload, methods=["POST"]),
        Route(
            "/admin/workorders/imports/{import_id}/rejected.csv",
            rejects_download,
            methods=["GET"],
        ),
    ]
