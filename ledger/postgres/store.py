"""The PostgreSQL store: one ledger shared by every worker and CLI of a farm, same guarantees.

Imported only when a `postgresql://` ledger is named (psycopg 3 is an optional extra).

How `ledger/contract.py`'s guarantees hold across processes and machines:
- **Write-ahead**: `claim` commits the SENDING row before it returns.
- **At most once**: a claim holds a session advisory lock on its take, on a connection of its
  own, from the check until it is settled; a second claimant waits on that lock, then reads the
  first one's outcome. The database also refuses a second live attempt of a take (a partial
  unique index), so even a buggy writer cannot record two.
- **Daily budget**: a priced claim's SENDING row is inserted in one transaction under the
  account's advisory lock, only if the account's last 24 hours fit (`budget`).
- **A dead claimant reads as unknown**: its session ended, so its lock is gone and its backend is
  no longer in `pg_stat_activity`; its SENDING row then reads as UNKNOWN (or, if admission was
  still holding it back and nothing was sent, as REFUSED).
- **Nothing lost**: every attempt is its own row; an outcome write that fails is retried on a
  fresh connection (a database restart), and if it still cannot be written the error names the
  task id.

The store owns its connection pool: opened so that a database that is down fails fast, and
closed so that no connection stays open on the server, even as a prompt's loop ends.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ...config.database_url import shown_database
from ...errors import LedgerError
from ...schemas.account_limits import AccountLimits
from ..admission import Verdict
from ..contract import Charge, Decision, Entry, Spending, Take, TakeState, account_id
from . import budget, rows
from .claim import Conn, PgClaim, void_unsent_row, write_after_cancel
from .failures import cannot_use, failure
from .locks import advisory_key
from .rows import SELECT, to_entry
from .schema import DB_NOW, account_secret, migrate

logger = logging.getLogger(__name__)
T = TypeVar("T")
Opened = weakref.WeakSet[psycopg.AsyncConnection[Any]]

# A write is retried this long (seconds) through a database restart before it is given up.
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0)


async def _one(cursor: Any) -> Any:
    """The first column of a query's one row."""
    row = await cursor.fetchone()
    assert row is not None  # a SELECT without FROM gives one row
    return row[0]


