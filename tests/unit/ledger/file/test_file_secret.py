"""A journal and its secret belong together: a journal that holds takes never silently gets a
new secret (every account id would change, and every earlier take would be paid again)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from freesora.errors import LedgerError
from freesora.ledger import Charge, FileLedger, Take, TakeState
from freesora.ledger.file import index_cache
from freesora.ledger.file.secret import secret_path

MODEL = "sora-2-text-to-video"
KEY = "sk-sandbox-secret-test"


async def paid_take(ledger: FileLedger, task_id: str = "task-1") -> Take:
    take = Take(await ledger.account("default", KEY), "r" * 64, seed=1)
    decision = await ledger.claim(take, model=MODEL)
    assert decision.claim is not None
    await decision.claim.created(task_id)
    return take


def copy_journal(source: Path, folder: Path, *, with_secret: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    shutil.copyfile(source, copy)
    if with_secret:
        shutil.copyfile(secret_path(source), secret_path(copy))
    return copy


async def test_a_journal_copied_without_its_secret_refuses_instead_of_paying_again(
    tmp_path: Path,
) -> None:
    original = FileLedger(tmp_path / "a" / "tasks.jsonl")
    await paid_take(original)
    copy = FileLedger(copy_journal(original.path, tmp_path / "b", with_secret=False))
    with pytest.raises(LedgerError) as raised:
        await copy.account("default", KEY)
    message = str(raised.value)
    assert str(secret_path(copy.path)) in message
    assert "paid again" in message
    assert "freesora tasks rekey" in message
    assert not secret_path(copy.path).exists(), "no new secret may be made silently"
    assert [e.task_id for e in await copy.entries()] == ["task-1"]  # still listed, collectable


async def test_a_journal_copied_with_its_secret_keeps_reusing_its_tasks(tmp_path: Path) -> None:
    original = FileLedger(tmp_path / "a" / "tasks.jsonl")
    take = await paid_take(original)
    copy = FileLedger(copy_journal(original.path, tmp_path / "b", with_secret=True))
    assert await copy.account("default", KEY) == take.account
    decision = await copy.claim(take, model=MODEL)
    assert decision.claim is None
    assert decision.earlier is not None
    assert decision.earlier.task_id == "task-1"


async def test_a_copy_over_a_journal_with_another_secret_is_refused(tmp_path: Path) -> None:
    original = FileLedger(tmp_path / "a" / "tasks.jsonl")
    await paid_take(original)
    other = FileLedger(tmp_path / "b" / "tasks.jsonl")
    await paid_take(other, "task-of-b")  # b's own secret is made and kept beside it
    shutil.copyfile(original.path, other.path)  # a's journal over b's, b's secret left
    with pytest.raises(LedgerError, match="not the secret of the task journal"):
        await FileLedger(other.path).account("default", KEY)


async def test_rekey_goes_on_with_a_new_secret_only_when_asked_and_loses_no_task(
    tmp_path: Path,
) -> None:
    original = FileLedger(tmp_path / "a" / "tasks.jsonl")
    take = await paid_take(original)
    copy = FileLedger(copy_journal(original.path, tmp_path / "b", with_secret=False))
    said = await copy.rekey()
    assert "created again" in said
    account = await copy.account("default", KEY)
    assert account != take.account  # the earlier takes' ids are not this secret's
    again = await FileLedger(copy.path).account("default", KEY)
    assert again == account  # from now on the new secret is this journal's
    listed = await FileLedger(copy.path).entries()
    assert [(e.task_id, e.state) for e in listed] == [("task-1", TakeState.CREATED)]


async def test_after_rekey_the_daily_budget_starts_empty_and_the_message_says_so(
    tmp_path: Path,
) -> None:
    original = FileLedger(tmp_path / "a" / "tasks.jsonl")
    take = Take(await original.account("default", KEY), "r" * 64, seed=1)
    decision = await original.claim(take, model=MODEL, charge=Charge(30, 30))
    assert decision.claim is not None
    await decision.claim.created("task-1")
    assert (await original.spent(take.account)).credits == 30
    copy = FileLedger(copy_journal(original.path, tmp_path / "b", with_secret=False))
    said = await copy.rekey()
    assert "daily budget's last 24 hours start empty" in said
    account = await copy.account("default", KEY)
    # The charges are kept under the old account id, which this secret no longer makes.
    assert (await copy.spent(account)).credits == 0
    fits = await copy.claim(Take(account, "s" * 64, seed=2), model=MODEL, charge=Charge(30, 30))
    assert fits.claim is not None
    await fits.claim.release()


async def test_the_secrets_mark_survives_compaction_and_the_index_cache(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "a" / "tasks.jsonl")
    await paid_take(ledger)
    assert await ledger.compact() == 1  # takes kept (the mark is not one)
    events = [json.loads(line)["event"] for line in ledger.path.read_text().splitlines()]
    assert events == ["keyed", "entry"]
    info = ledger.path.stat()
    identity = (info.st_dev, info.st_ino)
    index_cache.save(ledger.path, identity, info.st_size, 2, ledger.file.catch_up())
    cached = index_cache.load(ledger.path, identity, info.st_size)
    assert cached is not None
    assert cached[0].secret_checks == ledger.file.catch_up().secret_checks != set()
    copy = FileLedger(copy_journal(ledger.path, tmp_path / "b", with_secret=False))
    with pytest.raises(LedgerError, match="is missing"):
        await copy.account("default", KEY)


async def test_an_older_journal_with_its_secret_is_marked_on_first_use(tmp_path: Path) -> None:
    ledger = FileLedger(tmp_path / "tasks.jsonl")
    take = await paid_take(ledger)
    lines = [line for line in ledger.path.read_text().splitlines() if '"keyed"' not in line]
    ledger.path.write_text("\n".join(lines) + "\n")  # as an earlier version wrote it
    reopened = FileLedger(ledger.path)
    assert await reopened.account("default", KEY) == take.account
    assert '"keyed"' in ledger.path.read_text()


async def test_a_new_journal_makes_its_secret_and_another_process_agrees(tmp_path: Path) -> None:
    one, two = FileLedger(tmp_path / "tasks.jsonl"), FileLedger(tmp_path / "tasks.jsonl")
    assert await one.account("default", KEY) == await two.account("default", KEY)
    assert secret_path(one.path).exists()
