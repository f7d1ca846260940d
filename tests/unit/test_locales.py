"""The Chinese locale and the help pages keep up with the nodes and the pack's frontend text.

English is the source: the nodes' schemas (locales/en/nodeDefs.json is generated from them by
`python3 dev.py locales`, and tests/comfyui/test_locales_in_comfyui.py proves it equal on each
host) and the English written at each `t("key", "English")` of web/. These tests need no
ComfyUI: a node, input or output added to the schemas shows up here as missing in Chinese.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
WEB = ROOT / "web"
DOCS = WEB / "docs"
# The languages shipped beside the English of the schemas and of web/.
TRANSLATIONS = ("zh",)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# `t("inbox.refresh", "Refresh"` in web/*.js: the key and its English (either quote).
T_CALL = re.compile(r"""\bt\(\s*"([\w.]+)",\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# A setting id of the pack: FreeSora.<Group>.<Name> (the extension's own name has two parts).
SETTING_ID = re.compile(r'"(FreeSora\.[A-Z]\w*\.[A-Z]\w*)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# vue-i18n's literal: the text between the quotes, shown as it is.
LITERAL = re.compile(r"\{'[^']*'\}")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def english_node_defs() -> dict[str, Any]:
    return dict(_json(LOCALES / "en" / "nodeDefs.json"))


def node_ids_in_the_code() -> set[str]:
    return {
        found
        for path in (ROOT / "nodes").glob("*.py")
        for found in re.findall(r'node_id="(\w+)"', path.read_text(encoding="utf-8"))
    }


def web_texts() -> dict[str, str]:
    """Every `t()` key of web/*.js and its English."""
    texts: dict[str, str] = {}
    for path in sorted(WEB.glob("*.js")):
        for key, double, single in T_CALL.findall(path.read_text(encoding="utf-8")):
            english = double or single
            assert texts.get(key, english) == english, f"{key} has two English texts"
            texts[key] = english
    return texts


def setting_ids() -> set[str]:
    return {
        found for path in WEB.glob("*.js") for found in SETTING_ID.findall(path.read_text("utf-8"))
    }


def flat(messages: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_the_english_node_list_names_every_node_of_the_code() -> None:
    assert set(english_node_defs()) == node_ids_in_the_code()
    assert len(node_ids_in_the_code()) >= 6  # the scan found the nodes


def translation_gaps(english: dict[str, Any], translated: dict[str, Any]) -> list[str]:
    """What `translated` lacks of the nodes `english` lists: names, descriptions, tooltips."""
    gaps = [f"{node_id}: not translated" for node_id in english if node_id not in translated]
    gaps += [f"{node_id}: no such node" for node_id in translated if node_id not in english]
    for node_id, source in english.items():
        node = translated.get(node_id)
        if node is None:
            continue
        gaps += [f"{node_id}.{f}" for f in ("display_name", "description") if not _zh(node, f)]
        inputs, outputs = node.get("inputs", {}), node.get("outputs", {})
        gaps += [
            f"{node_id}: input {name} is not in English"
            for name in inputs.keys() - source["inputs"].keys()
        ]
        gaps += [
            f"{node_id}: output {i} is not in English"
            for i in outputs.keys() - source["outputs"].keys()
        ]
        for name, entry in source["inputs"].items():
            mine = inputs.get(name, {})
            gaps += _untranslated(f"{node_id}: input {name}", entry, mine)
            # Errors name an input by its id: the tooltip says which id the label stands for.
            if _zh(mine, "tooltip") and not mine["tooltip"].startswith(f"{name}："):
                gaps.append(f"{node_id}: input {name} tooltip does not start with its id")
        for index, entry in source["outputs"].items():
            gaps += _untranslated(f"{node_id}: output {index}", entry, outputs.get(index, {}))
    return gaps


def _untranslated(where: str, english: dict[str, str], mine: dict[str, str]) -> list[str]:
    """The fields of one English entry (its name always) that `mine` gives no Chinese for."""
    return [
        f"{where} {field}" for field in ("name", *english.keys() - {"name"}) if not _zh(mine, field)
    ]


def _zh(entry: dict[str, Any], field: str) -> bool:
    return bool(CHINESE.search(str(entry.get(field, ""))))


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_node_input_and_output_has_a_translation(lang: str) -> None:
    gaps = translation_gaps(english_node_defs(), _json(LOCALES / lang / "nodeDefs.json"))
    assert not gaps, "\n".join(gaps)


def test_an_input_the_schemas_gain_shows_up_as_untranslated() -> None:
    english = english_node_defs()
    translated = _json(LOCALES / "zh" / "nodeDefs.json")
    node = dict(english["FreeSoraTextToVideo"])
    node["inputs"] = {**node["inputs"], "new_input": {"name": "new_input", "tooltip": "New."}}
    gaps = translation_gaps({**english, "FreeSoraTextToVideo": node}, translated)
    assert gaps == [
        "FreeSoraTextToVideo: input new_input name",
        "FreeSoraTextToVideo: input new_input tooltip",
    ]
    new_node = {"display_name": "New", "description": "New.", "inputs": {}, "outputs": {}}
    assert translation_gaps({**english, "FreeSoraNew": new_node}, translated) == [
        "FreeSoraNew: not translated"
    ]


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_setting_of_the_pack_has_a_translated_name(lang: str) -> None:
    ids = setting_ids()
    assert {"FreeSora.Key.ApiKey", "FreeSora.Cost.ConfirmAbove"} <= ids  # the scan works
    translated = _json(LOCALES / lang / "settings.json")
    # The frontend looks a setting up by its id with every "." as "_".
    assert set(translated) == {setting.replace(".", "_") for setting in ids}
    for key, entry in translated.items():
        assert CHINESE.search(entry.get("name", "")), f"{key}: name is not translated"


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_text_of_the_packs_frontend_has_a_translation_with_the_same_blanks(
    lang: str,
) -> None:
    english = web_texts()
    assert len(english) > 30  # the scan found the calls
    translated = flat(_json(LOCALES / lang / "main.json")["freesora"])
    assert set(translated) == set(english), (
        f"missing: {sorted(set(english) - set(translated))}, "
        f"unused: {sorted(set(translated) - set(english))}"
    )
    for key, text in translated.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


@pytest.mark.parametrize("lang", ["en", *TRANSLATIONS])
def test_no_locale_text_holds_what_the_frontends_message_compiler_reads_as_syntax(
    lang: str,
) -> None:
    """The frontend merges every pack's locale, English included, into its vue-i18n messages,
    where `@` links, `|` separates plurals (a tooltip would show one piece of itself) and
    braces hold only named blanks; `{'|'}` is the literal bar."""
    files = [LOCALES / lang / name for name in ("main.json", "settings.json", "nodeDefs.json")]
    texts = [text for file in files if file.is_file() for text in flat(_json(file)).values()]
    assert texts
    for text in texts:
        bare = LITERAL.sub("", text)
        assert not re.search(r"[@|]", bare), text
        assert not re.search(r"[{}]", PLACEHOLDER.sub("", bare)), text


@pytest.mark.parametrize("lang", ["en", *TRANSLATIONS])
def test_every_node_has_a_help_page_naming_each_of_its_inputs(lang: str) -> None:
    """web/docs/<NodeId>.md (English, every language's fallback) and <NodeId>/<lang>.md, as
    the node library of frontends 1.27 to 1.58 looks them up."""
    for node_id, node in english_node_defs().items():
        page = DOCS / (f"{node_id}.md" if lang == "en" else f"{node_id}/{lang}.md")
        assert page.is_file(), f"no help page {page.relative_to(ROOT)}"
        text = page.read_text(encoding="utf-8")
        assert text.startswith("# "), page
        missing = [name for name in node["inputs"] if f"`{name}`" not in text]
        assert not missing, f"{page.relative_to(ROOT)} does not name {missing}"


def test_there_are_help_pages_only_for_nodes_that_exist() -> None:
    nodes = set(english_node_defs())
    pages = {path.stem for path in DOCS.glob("*.md")} | {
        p.name for p in DOCS.iterdir() if p.is_dir()
    }
    assert pages == nodes
    for folder in (p for p in DOCS.iterdir() if p.is_dir()):
        assert {page.stem for page in folder.glob("*.md")} <= set(TRANSLATIONS), folder


def test_the_readme_links_every_help_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for node_id in english_node_defs():
        assert f"(web/docs/{node_id}.md)" in readme, node_id
