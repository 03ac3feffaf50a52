"""python -m rating.openapi [--markdown FILE]: print the document or rewrite FILE's section."""

from __future__ import annotations

from rating.openapi import spec_bytes
from rating.openapi.markdown import render_into


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Print or write the OpenAPI document.")
    parser.add_argument("--markdown", metavar="FILE", help="rewrite FILE's generated section")
    args = parser.parse_args(argv)
    if args.markdown:
        path = Path(args.markdown)
        path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(spec_bytes().decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
