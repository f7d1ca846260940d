"""The only code that speaks HTTP to the service: create, check-result and result downloads.

Every request goes through `_post` (API calls) or `download` (storage), each with a timeout.
Whether a failed attempt may be resent is decided by `retry.may_resend`, never here; answers
are read by `answer_body` (bounded) and `answers`, failures worded by `failures`. Here the
service's words enter the pack, so here `redaction` takes the key out of them: every answer's
body, and every error a request or a download raises.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import ValidationError

from ..config import Settings
from ..errors import FreeSoraError, ServiceError, UnexpectedResponseError
from ..schemas import CreatedTask, CreateVideoRequest, TaskStatus
from ..schemas.account_limits import AccountLimits
from ..schemas.task_id import shown_id, task_id_problem
from .account_gate import AccountGate, CreateTurn, gate_for
from .answer_body import ACCEPT_ENCODING, MAX_ANSWER_BYTES, read_capped
from .answers import parse_status, read_answer
from .download import DownloadTimeouts
from .download import download as download_to
from .download_session import USER_AGENT
from .failures import (
    UNUSABLE_ID,
    UNUSABLE_ID_HELP,
    final_error,
    gave_up,
    outcome_unknown,
    transport_error,
)
from .redaction import Redactor, redactor
from .retry import (
    Outcome,
    RetryPolicy,
    cdn_marker,
    classify,
    may_resend,
    outcome_of_error,
    retry_delay,
)

CREATE_PATH = "/api/v1/video/sora-pro"
STATUS_PATH = "/api/video-generations/check-result"
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Timeouts:
    """Seconds. A create uploads up to 10 MB of image, so it gets longer than a status call."""

    connect_s: float = 15.0
    create_s: float = 120.0
    status_s: float = 30.0
    download_read_s: float = 60.0


def open_session() -> aiohttp.ClientSession:
    """A session that honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY; the key is never a default header.
    Any account's requests may share it: a profile's own proxy is applied per request."""
    return aiohttp.ClientSession(trust_env=True, headers={"User-Agent": USER_AGENT})


class FreeSoraClient:
    """Calls of the service for one account. The caller owns `session` and closes it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        max_concurrent_creates: int | None = None,
        limits: AccountLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._settings = settings
        self._policy = policy or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        # The account's limits (its gate: account_gate.py); `max_concurrent_creates` narrows them.
        limits = limits or AccountLimits.from_env()
        if max_concurrent_creates is not None:
            limits = dataclasses.replace(limits, max_in_flight=max_concurrent_creates)
        self._limits = limits

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def limits(self) -> AccountLimits:
        """The account's limits this client keeps to (a farm's admission keeps the same)."""
        return self._limits

    def with_session(self, session: aiohttp.ClientSession) -> FreeSoraClient:
        """The same client on another session (e.g. one on another event loop)."""
        return FreeSoraClient(
            session,
            self._settings,
            policy=self._policy,
            timeouts=self._timeouts,
            sleep=self._sleep,
            rand=self._rand,
            limits=self._limits,
            clock=self._clock,
        )

    async def create(self, request: CreateVideoRequest) -> str:
        """Create a task and return its id. Credits are spent when this returns."""
        gate = self._gate()
        turn = gate.turn()
        async with gate.slot():
            try:
                # Raises the service's refusal only when nothing was created (`retry.RULES`),
                # else CreateOutcomeUnknownError.
                data = await self._post(
                    CREATE_PATH, request.to_payload(), idempotent=False, gate=turn
                )
            finally:
                turn.finish()
        try:
            task_id = CreatedTask.model_validate(data).task_id
        except ValidationError:
            raise outcome_unknown("the service said ok but returned no task id") from None
        problem = task_id_problem(task_id)
        if problem is not None:  # paid, but not an id the pack can collect: never a resend
            raise outcome_unknown(
                f"the service said ok but {UNUSABLE_ID}, {shown_id(task_id)}: {problem}",
                UNUSABLE_ID_HELP,
            )
        return task_id

    async def status(self, task_id: str) -> TaskStatus:
        """One check-result call (transient failures retried)."""
        data = await self._post(STATUS_PATH, {"taskId": task_id}, idempotent=True, task_id=task_id)
        return parse_status(data, task_id)

    def _gate(self) -> AccountGate:
        key = self._settings.require_key().reveal()
        return gate_for(
            self._settings.base_url, key, self._limits, clock=self._clock, sleep=self._sleep
        )

    async def sleep(self, seconds: float) -> None:
        """The client's clock (injected in tests): waits and backoff sleep through it."""
        await self._sleep(seconds)

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        max_bytes: int | None = None,
        task_id: str | None = None,
        deadline_s: float | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Path:
        """Stream a result URL into `dest` (see `download.download`): no Authorization header.

        `max_bytes` defaults to the settings' limit (FREESORA_MAX_DOWNLOAD_BYTES, 2 GB).
        """
        try:
            return await download_to(
                url,
                dest,
                proxy=self._settings.proxy,
                policy=self._policy,
                timeouts=DownloadTimeouts(self._timeouts.connect_s, self._timeouts.download_read_s),
                max_bytes=self._settings.max_download_bytes if max_bytes is None else max_bytes,
                task_id=task_id,
                sleep=self._sleep,
                rand=self._rand,
                deadline_s=deadline_s,
                should_cancel=should_cancel,
                base_url=self._settings.base_url,
            )
        except FreeSoraError as exc:
            self._without_key(exc)
            raise

    def _without_key(self, exc: FreeSoraError) -> None:
        """Take the key out of `exc`'s words (a service may repeat it: `redaction`)."""
        if self._settings.api_key is not None:
            redactor(self._settings.api_key.reveal()).error(exc)

    async def _post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        idempotent: bool,
        task_id: str | None = None,
        gate: CreateTurn | None = None,
    ) -> Any:
        """The choke point of API calls, where the service's words enter the pack: every
        answer's body is read without the key (`Redactor.body`), and so is every error."""
        redact = redactor(self._settings.require_key().reveal())
        try:
            return await self._send(path, body, redact, idempotent, task_id, gate)
        except FreeSoraError as exc:
            redact.error(exc)
            raise

    async def _send(
        self,
        path: str,
        body: dict[str, Any],
        redact: Redactor,
        idempotent: bool,
        task_id: str | None,
        gate: CreateTurn | None,
    ) -> Any:
        """Send, read the envelope, retry only what `may_resend` allows.

        With a `gate` (creates), each try waits for the account's turn, and a 429 pauses the
        whole account (`gate.back_off`) without using up a try, until the limits' patience.
        """
        headers = {
            "Authorization": f"Bearer {self._settings.require_key().reveal()}",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        seconds = self._timeouts.create_s if not idempotent else self._timeouts.status_s
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=self._timeouts.connect_s)
        url = self._settings.base_url + path
        attempt = 0
        rate_waited_s, rate_tries = 0.0, 0
        while True:
            attempt += 1
            if gate is not None:
                await gate.before_send()
            try:
                # No redirects: the key must never follow a request to another host. No
                # automatic decompression: `_read_capped` inflates with a bound.
                async with self._session.post(
                    url,
                    json=body,
                    headers=headers,
                    timeout=timeout,
                    proxy=self._settings.proxy,
                    allow_redirects=False,
                    auto_decompress=False,
                ) as resp:
                    text = redact.body(await read_capped(resp, MAX_ANSWER_BYTES, task_id))
                    retry_after = resp.headers.get("Retry-After")
                    status, content_type = resp.status, resp.content_type
                    cdn = cdn_marker(resp.headers.keys())
            except UnexpectedResponseError as exc:
                # Too large or undecodable: like any unreadable answer (a create's outcome is
                # then unknown; a status call may be asked again).
                if not idempotent or attempt >= self._policy.attempts:
                    raise final_error(exc, classify(exc), idempotent) from None
                await self._sleep(retry_delay(attempt, self._policy, self._rand()))
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
                outcome = classify(exc)
                if may_resend(outcome, idempotent=idempotent) and attempt < self._policy.attempts:
                    await self._sleep(retry_delay(attempt, self._policy, self._rand()))
                    continue
                raise transport_error(exc, outcome, idempotent, task_id, seconds) from None
            try:
                return read_answer(status, content_type, text, task_id=task_id).data
            except (ServiceError, UnexpectedResponseError) as exc:
                outcome = outcome_of_error(exc, cdn)
                if not may_resend(outcome, idempotent=idempotent):
                    raise final_error(exc, outcome, idempotent) from None
                if gate is not None and outcome is Outcome.RATE_LIMITED:
                    # Refused unseen: a 429 uses up no try, only the limits' patience.
                    rate_tries += 1
                    delay = retry_delay(rate_tries, self._policy, self._rand(), retry_after)
                    if rate_waited_s + delay > gate.limits.patience_s:
                        raise gave_up(exc, attempt + rate_tries - 1) from None
                    rate_waited_s += delay
                    attempt -= 1
                    gate.back_off(delay)  # the next before_send waits it out
                    continue
                if attempt >= self._policy.attempts:
                    raise gave_up(exc, attempt) from None
            await self._sleep(retry_delay(attempt, self._policy, self._rand(), retry_after))
