"""A file journal and its secret belong together: never a new secret for a journal of takes.

Account ids are keyed hashes made with the secret beside the journal (`<journal>.secret`). A
journal copied or restored without that file, or laid over another journal's, would otherwise
get a new (or the other) secret: every account id would change and every earlier take would be
created, and paid, again. So the journal records a mark of its secret (`keyed`, from
`fingerprint.secret_check`; several after a merge or a rekey) and:
- a journal that holds takes of an account (or a mark) but has no secret refuses to make one;
- a secret that matches none of the journal's marks is refused;
- either way the message says what to do: put the journal's own secret back, or accept a new
  one knowingly with `freesora tasks rekey` (the tasks stay listed and collectable; only a
  re-run of an earlier take is created again).
Refusing is the safe side: until the user acts, nothing is sent, and no task is lost. A journal
from before the marks gets its mark the first time it is used with its secret.
Blocking (files, the journal's lock): callers run it in a thread.
"""

from __future__ import annotations

from ...errors import LedgerError
from ..fingerprint import load_secret, secret_check, secret_path
from .journal import JournalFile, logger
from .records import keyed_record

REKEY = "freesora tasks rekey"


def journal_secret(file: JournalFile) -> bytes:
    """The secret of `file`'s journal, made (and marked) for a new one; LedgerError when the
    journal's own secret is missing or another one lies beside it."""
    index = file.catch_up()
    marks = set(index.secret_checks)
    holds_takes = bool(marks) or any(index.account)
    try:
        secret = load_secret(file.path, may_make=not holds_takes)
    except FileNotFoundError:
        raise _missing(file) from None
    except OSError as exc:
        raise LedgerError(f"the task ledger's secret cannot be read: {exc}") from exc
    mark = secret_check(secret)
    if not marks:
        try:
            file.append(keyed_record(mark))
        except LedgerError as exc:  # the next use marks it; a claim says the journal is stuck
            logger.warning("the mark of the journal's secret was not written: %s", exc)
    elif mark not in marks:
        raise _foreign(file)
    return secret


def rekey(file: JournalFile) -> str:
    """The user's choice: the secret beside the journal (a new one if none) is its own from now
    on. Returns what that means, for the user."""
    try:
        secret = load_secret(file.path)
    except OSError as exc:
        raise LedgerError(f"the task ledger's secret cannot be read: {exc}") from exc
    mark = secret_check(secret)
    if mark in file.catch_up().secret_checks:
        return f"{secret_path(file.path)} is already the secret of {file.path}: nothing changed"
    file.append(keyed_record(mark, rekeyed=True))
    return (
        f"{file.path} now uses the secret {secret_path(file.path)}. Its earlier tasks stay listed "
        "and can be collected, but a run of an earlier take (same inputs and seed) is created "
        "again, and paid again; adopt an earlier task with `freesora tasks adopt` to avoid that. "
        "The daily budget's last 24 hours start empty: credits charged before count no more "
        "(they belong to account ids this secret does not make)."
    )


def _missing(file: JournalFile) -> LedgerError:
    where = secret_path(file.path)
    return LedgerError(
        f"the task journal {file.path} holds takes, but its secret {where} is missing (was the "
        "journal copied or restored without it?). With a new secret every earlier take would be "
        f"created and paid again, so nothing is sent. Put {where.name} back beside the journal "
        f"(from where the journal came from, or a backup). Or, to go on with a new secret "
        f"knowingly, run `{REKEY}` with FREESORA_JOURNAL={file.path}: the tasks stay listed and "
        "collectable, but earlier takes run again are created and paid again."
    )


def _foreign(file: JournalFile) -> LedgerError:
    where = secret_path(file.path)
    return LedgerError(
        f"{where} is not the secret of the task journal {file.path} (the journal was made with "
        "another one: copied over another journal, or its secret replaced?). With it every "
        "earlier take would be created and paid again, so nothing is sent. Put the journal's "
        f"own {where.name} back beside it, or keep the two journals in folders of their own. Or, "
        f"to go on with this secret knowingly, run `{REKEY}` with FREESORA_JOURNAL={file.path}."
    )
