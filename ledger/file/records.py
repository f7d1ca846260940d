"""The journal's record format: each kind of record read into the index and written, and the
checks of its fields. Tolerant of damage, of older formats and of disorder; no file access.

One JSON object per line. The records: sending, created, refused, unknown, finished, adopted,
forgotten, entry (a compacted take: every field of its Entry in one line), charge (a superseded
attempt's price that compaction keeps for the daily budget), carried (a first-format take found
again by its fingerprint and given an account), keyed (the mark of the journal's secret, see
`secret`). A `sending` or `entry` record may carry the take's `price` (credits charged at the
claim, for the daily budget); one without it reads as unpriced. A `finished` or `entry` record of
a failed or cancelled task may carry `credits_refunded` (what the service said of its credits);
one without it reads as not said. A `sending` or `entry` record may say
`started_when_queued: true` (claimed when its prompt was queued, before it ran); any other value
reads as not said. A `sending` or `entry` record may keep the take's `request` (what the create
asked for, `sent_request`), read back for the takes a person may have to decide on. All are
optional fields of existing records, so a pack that knows none of them reads the journal all
the same. The first journal format (created/unknown with a
`fingerprint`, finished) is read too (`ledger.upgrade`). A line that is not a well-typed record
is counted as damage and skipped (`BadRecord`): it never stops the lines after it from being read.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable
from typing import Any

from ...schemas.pricing import BUDGET_WINDOW_S
from ..contract import PASTED, Entry, TakeState
from ..sent_request import REQUEST
from ..upgrade import CARRIED_REASON, COLLECTED_AGAIN, LEGACY, written_off_by_expired_link
from .index import Index, unpack

_ENDINGS = {s.value: s for s in (TakeState.SUCCEEDED, TakeState.FAILED, TakeState.CANCELLED)}
_ENTRY_FIELDS = ("reason", "url", "file", "summary")
REPEATED = frozenset({"account", "model"})
SEEDS = (-(2**63) + 1, 2**63 - 1)  # what the index's seed column holds (the pack's: 0..2**31-1)
SLOTS = 2**31  # batch positions 0 .. SLOTS-1 (the pack's batches hold 8)
NUMBERS = (int, float)
# Any finite price is read back, whatever the config allowed when it was written (its range is
# `config.credits`'): a take must never be lost for the number it was charged at.
LAST_PRICE = sys.float_info.max
STARTED = "started_when_queued"  # an optional flag of `sending` and `entry` records
LAST_TIME = 1e11  # year 5138: a larger (or infinite, or NaN) time is damage, not a date


class BadRecord(ValueError):
    """A line that is JSON but not a record this ledger can use."""


class PartlyRead(BadRecord):
    """A record applied without one of its optional fields (named): damage all the same."""


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


# --- fields: each read checked, a wrong one raised as BadRecord --------------------------------


def _is_time(value: object) -> bool:
    return type(value) in NUMBERS and 0 <= value < LAST_TIME  # type: ignore[operator]


def _text(record: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BadRecord(f"{name} must be text, got {value!r}"[:120])
    # Accounts and models repeat on every line: one copy each keeps a big index small.
    return sys.intern(value) if name in REPEATED else value


def _number(record: dict[str, Any], name: str) -> float:
    value = record.get(name, 0.0)
    if not _is_time(value):
        raise BadRecord(f"{name} must be a time in seconds, got {value!r}"[:120])
    return float(value)


def _integer(record: dict[str, Any], name: str, *, default: int | None) -> int | None:
    value = record.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadRecord(f"{name} must be an integer, got {value!r}"[:120])
    return value


def _flag(record: dict[str, Any], name: str) -> bool | None:
    """An optional true/false field (None when absent)."""
    value = record.get(name)
    if value is not None and type(value) is not bool:
        raise BadRecord(f"{name} must be true or false, got {value!r}"[:120])
    return value


def _seed(record: dict[str, Any]) -> int | None:
    """The seed, or None; beyond what the index's column holds is damage."""
    value = _integer(record, "seed", default=None)
    if value is not None and not SEEDS[0] <= value <= SEEDS[1]:
        raise BadRecord(f"seed out of range: {value}"[:120])
    return value


def _slot(record: dict[str, Any]) -> int:
    """The batch position (0 when absent); a negative or huge one is damage."""
    value = _integer(record, "slot", default=0) or 0
    if not 0 <= value < SLOTS:
        raise BadRecord(f"slot out of range: {value}"[:120])
    return value


def _price(record: dict[str, Any]) -> float | None:
    """The credits a take was charged at its claim (None: not recorded, older journals)."""
    value = record.get("price")
    if value is None:
        return None
    if type(value) not in NUMBERS or not 0 <= value <= LAST_PRICE:
        raise BadRecord(f"price must be a number of credits, got {value!r}"[:120])
    return float(value)


