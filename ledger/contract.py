"""The ledger's one small interface: what every store (file, PostgreSQL) promises.

A *take* is one paid create: account + request + seed + batch slot. Its life in the ledger:

    claim ──> SENDING ──> CREATED (task id) ──> SUCCEEDED | FAILED | CANCELLED
                 │──────> REFUSED   (the service said no: nothing charged)
                 │──────> UNKNOWN   (sent, answer lost: may be charged)
                 └─ crash: a SENDING whose claimant is gone reads as UNKNOWN

Guarantees every store gives, across every process that names the same ledger:
- **Write-ahead**: `claim` makes the SENDING record durable (fsync / commit) before it returns,
  so no create leaves the machine unrecorded.
- **At most once**: while a claim is held, no other claim of the same take succeeds; a second
  claimant waits for the first to settle, then reuses its task (or is blocked by its unknown
  outcome). A take whose task was created is reused, never created again.
- **Unknown outcomes block only their own take** until adopted (`adopt`, which takes only an
  unknown take and an id no other take holds) or released (`forget`); failed, refused and
  cancelled takes may be created again.
- **Nothing is lost**: every task id ever recorded is listed by `entries`, compaction included
  (a take created again after a failure keeps its earlier task listed); only a pasted id (one
  `remember` recorded, held by no take) that the user forgets is dropped from the list.
- **Damage is survived**: a store that finds unreadable records skips them, says so in `problems`
  and never fails a lookup because of them.
- **No write, no send**: when the SENDING record cannot be made durable, `claim` raises
  `LedgerError` and nothing may be sent.

Stores must never hold the API key, image data or anything that could rebuild either.
May import `errors` and the standard library only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ..errors import SAID_MAX_CHARS, AdoptRefusedError, InvalidRequestError, LedgerError, shortened


class TakeState(str, Enum):
    SENDING = "sending"
    CREATED = "created"
    REFUSED = "refused"
    UNKNOWN = "unknown"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    FORGOTTEN = "forgotten"  # released by the user: the take may be created again

    @property
    def reusable(self) -> bool:
        """A task exists for this take and is worth collecting: never create it again."""
        return self in (TakeState.CREATED, TakeState.SUCCEEDED)

    @property
    def blocks_resend(self) -> bool:
        """The service may have charged for it, and we do not know the task: do not resend."""
        return self in (TakeState.SENDING, TakeState.UNKNOWN)

    @property
    def finished(self) -> bool:
        return self in (
            TakeState.SUCCEEDED,
            TakeState.FAILED,
            TakeState.CANCELLED,
            TakeState.REFUSED,
            TakeState.FORGOTTEN,
        )


NOT_SENT = "not sent"  # the reason of a claim given back before its create left
PASTED = "task:"  # take keys of tasks recorded from a pasted id, or outcomes with no take
DROPPED = "no longer listed: forgotten by the user"  # a pasted id's reason as `forget` returns it
MIN_TAKE_PREFIX = 6  # the fewest first characters of a key that name a take (`freesora tasks`)


def task_held_elsewhere(task_id: str, take_key: str) -> AdoptRefusedError:
    """An adoption refused: another take already holds `task_id` (one task is one take's)."""
    return AdoptRefusedError(
        f"task {task_id} is already recorded for take {shown_take(take_key)}; "
        "`freesora tasks` lists it. Nothing was changed.",
        reason="held",
        task_id=task_id,
    )


def adoptable(take_key: str, state: TakeState, task_id: str) -> None:
    """Under the take's lock: an adoption resolves an unknown outcome only (there a SENDING
    record is one whose claimant is gone): a take with a task, or one already ended, released
    or refused, keeps what it has."""
    if not state.blocks_resend:
        raise AdoptRefusedError(
            f"take {shown_take(take_key)} is {state.value}, not unknown: only a take whose "
            f"outcome is unknown takes a task id. Nothing was changed.",
            reason="not_unknown",
            task_id=task_id,
        )


def forgettable(take_key: str, state: TakeState) -> None:
    """Under the take's lock: a take is released only while its outcome is unknown (there a
    SENDING record is one whose claimant is gone), since a take whose task was created would
    be created, and charged, again. A pasted id (no take behind it) is dropped whatever it is."""
    if not (take_key.startswith(PASTED) or state.blocks_resend):
        raise not_waiting(take_key, state)


def not_waiting(take_key: str, state: TakeState) -> InvalidRequestError:
    """A release refused: the take's outcome is known, so no person's decision is awaited."""
    return InvalidRequestError(
        f"take {shown_take(take_key)} is {state.value}, not waiting for a decision: only a "
        "take whose outcome is unknown is released. Nothing was changed.",
        field="take",
    )


def still_sending(take_key: str) -> str:
    """Why a decision is refused before the take's lock is asked for: a SENDING take outside
    that lock is a live claimant's (`named_take` shows an orphaned one as UNKNOWN), whose create
    settles it; waiting for the lock would wait for that create."""
    return (
        f"take {shown_take(take_key)}: this take's create is still in progress; wait for it, "
        "then look again. Nothing was changed."
    )


def dropped(entry: Entry) -> Entry:
    """What `forget` returns for a pasted id it dropped from the list: its last entry,
    forgotten."""
    return dataclasses.replace(entry, state=TakeState.FORGOTTEN, reason=DROPPED)


def shown_take(take_key: str) -> str:
    """A take key as `freesora tasks` and the messages show it (a pasted id: its task id)."""
    return take_key.removeprefix(PASTED)[:12]


def one_take(prefix: str, found: Collection[str], ledger_name: str, flags: str = "") -> str:
    """The take key `prefix` names: the one key among those a store `found` for it (keys equal
    to it, or starting with it when it has at least `MIN_TAKE_PREFIX` characters). None or
    several is an InvalidRequestError naming `prefix` and `ledger_name` ("the journal <path>", "the
    shared ledger at <where>"), so both stores refuse in the same words; `flags` select the
    ledger in the listing command (a database's: its profile, which the store does not know)."""
    if len(found) == 1:
        return next(iter(found))
    problem = "matches several takes" if found else "is not a take"
    listing = (
        f"`freesora tasks {flags}`" if flags else "`freesora tasks --profile` with its profile"
    )
    raise InvalidRequestError(
        f"take {prefix!r} {problem} in {ledger_name}; {listing} lists the takes",
        field="take",
    )


def unrecorded_task(task_id: str, why: str, keep_hint: str) -> LedgerError:
    """A task created (and charged) whose record could not be written: the user must keep its
    id, and `keep_hint` says how to collect it with the store at hand."""
    return LedgerError(
        f"Task {task_id} was created (and charged) but could not be recorded: "
        f"{shortened(why.rstrip('.'), SAID_MAX_CHARS)}. Keep this id: {keep_hint}.",
        task_id=task_id,
    )


def account_id(profile: str, api_key: str, secret: bytes) -> str:
    """`profile:hmac` — the key never appears, and a keyed hash cannot be looked up in a table
    of known keys without the ledger's own secret."""
    digest = hmac.new(secret, api_key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{profile}:{digest[:32]}"


@dataclass(frozen=True)
class Take:
    """One paid create, as the ledger identifies it."""

    account: str  # from `account_id`
    request: str  # sha256 of the canonical request (image bytes hashed, never stored)
    seed: int | None
    slot: int = 0  # position in a batch: two identical takes of one batch are two tasks
    # The first journal format's fingerprint of the same request (`upgrade`): lets a file
    # ledger carry a task or unknown outcome recorded in that format over to this take.
    legacy: str | None = field(default=None, compare=False)
    # Claimed for a queued prompt before it ran ("Start tasks when queued"): written with the
    # take's first record, so a prompt deleted or a ComfyUI stopped leaves it marked in lists.
    started_when_queued: bool = field(default=False, compare=False)
    # What the create asks for, as lists show it (`sent_request.kept_request`): written with the
    # take's first record (as `request`), so a person deciding on an unknown outcome sees it.
    asked: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        text = json.dumps([self.account, self.request, self.seed, self.slot])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Charge:
    """What a claim costs and the account's daily budget (None: no budget; the price is still
    recorded). `raise_hint` says where the budget is set, for the refusal's message."""

    price: float
    budget: float | None = None
    raise_hint: str = ""


@dataclass(frozen=True)
class Spending:
    """An account's credits charged in the budget's window (24 hours) and when the oldest of
    them leaves it (None: nothing charged)."""

    credits: float = 0.0
    oldest: float | None = None


@dataclass(slots=True)
class Entry:
    """One take as the ledger knows it now (the fold of its records)."""

    take_key: str
    account: str
    model: str
    seed: int | None
    slot: int
    state: TakeState
    created_at: float  # when the take was claimed (epoch seconds)
    updated_at: float
    task_id: str | None = None
    url: str | None = None
    file: str | None = None
    reason: str | None = None  # why it failed, was refused or is unknown
    summary: str = ""  # a short, key-free description for lists (prompt excerpt, size)
    extra: dict[str, Any] | None = None  # store-specific details (None: a big index stays small)
    price: float | None = None  # credits charged when claimed (None: not recorded, older takes)
    # A failed or cancelled task: whether the service said its credits came back (None: it
    # never said). Only True gives the price back to the daily budget (`ledger.budget`).
    credits_refunded: bool | None = None
    # Claimed when its prompt was queued, before the prompt ran (an optional record field).
    started_when_queued: bool = False
    # What the create asked for (`sent_request.read_request`), read back while the take blocks
    # a resend (SENDING, UNKNOWN); None otherwise and for records without `request`.
    request: dict[str, Any] | None = None


class Claim(Protocol):
    """A held claim on one take: settle it exactly once (then the take is released)."""

    take: Take

    async def created(self, task_id: str) -> None: ...

    async def refused(self, reason: str) -> None: ...

    async def unknown(self, reason: str) -> None: ...

    async def release(self) -> None:
        """Give the take back with no outcome (nothing was sent); idempotent."""
        ...


@dataclass(frozen=True)
class Decision:
    """What `claim` decided: `claim` to send, or `earlier` to reuse (or to refuse to resend).

    With a `claim`, `earlier` is the take's previous, non-reusable attempt (failed, refused,
    cancelled or forgotten), so the caller can say why a new task is created.
    """

    claim: Claim | None
    earlier: Entry | None


class Ledger(Protocol):
    """The interface the verbs use; `FileLedger` is the default store."""

    where: str  # shown to users: the journal's path, or the database's name

    async def account(self, profile: str, api_key: str) -> str:
        """`account_id` with this ledger's own secret."""
        ...

    async def claim(
        self, take: Take, *, model: str, summary: str = "", charge: Charge | None = None
    ) -> Decision:
        """Atomically: the take's entry if it is reusable or blocks a resend (`earlier`), else a
        held claim after a durable SENDING record. Waits while another claimant holds it.

        With a `charge`, its price is recorded with the take; with a budget too, the claim is
        refused (`BudgetExceededError`, nothing written) when the account's spending of the
        last 24 hours plus this price would pass it, atomically with the claim across every
        process of the ledger (`ledger.budget` holds the arithmetic)."""
        ...

    async def record_outcome(
        self,
        task_id: str,
        state: TakeState,
        *,
        url: str | None = None,
        file: str | None = None,
        reason: str | None = None,
        credits_refunded: bool | None = None,
    ) -> None:
        """How a created task ended (or that its file was saved): SUCCEEDED, FAILED, ...; for a
        failed or cancelled one, whether the service said its credits came back (None keeps
        what was recorded: a refund once said is never taken back)."""
        ...

    async def lookup(self, take: Take) -> Entry | None: ...

    async def find_task(self, task_id: str) -> Entry | None: ...

    async def entries(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        only_unfinished: bool = False,
        model: str | None = None,
    ) -> list[Entry]:
        """Newest first: what Task History, `freesora tasks` and the inbox list."""
        ...

    async def count(self, *, only_unfinished: bool = False, model: str | None = None) -> int:
        """How many entries `entries` lists with the same filters."""
        ...

    async def named_take(self, take_key: str) -> Entry:
        """The take `take_key` names (its key, or its first characters as `freesora tasks`
        shows them: `one_take`), as `entries` lists it; InvalidRequestError if none or several."""
        ...

    async def adopt(self, take_key: str, task_id: str) -> Entry:
        """The user says this take's task is `task_id` (an unknown outcome resolved).
        Atomically refused (`AdoptRefusedError`, nothing written) when the take is not unknown
        (`adoptable`) or another take holds the id (`task_held_elsewhere`)."""
        ...

    async def forget(self, take_key: str) -> Entry:
        """Release a take blocked by an unknown outcome: it may be created again. A pasted id
        (a `PASTED` take) is dropped from `entries` instead: the entry returned is its last.
        Atomically refused (`forgettable`: InvalidRequestError, nothing written) when the take's
        outcome is known: a created task is never released into a second create."""
        ...

    async def remember(self, task_id: str, *, model: str = "", summary: str = "") -> Entry:
        """Record a task the ledger did not know (an id pasted into Video Result): the entry
        for `task_id`, existing or new. Never creates anything."""
        ...

    async def problems(self) -> list[str]:
        """Damage found while reading (torn or unreadable records), one line each; [] if none."""
        ...

    async def compact(self) -> int:
        """Rewrite the store keeping one record per take; returns how many remain."""
        ...

    async def spent(self, account: str) -> Spending:
        """What `account` spent in the last 24 hours (the budget's arithmetic, `ledger.budget`)."""
        ...

    async def unrefunded(self, account: str, *, limit: int) -> list[Entry]:
        """`account`'s failed or cancelled tasks charged in the last 24 hours whose credits the
        service has not said came back (they count as spent), newest first, at most `limit`:
        what a re-check asks the service about (`ledger.refunds`)."""
        ...

    async def close(self) -> None: ...
