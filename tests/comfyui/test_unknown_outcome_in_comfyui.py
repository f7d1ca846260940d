"""An unknown outcome inside a real ComfyUI: the node's error reads at a glance and names the
commands that resolve it against ComfyUI's own journal, which work as typed from any folder."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from comfy_host.graphs import error_text, fresh_seed, journal_file, load_workflow, run_same
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer, SandboxThread, pack_env
from glance import glance_problems

pytestmark = pytest.mark.comfyui


def create_only(seed: int, profile: str = "") -> dict[str, Any]:
    """Text to Video into PreviewAny; `profile` "", "default" and " default" are one take, but
    new inputs to ComfyUI's cache, so the node runs again."""
    text = load_workflow("text_to_video.json")["1"]
    text["inputs"].update(seed=seed, prompt="A lighthouse in fog", profile=profile)
    return json.loads(
        json.dumps({"1": text, "9": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
    )


def test_an_unknown_outcome_names_commands_that_work_on_comfyuis_journal_as_typed(
    comfy: ComfyServer, sandbox: SandboxThread, host: Host, tmp_path: Path
) -> None:
    seed = fresh_seed()
    sandbox.call(lambda s: s.faults.add("create", "html", status=500))
    before = sandbox.call(lambda s: len(s.received.creates))
    journal = journal_file(comfy, host.comfy_dir)
    told = [error_text(run_same(comfy, create_only(seed, profile))) for profile in ("", "default")]
    for message in told:  # the first time and on the repeat
        assert glance_problems(message) == [], message
        assert "the FreeSora tab" in message
        [_, forget] = re.findall(r"`(freesora [^`]+)`", message)
        assert forget.endswith(f"--journal {journal}"), forget
    assert sandbox.call(lambda s: len(s.received.creates)) == before + 1
    # Typed in a terminal elsewhere: no FREESORA_* setting, another folder.
    env = pack_env(sandbox.base_url, tmp_path / "config.json")
    ran = subprocess.run(
        [sys.executable, "-m", "freesora.cli", *shlex.split(forget)[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    entry = run_same(comfy, create_only(seed, " default"))
    assert entry["status"]["status_str"] == "success", error_text(entry)
    assert sandbox.call(lambda s: len(s.received.creates)) == before + 2  # exactly one more
