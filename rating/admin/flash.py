"""A one-time message carried across POST/redirect/GET, for secrets shown once.

A new password, an API token or a kiosk's enrolment code must be shown once, yet every
admin POST redirects so a refresh never repeats it. The POST puts the secret in a short-lived
cookie (path /admin, HttpOnly, SameSite=Strict) sealed with a key derived from the session's
CSRF token, so only the same session can open it; the GET page shows it and deletes the
cookie, so a reload no longer shows it.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rating.service import svc

FLASH_COOKIE = "pj_flash"
FLASH_SECONDS = 120


def _aead(csrf: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pingjing flash v1").derive(
        csrf.encode("utf-8")
    )
    return AESGCM(key)


def put(response: Response, csrf: str, payload: dict[str, Any], secure: bool) -> None:
    """Seal `payload` into the flash cookie of `response` (a redirect)."""
    nonce = secrets.token_bytes(12)
    sealed = _aead(csrf).encrypt(nonce, json.dumps(payload).encode("utf-8"), b"flash")
    value = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    response.set_cookie(
        FLASH_COOKIE, value, max_age=FLASH_SECONDS, path="/admin", httponly=True,
        samesite="strict", secure=secure,
    )  # fmt: skip


def take(request: Request, csrf: str) -> dict[str, Any] | None:
    """The flash of this session, if any (the caller must `clear` it on its response)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or not csrf:
        return None
    try:
        blob = base64.urlsafe_b64decode(raw.encode("ascii"))
        plain = _aead(csrf).decrypt(blob[:12], blob[12:], b"flash")
        payload = json.loads(plain)
    except (ValueError, InvalidTag, UnicodeError):
        return None
    return payload if isinstance(payload, dict) else None


def clear(response: Response, secure: bool) -> None:
    response.delete_cookie(
        FLASH_COOKIE, path="/admin", httponly=True, samesite="strict", secure=secure
    )


def redirect(request: Request, csrf: str, url: str, payload: dict[str, Any]) -> Response:
    """A 303 to `url` (POST/redirect/GET) carrying `payload` in the sealed flash cookie."""
    response = RedirectResponse(url, status_code=303)
    put(response, csrf, payload, svc(request).settings.cookie_secure)
    return response


def shown(
    request: Request, response: Response, payload: dict[str, Any] | None, status: int = 200
) -> Response:
    """`response` (a page that showed `payload`, a taken flash) with `status`, and the
    flash cookie cleared once shown, so a reload no longer shows it."""
    response.status_code = status
    if payload is not None:
        clear(response, svc(request).settings.cookie_secure)
    return response
