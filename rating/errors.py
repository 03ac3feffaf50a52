"""One error shape: JSON for API calls, a friendly page in the user's language for browsers."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rating import domain_errors

log = logging.getLogger("pingjing.errors")


class HTTPError(domain_errors.BilingualError):
    status = 500
    default_en = "internal error"
    default_zh = "服务器内部错误"


class BadRequest(HTTPError):
    status = 400
    default_en = "bad request"
    default_zh = "请求有误"


class Unauthorized(HTTPError):
    """No credentials, or unknown ones (answered with `WWW-Authenticate: Bearer`)."""

    status = 401
    default_en = "authentication required (Authorization: Bearer ...)"
    default_zh = "需要身份验证"


class Forbidden(HTTPError):
    status = 403
    default_en = "forbidden"
    default_zh = "无权访问"


class NotFound(HTTPError):
    status = 404
    default_en = "not found"
    default_zh = "页面不存在"


class Gone(HTTPError):
    status = 410
    default_en = "this code is no longer valid"
    default_zh = "此二维码已失效"


class Conflict(HTTPError):
    status = 409
    default_en = "conflict"
    default_zh = "请求冲突"


class PayloadTooLarge(HTTPError):
    status = 413
    default_en = "request body too large"
    default_zh = "提交内容过大"


class UnsupportedMediaType(HTTPError):
    status = 415
    default_en = "expected Content-Type: application/json"
    default_zh = "请求格式应为 application/json"


class TooManyRequests(HTTPError):
    status = 429
    default_en = "too many ratings from this device or network; please try again later"
    default_zh = "提交过于频繁，请稍后再试"


class ServiceUnavailable(HTTPError):
    status = 503
    default_en = "the rating could not be stored; please try again"
    default_zh = "评价暂时无法保存，请稍后重试"


# The one place a domain error becomes an HTTP status.
_DOMAIN_TO_HTTP: dict[type[domain_errors.DomainError], type[HTTPError]] = {
    domain_errors.Invalid: BadRequest,
    domain_errors.NotFound: NotFound,
    domain_errors.Forbidden: Forbidden,
    domain_errors.Conflict: Conflict,
}


def to_http(exc: domain_errors.DomainError) -> HTTPError:
    """The HTTP error answering a domain error, with its messages."""
    for domain, http in _DOMAIN_TO_HTTP.items():
        if isinstance(exc, domain):
            return http(exc.en, exc.zh)
    return BadRequest(exc.en, exc.zh)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/metrics", "/openapi.json")


def error_payload(status: int, message: str) -> dict[str, object]:
    return {"ok": False, "error": message, "status": status}


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_payload(status, message), status_code=status)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    if wants_json(request):
        response = json_error(exc.status, exc.en)
        if exc.status == 401:
            response.headers["www-authenticate"] = "Bearer"
        return response
    # Parts with an error page of their own (the admin frame) register it on the app
    # (`app.state.error_pages`: coroutine functions that answer or return None), so this
    # module does not import them.
    for own_page in getattr(request.app.state, "error_pages", ()):
        own: Response | None = await own_page(request, exc)
        if own is not None:
            return own
    from rating.pages import error_page

    return error_page(request, exc.status, exc)


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain_errors.DomainError)
    return await handle_http_error(request, to_http(exc))


async def handle_starlette_http(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 in the same shape."""
    status = int(getattr(exc, "status_code", 500))
    mapped: HTTPError
    if status == 404:
        mapped = NotFound()
    elif status == 405:
        mapped = BadRequest("method not allowed", "不支持该请求方法")
        mapped.status = 405
    else:
        mapped = HTTPError(str(getattr(exc, "detail", "error")))
        mapped.status = status
    response = await handle_http_error(request, mapped)
    # Keep Starlette's headers, e.g. the Allow list a 405 must carry.
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return await handle_http_error(request, HTTPError())
