"""Task History's choice of tasks, read from a journal a page at a time."""

from __future__ import annotations

from pathlib import Path

from freesora.ledger import FileLedger, TakeState, newest_collectable
from freesora.ledger.file.records import encode
from freesora.ledger.listing import FIRST_PAGE


def write_takes(path: Path, states: list[tuple[str, str | None]]) -> None:
    """One take per (ending, file), oldest first: ending None leaves it created."""
    lines = []
    for n, (ending, file) in enumerate(states):
        take, task, t = f"{n:064x}", f"task{n}", 1_000.0 + n
        lines.append({"event": "sending", "take": take, "model": "m", "seed": n, "time": t})
        lines.append({"event": "created", "take": take, "task_id": task, "time": t})
        if ending is not None:
            done = {"event": "finished", "task_id": task, "status": ending, "time": t}
            lines.append({**done, "file": file} if file else done)
    path.write_bytes(b"".join(encode(line) for line in lines))


async def test_unfinished_tasks_past_many_pages_of_collected_ones_are_found(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "saved.mp4"
    saved.write_bytes(b"video")
    older = [(None, None)] * 5 + [("succeeded", str(tmp_path / "gone.mp4"))] * 2
    collected = [("succeeded", str(saved))] * (FIRST_PAGE * 3 + 17)  # several pages' worth
    write_takes(tmp_path / "tasks.jsonl", older + [("failed", None)] * 3 + collected)
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    chosen = await newest_collectable(ledger, None, True, 4)
    # Newest first: the two whose file is gone, then the newest uncollected ones.
    assert [e.task_id for e in chosen] == ["task6", "task5", "task4", "task3"]
    assert [e.state for e in chosen[:2]] == [TakeState.SUCCEEDED] * 2
    every = await newest_collectable(ledger, None, True, 500)
    assert len(every) == 7  # every page read, nothing else found
    newest = await newest_collectable(ledger, None, False, 3)
    assert [e.task_id for e in newest] == [
        f"task{len(older) + 3 + len(collected) - k}" for k in (1, 2, 3)
    ]
    assert await newest_collectable(ledger, "another-model", True, 3) == []


def test_an_inbox_row_shows_the_summary_cut_after_a_whole_word() -> None:
    from freesora.ledger import excerpt
    from freesora.ledger.listing import PROMPT_EXCERPT_CHARS

    summary = "A paper boat drifts down a rain-soaked street | sora-2-pro-text-to-video, 10 s"
    assert excerpt(summary, PROMPT_EXCERPT_CHARS) == summary  # a whole summary fits
    long = "word " * 50
    cut = excerpt(long, 30)
    assert cut == "word word word word word word…"
    assert len(cut) <= 30
    assert excerpt("x" * 40, 10) == "x" * 9 + "…"


async def test_a_take_started_when_queued_says_so_in_the_tab_task_history_and_the_command(
    tmp_path: Path,
) -> None:
    from freesora.config import Caller
    from freesora.ledger import format_entry, task_page

    path = tmp_path / "tasks.jsonl"
    write_takes(path, [(None, None), (None, None)])
    early = {"event": "sending", "take": f"{2:064x}", "model": "m", "seed": 2, "time": 1_002.0}
    made = {"event": "created", "take": f"{2:064x}", "task_id": "task2", "time": 1_002.0}
    with path.open("ab") as journal:
        journal.write(encode({**early, "started_when_queued": True}) + encode(made))
    ledger = FileLedger(path)
    page = await task_page(ledger, Caller(here=True))
    marks = {row["task_id"]: row["started_when_queued"] for row in page["tasks"]}
    assert marks == {"task0": False, "task1": False, "task2": True}
    lines = {e.task_id: format_entry(e) for e in await ledger.entries()}
    assert "(started when queued)" in str(lines["task2"])
    assert "started when queued" not in str(lines["task1"])
