"""Every test runs with its own config file and journal: none may touch the user's real ones.

Also: the pack's root is collected as a plain folder, so the tests run in a checkout of any name;
and the tests that need a real ComfyUI skip in one place when none is named, so the run's
summary says so in one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from comfy_host.hosts import SKIP_REASON, host_named

PACK_ROOT = Path(__file__).resolve().parent.parent


class PackRootIsAFolder:
    """Collects the pack's root as a plain folder, not as a test package.

    The root's `__init__.py` is ComfyUI's entry point. Collected as a package, pytest imports it,
    and in a checkout whose name is not an identifier (`freesora-nodes`, `clone.x-y`) it can only
    import it as a top-level module, where its relative imports fail: every test then errors. The
    root holds no tests, so nothing is lost; ComfyUI's loading of the pack is untouched.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_directory(self, path: Path, parent: pytest.Collector) -> pytest.Dir | None:
        if path.resolve() == PACK_ROOT:
            return pytest.Dir.from_parent(parent, path=path)
        return None


def pytest_configure(config: pytest.Config) -> None:
    # A plugin rather than a hook here: a conftest's hooks apply only below its own folder,
    # and the root is collected before tests/ is.
    config.pluginmanager.register(PackRootIsAFolder(), "freesora-pack-root-is-a-folder")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test that needs a real ComfyUI (marked `comfyui`, or using the `host` fixture,
    as tests/comfyui and tests/browser do) when the environment names none. Raised here, before
    its fixtures, every such skip has one place and one reason: `-ra` prints them as one line."""
    needs_host = item.get_closest_marker("comfyui") or "host" in getattr(item, "fixturenames", ())
    if needs_host and not host_named():
        pytest.skip(SKIP_REASON)


@pytest.fixture(autouse=True)
def _private_config_and_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREESORA_CONFIG", str(tmp_path / "freesora-config.json"))
    monkeypatch.setenv("FREESORA_JOURNAL", str(tmp_path / "freesora-tasks.jsonl"))
    monkeypatch.delenv("FREESORA_API_KEY", raising=False)
    monkeypatch.delenv("FREESORA_BASE_URL", raising=False)
