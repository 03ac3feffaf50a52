"""GET /r/{token}, rendered once per officer and language and compressed once.

The rating page is the same for everyone who scans one officer's badge, except for the
form stamp (the time the page was served, signed). So the page is rendered with a marker
where the stamp goes and kept as two pieces of raw DEFLATE: the part before the stamp,
ended with a full flush (byte-aligned, no back-references past it), and the part after,
compressed on its own. Each request splices its stamp between them as a stored block and
adds the gzip header and trailer: a valid gzip stream for the cost of a CRC.

Entries are dropped when anything on a page can change: a reissued token, a renamed,
moved or retired officer. Those changes bump `page_epoch` in the database (from any
process, e.g. the CLI), which the cache reads at most once per `check_interval` seconds;
a page is never kept from a read older than the last bump it saw.

The ETag names the page's content and the time of the stamp it carries, so a phone that
opens the page again gets 304 while its copy's stamp is younger than `REUSE_MS`, and a
fresh page (and stamp) after that.
"""

from __future__ import annotations

import hashlib
import struct
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

STAMP_MARK = "@@PINGJING-STAMP@@"
# The gzip header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# A copy in the browser keeps its stamp this long; well inside the form's maximum age.
REUSE_MS = 30 * 60_000


@dataclass(frozen=True)
class CachedPage:
    head: bytes  # the HTML before the stamp
    tail: bytes  # the HTML after it
    head_z: bytes  # raw DEFLATE of head, ending in a full flush
    tail_z: bytes  # raw DEFLATE of tail, ending in the final block
    head_crc: int
    digest: str  # names the content (without the stamp) in the ETag

    @classmethod
    def build(cls, html: str, level: int = 9) -> CachedPage:
        head_s, sep, tail_s = html.partition(STAMP_MARK)
        if not sep or STAMP_MARK in tail_s:
            raise ValueError("the page must hold the stamp marker exactly once")
        head, tail = head_s.encode("utf-8"), tail_s.encode("utf-8")
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        head_z = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        tail_z = c.compress(tail) + c.flush(zlib.Z_FINISH)
        digest = hashlib.blake2b(head + b"\0" + tail, digest_size=9).hexdigest()
        return cls(head, tail, head_z, tail_z, zlib.crc32(head), digest)

    def plain(self, stamp: bytes) -> bytes:
        return self.head + stamp + self.tail

    def gzip(self, stamp: bytes) -> bytes:
        """The page with `stamp` spliced in, as one gzip member."""
        crc = zlib.crc32(self.tail, zlib.crc32(stamp, self.head_crc))
        size = len(self.head) + len(stamp) + len(self.tail)
        parts = [_GZIP_HEADER, self.head_z]
        # Stored blocks (BFINAL 0, BTYPE 00, byte-aligned after the full flush), each
        # holding at most 65,535 bytes; a stamp needs one.
        for i in range(0, len(stamp), 0xFFFF):
            chunk = stamp[i : i + 0xFFFF]
            parts += (b"\x00", struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF), chunk)
        parts += (self.tail_z, struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(parts)

    def etag(self, issued_ms: int) -> str:
        return f'W/"{self.digest}-{issued_ms}"'


def reusable(if_none_match: str, page: CachedPage, now_ms: int) -> bool:
    """Whether the browser's copy (named by If-None-Match) may be used again: same content,
    and a stamp younger than REUSE_MS."""
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        digest, _, issued = tag.partition("-")
        if digest == page.digest and issued.isdigit() and 0 <= now_ms - int(issued) < REUSE_MS:
            return True
    return False


class PageCache:
    """Rendered rating pages by (token, lang), least recently used dropped past `size`."""

    def __init__(self, size: int, check_interval: float = 1.0) -> None:
        self.size = size
        self.check_interval = check_interval
        self._pages: OrderedDict[tuple[str, str], CachedPage] = OrderedDict()
        self._epoch: int | None = None
        self._generation = 0  # bumped whenever the cache is emptied
        self._checked = float("-inf")
        self._checking = False

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, token: str, lang: str) -> CachedPage | None:
        page = self._pages.get((token, lang))
        if page is not None:
            self._pages.move_to_end((token, lang))
        return page

    @property
    def generation(self) -> int:
        return self._generation

    def put(self, token: str, lang: str, page: CachedPage, generation: int) -> None:
        """Keep a page rendered from a read made at `generation` (else it may be stale)."""
        if self.size <= 0 or generation != self._generation:
            return
        self._pages[(token, lang)] = page
        self._pages.move_to_end((token, lang))
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        self._pages.clear()
        self._generation += 1

    def due(self, now: float | None = None) -> bool:
        """Whether the epoch should be read now (at most one reader at a time)."""
        now = time.monotonic() if now is None else now
        return not self._checking and now - self._checked >= self.check_interval

    async def refresh(self, read_epoch: Callable[[], Awaitable[int]]) -> None:
        """Read the database's page epoch; empty the cache if it moved."""
        self._checking = True
        try:
            epoch = await read_epoch()
            if epoch != self._epoch:
                if self._epoch is not None or self._pages:
                    self.clear()
                self._epoch = epoch
            self._checked = time.monotonic()
        finally:
            self._checking = False