class PostgresLedger:
    """`ledger.contract.Ledger` on a PostgreSQL database shared by every worker of a farm."""

    def __init__(
        self,
        url: str,
        pool: AsyncConnectionPool[Any],
        secret: bytes,
        opened: Opened | None = None,
    ) -> None:
        self.url = url
        self._opened = opened if opened is not None else weakref.WeakSet()  # see `close`
        self.where = shown_database(url)  # shown to users: never the password
        self._pool = pool
        self._secret = secret
        # A held claim keeps a connection for its whole create; leave two for everything else
        # (admission, listing, outcomes), or claims waiting for a slot would starve the pool.
        self._claims = asyncio.Semaphore(max(1, (pool.max_size or 3) - 2))

    @classmethod
    async def connect(
        cls, url: str, *, max_size: int = 10, timeout_s: float = 10.0
    ) -> PostgresLedger:
        """Reach the database, migrate its schema and open a pool: a clear error when it fails."""
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, connect_timeout=max(2, int(timeout_s))
            ) as conn:
                await migrate(conn)
                secret = await account_secret(conn)
        except psycopg.Error as exc:
            raise cannot_use(url, exc) from None
        pool, opened = await open_pool(url, max_size=max_size, timeout_s=timeout_s)
        return cls(url, pool, secret, opened)

    # --- plumbing shared with PgClaim and admission ---------------------------------------

    async def run(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """`work` on a pooled connection, retried through a database restart."""
        for delay in (*RETRY_DELAYS_S, None):
            try:
                async with self._pool.connection() as conn:
                    return await work(conn)
            except psycopg.OperationalError as exc:  # AdminShutdown among them
                if delay is None:
                    raise self.unreachable(exc) from None
                why = self.describe(exc)
                logger.warning(
                    "shared ledger at %s unreachable (%s); retrying in %ss", self.where, why, delay
                )
                await asyncio.sleep(delay)
            except psycopg.Error as exc:  # refused (read-only, a permission): not retried
                raise self.failed(exc) from None
        raise AssertionError("unreachable")

    def unreachable(self, exc: BaseException) -> LedgerError:
        return LedgerError(
            f"the shared ledger at {self.where} cannot be reached ({self.describe(exc)})"
        )

    def failed(self, exc: psycopg.Error) -> LedgerError:
        """Any psycopg error as the pack's: no raw psycopg error leaves this store."""
        if isinstance(exc, psycopg.OperationalError):
            return self.unreachable(exc)
        return LedgerError(f"the shared ledger at {self.where} failed ({self.describe(exc)})")

    def describe(self, exc: BaseException) -> str:
        """What failed, never libpq's text (it may quote the URL): see `failures`."""
        return failure(exc, self.url)

    async def give_back_connection(self, conn: Conn, *, broken: bool = False) -> None:
        """A claim's connection back to the pool, and its claim slot back."""
        try:
            if broken or conn.closed:
                await conn.close()  # a closed connection returned to the pool is discarded
        finally:
            try:
                await self._pool.putconn(conn)
            finally:
                self._claims.release()

    async def _fetch(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        async def work(conn: Conn) -> list[dict[str, Any]]:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(sql, params)
                return await cur.fetchall()

        return await self.run(work)

    # --- the interface ---------------------------------------------------------------------

    async def account(self, profile: str, api_key: str) -> str:
        return account_id(profile, api_key, self._secret)

    async def claim(
        self, take: Take, *, model: str, summary: str = "", charge: Charge | None = None
    ) -> Decision:
        since: float | None = None  # the database's clock as the take's lock was asked for
        conn = await self._checkout()
        key, pid = advisory_key(take.key), conn.info.backend_pid
        kept = clean = False  # kept: the claim holds the connection; clean: its session is fine
        try:
            try:
                locked = await conn.execute(f"SELECT {DB_NOW}, pg_advisory_lock(%s)", (key,))
                since = float(await _one(locked))
                earlier, row_id = await rows.claim_locked(conn, take, model, summary, charge)
            except psycopg.Error as exc:
                raise self.failed(exc) from None
            except asyncio.CancelledError:
                # The SENDING row may be committed though its answer never came back; nothing
                # was sent: say so before the cancel goes on (else: "may have been charged").
                # Before the lock was granted no row of this claim can exist.
                if since is not None:
                    unsent = void_unsent_row(conn, self.url, take.key, pid, since)
                    what = f"that take {take.key[:12]} was not sent"
                    await write_after_cancel(unsent, what, self.url)
                raise
            if row_id is not None:
                kept = True  # given back when the claim is settled (`PgClaim._settle`)
                return Decision(claim=PgClaim(self, take, row_id, conn), earlier=earlier)
            try:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                clean = True
            except psycopg.OperationalError:
                pass  # the session died after deciding: its lock went with it, the decision stands
            return Decision(claim=None, earlier=earlier)
        finally:
            if not kept:
                # Not clean (failed, over budget, cancelled, or the session died): closing it
                # drops any lock it took, and the pool discards it.
                await self.give_back_connection(conn, broken=not clean)

    async def _checkout(self) -> Conn:
        """A claim slot and a connection of its own (both given back by `give_back_connection`)."""
        await self._claims.acquire()
        try:
            conn: Conn = await self._pool.getconn()
        except BaseException as exc:
            self._claims.release()
            if isinstance(exc, psycopg.OperationalError):
                raise self.unreachable(exc) from None
            raise
        return conn

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
        sql = (
            "UPDATE freesora.takes SET state = %s, url = coalesce(%s, url),"
            " file = coalesce(%s, file), reason = coalesce(%s, reason),"
            " extra = CASE WHEN %s::boolean IS NULL THEN extra"
            " ELSE extra || jsonb_build_object('credits_refunded', %s::boolean) END,"
            f" updated_at = {DB_NOW} WHERE task_id = %s"
        )
        refunded = credits_refunded
        params = (state.value, url, file, reason, refunded, refunded, task_id)
        await self.run(lambda conn: conn.execute(sql, params))

    async def lookup(self, take: Take) -> Entry | None:
        found = await self._fetch(
            f"{SELECT} WHERE take_key = %s ORDER BY id DESC LIMIT 1", (take.key,)
        )
        return to_entry(found[0]) if found else None

    async def find_task(self, task_id: str) -> Entry | None:
        found = await self._fetch(f"{SELECT} WHERE task_id = %s", (task_id,))
        return to_entry(found[0]) if found else None

    async def entries(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        only_unfinished: bool = False,
        model: str | None = None,
    ) -> list[Entry]:
        where, params = rows.entries_filter(only_unfinished, model)
        sql = f"{SELECT} {where} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
        found = await self._fetch(sql, (*params, limit, offset))
        return [to_entry(row) for row in found]

    async def count(self, *, only_unfinished: bool = False, model: str | None = None) -> int:
        where, params = rows.entries_filter(only_unfinished, model)
        found = await self._fetch(f"SELECT count(*) AS n FROM freesora.takes t {where}", params)
        return int(found[0]["n"])

    async def named_take(self, take_key: str) -> Entry:
        name = f"the shared ledger at {self.where}"
        return await self.run(lambda conn: rows.named_take(conn, take_key, name))

    async def adopt(self, take_key: str, task_id: str) -> Entry:
        return await self._resolve(take_key, TakeState.CREATED, task_id)

    async def forget(self, take_key: str) -> Entry:
        return await self._resolve(take_key, TakeState.FORGOTTEN, None)

    async def _resolve(self, take_key: str, state: TakeState, task_id: str | None) -> Entry:
        name = f"the shared ledger at {self.where}"

        async def work(conn: Conn) -> Entry:
            return await rows.resolve(conn, take_key, state, task_id, name)

        return await self.run(work)

    async def remember(self, task_id: str, *, model: str = "", summary: str = "") -> Entry:
        """A task id the ledger did not know (pasted into Video Result), as a take of its own."""

        async def work(conn: Conn) -> Entry:
            return await rows.remember(conn, task_id, model, summary)

        return await self.run(work)

    async def problems(self) -> list[str]:
        return []  # rows are typed by the database: no damaged records to skip

    async def compact(self) -> int:
        # One row per attempt is already compact; nothing is rewritten, nothing can be lost.
        found = await self._fetch("SELECT count(*) AS n FROM freesora.takes")
        return int(found[0]["n"])

    async def spent(self, account: str) -> Spending:
        return await self.run(lambda conn: budget.spent(conn, account))

    async def unrefunded(self, account: str, *, limit: int) -> list[Entry]:
        found = await self._fetch(budget.UNREFUNDED, (account, max(0, limit)))
        return [to_entry(row) for row in found]

    async def try_admit(self, claim: Any, limits: AccountLimits, now: float) -> Verdict:
        """Account-wide admission of a held claim (see `ledger.admission`)."""
        if not isinstance(claim, PgClaim):
            raise TypeError(f"not a claim of this store: {claim!r}")
        return await claim.admit(limits, now)

    async def close(self) -> None:
        """Close the pool and every connection it opened (`close_pool`)."""
        await close_pool(self._pool, self._opened)

    def __repr__(self) -> str:
        return f"PostgresLedger({self.where})"


async def open_pool(
    url: str, *, max_size: int, timeout_s: float
) -> tuple[AsyncConnectionPool[Any], Opened]:
    """An open pool, and the set of every connection it opens (for `close_pool`)."""
    opened: Opened = weakref.WeakSet()

    async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
        opened.add(conn)

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        configure=configure,
        min_size=min(4, max_size),  # a few ready: opening one costs more than a create's work
        max_size=max_size,
        kwargs={"autocommit": True},
        check=AsyncConnectionPool.check_connection,
        timeout=5.0,  # per wait for a connection: a database that is down fails fast
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=timeout_s)
    except BaseException as exc:
        await pool.close()  # its workers would go on trying to connect
        if isinstance(exc, psycopg.Error):
            raise cannot_use(url, exc) from None
        raise
    return pool, opened


async def close_pool(pool: AsyncConnectionPool[Any], opened: Opened) -> None:
    """Close the pool and every connection it opened, even as the loop ends: ComfyUI's
    `asyncio.run` cancels the pool's workers before the store is closed, and the pool then
    stops before closing its idle connections (they would stay open on the server)."""
    cancelled: asyncio.CancelledError | None = None
    try:
        await pool.close()
    except asyncio.CancelledError as exc:
        cancelled = exc
    for conn in list(opened):
        if not conn.closed:
            await conn.close()
    if cancelled is not None:
        raise cancelled
