"""The FreeSora tab's routes for takes whose create outcome is unknown, on a real server over
a real journal, with the sandbox as the service: the list, adopt and forget, and their guard.

An unknown take is made as in life: the sandbox creates (and charges) the task, then drops the
connection before answering (`reset_after`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from freesora.config import load_settings
from freesora.create import PlannedTask, Submitted
from freesora.errors import CreateOutcomeUnknownError
from freesora.facade import FreeSora
from freesora.ledger import FileLedger, Ledger, Take, TakeState
from freesora.routes import build_routes
from freesora.sandbox import SANDBOX_KEY, RunningSandbox
from freesora.schemas import build_create_request
from freesora.schemas.pricing import price_of
from freesora.service.retry import RetryPolicy

PROMPT = "A paper lantern drifting over a night market"
MODEL = "sora-2-pro-text-to-video"
STORYBOARD = "sora-2-pro-storyboard"


@dataclass
class Lost:
    """An unknown take: its id as the tab shows it, and the task the service made for it."""

    take: str
    task_id: str


def planned() -> list[PlannedTask]:
    request = build_create_request(model=MODEL, prompt=PROMPT, n_frames="15", size="high")
    return [PlannedTask(request)]


@pytest.fixture
def keyed_env(env: dict[str, str]) -> dict[str, str]:
    env["FREESORA_API_KEY"] = SANDBOX_KEY
    return env


@pytest.fixture
def ledger(tmp_path: Path) -> FileLedger:
    return FileLedger(tmp_path / "tasks.jsonl")


@pytest.fixture
async def tab(keyed_env: dict[str, str], ledger: FileLedger) -> AsyncIterator[TestClient[Any, Any]]:
    """The routes over `ledger`, the one store the test's creates use too."""

    async def fixed() -> Ledger:
        return ledger

    routes = web.RouteTableDef()
    # One try per service call: a refused try is not slept over.
    build_routes(routes, default_ledger=fixed, env=keyed_env, policy=RetryPolicy(attempts=1))
    app = web.Application()
    app.add_routes(routes)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def create(env: dict[str, str], ledger: Ledger, seed: int = 7) -> Submitted:
    fs = FreeSora(load_settings(None, env), ledger)
    try:
        [made] = await fs.create(planned(), seed=seed)
        return made
    finally:
        await fs.aclose()


@pytest.fixture
async def lost(keyed_env: dict[str, str], ledger: FileLedger, served: RunningSandbox) -> Lost:
    served.sandbox.faults.add("create", "reset_after")
    with pytest.raises(CreateOutcomeUnknownError):
        await create(keyed_env, ledger)
    [task_id] = list(served.sandbox.tasks)
    [entry] = await ledger.entries()
    assert entry.state is TakeState.UNKNOWN
    return Lost(entry.take_key[:12], task_id)


async def unknown(tab: TestClient[Any, Any]) -> dict[str, Any]:
    resp = await tab.get("/freesora/takes/unknown")
    assert resp.status == 200, await resp.text()
    answer: dict[str, Any] = await resp.json()
    return answer


async def test_each_unknown_take_is_listed_with_its_request_when_it_was_sent_and_its_prices(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger
) -> None:
    answer = await unknown(tab)
    assert answer["count"] == 1
    [row] = answer["takes"]
    [entry] = await ledger.entries()
    price = price_of({"model": MODEL, "nFrames": "15", "size": "high"})
    assert {k: row[k] for k in ("take", "model", "seconds", "seed", "shots")} == {
        "take": lost.take,
        "model": MODEL,
        "seconds": 15,
        "seed": 7,
        "shots": None,
    }
    assert row["prompt"] == PROMPT
    assert (row["sent_at"], row["price"], row["new_create_price"]) == (
        entry.created_at,
        price,
        price,
    )
    assert "high" in row["sent"]
    assert row["reason"]
    assert row["started_when_queued"] is False


