"""The layout rules: the pure layer runs without ComfyUI, only nodes/ touches it, no circles."""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (a dev tool)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
COMFY_ONLY = {"comfy", "comfy_api", "comfy_extras", "comfy_execution", "server", "folder_paths"}
FORBIDDEN = COMFY_ONLY | {"torch"}
NOT_THE_PACK = {".venv", "build", "tests", "benchmarks", "docs", "example_workflows", "web"}
ENTRY_SCRIPTS = {"dev.py", "run_freesora.py"}
# The root shows the architecture: the ComfyUI entry, the entry scripts and at most four others.
ROOT_MODULES = {"__init__.py", *ENTRY_SCRIPTS, "errors.py", "facade.py"}


def pack_modules() -> dict[str, Path]:
    """Dotted names (relative to the pack) of every module of the pack, tests excluded."""
    modules = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if NOT_THE_PACK & set(rel.parts) or "egg-info" in str(rel) or rel.name in ENTRY_SCRIPTS:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def pack_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every pack module `name` imports anywhere in its text: lazy and TYPE_CHECKING included."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if name == "":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - node.level + 1]
        target = [*base, *(node.module.split(".") if node.module else [])]
        # `from . import widgets` names a module; `from .errors import X` names a module's X.
        candidates = [".".join([*target, alias.name]) for alias in node.names]
        hits = [c for c in candidates if c in known]
        found |= set(hits) if hits else {".".join(target)}
    return {m for m in found if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = pack_modules()
    known = set(modules)
    return {name: pack_imports(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_root_holds_the_entry_points_and_at_most_four_other_modules() -> None:
    at_root = {path.name for path in ROOT.glob("*.py")}
    assert at_root <= ROOT_MODULES
    assert len(at_root - {"__init__.py"} - ENTRY_SCRIPTS) <= 4


def package_inits() -> list[Path]:
    """The `__init__.py` of every package of the pack, subpackages included."""
    return [
        init
        for init in ROOT.rglob("__init__.py")
        if init != ROOT / "__init__.py"
        and not NOT_THE_PACK & set(init.relative_to(ROOT).parts)
        and "egg-info" not in str(init)
    ]


def test_every_package_says_what_it_holds_and_what_it_may_import() -> None:
    inits = package_inits()
    assert ROOT / "routes" / "__init__.py" in inits  # the walk found the packages
    for init in inits:
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"
        assert "import" in doc, f"{init.relative_to(ROOT)} does not say what it may import"


def test_the_pack_has_no_import_circles_lazy_and_type_checking_imports_included() -> None:
    graph = import_graph()
    assert len(graph) > 30  # the walk found the pack
    assert find_cycle(graph) is None, f"import circle: {' -> '.join(find_cycle(graph) or [])}"


def test_the_cycle_finder_finds_a_planted_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


# The dependency direction, written once: a module of a layer imports only lower layers.
LAYERS = [
    {"errors"},
    {"config"},
    {"schemas"},
    {"service", "ledger", "media", "sandbox"},
    {"create", "collect"},
    {"facade"},
    {"routes"},
    {"cli", "nodes"},
    {""},
]


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def test_dependencies_point_one_way_nodes_to_verbs_to_parts_to_errors() -> None:
    wrong = []
    for module, targets in import_graph().items():
        for target in targets:
            same_package = module.split(".")[0] == target.split(".")[0]
            if not same_package and layer_of(target) >= layer_of(module):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


@pytest.mark.parametrize("path", list(pack_modules().values()), ids=lambda p: str(p.name))
def test_only_nodes_may_import_comfyui_or_torch(path: Path) -> None:
    if "nodes" in path.relative_to(ROOT).parts:
        return
    assert not imported_roots(path) & FORBIDDEN


# psycopg is the farm's: only its store and the one parser of a database URL load it.
PSYCOPG_HOMES = ("ledger/postgres/*", "config/database_url.py")


def test_only_the_postgres_store_imports_psycopg() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for path in pack_modules().values()
        if imported_roots(path) & {"psycopg", "psycopg_pool"}
    }
    assert "config/database_url.py" in importers  # the walk sees a lazy import too
    strays = [
        module
        for module in sorted(importers)
        if not any(fnmatch.fnmatch(module, home) for home in PSYCOPG_HOMES)
    ]
    assert strays == []


# The set-up (settings -> key -> ledger -> HTTP session -> client -> create or collect) is
# written once, in the facade: each of these is called only inside the package that defines it
# (its own internals), by the facade, or by the pack's own loop that runs a create to its end.
SETUP_CALLS = {
    "FreeSoraClient": "service",
    "open_session": "service",
    "submit_tasks": "create",
    "collect_video": "collect",
    "collect_videos": "collect",
    "open_ledger": "ledger",
}
SETUP_HOMES = {"facade.py", "create/detached.py"}


def setup_calls_outside_their_homes(modules: dict[str, Path]) -> list[str]:
    """`module: name` for every call of a SETUP_CALLS name where the set-up is not written."""
    found = []
    for name, path in sorted(modules.items()):
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        if rel in SETUP_HOMES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called in SETUP_CALLS and name.split(".")[0] != SETUP_CALLS[called]:
                found.append(f"{name}: {called}")
    return found


def test_the_setup_finder_finds_a_planted_client(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("async def run(s):\n    async with open_session() as h:\n        return h\n")
    assert setup_calls_outside_their_homes({"nodes.planted": planted}) == [
        "nodes.planted: open_session"
    ]
    assert setup_calls_outside_their_homes({"service.planted": planted}) == []


def test_the_setup_is_written_once() -> None:
    assert setup_calls_outside_their_homes(pack_modules()) == []


def test_the_pack_imports_relatively_so_any_folder_name_works() -> None:
    """ComfyUI loads the folder under its path as module name: absolute self-imports break."""
    offenders = [
        name for name, path in pack_modules().items() if "freesora" in imported_roots(path)
    ]
    assert offenders == []


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked for the test: " + name)
sys.meta_path.insert(0, Block())
"""


def test_every_module_outside_nodes_imports_with_comfyui_and_torch_unimportable() -> None:
    names = sorted(
        "freesora." + name
        for name in pack_modules()
        if name and not name.startswith("nodes") and name != "cli.__main__"
    )
    code = BLOCKER.format(blocked=sorted(FORBIDDEN)) + (
        f"import importlib\nfor n in {names!r}: importlib.import_module(n)\nprint(len({names!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd="/"
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == len(names) > 30


def test_importing_the_pack_loads_no_sandbox_demo_or_heavy_module() -> None:
    """What ComfyUI imports at start-up: the entry point, nothing else of the pack."""
    code = "import sys, freesora;print(sorted(m for m in sys.modules if m.startswith('freesora.')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert out.stdout.strip() == "['freesora.service']"


def test_the_version_of_the_user_agent_is_the_released_one() -> None:
    # The Comfy Registry reads a static project.version, so the code keeps a copy: kept equal.
    from freesora.service import VERSION

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == VERSION


def test_the_registry_metadata_and_requirements_name_no_heavy_dependency() -> None:
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    names = {
        line.split(">")[0].split("=")[0].split("<")[0].strip()
        for line in requirements.splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert names == {"pydantic", "aiohttp", "pillow", "numpy"}
    comfy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["comfy"]
    assert comfy["DisplayName"]
    assert comfy["PublisherId"]
    assert (ROOT / comfy["Icon"].split("/main/", 1)[1]).is_file()  # the icon is committed
    for include in comfy["includes"]:
        assert (ROOT / include).is_dir(), include


def test_every_package_of_the_pack_is_listed_for_the_installer() -> None:
    """A package missing from `packages` is missing from a wheel (`pip install .`), though an
    editable install and ComfyUI, which load the folder itself, would not show it."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(tool["setuptools"]["packages"])
    data_only = set(tool["setuptools"]["package-data"])  # folders of files, no Python
    found = {"freesora"} | {
        ".".join(["freesora", *init.parent.relative_to(ROOT).parts]) for init in package_inits()
    }
    assert listed - data_only == found
