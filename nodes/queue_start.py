"""Start tasks when queued: a queued prompt's creates start as soon as it is in ComfyUI's queue.

ComfyUI runs one prompt at a time, so a queue of N prompts would take N task times although the
service runs the account's tasks together. With the switch on (`FREESORA_START_WHEN_QUEUED`
wins; else the frontend's `extra_data["freesora_start_when_queued"]` of each prompt) the
creation nodes `create.queued.early_starts` picks are started on the pack's own loop
(`FreeSora.start_create`) once the prompt has passed validation AND entered the queue: the
server calls `prompt_queue.put` only then (its on-prompt handlers run before validation and
cannot refuse a prompt, so a create started there could be paid for a prompt that is then
refused). When the prompt runs, each node claims the same take and reuses its task through the
ledger; a prompt deleted, a queue cleared, an interrupt or a stopped ComfyUI leaves every task
started in the journal, marked `started_when_queued`, to collect from the FreeSora tab or Task
History. The daily budget of those takes is checked while the prompt is validated
(`queued_budget_problem`, from the creation nodes' `validate_inputs`), so a prompt whose early takes
would not fit is refused by `/prompt` with the budget's message, and nothing starts.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .prompt_check import validated_request

if TYPE_CHECKING:
    from ..config import Settings
    from ..create.queued import EarlyStart, Held, Pacer
    from ..create.submit import Submitted
    from ..schemas.pricing import PriceTable

logger = logging.getLogger("freesora.queue")
EXTRA_KEY = "freesora_start_when_queued"  # the frontend's switch in a prompt's extra_data
_REMEMBERED = 10_000  # prompt ids kept to never start one twice (a prompt is queued once)
_started: OrderedDict[str, None] = OrderedDict()
_guard = threading.Lock()
_HOOKED: set[int] = set()
# A node whose takes the ledger already knows (`create.submit.may_start_early`).
NOT_EARLY = (
    "not started when queued: an earlier attempt with these values is in the task journal;"
    " the node creates its tasks when it runs"
)


def register() -> None:
    """Wrap the running server's queue once (none in tests that only list nodes)."""
    prompt_server = getattr(sys.modules.get("server"), "PromptServer", None)
    server = getattr(prompt_server, "instance", None)
    queue = getattr(server, "prompt_queue", None)
    if queue is None or id(queue) in _HOOKED or not callable(getattr(queue, "put", None)):
        return
    put: Callable[[Any], None] = queue.put

    def put_then_start(item: Any) -> None:
        put(item)  # in the queue first: a failure below never loses the prompt
        try:
            start_queued(server, item)
        except Exception:  # the queue must go on whatever happens here
            logger.exception("FreeSora could not start the tasks of a queued prompt")

    queue.put = put_then_start
    _HOOKED.add(id(queue))


def switch_on(extra_data: Any) -> bool:
    """Whether a prompt's takes start when it is queued: the environment's setting wins."""
    from ..config import start_when_queued_setting
    from ..errors import ConfigError

    try:
        forced = start_when_queued_setting()
    except ConfigError as exc:
        logger.error("%s; tasks start when their prompt runs", exc)
        return False
    if forced is not None:
        return forced
    return isinstance(extra_data, dict) and extra_data.get(EXTRA_KEY) is True


def queue_item(item: Any) -> tuple[str, dict[str, Any], dict[str, Any], list[str]] | None:
    """(prompt id, prompt, extra_data, outputs to execute) of a queue item, or None.

    0.3.64 queues (number, id, prompt, extra_data, outputs); newer cores add a sixth field
    (the sensitive extra data): only the first five are read, each checked for its type."""
    if not isinstance(item, tuple | list) or len(item) < 5:
        return None
    prompt_id, prompt, extra, outputs = item[1], item[2], item[3], item[4]
    if not isinstance(prompt_id, str) or not isinstance(prompt, dict):
        return None
    if not isinstance(extra, dict) or not isinstance(outputs, list | tuple | set):
        return None
    return prompt_id, prompt, extra, [str(output) for output in outputs]


