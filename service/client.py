"""The only code that speaks HTTP to the service: create, check-result and result downloads.

Every request goes through `_post` (API calls) or `download` (storage), each with a timeout.
Whether a failed attempt may be resent is decided by `retry.may_resend`, never here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import ValidationError

from ..config import Settings
from ..errors import (
    CreateOutcomeUnknownError,
    FreeSoraError,
    ServiceError,
    TransportError,
    UnexpectedResponseError,
)
from ..schemas import CreatedTask, CreateVideoRequest, TaskStatus
from . import VERSION
from .answers import read_answer
from .download import MAX_DOWNLOAD_BYTES, DownloadTimeouts
from .download import download as download_to
from .retry import (
    Outcome,
    RetryPolicy,
    classify_exception,
    classify_status,
    may_resend,
    retry_delay,
)

CREATE_PATH = "/api/v1/video/sora-pro"
STATUS_PATH = "/api/video-generations/check-result"
USER_AGENT = f"freesora-nodes/{VERSION}"

Sleep = Callable[[float], Awaitable[None]]

MAY_EXIST_HELP = (
    "A task may have been created and charged, so it was NOT sent again (a second create is a "
    "second charge). Look for it in your task history on the service (or with `freesora tasks`) "
    "before you run this again."
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds. A create uploads up to 10 MB of image, so it gets longer than a status call."""

    connect_s: float = 15.0
    create_s: float = 120.0
    status_s: float = 30.0
    download_read_s: float = 60.0


def open_session(settings: Settings | None = None) -> aiohttp.ClientSession:
    """A session that honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY; the key is never a default header."""
    del settings  # a profile's own proxy is applied per request
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
        max_concurrent_creates: int = 4,
    ) -> None:
        self._session = session
        self._settings = settings
        self._policy = policy or RetryPolicy()
        self._timeouts = timeouts or Timeouts()
        self._sleep = sleep
        self._rand = rand
        # Upstream allows ~20 tasks per account and answers 429 to bursts: a few at a time.
        self._create_slots = asyncio.Semaphore(max_concurrent_creates)

    @property
    def settings(self) -> Settings:
        return self._settings

    def with_session(self, session: aiohttp.ClientSession) -> FreeSoraClient:
        """The same client on another session (e.g. one on another event loop)."""
        return FreeSoraClient(
            session,
            self._settings,
            policy=self._policy,
            timeouts=self._timeouts,
            sleep=self._sleep,
            rand=self._rand,
        )

    @property
    def create_slots(self) -> asyncio.Semaphore:
        """How many creates of this client may be in flight at once (held around `create`)."""
        return self._create_slots

    async def create(self, request: CreateVideoRequest) -> str:
        """Create a task and return its id. Credits are spent when this returns."""
        async with self._create_slots:
            try:
                data = await self._post(CREATE_PATH, request.to_payload(), idempotent=False)
            except ServiceError as exc:
                if classify_status(exc.status or 200, exc.code) is Outcome.SERVER_ERROR:
                    raise _outcome_unknown(f"the service answered an error ({exc})") from None
                raise
            except UnexpectedResponseError as exc:
                raise _outcome_unknown(str(exc)) from None
        try:
            return CreatedTask.model_validate(data).task_id
        except ValidationError:
            raise _outcome_unknown("the service said ok but returned no task id") from None

    async def status(self, task_id: str) -> TaskStatus:
        """One check-result call (transient failures retried)."""
        data = await self._post(STATUS_PATH, {"taskId": task_id}, idempotent=True, task_id=task_id)
        if not isinstance(data, dict):
            raise UnexpectedResponseError(
                f"check-result for task {task_id} returned no status object", task_id=task_id
            )
        status = TaskStatus.model_validate(data)
        return status if status.task_id else status.model_copy(update={"task_id": task_id})

    async def sleep(self, seconds: float) -> None:
        """The client's clock (injected in tests): waits and backoff sleep through it."""
        await self._sleep(seconds)

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        task_id: str | None = None,
    ) -> Path:
        """Stream a result URL into `dest` (see `download.download`): no Authorization header."""
        return await download_to(
            self._session,
            url,
            dest,
            proxy=self._settings.proxy,
            policy=self._policy,
            timeouts=DownloadTimeouts(self._timeouts.connect_s, self._timeouts.download_read_s),
            max_bytes=max_bytes,
            task_id=task_id,
            sleep=self._sleep,
            rand=self._rand,
        )

    async def _post(
        self, path: str, body: dict[str, Any], *, idempotent: bool, task_id: str | None = None
    ) -> Any:
        """The choke point: send, read the envelope, retry only what `may_resend` allows."""
        headers = {"Authorization": f"Bearer {self._settings.require_key().reveal()}"}
        seconds = self._timeouts.create_s if not idempotent else self._timeouts.status_s
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=self._timeouts.connect_s)
        url = self._settings.base_url + path
        attempt = 0
        while True:
            attempt += 1
            try:
                # No redirects: the key must never follow a request to another host.
                async with self._session.post(
                    url,
                    json=body,
                    headers=headers,
                    timeout=timeout,
                    proxy=self._settings.proxy,
                    allow_redirects=False,
                ) as resp:
                    text = await resp.text(errors="replace")
                    retry_after = resp.headers.get("Retry-After")
                    status, content_type = resp.status, resp.content_type
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
                outcome = classify_exception(exc)
                if may_resend(outcome, idempotent=idempotent) and attempt < self._policy.attempts:
                    await self._sleep(retry_delay(attempt, self._policy, self._rand()))
                    continue
                raise _transport_error(exc, outcome, idempotent, task_id, seconds) from None
            try:
                return read_answer(status, content_type, text, task_id=task_id).data
            except (ServiceError, UnexpectedResponseError) as exc:
                outcome = _answer_outcome(exc)
                if not may_resend(outcome, idempotent=idempotent):
                    raise
                if attempt >= self._policy.attempts:
                    raise _gave_up(exc, attempt) from None
            await self._sleep(retry_delay(attempt, self._policy, self._rand(), retry_after))


def _answer_outcome(exc: FreeSoraError) -> Outcome:
    if isinstance(exc, UnexpectedResponseError):
        return Outcome.SERVER_ERROR
    return classify_status(exc.status or 200, exc.code)


def _gave_up(exc: FreeSoraError, attempts: int) -> FreeSoraError:
    exc.message = f"{exc.message} - still failing after {attempts} tries; try again later"
    return exc


def _transport_error(
    exc: BaseException, outcome: Outcome, idempotent: bool, task_id: str | None, seconds: float
) -> FreeSoraError:
    detail = _describe_exception(exc, seconds)
    if not idempotent and outcome is not Outcome.NOT_SENT:
        return _outcome_unknown(f"the connection failed after the request was sent ({detail})")
    where = f" while checking task {task_id}" if task_id else ""
    return TransportError(
        f"Could not reach the service{where} ({detail}). Check your network, proxy "
        "(HTTPS_PROXY) and FREESORA_BASE_URL, then try again.",
        task_id=task_id,
    )


def _outcome_unknown(what: str) -> CreateOutcomeUnknownError:
    return CreateOutcomeUnknownError(
        f"The create request's outcome is unknown: {what}. {MAY_EXIST_HELP}"
    )


def _describe_exception(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"no answer within {seconds:g} s"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
