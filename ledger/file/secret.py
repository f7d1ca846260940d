"""A file journal and its secret belong together: never a new secret for a journal of takes.

The secret is random, kept beside the journal (`<journal>.secret`, 0600) and never leaves it:
account ids are keyed hashes of the API key made with it (`contract.account_id`), which no
table of known keys can reverse. A journal copied or restored without that file, or laid over
another journal's, would otherwise get a new (or the other) secret: every account id would
change and every earlier take would be created, and paid, again. So the journal records a mark
of its secret (`keyed`, from `secret_check`; several after a merge or a rekey) and:
- a journal that holds takes of an account (or a mark) but has no secret refuses to make one;
- a secret that matches none of the journal's marks is refused;
- either way the message says what to do: put the journal's own secret back, or accept a new
  one knowingly with `freesora tasks rekey` (the tasks stay listed and collectable; only a
  re-run of an earlier take is created again).
Refusing is the safe side: until the user acts, nothing is sent, and no task is lost. A journal
with no mark yet gets its mark the first time it is used with its secret.
Blocking (files, the journal's lock): callers run it in a thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from ...config import write_private
from ...errors import LedgerError
from ..commands import journal_flags
from .journal import JournalFile, logger
from .records import keyed_record

REKEY = "freesora tasks rekey"
SECRET_BYTES = 32


def secret_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".secret")


def secret_check(secret: bytes) -> str:
    """A mark of the secret the journal keeps: tells its own secret from another one, and
    reveals nothing of it."""
    mark = hmac.new(secret, b"freesora: the secret of this journal", hashlib.sha256)
    return mark.hexdigest()[:32]


def load_secret(journal: Path, *, may_make: bool = True) -> bytes:
    """The ledger's secret, made on first use when `may_make` (else FileNotFoundError).
    Processes racing to make it agree on one: it is written privately and linked into place,
    which fails if another got there first."""
    path = secret_path(journal)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        if not may_make:
            raise
    path.parent.mkdir(parents=True, exist_ok=True)
    # Published only if absent: when another process made it first, theirs is used.
    write_private(
        path, lambda handle: handle.write(secrets.token_bytes(SECRET_BYTES)), replace=False
    )
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != SECRET_BYTES:
        # Never replaced silently: a new secret would give every account a new id, and every
        # earlier take would be created again.
        raise OSError(
            f"{path} holds {len(data)} bytes, not {SECRET_BYTES}: restore it from a backup"
        )
    return data


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
    return LedgerError(
        f"the task journal's secret {secret_path(file.path)} is missing, yet the journal holds "
        "takes: with a new secret every earlier take would be paid again, so nothing is sent. "
        "Put it back from where the journal came from or a backup; or, to go on knowingly "
        f"(earlier takes run again are paid again), run `{_rekey(file)}`."
    )


def _foreign(file: JournalFile) -> LedgerError:
    return LedgerError(
        f"{secret_path(file.path)} is not the secret of the task journal beside it, so nothing is "
        "sent: with it every earlier take would be paid again. Put the journal's own secret back, "
        "or keep the two journals in folders of their own; or, to go on knowingly, run "
        f"`{_rekey(file)}`."
    )


def _rekey(file: JournalFile) -> str:
    """The rekey command, as typed from any folder."""
    return f"{REKEY} {journal_flags(file.path)}"
