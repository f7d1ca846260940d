"""The PostgreSQL ledger's schema: created and migrated by the pack itself, versioned, idempotent.

Everything lives in the `freesora` schema of the database named by the URL:

- `freesora.schema_version(version, description, applied_at)`: one row per applied migration.
- `freesora.settings(name, value)`: the farm's account-hashing secret.
- `freesora.takes`: one row per create *attempt* (a take created again after a failure is a new
  row, so no task id is ever overwritten). At most one live attempt per take is enforced by the
  database itself (a partial unique index), whatever a buggy or old worker does.

Migrations are appended to `MIGRATIONS`, never edited: each runs once, in one transaction, under
an advisory lock, so any number of workers starting at once migrate exactly once. A database
migrated by a newer pack is refused (this pack would misread it) with what to do.
"""

from __future__ import annotations

import os
from typing import Any

from ...errors import ConfigError

# A fixed advisory-lock key: the workers of a farm take turns migrating.
MIGRATION_LOCK = 0x46524545_534F5241  # "FREESORA"

# The database's own clock in the columns' unit (epoch seconds, double precision): every time a
# row holds is read from it, so workers whose clocks disagree still share one budget window.
DB_NOW = "extract(epoch FROM clock_timestamp())::double precision"

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "takes: one row per create attempt, one live attempt per take",
        [
            """CREATE TABLE freesora.takes (
                id bigserial PRIMARY KEY,
                take_key text NOT NULL,
                account text NOT NULL,
                model text NOT NULL,
                seed bigint,
                slot integer NOT NULL,
                state text NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL,
                task_id text,
                url text,
                file text,
                reason text,
                summary text NOT NULL DEFAULT '',
                extra jsonb NOT NULL DEFAULT '{}'::jsonb,
                holder_pid integer,
                lock_key bigint,
                held_back boolean NOT NULL DEFAULT false,
                admitted_at double precision
            )""",
            "CREATE UNIQUE INDEX takes_one_live_attempt ON freesora.takes (take_key) "
            "WHERE state IN ('sending', 'created', 'unknown', 'succeeded')",
            "CREATE UNIQUE INDEX takes_task_id ON freesora.takes (task_id) "
            "WHERE task_id IS NOT NULL",
            "CREATE INDEX takes_newest ON freesora.takes (created_at DESC, id DESC)",
            # The key of account ids' keyed hash: one per farm, so every worker names an
            # account alike (never the API key itself; see contract.account_id).
            "CREATE TABLE freesora.settings (name text PRIMARY KEY, value bytea NOT NULL)",
            # Admission's two counts, each through an index whatever the history's length.
            "CREATE INDEX takes_account_open ON freesora.takes (account) "
            "WHERE state IN ('sending', 'created')",
            "CREATE INDEX takes_account_admitted ON freesora.takes (account, admitted_at) "
            "WHERE admitted_at IS NOT NULL",
        ],
    ),
    (
        2,
        "takes: the price charged at the claim, summed per account for the daily budget",
        [
            "ALTER TABLE freesora.takes ADD COLUMN price double precision",
            "CREATE INDEX takes_account_charged ON freesora.takes (account, created_at)"
            " WHERE price IS NOT NULL",
        ],
    ),
]

# Whether the service said a failed or cancelled task's credits came back lives in the row's
# `extra` (absent: never said, as on every row written before, which counts as spent), not in a
# column of its own: a migration would raise the schema's version, and a worker of the previous
# version refuses a newer schema when it restarts, in the middle of a rolling upgrade.
REFUNDED = "(t.extra->>'credits_refunded')"
# A take claimed for a queued prompt before it ran: `true` in `extra`, absent otherwise (older
# packs never read it), surfaced as `Entry.started_when_queued`.
STARTED_WHEN_QUEUED = "started_when_queued"

LATEST = MIGRATIONS[-1][0]


async def migrate(conn: Any) -> int:
    """Bring the schema to `LATEST` (a no-op when it is there); returns the version found after.

    `conn` is a psycopg AsyncConnection in autocommit mode.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute("CREATE SCHEMA IF NOT EXISTS freesora")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS freesora.schema_version ("
            " version integer PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT coalesce(max(version), 0) FROM freesora.schema_version")
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > LATEST:
            raise ConfigError(
                f"The shared ledger's schema is version {current}, newer than this pack knows "
                f"({LATEST}): another worker runs a newer FreeSora nodes. Update the pack on "
                "this machine to the same version."
            )
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO freesora.schema_version (version, description) VALUES (%s, %s)",
                (version, description),
            )
    return max(current, LATEST)


async def account_secret(conn: Any) -> bytes:
    """The farm's secret for account ids, made by the first worker that needs it."""
    await conn.execute(
        "INSERT INTO freesora.settings (name, value) VALUES ('account_secret', %s)"
        " ON CONFLICT (name) DO NOTHING",
        (os.urandom(32),),
    )
    cursor = await conn.execute("SELECT value FROM freesora.settings WHERE name = 'account_secret'")
    row = await cursor.fetchone()
    return bytes(row[0])
