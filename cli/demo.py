"""`freesora demo`: the pack's whole job against an in-process sandbox, with no key and no credits.

Creates a text, an image and a storyboard task plus one the sandbox is told to fail, waits for
them together, downloads the videos and says what happened at every step.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..collect import VideoResult
from ..config import ApiKey, Settings
from ..create import PlannedTask
from ..errors import FreeSoraError, TaskFailedError
from ..facade import FreeSora
from ..media.encode import encode_image
from ..sandbox import FAIL_MARKER, SANDBOX_KEY, run_sandbox
from ..schemas import CreateVideoRequest, build_create_request
from ..schemas.pricing import estimate_table
from ..service.retry import RetryPolicy

VIDEOS_LIST = "demo-videos.txt"  # the videos the latest demo saved in its folder


def _say(text: str) -> None:
    print(text, flush=True)


def demo_image(width: int = 1280, height: int = 720) -> np.ndarray[Any, Any]:
    """A small photo-like frame ([1, H, W, 3] float in 0..1, like a ComfyUI IMAGE)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red = 0.5 + 0.5 * np.sin(x / 97.0)
    green = 0.5 + 0.5 * np.cos(y / 53.0)
    blue = (x + y) / (width + height)
    return np.stack([red, green, blue], axis=-1)[None]


def demo_requests() -> dict[str, CreateVideoRequest]:
    image = encode_image(demo_image(), fit="crop", aspect_ratio="landscape")
    _say(f"  image encoded: {image.describe()}")
    return {
        "text": build_create_request(
            model="sora-2-pro-text-to-video", prompt="A paper boat drifting down a rainy street"
        ),
        "image": build_create_request(
            model="sora-2-image-to-video",
            prompt="The colours start to swirl slowly",
            image_data=image.data_url,
            n_frames=15,
        ),
        "storyboard": build_create_request(
            model="sora-2-pro-storyboard",
            n_frames=15,
            shots=[
                {"scene": "Establishing shot of a harbour at dawn", "duration": 5},
                {"scene": "A gull lands on a mooring post", "duration": 4.5},
                {"scene": "Close-up of waves against the hull", "duration": 5.5},
            ],
        ),
        # Created like the others; the sandbox then fails it in moderation, refunded.
        "moderated": build_create_request(
            model="sora-2-text-to-video-stable", prompt=f"Anything {FAIL_MARKER}"
        ),
    }


async def _run_one(
    fs: FreeSora, name: str, request: CreateVideoRequest, out: Path, timeout_s: float
) -> VideoResult | FreeSoraError:
    # Priced by the pack's estimate, as the sandbox charges, whatever the user's own table says.
    [done] = await fs.create([PlannedTask(request)], seed=0, prices=estimate_table())
    _say(f"  {name:<10} {done.describe()}  nFrames={request.n_frames}")
    try:
        return await fs.collect(done.task_id, out, timeout_s=timeout_s, interval_s=0.5)
    except FreeSoraError as exc:
        return exc


async def _run_again(fs: FreeSora, request: CreateVideoRequest) -> bool:
    """The same request and seed again (as after a ComfyUI restart): reused, nothing spent."""
    [again] = await fs.create([PlannedTask(request)], seed=0, prices=estimate_table())
    _say(f"  text       {again.describe()}")
    return again.reused


async def run_demo(out: Path, *, task_seconds: float = 3.0) -> int:
    """Run the demo; 0 when everything behaved as the sandbox was told to."""
    _say("FreeSora demo: the real client against a local sandbox (no key, no credits).")
    out = Path(out)
    path = out / "demo-journal.jsonl"
    # Each demo has a new sandbox, whose tasks an older demo journal would wrongly name; and
    # only the latest demo's videos are kept, so they do not pile up run after run.
    path.unlink(missing_ok=True)
    removed = remove_previous_videos(out)
    async with run_sandbox(task_seconds=task_seconds) as running:
        _say(f"sandbox listening on {running.base_url}")
        # The demo's own journal, whatever FREESORA_JOURNAL says: its tasks are the sandbox's.
        settings = Settings(
            running.base_url, ApiKey(SANDBOX_KEY), "demo", proxy=None, journal=str(path)
        )
        _say("1. building and validating requests")
        requests = demo_requests()
        _say("2. creating the tasks (credits are spent here on the real service)")
        async with FreeSora.open(settings=settings, policy=RetryPolicy()) as fs:
            outcomes = await asyncio.gather(
                *(
                    _run_one(fs, name, req, out, timeout_s=task_seconds * 10 + 30)
                    for name, req in requests.items()
                )
            )
            _say("3. results")
            ok = _report(dict(zip(requests, outcomes, strict=True)))
            remember_videos(out, [o for o in outcomes if isinstance(o, VideoResult)])
            _say("4. the text request again, same seed (as after a restart): from the journal")
            ok = await _run_again(fs, requests["text"]) and ok
        credits = running.sandbox.credits(SANDBOX_KEY)
        _say(f"credits left on the sandbox key: {credits}; task journal: {fs.where}")
        before = " (the previous demo's were removed)" if removed else ""
        _say(f"the videos of this demo are in {out.resolve()}{before}")
    _say("demo finished: all as expected" if ok else "demo finished with surprises (see above)")
    return 0 if ok else 1


def remove_previous_videos(out: Path) -> int:
    """Delete the videos the previous demo saved in `out` (listed in VIDEOS_LIST), nothing else:
    `--out` may name a folder holding the user's own files."""
    listed = out / VIDEOS_LIST
    try:
        names = listed.read_text("utf-8").split()
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        video = out / Path(name).name  # a bare file name, in `out`: never a path elsewhere
        if video.suffix == ".mp4" and video.is_file():
            video.unlink()
            removed += 1
    listed.unlink()
    return removed


def remember_videos(out: Path, saved: list[VideoResult]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / VIDEOS_LIST).write_text("".join(f"{r.path.name}\n" for r in saved), "utf-8")


def _report(outcomes: dict[str, VideoResult | FreeSoraError]) -> bool:
    ok = True
    for name, outcome in outcomes.items():
        if isinstance(outcome, VideoResult):
            size = outcome.path.stat().st_size
            _say(f"  {name:<10} saved {outcome.path} ({size:,} bytes)")
            ok = ok and name != "moderated" and size > 0
        else:
            expected = name == "moderated" and isinstance(outcome, TaskFailedError)
            label = "failed as expected:" if expected else "FAILED:"
            print(f"  {name:<10} {label} {outcome}", file=sys.stdout if expected else sys.stderr)
            ok = ok and expected
    return ok
