"""`freesora` with a journal restored without its secret: nothing is sent until the user puts the
secret back or chooses `freesora tasks rekey`, knowing what it costs."""

from __future__ import annotations

from pathlib import Path

from cli_runner import Cli

CREATE = ("create", "--model", "sora-2-text-to-video", "--prompt", "A kite", "--seed", "4")


async def test_a_journal_without_its_secret_sends_nothing_until_restored_or_rekeyed(
    cli: Cli,
) -> None:
    made = await cli(*CREATE)
    assert made.code == 0, made.err
    journal = Path(cli.env["FREESORA_JOURNAL"])
    secret = journal.with_name(journal.name + ".secret")
    kept = secret.read_bytes()
    secret.unlink()  # restored from a backup that had only tasks.jsonl
    refused = await cli(*CREATE)
    assert refused.code == 1
    assert f"secret {secret} is missing" in refused.err
    assert f"freesora tasks rekey --journal {journal}`" in refused.err  # works as typed
    assert "freesora tasks rekey" in refused.err
    assert "Traceback" not in refused.err
    assert len(cli.sandbox.received.creates) == 1  # nothing sent, nothing paid again
    secret.write_bytes(kept)
    reused = await cli(*CREATE)
    assert reused.code == 0, reused.err
    assert reused.last_line == made.last_line
    assert len(cli.sandbox.received.creates) == 1
    secret.unlink()
    rekeyed = await cli("tasks", "rekey")
    assert rekeyed.code == 0, rekeyed.err
    assert "created again, and paid again" in rekeyed.out
    anew = await cli(*CREATE)
    assert anew.code == 0, anew.err
    assert len(cli.sandbox.received.creates) == 2  # the user chose it
    listed = await cli("tasks")
    assert made.last_line in listed.out  # the earlier task is still listed
