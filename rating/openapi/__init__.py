"""The OpenAPI 3.1 contract of every JSON endpoint, built from the code.

Each operation is declared once in ``operations.OPERATIONS``, its bodies in
``schemas.SCHEMAS`` (built from the handlers' own rules and dataclasses). ``spec()`` turns
them into the document served at /openapi.json; ``markdown.markdown()`` renders it into
docs/api.md (``python -m rating.openapi --markdown docs/api.md``). Tests check that every
JSON route of the app is declared and nothing else is, that the document validates, and
that docs/api.md is what the code prints today.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rating.openapi.operations import OPERATIONS, SECURITY_SCHEMES, Op
from rating.openapi.schemas import ERROR, ERROR_CLASSES, EXAMPLES, SCHEMAS, VERSION

__all__ = ["OPERATIONS", "SCHEMAS", "SECURITY_SCHEMES", "Op", "endpoint", "spec", "spec_bytes"]


def error_example(status: int, why: str) -> dict[str, Any]:
    cls = ERROR_CLASSES[status]
    return {"ok": False, "error": cls.default_en, "status": status}


def _response(op: Op, status: int, name: str) -> dict[str, Any]:
    if name == "OpenAPI":
        content = {"application/json": {"schema": {"type": "object"}}}
    elif name == "Metrics":
        content = {"text/plain": {"schema": {"type": "string"}}}
    elif name == "Photo":
        content = {"image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}}
    else:
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
        if name in EXAMPLES:
            example = dict(EXAMPLES[name])
            if name == "RatingCreated" and status == 200:
                example["amended"] = True
            if name in ("LetterCreated", "WorkorderRuleAdded") and status == 200:
                example["created"] = False
            media["example"] = example
        content = {"application/json": media}
    out: dict[str, Any] = {"description": op.summary if status < 300 else "", "content": content}
    if status == 201 and op.operation_id == "createRating":
        out["description"] = "stored: the rating is durably committed"
    elif status == 200 and op.operation_id == "createRating":
        out["description"] = "amended: the same device rated this officer within the window"
    elif status == 201 and op.operation_id == "createLetter":
        out["description"] = "stored: the letter and its case are durably committed"
    elif status == 200 and op.operation_id == "createLetter":
        out["description"] = "already stored: the same stamp's letter, its receipt"
    if status in op.links:
        out["links"] = op.links[status]
    return out


def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        for status, name in sorted(op.ok.items()):
            responses[str(status)] = _response(op, status, name)
        for status, why in sorted(op.errors.items()):
            responses[str(status)] = {
                "description": why,
                "content": {
                    "application/json": {
                        "schema": ERROR,
                        "example": error_example(status, why),
                    }
                },
            }
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "tags": [op.tag],
            "summary": op.summary,
            "responses": responses,
        }
        if op.params:
            item["parameters"] = list(op.params)
        if op.body:
            media = {"schema": {"$ref": f"#/components/schemas/{op.body}"}}
            if op.body in EXAMPLES:
                media["example"] = EXAMPLES[op.body]
            item["requestBody"] = {"required": True, "content": {"application/json": media}}
        item["security"] = [{op.security: []}] if op.security else []
        if op.security_optional:
            item["security"].append({})
        paths.setdefault(op.path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pingjing (评警) API",
            "version": VERSION,
            "description": "Scan-to-rate feedback for police bureaus. Every error is "
            '`{"ok": false, "error": "<what was wrong>", "status": <code>}`; a wrong method '
            "on a known path answers 405 with an Allow header, in the same shape.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


@functools.cache
def spec_bytes() -> bytes:
    return json.dumps(spec(), ensure_ascii=False, indent=1).encode()


async def endpoint(request: Request) -> Response:
    """GET /openapi.json."""
    return Response(spec_bytes(), media_type="application/json")
