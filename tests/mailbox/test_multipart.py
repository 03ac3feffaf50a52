"""The small-body multipart reader (rating/mailbox/multipart.py) against Starlette's
streaming parser: the same fields and files out of the same bodies, malformed ones refused."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.datastructures import UploadFile
from starlette.requests import Request

from rating.mailbox import multipart


def encoded(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """The body a browser sends (httpx encodes it; with a file part, as a form with a file
    input always is, and the first case's file part taken off again)."""
    request = httpx.Request(
        "POST",
        "http://test/mailbox",
        data=fields,
        files=[(name, (filename, data, "image/jpeg")) for name, filename, data in files]
        or [("drop", ("x", b"", "image/jpeg"))],
    )
    body, ctype = request.read(), request.headers["content-type"]
    if not files:
        boundary = ctype.split("boundary=", 1)[1].encode()
        head, _, _ = body.rpartition(
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="drop"'
        )
        body = head + b"--" + boundary + b"--\r\n"
    return body, ctype


def starlette_parse(
    body: bytes, ctype: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
    async def run() -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
                 "headers": [(b"content-type", ctype.encode())]}  # fmt: skip
        fields, files = [], []
        async with Request(scope, receive).form() as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files.append((name, value.filename or "", await value.read()))
                else:
                    fields.append((name, value))
        return fields, files

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("fields", "files"),
    [
        (
            {"t": "stamp", "lang": "zh", "website": "", "category": "投诉", "text": "窗口\r\n排队"},
            [],
        ),
        ({"text": "a line\r\n--not a boundary\r\n", "phone": ""}, [("photos", "", b"")]),
        ({"text": "x" * 3000}, [("photos", "p.jpg", b"\xff\xd8\r\n\r\n--\xff\xd9")]),
        ({}, [("photos", "a.jpg", b"1"), ("other", "b.png", b"22")]),
    ],
)
def test_same_fields_and_files_as_starlette(
    fields: dict[str, str], files: list[tuple[str, str, bytes]]
) -> None:
    body, ctype = encoded(fields, files)
    ours = multipart.parse(body, ctype, max_fields=20, max_files=10)
    assert ours == starlette_parse(body, ctype)
    assert dict(ours[0]).items() >= fields.items()


def test_invalid_utf8_reads_as_latin1_as_starlette_does() -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'.encode()
        + b"\xff\xfeabc\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    ctype = f"multipart/form-data; boundary={boundary}"
    assert multipart.parse(body, ctype, max_fields=5, max_files=0) == starlette_parse(body, ctype)


@pytest.mark.parametrize(
    "head",
    [
        b'Content-Disposition: form-data; name="t"',  # as browsers write it (one match)
        b'content-disposition: form-data; name="t"',  # any other spelling: read in full
        b'Content-Disposition: form-data; name="t"\r\nContent-Type: text/plain',
        b'Content-Disposition: form-data; name="t"; filename="f.txt"',
        b'Content-Disposition: form-data;name="t"',
    ],
)
def test_each_way_of_writing_a_parts_headers_reads_as_starlette_does(head: bytes) -> None:
    body = b"--b\r\n" + head + b"\r\n\r\nvalue\xe7\xaa\x97\r\n--b--\r\n"
    ctype = "multipart/form-data; boundary=b"
    assert multipart.parse(body, ctype, max_fields=5, max_files=5) == starlette_parse(body, ctype)


B = "multipart/form-data; boundary=b"
FIELD_T = b'--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nx\r\n'


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (FIELD_T, B),  # no closing boundary
        (FIELD_T + b"--b--\r\n", "multipart/form-data"),  # no boundary parameter
        (b"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n", B),
        (b'--b\r\nContent-Disposition: attachment; name="t"\r\n\r\nx\r\n--b--\r\n', B),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n", B),  # no name
    ],
)
def test_malformed_bodies_are_refused(body: bytes, ctype: str) -> None:
    with pytest.raises(multipart.MalformedForm):
        multipart.parse(body, ctype, max_fields=20, max_files=10)


def test_too_many_fields_or_files_are_refused() -> None:
    body, ctype = encoded({f"f{i}": "v" for i in range(21)}, [])
    with pytest.raises(multipart.MalformedForm, match="fields"):
        multipart.parse(body, ctype, max_fields=20, max_files=10)
    body, ctype = encoded({}, [("photos", f"{i}.jpg", b"x") for i in range(4)])
    with pytest.raises(multipart.MalformedForm, match="files"):
        multipart.parse(body, ctype, max_fields=20, max_files=3)
