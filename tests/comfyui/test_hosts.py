"""Each host (older and newer cores, any frontend): its command line, where the ledger lives,
how a fresh creation node's seed is declared."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from comfy_host.graphs import (
    CREATION_NODES,
    OLD_CORE_TASK,
    journal_file,
    messages,
    offers_system_folder,
    run_prompt,
    text_to_preview,
)
from comfy_host.hosts import ENV_DIR, ENV_FRONTEND, ENV_PYTHON, Host, HostError
from comfy_host.server import ComfyServer


def _fake_checkout(root: Path) -> Path:
    (root / "ComfyUI").mkdir()
    (root / "ComfyUI" / "main.py").write_text("", encoding="utf-8")
    return root / "ComfyUI"


def test_the_host_command_keeps_everything_in_the_base_dir_on_loopback(tmp_path: Path) -> None:
    comfy_dir = _fake_checkout(tmp_path)
    host = Host.from_env({ENV_DIR: str(comfy_dir), ENV_PYTHON: "/opt/py"})
    assert host is not None
    command = host.command(tmp_path / "base", 8188)
    assert command[:3] == ["/opt/py", str(comfy_dir / "main.py"), "--cpu"]
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags == {
        "--listen": "127.0.0.1",
        "--port": "8188",
        "--base-directory": str(tmp_path / "base"),
        "--database-url": f"sqlite:///{tmp_path / 'base' / 'user' / 'comfyui.db'}",
    }


def test_a_frontend_folder_is_served_in_front_of_the_core(tmp_path: Path) -> None:
    comfy_dir = _fake_checkout(tmp_path)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.html").write_text("", encoding="utf-8")
    host = Host.from_env({ENV_DIR: str(comfy_dir), ENV_FRONTEND: str(tmp_path / "static")})
    assert host is not None
    command = host.command(tmp_path / "base", 1)
    assert command[command.index("--front-end-root") + 1] == str(tmp_path / "static")


def test_no_comfyui_means_no_host_and_a_wrong_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert Host.from_env({}) is None
    with pytest.raises(HostError, match=r"holds no main\.py"):
        Host.from_env({ENV_DIR: str(tmp_path)})
    with pytest.raises(HostError, match="not a frontend"):
        Host.from_env({ENV_DIR: str(_fake_checkout(tmp_path)), ENV_FRONTEND: str(tmp_path)})


def test_the_base_dir_gets_the_folders_newer_cores_need_before_start(tmp_path: Path) -> None:
    host = Host(_fake_checkout(tmp_path), "python")
    host.prepare_base(tmp_path / "base")
    assert {p.name for p in (tmp_path / "base").iterdir()} >= {"custom_nodes", "user", "input"}


@pytest.mark.comfyui
def test_the_journal_lives_out_of_https_reach_where_the_core_offers_it_losing_nothing(
    comfy: ComfyServer, host: Host
) -> None:
    entry = run_prompt(comfy, text_to_preview())
    assert entry["status"]["status_str"] == "success", messages(entry, "execution_error")
    [text] = entry["outputs"]["9"]["text"]
    journal = journal_file(comfy, host.comfy_dir)
    events = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    ids = [event["task_id"] for event in events if event["event"] == "created"]
    assert ids[0] == OLD_CORE_TASK, "the journal of the older core was not carried over first"
    assert text.strip() in ids
    [face] = entry["outputs"]["1"]["text"]
    assert "Run again unchanged: same task, no credits. New seed: a new paid take." in face
    old = comfy.base_dir / "user" / "freesora"
    if offers_system_folder(host.comfy_dir):
        assert not old.exists(), "the old, HTTP-served folder is still there"
        assert journal.parent.name.startswith("__"), "a system user folder starts with __"


@pytest.mark.comfyui
@pytest.mark.parametrize("node_id", CREATION_NODES)
def test_a_creation_nodes_seed_is_declared_fixed_where_the_core_lets_a_node_choose(
    comfy: ComfyServer, host: Host, node_id: str
) -> None:
    seed = comfy.object_info(node_id)["input"]["required"]["seed"][1]
    source = (host.comfy_dir / "comfy_api" / "latest" / "_io.py").read_text(encoding="utf-8")
    if "class ControlAfterGenerate" in source:
        assert seed["control_after_generate"] == "fixed"
    else:  # older cores take a bool only: web/seed_control.js sets new nodes to fixed
        assert seed["control_after_generate"] is True
    assert "no credits" in seed["tooltip"]
    assert "new paid task" in seed["tooltip"]


@pytest.mark.comfyui
def test_the_frontend_named_by_the_environment_is_the_one_served(
    comfy: ComfyServer, host: Host
) -> None:
    if host.frontend is None:
        pytest.skip(f"{ENV_FRONTEND} is not set: the core serves its own frontend")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(comfy.url + "/", timeout=30) as page:
        served = page.read()
    assert served == (host.frontend / "index.html").read_bytes()
