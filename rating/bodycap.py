"""Request bodies capped by route, before anything parses them.

Starlette caps each form field, not the form: 990 fields of 1 MB each once cost a login
request a gigabyte. This ASGI middleware refuses a body larger than its route's cap as
soon as the Content-Length (or the bytes received so far) say so, with 413, so no handler
ever holds more than the cap: citizen forms and the login stay tiny, JSON APIs get a
little more, uploads their documented 20 MB.
"""

from __future__ import annotations

CITIZEN_MAX_BYTES = 16 * 1024
JSON_API_MAX_BYTES = 64 * 1024
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
