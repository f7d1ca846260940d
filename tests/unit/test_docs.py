"""The README, ARCHITECTURE.md and docs/ stay true: links and pictures resolve, the price table
is the code's, the README stays short, and nothing is worded as history (docs say what is, not
what was).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from freesora.schemas.models import Size, VideoModel
from freesora.schemas.pricing import estimate_credits

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, ROOT / "ARCHITECTURE.md", *DOCS]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HISTORY = re.compile(
    r"\b(last|this|previous|next) round\b|\bpreviously\b|\bused to be\b|\bwas \d|"
    r"\bmeasured before\b|\bwas [^.;]{0,60}[,;] now\b",
    re.IGNORECASE,
)
README_MAX_LINES = 250


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [link for link in LINK.findall(text) if not link.startswith(("http:", "https:"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_local_link_and_anchor_resolves(page: Path) -> None:
    for link in _links(page):
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {link} names no file"
        if anchor:
            assert anchor in _anchors(path), f"{page.name}: {link} names no heading"


def test_the_readme_is_short_and_shows_each_picture_once() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert "docs/images/finished_run.png" in pictures
    assert len(pictures) == len(set(pictures)), pictures


def _paragraphs(text: str) -> list[str]:
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def test_the_readme_says_what_the_pack_is_first_and_how_to_start_soon_after() -> None:
    text = README.read_text(encoding="utf-8")
    lines = text.splitlines()
    prose = [p for p in _paragraphs(text) if not p.startswith(("#", "[![", "!["))]
    assert prose[0].startswith("Sora 2 videos from your ComfyUI graphs"), prose[0]
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[0] == "## Quick start", headings
    assert lines.index("## Quick start") < 40
    status = lines.index("## Service status")
    assert status > lines.index("## Install")  # what the pack is and how to get it come first
    quoted = [line for line in lines if line.startswith(">")]
    assert quoted == [], "a boxed notice before the pack says what it is"
    said = lines[status + 1 : lines.index("## Troubleshooting")]
    assert len([line for line in said if line.strip()]) <= 5


def test_the_readme_says_where_the_command_and_the_journal_are() -> None:
    text = README.read_text(encoding="utf-8")
    first_use = text.index("`freesora ")
    defined = text.index("**The `freesora` command**")
    assert defined < first_use or text.index("run_freesora.py") < first_use
    assert "run_freesora.py" in text[defined : defined + 600]
    # One name in prose: the command is `freesora`, run_freesora.py is only where it comes from.
    assert re.findall(r"`run_freesora\.py (?:check|tasks)", text) == []
    assert "user/__freesora/tasks.jsonl" in text
    assert "~/.local/share/freesora/tasks.jsonl" in text


def test_the_readmes_windows_lines_start_the_comfyui_they_name() -> None:
    text = README.read_text(encoding="utf-8")
    assert "holds `run_cpu.bat`" not in text
    for line in text.splitlines():
        if "run_cpu.bat" in line:  # named only as the alternative to the GPU build's starter
            assert "instead of `run_nvidia_gpu.bat`" in line, line
    assert "ComfyUI_windows_portable" in text


def test_every_reference_page_is_linked_from_the_readme() -> None:
    linked = set(_links(README))
    assert {f"docs/{page.name}" for page in DOCS} <= linked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_nothing_is_worded_as_history(page: Path) -> None:
    found = HISTORY.findall(page.read_text(encoding="utf-8"))
    assert not found, f"{page.name}: {found}"


def test_the_price_table_in_the_docs_is_the_codes() -> None:
    text = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[1:] and all(c.isdigit() or not c for c in cells[1:]):
            rows[cells[0]] = [int(c) if c else None for c in cells[1:]]

    def expected(model: VideoModel, size: Size | None = None) -> list[int | None]:
        lengths = (10, 15, 25) if model is VideoModel.PRO_STORYBOARD else (10, 15)
        return [estimate_credits(model, s, size) if s in lengths else None for s in (10, 15, 25)]

    pro = "`sora-2-pro-text-to-video`, `sora-2-pro-image-to-video`, `standard`"
    assert rows == {
        "`sora-2-text-to-video`, `sora-2-image-to-video`": expected(VideoModel.TEXT_TO_VIDEO),
        "`sora-2-text-to-video-stable`, `sora-2-image-to-video-stable`": expected(
            VideoModel.TEXT_TO_VIDEO_STABLE
        ),
        pro: expected(VideoModel.PRO_TEXT_TO_VIDEO, Size.STANDARD),
        "the same, `high` (about 1080p, 2.2x)": expected(VideoModel.PRO_TEXT_TO_VIDEO, Size.HIGH),
        "`sora-2-pro-storyboard`": expected(VideoModel.PRO_STORYBOARD),
    }
    assert expected(VideoModel.IMAGE_TO_VIDEO) == expected(VideoModel.TEXT_TO_VIDEO)
    assert expected(VideoModel.PRO_IMAGE_TO_VIDEO, Size.HIGH) == expected(
        VideoModel.PRO_TEXT_TO_VIDEO, Size.HIGH
    )
