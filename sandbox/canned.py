"""HTTP answers that are not the service's logic: envelopes, injected faults' bodies, the sample
video, and dropped or truncated connections. Knows aiohttp; knows nothing of tasks or credits.
"""

from __future__ import annotations

import functools
import socket
import struct
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web

from .faults import Fault
from .state import Reply

SAMPLE_PATH = Path(__file__).parent / "assets" / "sample.mp4"
# What nginx answers when its upstream is down: the pack must cope with HTML where it wants JSON.
PROXY_HTML = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Cut mid-object, as a proxy or a crashed worker would: valid start, no end.
MALFORMED_JSON = '{"code": 0, "message": "ok", "data": {"taskId": '


@functools.cache
def sample_video() -> bytes:
    """The bytes served for every finished task (read on first use: no import-time I/O)."""
    return SAMPLE_PATH.read_bytes()


def envelope(
    code: int,
    message: str,
    data: Any = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "data": data}, status=status, headers=headers
    )


def reply_response(reply: Reply) -> web.Response:
    # Like the real service: errors travel as HTTP 200 with a non-zero envelope code, except
    # rate limiting, which upstream answers as a real 429 with a Retry-After.
    if reply.code == 429:
        headers = {"Retry-After": f"{reply.retry_after_s or 1:g}"}
        return envelope(429, reply.message, reply.data, status=429, headers=headers)
    return envelope(reply.code, reply.message, reply.data)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def canned_fault_response(fault: Fault) -> web.Response | None:
    """The fixed answer of a fault that needs no service logic, or None for the other kinds."""
    params = fault.params
    if fault.kind == "http_status":
        status = int(params["status"])
        return envelope(
            params.get("code", status), params.get("message", _phrase(status)), status=status
        )
    if fault.kind == "html":
        status = int(params.get("status", 502))
        page = PROXY_HTML.format(status=status, phrase=_phrase(status))
        return web.Response(status=status, text=page, content_type="text/html")
    if fault.kind == "rate_limit":
        headers = {"Retry-After": f"{params['retry_after']:g}"} if "retry_after" in params else None
        status = 200 if params.get("as_code", False) else 429
        return envelope(429, "Too many requests (sandbox)", status=status, headers=headers)
    if fault.kind == "code":
        code = int(params["code"])
        return envelope(code, params.get("message", f"Sandbox fault: code {code}"))
    if fault.kind == "malformed_json":
        return web.Response(text=MALFORMED_JSON, content_type="application/json")
    if fault.kind == "missing_task_id":
        return envelope(0, "ok", {"status": "queued"})
    return None


def drop_connection(request: web.BaseRequest, *, graceful: bool = False) -> web.Response:
    """Close the client's connection without answering; return a response aiohttp cannot send.

    By default the socket is closed with SO_LINGER 0, so the kernel sends RST and the client sees
    a connection reset (aiohttp: ClientOSError ECONNRESET); `graceful` sends FIN instead
    (aiohttp: ServerDisconnectedError). Returning normally, rather than raising, matters: aiohttp
    then fails to write the response to the closing transport, takes that as a client that went
    away, and neither writes nor logs an error.
    """
    transport = request.transport
    if transport is not None:
        if graceful:
            transport.close()
        else:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
    return web.Response(status=499, text="connection dropped by the sandbox")


async def truncated_video(request: web.BaseRequest) -> web.StreamResponse:
    """Promise the whole sample video, send half, then close: a download cut off mid-way."""
    data = sample_video()
    response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
    response.content_length = len(data)
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    if request.transport is not None:
        # close(), not abort(): the half already written must be flushed before the FIN.
        request.transport.close()
    return response