async def test_a_lost_storyboard_is_listed_with_each_of_its_shots(
    tab: TestClient[Any, Any], keyed_env: dict[str, str], ledger: FileLedger, served: RunningSandbox
) -> None:
    long_shot = "The gull circles the harbour once more and flies out to sea " * 30
    shots = [
        {"scene": "A gull lands on a post", "duration": 5},
        {"scene": long_shot, "duration": 10},
    ]
    storyboard = build_create_request(model=STORYBOARD, shots=shots, n_frames="15")
    served.sandbox.faults.add("create", "reset_after")
    fs = FreeSora(load_settings(None, keyed_env), ledger)
    try:
        with pytest.raises(CreateOutcomeUnknownError):
            await fs.create([PlannedTask(storyboard)], seed=3)
    finally:
        await fs.aclose()
    [row] = (await unknown(tab))["takes"]
    first, second = row["shots"]
    assert first == {"seconds": 5, "prompt": "A gull lands on a post"}
    assert second["seconds"] == 10
    assert second["prompt"].endswith("…")
    assert long_shot.startswith(second["prompt"][:-1])  # cut at a word, capped
    assert (row["model"], row["prompt"], row["seconds"], row["seed"]) == (STORYBOARD, None, 15, 3)
    price = price_of({"model": STORYBOARD, "nFrames": "15"})
    assert (row["price"], row["new_create_price"]) == (price, price)


async def test_no_take_is_listed_when_every_outcome_is_known(
    tab: TestClient[Any, Any], keyed_env: dict[str, str], ledger: FileLedger
) -> None:
    await create(keyed_env, ledger)
    assert await unknown(tab) == {"takes": [], "count": 0}


async def test_adopting_the_lost_task_makes_the_same_request_reuse_it_with_no_new_create(
    tab: TestClient[Any, Any],
    lost: Lost,
    keyed_env: dict[str, str],
    ledger: FileLedger,
    served: RunningSandbox,
) -> None:
    resp = await tab.post(f"/freesora/takes/{lost.take}/adopt", json={"task_id": lost.task_id})
    body = await resp.json()
    assert resp.status == 200, body
    assert (body["adopted"], body["take"], body["task_id"]) == (True, lost.take, lost.task_id)
    assert lost.task_id in body["message"]
    assert await unknown(tab) == {"takes": [], "count": 0}
    again = await create(keyed_env, ledger)
    assert (again.task_id, again.reused) == (lost.task_id, True)
    assert len(served.sandbox.received.creates) == 1


async def test_forgetting_lets_the_same_request_create_exactly_one_new_task(
    tab: TestClient[Any, Any],
    lost: Lost,
    keyed_env: dict[str, str],
    ledger: FileLedger,
    served: RunningSandbox,
) -> None:
    resp = await tab.post(f"/freesora/takes/{lost.take}/forget", json={})
    body = await resp.json()
    assert resp.status == 200, body
    assert (body["forgotten"], body["take"]) == (True, lost.take)
    assert await unknown(tab) == {"takes": [], "count": 0}
    again = await create(keyed_env, ledger)
    assert not again.reused
    assert again.task_id != lost.task_id
    assert len(served.sandbox.received.creates) == 2
    assert (await create(keyed_env, ledger)).reused  # one new task, reused from then on
    assert len(served.sandbox.received.creates) == 2


@pytest.mark.parametrize(
    ("action", "which", "said"),
    [
        ("adopt", "created", "created, not unknown"),
        ("forget", "created", "created, not waiting for a decision"),
        ("adopt", "0123456789ab", "is not a take"),
        ("forget", "0123456789ab", "is not a take"),
        ("forget", "abc", "is not a take"),
    ],
)
async def test_a_take_that_waits_for_no_decision_is_refused_and_left_alone(
    tab: TestClient[Any, Any],
    keyed_env: dict[str, str],
    ledger: FileLedger,
    action: str,
    which: str,
    said: str,
) -> None:
    made = await create(keyed_env, ledger)
    [entry] = await ledger.entries()
    take = entry.take_key[:12] if which == "created" else which
    resp = await tab.post(f"/freesora/takes/{take}/{action}", json={"task_id": made.task_id})
    body = await resp.json()
    assert (resp.status, body["reason"]) == (400, "invalid"), body
    assert said in body["error"]
    [after] = await ledger.entries()
    assert (after.state, after.task_id) == (TakeState.CREATED, made.task_id)


