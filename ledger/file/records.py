"""The journal's lines folded into entries: tolerant of damage, of old formats and of disorder.

Owns the record format (one JSON object per line) and what each record does to the index
(`index.Index`); no file access. Today's records: sending, created, refused, unknown,
finished, adopted, forgotten, entry (a compacted take: `record_entry`), charge (a superseded
attempt's price kept by compaction for the daily budget: `record_charge`), carried (a
first-format take found again by its fingerprint and given an account), keyed (the mark of the
journal's secret, see `keying`). A `sending` or `entry` record may carry the take's `price`
(credits charged at the claim, for the daily budget); one without it (an older journal) reads
as unpriced. A `finished` or `entry` record of a failed or cancelled task may carry
`credits_refunded` (what the service said of its credits); one without it reads as not said.
Both are optional fields of existing records: a pack that knows neither reads the journal as
before. The first journal format (created/unknown with a `fingerprint`, finished) is read
too. A line that is not a well-typed record is counted as damage and skipped: it never stops
the lines after it from being read.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable
from typing import Any

from ..contract import PASTED, TakeState
from ..upgrade import COLLECTED_AGAIN, written_off_by_expired_link
from . import record_fields as field
from .index import Index
from .record_charge import charge
from .record_entry import entry
from .record_fields import SEEDS, SLOTS, BadRecord

LEGACY = "legacy:"  # take keys of the first format's records (which knew no account)
CARRIED_REASON = "recorded by an earlier version of the pack (before the journal kept accounts)"
_ENDINGS = {s.value: s for s in (TakeState.SUCCEEDED, TakeState.FAILED, TakeState.CANCELLED)}


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def fold(index: Index, lines: Iterable[tuple[int, int, bytes]]) -> None:
    """(line number, offset, raw bytes) triples, applied in order; damage counted, never raised."""
    for number, at, raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise BadRecord("not a JSON object")
            apply(index, record, at)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            index.note_damage(f"line {number}", f"{type(exc).__name__}: {exc}"[:160])


def apply(index: Index, record: dict[str, Any], at: int | None) -> None:
    """One record; `at` is its line's offset in the journal (None: a record held in memory)."""
    kind = record.get("event")
    handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise BadRecord(f"unknown event {kind!r}"[:120])
    handler(index, record, at)


def _take_row(index: Index, record: dict[str, Any]) -> int:
    """The row of the take a record names; an outcome whose sending line was lost keeps
    what it says in a row of its own."""
    key = field.text(record, "take")
    assert key is not None
    row = index.row_of(key)
    if row is None:
        now = field.number(record, "time")
        row = index.add(key, "", "", None, 0, TakeState.SENDING, now)
        index.start(row)
    return row


def _sending(index: Index, record: dict[str, Any], at: int | None) -> None:
    # The hot path of opening a big journal: checks inlined, one row added directly.
    take, account, model = record.get("take"), record.get("account", ""), record.get("model", "")
    seed, slot, summary = record.get("seed"), record.get("slot", 0), record.get("summary", "")
    now = record.get("time", 0.0)
    if (
        type(take) is not str
        or not take
        or type(account) is not str
        or type(model) is not str
        or type(summary) is not str
        or (seed is not None and (type(seed) is not int or not SEEDS[0] <= seed <= SEEDS[1]))
        or type(slot) is not int
        or not 0 <= slot < SLOTS
        or not field.is_time(now)
    ):
        raise BadRecord(f"a sending record with a field of the wrong type: {record!r}"[:160])
    price, unread = field.optional_price(record)
    # Accounts, models and summaries (a prompt's start and the request's shape) repeat a lot.
    row = index.add(
        take,
        sys.intern(account),
        sys.intern(model),
        seed,
        slot,
        TakeState.SENDING,
        float(now),
        summary=sys.intern(summary),
        price=price,
    )
    index.start(row)
    if unread is not None:
        raise unread


def _created(index: Index, record: dict[str, Any], at: int | None) -> None:
    task_id, now = record.get("task_id"), record.get("time", 0.0)
    if type(task_id) is not str or not task_id or not field.is_time(now):
        raise BadRecord(f"a created record with a field of the wrong type: {record!r}"[:160])
    if "take" not in record:  # the first format: one record per task, no account
        _legacy(index, record, LEGACY + task_id, TakeState.CREATED, task_id)
        return
    row = _take_row(index, record)
    _set_task(index, row, task_id)
    index.set_state(row, TakeState.CREATED, float(now))
    _absorb_pasted(index, row, task_id)


def _set_task(index: Index, row: int, task_id: str) -> None:
    known = index.task[row]
    if known is not None and known != task_id:  # an adoption over a known task keeps both
        index.earlier.append(index.copy(row))
        index.by_task[known] = index.earlier[-1]
    index.set_task(row, task_id)


def _absorb_pasted(index: Index, row: int, task_id: str) -> None:
    """A take now holds a task whose id was pasted before (`remember` made it a take of its
    own): the pasted take is no longer listed, one task is one entry, and what it learnt since
    the paste (an outcome, its URL and file) is the take's."""
    pasted = index.row_of(PASTED + task_id)
    if pasted is None or pasted == row or index.task[pasted] != task_id:
        return
    del index.rows[PASTED + task_id]  # pasted keys are never packed (not 64 hex digits)
    if index.state_of(pasted) is not TakeState.CREATED:
        index.set_state(row, index.state_of(pasted), index.updated[pasted])
        index.refunded[row] = index.refunded[pasted]
    for column in (index.url_at, index.file_at):
        if column[pasted] >= 0:  # the pasted task's line: it names this task id
            column[row] = column[pasted]
    if pasted in index.inline:
        index.inline[row] = {**index.inline[pasted], **index.inline.get(row, {})}


