"""The contract every ledger store keeps (`freesora.ledger.contract.Ledger`), as a reusable suite.

A store's test module subclasses `LedgerContract` and defines a `make_ledger` fixture: a
zero-argument async function that opens the store under test, each call a new handle on the
same data (what a restarted process would open). Example (tests/unit/test_ledger_contract.py):

    class TestFileLedger(LedgerContract):
        @pytest.fixture
        def make_ledger(self, tmp_path):
            async def make():
                return FileLedger(tmp_path / "tasks.jsonl")
            return make
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest

from freesora.errors import AdoptRefusedError, InvalidRequestError
from freesora.ledger import PASTED, Ledger, Take, TakeState, kept_request

MakeLedger = Callable[[], Awaitable[Ledger]]
MODEL = "sora-2-text-to-video"
KEY = "sk-contract-test-key-0123456789"


def take(seed: int | None = 1, slot: int = 0, request: str = "r" * 64, account: str = "a") -> Take:
    return Take(account=account, request=request, seed=seed, slot=slot)


async def create(ledger: Ledger, one: Take, task_id: str) -> None:
    decision = await ledger.claim(one, model=MODEL, summary="a paper boat")
    assert decision.claim is not None, decision.earlier
    await decision.claim.created(task_id)


async def lose(ledger: Ledger, one: Take) -> None:
    """`one` sent and its answer lost: its outcome is unknown."""
    decision = await ledger.claim(one, model=MODEL, summary="a paper boat")
    assert decision.claim is not None, decision.earlier
    await decision.claim.unknown("timed out")


# The takes `known_outcomes` records: slot 0 created (task "t1"), slot 1 refused.
KNOWN = ((0, TakeState.CREATED), (1, TakeState.REFUSED))


async def known_outcomes(make_ledger: MakeLedger) -> Ledger:
    """A ledger whose two takes' outcomes are known (`KNOWN`): neither waits for a person."""
    ledger = await make_ledger()
    await create(ledger, take(slot=0), "t1")
    refused = await ledger.claim(take(slot=1), model=MODEL)
    assert refused.claim is not None
    await refused.claim.refused("invalid prompt")
    return ledger


