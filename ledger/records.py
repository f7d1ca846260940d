"""The journal's lines folded into entries: tolerant of damage, of old formats and of disorder.

Owns the record format (one JSON object per line) and the in-memory index; no file access.
Today's records: sending, created, refused, unknown, finished, adopted, forgotten, entry (a
compacted take). The first journal format (created/unknown with a `fingerprint`, finished) is
read too. A line that is not a well-typed record is counted as damage and skipped: it never
stops the lines after it from being read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .base import Entry, TakeState

LEGACY = "legacy:"  # take keys of the first format's records (which knew no account)
PASTED = "task:"  # take keys of tasks recorded from a pasted id, or outcomes with no take
_ENDINGS = {s.value: s for s in (TakeState.SUCCEEDED, TakeState.FAILED, TakeState.CANCELLED)}
_ENTRY_FIELDS = ("reason", "url", "file", "summary")
_REPEATED = frozenset({"account", "model"})
_NUMBERS = (int, float)
_LAST_TIME = 1e11  # year 5138: a larger (or infinite, or NaN) time is damage, not a date


def _is_time(value: object) -> bool:
    return type(value) in _NUMBERS and 0 <= value < _LAST_TIME  # type: ignore[operator]


class BadRecord(ValueError):
    """A line that is JSON but not a record this ledger can use."""


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def _text(record: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BadRecord(f"{name} must be text, got {value!r}"[:120])
    # Accounts and models repeat on every line: one copy each keeps a big index small.
    return sys.intern(value) if name in _REPEATED else value


def _number(record: dict[str, Any], name: str) -> float:
    value = record.get(name, 0.0)
    if not _is_time(value):
        raise BadRecord(f"{name} must be a time in seconds, got {value!r}"[:120])
    return float(value)


def _int(record: dict[str, Any], name: str, *, default: int | None) -> int | None:
    value = record.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadRecord(f"{name} must be an integer, got {value!r}"[:120])
    return value


class Index:
    """take key -> its current Entry, task id -> Entry, and earlier attempts that had a task."""

    def __init__(self) -> None:
        self.takes: dict[str, Entry] = {}
        self.by_task: dict[str, Entry] = {}
        self.earlier: list[Entry] = []  # superseded attempts with a task id: never dropped
        self.damage: list[str] = []
        self.damaged_lines = 0

    def note_damage(self, where: str, problem: str) -> None:
        self.damaged_lines += 1
        if len(self.damage) < 5:  # a few examples are enough to act on; the count says the rest
            self.damage.append(f"{where}: {problem}")

    def apply_lines(self, lines: Iterable[tuple[int, bytes]]) -> None:
        """(line number, raw bytes) pairs, applied in order; damage counted, never raised."""
        for number, raw in lines:
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                if not isinstance(record, dict):
                    raise BadRecord("not a JSON object")
                self.apply(record)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                self.note_damage(f"line {number}", f"{type(exc).__name__}: {exc}"[:160])

    def apply(self, record: dict[str, Any]) -> None:
        kind = record.get("event")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise BadRecord(f"unknown event {kind!r}"[:120])
        handler(self, record)

    # --- helpers for the handlers ---------------------------------------------------------

    def start(self, entry: Entry) -> None:
        """A new attempt at a take: an earlier attempt with a task stays listed."""
        old = self.takes.get(entry.take_key)
        if old is not None:
            del self.takes[entry.take_key]  # re-inserted last: newest attempts iterate last
            if old.task_id is not None:
                self.earlier.append(old)
        self.takes[entry.take_key] = entry
        if entry.task_id is not None:
            self.by_task[entry.task_id] = entry

    def take_entry(self, record: dict[str, Any]) -> Entry:
        key = _text(record, "take")
        assert key is not None
        entry = self.takes.get(key)
        if entry is None:  # an outcome whose sending line was lost: keep what it says
            now = _number(record, "time")
            entry = Entry(key, "", "", None, 0, TakeState.SENDING, now, now)
            self.takes[key] = entry
        return entry

    def set_task(self, entry: Entry, task_id: str) -> None:
        if entry.task_id is not None and entry.task_id != task_id:
            self.earlier.append(replace(entry))  # an adoption over a known task keeps both
        entry.task_id = task_id
        self.by_task[task_id] = entry

    def current(self) -> list[Entry]:
        return [*self.earlier, *self.takes.values()]


def _sending(index: Index, record: dict[str, Any]) -> None:
    # The hot path of opening a big journal: checks inlined, one Entry built directly.
    take, account, model = record.get("take"), record.get("account", ""), record.get("model", "")
    seed, slot, summary = record.get("seed"), record.get("slot", 0), record.get("summary", "")
    now = record.get("time", 0.0)
    if (
        type(take) is not str
        or not take
        or type(account) is not str
        or type(model) is not str
        or type(summary) is not str
        or (seed is not None and type(seed) is not int)
        or type(slot) is not int
        or not _is_time(now)
    ):
        raise BadRecord(f"a sending record with a field of the wrong type: {record!r}"[:160])
    entry = Entry(
        take,
        sys.intern(account),
        sys.intern(model),
        seed,
        slot,
        TakeState.SENDING,
        float(now),
        float(now),
        # Summaries describe the request's shape (model, ratio, length): they repeat a lot.
        summary=sys.intern(summary),
    )
    index.start(entry)


def _created(index: Index, record: dict[str, Any]) -> None:
    task_id, now = record.get("task_id"), record.get("time", 0.0)
    if type(task_id) is not str or not task_id or not _is_time(now):
        raise BadRecord(f"a created record with a field of the wrong type: {record!r}"[:160])
    if "take" not in record:  # the first format: one record per task, no account
        _legacy(index, record, LEGACY + task_id, TakeState.CREATED, task_id)
        return
    entry = index.take_entry(record)
    index.set_task(entry, task_id)
    entry.state = TakeState.CREATED
    entry.updated_at = float(now)


def _legacy(
    index: Index, record: dict[str, Any], key: str, state: TakeState, task_id: str | None
) -> None:
    now = _number(record, "time")
    entry = Entry(
        take_key=key,
        account="",
        model=_text(record, "model", required=False) or "",
        seed=_int(record, "seed", default=None),
        slot=0,
        state=state,
        created_at=now,
        updated_at=now,
        task_id=task_id,
        reason=_text(record, "error", required=False),
    )
    index.start(entry)


def _settled(state: TakeState) -> Any:
    def handler(index: Index, record: dict[str, Any]) -> None:
        if state is TakeState.UNKNOWN and "take" not in record:
            seen = json.dumps([record.get("fingerprint"), record.get("seed"), record.get("time")])
            key = LEGACY + hashlib.sha256(seen.encode()).hexdigest()[:32]
            _legacy(index, record, key, state, None)
            return
        entry = index.take_entry(record)
        if entry.task_id is not None and entry.state.reusable:
            return  # a late or duplicated outcome never hides a task that exists
        entry.state = state
        entry.reason = _text(record, "reason", required=False)
        entry.updated_at = _number(record, "time")

    return handler


def _finished(index: Index, record: dict[str, Any]) -> None:
    task_id, status, now = record.get("task_id"), record.get("status"), record.get("time", 0.0)
    state = _ENDINGS.get(status) if type(status) is str else None
    if type(task_id) is not str or not task_id or not _is_time(now) or state is None:
        raise BadRecord(f"a finished record with a field of the wrong type: {record!r}"[:160])
    details = [(name, record.get(name)) for name in ("url", "file", "reason")]
    if any(value is not None and type(value) is not str for _, value in details):
        raise BadRecord(f"url, file and reason must be text: {record!r}"[:160])
    entry = index.by_task.get(task_id)
    if entry is None:  # its create record is lost: the task id is not
        entry = Entry(PASTED + task_id, "", "", None, 0, state, float(now), float(now))
        entry.task_id = task_id
        index.start(entry)
    entry.state = state
    entry.updated_at = float(now)
    for name, value in details:
        if value:
            setattr(entry, name, value)


def _adopted(index: Index, record: dict[str, Any]) -> None:
    task_id = _text(record, "task_id")
    assert task_id is not None
    key = _text(record, "take") or ""
    if key not in index.takes:
        now = _number(record, "time")
        model = _text(record, "model", required=False) or ""
        summary = _text(record, "summary", required=False) or ""
        index.start(Entry(key, "", model, None, 0, TakeState.SENDING, now, now, summary=summary))
    entry = index.takes[key]
    index.set_task(entry, task_id)
    entry.state = TakeState.CREATED
    entry.reason = "adopted by the user"
    entry.updated_at = _number(record, "time")


def _forgotten(index: Index, record: dict[str, Any]) -> None:
    entry = index.take_entry(record)
    entry.state = TakeState.FORGOTTEN
    entry.reason = "released by the user"
    entry.updated_at = _number(record, "time")


def _entry(index: Index, record: dict[str, Any]) -> None:
    """A compacted take: every field of its Entry in one line."""
    state = record.get("state")
    try:
        take_state = TakeState(state)
    except ValueError:
        raise BadRecord(f"state must be a take state, got {state!r}"[:120]) from None
    entry = Entry(
        take_key=_text(record, "take") or "",
        account=_text(record, "account", required=False) or "",
        model=_text(record, "model", required=False) or "",
        seed=_int(record, "seed", default=None),
        slot=_int(record, "slot", default=0) or 0,
        state=take_state,
        created_at=_number(record, "time"),
        updated_at=_number(record, "updated"),
        task_id=_text(record, "task_id", required=False),
    )
    for name in _ENTRY_FIELDS:
        value = _text(record, name, required=False)
        if value is not None:
            setattr(entry, name, value)
    if record.get("earlier") is True:
        index.earlier.append(entry)
        if entry.task_id is not None:
            index.by_task.setdefault(entry.task_id, entry)
    else:
        index.start(entry)


def entry_record(entry: Entry, *, earlier: bool) -> dict[str, Any]:
    """The `entry` record compaction writes for one take (the inverse of `_entry`)."""
    record: dict[str, Any] = {
        "event": "entry",
        "take": entry.take_key,
        "account": entry.account,
        "model": entry.model,
        "seed": entry.seed,
        "slot": entry.slot,
        "state": entry.state.value,
        "time": entry.created_at,
        "updated": entry.updated_at,
        "task_id": entry.task_id,
    }
    record.update({name: getattr(entry, name) for name in _ENTRY_FIELDS if getattr(entry, name)})
    if earlier:
        record["earlier"] = True
    return record


_HANDLERS: dict[str, Any] = {
    "sending": _sending,
    "created": _created,
    "refused": _settled(TakeState.REFUSED),
    "unknown": _settled(TakeState.UNKNOWN),
    "finished": _finished,
    "adopted": _adopted,
    "forgotten": _forgotten,
    "entry": _entry,
}
