"""The English locale of the nodes, made from their schemas as ComfyUI serves them.

`locales/en/nodeDefs.json` is not written by hand: it is what `/object_info` says about each
node (its display name, description, every input's tooltip, every output's name), in the form
the frontend's i18n reads (`nodeDefs.<NodeId>.inputs.<input>.tooltip`,
`nodeDefs.<NodeId>.outputs.<index>.name`). It is the checked-in list of every node, input and
output that the Chinese file must match (tests/unit/test_locales.py), and
tests/comfyui/test_locales_in_comfyui.py proves it equal to what a running ComfyUI reports.

Run as a script with a ComfyUI's Python (`python3 dev.py locales` does) it builds the schemas
in-process, without starting a server, and writes the file (`--check`: only compares).
Must not import anything of ComfyUI at module level: the tests import `node_defs` without it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGLISH_NODE_DEFS = REPO_ROOT / "locales" / "en" / "nodeDefs.json"
# vue-i18n, which the frontend merges every pack's locale into, reads `|` as a plural separator
# and `@` as a link: written as its literals, `SECONDS | scene` shows as the schema says it.
SYNTAX = {"|": "{'|'}", "@": "{'@'}"}
# The name the pack is imported under here (ComfyUI uses the folder's path; any name works).
PACK_MODULE = "freesora_locale_source"


def _literal(text: str) -> str:
    return "".join(SYNTAX.get(char, char) for char in text)


def _input_entries(info: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every input the user sees (required, then optional; hidden ones are not shown)."""
    entries: dict[str, dict[str, str]] = {}
    for section in ("required", "optional"):
        for name, spec in (info.get("input", {}).get(section) or {}).items():
            options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            entry = {"name": _literal(options.get("display_name") or name)}
            if options.get("tooltip"):
                entry["tooltip"] = _literal(options["tooltip"])
            entries[name] = entry
    return entries


def _output_entries(info: dict[str, Any]) -> dict[str, dict[str, str]]:
    names = info.get("output_name") or []
    tooltips = info.get("output_tooltips") or [None] * len(names)
    entries: dict[str, dict[str, str]] = {}
    for index, (name, tooltip) in enumerate(zip(names, tooltips, strict=True)):
        entry = {"name": _literal(name)}
        if tooltip:
            entry["tooltip"] = _literal(tooltip)
        entries[str(index)] = entry
    return entries


def node_defs(object_info: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The frontend's `nodeDefs` locale of these nodes, from their `/object_info` entries."""
    defs: dict[str, Any] = {}
    for node_id in sorted(object_info):
        info = object_info[node_id]
        defs[node_id] = {
            "display_name": _literal(info["display_name"]),
            "description": _literal(info["description"]),
            "inputs": _input_entries(info),
            "outputs": _output_entries(info),
        }
    return defs


def dumped(defs: dict[str, Any]) -> str:
    """The file's exact text (a diff of the file is a diff of the English)."""
    return json.dumps(defs, ensure_ascii=False, indent=2) + "\n"


def _object_info_in_process(comfy_dir: Path) -> dict[str, dict[str, Any]]:
    """Each node's `/object_info` entry, from the pack's schemas in this (ComfyUI's) Python."""
    sys.path.insert(0, str(comfy_dir))
    spec = importlib.util.spec_from_file_location(
        PACK_MODULE, REPO_ROOT / "__init__.py", submodule_search_locations=[str(REPO_ROOT)]
    )
    assert spec is not None
    assert spec.loader is not None
    pack = importlib.util.module_from_spec(spec)
    sys.modules[PACK_MODULE] = pack
    spec.loader.exec_module(pack)
    nodes = importlib.import_module(f"{PACK_MODULE}.nodes.extension").NODES
    return {info["name"]: info for info in (node.GET_NODE_INFO_V1() for node in nodes)}


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print("usage: english_locale.py COMFYUI_DIR [--check]", file=sys.stderr)
        return 2
    text = dumped(node_defs(_object_info_in_process(Path(argv[0]))))
    if "--check" in argv[1:]:
        same = ENGLISH_NODE_DEFS.read_text(encoding="utf-8") == text
        print(f"{ENGLISH_NODE_DEFS}: {'matches the schemas' if same else 'differs: write it'}")
        return 0 if same else 1
    ENGLISH_NODE_DEFS.parent.mkdir(parents=True, exist_ok=True)
    ENGLISH_NODE_DEFS.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {ENGLISH_NODE_DEFS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
