"""The PostgreSQL store's rows: read as entries, the locked claim, outcomes, adopting and
forgetting, pasted task ids.

Rows are read through `SELECT`, which also says whether a SENDING row's claimant is gone (its
session no longer holds the take's advisory lock, `locks.ORPHAN`): such a row reads as UNKNOWN,
or as REFUSED when admission was still holding it back (then nothing was sent).
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from ...errors import LedgerError
from ..contract import (
    MIN_TAKE_PREFIX,
    PASTED,
    Charge,
    Entry,
    Take,
    TakeState,
    adoptable,
    dropped,
    forgettable,
    one_take,
    task_held_elsewhere,
)
from ..sent_request import REQUEST, read_request
from ..upgrade import COLLECTED_AGAIN, EXPIRED_LINK_REASONS, written_off_by_expired_link
from .budget import within_budget
from .locks import ORPHAN, advisory_key
from .schema import DB_NOW, STARTED_WHEN_QUEUED

SELECT = f"SELECT t.*, {ORPHAN} AS orphan FROM freesora.takes t"
# Short: the unknown outcome's message says what follows (a task may exist and be charged).
DIED_SENDING = "its worker stopped before the answer was recorded"
DIED_WAITING = "its worker stopped while waiting for a slot; nothing was sent"
FINISHED = tuple(s.value for s in TakeState if s.finished)


def to_entry(row: dict[str, Any]) -> Entry:
    state, reason = TakeState(row["state"]), row["reason"]
    if row.get("orphan"):
        state = TakeState.REFUSED if row["held_back"] else TakeState.UNKNOWN
        reason = DIED_WAITING if row["held_back"] else DIED_SENDING
    elif reason in EXPIRED_LINK_REASONS:  # the task is there to collect
        state = TakeState.CREATED if written_off_by_expired_link(state, reason) else state
        reason = COLLECTED_AGAIN  # collected again since, or still to collect
    extra = dict(row["extra"] or {})
    refunded = extra.pop("credits_refunded", None)  # kept in `extra`: see schema.REFUNDED
    early = extra.pop(STARTED_WHEN_QUEUED, None) is True
    # What the create asked for (`sent_request`): read for the takes a person may decide on.
    kept = extra.pop(REQUEST, None)
    request = read_request(kept) if state.blocks_resend else None
    return Entry(
        take_key=row["take_key"],
        account=row["account"],
        model=row["model"],
        seed=row["seed"],
        slot=row["slot"],
        state=state,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        task_id=row["task_id"],
        url=row["url"],
        file=row["file"],
        reason=reason,
        summary=row["summary"],
        extra=extra,
        price=row.get("price"),
        credits_refunded=refunded if isinstance(refunded, bool) else None,
        started_when_queued=early,
        request=request,
    )


async def claim_locked(
    conn: Any, take: Take, model: str, summary: str, charge: Charge | None = None
) -> tuple[Entry | None, int | None]:
    """With the take's advisory lock held: the earlier entry to reuse or respect, or the id
    of a new, committed SENDING row."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT t.* FROM freesora.takes t WHERE take_key = %s ORDER BY id DESC LIMIT 1",
            (take.key,),
        )
        row = await cur.fetchone()
    if row is not None:
        # We hold the take's lock, so a SENDING row's claimant is gone: no need to ask
        # pg_locks (which takes every lock partition: costly with a busy farm).
        row["orphan"] = row["state"] == TakeState.SENDING.value
        earlier = to_entry(row)
        if row["orphan"]:
            # We hold the lock, so its claimant is gone: write down what that means.
            await conn.execute(
                "UPDATE freesora.takes SET state = %s, reason = %s,"
                f" updated_at = {DB_NOW} WHERE id = %s",
                (earlier.state.value, earlier.reason, row["id"]),
            )
        if earlier.state.reusable or earlier.state.blocks_resend:
            return earlier, None
    else:
        earlier = None
    # Priced, and within the account's budget in one transaction under its lock (or refused).
    lock = advisory_key("budget:" + take.account)
    insert = lambda: _insert_sending(conn, take, model, summary, charge)  # noqa: E731
    row_id = await within_budget(conn, take.account, charge, lock, insert)
    return earlier, row_id