def start_queued(server: Any, item: Any) -> None:
    """On the server's loop, as the prompt enters the queue: choose what starts (a walk over
    the prompt), then start it from a thread (reading the settings touches the disk)."""
    from ..create.queued import early_starts

    found = queue_item(item)
    if found is None:
        return
    prompt_id, prompt, extra, outputs = found
    if not switch_on(extra) or not _first_time(prompt_id):
        return
    starts = early_starts(prompt, outputs, is_lazy)
    if not starts:
        return
    client_id = extra.get("client_id")
    sid = client_id if isinstance(client_id, str) and client_id else None
    args = (server, prompt_id, sid, starts)
    threading.Thread(target=_start_all, args=args, name="freesora-queued", daemon=True).start()


def _first_time(prompt_id: str) -> bool:
    with _guard:
        if prompt_id in _started:
            return False
        _started[prompt_id] = None
        while len(_started) > _REMEMBERED:
            _started.popitem(last=False)
        return True


def _start_all(server: Any, prompt_id: str, sid: str | None, starts: list[EarlyStart]) -> None:
    from ..config import load_settings
    from ..errors import FreeSoraError
    from ..facade import FreeSora
    from ..service.account_gate import paused_until
    from .comfy_folders import journal_path

    for start in starts:
        tell = functools.partial(_tell, server, start.node_id, sid)
        run = start.takes
        where = (prompt_id, start.node_id)
        try:  # no key, a bad profile or limit: the node says it when it runs
            settings = load_settings(run.profile)
            key = settings.require_key().reveal()
            pause = functools.partial(paused_until, settings.base_url, key)
            # Its place at the account's gate first: the claim below is sent at once.
            held = _pacer().wait_turn(len(run.planned), pause)
        except FreeSoraError as exc:
            logger.warning("prompt %s, node %s: not started when queued: %s", *where, exc)
            continue
        if not _still_queued(server, prompt_id):  # deleted, or the queue cleared, meanwhile
            held.release()
            logger.info("prompt %s left the queue: its tasks start only if it runs", prompt_id)
            return
        try:
            future = FreeSora.start_create(
                run.profile,
                run.planned,
                seed=run.seed,
                default_journal=journal_path,
                settings=settings,
                on_submitted=_on_submitted(tell, len(run.planned)),
                on_wait=_prefixed(tell),
                started_when_queued=True,
            )
        except FreeSoraError as exc:
            held.release()
            logger.warning("prompt %s, node %s: not started when queued: %s", *where, exc)
            continue
        count = len(run.planned)
        tell(f"started when queued: creating {count} task{'s' if count != 1 else ''}")
        future.add_done_callback(functools.partial(_let_go, held))
        future.add_done_callback(functools.partial(_ended, prompt_id, start.node_id, tell))


def _let_go(held: Held, _done: Future[Any]) -> None:
    held.release()  # the creates' answers are settled: the next early start may go


def _still_queued(server: Any, prompt_id: str) -> bool:
    """Whether the prompt is still waiting in the queue or running (by its id, the second
    field of every core's queue item). A queue that cannot be read counts as holding it."""
    queue = server.prompt_queue
    read = getattr(queue, "get_current_queue_volatile", None) or queue.get_current_queue
    try:
        running, pending = read()
        return any(len(item) > 1 and item[1] == prompt_id for item in [*running, *pending])
    except Exception:
        return True


@functools.cache
def _pacer() -> Pacer:
    import time

    from ..create.queued import Pacer
    from ..schemas.account_limits import AccountLimits

    return Pacer(AccountLimits.from_env(), time.monotonic, time.sleep)


def _prefixed(tell: Callable[[str], None]) -> Callable[[str], None]:
    return lambda message: tell(f"started when queued: {message}")


def _on_submitted(tell: Callable[[str], None], count: int) -> Callable[[int, Submitted], None]:
    lines = [""] * count
    guard = threading.Lock()

    def submitted(index: int, result: Submitted) -> None:
        prefix = f"{index + 1}/{count}: " if count > 1 else ""
        with guard:
            lines[index] = prefix + result.describe()
            text = "\n".join(line for line in lines if line)
        tell(f"started when queued:\n{text}")

    return submitted


def _ended(prompt_id: str, node_id: str, tell: Callable[[str], None], done: Future[Any]) -> None:
    """A failed early start is told, not raised: the node meets the same take when it runs
    (a refusal is tried again, an unknown outcome blocks a resend) and says it there."""
    from ..errors import MESSAGE_MAX_CHARS, shortened

    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        logger.warning(
            "prompt %s, node %s: a task started when queued: %s", prompt_id, node_id, error
        )
        # Not "started when queued: …": the node's badge reads that prefix as a started task.
        tell(shortened(f"could not start when queued: {error}", MESSAGE_MAX_CHARS))
    elif not done.result():
        logger.info("prompt %s, node %s: its takes start when it runs", prompt_id, node_id)
        tell(NOT_EARLY)


