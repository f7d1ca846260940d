"""Which ComfyUI to test against, from environment variables, and the command line that starts it.

    FREESORA_COMFYUI_DIR       a ComfyUI checkout (the folder holding main.py); unset = skip
    FREESORA_COMFYUI_PYTHON    that ComfyUI's Python (default: the one running the tests)
    FREESORA_COMFYUI_FRONTEND  optional: a frontend's static folder, served with --front-end-root

One set of variables per host: the real-ComfyUI suite and the browser checks run once per host.
This module is the only reader of these variables; the `host` fixture hands the host to tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_DIR = "FREESORA_COMFYUI_DIR"
ENV_PYTHON = "FREESORA_COMFYUI_PYTHON"
ENV_FRONTEND = "FREESORA_COMFYUI_FRONTEND"
# Short: the run's summary prints it; docs/development.md says how to name a ComfyUI.
SKIP_REASON = f"no ComfyUI named ({ENV_DIR}; docs/development.md)"


def host_named(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment names a ComfyUI to test against (else those tests skip)."""
    return bool((os.environ if env is None else env).get(ENV_DIR))


class HostError(ValueError):
    """The variables name something that is not a usable ComfyUI (a setup mistake, not a skip)."""


@dataclass(frozen=True)
class Host:
    comfy_dir: Path
    python: str
    frontend: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Host | None:
        """The host the variables describe, None when FREESORA_COMFYUI_DIR is unset."""
        env = os.environ if env is None else env
        if not host_named(env):
            return None
        comfy_dir = Path(env[ENV_DIR]).expanduser().resolve()
        if not (comfy_dir / "main.py").is_file():
            raise HostError(f"{ENV_DIR}={comfy_dir} holds no main.py: not a ComfyUI checkout")
        frontend = None
        if env.get(ENV_FRONTEND):
            frontend = Path(env[ENV_FRONTEND]).expanduser().resolve()
            if not (frontend / "index.html").is_file():
                raise HostError(f"{ENV_FRONTEND}={frontend} holds no index.html: not a frontend")
        return cls(comfy_dir, env.get(ENV_PYTHON) or sys.executable, frontend)

    def prepare_base(self, base_dir: Path) -> None:
        """Folders a core needs in its base dir before start (0.28.2 fails without custom_nodes)."""
        for name in ("custom_nodes", "input", "output", "user"):
            (base_dir / name).mkdir(parents=True, exist_ok=True)

    def command(self, base_dir: Path, port: int) -> list[str]:
        """main.py on the CPU, loopback only, everything (database included) under `base_dir`."""
        command = [self.python, str(self.comfy_dir / "main.py"), "--cpu"]
        command += ["--listen", "127.0.0.1", "--port", str(port)]
        command += ["--base-directory", str(base_dir)]
        # Newer cores keep a database, by default inside the ComfyUI checkout: keep it in the base.
        command += ["--database-url", f"sqlite:///{base_dir / 'user' / 'comfyui.db'}"]
        if self.frontend is not None:
            command += ["--front-end-root", str(self.frontend)]
        return command

    def describe(self) -> str:
        front = f" + frontend {self.frontend}" if self.frontend else ""
        return f"ComfyUI {self.comfy_dir} ({self.python}){front}"


@pytest.fixture(scope="session")
def host() -> Host:
    """The ComfyUI the environment names; skips without one, fails when it names no ComfyUI."""
    try:
        found = Host.from_env()
    except HostError as exc:
        pytest.fail(str(exc))
    if found is None:
        pytest.skip(SKIP_REASON)
    return found
