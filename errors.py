"""The pack's exception hierarchy: every error a user can see is defined here.

A few modules keep an internal signal of their own, caught before it could reach a user and
worded as one of these: the journal's `BadRecord` (and `PartlyRead`), a line the fold counts as
damage; the download's `AddressRefused`, raised inside aiohttp's connector, and
`_RetryableHTTPError`, an answer worth asking again.

Every error here carries what a user needs to act: the field or task it concerns, the service's
own code and message when the service answered, and a next step. None of them ever holds the key.
"""

from __future__ import annotations

# A message is read at a glance: what happened and what to do, in at most this many characters.
# Longer detail (a page a proxy answered, the causes behind an error) goes to the log.
MESSAGE_MAX_CHARS = 600
# The service's own words inside a message, at most: enough for its reason, never a page.
SAID_MAX_CHARS = 160


def shortened(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: whole, or cut after a whole word with "…" (and
    before an aside or a quote it would leave open). Only a first word longer than `limit` is
    cut inside."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:  # the last word runs on: drop it
        cut = cut.rsplit(" ", 1)[0]
    if cut.count("(") > cut.count(")"):
        cut = cut[: cut.rindex("(")]
    if cut.count('"') % 2:
        cut = cut[: cut.rindex('"')]
    return cut.rstrip(" |,;:(") + "…"


def shown_value(value: object, limit: int = 80) -> str:
    """A value a person gave, as a message repeats it: quoted, at most about `limit` characters."""
    if isinstance(value, str):
        return repr(shortened(value, limit))
    return shortened(repr(value), limit)


class FreeSoraError(Exception):
    """Base of every error the pack raises on purpose.

    Besides its `message`, an error keeps its parts for whoever words it again: `said`, the
    service's own words (shortened) when it answered, and `what`, what happened in a few words
    ("the service answered HTTP 500: an HTML page"), so no message is quoted inside another.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        task_id: str | None = None,
        said: str | None = None,
        what: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.task_id = task_id
        self.said = said
        self.what = what

    def __str__(self) -> str:
        return self.message


# --- Problems found locally, before anything is sent or spent -------------------------------


class ConfigError(FreeSoraError):
    """The key, base URL or config file is missing or unusable."""


class UnknownProfileError(ConfigError):
    """The profile asked for is not in the config file; `profile` is the name as given."""

    def __init__(self, message: str, *, profile: str | None = None) -> None:
        super().__init__(message)
        self.profile = profile


class KeyExistsError(ConfigError):
    """A key is already stored for the profile, and this caller may not replace it."""


class InvalidRequestError(FreeSoraError, ValueError):
    """A request the service would reject; raised before anything is sent.

    `field` is the name the user sees (the node's widget id, e.g. `n_frames`).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @classmethod
    def about(cls, field: str, problem: str) -> InvalidRequestError:
        """`about("prompt", "is required")` -> "prompt is required", naming the field."""
        return cls(f"{field} {problem}", field=field)


class InvalidImageError(InvalidRequestError):
    """An image that cannot be encoded into something the service accepts."""


# --- Problems reported by the service or on the way to it -----------------------------------


class ServiceError(FreeSoraError):
    """The service answered with an error (non-zero `code` or a non-2xx status)."""


class AuthenticationError(ServiceError):
    """401: the key is missing, wrong or revoked."""


class InsufficientCreditsError(ServiceError):
    """402: the account has not enough credits for this task."""


class RateLimitedError(ServiceError):
    """429 that persisted through every allowed retry."""


class TaskNotFoundError(ServiceError):
    """The service does not know the task id (wrong id, other account, or expired)."""


class ServiceUnavailableError(ServiceError):
    """A refusal that resending will not change: maintenance (455), a feature disabled (505).

    Nothing was created, so nothing is charged; the message says what to do instead.
    """


class ModelUnavailableError(ServiceUnavailableError):
    """The service says the model is retired, unavailable or moved elsewhere."""


class TransportError(FreeSoraError):
    """The network failed (refused, reset, timed out) and retrying did not help."""


class UnexpectedResponseError(FreeSoraError):
    """The service answered something the pack cannot read (not JSON, no task id, too large)."""


class CreateOutcomeUnknownError(FreeSoraError):
    """The create request was sent but its answer was lost: a task may exist and be charged.

    The pack never resends in this case; the message says how to find the task first. `what`
    says what happened (the ledger records it as the take's reason); `take` is the take id as
    messages and the FreeSora tab show it, once the ledger holds the take.
    """

    take: str | None = None


class AdoptRefusedError(FreeSoraError):
    """A task id not recorded for a take, and why (`reason`): "wrong_model" (the service says
    the task is of another model), "held" (another take holds it) or "not_unknown" (the take's
    outcome is known: there is nothing to resolve). Nothing was changed."""

    REASONS = ("wrong_model", "held", "not_unknown")

    def __init__(self, message: str, *, reason: str, task_id: str | None = None) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"reason must be one of {', '.join(self.REASONS)}, got {reason!r}")
        super().__init__(message, task_id=task_id)
        self.reason = reason


class BudgetExceededError(FreeSoraError):
    """This create would take the account past its daily budget: nothing was sent.

    `budget`, `spent` (credits of the last 24 hours) and `price` (this create's) are kept for
    callers that word it their own way (a batch that stops part-way)."""

    def __init__(self, message: str, *, budget: float, spent: float, price: float) -> None:
        super().__init__(message)
        self.budget = budget
        self.spent = spent
        self.price = price


class LedgerError(FreeSoraError):
    """The task ledger cannot be read or written. Before a create: nothing was sent. After a
    create: the message names every created task id, which the log keeps too."""


# --- Outcomes of a task ---------------------------------------------------------------------


class TaskFailedError(FreeSoraError):
    """The task ended as failed (moderation, generation error, ...)."""

    def __init__(
        self,
        message: str,
        *,
        task_id: str,
        reason: str | None = None,
        credits_refunded: bool | None = None,
    ) -> None:
        super().__init__(message, task_id=task_id)
        self.reason = reason
        self.credits_refunded = credits_refunded


class TaskCancelledError(FreeSoraError):
    """The service reports the task as cancelled (`credits_refunded` as it said, or None)."""

    def __init__(self, message: str, *, task_id: str, credits_refunded: bool | None = None) -> None:
        super().__init__(message, task_id=task_id)
        self.credits_refunded = credits_refunded


class TasksFailedError(FreeSoraError):
    """Several tasks of one batch did not give a video; `failures` holds each one's error."""

    def __init__(self, message: str, *, failures: list[FreeSoraError]) -> None:
        super().__init__(message)
        self.failures = failures


class TaskTimeoutError(FreeSoraError):
    """The wait's deadline passed; the task may still finish and can be collected later."""


class WaitCancelledError(FreeSoraError):
    """The user stopped the wait (Cancel in ComfyUI, Ctrl+C); the task itself goes on."""


class DownloadError(FreeSoraError):
    """The result could not be downloaded (expired URL, too large, network)."""