def _tell(server: Any, node_id: str, sid: str | None, text: str) -> None:
    """Text on the node's face for the client that queued the prompt (`send_progress_text`
    is thread-safe); a prompt queued without a client id is told nobody: another client's
    node of the same id is not this one."""
    if sid is None:
        return
    try:
        server.send_progress_text(text, node_id, sid)
    except Exception:  # a closed socket must not stop the takes
        logger.debug("could not send progress text", exc_info=True)


@functools.lru_cache(maxsize=4096)
def is_lazy(class_type: str, name: str) -> bool:
    """Whether ComfyUI evaluates the input only when the node asks for it (a switch, a lazy
    branch). Unknown (a class or input not found): treated as lazy, so nothing behind it
    starts early."""
    mappings = getattr(sys.modules.get("nodes"), "NODE_CLASS_MAPPINGS", {})
    node_class: Any = mappings.get(class_type)
    try:
        types = node_class.INPUT_TYPES()
    except Exception:
        return True
    for group in ("required", "optional"):
        spec = (types.get(group) or {}).get(name)
        if spec is not None:
            options = spec[1] if isinstance(spec, tuple | list) and len(spec) > 1 else {}
            return isinstance(options, dict) and bool(options.get("lazy"))
    return True


def output_nodes(prompt: dict[str, Any], targets: Any) -> list[str]:
    """The prompt's output nodes ComfyUI will queue (`partial_execution_targets` applied)."""
    mappings = getattr(sys.modules.get("nodes"), "NODE_CLASS_MAPPINGS", {})
    chosen = None if targets is None else {str(target) for target in targets}
    found = []
    for node_id, node in prompt.items():
        node_class = mappings.get(node.get("class_type")) if isinstance(node, dict) else None
        if getattr(node_class, "OUTPUT_NODE", False) is True and (
            chosen is None or node_id in chosen
        ):
            found.append(str(node_id))
    return found


async def queued_budget_problem(node_id: Any) -> str | None:
    """While a prompt is validated: the daily budget's refusal when this node's takes would
    start when queued and, with the prompt's earlier ones of the same profile, would not fit
    (the same message a claim gives); None otherwise. The claim still charges them."""
    from ..create.queued import early_starts

    request = validated_request()
    if request is None or not switch_on(request.get("extra_data")):
        return None
    prompt = request["prompt"]
    outputs = output_nodes(prompt, request.get("partial_execution_targets"))
    starts = early_starts(prompt, outputs, is_lazy)
    ids = [start.node_id for start in starts]
    if str(node_id) not in ids:
        return None
    mine = starts[ids.index(str(node_id))]
    before = starts[: ids.index(str(node_id)) + 1]
    return await _over_budget([s for s in before if s.takes.profile == mine.takes.profile])


async def _over_budget(starts: list[EarlyStart]) -> str | None:
    import asyncio

    from ..create.queued import new_takes_price
    from ..errors import FreeSoraError
    from ..facade import FreeSora
    from ..ledger import Charge, refusal_after_recheck
    from .comfy_folders import journal_path

    try:
        # Files read off the server's loop: the profile's settings and the user's price table.
        settings, prices = await asyncio.to_thread(_settings_and_prices, starts[0].takes.profile)
        if settings.daily_budget is None:
            return None
        async with FreeSora.open(settings=settings, default_journal=journal_path) as fs:
            key = settings.require_key().reveal()
            account = await fs.ledger.account(settings.profile, key)
            total = 0.0
            for start in starts:
                run = start.takes
                total += await new_takes_price(fs.ledger, account, settings.base_url, run, prices)
            charge = Charge(total, settings.daily_budget, settings.budget_source)
            # Refused only as the claim would refuse: after asking about unsaid refunds.
            return await refusal_after_recheck(fs.ledger, account, charge, fs.client.status)
    except FreeSoraError as exc:  # no key, an unreadable ledger: the node says it when it runs
        logger.warning("the daily budget of a queued prompt was not checked: %s", exc)
    return None


def _settings_and_prices(profile: str | None) -> tuple[Settings, PriceTable]:
    from ..config import load_settings
    from ..schemas.pricing import load_user_prices, merged_prices

    return load_settings(profile), merged_prices(load_user_prices())
