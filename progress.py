"""A one-line progress display for terminals (stderr); plain lines when not a terminal."""

from __future__ import annotations

import time
from typing import TextIO

from .journal import TaskRecord
from .schemas import TaskStatus

BAR_WIDTH = 24


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def status_text(status: TaskStatus, elapsed_s: float) -> str:
    """`running 45% 01:23`: the words shown on a node or a terminal line."""
    progress = "" if status.progress is None else f" {status.progress:.0f}%"
    state = status.raw_status or status.state.value
    return f"{state}{progress} {format_elapsed(elapsed_s)}"


def format_record(record: TaskRecord) -> str:
    """One journal entry as a terminal line: when, id, model, status, file or reason."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    detail = record.file or record.reason or ""
    seed = "" if record.seed is None else f" seed={record.seed}"
    task = record.task_id or "-"
    line = f"{when}  {task:<34} {record.model:<30} {record.status:<10}{seed} {detail}"
    return line.rstrip()


class ProgressLine:
    """Redraws one line on a terminal; elsewhere prints a line only when the state changes."""

    def __init__(self, stream: TextIO, task_id: str) -> None:
        self.stream = stream
        self.task_id = task_id
        self.tty = stream.isatty()
        self.last_state: str | None = None

    def update(self, status: TaskStatus, elapsed_s: float) -> None:
        text = status_text(status, elapsed_s)
        if self.tty:
            filled = round(BAR_WIDTH * (status.progress or 0) / 100)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.task_id} [{bar}] {text}   ")
        elif status.state.value != self.last_state:
            self.stream.write(f"{self.task_id}: {text}\n")
        self.last_state = status.state.value
        self.stream.flush()

    def finish(self, message: str) -> None:
        self.stream.write(("\n" if self.tty else "") + f"{self.task_id}: {message}\n")
        self.stream.flush()
