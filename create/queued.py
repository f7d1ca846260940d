"""What a queued prompt may start before it runs ("Start tasks when queued"), without ComfyUI.

A prompt that passed validation and entered ComfyUI's queue may have its creates started at
once, so the tasks of a queue run at the service together. Only what will surely be asked for,
exactly as it will be asked for, starts early:
- creation nodes ComfyUI will execute: ancestors of the prompt's outputs (those it queued,
  `partial_execution_targets` applied), never reached through a lazy input (a switch, a
  lazy branch: the node may never run);
- whose request is fully known from the prompt: widget values, a Storyboard's `shot_list` or
  a chain of Shot Builders of literal values. An input linked to any other node is computed
  when the graph runs: that node starts then, as with the switch off. Image to Video starts
  when it runs (its fingerprint hashes the encoded image, which only the run has);
- whose takes the ledger knows nothing of, or only as reusable (`submit.may_start_early`,
  checked when the takes are about to be claimed): a node that ran before with these values may
  be served from ComfyUI's cache and never claim again.
The takes are planned by the nodes' own code (`plan.text_to_video_takes`, `storyboard_takes`),
from the values validation left in the prompt, so the node's claim finds the same take.
Must not import comfy, torch or anything from `nodes/`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FreeSoraError
from ..ledger import Ledger
from ..schemas.account_limits import AccountLimits
from ..schemas.models import MAX_SHOTS
from ..schemas.pricing import PriceTable, price_of
from .plan import SHOT_BUILDER, NodeTakes, add_shot, storyboard_takes, text_to_video_takes

TEXT_TO_VIDEO = "FreeSoraTextToVideo"
STORYBOARD = "FreeSoraStoryboard"
# (class_type, input name) -> whether ComfyUI evaluates that input only when the node asks.
IsLazy = Callable[[str, str], bool]


@dataclass(frozen=True)
class EarlyStart:
    """One creation node of a queued prompt whose takes may start now."""

    node_id: str
    class_type: str
    takes: NodeTakes


def early_starts(
    prompt: Mapping[str, Any], outputs: Iterable[str], is_lazy: IsLazy
) -> list[EarlyStart]:
    """The creation nodes of an API-format `prompt` that may start when it is queued, in node
    id order; `outputs`: the output nodes ComfyUI will execute."""
    starts = []
    for node_id in sorted(will_run(prompt, outputs, is_lazy), key=_id_order):
        node = prompt[node_id]
        planned = known_takes(prompt, node)
        if planned is not None:
            starts.append(EarlyStart(node_id, node["class_type"], planned))
    return starts


def will_run(prompt: Mapping[str, Any], outputs: Iterable[str], is_lazy: IsLazy) -> set[str]:
    """The nodes the outputs surely need: their ancestors through inputs that are not lazy."""
    needed: set[str] = set()
    waiting = [str(node_id) for node_id in outputs]
    while waiting:
        node_id = waiting.pop()
        node = prompt.get(node_id)
        if node_id in needed or not isinstance(node, dict):
            continue
        needed.add(node_id)
        class_type = str(node.get("class_type"))
        for name, value in (node.get("inputs") or {}).items():
            if is_link(value) and not is_lazy(class_type, name):
                waiting.append(str(value[0]))
    return needed


def known_takes(prompt: Mapping[str, Any], node: Mapping[str, Any]) -> NodeTakes | None:
    """The takes a creation node will create, when the prompt alone says them; else None (not
    a node that starts early, an input known only at run time, or values the node itself will
    refuse when it runs)."""
    inputs = dict(node.get("inputs") or {})
    class_type = node.get("class_type")
    try:
        if class_type == TEXT_TO_VIDEO and not any(map(is_link, inputs.values())):
            return text_to_video_takes(**inputs)
        if class_type == STORYBOARD:
            shots = inputs.pop("shots", None)
            if any(map(is_link, inputs.values())):
                return None
            if shots is None:
                return storyboard_takes(**inputs)
            chained = builder_shots(prompt, shots)
            return None if chained is None else storyboard_takes(chained, **inputs)
    except (FreeSoraError, TypeError, ValueError):
        return None  # refused when the node runs, in its own words; nothing starts early
    return None


def builder_shots(prompt: Mapping[str, Any], link: Any) -> list[dict[str, Any]] | None:
    """The shot list a chain of Shot Builders of literal values makes (each builder adds its
    shot after the ones linked into it, as it does when it runs), or None."""
    chain: list[Mapping[str, Any]] = []
    while link is not None:
        if not is_link(link) or link[1] != 0 or len(chain) >= MAX_SHOTS:
            return None
        builder = prompt.get(str(link[0]))
        if not isinstance(builder, dict) or builder.get("class_type") != SHOT_BUILDER:
            return None
        inputs = builder.get("inputs") or {}
        if is_link(inputs.get("scene")) or is_link(inputs.get("duration_s")):
            return None
        chain.append(inputs)
        link = inputs.get("shots")
    shots: list[dict[str, Any]] | None = None
    for inputs in reversed(chain):
        shots = add_shot(shots, inputs.get("scene"), inputs.get("duration_s"))
    return shots


def is_link(value: Any) -> bool:
    """An API-format input linked to another node's output: `["<node id>", <output index>]`."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str | int)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _id_order(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (1 << 62, node_id)


