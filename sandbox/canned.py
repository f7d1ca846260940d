"""HTTP answers that are not the service's logic: envelopes, injected faults' bodies, the sample
video, and dropped or truncated connections. Knows aiohttp; knows nothing of tasks or credits.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import struct
import zlib
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .faults import Fault
from .state import Reply

# 320x180 H.264, 48 frames at 24 fps (2 s), with a 2 s AAC tone as its audio track: Sora 2
# videos have sound, and the pack must keep it. Made from the silent original with
#   ffmpeg -i silent.mp4 -f lavfi -i "sine=frequency=440:duration=2:sample_rate=22050,volume=0.25"
#     -map 0:v -map 1:a -c:v copy -c:a aac -b:a 16k -ac 1 -t 2 -movflags +faststart
#     -map_metadata -1 sample.mp4
SAMPLE_PATH = Path(__file__).parent / "assets" / "sample.mp4"
# What nginx answers when its upstream is down: the pack must cope with HTML where it wants JSON.
PROXY_HTML = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# What Cloudflare answers itself when it cannot get an answer from the origin (trimmed).
CDN_HTML = (
    "<!DOCTYPE html>\n<html><head><title>{host} | {status}: {phrase}</title></head>\n"
    '<body><div id="cf-error-details"><h1><span class="cf-error-code">{status}</span></h1>\n'
    '<span class="cf-footer-item">Cloudflare Ray ID: <strong>{ray}</strong></span>'
    "</div></body></html>\n"
)
CDN_RAY = "8c1f2e3d4a5b6c7d-AMS"
# Cloudflare's names for its own statuses (not in HTTPStatus).
CDN_PHRASES = {
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
    525: "SSL handshake failed",
    526: "Invalid SSL certificate",
}
CDN_FORWARDED = frozenset({520, 522, 524})
# Cut mid-object, as a proxy or a crashed worker would: valid start, no end.
MALFORMED_JSON = '{"code": 0, "message": "ok", "data": {"taskId": '
# What a storage host that is not a video answers (the 24 bytes of text).
NOT_A_VIDEO = b"this is not a video :-)\n"
RETIRED_MESSAGE = "The model is retired and no longer available on this service (sandbox)"
MAINTENANCE_MESSAGE = "The service is under maintenance, please try again later (sandbox)"
DISABLED_MESSAGE = "This feature is currently disabled (sandbox)"
HUGE_ANSWER_BYTES = 8 * 1024 * 1024
GZIP_BOMB_BYTES = 64 * 1024 * 1024
_PAD_CHUNK = b" " * (1024 * 1024)


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
    if fault.kind == "cdn_page":
        return cdn_page(int(params.get("status", 524)), marker=params.get("marker", True))
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
    return _unavailable_response(fault) or _download_response(fault)


def echo_key_response(fault: Fault, authorization: str | None) -> web.Response:
    """A 401 that repeats the caller's key, as some services word a refusal."""
    key = (authorization or "").partition(" ")[2].strip()
    form = str(fault.params.get("form", "full"))
    shown = _echo_form(key, form)
    said = f"Incorrect API key provided: {shown}. You can find your API key in your account."
    where = fault.params.get("where", "message")
    if where == "text":
        return web.Response(status=401, text=said, content_type="text/plain")
    if where == "header":  # an encoding no client knows, named after the key
        return web.Response(
            status=401, body=b"{}", headers={"Content-Encoding": shown, "Content-Type": "json"}
        )
    body = json.dumps({"code": 401, "message": said, "data": None})
    if form == "json_escaped":  # every character of the key as \uXXXX: the same JSON string
        body = body.replace(shown, "".join(f"\\u{ord(c):04x}" for c in key))
    return web.Response(status=401, text=body, content_type="application/json")


def _echo_form(key: str, form: str) -> str:
    if form == "prefix":
        return key[:12] + "…"
    if form == "short_prefix":
        return key[:6] + "..."
    if form == "masked":
        return key[:5] + "*" * 16 + key[-4:]
    if form == "url_encoded":
        return quote(key, safe="")
    return key


