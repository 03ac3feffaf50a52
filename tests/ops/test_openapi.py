"""The OpenAPI contract: valid, complete, served, and the same as docs/api.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Route

from rating import openapi
from rating.app import create_app
from rating.openapi import markdown as api_docs
from rating.settings import Settings
from tests.conftest import Web

ROOT = Path(__file__).resolve().parents[2]
JSON_PATHS = ("/api/", "/healthz", "/openapi.json", "/metrics")


def _validator(name: str) -> jsonschema.Draft202012Validator:
    doc = openapi.spec()
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    ref = {"$ref": f"urn:spec#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(ref, registry=registry)


def test_document_is_valid_openapi_3_1() -> None:
    doc = openapi.spec()
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any error


def test_every_json_route_is_declared_and_nothing_else(tmp_path: Path) -> None:
    app = create_app(Settings.load(env={}, database=str(tmp_path / "x.db")))
    served = {
        (method.lower(), route.path)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith(JSON_PATHS)
        for method in (route.methods or ())
        if method != "HEAD"
    }
    declared = {(op.method, op.path) for op in openapi.OPERATIONS}
    assert served == declared


def test_every_operation_documents_its_errors_in_the_one_shape() -> None:
    doc = openapi.spec()
    error = _validator("Error")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, resp in op["responses"].items():
                if int(status) >= 400:
                    media = resp["content"]["application/json"]
                    assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
                    error.validate(media["example"])
                    assert media["example"]["status"] == int(status)
                    assert resp["description"], (method, path, status)


def test_examples_match_their_schemas() -> None:
    doc = openapi.spec()
    checked = 0
    for item in doc["paths"].values():
        for op in item.values():
            media: list[dict[str, Any]] = [
                r["content"]["application/json"]
                for r in op["responses"].values()
                if "application/json" in r["content"]
            ]
            if "requestBody" in op:
                media.append(op["requestBody"]["content"]["application/json"])
            for m in media:
                if "example" in m and "$ref" in m["schema"]:
                    _validator(m["schema"]["$ref"].rsplit("/", 1)[-1]).validate(m["example"])
                    checked += 1
    assert checked >= 10


def test_auth_schemes_are_bearer_and_used() -> None:
    doc = openapi.spec()
    schemes = doc["components"]["securitySchemes"]
    assert {s["scheme"] for s in schemes.values()} == {"bearer"}
    used = {
        name
        for item in doc["paths"].values()
        for op in item.values()
        for req in op["security"]
        for name in req
    }
    assert used == set(schemes)


async def test_served_document_is_the_generated_one(web: Web) -> None:
    response = await web.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(json.dumps(openapi.spec()))


async def test_responses_match_the_schema(web: Web) -> None:
    """A created rating, its receipt and a few errors, checked against the document."""
    created = await web.client.post("/api/v1/ratings", json=web.rating(level=2, comment="慢"))
    assert created.status_code == 201
    _validator("RatingCreated").validate(created.json())
    receipt = await web.client.get(f"/api/v1/receipts/{created.json()['receipt_display']}")
    assert receipt.status_code == 200
    _validator("Receipt").validate(receipt.json())
    assert receipt.json()["case"]["state"] == "open"
    assert receipt.json()["officer"]["badge_no"] == "100001"
    assert "comment" not in receipt.json()
    assert receipt.headers["cache-control"] == "no-store"
    missing = await web.client.get("/api/v1/receipts/P7GTTMGR0A24")
    assert missing.status_code == 404
    _validator("Error").validate(missing.json())
    health = await web.client.get("/healthz")
    _validator("Health").validate(health.json())


def test_docs_api_md_is_generated_from_the_code() -> None:
    """Regenerate with: python -m rating.openapi --markdown docs/api.md"""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert api_docs.BEGIN in text
    assert api_docs.render_into(text) == text


def test_the_module_prints_the_document_and_rewrites_a_stale_api_md(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m rating.openapi` as `make docs` runs it: the JSON document on stdout, or
    --markdown FILE rewriting only FILE's generated section."""
    from rating.openapi.__main__ import main

    assert main([]) == 0
    assert json.loads(capsys.readouterr().out) == openapi.spec()

    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    head, _, rest = current.partition(api_docs.BEGIN)
    _, _, tail = rest.partition(api_docs.END)
    stale = tmp_path / "api.md"
    stale.write_text(f"{head}{api_docs.BEGIN}\n| old | table |\n{api_docs.END}{tail}", "utf-8")
    assert main(["--markdown", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == current


@pytest.mark.parametrize("op", openapi.OPERATIONS, ids=lambda op: op.operation_id)
def test_every_operation_is_in_docs(op: openapi.Op) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert f"### `{op.method.upper()} {op.path}`" in text
