"""What failed with the shared ledger's database, said in the pack's words.

libpq's error text is never repeated: when it cannot read a URL it quotes the part it choked
on, password and all. Its text is only read here, to tell which failure it was; the message
names the database by what `config.database_url` shows of it (user, hosts, database).
"""

from __future__ import annotations

from ...config.database_url import database_parts, shown_database
from ...errors import LedgerError

# (words libpq or the server uses, what the user is told): the first match wins.
MISSING = (
    ('database "', "database {dbname!r} does not exist"),
    ('role "', "user {user!r} does not exist"),
)
KNOWN: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("password authentication failed", "no password supplied", "authentication failed"),
        "the server refused user {user!r} (check the password)",
    ),
    (("Connection refused",), "the connection was refused (is PostgreSQL running there?)"),
    (("resolve host", "translate host name", "not known"), "the host name could not be found"),
    (("timeout expired", "timed out", "couldn't get a connection"), "no answer in time"),
    (("too many connections", "connection slots"), "the server has no connection left"),
    (("SSL", "GSSAPI"), "the encrypted connection (sslmode) could not be set up"),
    (
        (
            "terminating connection",
            "server closed the connection",
            "shutting down",
            "starting up",
            "consuming input failed",
            "connection is lost",
            "the connection is closed",
            "connection is bad",
        ),
        "the connection was lost (the server restarted or ended the session)",
    ),
    (("permission denied",), "user {user!r} lacks a permission the ledger needs"),
)


def cannot_use(url: str, exc: BaseException) -> LedgerError:
    """The error of a database that cannot be opened as the ledger: nothing was sent."""
    return LedgerError(
        f"Cannot use the shared ledger at {shown_database(url)}: {failure(exc, url)}. "
        "Check that the database is running and the URL (FREESORA_JOURNAL or the "
        "profile's `journal`) is right; nothing was sent."
    )


def failure(exc: BaseException, url: str) -> str:
    """`exc` (a psycopg error, or the pool's) in words that never quote the URL."""
    sqlstate = getattr(exc, "sqlstate", None) or ""
    # The server's answer on a working session (it never holds the URL); classes 08 and 57
    # (connection lost, server shutting down) are said below like the client's own failures.
    if sqlstate and not sqlstate.startswith(("08", "57")):
        primary = getattr(getattr(exc, "diag", None), "message_primary", None)
        return f"the database refused it: {primary or 'SQLSTATE ' + sqlstate}"
    if not _readable(url):
        return (
            "the URL could not be read (a character in it must be percent-escaped, "
            "e.g. %40 for @, or a parameter is unknown)"
        )
    text = str(exc)
    parts = database_parts(url) or {}
    names = {"user": parts.get("user", "(default)"), "dbname": parts.get("dbname", "")}
    for word, said in MISSING:
        if word in text and "does not exist" in text:
            return said.format(**names)
    for words, said in KNOWN:
        if any(word in text for word in words):
            return said.format(**names)
    return f"it could not be used ({type(exc).__name__})"


def _readable(url: str) -> bool:
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url.strip())
    except Error:
        return False
    return True
