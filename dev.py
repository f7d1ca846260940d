"""Developer entry point: one command each for the demo, the tests and the linters.

    python3 dev.py demo    # the whole job on the local sandbox: no key, no credits
    python3 dev.py test    # the test suite
    python3 dev.py lint    # ruff (format + lint) and mypy (strict; linux, win32, darwin)
    python3 dev.py bench   # the benchmarks in benchmarks/
    python3 dev.py locales # locales/en/nodeDefs.json from the nodes' schemas (needs a ComfyUI)

Each creates `.venv` beside this file on first use, so a fresh machine needs nothing but Python
3.10+: `demo` installs the pack with its runtime dependencies only (aiohttp, pydantic, Pillow,
numpy: seconds), the others add the dev tools (pytest, mypy, ruff, playwright, psycopg...).
Uses only the standard library on purpose.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".freesora-installed"  # "<what> <fingerprint of pyproject.toml>"
PYTEST_NO_TESTS = 5
# What each command needs installed: the demo only the pack's runtime dependencies.
RUNTIME, DEV = "runtime", "dev"
INSTALLS = {
    RUNTIME: ("the pack and its runtime dependencies (aiohttp, pydantic, Pillow, numpy)", ""),
    DEV: ("the pack and its dev tools (pytest, mypy, ruff, playwright, psycopg, ...)", "[dev]"),
}


def _install_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def installed() -> tuple[str, str]:
    """(what is installed, for which pyproject.toml), or ("", "") for nothing yet."""
    text = STAMP.read_text() if STAMP.exists() else ""
    what, _, fingerprint = text.partition(" ")
    return what, fingerprint


def ensure_venv(need: str) -> None:
    """Create the venv and (re)install what `need` asks for, or when pyproject.toml changed.
    The dev tools include the runtime dependencies, so a dev venv serves the demo as it is."""
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    what, fingerprint = installed()
    if fingerprint == _install_fingerprint() and what in (need, DEV):
        return
    description, extras = INSTALLS[need]
    print(f"dev.py: installing {description} into .venv", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    quiet([*pip, "-e", f"{ROOT}{extras}"])
    STAMP.write_text(f"{need} {_install_fingerprint()}")


def quiet(cmd: list[str]) -> None:
    """Run an install step, showing its output only when it fails.

    setuptools announces every editable install of a mapped package folder ("Editable
    installation", an informational notice pip prints as a warning); a working install has
    nothing to say to someone who asked for the demo or the tests.
    """
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(done.returncode)


def run(cmd: list[str], **kwargs: object) -> int:
    code = subprocess.call(cmd, cwd=ROOT, **kwargs)  # type: ignore[call-overload]
    if code not in (0, PYTEST_NO_TESTS):
        raise SystemExit(code)
    return int(code)


def throwaway_postgres() -> subprocess.Popen[str] | None:
    """A throwaway PostgreSQL for the farm tests (`.ci/postgres.sh`), when none is named and
    this machine has PostgreSQL's server installed; None otherwise (those tests then skip).
    FREESORA_TEST_POSTGRES=off opts out. Stopped when its stdin closes."""
    if (
        os.environ.get("FREESORA_TEST_POSTGRES_URL")
        or os.environ.get("FREESORA_TEST_POSTGRES") == "off"
    ):
        return None
    if os.name == "nt" or not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None
    script = (
        "source .ci/postgres.sh; trap pg_throwaway_stop EXIT; pg_throwaway_start >&2 || exit 1;"
        ' echo "$FREESORA_TEST_POSTGRES_URL"; echo "$FREESORA_TEST_POSTGRES_RESTART"; read -r _'
    )
    cluster = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert cluster.stdout is not None
    url, restart = cluster.stdout.readline().strip(), cluster.stdout.readline().strip()
    if not url:
        cluster.wait()
        return None
    os.environ["FREESORA_TEST_POSTGRES_URL"] = url
    os.environ["FREESORA_TEST_POSTGRES_RESTART"] = restart
    return cluster


def test(args: list[str]) -> int:
    cluster = throwaway_postgres()
    try:
        code = run([str(PYTHON), "-m", "pytest", *args])
    finally:
        if cluster is not None:
            cluster.communicate("\n", timeout=60)
    if code == PYTEST_NO_TESTS:
        print("dev.py: pytest collected no tests: that is a failure", file=sys.stderr)
        return 1
    return code


def lint(_: list[str]) -> int:
    run([str(PYTHON), "-m", "ruff", "format", "--check", "."])
    run([str(PYTHON), "-m", "ruff", "check", "."])
    # mypy names modules after folders; the checkout's folder may be called anything, so check
    # the pack through a link named after the package.
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "freesora").symlink_to(ROOT, target_is_directory=True)
        config = str(ROOT / "pyproject.toml")
        mypy = [str(PYTHON), "-m", "mypy", "--config-file", config, "-p", "freesora"]
        code = subprocess.call(mypy, cwd=tmp)
        # mypy skips the branches of other platforms (sys.platform checks): the Windows ones
        # (msvcrt locks, paths) and the macOS ones (paths) are checked as those platforms.
        for platform in ("win32", "darwin"):
            code = code or subprocess.call([*mypy, "--platform", platform], cwd=tmp)
        return code


def demo(args: list[str]) -> int:
    code = run([str(PYTHON), "-m", "freesora.cli", "demo", *args])
    print(next_steps())
    return code


def next_steps() -> str:
    """Where the `freesora` command the demo installed is, and what to run with it next."""
    command = BIN / ("freesora.exe" if os.name == "nt" else "freesora")
    try:
        shown = str(command.relative_to(Path.cwd()))
    except ValueError:
        shown = str(command)
    return (
        f"\nNext, the `freesora` command is in .venv:\n"
        f"  {shown} sandbox --port 8765   # the local service, for ComfyUI without credits\n"
        f"  {shown} key set               # store your key (hidden prompt)\n"
        f"  {shown} check                 # is the key accepted? (spends nothing)"
    )


def bench(args: list[str]) -> int:
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        print(f"\n== {script.name}", flush=True)
        run([str(PYTHON), str(script), *args])
    return 0


def locales(args: list[str]) -> int:
    """Write locales/en/nodeDefs.json (`--check`: compare) from the nodes' schemas, built by the
    Python of the ComfyUI that FREESORA_COMFYUI_DIR and FREESORA_COMFYUI_PYTHON name (the schemas
    need its comfy_api): the English every translation in locales/ must follow."""
    comfy_dir = os.environ.get("FREESORA_COMFYUI_DIR")
    if not comfy_dir:
        print(
            "dev.py locales: set FREESORA_COMFYUI_DIR to a ComfyUI checkout and "
            "FREESORA_COMFYUI_PYTHON to its Python (docs/development.md)",
            file=sys.stderr,
        )
        return 2
    python = os.environ.get("FREESORA_COMFYUI_PYTHON") or sys.executable
    script = ROOT / "tests" / "comfyui" / "english_locale.py"
    return subprocess.call([python, str(script), comfy_dir, *args], cwd=ROOT)


COMMANDS = {"demo": demo, "test": test, "lint": lint, "bench": bench, "locales": locales}
# What each command needs in .venv (locales runs a ComfyUI's own Python instead).
NEEDS = {"demo": RUNTIME, "test": DEV, "lint": DEV, "bench": DEV}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    if argv[0] in NEEDS:
        ensure_venv(NEEDS[argv[0]])
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