class LedgerContract:
    async def test_a_new_take_is_claimed_and_recorded_as_sending_before_the_create(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        decision = await ledger.claim(take(), model=MODEL, summary="a paper boat")
        assert decision.claim is not None
        assert decision.earlier is None
        other = await make_ledger()  # durable before the create: another handle sees it
        entry = await other.lookup(take())
        assert entry is not None
        assert entry.state in (TakeState.SENDING, TakeState.UNKNOWN)
        assert (entry.model, entry.seed, entry.slot, entry.summary) == (MODEL, 1, 0, "a paper boat")
        await decision.claim.created("t1")

    async def test_a_created_take_is_reused_never_claimed_again_even_after_a_restart(
        self, make_ledger: MakeLedger
    ) -> None:
        await create(await make_ledger(), take(), "t1")
        for ledger in (await make_ledger(), await make_ledger()):
            decision = await ledger.claim(take(), model=MODEL)
            assert decision.claim is None
            assert decision.earlier is not None
            assert decision.earlier.task_id == "t1"
            assert decision.earlier.state is TakeState.CREATED

    async def test_seed_slot_request_and_account_each_make_another_take(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t1")
        others = [take(seed=2), take(slot=1), take(request="s" * 64), take(account="b")]
        for index, other in enumerate(others):
            await create(ledger, other, f"t{index + 2}")
        assert len({e.task_id for e in await ledger.entries()}) == 5

    async def test_a_second_claim_of_a_held_take_waits_then_reuses_its_task(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        first = await ledger.claim(take(), model=MODEL)
        assert first.claim is not None
        second = asyncio.create_task(ledger.claim(take(), model=MODEL))
        await asyncio.sleep(0.05)
        assert not second.done(), "the second claim must wait for the first to settle"
        await first.claim.created("t1")
        decision = await asyncio.wait_for(second, 5)
        assert decision.claim is None
        assert decision.earlier is not None
        assert decision.earlier.task_id == "t1"

    async def test_an_unknown_outcome_blocks_only_its_own_take(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        decision = await ledger.claim(take(slot=0), model=MODEL)
        assert decision.claim is not None
        await decision.claim.unknown("connection reset after sending")
        blocked = await ledger.claim(take(slot=0), model=MODEL)
        assert blocked.claim is None
        assert blocked.earlier is not None
        assert blocked.earlier.state is TakeState.UNKNOWN
        assert blocked.earlier.reason == "connection reset after sending"
        await create(ledger, take(slot=1), "t2")  # the next slot is not blocked

    async def test_forget_releases_an_unknown_take_and_adopt_resolves_it(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        for slot in (0, 1):
            decision = await ledger.claim(take(slot=slot), model=MODEL)
            assert decision.claim is not None
            await decision.claim.unknown("timed out")
        forgotten = await ledger.forget(take(slot=0).key)
        assert forgotten.state is TakeState.FORGOTTEN
        again = await ledger.claim(take(slot=0), model=MODEL)
        assert again.claim is not None
        assert again.earlier is not None
        assert again.earlier.state is TakeState.FORGOTTEN
        await again.claim.created("t-new")
        adopted = await ledger.adopt(take(slot=1).key, "t-found")
        assert (adopted.state, adopted.task_id) == (TakeState.CREATED, "t-found")
        reused = await (await make_ledger()).claim(take(slot=1), model=MODEL)
        assert reused.earlier is not None
        assert reused.earlier.task_id == "t-found"

    async def test_adopt_and_forget_refuse_a_take_that_does_not_exist(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        with pytest.raises(InvalidRequestError, match="not a take"):
            await ledger.forget("f" * 64)
        with pytest.raises(InvalidRequestError, match="not a take"):
            await ledger.adopt("f" * 64, "t1")
        with pytest.raises(InvalidRequestError, match="not a take"):
            await ledger.named_take("f" * 64)

    async def test_a_take_is_named_by_its_first_characters_and_a_pasted_id_by_its_task_id(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await lose(ledger, take())
        await ledger.remember("pasted-task-1", model=MODEL)
        reader = await make_ledger()
        named = await reader.named_take(take().key[:12])
        assert (named.take_key, named.state) == (take().key, TakeState.UNKNOWN)
        pasted = await reader.named_take("pasted-task")  # as `freesora tasks` shows it
        assert (pasted.task_id, pasted.state) == ("pasted-task-1", TakeState.CREATED)

    async def test_adopt_takes_only_an_unknown_take_and_changes_nothing_else(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await known_outcomes(make_ledger)
        for slot, state in KNOWN:
            with pytest.raises(AdoptRefusedError, match=f"is {state.value}, not unknown") as no:
                await ledger.adopt(take(slot=slot).key, "t-other")
            assert no.value.reason == "not_unknown"
        for reader in (ledger, await make_ledger()):
            assert await reader.find_task("t-other") is None
            [made] = [e for e in await reader.entries() if e.task_id is not None]
            assert (made.task_id, made.state) == ("t1", TakeState.CREATED)

    async def test_forget_releases_only_an_unknown_take_and_a_created_one_is_never_sent_again(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await known_outcomes(make_ledger)
        for slot, state in KNOWN:
            with pytest.raises(InvalidRequestError, match=f"is {state.value}, not waiting"):
                await ledger.forget(take(slot=slot).key)
        for reader in (ledger, await make_ledger()):
            [made] = [e for e in await reader.entries() if e.slot == 0]
            assert (made.state, made.task_id) == (TakeState.CREATED, "t1")
        reused = await ledger.claim(take(slot=0), model=MODEL)
        assert reused.claim is None  # the created task is collected, never created again
        assert reused.earlier is not None
        assert reused.earlier.task_id == "t1"

    async def test_forgetting_a_pasted_id_drops_it_and_pasting_it_again_lists_it_again(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await ledger.remember("pasted-task-1", model=MODEL, summary="pasted into Video Result")
        await create(ledger, take(), "t1")
        dropped = await ledger.forget("pasted-task")  # the task id's start, as listed
        assert (dropped.take_key, dropped.task_id) == (PASTED + "pasted-task-1", "pasted-task-1")
        assert dropped.state is TakeState.FORGOTTEN
        for reader in (ledger, await make_ledger()):
            assert [e.task_id for e in await reader.entries()] == ["t1"]
            assert await reader.count() == 1
            assert await reader.find_task("pasted-task-1") is None
        with pytest.raises(InvalidRequestError, match="not a take"):
            await ledger.forget("pasted-task")
        again = await ledger.remember("pasted-task-1", model=MODEL)
        assert again.state is TakeState.CREATED
        for reader in (ledger, await make_ledger()):
            assert sorted(e.task_id or "" for e in await reader.entries()) == [
                "pasted-task-1",
                "t1",
            ]

    @pytest.mark.parametrize("ending", [TakeState.FAILED, TakeState.CANCELLED])
    async def test_a_failed_task_is_never_reused_and_its_id_stays_listed(
        self, make_ledger: MakeLedger, ending: TakeState
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t1")
        await ledger.record_outcome("t1", ending, reason="generation failed (code 501)")
        decision = await ledger.claim(take(), model=MODEL)
        assert decision.claim is not None
        assert decision.earlier is not None
        assert decision.earlier.state is ending
        assert decision.earlier.reason == "generation failed (code 501)"
        await decision.claim.created("t2")
        listed = {e.task_id: e.state for e in await (await make_ledger()).entries()}
        assert listed == {"t1": ending, "t2": TakeState.CREATED}

    async def test_a_refused_or_released_take_may_be_claimed_again(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        decision = await ledger.claim(take(), model=MODEL)
        assert decision.claim is not None
        await decision.claim.refused("402 insufficient credits")
        again = await ledger.claim(take(), model=MODEL)
        assert again.claim is not None
        assert again.earlier is not None
        assert again.earlier.state is TakeState.REFUSED
        await again.claim.release()
        third = await ledger.claim(take(), model=MODEL)
        assert third.claim is not None
        await third.claim.created("t1")

    async def test_outcomes_files_and_urls_are_recorded_per_task(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t1")
        await ledger.record_outcome(
            "t1", TakeState.SUCCEEDED, url="https://x/t1.mp4", file="/out/t1.mp4"
        )
        found = await (await make_ledger()).find_task("t1")
        assert found is not None
        assert (found.state, found.url, found.file) == (
            TakeState.SUCCEEDED,
            "https://x/t1.mp4",
            "/out/t1.mp4",
        )
        assert await ledger.find_task("nope") is None

    async def test_entries_are_newest_first_and_filtered(self, make_ledger: MakeLedger) -> None:
        ledger = await make_ledger()
        for seed in range(5):
            await create(ledger, take(seed=seed), f"t{seed}")
            await asyncio.sleep(0.002)  # distinct creation times
        await ledger.record_outcome("t3", TakeState.SUCCEEDED, file="/out/t3.mp4")
        assert [e.task_id for e in await ledger.entries()] == ["t4", "t3", "t2", "t1", "t0"]
        assert [e.task_id for e in await ledger.entries(limit=2, offset=1)] == ["t3", "t2"]
        unfinished = await ledger.entries(only_unfinished=True)
        assert "t3" not in {e.task_id for e in unfinished}
        assert await ledger.entries(model="sora-2-pro-storyboard") == []
        assert await ledger.count() == 5  # what a paged list shows as its total
        assert await ledger.count(only_unfinished=True) == len(unfinished) == 4
        assert await ledger.count(model="sora-2-pro-storyboard") == 0

    async def test_a_pasted_task_id_is_remembered_once(self, make_ledger: MakeLedger) -> None:
        ledger = await make_ledger()
        first = await ledger.remember("pasted1", summary="from another machine")
        again = await (await make_ledger()).remember("pasted1")
        assert first.task_id == again.task_id == "pasted1"
        assert [e.task_id for e in await ledger.entries()] == ["pasted1"]
        await create(ledger, take(), "t1")
        assert (await ledger.remember("t1")).take_key == take().key

    async def test_a_pasted_id_then_adopted_by_its_take_is_one_task_and_never_paid_again(
        self, make_ledger: MakeLedger
    ) -> None:
        # A take whose create's answer was lost; its id is pasted into Video Result, which
        # collects the video; then `freesora tasks adopt` names the take's task.
        ledger = await make_ledger()
        await lose(ledger, take())
        await ledger.remember("t-pasted", model=MODEL, summary="pasted into Video Result")
        await ledger.record_outcome("t-pasted", TakeState.SUCCEEDED, file="/out/t-pasted.mp4")
        adopted = await ledger.adopt(take().key, "t-pasted")
        assert (adopted.take_key, adopted.task_id) == (take().key, "t-pasted")
        for reader in (ledger, await make_ledger()):
            listed = [(e.take_key, e.task_id) for e in await reader.entries()]
            assert listed == [(take().key, "t-pasted")]  # one task, the take's
            found = await reader.find_task("t-pasted")
            assert found is not None
            assert (found.take_key, found.state, found.file) == (
                take().key,
                TakeState.SUCCEEDED,  # what was learnt of the task since the paste is kept
                "/out/t-pasted.mp4",
            )
            reused = await reader.claim(take(), model=MODEL)
            assert reused.claim is None  # nothing is paid again
            assert reused.earlier is not None
            assert reused.earlier.task_id == "t-pasted"
        assert (await ledger.remember("t-pasted")).take_key == take().key

    async def test_a_create_answered_with_an_id_already_pasted_records_one_task(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        await ledger.remember("t-seen", model=MODEL)
        await create(ledger, take(), "t-seen")
        for reader in (ledger, await make_ledger()):
            assert [(e.take_key, e.task_id) for e in await reader.entries()] == [
                (take().key, "t-seen")
            ]
            reused = await reader.claim(take(), model=MODEL)
            assert reused.earlier is not None
            assert (reused.claim, reused.earlier.task_id) == (None, "t-seen")

    async def test_compaction_keeps_every_task_id_and_state(self, make_ledger: MakeLedger) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t1")
        await ledger.record_outcome("t1", TakeState.FAILED, reason="moderation")
        await create(ledger, take(), "t2")
        await create(ledger, take(seed=2), "t3")
        await ledger.record_outcome("t3", TakeState.SUCCEEDED, file="/out/t3.mp4")
        blocked = await ledger.claim(take(seed=3), model=MODEL)
        assert blocked.claim is not None
        await blocked.claim.unknown("timed out")
        before = {(e.task_id, e.state, e.file) for e in await ledger.entries()}
        assert await ledger.compact() >= 4
        for reader in (ledger, await make_ledger()):
            assert {(e.task_id, e.state, e.file) for e in await reader.entries()} == before
        still = await ledger.claim(take(seed=3), model=MODEL)
        assert still.claim is None

    async def test_a_take_started_when_queued_is_marked_after_a_restart_and_a_compaction(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        early = dataclasses.replace(take(seed=7), started_when_queued=True)
        assert early.key == take(seed=7).key  # the mark is no part of what the take is
        await create(ledger, early, "t-early")
        await create(ledger, take(seed=8), "t-later")
        for reader in (await make_ledger(), ledger):
            marks = {e.task_id: e.started_when_queued for e in await reader.entries()}
            assert marks == {"t-early": True, "t-later": False}
        await ledger.compact()
        marks = {e.task_id: e.started_when_queued for e in await (await make_ledger()).entries()}
        assert marks == {"t-early": True, "t-later": False}
        # The prompt's node claims the same take when it runs: it reuses the early task.
        decision = await (await make_ledger()).claim(take(seed=7), model=MODEL)
        assert decision.claim is None
        assert decision.earlier is not None
        assert (decision.earlier.task_id, decision.earlier.started_when_queued) == (
            "t-early",
            True,
        )

    async def test_an_unknown_take_keeps_its_request_after_a_restart_and_a_compaction(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        shots = [(5, "A gull lands on a post"), (10, "It flies off " * 200)]
        asked = kept_request(
            prompt=None, shots=shots, seconds=15, aspect_ratio="portrait", size=None, image=True
        )
        assert asked["shots"][1]["prompt"].endswith("…")  # capped, cut at a word
        await lose(ledger, dataclasses.replace(take(seed=4), asked=asked))
        await create(ledger, dataclasses.replace(take(seed=5), asked=asked), "t-made")
        await lose(ledger, take(seed=6))  # recorded without one, as an older pack does
        sending = await ledger.claim(dataclasses.replace(take(seed=7), asked=asked), model=MODEL)
        assert sending.claim is not None
        assert dataclasses.replace(take(seed=4), asked=asked).key == take(seed=4).key
        # What a person deciding on a take reads; a take with a known outcome needs none.
        expected = {4: asked, 5: None, 6: None, 7: asked}
        for reader in (await make_ledger(), ledger):
            assert {e.seed: e.request for e in await reader.entries()} == expected
        await sending.claim.unknown("timed out")
        await ledger.compact()
        for reader in (await make_ledger(), ledger):
            assert {e.seed: e.request for e in await reader.entries()} == expected
            [entry] = [e for e in await reader.entries() if e.seed == 4]
            assert entry.request is not None
            assert entry.request["shots"][0] == {"seconds": 5, "prompt": "A gull lands on a post"}

    async def test_account_ids_are_keyed_stable_and_never_hold_the_key(
        self, make_ledger: MakeLedger
    ) -> None:
        ledger = await make_ledger()
        one = await ledger.account("default", KEY)
        assert one == await (await make_ledger()).account("default", KEY)
        assert one != await ledger.account("work", KEY)
        assert one != await ledger.account("default", KEY + "x")
        assert KEY not in one
        import hashlib

        assert hashlib.sha256(KEY.encode()).hexdigest()[:32] not in one

    async def test_a_clean_store_reports_no_problems(self, make_ledger: MakeLedger) -> None:
        ledger = await make_ledger()
        await create(ledger, take(), "t1")
        assert await ledger.problems() == []
