"""Default image encoding vs the reference pipeline of ComfyUI's own API nodes.

Run: `python benchmarks/bench_media.py`. Prints one row per frame size; exits 1 if the 1080p target
is missed: at least 5x faster than the reference, a payload no larger, PSNR >= 40 dB.

The reference (ComfyUI API nodes): `np.clip(255.0 * x, 0, 255).astype(np.uint8)` (truncating),
`PIL.Image.fromarray(...).save(buf, format="PNG")` with default settings, `base64.b64encode`.
Ours: `freesora.media.encode.encode_image(x)` with its defaults, data URL included.
Both are timed from the float IMAGE to the base64 text. PSNR is against the float source x*255,
so it counts every error (our rounding, the reference's truncation, the JPEG loss).
The frame is photo-like: smooth gradients, fine periodic texture and gaussian noise of sigma 1%
(~2.5 levels, a camera photo at moderate ISO), from a fixed seed. Extra rows check that the
PSNR holds without noise and with twice that noise (not part of the target).
"""

from __future__ import annotations

import base64
import io
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from freesora.media.encode import DEFAULT_FORMAT, DEFAULT_QUALITY, decode_data_url, encode_image

TARGET_SPEEDUP, TARGET_PSNR_DB = 5.0, 40.0
SIZES = [("720p", 1280, 720, 7), ("1080p", 1920, 1080, 7), ("4K", 3840, 2160, 3)]
EXTRA = [("1080p, no noise", 0.0), ("1080p, noise 2%", 0.02)]


def photo_like(width: int, height: int, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    """A deterministic float32 [1,H,W,3] frame in 0..1 that compresses like a photo."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    channels = []
    for c in range(3):
        wave = np.sin(2 * np.pi * (1.3 + 0.4 * c) * x + 3 * y)
        light = 0.5 + 0.3 * wave * np.cos(2 * np.pi * (0.8 + 0.3 * c) * y)
        texture = 0.1 * np.sin(2 * np.pi * (23 + 5 * c) * x * (1 + y)) * np.sin(34 * np.pi * y)
        fine = 0.05 * np.sin(2 * np.pi * 120 * (x + 0.6 * y) + c)
        channels.append(light + texture + fine)
    frame = np.stack(channels, axis=-1)
    frame += rng.normal(0.0, noise, frame.shape).astype(np.float32)
    return np.clip(frame, 0.0, 1.0).astype(np.float32)[None]


def reference(image: np.ndarray) -> bytes:
    """ComfyUI API nodes' tensor -> base64 PNG, restated."""
    pixels = np.clip(255.0 * image[0], 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


def ours(image: np.ndarray) -> str:
    return encode_image(image).data_url


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: imports, allocator, codec tables
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def psnr(image: np.ndarray, encoded: bytes) -> float:
    decoded = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"), dtype=np.float64)
    mse = float(np.mean((decoded - image[0].astype(np.float64) * 255.0) ** 2))
    return 10.0 * np.log10(255.0**2 / mse)


def measure(image: np.ndarray, repeats: int) -> dict[str, float]:
    ref_bytes = base64.b64decode(reference(image))
    our_bytes = decode_data_url(ours(image))[1]
    ref_s = median_seconds(lambda: reference(image), repeats)
    our_s = median_seconds(lambda: ours(image), repeats)
    return {
        "ref_ms": ref_s * 1000,
        "our_ms": our_s * 1000,
        "speedup": ref_s / our_s,
        "ref_kb": len(ref_bytes) / 1024,
        "our_kb": len(our_bytes) / 1024,
        "ratio": len(our_bytes) / len(ref_bytes),
        "ref_db": psnr(image, ref_bytes),
        "our_db": psnr(image, our_bytes),
    }


def row(label: str, m: dict[str, float]) -> str:
    return (
        f"{label:<17}{m['ref_ms']:>8.0f}{m['our_ms']:>9.1f}{m['speedup']:>8.1f}x"
        f"{m['ref_kb']:>10.0f}{m['our_kb']:>10.0f}{m['ratio']:>7.2f}"
        f"{m['ref_db']:>8.1f}{m['our_db']:>8.1f}"
    )


def main() -> int:
    print(
        f"ours: {DEFAULT_FORMAT.upper()} q={DEFAULT_QUALITY[DEFAULT_FORMAT]} (defaults); ref: PNG; "
        "time = median, float IMAGE -> base64; PSNR vs the float source x255"
    )
    print(
        f"{'frame':<17}{'ref ms':>8}{'ours ms':>9}{'speed':>9}"
        f"{'ref KB':>10}{'ours KB':>10}{'ratio':>7}{'ref dB':>8}{'our dB':>8}"
    )
    results = {}
    for label, width, height, repeats in SIZES:
        results[label] = measure(photo_like(width, height), repeats)
        print(row(f"{label} {width}x{height}", results[label]), flush=True)
    for label, noise in EXTRA:
        print(row(label, measure(photo_like(1920, 1080, noise=noise), 3)), flush=True)
    target = results["1080p"]
    missed = [
        what
        for what, ok in [
            (
                f"speedup {target['speedup']:.1f}x < {TARGET_SPEEDUP}x",
                target["speedup"] >= TARGET_SPEEDUP,
            ),
            (f"payload {target['ratio']:.2f} of the reference's", target["ratio"] <= 1.0),
            (
                f"PSNR {target['our_db']:.1f} dB < {TARGET_PSNR_DB} dB",
                target["our_db"] >= TARGET_PSNR_DB,
            ),
        ]
        if not ok
    ]
    print("1080p target: " + ("met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
