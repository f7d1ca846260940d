"""An API answer's body, read in chunks with a bound on its size after decompression.

An envelope is a few hundred bytes; the bound stops a runaway or hostile body (a 300 KB gzip
answer can inflate to gigabytes) before it is held in memory.
"""

from __future__ import annotations

import zlib

import aiohttp

from .answers import unexpected_answer

MAX_ANSWER_BYTES = 1024 * 1024
ANSWER_CHUNK_BYTES = 64 * 1024
# Only what `_Inflater` can decode with a size bound; aiohttp would otherwise offer br/zstd.
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    """Undoes a Content-Encoding chunk by chunk, never producing more than it is asked for."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # wbits 47: a zlib or a gzip header, detected (servers mislabel deflate as gzip).
        self._zlib = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None

    def feed(self, chunk: bytes, room: int) -> bytes:
        if self._zlib is None:
            return chunk
        return self._zlib.decompress(chunk, room)


async def read_capped(resp: aiohttp.ClientResponse, limit: int, task_id: str | None) -> str:
    """The answer's text, read in chunks with a counter of decompressed bytes."""
    encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise unexpected_answer(
            f"The service answered in an unknown encoding {encoding!r}", task_id
        )
    inflater = _Inflater(encoding)
    body = bytearray()
    try:
        async for chunk in resp.content.iter_chunked(ANSWER_CHUNK_BYTES):
            body += inflater.feed(chunk, limit - len(body) + 1)
            if len(body) > limit:
                raise unexpected_answer(
                    f"The service's answer is larger than {limit // 1024:,} KB (decompressed), "
                    "far more than any answer of its API; it was not read",
                    task_id,
                    status=resp.status,
                )
    except zlib.error:
        raise unexpected_answer(
            "The service's answer is corrupt (bad compression)", task_id
        ) from None
    try:
        return body.decode(resp.charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")
