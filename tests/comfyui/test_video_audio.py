"""Sora 2 videos have sound: a real ComfyUI's SaveVideo keeps the audio track of the video the
pack hands it (the sandbox's sample carries a 2 s tone).

The saved file is checked by its MP4 boxes (a track whose handler is `soun`), in pure Python so
a machine without ffmpeg runs it too; ffprobe, where present, confirms it.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from comfy_host.graphs import SAMPLE_MP4, assert_sample_videos_saved, load_workflow, run_prompt
from comfy_host.server import ComfyServer, SandboxThread

pytestmark = pytest.mark.comfyui
CONTAINERS = {b"moov", b"trak", b"mdia"}


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(kind, payload start, payload end) of each MP4 box between `start` and `end`."""
    found, offset, end = [], start, len(data) if end is None else end
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            raise AssertionError(f"a {kind!r} box of {size} bytes: not an MP4 file")
        found.append((kind, offset + header, offset + size))
        offset += size
    return found


def track_handlers(data: bytes, start: int = 0, end: int | None = None) -> list[bytes]:
    """The handler type of every track (`vide`, `soun`, ...), from moov/trak/mdia/hdlr."""
    handlers = []
    for kind, begin, stop in boxes(data, start, end):
        if kind in CONTAINERS:
            handlers += track_handlers(data, begin, stop)
        elif kind == b"hdlr":
            handlers.append(data[begin + 8 : begin + 12])  # after version/flags, pre_defined
    return handlers


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_the_track_reader_tells_a_silent_file_from_one_with_sound() -> None:
    def track(handler: bytes) -> bytes:
        return box(b"trak", box(b"mdia", box(b"hdlr", bytes(8) + handler + bytes(12))))

    silent = box(b"ftyp", b"isom") + box(b"moov", track(b"vide"))
    assert track_handlers(silent) == [b"vide"]
    assert track_handlers(box(b"moov", track(b"vide") + track(b"soun"))) == [b"vide", b"soun"]
    assert sorted(track_handlers(SAMPLE_MP4.read_bytes())) == [b"soun", b"vide"]


def ffprobe_streams(path: Path) -> list[str] | None:
    """The stream types ffprobe sees, or None on a machine without ffprobe."""
    if shutil.which("ffprobe") is None:
        return None
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(stream["codec_type"] for stream in json.loads(done.stdout)["streams"])


def test_save_video_keeps_the_audio_track_of_the_generated_video(
    comfy: ComfyServer, sandbox: SandboxThread
) -> None:
    entry = run_prompt(comfy, load_workflow("text_to_video.json"))
    assert entry["status"]["status_str"] == "success", entry["status"]
    [saved] = assert_sample_videos_saved(comfy, entry, count=1)
    assert sorted(track_handlers(saved.read_bytes())) == [b"soun", b"vide"], (
        f"{saved.name} lost its sound"
    )
    streams = ffprobe_streams(saved)
    assert streams in (None, ["audio", "video"]), streams
