"""The journal's index in columns: one row per attempt at a take, and no Python object per take.

A 1,000,000-line journal (about 333,000 takes) must open in well under 2 s and fit in far less
than 200 MB, so a take is a row across typed arrays and lists (a few hundred bytes, most of them
its key and task id), and the long texts it is seldom asked for (result URL, file path) stay in
the journal: the row keeps the byte offset of the line that last set each, and `Entry` objects
are built only for the rows a caller asks for. No file access here (see `journal`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import Any

from ..contract import Entry, TakeState

Key = str | bytes  # a take key as the index keeps it (see `pack`)
ReadLines = Callable[[list[int]], dict[int, dict[str, Any] | None]]  # offsets -> their records

STATES = tuple(TakeState)
CODE = {state: code for code, state in enumerate(STATES)}
NO_LINE = -1
NO_SEED = -(2**63)  # the seed column's None
NO_PRICE = float("nan")  # the price column's None (takes recorded before prices were kept)
# The refund column's codes: what the service said of a failed or cancelled task's credits.
REFUND_CODE = {None: 0, False: 1, True: 2}
REFUND_OF = (None, False, True)
DETAILS = ("url", "file")  # kept in the journal, read back by offset
COLUMNS = (
    *("key", "account", "model", "summary", "task", "reason"),  # lists
    *("seed", "slot", "created", "updated", "url_at", "file_at", "price"),  # arrays
    *("state", "refunded", "early"),  # bytearrays
)


def pack(key: str) -> Key:
    """Take keys are 64 hex digits (sha256): kept as their 32 bytes, half the memory."""
    if len(key) == 64:
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            return key
        if raw.hex() == key:  # not upper case, no spaces: it reads back the same
            return raw
    return key


def unpack(key: Key) -> str:
    return key.hex() if isinstance(key, bytes) else key


class Index:
    """take key -> its current row, task id -> row, and earlier attempts that had a task."""

    def __init__(self) -> None:
        self.rows: dict[Key, int] = {}  # take key -> its current attempt's row
        self.by_task: dict[str, int] = {}
        self.earlier: list[int] = []  # superseded attempts with a task id: never dropped
        self.inline: dict[int, dict[str, str]] = {}  # details of records that have no line
        self.legacy: dict[tuple[str, int | None], int] = {}  # first format: (fingerprint, seed)
        self.secret_checks: set[str] = set()  # marks of the secrets its accounts were made with
        self.damage: list[str] = []
        self.damaged_lines = 0
        self.key: list[Key] = []
        self.account: list[str] = []
        self.model: list[str] = []
        self.summary: list[str] = []
        self.task: list[str | None] = []
        self.reason: list[str | None] = []
        self.seed = array("q")
        self.slot = array("q")
        self.created = array("d")
        self.updated = array("d")
        self.url_at = array("q")
        self.file_at = array("q")
        self.price = array("d")  # credits charged at the claim; NaN: none recorded
        self.state = bytearray()
        self.refunded = bytearray()  # REFUND_CODE: 0 until the service says
        self.early = bytearray()  # 1: started when its prompt was queued (`Take`)
        self.charged: dict[str, list[int]] = {}  # account -> its rows with a price (the budget)

    def note_damage(self, where: str, problem: str) -> None:
        self.damaged_lines += 1
        if len(self.damage) < 5:  # a few examples are enough to act on; the count says the rest
            self.damage.append(f"{where}: {problem}")

    # --- rows ------------------------------------------------------------------------------

    def add(
        self,
        key: str,
        account: str,
        model: str,
        seed: int | None,
        slot: int,
        state: TakeState,
        created: float,
        *,
        summary: str = "",
        task: str | None = None,
        price: float | None = None,
        early: bool = False,
    ) -> int:
        """A new row (not yet any take's current attempt: see `start`)."""
        row = len(self.key)
        self.key.append(pack(key))
        self.account.append(account)
        self.model.append(model)
        self.summary.append(summary)
        self.task.append(task)
        self.reason.append(None)
        self.seed.append(NO_SEED if seed is None else seed)
        self.slot.append(slot)
        self.created.append(created)
        self.updated.append(created)
        self.url_at.append(NO_LINE)
        self.file_at.append(NO_LINE)
        self.price.append(NO_PRICE if price is None else price)
        self.state.append(CODE[state])
        self.refunded.append(0)
        self.early.append(1 if early else 0)
        if price is not None:
            self.charged.setdefault(account, []).append(row)
        return row

    def start(self, row: int) -> None:
        """`row` becomes its take's current attempt; an earlier one with a task stays listed."""
        key = self.key[row]
        old = self.rows.pop(key, None)  # re-inserted last: newest attempts iterate last
        if old is not None and self.task[old] is not None:
            self.earlier.append(old)
        self.rows[key] = row
        task = self.task[row]
        if task is not None:
            self.by_task[task] = row

    def copy(self, row: int) -> int:
        """A copy of `row` (an adoption over a known task keeps the known one listed); the
        copy carries no price: the attempt was charged once, on its own row."""
        new = len(self.key)
        for name in COLUMNS:
            column = getattr(self, name)
            column.append(column[row])
        self.price[new] = NO_PRICE
        if row in self.inline:
            self.inline[new] = dict(self.inline[row])
        return new

    def carry(self, legacy_key: str, key: str, account: str, slot: int, now: float) -> int | None:
        """The first format's take `legacy_key` becomes take `key` (with an account): its row
        is copied under the new key and the old one is no longer listed or matched."""
        old = self.rows.pop(pack(legacy_key), None)
        if old is None:
            return None  # carried already (by another account, or another process)
        self.legacy = {match: row for match, row in self.legacy.items() if row != old}
        row = self.copy(old)
        self.key[row], self.account[row], self.slot[row] = pack(key), account, slot
        self.updated[row] = now
        self.start(row)
        return row

    def index_charges(self) -> None:
        """`charged` rebuilt from the columns (after they were loaded from the cache)."""
        self.charged = {}
        for row, price in enumerate(self.price):
            if price == price:  # not NaN
                self.charged.setdefault(self.account[row], []).append(row)

    def charges(self, account: str) -> list[tuple[float, float, TakeState, bool | None]]:
        """(claimed at, price, state, refunded) of every priced row of `account` (the budget's
        input)."""
        rows = self.charged.get(account, [])
        return [
            (self.created[r], self.price[r], STATES[self.state[r]], REFUND_OF[self.refunded[r]])
            for r in rows
        ]

    def row_of(self, take_key: str) -> int | None:
        return self.rows.get(pack(take_key))

    def state_of(self, row: int) -> TakeState:
        return STATES[self.state[row]]

    def set_state(self, row: int, state: TakeState, now: float) -> None:
        self.state[row] = CODE[state]
        self.updated[row] = now

    def set_refunded(self, row: int, credits_refunded: bool | None) -> None:
        """What the service said of the row's credits; None (it said nothing) keeps what it
        said before: a refund once reported is not taken back."""
        if credits_refunded is not None:
            self.refunded[row] = REFUND_CODE[credits_refunded]

    def set_task(self, row: int, task_id: str) -> None:
        self.task[row] = task_id
        self.by_task[task_id] = row

    def set_details(self, row: int, record: dict[str, Any], at: int | None) -> None:
        """The URL and file a record carries: its line's offset, or the text itself when the
        record has no line (the disk refused it). The newest value of each wins."""
        for name in DETAILS:
            if not record.get(name):
                continue
            column = self.url_at if name == "url" else self.file_at
            held = self.inline.get(row)
            if at is None:
                self.inline.setdefault(row, {})[name] = record[name]
                column[row] = NO_LINE
            else:
                column[row] = at
                if held is not None:
                    held.pop(name, None)

    def current(self) -> list[int]:
        """Every row worth listing: earlier attempts with a task, then each take's current."""
        return [*self.earlier, *self.rows.values()]

    # --- entries ---------------------------------------------------------------------------

    def lines_needed(self, rows: Iterable[int]) -> set[int]:
        return {at for row in rows for at in (self.url_at[row], self.file_at[row]) if at >= 0}

    def entry(self, row: int, lines: dict[int, dict[str, Any] | None]) -> Entry:
        """The row as an `Entry`; `lines` holds the records at its detail offsets."""
        seed = self.seed[row]
        task = self.task[row]
        entry = Entry(
            take_key=unpack(self.key[row]),
            account=self.account[row],
            model=self.model[row],
            seed=None if seed == NO_SEED else seed,
            slot=self.slot[row],
            state=STATES[self.state[row]],
            created_at=self.created[row],
            updated_at=self.updated[row],
            task_id=task,
            reason=self.reason[row],
            summary=self.summary[row],
        )
        price = self.price[row]
        entry.price = None if price != price else price
        entry.credits_refunded = REFUND_OF[self.refunded[row]]
        entry.started_when_queued = bool(self.early[row])
        held = self.inline.get(row, {})
        for name, at in (("url", self.url_at[row]), ("file", self.file_at[row])):
            value = held.get(name)
            record = lines.get(at) if at >= 0 else None
            # The line is checked to be this task's: a journal compacted by another process
            # since it was indexed gives no detail rather than another task's.
            if record is not None and record.get("task_id") == task:
                value = record.get(name) if isinstance(record.get(name), str) else None
            setattr(entry, name, value)
        return entry

    def entries(self, rows: list[int], read_lines: ReadLines) -> list[Entry]:
        lines = read_lines(sorted(self.lines_needed(rows)))
        return [self.entry(row, lines) for row in rows]
