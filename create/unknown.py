"""What a person reads about a take whose create's outcome is unknown, the first time and on
every repeat: what happened, that a task may exist and be charged, the take, and both ways out
(the FreeSora tab, and the two commands, each naming the ledger it means so it works as typed).

Worded from the parts (`error.what`, the take, the ledger), never by quoting another message;
the longer story is in the log and in the take's reason. Must not send, record or decide
anything: `submit` does.
"""

from __future__ import annotations

import time

from ..errors import MESSAGE_MAX_CHARS, CreateOutcomeUnknownError, shortened
from ..ledger import Ledger, Take, is_journal_file, journal_flags
from ..service.failures import UNUSABLE_ID

# The fewest characters of what happened a message keeps when a long journal path crowds it.
WHAT_MIN_CHARS = 30
# Room left for a batch to say how many of its tasks failed ("2 of 12 tasks ...") and where
# the ones it created are ("... listed in the FreeSora tab.").
BATCH_ROOM = 90


def unknown_outcome(
    what: str,
    take: Take,
    ledger: Ledger,
    profile: str,
    *,
    sent_at: float | None = None,
    in_batch: bool = False,
) -> CreateOutcomeUnknownError:
    """The error of a take whose create may have made a task: `what` happened; `sent_at`, when
    the take was sent before (a repeat that is not sent), else it is this run's create. A
    take `in_batch` leaves room for the batch to say how many of its takes failed."""
    key = take.key[:12]
    flags = journal_flags(ledger, profile)
    # Forgetting asks the service nothing: the journal alone selects the take (a database is
    # selected by its profile).
    forget_flags = journal_flags(ledger) if is_journal_file(ledger) else flags
    slot = f"Slot {take.slot + 1}: " if in_batch or take.slot else ""
    if sent_at is None:
        head = f"{slot}The create's outcome is unknown: {{what}}."
        may = "A task may exist and may have been charged: it was not sent again."
    else:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(sent_at))
        seed = "" if take.seed is None else f" with seed {take.seed}"
        head = f"{slot}Sent at {when}{seed}; outcome unknown: {{what}}."
        may = "A task may exist and may have been charged: not sent again."
    forget = f"`freesora tasks forget {key} {forget_flags}`"
    if UNUSABLE_ID in what:  # adopt and Video Result refuse such an id: the service can help
        ways = (
            f"The pack cannot collect a task by that id: contact the service about it. To create "
            f"take {key} anew, allow it in the FreeSora tab or run {forget}."
        )
    else:
        ways = (
            f"If the service has its task, paste its id for take {key} in the FreeSora tab "
            f"or run `freesora tasks adopt {key} TASK_ID {flags}`; else allow a new create there "
            f"or run {forget}."
        )
    message = f"{head} {may} {ways}"
    reserve = BATCH_ROOM if in_batch else 0
    room = MESSAGE_MAX_CHARS - reserve - len(message.replace("{what}", ""))
    said = shortened(what.strip().rstrip("."), max(room, WHAT_MIN_CHARS))
    said += "" if said.endswith("…") else "."
    message = message.replace("{what}.", said)
    again = " Another seed makes a new take."  # a third way out, said when it fits
    if sent_at is not None and len(message) + len(again) <= MESSAGE_MAX_CHARS - reserve:
        message += again
    error = CreateOutcomeUnknownError(message, what=what)
    error.take = key
    return error