def _legacy(
    index: Index, record: dict[str, Any], key: str, state: TakeState, task_id: str | None
) -> None:
    now = field.number(record, "time")
    model = field.text(record, "model", required=False) or ""
    seed = field.seed(record)
    row = index.add(key, "", model, seed, 0, state, now, task=task_id)
    index.reason[row] = field.text(record, "error", required=False)
    index.start(row)
    fingerprint = record.get("fingerprint")
    if type(fingerprint) is str and fingerprint:
        index.legacy[(fingerprint, seed)] = row  # the newest record of a request decides


def _carried(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A first-format take found again by its fingerprint, now a take of an account."""
    source, key, account = (field.text(record, name) or "" for name in ("from", "take", "account"))
    slot = field.slot(record)
    row = index.carry(source, key, sys.intern(account), slot, field.number(record, "time"))
    if row is not None:
        index.summary[row] = sys.intern(field.text(record, "summary", required=False) or "")
        before = index.reason[row]
        index.reason[row] = f"{CARRIED_REASON}: {before}" if before else CARRIED_REASON


def _settled(state: TakeState) -> Any:
    def handler(index: Index, record: dict[str, Any], at: int | None) -> None:
        if state is TakeState.UNKNOWN and "take" not in record:
            seen = json.dumps([record.get("fingerprint"), record.get("seed"), record.get("time")])
            key = LEGACY + hashlib.sha256(seen.encode()).hexdigest()[:32]
            _legacy(index, record, key, state, None)
            return
        row = _take_row(index, record)
        if index.task[row] is not None and index.state_of(row).reusable:
            return  # a late or duplicated outcome never hides a task that exists
        reason = field.text(record, "reason", required=False)
        index.set_state(row, state, field.number(record, "time"))
        index.reason[row] = reason

    return handler


def _finished(index: Index, record: dict[str, Any], at: int | None) -> None:
    task_id, status, now = record.get("task_id"), record.get("status"), record.get("time", 0.0)
    state = _ENDINGS.get(status) if type(status) is str else None
    if type(task_id) is not str or not task_id or not field.is_time(now) or state is None:
        raise BadRecord(f"a finished record with a field of the wrong type: {record!r}"[:160])
    details = [record.get(name) for name in ("url", "file", "reason")]
    if any(value is not None and type(value) is not str for value in details):
        raise BadRecord(f"url, file and reason must be text: {record!r}"[:160])
    refunded = field.flag(record, "credits_refunded")
    row = index.by_task.get(task_id)
    if row is None:  # its create record is lost: the task id is not
        row = index.add(PASTED + task_id, "", "", None, 0, state, float(now), task=task_id)
        index.start(row)
    reason = details[2]
    if written_off_by_expired_link(state, reason):  # the task is there to collect
        state, reason = TakeState.CREATED, COLLECTED_AGAIN
    index.set_state(row, state, float(now))
    index.set_refunded(row, refunded)
    index.set_details(row, record, at)
    if reason:
        index.reason[row] = reason


def _adopted(index: Index, record: dict[str, Any], at: int | None) -> None:
    task_id = field.text(record, "task_id")
    assert task_id is not None
    key = field.text(record, "take") or ""
    now = field.number(record, "time")
    row = index.row_of(key)
    if row is None:
        model = sys.intern(field.text(record, "model", required=False) or "")
        summary = field.text(record, "summary", required=False) or ""
        row = index.add(key, "", model, None, 0, TakeState.SENDING, now, summary=summary)
        index.start(row)
    _set_task(index, row, task_id)
    index.set_state(row, TakeState.CREATED, now)
    index.reason[row] = "adopted by the user"
    _absorb_pasted(index, row, task_id)


def _forgotten(index: Index, record: dict[str, Any], at: int | None) -> None:
    row = _take_row(index, record)
    index.set_state(row, TakeState.FORGOTTEN, field.number(record, "time"))
    index.reason[row] = "released by the user"


def _keyed(index: Index, record: dict[str, Any], at: int | None) -> None:
    """The mark of a secret this journal's accounts are made with (`fingerprint.secret_check`)."""
    check = field.text(record, "check")
    assert check is not None
    field.number(record, "time")
    index.secret_checks.add(check)


def keyed_record(check: str, *, rekeyed: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {"event": "keyed", "check": check, "time": time.time()}
    if rekeyed:
        record["rekeyed"] = True  # the user chose a new secret (`freesora tasks rekey`)
    return record


_HANDLERS: dict[str, Any] = {
    "charge": charge,
    "sending": _sending,
    "created": _created,
    "refused": _settled(TakeState.REFUSED),
    "unknown": _settled(TakeState.UNKNOWN),
    "finished": _finished,
    "adopted": _adopted,
    "forgotten": _forgotten,
    "entry": entry,
    "carried": _carried,
    "keyed": _keyed,
}
