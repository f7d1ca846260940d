"""FreeSora: the one way in for the nodes and the CLI, in the manner of openai's AsyncOpenAI.

    async with FreeSora.open(profile) as fs:
        [done] = await fs.create([PlannedTask(request)], seed=0)
        video = await fs.collect(done.task_id, out_dir)

`open` does the set-up once: the settings (the profile's, or given) -> the key, when the work
needs one -> the profile's ledger store on this event loop -> an HTTP session and client, made
on first use. A store belongs to the loop it was opened on (`ledger.open_ledger` keeps one per
journal file, and one per database and loop), never to a facade: closing a facade closes only
its HTTP session, so a create still running on the pack's own loop (`start_create`) keeps the
ledger and pool it uses. At load this imports only config and the ledger's face; `create`,
`collect` and the HTTP client load when first used, so `freesora tasks` loads no aiohttp or
pydantic. May import `create`, `collect`, `ledger`, `media`, `schemas`, `service`, `config` and
`errors`; never `routes`, `nodes` or `cli`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .errors import AdoptRefusedError, ConfigError, InvalidRequestError
from .ledger import (
    PASTED,
    Entry,
    Ledger,
    Spending,
    TakeState,
    adoptable,
    close_databases,
    forgettable,
    ledger_location,
    not_waiting,
    open_ledger,
    shown_take,
    still_sending,
    task_held_elsewhere,
)

if TYPE_CHECKING:
    import aiohttp

    from .collect import Collected, VideoResult
    from .create import PlannedTask, Submitted
    from .create.submit import OnSubmitted
    from .ledger import OnWait
    from .schemas.pricing import PriceTable
    from .service.client import FreeSoraClient
    from .service.retry import RetryPolicy

# Where a profile that names no journal keeps its ledger (ComfyUI's user folder). A callable is
# called only then: finding ComfyUI's folder may move or create one.
DefaultJournal = Path | Callable[[], Path]


class FreeSora:
    """One profile's work on one event loop: its settings, its ledger store and its client."""

    def __init__(
        self, settings: Settings, ledger: Ledger, *, policy: RetryPolicy | None = None
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self._policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._client: FreeSoraClient | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls,
        profile: str | None = None,
        *,
        need_key: bool = True,
        default_journal: DefaultJournal | None = None,
        settings: Settings | None = None,
        policy: RetryPolicy | None = None,
    ) -> AsyncIterator[FreeSora]:
        """The profile's facade (`settings` given instead: used as they are, e.g. the demo's).

        With `need_key` a missing key is refused first; then the ledger store is opened, and an
        unreachable database or unwritable journal is raised here: nothing is sent either way.
        On exit the HTTP session is closed; the store stays open for the loop's other users.
        """
        settings = settings if settings is not None else load_settings(profile)
        if need_key:
            settings.require_key()
        ledger = await cls.ledger_of(settings=settings, default_journal=default_journal)
        fs = cls(settings, ledger, policy=policy)
        try:
            yield fs
        finally:
            await fs.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session, if one was made; the ledger store stays the loop's."""
        if self._session is not None:
            await self._session.close()
            self._session, self._client = None, None

    @staticmethod
    def journal_location(
        profile: str | None = None,
        default_journal: DefaultJournal | None = None,
        *,
        settings: Settings | None = None,
    ) -> str | Path:
        """Where the profile's ledger is: its `journal` (for the default profile
        FREESORA_JOURNAL wins), else `default_journal`, else the per-user data folder. A
        database is its URL (str), a file a Path."""
        settings = settings if settings is not None else load_settings(profile)
        return ledger_location(settings, default_journal)

    @classmethod
    async def ledger_of(
        cls,
        profile: str | None = None,
        *,
        default_journal: DefaultJournal | None = None,
        settings: Settings | None = None,
    ) -> Ledger:
        """The profile's ledger store on this loop, for a caller that needs no client (the
        routes). The loop's own: the caller never closes it."""
        return await open_ledger(cls.journal_location(profile, default_journal, settings=settings))

    @classmethod
    def start_create(
        cls,
        profile: str | None,
        planned: Sequence[PlannedTask],
        *,
        seed: int | None,
        default_journal: DefaultJournal | None = None,
        settings: Settings | None = None,
        on_submitted: OnSubmitted | None = None,
        on_wait: OnWait | None = None,
        started_when_queued: bool = False,
    ) -> Future[list[Submitted]]:
        """The whole create (claim -> send -> settle) started on the pack's own loop: it needs
        no node running and outlives whoever started it (a prompt's loop that ends, a cancel).
        Its facade and stores are that loop's; `on_submitted` and `on_wait` are called on its
        thread. A missing key or a bad profile is raised here, before anything starts. With
        `started_when_queued` the takes are marked as a queued prompt's early start."""
        from .create import detached

        settings = settings if settings is not None else load_settings(profile)
        settings.require_key()

        async def whole() -> list[Submitted]:
            async with cls.open(settings=settings, default_journal=default_journal) as fs:
                return await fs.create(
                    planned,
                    seed=seed,
                    on_submitted=on_submitted,
                    on_wait=on_wait,
                    started_when_queued=started_when_queued,
                )

        return detached.run(whole())

    @property
    def where(self) -> str:
        """The ledger as a person reads it: a journal's path, or a database without password."""
        return self.ledger.where

    @property
    def client(self) -> FreeSoraClient:
        """The service's client for this profile; its HTTP session is made on first use."""
        if self._client is None:
            from .service.client import FreeSoraClient, open_session

            self._session = open_session()
            self._client = FreeSoraClient(self._session, self.settings, policy=self._policy)
        return self._client

    # --- the two verbs ----------------------------------------------------------------------

    async def create(
        self,
        planned: Sequence[PlannedTask],
        *,
        seed: int | None,
        reuse: bool = True,
        prices: PriceTable | None = None,
        keep_refused: bool = False,
        on_submitted: OnSubmitted | None = None,
        on_wait: OnWait | None = None,
        started_when_queued: bool = False,
    ) -> list[Submitted]:
        """Create (or reuse, per the ledger) each planned take: `create.submit.submit_tasks`.

        Each new take is charged its price from `prices`, by default the user's price table
        over the pack's estimate, read first: a wrong table sends nothing.
        """
        from .create import submit_tasks

        if prices is None:
            from .schemas.pricing import load_user_prices, merged_prices

            prices = merged_prices(load_user_prices())
        return await submit_tasks(
            self.client,
            planned,
            ledger=self.ledger,
            seed=seed,
            reuse=reuse,
            on_submitted=on_submitted,
            on_wait=on_wait,
            prices=prices,
            keep_refused=keep_refused,
            started_when_queued=started_when_queued,
        )

    async def collect(self, task_id: str, out_dir: Path, **wait_options: Any) -> VideoResult:
        """Wait for one task and save its video in `out_dir`, its end recorded in the ledger
        (`collect.collect_video`; options as `service.polling.wait_for_task`)."""
        from .collect import collect_video

        return await collect_video(
            self.client, task_id, out_dir, ledger=self.ledger, **wait_options
        )

    async def collect_all(
        self,
        task_ids: Sequence[str],
        out_dir: Path,
        *,
        options_for: Callable[[int], dict[str, Any]],
    ) -> list[Collected]:
        """Every task at once, each a video or the error that ended it, in order
        (`collect.collect_videos`; `options_for(i)`: task i's wait options)."""
        from .collect import collect_videos

        return await collect_videos(
            self.client, task_ids, out_dir, options_for=options_for, ledger=self.ledger
        )

    # --- the ledger, as people see it -------------------------------------------------------

    async def tasks(
        self, *, limit: int | None = None, only_unfinished: bool = False, model: str | None = None
    ) -> list[Entry]:
        """The ledger's takes, newest first."""
        return await self.ledger.entries(limit=limit, only_unfinished=only_unfinished, model=model)

    async def collectable(
        self, *, model: str | None, only_unfinished: bool, limit: int
    ) -> list[Entry]:
        """The newest takes with a task id (with `only_unfinished`, not collected yet)."""
        from .ledger import newest_collectable

        return await newest_collectable(self.ledger, model, only_unfinished, limit)

    async def count(self, *, model: str | None = None) -> int:
        return await self.ledger.count(model=model)

    async def spent(self) -> Spending:
        """What this profile's account spent in the last 24 hours, after asking the service
        again about its failures whose refund it never confirmed (needs the key)."""
        from .ledger import recheck_refunds

        key = self.settings.require_key()
        account = await self.ledger.account(self.settings.profile, key.reveal())
        await recheck_refunds(self.ledger, account, self.client.status)
        return await self.ledger.spent(account)

    async def adopt(self, take: str, task_id: str) -> Entry:
        """The take's task is `task_id` (an unknown outcome resolved): reused, never resent.

        Checked before anything is recorded: the id's form and the take (InvalidRequestError),
        the take unknown and the id held by no other take (AdoptRefusedError), then the service
        asked once: an id it does not know is TaskNotFoundError, a task of another model (where
        it says the model) AdoptRefusedError "wrong_model", and when it cannot be asked a
        TransportError. A take whose create is still in progress is refused at once
        ("not_unknown"). The ledger checks the take and the id again under the take's lock as
        it records (where a SENDING record is an orphan's, so unknown)."""
        from .schemas.task_id import clean_task_id
        from .service.polling import ask_known

        task_id = clean_task_id(task_id)
        entry = await self.ledger.named_take(take)
        if entry.state is TakeState.SENDING:  # a live create's: its lock would wait for it
            raise AdoptRefusedError(
                still_sending(entry.take_key), reason="not_unknown", task_id=task_id
            )
        adoptable(entry.take_key, entry.state, task_id)
        await self._sent_with_this_key(entry)
        holder = await self.ledger.find_task(task_id)
        if holder is not None and holder.take_key not in (entry.take_key, PASTED + task_id):
            raise task_held_elsewhere(task_id, holder.take_key)
        status = await ask_known(self.client, task_id)
        if status.model and entry.model and status.model != entry.model:
            raise AdoptRefusedError(
                f"task {task_id} is a {status.model} task, but take {shown_take(entry.take_key)} "
                f"is a {entry.model} take: check the id. Nothing was changed.",
                reason="wrong_model",
                task_id=task_id,
            )
        return await self.ledger.adopt(entry.take_key, task_id)

    async def _sent_with_this_key(self, entry: Entry) -> None:
        """Only the key that sent a take can ask the service about its task (another account's
        key is told it does not exist): a take of another account, as a journal shared by
        several profiles holds, is refused (ConfigError) with the command that adopts it with
        its own profile. An account is `profile:hash` (`ledger.account_id`); a take of no
        recorded account is not checked."""
        profile, _, _ = entry.account.rpartition(":")
        key = self.settings.require_key()
        if not profile or await self.ledger.account(self.settings.profile, key.reveal()) == (
            entry.account
        ):
            return
        from .ledger import journal_flags

        shown = shown_take(entry.take_key)
        raise ConfigError(
            f"take {shown} was sent with the key of profile {profile}, not with this one: run "
            f"`freesora tasks adopt {shown} TASK_ID {journal_flags(self.ledger, profile)}` with "
            "that profile's key (its api_key, or FREESORA_API_KEY for the default profile). "
            "Nothing was changed."
        )

    async def forget(self, take: str, *, only_unknown: bool = False) -> Entry:
        """Release a take blocked by an unknown outcome: it may be created again. A pasted id
        (no take: `Entry.take_key` starts with PASTED) is dropped from the list instead, unless
        `only_unknown` (the tab, which lists unknown takes only). Refused at once
        (InvalidRequestError) for a take whose create is still in progress or whose outcome is
        known; the ledger checks the take again under its lock as it records."""
        entry = await self.ledger.named_take(take)
        if entry.state is TakeState.SENDING:  # a live create's: its lock would wait for it
            raise InvalidRequestError(still_sending(entry.take_key), field="take")
        if only_unknown and entry.state is not TakeState.UNKNOWN:
            raise not_waiting(entry.take_key, entry.state)
        forgettable(entry.take_key, entry.state)
        return await self.ledger.forget(entry.take_key)

    @staticmethod
    def adopted_text(entry: Entry) -> str:
        """What `adopt` did, in words (the command and the routes say the same)."""
        return (
            f"take {shown_take(entry.take_key)} is now task {entry.task_id}: its next run "
            "collects that task, never creates it again"
        )

    @staticmethod
    def forgotten_text(entry: Entry) -> str:
        """What `forget` did, in words (the command and the routes say the same)."""
        if entry.take_key.startswith(PASTED):
            return (
                f"task {entry.task_id} is no longer listed; nothing was cancelled at the "
                "service, and pasting its id again collects it"
            )
        return (
            f"take {shown_take(entry.take_key)} released: its next run creates a new task "
            "(the same request and seed, charged again); nothing was cancelled at the service"
        )

    async def compact(self) -> int:
        """Rewrite the ledger keeping one record per take; how many remain."""
        return await self.ledger.compact()

    async def rekey(self) -> str:
        """Go on with the secret beside a journal file (`ledger.rekey`); what was done, in words."""
        from .ledger import FileLedger

        if not isinstance(self.ledger, FileLedger):
            raise InvalidRequestError(
                f"tasks rekey applies to a journal file; {self.where} is a database, whose "
                "secret is kept in the database itself"
            )
        return await self.ledger.rekey()

    async def problems(self) -> list[str]:
        """Damage found while reading the ledger, one line each."""
        return await self.ledger.problems()


__all__ = ["DefaultJournal", "FreeSora", "close_databases"]