@pytest.mark.parametrize("action", ["adopt", "forget"])
async def test_a_take_still_being_created_is_refused_at_once_and_its_create_settles_it(
    tab: TestClient[Any, Any], keyed_env: dict[str, str], ledger: FileLedger, action: str
) -> None:
    fs = FreeSora(load_settings(None, keyed_env), ledger)
    try:
        found = await fs.client.create(build_create_request(model=MODEL, prompt="A kite"))
    finally:
        await fs.aclose()
    account = await ledger.account("default", SANDBOX_KEY)
    live = Take(account=account, request="r" * 64, seed=1)
    decision = await ledger.claim(live, model=MODEL)  # its create is under way
    assert decision.claim is not None
    resp = await tab.post(f"/freesora/takes/{live.key[:12]}/{action}", json={"task_id": found})
    body = await resp.json()
    assert (resp.status, body["reason"]) == (400, "invalid"), body
    assert "this take's create is still in progress; wait for it" in body["error"]
    await decision.claim.created("t-its-own")
    [entry] = await ledger.entries()
    assert (entry.state, entry.task_id) == (TakeState.CREATED, "t-its-own")


def write_profiles(env: dict[str, str], profiles: dict[str, dict[str, str]]) -> None:
    """The user's config file: profiles that name no journal share the routes' one."""
    path = Path(env["FREESORA_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"profiles": profiles}), "utf-8")


@pytest.fixture
async def lost_by_work(
    keyed_env: dict[str, str], ledger: FileLedger, served: RunningSandbox
) -> Lost:
    """An unknown take sent with the key of a second profile, "work", which names no journal
    and so shares the tab's; the service made its task for that key."""
    work = {"api_key": "sk-sandbox-work", "base_url": served.base_url}
    write_profiles(keyed_env, {"work": work})
    served.sandbox.faults.add("create", "reset_after")
    fs = FreeSora(load_settings("work", keyed_env), ledger)
    try:
        with pytest.raises(CreateOutcomeUnknownError):
            await fs.create(planned(), seed=7)
    finally:
        await fs.aclose()
    [task_id] = list(served.sandbox.tasks)
    [entry] = await ledger.entries()
    return Lost(entry.take_key[:12], task_id)


async def test_a_take_sent_with_another_profiles_key_is_adopted_with_that_key(
    tab: TestClient[Any, Any], ledger: FileLedger, lost_by_work: Lost
) -> None:
    lost = lost_by_work
    assert (await unknown(tab))["count"] == 1  # listed in the shared journal's tab
    resp = await tab.post(f"/freesora/takes/{lost.take}/adopt", json={"task_id": lost.task_id})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["task_id"] == lost.task_id
    [entry] = await ledger.entries()
    assert (entry.state, entry.task_id) == (TakeState.CREATED, lost.task_id)


async def test_a_take_whose_profile_is_gone_is_refused_with_the_command_to_adopt_it(
    tab: TestClient[Any, Any],
    keyed_env: dict[str, str],
    ledger: FileLedger,
    served: RunningSandbox,
    lost_by_work: Lost,
) -> None:
    lost = lost_by_work
    changed = {"api_key": "sk-sandbox-other", "base_url": served.base_url}
    write_profiles(keyed_env, {"work": changed})  # the profile's key changed since
    asked = len(served.sandbox.received.status_calls)
    status, answer = await adopt_refused(tab, ledger, lost, lost.task_id)
    assert (status, answer["reason"]) == (400, "invalid"), answer
    command = f"freesora tasks adopt {lost.take} TASK_ID --journal {ledger.path} --profile work"
    assert command in answer["error"]
    assert len(served.sandbox.received.status_calls) == asked  # no other account was asked
    write_profiles(keyed_env, {})  # the profile removed: refused the same way
    status, answer = await adopt_refused(tab, ledger, lost, lost.task_id)
    assert command in answer["error"]


async def adopt_refused(
    tab: TestClient[Any, Any], ledger: FileLedger, lost: Lost, task_id: str
) -> tuple[int, dict[str, Any]]:
    """Adopt `task_id` for the lost take, which it must leave as it was (nothing recorded)."""
    before = ledger.path.read_bytes()
    resp = await tab.post(f"/freesora/takes/{lost.take}/adopt", json={"task_id": task_id})
    answer: dict[str, Any] = await resp.json()
    assert ledger.path.read_bytes() == before
    assert (await unknown(tab))["count"] == 1
    return resp.status, answer


async def test_adopt_of_an_id_the_service_does_not_know_is_404_and_records_nothing(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger
) -> None:
    status, answer = await adopt_refused(tab, ledger, lost, "task-typo-0000")
    assert (status, answer["reason"]) == (404, "unknown_task"), answer
    assert "task-typo-0000" in answer["error"]


async def test_adopt_of_a_task_of_another_model_is_409(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger, keyed_env: dict[str, str]
) -> None:
    fs = FreeSora(load_settings(None, keyed_env), ledger)
    try:
        kite = build_create_request(model="sora-2-text-to-video-stable", prompt="A kite")
        other = await fs.client.create(kite)
    finally:
        await fs.aclose()
    status, answer = await adopt_refused(tab, ledger, lost, other)
    assert (status, answer["reason"]) == (409, "wrong_model"), answer
    assert "sora-2-text-to-video-stable" in answer["error"]


async def test_adopt_of_an_id_another_take_holds_is_409(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger, keyed_env: dict[str, str]
) -> None:
    held = await create(keyed_env, ledger, seed=8)
    status, answer = await adopt_refused(tab, ledger, lost, held.task_id)
    assert (status, answer["reason"]) == (409, "held"), answer
    assert held.task_id in answer["error"]


async def test_adopt_when_the_service_cannot_be_asked_is_503_records_nothing_and_may_be_retried(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger, served: RunningSandbox
) -> None:
    served.sandbox.faults.add("status", "http_status", status=502)
    status, answer = await adopt_refused(tab, ledger, lost, lost.task_id)
    assert (status, answer["reason"]) == (503, "service_unreachable"), answer
    assert "try again" in answer["error"]
    resp = await tab.post(f"/freesora/takes/{lost.take}/adopt", json={"task_id": lost.task_id})
    assert resp.status == 200, await resp.text()  # tried again: the service answers


@pytest.mark.parametrize("task_id", [None, "", "   ", 42])
async def test_adopt_needs_a_task_id_and_records_nothing_without_one(
    tab: TestClient[Any, Any], lost: Lost, ledger: FileLedger, task_id: Any
) -> None:
    body = {} if task_id is None else {"task_id": task_id}
    resp = await tab.post(f"/freesora/takes/{lost.take}/adopt", json=body)
    answer = await resp.json()
    assert (resp.status, answer["reason"]) == (400, "invalid")
    assert "task_id" in answer["error"]
    assert (await unknown(tab))["count"] == 1


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({"Origin": "http://evil.example"}, 403, "cross_origin"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "cross_origin"),
        ({"Host": "rebind.attacker.example:8188"}, 403, "host_not_allowed"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "not_json"),
        ({"Content-Type": "text/plain"}, 415, "not_json"),
    ],
)
@pytest.mark.parametrize("action", ["adopt", "forget"])
async def test_a_cross_origin_form_or_wrong_host_post_changes_no_take(
    tab: TestClient[Any, Any],
    lost: Lost,
    ledger: FileLedger,
    action: str,
    headers: dict[str, str],
    status: int,
    reason: str,
) -> None:
    sent = {"Content-Type": "application/json", **headers}
    data = f'{{"task_id": "{lost.task_id}"}}'
    resp = await tab.post(f"/freesora/takes/{lost.take}/{action}", data=data, headers=sent)
    answer = await resp.json()
    assert (resp.status, answer["reason"]) == (status, reason), answer
    [entry] = await ledger.entries()
    assert (entry.state, entry.task_id) == (TakeState.UNKNOWN, None)
