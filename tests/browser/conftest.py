"""Fixtures for the browser tests: skipped unless a ComfyUI, Chromium and playwright are here.

FREESORA_COMFYUI_DIR / FREESORA_COMFYUI_PYTHON choose the core (as for tests/comfyui),
FREESORA_FRONTEND_ROOT optionally another frontend (`--front-end-root`). Owns one ComfyUI and
one browser per session; must not write into the repository (screenshots only when asked).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_host import CHROMIUM_ARGS, HERE, Host, chromium_path, start_host, stop_host


def _skip_reason() -> str | None:
    if not os.environ.get("FREESORA_COMFYUI_DIR"):
        return "FREESORA_COMFYUI_DIR is not set: the browser tests need a real ComfyUI"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    if chromium_path() is None:
        return "no Chromium: install Debian's chromium or set FREESORA_CHROMIUM"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.comfyui)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    base = tmp_path_factory.mktemp("browser-base")
    try:
        running = start_host(base, os.environ.get("FREESORA_FRONTEND_ROOT") or None)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield running
    stop_host(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
