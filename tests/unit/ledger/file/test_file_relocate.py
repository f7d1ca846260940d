"""The ledger folder's move out of HTTP's reach: nothing lost, nothing doubled, crashes redone."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from old_journal import Journal

from freesora.ledger.file.relocate import KEPT_SUFFIX, relocate_folder

TESTS = Path(__file__).resolve().parents[3]  # where the helpers every suite shares are


def _old_ledger(root: Path, tasks: int = 3) -> Path:
    """user/freesora/ as older cores leave it: a journal of `tasks` tasks and a secret beside it."""
    old = root / "user" / "freesora"
    journal = Journal(old / "tasks.jsonl")
    for n in range(tasks):
        journal.record_created(f"task-{n}", "sora-2-text-to-video", f"fp-{n}", seed=n)
    journal.record_finished("task-0", "succeeded", file="/videos/task-0.mp4")
    (old / "secret.key").write_bytes(b"\x00secret bytes\xff")
    return old


def _ids(path: Path) -> list[str | None]:
    return [record.task_id for record in Journal(path).records()]


def test_every_file_moves_byte_for_byte_and_the_old_folder_is_gone(tmp_path: Path) -> None:
    old = _old_ledger(tmp_path)
    before = {path.name: path.read_bytes() for path in old.iterdir()}
    new = tmp_path / "user" / "__freesora"
    relocate_folder(old, new)
    assert not old.exists()
    after = {path.name: path.read_bytes() for path in new.iterdir() if path.name in before}
    assert after == before
    assert Journal(new / "tasks.jsonl").records()[0].status == "succeeded"


def test_nothing_to_move_creates_nothing(tmp_path: Path) -> None:
    relocate_folder(tmp_path / "absent", tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_when_both_places_hold_a_journal_they_are_merged_without_doubles(tmp_path: Path) -> None:
    old = _old_ledger(tmp_path)
    new = tmp_path / "user" / "__freesora"
    new.mkdir()
    (new / "tasks.jsonl").write_bytes((old / "tasks.jsonl").read_bytes().splitlines(True)[0])
    Journal(new / "tasks.jsonl").record_created("task-new", "sora-2", "fp-new", seed=9)
    relocate_folder(old, new)
    assert _ids(new / "tasks.jsonl") == ["task-0", "task-new", "task-1", "task-2"]
    assert not old.exists()


def test_a_torn_last_line_in_the_new_journal_does_not_swallow_merged_lines(tmp_path: Path) -> None:
    old = _old_ledger(tmp_path)
    new = tmp_path / "new"
    new.mkdir()
    (new / "tasks.jsonl").write_bytes(b'{"event":"created","task_id":"tor')
    relocate_folder(old, new)
    assert _ids(new / "tasks.jsonl") == ["task-0", "task-1", "task-2"]


def test_a_different_file_of_the_same_name_is_kept_beside_never_overwritten(
    tmp_path: Path,
) -> None:
    old = _old_ledger(tmp_path)
    new = tmp_path / "new"
    new.mkdir()
    (new / "secret.key").write_bytes(b"the new one")
    relocate_folder(old, new)
    assert (new / "secret.key").read_bytes() == b"the new one"
    assert (new / ("secret.key" + KEPT_SUFFIX)).read_bytes() == b"\x00secret bytes\xff"
    assert not old.exists()


def _run_child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# Each kill point patches one step of the move to SIGKILL the process at that moment.
KILL_POINTS = {
    "after the copy is fsynced, before it is linked into place": "relocate.os.link = die",
    "after the journal is in place, before the old one is removed": (
        "import pathlib\n"
        "unlink = pathlib.Path.unlink\n"
        "pathlib.Path.unlink = lambda p, *a, **k: die() if p.parent == OLD else unlink(p, *a, **k)"
    ),
    "after merging into an existing journal, before the merge is fsynced": (
        "import fcntl\n"
        "fsync = os.fsync\n"
        "appending = lambda fd: fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND\n"
        "relocate.os.fsync = lambda fd: die() if appending(fd) else fsync(fd)"
    ),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("moment", sorted(KILL_POINTS))
def test_a_move_killed_at_any_moment_is_finished_by_the_next_start_losing_nothing(
    tmp_path: Path, moment: str
) -> None:
    old = _old_ledger(tmp_path)
    new = tmp_path / "new"
    if "existing" in moment:
        new.mkdir()
        Journal(new / "tasks.jsonl").record_created("task-new", "sora-2", "fp-new", seed=9)
    expected = sorted(_ids(old / "tasks.jsonl") + _ids(new / "tasks.jsonl"), key=str)
    child = _run_child(
        "import os, signal\n"
        "from pathlib import Path\n"
        "from freesora.ledger.file import relocate\n"
        f"OLD = Path({str(old)!r})\n"
        "def die(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"{KILL_POINTS[moment]}\n"
        f"relocate.relocate_folder(OLD, Path({str(new)!r}))\n"
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert old.exists(), "the old ledger was removed before its copy was safe"
    relocate_folder(old, new)
    assert sorted(_ids(new / "tasks.jsonl"), key=str) == expected
    assert not old.exists()
    assert not list(new.glob(".*.tmp")), "a half-made copy was left behind"


@pytest.mark.parametrize("new_journal", [False, True], ids=["move", "merge"])
def test_processes_starting_at_once_move_it_once_and_keep_every_event(
    tmp_path: Path, new_journal: bool
) -> None:
    old = _old_ledger(tmp_path, tasks=50)
    new = tmp_path / "new"
    if new_journal:
        Journal(new / "tasks.jsonl").record_created("task-new", "sora-2", "fp-new", seed=9)
    gate = tmp_path / "go"
    code = f"""
        import sys, time
        from pathlib import Path
        from old_journal import Journal  # `-c` finds it in the working folder, tests/
        from freesora.ledger.file.relocate import relocate_folder
        while not Path({str(gate)!r}).exists():  # every process imported: now all at once
            time.sleep(0.002)
        relocate_folder(Path({str(old)!r}), Path({str(new)!r}))
        Journal(Path({str(new)!r}) / "tasks.jsonl").record_created(
            "started-" + sys.argv[1], "sora-2", "fp", seed=None)
        """
    children = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(n)], cwd=TESTS)
        for n in range(6)
    ]
    gate.touch()
    assert [child.wait(60) for child in children] == [0] * 6
    ids = _ids(new / "tasks.jsonl")
    if new_journal:
        assert ids.pop(0) == "task-new"
    assert ids[:50] == [f"task-{n}" for n in range(50)]
    assert sorted(ids[50:], key=str) == [f"started-{n}" for n in range(6)]
    assert not old.exists()