def forwarded_by_cdn(fault: Fault) -> bool:
    """Whether a CDN's page says it passed the request on (520, 522, 524: the service then
    created the task, and its answer was lost), rather than never reaching the service."""
    return fault.kind == "cdn_page" and int(fault.params.get("status", 524)) in CDN_FORWARDED


def cdn_page(status: int, *, marker: bool = True) -> web.Response:
    """A CDN's own error page; with `marker`, the header that says it is the CDN's."""
    phrase = CDN_PHRASES.get(status) or _phrase(status)
    page = CDN_HTML.format(host="sandbox", status=status, phrase=phrase, ray=CDN_RAY)
    headers = {"Server": "cloudflare"} | ({"CF-RAY": CDN_RAY} if marker else {})
    return web.Response(status=status, text=page, content_type="text/html", headers=headers)


def _unavailable_response(fault: Fault) -> web.Response | None:
    """Retired models, maintenance (455) and disabled features (505), in a reseller's words."""
    params = fault.params
    if fault.kind == "retired_model":
        return envelope(int(params.get("code", 400)), params.get("message", RETIRED_MESSAGE))
    if fault.kind in ("maintenance", "feature_disabled"):
        code, said = (
            (455, MAINTENANCE_MESSAGE) if fault.kind == "maintenance" else (505, DISABLED_MESSAGE)
        )
        return envelope(code, params.get("message", said), status=int(params.get("status", 200)))
    if fault.kind == "gzip_bomb":
        body = gzip_bomb(int(params.get("size", GZIP_BOMB_BYTES)))
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=body, headers=headers)
    return None


def _download_response(fault: Fault) -> web.Response | None:
    if fault.kind == "not_video":
        return web.Response(body=NOT_A_VIDEO, content_type="text/plain")
    return None


def redirect_response(fault: Fault, task_id: str, port: int | None) -> web.Response:
    """A redirect to `location` (default: the file itself), `{task_id}` and `{port}` filled in."""
    location = str(fault.params.get("location", "/files/{task_id}.mp4"))
    location = location.replace("{task_id}", task_id).replace("{port}", str(port or 80))
    return web.Response(status=int(fault.params.get("status", 302)), headers={"Location": location})


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A valid envelope padded to `size` bytes of spaces, gzip-compressed (~1000:1)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [squeeze.compress(b'{"code": 0, "message": "ok", "data": {"pad": "')]
    left = size
    while left > 0:
        piece = _PAD_CHUNK[: min(left, len(_PAD_CHUNK))]
        parts.append(squeeze.compress(piece))
        left -= len(piece)
    parts.append(squeeze.compress(b'"}}') + squeeze.flush())
    return b"".join(parts)


def reshape_status(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """check-result's data in a shape the docs do not promise, as some deployments send it."""
    data = dict(data)
    if kind == "object_result_urls" and data.get("result_urls"):
        data["result_urls"] = [{"url": url, "type": "video/mp4"} for url in data["result_urls"]]
    if kind == "string_progress" and data.get("progress") is not None:
        data["progress"] = f"{data['progress']}%"
    if kind == "object_failure_reason":
        for name in ("failure_reason", "error_message"):
            if isinstance(data.get(name), str):
                data[name] = {"code": "E1001", "message": data[name]}
    return data


async def huge_answer(request: web.BaseRequest, size: int) -> web.StreamResponse:
    """A JSON envelope padded to `size` bytes, streamed: an answer no API should give."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    try:
        await response.write(b'{"code": 0, "message": "')
        left = size
        while left > 0:
            piece = _PAD_CHUNK[: min(left, 64 * 1024)]
            await response.write(piece)
            left -= len(piece)
        await response.write(b'"}')
    except ConnectionError:
        pass  # the client stopped reading, as it should
    return response


async def drip_video(request: web.BaseRequest, seconds: float) -> web.StreamResponse:
    """The sample video, one byte every `seconds`: a download that never quite stalls."""
    data = sample_video()
    response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
    response.content_length = len(data)
    await response.prepare(request)
    try:
        for index in range(len(data)):
            await response.write(data[index : index + 1])
            await asyncio.sleep(seconds)
    except ConnectionError:
        pass  # the client gave up, as it should
    return response


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
