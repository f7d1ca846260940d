"""The task journal: every created task written down durably, so none is lost or paid twice.

An append-only JSON-lines file of events (created, outcome unknown, finished). Each line is
flushed and fsynced before the create step returns. It holds task ids, models, request
fingerprints, seeds, times and results: never the key, never image data.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..schemas.data_url import decode_data_url

ENV_JOURNAL = "FREESORA_JOURNAL"
FINISHED_OK = "succeeded"
NOT_REUSABLE = frozenset({"failed", "cancelled"})


def default_journal_path(env: Mapping[str, str] | None = None) -> Path:
    """A per-user data folder (ComfyUI passes its own user directory instead)."""
    env = os.environ if env is None else env
    if env.get(ENV_JOURNAL):
        return Path(env[ENV_JOURNAL]).expanduser()
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "freesora" / "tasks.jsonl"


def fingerprint(payload: Mapping[str, Any], base_url: str, slot: int = 0) -> str:
    """sha256 of the canonical request (image bytes hashed, not stored) and where it goes.

    `slot` is the position in a batch: two identical images in one batch are two takes.
    """
    canonical = dict(payload)
    data_url = canonical.get("imageData")
    if isinstance(data_url, str):
        raw = decode_data_url(data_url)[1]
        canonical["imageData"] = "sha256:" + hashlib.sha256(raw).hexdigest()
    text = json.dumps([base_url, slot, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class TaskRecord:
    """One task as the journal knows it (the fold of its events)."""

    task_id: str | None
    model: str
    fingerprint: str
    seed: int | None
    created_at: float
    status: str = "created"  # created | unknown | succeeded | failed | cancelled
    url: str | None = None
    file: str | None = None
    reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (FINISHED_OK, *NOT_REUSABLE)


class Journal:
    """Thread-safe appends to one journal file; reads fold the events into records."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())  # the task id must survive a crash right after

    def record_created(
        self, task_id: str, model: str, take_key: str, seed: int | None, **extra: Any
    ) -> None:
        self._append(
            {
                "event": "created",
                "task_id": task_id,
                "model": model,
                "fingerprint": take_key,
                "seed": seed,
                "time": time.time(),
                **extra,
            }
        )

    def record_unknown(
        self, model: str, take_key: str, seed: int | None, error: str, **extra: Any
    ) -> None:
        self._append(
            {
                "event": "unknown",
                "task_id": None,
                "model": model,
                "fingerprint": take_key,
                "seed": seed,
                "time": time.time(),
                "error": error,
                **extra,
            }
        )

    def record_finished(
        self,
        task_id: str,
        status: str,
        *,
        url: str | None = None,
        file: str | None = None,
        reason: str | None = None,
    ) -> None:
        self._append(
            {
                "event": "finished",
                "task_id": task_id,
                "status": status,
                "url": url,
                "file": file,
                "reason": reason,
                "time": time.time(),
            }
        )

    def records(self) -> list[TaskRecord]:
        """Every task, oldest first; unreadable lines (a torn write) are skipped."""
        return fold(_read_lines(self.path))

    def reusable(self, take_key: str, seed: int | None) -> TaskRecord | None:
        return find_reusable(self.records(), take_key, seed)


def find_reusable(records: list[TaskRecord], take_key: str, seed: int | None) -> TaskRecord | None:
    """The newest task for this exact request and seed, unless it failed or was cancelled.

    A record with status "unknown" is returned too: the caller must not create blindly.
    """
    for record in reversed(records):
        if record.fingerprint == take_key and record.seed == seed:
            return None if record.status in NOT_REUSABLE else record
    return None


def _read_lines(path: Path) -> Iterable[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "event" in event:
            events.append(event)
    return events


def fold(events: Iterable[dict[str, Any]]) -> list[TaskRecord]:
    """Records in creation order, each with its latest finished status."""
    records: list[TaskRecord] = []
    by_id: dict[str, TaskRecord] = {}
    for event in events:
        kind = event["event"]
        if kind in ("created", "unknown"):
            record = TaskRecord(
                task_id=event.get("task_id"),
                model=str(event.get("model", "")),
                fingerprint=str(event.get("fingerprint", "")),
                seed=event.get("seed"),
                created_at=float(event.get("time", 0)),
                status="created" if kind == "created" else "unknown",
                reason=event.get("error"),
            )
            records.append(record)
            if record.task_id:
                by_id[record.task_id] = record
        elif kind == "finished" and event.get("task_id") in by_id:
            record = by_id[event["task_id"]]
            record.status = str(event.get("status", record.status))
            record.url = event.get("url") or record.url
            record.file = event.get("file") or record.file
            record.reason = event.get("reason") or record.reason
    return records


def select(
    records: list[TaskRecord],
    *,
    limit: int | None = None,
    only_unfinished: bool = False,
    model: str | None = None,
) -> list[TaskRecord]:
    """Newest first, filtered: what the history node and `freesora tasks` show."""
    chosen = [
        r
        for r in reversed(records)
        if r.task_id
        and (not only_unfinished or not r.finished)
        and (model is None or r.model == model)
    ]
    return chosen if limit is None else chosen[:limit]


def format_record(record: TaskRecord) -> str:
    """One journal entry as a terminal line: when, id, model, status, file or reason."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    detail = record.file or record.reason or ""
    seed = "" if record.seed is None else f" seed={record.seed}"
    task = record.task_id or "-"
    line = f"{when}  {task:<34} {record.model:<30} {record.status:<10}{seed} {detail}"
    return line.rstrip()
