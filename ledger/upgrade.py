"""Every rule for what older packs wrote, so the contract and the stores' own formats carry none.

A store reads its records and rows through these rules; nothing here writes an old format.

- **Expired links**: a task whose video's download was refused (HTTP 403, 404 or 410) after the
  service said it succeeded was written off as failed with one of `EXPIRED_LINK_REASONS`. The
  video exists, and a fresh link is asked for instead, so such a take reads as created with the
  reason `COLLECTED_AGAIN` (users read it in their journal: the text stays as it is). Only those
  exact reasons count: a failure the service reported stays failed.
- **The first journal format** knew no account: a take was found by a fingerprint of the base
  URL as given, the batch slot and the canonical request (`first_format_fingerprint`), its
  records keyed `LEGACY` + task id. A take of the same request and seed made now takes over its
  task or unknown outcome (a `carried` record, its reason ending with `CARRIED_REASON`), so an
  upgrade never pays again or resends blindly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .contract import TakeState

EXPIRED_LINK_REASONS = tuple(f"its video expired (HTTP {status})" for status in (403, 404, 410))
LEGACY = "legacy:"  # take keys of the first format's records (which knew no account)
CARRIED_REASON = "recorded by an earlier version of the pack (before the journal kept accounts)"
COLLECTED_AGAIN = (
    "the service made it; an earlier version wrote it off when its link expired: collected again"
)


def written_off_by_expired_link(state: TakeState, reason: str | None) -> bool:
    """A take written off when its link expired though its task succeeded: it is collectable."""
    return state is TakeState.FAILED and reason in EXPIRED_LINK_REASONS


def first_format_fingerprint(canonical: dict[str, Any], base_url: str, slot: int) -> str:
    """The first journal format's fingerprint of a canonical request (`fingerprint`), so the
    tasks an earlier version recorded are found again."""
    text = json.dumps([base_url, slot, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