async def _insert_sending(
    conn: Any, take: Take, model: str, summary: str, charge: Charge | None
) -> int:
    # Claimed at the database's clock, in the budget's transaction: the window every worker
    # counts is the same, whatever each machine's clock says.
    cursor = await conn.execute(
        "INSERT INTO freesora.takes (take_key, account, model, seed, slot, state, created_at,"
        " updated_at, summary, extra, holder_pid, lock_key, price)"
        f" VALUES (%s, %s, %s, %s, %s, 'sending', {DB_NOW}, {DB_NOW}, %s, %s, pg_backend_pid(),"
        " %s, %s) RETURNING id",
        (
            take.key,
            take.account,
            model,
            take.seed,
            take.slot,
            summary,
            Jsonb(_extra_of(take)),
            advisory_key(take.key),
            None if charge is None else charge.price,
        ),
    )
    created = await cursor.fetchone()
    return int(created[0])


def _extra_of(take: Take) -> dict[str, Any]:
    """A new row's optional details in `extra` (older packs ignore keys they do not know)."""
    extra: dict[str, Any] = {STARTED_WHEN_QUEUED: True} if take.started_when_queued else {}
    if take.asked:
        extra[REQUEST] = take.asked
    return extra


def entries_filter(only_unfinished: bool, model: str | None) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if only_unfinished:  # rows that read as unfinished (`to_entry`)
        clauses.append("(t.state <> ALL(%s) OR (t.state = 'failed' AND t.reason = ANY(%s)))")
        params.extend([list(FINISHED), list(EXPIRED_LINK_REASONS)])
    if model is not None:
        clauses.append("t.model = %s")
        params.append(model)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


