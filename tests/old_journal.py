"""The first journal format (events created/unknown/finished), written as the pack once wrote it.

Test-only: the file store still reads this format (users' existing journals), finds its tasks
again by their fingerprints, and the ledger folder's move must carry it byte for byte. Appends
one fsynced JSON line per event; `fingerprint` is the first release's (journal.py), verbatim.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def fingerprint(payload: Mapping[str, Any], base_url: str, slot: int = 0) -> str:
    """sha256 of the canonical request (image bytes hashed, not stored) and where it goes."""
    canonical = dict(payload)
    data_url = canonical.get("imageData")
    if isinstance(data_url, str):
        raw = base64.b64decode(data_url.partition(",")[2] + "==")
        canonical["imageData"] = "sha256:" + hashlib.sha256(raw).hexdigest()
    text = json.dumps([base_url, slot, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class OldRecord:
    task_id: str | None
    status: str


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**event, "time": time.time()}, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def record_created(self, task_id: str, model: str, fingerprint: str, seed: int | None) -> None:
        self._append(
            {"event": "created", "task_id": task_id, "model": model,
             "fingerprint": fingerprint, "seed": seed}
        )  # fmt: skip

    def record_unknown(self, model: str, fingerprint: str, seed: int | None, error: str) -> None:
        self._append(
            {"event": "unknown", "task_id": None, "model": model,
             "fingerprint": fingerprint, "seed": seed, "error": error}
        )  # fmt: skip

    def record_finished(self, task_id: str, status: str, *, file: str | None = None) -> None:
        self._append({"event": "finished", "task_id": task_id, "status": status, "file": file})

    def records(self) -> list[OldRecord]:
        """Created tasks in order, each with its latest finished status (torn lines skipped)."""
        records: dict[str | None, OldRecord] = {}
        order: list[OldRecord] = []
        if not self.path.exists():
            return []
        for raw in self.path.read_bytes().splitlines():
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if event.get("event") == "created":
                order.append(
                    records.setdefault(event["task_id"], OldRecord(event["task_id"], "created"))
                )
            elif event.get("event") == "finished" and event.get("task_id") in records:
                records[event["task_id"]].status = event["status"]
        return order
