"""The Comfy Registry's view of the pack: what ComfyUI-Manager and `comfy node install` read.

The registry (comfy-cli's config parser) accepts `requires-comfyui` only as comma-separated
`[operator]major.minor.patch` parts and silently drops anything else; these tests keep the
field in that form, true to the cores the pack is tested on, and said the same in the README.
The Icon and Banner are the repository's own files in the shapes the Registry shows, and the
archive it installs (the tracked files minus .comfyignore) holds what the pack runs on, not
what only its developers use.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (a dev tool)
    import tomli as tomllib
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
# The form comfy-cli's `validate_version` accepts for each comma-separated part.
REGISTRY_PART = re.compile(r"^(?:(==|>=|<=|!=|~=|>|<|<>|=)\s*)?(\d+\.\d+\.\d+(?:-[a-zA-Z0-9]+)?)?$")
# The cores tests/comfyui and tests/browser run on (the hosts named in docs/development.md).
TESTED_CORES = ("0.3.64", "0.28.2")


def _requires_comfyui() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    value = pyproject["tool"]["comfy"].get("requires-comfyui")
    assert isinstance(value, str), "[tool.comfy] requires-comfyui is missing"
    assert value.strip(), "[tool.comfy] requires-comfyui is empty"
    return value


def test_requires_comfyui_is_in_the_form_the_registry_keeps() -> None:
    parts = [part.strip() for part in _requires_comfyui().split(",")]
    assert all(REGISTRY_PART.match(part) for part in parts), parts


def test_requires_comfyui_admits_every_tested_core_and_nothing_older() -> None:
    spec = SpecifierSet(_requires_comfyui())
    assert all(spec.contains(core) for core in TESTED_CORES)
    assert not spec.contains("0.3.63"), "a core older than any the tests run on"


def test_the_readme_states_the_same_oldest_core() -> None:
    oldest = min(TESTED_CORES, key=lambda v: tuple(int(p) for p in v.split(".")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"ComfyUI {oldest} or newer" in readme


def test_the_publish_workflow_publishes_from_pyproject_with_the_registry_key() -> None:
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert "uses: Comfy-Org/publish-node-action@" in workflow
    assert "personal_access_token: ${{ secrets.REGISTRY_ACCESS_TOKEN }}" in workflow
    assert '- "pyproject.toml"' in workflow  # runs when the version can have changed
    assert '["project"]["version"]' in workflow  # and publishes only when it did


REPOSITORY_FILES = "https://raw.githubusercontent.com/freesora/freesora-nodes/main/"
# The Registry's shapes: a square Icon of at most 400 px, a 21:9 Banner.
BANNER_RATIO = 21 / 9


def _comfy_table() -> dict[str, object]:
    return dict(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["comfy"]
    )


def _picture(field: str) -> Path:
    """The repository file an image field of [tool.comfy] names by its raw URL."""
    url = _comfy_table()[field]
    assert isinstance(url, str)
    assert url.startswith(REPOSITORY_FILES), url
    path = ROOT / url.removeprefix(REPOSITORY_FILES)
    assert path.is_file(), f"{field} names {url}, not a file of the repository"
    return path


def test_the_icon_is_a_square_of_at_most_400_px_in_the_repository() -> None:
    from PIL import Image

    with Image.open(_picture("Icon")) as icon:
        assert icon.width == icon.height <= 400


def test_the_banner_is_21_by_9_in_the_repository() -> None:
    from PIL import Image

    with Image.open(_picture("Banner")) as banner:
        assert abs(banner.width / banner.height - BANNER_RATIO) < 0.01, banner.size


def _ignored() -> list[str]:
    """.comfyignore's patterns: anchored literal paths only (`/dir/`, `/file`), whose
    gitwildmatch meaning (the path itself, or everything under the folder) is plain."""
    lines = (ROOT / ".comfyignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for pattern in patterns:
        assert pattern.startswith("/"), f"{pattern}: anchor it, or it matches at any depth"
        assert not re.search(r"[*?\[\]!\\]", pattern), f"{pattern}: a literal path, please"
    return [pattern[1:] for pattern in patterns]


def archive(files: list[str]) -> list[str]:
    """What `comfy node publish` packs: the tracked files minus .comfyignore, but `includes`."""
    includes = _comfy_table()["includes"]
    assert isinstance(includes, list)

    def left_out(path: str) -> bool:
        if any(path.startswith(f"{folder}/") for folder in includes):
            return False
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _ignored())

    return [path for path in files if not left_out(path)]


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return listed.splitlines()


def test_the_registry_archive_leaves_out_what_only_a_developer_uses() -> None:
    tracked = _tracked()
    packed = set(archive(tracked))
    for dev_only in ("tests/", "benchmarks/", ".ci/", "docs/images/"):
        assert any(path.startswith(dev_only) for path in tracked), dev_only  # real folders
        assert not [path for path in packed if path.startswith(dev_only)], dev_only
    assert "dev.py" not in packed


def test_the_registry_archive_keeps_everything_the_pack_needs_at_run_time() -> None:
    tracked = _tracked()
    packed = set(archive(tracked))
    needed = [
        path
        for path in tracked
        if path.endswith(".py")
        and not path.startswith(("tests/", "benchmarks/"))
        and path != "dev.py"
    ]
    needed += [
        path
        for path in tracked
        if path.startswith(("locales/", "web/", "example_workflows/", "sandbox/assets/"))
    ]
    needed += ["pyproject.toml", "requirements.txt", "README.md", "LICENSE"]
    assert len(needed) > 100
    assert not sorted(set(needed) - packed)
