"""The pack's languages, help pages and search words as a real ComfyUI serves them.

ComfyUI merges each pack's `locales/<lang>/` into `GET /i18n`, serves the web folder (help pages
included) under `/extensions/<pack folder>/`, and hands `search_aliases` to the frontend in
`/object_info` on cores whose `io.Schema` takes them.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from comfy_host.graphs import PACK_ENTRY, REPO_ROOT
from comfy_host.hosts import Host
from comfy_host.server import ComfyServer
from english_locale import ENGLISH_NODE_DEFS, dumped, node_defs

pytestmark = pytest.mark.comfyui

LOCALES = REPO_ROOT / "locales"
NODE_IDS = sorted(json.loads(ENGLISH_NODE_DEFS.read_text(encoding="utf-8")))


def _file(lang: str, name: str) -> Any:
    return json.loads((LOCALES / lang / name).read_text(encoding="utf-8"))


def _pack_nodes(comfy: ComfyServer) -> dict[str, dict[str, Any]]:
    status, info = comfy.request("GET", "/object_info")
    assert status == 200
    return {node_id: node for node_id, node in info.items() if node["category"] == "FreeSora"}


def _get_text(comfy: ComfyServer, path: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(comfy.url + path, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_the_english_locale_is_what_the_schemas_say_on_this_core(comfy: ComfyServer) -> None:
    live = dumped(node_defs(_pack_nodes(comfy)))
    assert live == ENGLISH_NODE_DEFS.read_text(encoding="utf-8"), (
        "locales/en/nodeDefs.json is not what the nodes' schemas say: run `python3 dev.py "
        "locales` with this ComfyUI, then translate what changed in locales/zh/nodeDefs.json"
    )


def test_i18n_serves_the_packs_english_and_chinese(comfy: ComfyServer) -> None:
    status, served = comfy.request("GET", "/i18n")
    assert status == 200
    assert served["en"]["nodeDefs"] == _file("en", "nodeDefs.json")
    chinese = served["zh"]
    assert chinese["nodeDefs"] == _file("zh", "nodeDefs.json")
    assert chinese["settings"] == _file("zh", "settings.json")
    main = _file("zh", "main.json")
    assert chinese["freesora"] == main["freesora"]  # the pack's own web text
    assert main["settingsCategories"].items() <= chinese["settingsCategories"].items()


def test_every_help_page_is_served_where_the_node_library_asks(comfy: ComfyServer) -> None:
    for node_id in NODE_IDS:
        for page in (f"{node_id}.md", f"{node_id}/zh.md"):
            status, text = _get_text(comfy, f"/extensions/{PACK_ENTRY}/docs/{page}")
            assert status == 200, page
            assert text == (REPO_ROOT / "web" / "docs" / page).read_text(encoding="utf-8")


def _core_takes_search_aliases(host: Host) -> bool:
    source = (host.comfy_dir / "comfy_api" / "latest" / "_io.py").read_text(encoding="utf-8")
    schema = source[source.index("class Schema:") :]
    return re.search(r"^    search_aliases\s*:", schema, re.MULTILINE) is not None


@pytest.mark.parametrize("node_id", NODE_IDS)
def test_the_node_search_finds_each_node_by_its_aliases_where_the_core_takes_them(
    comfy: ComfyServer, host: Host, node_id: str
) -> None:
    aliases = comfy.object_info(node_id).get("search_aliases")
    if not _core_takes_search_aliases(host):
        assert not aliases  # left out, and the pack loaded: the keyword would have failed it
    else:
        assert aliases
        assert "sora" in aliases