def _optional_price(record: dict[str, Any]) -> tuple[float | None, PartlyRead | None]:
    """The price, or None and the damage to raise once the record is applied: a take's record
    is never dropped for its price (a dropped SENDING would let its take be sent again)."""
    try:
        return _price(record), None
    except BadRecord as exc:
        return None, PartlyRead(f"{exc}; the take is kept, its price not counted"[:160])


def _state(record: dict[str, Any]) -> TakeState:
    """The take's state, as a compacted record (`entry`, `charge`) writes it."""
    value = record.get("state")
    try:
        return TakeState(value)
    except ValueError:
        raise BadRecord(f"state must be a take state, got {value!r}"[:120]) from None


# --- the records, as the index takes them -------------------------------------------------------


def _take_row(index: Index, record: dict[str, Any]) -> int:
    """The row of the take a record names; an outcome whose sending line was lost keeps
    what it says in a row of its own."""
    key = _text(record, "take")
    assert key is not None
    row = index.row_of(key)
    if row is None:
        now = _number(record, "time")
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
        or not _is_time(now)
    ):
        raise BadRecord(f"a sending record with a field of the wrong type: {record!r}"[:160])
    price, unread = _optional_price(record)
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
        early=record.get(STARTED) is True,
    )
    index.set_request(row, record, at)
    index.start(row)
    if unread is not None:
        raise unread


def _created(index: Index, record: dict[str, Any], at: int | None) -> None:
    task_id, now = record.get("task_id"), record.get("time", 0.0)
    if type(task_id) is not str or not task_id or not _is_time(now):
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


def _drop_pasted(index: Index, key: str) -> None:
    """A pasted id (`remember` made it a take of its own) is no longer listed or found; pasted
    again later, it is a new row. An older pack reads the same record as the row forgotten."""
    row = index.rows.pop(key, None)  # pasted keys are never packed (not 64 hex digits)
    if row is None:
        return
    task_id = index.task[row]
    if task_id is not None and index.by_task.get(task_id) == row:
        del index.by_task[task_id]


def _legacy(
    index: Index, record: dict[str, Any], key: str, state: TakeState, task_id: str | None
) -> None:
    now = _number(record, "time")
    model = _text(record, "model", required=False) or ""
    seed = _seed(record)
    row = index.add(key, "", model, seed, 0, state, now, task=task_id)
    index.reason[row] = _text(record, "error", required=False)
    index.start(row)
    fingerprint = record.get("fingerprint")
    if type(fingerprint) is str and fingerprint:
        index.legacy[(fingerprint, seed)] = row  # the newest record of a request decides


