"""Every rule for what older packs wrote, so the contract and the stores' own formats carry none.

A store reads its records and rows through these rules; nothing here writes an old format.

- **Expired links**: a task whose video's download was refused (HTTP 403, 404 or 410) after the
  service said it succeeded was written off as failed with one of `EXPIRED_LINK_REASONS`. The
  video exists, and a fresh link is asked for instead, so such a take reads as created with the
  reason `COLLECTED_AGAIN` (users read it in their journal: the text stays as it is). Only those
  exact reasons count: a failure the service reported stays failed.
"""

from __future__ import annotations

from .contract import TakeState

EXPIRED_LINK_REASONS = tuple(f"its video expired (HTTP {status})" for status in (403, 404, 410))
COLLECTED_AGAIN = (
    "the service made it; an earlier version wrote it off when its link expired: collected again"
)


def written_off_by_expired_link(state: TakeState, reason: str | None) -> bool:
    """A take written off when its link expired though its task succeeded: it is collectable."""
    return state is TakeState.FAILED and reason in EXPIRED_LINK_REASONS
