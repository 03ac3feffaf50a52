"""Admin upload of hotline work-order exports: the import log, the form, the rejects CSV.

Thin handlers over the same library calls as `pingjing workorders import`
(`read_export`, then `import_parsed`), run in a worker process of their own
(rating.workorders.worker) so an import never holds the server's event loop; only admins
may use them.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating import metrics
from rating.admin.auth import SessionInfo
from rating.admin.texts import text
from rating.admin.texts_wo_loop import wo_texts
from rating.admin.web import check_csrf, login_required, page
from rating.bodycap import UPLOAD_MAX_BYTES, UPLOAD_SLACK_BYTES
from rating.errors import BadRequest, NotFound
from rating.i18n import pick_lang
from rating.service import svc
from rating.tabular import ImportFileError
from rating.workorders import CHANNELS, service
from rating.workorders.profiles import ProfileError, builtin_names, load_profile
from rating.workorders.worker import SHOW_ERRORS, Job, Summary, run_import

# Room for the multipart framing and the small fields around the file.
SHOW_UNMATCHED = 50
LOG_ROWS = 30


# Only admins: an import changes every unit's figures.
admin_only = login_required(
    "admin", refuse=("only admins may import work orders", "仅管理员可以导入工单")
)


def _profiles() -> list[tuple[str, str]]:
    return [(name, load_profile(name).title) for name in builtin_names()]


async def _render(request: Request, me: SessionInfo, status: int = 200, **ctx: Any) -> Response:
    imports = await service.list_imports(svc(request).store, LOG_ROWS)
    ctx.setdefault("form", {})
    profiles = _profiles()
    return page(
        request, "workorders.html", me, status=status, imports=imports,
        channels=CHANNELS, profiles=profiles, profile_titles=dict(profiles),
        max_mb=UPLOAD_MAX_BYTES // (1024 * 1024),
        show_unmatched=SHOW_UNMATCHED, toggle=("/admin/workorders", {}),
        wt=wo_texts(pick_lang(request)), **ctx,
    )  # fmt: skip


@admin_only
async def workorders_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


def _file_name(raw: str | None) -> str:
    # Some browsers send the full client path; keep the last part, as the CLI logs it.
    name = re.split(r"[\\/]", raw or "")[-1].strip()
    return name[:200] or "upload"


@admin_only
async def import_upload(request: Request, me: SessionInfo) -> Response:
    too_big = text(request, "wo_too_big", mb=UPLOAD_MAX_BYTES // (1024 * 1024))
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise BadRequest("Content-Length required", "请求缺少长度信息，请用页面上的表单上传")
    if int(length) > UPLOAD_MAX_BYTES + UPLOAD_SLACK_BYTES:
        return await _render(request, me, status=413, error=too_big)
    with tempfile.TemporaryDirectory(prefix="pingjing-upload-") as tmp:
        async with request.form(max_files=1, max_fields=20) as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            check_csrf(me.csrf, fields)
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return await _render(
                    request, me, status=400, error=text(request, "wo_choose_file"), form=fields
                )
            name = _file_name(upload.filename)
            # The suffix tells a mislabelled workbook from a CSV (reader.read_sheet).
            suffix = re.sub(r"[^A-Za-z0-9.]", "", PurePath(name).suffix)[:10]
            saved = Path(tmp) / f"upload{suffix}"
            # Copied to a file of ours in a thread, never read into memory whole.
            size = await asyncio.to_thread(_save, upload, saved)
        channel = fields.get("channel", "")
        profile = fields.get("profile", "") or None
        skip_bad = fields.get("skip_bad") in ("1", "on")
        if channel not in CHANNELS:
            raise BadRequest("unknown channel", "请选择渠道")
        if profile is not None and profile not in builtin_names():
            # Only the built-in profiles: a file path would read files on the server.
            raise BadRequest("unknown profile", "未知的列配置")
        if size > UPLOAD_MAX_BYTES:
            return await _render(request, me, status=413, error=too_big, form=fields)
        if not size:
            error = text(request, "wo_empty", name=name)
            return await _render(request, me, status=400, error=error, form=fields)
        job = Job(svc(request).settings, str(saved), name, channel, profile, skip_bad)
        started = time.perf_counter()
        try:
            summary = await run_import(job)
        except (ImportFileError, ProfileError) as exc:
            metrics.IMPORT_SECONDS.labels("unreadable").observe(time.perf_counter() - started)
            # Only built-in profiles are offered here, so a ProfileError is our own bug.
            why = exc.reason.text(pick_lang(request)) if isinstance(exc, ImportFileError) else exc
            error = text(request, "wo_unreadable", name=name, reason=why)
            return await _render(request, me, status=400, error=error, form=fields)
    outcome = "stored" if summary.stored else "refused"
    metrics.IMPORT_SECONDS.labels(outcome).observe(time.perf_counter() - started)
    csv_kind = text(request, "wo_csv_kind", encoding=summary.encoding)
    return await _render(
        request, me, status=200 if summary.stored else 422, form=fields,
        outcome=_outcome(summary, channel, csv_kind),
    )  # fmt: skip


def _save(upload: UploadFile, dest: Path) -> int:
    """Copy the upload to `dest` (at most UPLOAD_MAX_BYTES + 1 bytes); its size."""
    upload.file.seek(0)
    size = 0
    with dest.open("wb") as out:
        while size <= UPLOAD_MAX_BYTES:
            chunk = upload.file.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
            size += len(chunk)
    return size


def _outcome(summary: Summary, channel: str, csv_kind: str) -> dict[str, Any]:
    return {
        "name": summary.name,
        "channel": channel,
        "kind": csv_kind if summary.kind == "csv" else summary.kind.upper(),
        "profile": summary.profile,
        "header_line": summary.header_line,
        "data_rows": summary.data_rows,
        "ignored": summary.ignored,
        "stored": summary.stored,
        "bad_lines": summary.bad_lines,
        "errors": summary.errors[:SHOW_ERRORS],
        "more_errors": max(0, summary.error_count - SHOW_ERRORS),
        "result": summary.result,
        "rejects": summary.stored and summary.rejects,
    }


@admin_only
async def rejects_download(request: Request, me: SessionInfo) -> Response:
    raw = str(request.path_params["import_id"])
    found = await service.import_rejects(svc(request).store, int(raw)) if raw.isdigit() else None
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