def _carried(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A first-format take found again by its fingerprint, now a take of an account."""
    source, key, account = (_text(record, name) or "" for name in ("from", "take", "account"))
    slot = _slot(record)
    row = index.carry(source, key, sys.intern(account), slot, _number(record, "time"))
    if row is not None:
        index.summary[row] = sys.intern(_text(record, "summary", required=False) or "")
        before = index.reason[row]
        index.reason[row] = f"{before}; {CARRIED_REASON}" if before else CARRIED_REASON


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
        reason = _text(record, "reason", required=False)
        index.set_state(row, state, _number(record, "time"))
        index.reason[row] = reason

    return handler


def _finished(index: Index, record: dict[str, Any], at: int | None) -> None:
    task_id, status, now = record.get("task_id"), record.get("status"), record.get("time", 0.0)
    state = _ENDINGS.get(status) if type(status) is str else None
    if type(task_id) is not str or not task_id or not _is_time(now) or state is None:
        raise BadRecord(f"a finished record with a field of the wrong type: {record!r}"[:160])
    details = [record.get(name) for name in ("url", "file", "reason")]
    if any(value is not None and type(value) is not str for value in details):
        raise BadRecord(f"url, file and reason must be text: {record!r}"[:160])
    refunded = _flag(record, "credits_refunded")
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
    task_id = _text(record, "task_id")
    assert task_id is not None
    key = _text(record, "take") or ""
    now = _number(record, "time")
    row = index.row_of(key)
    if row is None:
        model = sys.intern(_text(record, "model", required=False) or "")
        summary = _text(record, "summary", required=False) or ""
        row = index.add(key, "", model, None, 0, TakeState.SENDING, now, summary=summary)
        index.start(row)
    _set_task(index, row, task_id)
    index.set_state(row, TakeState.CREATED, now)
    index.reason[row] = "adopted by the user"
    _absorb_pasted(index, row, task_id)


def _forgotten(index: Index, record: dict[str, Any], at: int | None) -> None:
    key = _text(record, "take") or ""
    if key.startswith(PASTED):  # a pasted id the user forgets: no take, nothing to release
        _drop_pasted(index, key)
        return
    row = _take_row(index, record)
    index.set_state(row, TakeState.FORGOTTEN, _number(record, "time"))
    index.reason[row] = "released by the user"


def _keyed(index: Index, record: dict[str, Any], at: int | None) -> None:
    """The mark of a secret this journal's accounts are made with (`secret.secret_check`)."""
    check = _text(record, "check")
    assert check is not None
    _number(record, "time")
    index.secret_checks.add(check)


def _entry(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A compacted take: every field of its Entry in one line (`entry_record` writes it)."""
    take_state = _state(record)
    seed, slot = _seed(record), _slot(record)
    for name in ("url", "file"):
        _text(record, name, required=False)  # kept in the journal: checked, not read
    task_id = _text(record, "task_id", required=False)
    summary = _text(record, "summary", required=False) or ""
    reason, updated = _text(record, "reason", required=False), _number(record, "updated")
    if written_off_by_expired_link(take_state, reason):  # compacted with the write-off
        take_state, reason = TakeState.CREATED, COLLECTED_AGAIN
    fingerprint = _text(record, "fingerprint", required=False)
    refunded = _flag(record, "credits_refunded")
    price, unread = _optional_price(record)
    row = index.add(
        _text(record, "take") or "",
        _text(record, "account", required=False) or "",
        _text(record, "model", required=False) or "",
        seed,
        slot,
        take_state,
        _number(record, "time"),
        summary=sys.intern(summary),
        task=task_id,
        price=price,
        early=record.get(STARTED) is True,
    )
    index.updated[row], index.reason[row] = updated, reason
    index.set_refunded(row, refunded)
    index.set_details(row, record, at)
    index.set_request(row, record, at)
    if fingerprint:  # a first-format take not carried over yet: still found by it
        index.legacy[(fingerprint, seed)] = row
    if record.get("earlier") is True:
        index.earlier.append(row)
        if task_id is not None:
            index.by_task.setdefault(task_id, row)
    else:
        index.start(row)
    if unread is not None:
        raise unread


def _charge(index: Index, record: dict[str, Any], at: int | None) -> None:
    """A superseded attempt's price that compaction kept for the daily budget: compaction lists
    one entry per take (and earlier attempts that had a task), so an attempt superseded without
    a task (an unknown outcome forgotten, then sent again) is dropped from the lists, but its
    credits stay in the budget's window for a day. Its row is never listed or looked up."""
    take_state = _state(record)
    account = _text(record, "account") or ""
    price = _price(record)
    key = _text(record, "take") or ""
    index.add(key, account, "", None, 0, take_state, _number(record, "time"), price=price)


# --- the records compaction and the secret write ------------------------------------------------


def entry_record(entry: Entry, *, earlier: bool, fingerprint: str | None = None) -> dict[str, Any]:
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
    if entry.price is not None:
        record["price"] = entry.price
    if entry.credits_refunded is not None:
        record["credits_refunded"] = entry.credits_refunded
    if entry.started_when_queued:
        record[STARTED] = True
    if entry.request:
        record[REQUEST] = entry.request
    if earlier:
        record["earlier"] = True
    if fingerprint:
        record["fingerprint"] = fingerprint
    return record


def charge_records(index: Index, listed: set[int], now: float) -> list[dict[str, Any]]:
    """`charge` records of the priced rows compaction would drop that are still in the
    budget's window (a day and an hour: a little disorder in times is harmless)."""
    since = now - BUDGET_WINDOW_S - 3600
    records = []
    for rows in index.charged.values():
        for row in rows:
            if row in listed or index.created[row] <= since:
                continue
            records.append(
                {
                    "event": "charge",
                    "take": unpack(index.key[row]),
                    "account": index.account[row],
                    "time": index.created[row],
                    "price": index.price[row],
                    "state": index.state_of(row).value,
                }
            )
    return records


def keyed_record(check: str, *, rekeyed: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {"event": "keyed", "check": check, "time": time.time()}
    if rekeyed:
        record["rekeyed"] = True  # the user chose a new secret (`freesora tasks rekey`)
    return record


_HANDLERS: dict[str, Any] = {
    "charge": _charge,
    "sending": _sending,
    "created": _created,
    "refused": _settled(TakeState.REFUSED),
    "unknown": _settled(TakeState.UNKNOWN),
    "finished": _finished,
    "adopted": _adopted,
    "forgotten": _forgotten,
    "entry": _entry,
    "carried": _carried,
    "keyed": _keyed,
}
