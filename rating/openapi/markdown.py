"""docs/api.md's generated section: the OpenAPI document as tables."""

from __future__ import annotations

import json
from typing import Any

from rating.openapi import error_example, spec
from rating.openapi.operations import SECURITY_SCHEMES
from rating.openapi.schemas import SCHEMAS

BEGIN = "<!-- BEGIN GENERATED: python -m rating.openapi --markdown -->"
END = "<!-- END GENERATED -->"


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"] if v is not None)
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "oneOf" in schema:
        return " or ".join(_type_text(s) for s in schema["oneOf"])
    if "contentMediaType" in schema:
        return f"{schema['contentMediaType']} bytes"
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"list of {_type_text(schema['items'])}"
    limits = []
    for key, word in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤")):
        if key in schema:
            limits.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        limits.append(f"`{schema['pattern']}`")
    return str(kind) + (f" ({', '.join(limits)})" if limits else "")


def _fields_table(name: str) -> list[str]:
    schema = SCHEMAS[name]
    lines = [f"`{name}`:", "", "| field | type | required | notes |", "|---|---|---|---|"]
    required = set(schema.get("required", []))
    for prop, sub in schema["properties"].items():
        desc = sub.get("description", "").replace("|", "\\|")
        need = "yes" if prop in required else ""
        lines.append(f"| `{prop}` | {_type_text(sub)} | {need} | {desc} |")
    return [*lines, ""]


def _refs(schema: dict[str, Any]) -> list[str]:
    """The schemas a schema's fields name (directly, as list items or as one of several)."""
    found: list[str] = []
    for sub in schema.get("properties", {}).values():
        for part in (sub, sub.get("items", {}), *sub.get("oneOf", [])):
            if "$ref" in part:
                found.append(str(part["$ref"]).rsplit("/", 1)[-1])
    return found


def markdown() -> str:
    """The generated reference section of docs/api.md."""
    doc = spec()
    out = [
        BEGIN,
        "",
        "## Endpoint reference (generated from rating/openapi.py)",
        "",
        "The machine-readable contract is served at `GET /openapi.json` (OpenAPI 3.1). "
        "Every error has the one shape "
        '`{"ok": false, "error": "<what was wrong>", "status": <code>}`.',
        "",
        "Authentication: "
        + "; ".join(
            f"**{name}** (`Authorization: Bearer …`): {s['description']}"
            for name, s in SECURITY_SCHEMES.items()
        ),
        "",
    ]
    shown: list[str] = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            out.append(f"### `{method.upper()} {path}`")
            out.append("")
            out.append(op["summary"] + ".")
            if op["security"]:
                out.append(f"Auth: {next(iter(op['security'][0]))}.")
            out.append("")
            for p in op.get("parameters", []):
                out.append(f"- {p['in']} `{p['name']}`: {_type_text(p['schema'])} — "
                           f"{p['description']}")  # fmt: skip
            if "requestBody" in op:
                media = op["requestBody"]["content"]["application/json"]
                body = media["schema"]["$ref"].rsplit("/", 1)[-1]
                out.append(f"- body: `{body}` (JSON)")
                if body not in shown:
                    shown.append(body)
            out.append("")
            out.append("| status | meaning | body |")
            out.append("|---|---|---|")
            for status, resp in op["responses"].items():
                media = next(iter(resp["content"].values()))
                name = _type_text(media["schema"])
                if name not in shown and name in SCHEMAS and name != "Error":
                    shown.append(name)
                why = resp["description"].replace("|", "\\|")
                out.append(f"| {status} | {why} | {name} |")
                if "links" in resp:
                    for link, spec_link in resp["links"].items():
                        out.append(f"| | link `{link}` → `{spec_link['operationId']}` "
                                   f"with {spec_link['parameters']} | |")  # fmt: skip
            example = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "example" in example:
                out += ["", "Example body:", "", "```json",
                        json.dumps(example["example"], ensure_ascii=False), "```"]  # fmt: skip
            out.append("")
    out += ["## Schemas", ""]
    # The schemas that the bodies' fields name get their own tables too (a letter's fields,
    # a case's), each after the first that names it.
    for name in shown:
        shown += [
            r for r in _refs(SCHEMAS[name]) if r in SCHEMAS and r not in shown and r != "Error"
        ]
    for name in shown:
        out += _fields_table(name)
    out += ["`Error`:", "", "```json", json.dumps(error_example(400, "")), "```", "", END]
    return "\n".join(out) + "\n"


def splice(text: str, section: str, begin: str, end: str = END) -> str:
    """`text` with the generated section between the `begin` and `end` markers replaced by
    `section` (which carries both markers), or with `section` appended where there is none.
    docs/api.md and docs/cli.md (rating.clidoc) are rewritten this one way."""
    head, sep, rest = text.partition(begin)
    if not sep:
        return text.rstrip("\n") + "\n\n" + section
    _, _, tail = rest.partition(end)
    tail = tail.lstrip("\n")
    return head + section + (("\n" + tail) if tail else "")


def render_into(text: str) -> str:
    """`text` (docs/api.md) with its generated section replaced by today's."""
    return splice(text, markdown(), BEGIN)