async def new_takes_price(
    ledger: Ledger, account: str, base_url: str, run: NodeTakes, prices: PriceTable
) -> float:
    """The credits a node's takes would be charged when started early (`may_start_early`):
    those never claimed; nothing for a node that will not start early."""
    from .submit import attempts_of, may_start_early

    earlier = await attempts_of(ledger, account, base_url, run.planned, run.seed)
    if not may_start_early(earlier):
        return 0.0
    return sum(
        price_of(task.request.to_payload(), prices)
        for task, entry in zip(run.planned, earlier, strict=True)
        if entry is None
    )


class Held:
    """An early start's place in flight, held from before its claim until its creates' answers
    are settled; `release` gives it back (once)."""

    def __init__(self, pacer: Pacer, creates: int) -> None:
        self._pacer, self._creates = pacer, creates

    def release(self) -> None:
        creates, self._creates = self._creates, 0
        if creates:
            self._pacer.give_back(creates)


class Pacer:
    """Early starts let out only when their creates can be sent at once (`AccountLimits`): room
    in flight, a turn in the window, no 429 pause of the account. So they never wait at the
    account's gate with a SENDING record written: a take still waiting here is not claimed, and
    if ComfyUI stops meanwhile nothing of it was recorded or sent. Thread-safe: each queued
    prompt's starts wait on a thread of their own."""

    def __init__(
        self, limits: AccountLimits, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._limits = limits
        self._clock, self._sleep = clock, sleep
        self._changed = threading.Condition()
        self._sent: deque[float] = deque()
        self._in_flight = 0

    def wait_turn(self, creates: int, paused_until: Callable[[], float] = lambda: 0.0) -> Held:
        """Block until `creates` more can be sent at once (`next_turn`); `paused_until`: the
        end of the account's 429 pause, on this pacer's clock."""
        while True:
            with self._changed:
                turn = self.next_turn(creates, paused_until())
                if turn is None:
                    self._changed.wait()  # until an early start's answers are settled
                    continue
            if isinstance(turn, Held):
                return turn
            self._sleep(turn)

    def next_turn(self, creates: int, paused_until: float = 0.0) -> Held | float | None:
        """`creates` let out now (Held), or the seconds to wait (a pause, the window), or None
        while the account's creates in flight leave no room. A batch larger than the account's
        limits goes when nothing of the pacer's is in flight or in the window."""
        with self._changed:
            now = self._clock()
            if paused_until > now:
                return paused_until - now
            if self._in_flight and self._in_flight + creates > self._limits.max_in_flight:
                return None
            window = self._limits.window_s
            while self._sent and self._sent[0] <= now - window:
                self._sent.popleft()
            if creates > self._limits.creates_per_window - len(self._sent) and self._sent:
                return max(self._sent[0] + window - now, 0.0)
            self._sent.extend([now] * creates)
            self._in_flight += creates
            return Held(self, creates)

    def give_back(self, creates: int) -> None:
        with self._changed:
            self._in_flight -= creates
            self._changed.notify_all()
