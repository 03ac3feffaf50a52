"""A small multipart/form-data body read in one piece: the letter form without photos.

Starlette's form parser (python-multipart) is a streaming byte-by-byte state machine with a
callback per event: about 300 µs of the event loop for the letter form's six short
fields, more than the whole no-op request costs (docs/performance.md, "Letters"). A body
the size of a letter without photos (at most SMALL_BODY bytes, all of it already held)
is split on its boundary here instead, in a few dozen microseconds. Larger bodies (the
letters with photos) still stream through Starlette's parser, which spools their files.

What comes out is the same as from Starlette's parser: each field's value decoded as
UTF-8 (as Latin-1 if it is not valid UTF-8, as Starlette does; the form's checks then see
the text for what it is), a part with a `filename` parameter a file. A body that is not
well-formed multipart raises MalformedForm.
"""

from __future__ import annotations

import re

SMALL_BODY = 64 * 1024
_NAME = re.compile(rb';\s*name="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(rb';\s*filename="([^"]*)"', re.IGNORECASE)
_BOUNDARY = re.compile(r';\s*boundary=(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)
# A part's headers as every browser writes a text field's: the one line, spelt so. Such a
# part is read with this one match; any other goes through the general reading below,
# which gives the same for this one.
_PLAIN_FIELD = re.compile(rb'\r\nContent-Disposition: form-data; name="([^"]*)"')


class MalformedForm(ValueError):
    """The body is not the multipart/form-data its Content-Type says."""


def boundary_of(content_type: str) -> bytes:
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise MalformedForm("no multipart boundary")
    value = found.group(1) or found.group(2)
    if not 1 <= len(value) <= 70 or not value.isascii():
        raise MalformedForm("bad multipart boundary")
    return value.encode("ascii")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse(
    body: bytes, content_type: str, *, max_fields: int, max_files: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str, bytes]]]:
    """(fields as (name, value), files as (name, filename, data)), in body order."""
    delimiter = b"--" + boundary_of(content_type)
    # Every delimiter but a first one at the very start follows a CR LF.
    pieces = (b"\r\n" + body).split(b"\r\n" + delimiter)
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise MalformedForm("the multipart body has no closing boundary")
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, str, bytes]] = []
    for piece in pieces[1:-1]:
        head, sep, data = piece.partition(b"\r\n\r\n")
        plain = _PLAIN_FIELD.fullmatch(head) if sep else None
        if plain is not None:
            fields.append((_decode(plain.group(1)), _decode(data)))
            if len(fields) > max_fields:
                raise MalformedForm(f"too many fields; at most {max_fields}")
            continue
        if not sep or not head.startswith(b"\r\n"):
            raise MalformedForm("a multipart part has no headers")
        disposition = b""
        for line in head[2:].split(b"\r\n"):
            header, colon, value = line.partition(b":")
            if not colon:
                raise MalformedForm("a multipart header line has no colon")
            if header.strip().lower() == b"content-disposition":
                disposition = value
        if not disposition.strip().lower().startswith(b"form-data"):
            raise MalformedForm("a multipart part is not form-data")
        field = _NAME.search(disposition)
        if field is None:
            raise MalformedForm("a multipart part has no name")
        name = _decode(field.group(1))
        filename = _FILENAME.search(disposition)
        if filename is not None:
            files.append((name, _decode(filename.group(1)), data))
            if len(files) > max_files:
                raise MalformedForm(f"too many files; at most {max_files}")
        else:
            fields.append((name, _decode(data)))
            if len(fields) > max_fields:
                raise MalformedForm(f"too many fields; at most {max_fields}")
    return fields, files
