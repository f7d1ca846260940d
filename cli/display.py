"""A one-line progress display for terminals (stderr); plain lines when not a terminal."""

from __future__ import annotations

from typing import TextIO

from ..collect import status_text
from ..schemas import TaskStatus

BAR_WIDTH = 24


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
