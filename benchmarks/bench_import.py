"""What loading the pack adds to ComfyUI's start-up, beyond its dependencies; and what starting
the `freesora` command costs.

Run: `python benchmarks/bench_import.py` (the pure layer, in this Python), and with
`FREESORA_COMFYUI_DIR` (and `FREESORA_COMFYUI_PYTHON`) set, also the way ComfyUI loads it:
`spec_from_file_location` on the folder, `await comfy_entrypoint()`, every node's schema built.
Each measurement runs in a fresh interpreter whose dependencies (pydantic, aiohttp, numpy, Pillow
and, for ComfyUI, comfy_api) are imported first, so only the pack's own cost is timed. The CLI
row imports nothing first: a terminal user waits for all of it.

The pack is timed from a copy whose bytecode is compiled first, as every start after the first
finds it (Python writes `__pycache__` on the first import; pip did the same for the
dependencies). Without that, an environment with PYTHONDONTWRITEBYTECODE=1 would time
compiling the pack's source on every run; that figure is printed too, as the first start.
Times are CPU time (the machine is shared: wall time would time the other work too).
Targets: under 50 ms for the pack, under 100 ms for the command. Exits 1 on a miss.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS, TARGET_MS, CLI_TARGET_MS = 7, 50.0, 100.0
NOT_LOADED = (".venv", ".git", "__pycache__", "*.egg-info", "tests", "benchmarks", "docs")
# ComfyUI has imported all of these (and built pydantic models of its own) before custom nodes.
DEPS = """
import pydantic, aiohttp, aiohttp.web, numpy, PIL.Image, PIL.JpegImagePlugin, asyncio, json
class _Warm(pydantic.BaseModel):
    x: int = 0
"""

PURE = f"""
import time
{DEPS}
t = time.process_time()
import freesora.create.plan, freesora.service.client, freesora.media.encode
import freesora.collect, freesora.config
print((time.process_time() - t) * 1000)
"""

# What `freesora ...` loads before it runs any command (cli/main.py's imports), from nothing.
CLI = """
import time
t = time.process_time()
import freesora.cli.main
print((time.process_time() - t) * 1000)
"""

COMFY = f"""
import asyncio, importlib.util, sys, time
sys.path.insert(0, {{comfy!r}})
{DEPS}
importlib.import_module("comfy_api.latest")  # ComfyUI's own, loaded before any pack
t = time.process_time()
name = "/custom_nodes/freesora-nodes_x_dev"  # ComfyUI turns "." into "_x_"
spec = importlib.util.spec_from_file_location(name, {{pack!r}} + "/__init__.py",
                                              submodule_search_locations=[{{pack!r}}])
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
extension = asyncio.run(module.comfy_entrypoint())
nodes = asyncio.run(extension.get_node_list())
for node in nodes:
    node.GET_SCHEMA()
print((time.process_time() - t) * 1000)
"""


def copy_pack(into: Path, *compilers: str) -> Path:
    """The pack's files as the package `freesora` in `into`; compiled by each Python given."""
    pack = into / "freesora"
    shutil.copytree(ROOT, pack, ignore=shutil.ignore_patterns(*NOT_LOADED))
    for python in compilers:
        subprocess.run([python, "-m", "compileall", "-q", str(pack)], check=True)
    return pack


def measure(python: str, code: str, cwd: Path, pack: Path) -> float:
    runs = []
    # The copy comes first on the path, ahead of an editable install of the checkout.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(pack.parent)}
    for _ in range(RUNS):
        out = subprocess.run(
            [python, "-X", "frozen_modules=off", "-c", code],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if out.returncode != 0:
            raise SystemExit(f"the measurement failed:\n{out.stderr[-2000:]}")
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


Row = tuple[str, float, float | None]  # what, median CPU ms, target (None: for information)


def rows(work: Path) -> list[Row]:
    comfy = os.environ.get("FREESORA_COMFYUI_DIR")
    comfy_python = os.environ.get("FREESORA_COMFYUI_PYTHON", sys.executable)
    source = copy_pack(work / "source")
    cached = copy_pack(work / "cached", *{sys.executable, comfy_python if comfy else ""} - {""})
    here = Path("/")
    found: list[Row] = [
        ("pure layer (this Python)", measure(sys.executable, PURE, here, cached), TARGET_MS),
        ("  first start, compiling", measure(sys.executable, PURE, here, source), None),
        ("freesora command start", measure(sys.executable, CLI, here, cached), CLI_TARGET_MS),
    ]
    if comfy:
        code = COMFY.format(comfy=comfy, pack=str(cached))
        found.append(
            ("as ComfyUI loads it", measure(comfy_python, code, Path(comfy), cached), TARGET_MS)
        )
    else:
        print("(set FREESORA_COMFYUI_DIR to also time the load inside ComfyUI)")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        found = rows(Path(tmp))
    ok = True
    print(f"{'what':<28}{'CPU ms':>10}  target (median of {RUNS} fresh interpreters)")
    for label, ms, target in found:
        met = target is None or ms < target
        ok = ok and met
        verdict = (
            "(no target)" if target is None else f"< {target:g} ms {'met' if met else 'MISSED'}"
        )
        print(f"{label:<28}{ms:>10.1f}  {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
