"""What a node's badges show on screen: drawn on the canvas (classic) or as chips (Nodes 2.0).

The classic canvas draws pixels, so the page records, per node, the badge texts its latest
frame drew (a wrapper around LGraphCanvas.drawNode and LGraphBadge.draw, the frontend's own
drawing calls); Nodes 2.0 renders DOM, read from the node's element.
"""

from __future__ import annotations

from typing import Any

WAIT_MS = 10_000

RECORD_CANVAS_BADGES = """() => {
    if (window.__freesoraDrawn) return;
    const drawn = (window.__freesoraDrawn = {});
    const canvas = window.LGraphCanvas.prototype, badge = window.LGraphBadge.prototype;
    const drawNode = canvas.drawNode, draw = badge.draw;
    let current = null;
    canvas.drawNode = function (node, ...rest) {
        const outer = current;
        current = node.id;
        drawn[node.id] = [];
        try { return drawNode.call(this, node, ...rest); } finally { current = outer; }
    };
    badge.draw = function (...args) {
        if (current !== null && this.text) drawn[current].push(this.text);
        return draw.apply(this, args);
    };
}"""

# Nodes 2.0 may split a badge into chips ("≈ 90 credits" + "(3 × 30)"): compare without spaces.
CHIPS_SHOW = """([id, text]) => {
    const squeeze = (s) => s.replace(/\\s+/g, '');
    const el = document.querySelector(`[data-node-id="${id}"]`);
    return !!el && squeeze(el.textContent).includes(squeeze(text));
}"""

CANVAS_SHOWS = """([id, text]) => (window.__freesoraDrawn?.[id] ?? []).includes(text)"""


def record_canvas_badges(page: Any) -> None:
    """Start recording what the classic canvas draws (call once the frontend has loaded)."""
    page.evaluate(RECORD_CANVAS_BADGES)


def shown_badges(page: Any, node: int) -> Any:
    """For a failure message: what the screen shows for `node` now."""
    if page.freesora_mode == "vue":
        return page.evaluate(
            'id => document.querySelector(`[data-node-id="${id}"]`)?.innerText', node
        )
    return page.evaluate("id => window.__freesoraDrawn?.[id]", node)


def badge_on_screen(page: Any, node: int, text: str) -> None:
    """`text` is what the screen shows as `node`'s badge now, waiting for the next frame(s)."""
    script = CHIPS_SHOW if page.freesora_mode == "vue" else CANVAS_SHOWS
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # skipped without it

    try:
        page.wait_for_function(script, arg=[node, text], timeout=WAIT_MS, polling=100)
    except PlaywrightTimeout as exc:
        shown = shown_badges(page, node)
        raise AssertionError(f"badge {text!r} not on screen; node {node} shows {shown!r}") from exc
