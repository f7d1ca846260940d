"""The `freesora` command run as a user runs it: a fresh process, its env, exit code and output."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from freesora.sandbox import Sandbox

KEY = "sk-sandbox-cli-0123456789abcdef"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        return self.out.strip().splitlines()[-1]


SKEWED_CLOCK = Path(__file__).with_name("skewed_clock.py")


@dataclass
class Cli:
    sandbox: Sandbox
    env: dict[str, str]
    cwd: Path
    clock_shift_s: float = 0.0  # the process's wall clock this far off (a machine's wrong clock)

    async def __call__(self, *args: str) -> Ran:
        if self.clock_shift_s:
            command = [str(SKEWED_CLOCK), str(self.clock_shift_s)]
        else:
            command = ["-m", "freesora.cli"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            *args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        return Ran(proc.returncode or 0, out.decode(), err.decode())


def cli_env(
    base_url: str, folder: Path, *, key: str = KEY, journal: str | None = None
) -> dict[str, str]:
    """The command's environment: this sandbox, this key, a config file and journal in `folder`."""
    return {
        **os.environ,
        # The tests read the command's output as UTF-8: on Windows a pipe would otherwise get
        # the ANSI code page, where "≈" becomes "\u2248".
        "PYTHONIOENCODING": "utf-8",
        "FREESORA_BASE_URL": base_url,
        "FREESORA_API_KEY": key,
        "FREESORA_CONFIG": str(folder / "config.json"),
        "FREESORA_JOURNAL": journal or str(folder / "tasks.jsonl"),
    }
