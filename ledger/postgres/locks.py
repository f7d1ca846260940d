"""Who holds a take in the PostgreSQL store: a session advisory lock per take, keyed by
`advisory_key`, held by the claim's own connection until it is settled.

`ORPHAN` reads that back in SQL: a SENDING row whose session no longer holds its take's lock
belongs to a claimant that is gone (its worker died, or its database session ended).
"""

from __future__ import annotations

import hashlib

# A claim is alive while its session holds the take's advisory lock; pg_locks shows every
# session's locks to every role (pg_stat_activity hides other roles' details).
ORPHAN = (
    "(t.state = 'sending' AND NOT EXISTS (SELECT 1 FROM pg_locks l"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.pid = t.holder_pid AND l.objsubid = 1"
    " AND l.classid::bigint = ((t.lock_key >> 32) & 4294967295)"
    " AND l.objid::bigint = (t.lock_key & 4294967295)))"
)


def advisory_key(text: str) -> int:
    """A signed 64-bit advisory-lock key for a take (or an account)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True)