async def resolve(
    conn: Any, take_key: str, state: TakeState, task_id: str | None, ledger_name: str
) -> Entry:
    """Adopt a task id for a take, or forget it: recorded on its latest attempt. `ledger_name`
    names this ledger to the user when `take_key` names no take."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        take_key = await _full_key(cur, take_key.strip(), ledger_name)
        await cur.execute(
            f"{SELECT} WHERE take_key = %s ORDER BY id DESC LIMIT 1 FOR UPDATE", (take_key,)
        )
        row = await cur.fetchone()
        if row is None:  # a pasted id another worker forgot since `_full_key` found it
            one_take(take_key, [], ledger_name)  # raises: no such take
        assert row is not None
        if not row["orphan"] and row["state"] == TakeState.SENDING.value:
            raise LedgerError(
                f"Take {take_key} is being created right now by a running worker; wait for it."
            )
        if task_id is None and take_key.startswith(PASTED):
            # A pasted id the user forgets: no take to release, so no longer listed.
            await cur.execute("DELETE FROM freesora.takes WHERE id = %s", (row["id"],))
            return dropped(to_entry(row))
        if task_id is None:
            forgettable(take_key, to_entry(row).state)
        else:
            adoptable(take_key, to_entry(row).state, task_id)
        carried = {} if task_id is None else await _join_task(conn, task_id, row["id"])
        await cur.execute(
            "UPDATE freesora.takes SET state = %s, task_id = coalesce(%s, task_id),"
            " url = coalesce(%s, url), file = coalesce(%s, file), reason = %s,"
            f" updated_at = {DB_NOW} WHERE id = %s",
            (
                carried.get("state", state.value),
                task_id,
                carried.get("url"),
                carried.get("file"),
                f"{state.value} by the user",
                row["id"],
            ),
        )
        await cur.execute(f"{SELECT} WHERE id = %s", (row["id"],))
        updated = await cur.fetchone()
    return to_entry(updated)


async def named_take(conn: Any, take_key: str, ledger_name: str) -> Entry:
    """The take `take_key` names, its latest attempt as `entries` lists it."""
    async with conn.cursor(row_factory=dict_row) as cur:
        key = await _full_key(cur, take_key.strip(), ledger_name)
        await cur.execute(f"{SELECT} WHERE take_key = %s ORDER BY id DESC LIMIT 1", (key,))
        row = await cur.fetchone()
    if row is None:  # a pasted id another worker forgot since `_full_key` found it
        one_take(take_key, [], ledger_name)  # raises: no such take
    assert row is not None
    return to_entry(row)


async def _join_task(conn: Any, task_id: str, row_id: int) -> dict[str, Any]:
    """Before row `row_id` takes `task_id`: the task's pasted row joins it (`absorb_pasted`);
    an id another take holds is refused, naming that take."""
    carried = await absorb_pasted(conn, task_id)
    cursor = await conn.execute(
        "SELECT take_key FROM freesora.takes WHERE task_id = %s AND id <> %s LIMIT 1",
        (task_id, row_id),
    )
    other = await cursor.fetchone()
    if other is not None:
        raise task_held_elsewhere(task_id, str(other[0]))
    return carried


async def absorb_pasted(conn: Any, task_id: str) -> dict[str, Any]:
    """The row `remember` added for `task_id` (an id pasted into Video Result) is removed, as
    a take now holds the task: one task, one row. Returns what that row learnt since (its
    state, and its URL and file if any), for the take's row. In the caller's transaction."""
    cursor = await conn.execute(
        "DELETE FROM freesora.takes WHERE take_key = %s AND task_id = %s"
        " RETURNING state, url, file",
        (PASTED + task_id, task_id),
    )
    found = await cursor.fetchone()
    if found is None:
        return {}
    state, url, file = found
    return {"state": state, **({"url": url} if url else {}), **({"file": file} if file else {})}


async def settle(conn: Any, row_id: int, fields: dict[str, Any]) -> None:
    """A claim's outcome on its row. A created task whose id was pasted before joins its
    pasted row (`absorb_pasted`) in the same transaction."""
    task_id = fields.get("task_id")
    if task_id is None:
        await _update(conn, row_id, fields)
        return
    async with conn.transaction():
        carried = await absorb_pasted(conn, task_id)
        await _update(conn, row_id, {**fields, **carried})


async def _update(conn: Any, row_id: int, fields: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = %({name})s" for name in fields)
    await conn.execute(
        f"UPDATE freesora.takes SET {sets}, updated_at = {DB_NOW} WHERE id = %(id)s",
        {**fields, "id": row_id},
    )


async def _full_key(cur: Any, prefix: str, ledger_name: str) -> str:
    """A take key from its first characters, as `freesora tasks` shows them (`one_take`): a
    take's key, or a pasted id's task id (its key without `PASTED`), whole or its start."""
    await cur.execute(
        "SELECT DISTINCT take_key FROM freesora.takes WHERE take_key IN (%s, %s) LIMIT 2",
        (prefix, PASTED + prefix),
    )
    found = [r["take_key"] for r in await cur.fetchall()]
    if not found and len(prefix) >= MIN_TAKE_PREFIX:
        start = _like_text(prefix) + "%"
        await cur.execute(
            "SELECT DISTINCT take_key FROM freesora.takes WHERE take_key LIKE %s"
            " OR take_key LIKE %s LIMIT 2",
            (start, _like_text(PASTED) + start),
        )
        found = [r["take_key"] for r in await cur.fetchall()]
    return one_take(prefix, found, ledger_name)


def _like_text(text: str) -> str:
    """`text` matched as it is in a LIKE pattern (PostgreSQL's escape character is `\\`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def remember(conn: Any, task_id: str, model: str, summary: str) -> Entry:
    """The entry of `task_id`, adding it (as a take of its own, keyed by the id) if unknown."""
    key = PASTED + task_id
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "INSERT INTO freesora.takes (take_key, account, model, seed, slot, state,"
            " created_at, updated_at, task_id, summary) VALUES"
            f" (%s, '', %s, NULL, 0, 'created', {DB_NOW}, {DB_NOW}, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (key, model, task_id, summary),
        )
        await cur.execute(f"{SELECT} WHERE task_id = %s", (task_id,))
        row = await cur.fetchone()
    return to_entry(row)
