"""What loading the pack adds to ComfyUI's start-up, beyond its dependencies.

Run: `python benchmarks/bench_import.py` (the pure layer, in this Python), and with
`FREESORA_COMFYUI_DIR` (and `FREESORA_COMFYUI_PYTHON`) set, also the way ComfyUI loads it:
`spec_from_file_location` on the folder, `await comfy_entrypoint()`, every node's schema built.
Each measurement runs in a fresh interpreter whose dependencies (pydantic, aiohttp, numpy, Pillow
and, for ComfyUI, comfy_api) are imported first, so only the pack's own cost is timed.
Target: under 50 ms. Exits 1 on a miss.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS, TARGET_MS = 7, 50.0
# ComfyUI has imported all of these (and built pydantic models of its own) before custom nodes.
DEPS = """
import pydantic, aiohttp, aiohttp.web, numpy, PIL.Image, PIL.JpegImagePlugin, asyncio, json
class _Warm(pydantic.BaseModel):
    x: int = 0
"""

PURE = f"""
import time
{DEPS}
t = time.perf_counter()
import freesora.create.plan, freesora.service.client, freesora.media.encode
import freesora.collect, freesora.config
print((time.perf_counter() - t) * 1000)
"""

COMFY = f"""
import asyncio, importlib.util, sys, time
sys.path.insert(0, {{comfy!r}})
{DEPS}
importlib.import_module("comfy_api.latest")  # ComfyUI's own, loaded before any pack
t = time.perf_counter()
name = "/custom_nodes/freesora-nodes_x_dev"  # ComfyUI turns "." into "_x_"
spec = importlib.util.spec_from_file_location(name, {str(ROOT / "__init__.py")!r},
                                              submodule_search_locations=[{str(ROOT)!r}])
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
extension = asyncio.run(module.comfy_entrypoint())
nodes = asyncio.run(extension.get_node_list())
for node in nodes:
    node.GET_SCHEMA()
print((time.perf_counter() - t) * 1000)
"""


def measure(python: str, code: str, cwd: Path) -> float:
    runs = []
    for _ in range(RUNS):
        out = subprocess.run(
            [python, "-X", "frozen_modules=off", "-c", code],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        if out.returncode != 0:
            raise SystemExit(f"the measurement failed:\n{out.stderr[-2000:]}")
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def main() -> int:
    rows = [("pure layer (this Python)", measure(sys.executable, PURE, Path("/")))]
    comfy = os.environ.get("FREESORA_COMFYUI_DIR")
    if comfy:
        python = os.environ.get("FREESORA_COMFYUI_PYTHON", sys.executable)
        rows.append(
            ("as ComfyUI loads it", measure(python, COMFY.format(comfy=comfy), Path(comfy)))
        )
    else:
        print("(set FREESORA_COMFYUI_DIR to also time the load inside ComfyUI)")
    ok = True
    print(f"{'what':<28}{'median ms':>10}  target < {TARGET_MS:g} ms")
    for label, ms in rows:
        ok = ok and ms < TARGET_MS
        print(f"{label:<28}{ms:>10.1f}  {'met' if ms < TARGET_MS else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
