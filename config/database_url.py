"""A PostgreSQL ledger's URL as it may be shown: its user, hosts, ports and database, nothing more.

The one redaction of a database location: the ledger's `where` (history, the CLI, Task History),
its errors and logs all go through `shown_database`. A password may sit in the URL's user part
(with `#`, `?` or `/` in it, escaped or not) or in a parameter (`?password=`), and libpq's own
error text repeats what it could not read, so nothing of the URL is shown but what is parsed
out of it by libpq's rules: psycopg's conninfo when psycopg is installed, else (the farm extra
missing, as the error saying so names the location) `_read_cautiously`, which shows nothing it
is unsure of.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote

DATABASE_SCHEMES = ("postgresql", "postgres")
SHOWN_KEYS = ("user", "host", "port", "dbname")  # never a password, passfile or key file
UNREADABLE = "postgresql://(a URL that could not be read)"


def is_database_url(location: str) -> bool:
    """A PostgreSQL ledger (`postgresql://user@host:port/dbname`), not a file path."""
    scheme, sep, _ = location.strip().partition("://")
    return bool(sep) and scheme.lower() in DATABASE_SCHEMES


def database_parts(url: str) -> dict[str, str] | None:
    """User, host(s), port(s) and database of `url` as libpq reads it; None if unreadable."""
    try:
        from psycopg import Error
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # the farm extra is not installed
        return _read_cautiously(url)
    try:
        parsed = conninfo_to_dict(url.strip())
    except Error:  # libpq refuses it (a bad escape, a space): its text repeats the URL
        return _read_cautiously(url)
    return _sure({key: str(parsed[key]) for key in SHOWN_KEYS if parsed.get(key)})


def _sure(parts: dict[str, str]) -> dict[str, str] | None:
    """`parts`, unless they look misread: an unescaped `/` or `@` in a password moves part of
    it into the host, port or database (`u:pa/ss@h/db` reads as host `u`, port `pa`)."""
    if "@" in parts.get("host", "") + parts.get("dbname", ""):
        return None
    if parts.get("port", "").replace(",", "").isdigit() or not parts.get("port"):
        return parts
    return None


def shown_database(url: str) -> str:
    """`postgresql://user@host:port/dbname` of `url`: never its password or parameters."""
    parts = database_parts(url)
    return UNREADABLE if parts is None else _format(parts)


def _format(parts: Mapping[str, str]) -> str:
    hosts = parts.get("host", "").split(",")
    ports = parts.get("port", "").split(",")
    shown = []
    for n, host in enumerate(hosts):
        port = ports[n] if n < len(ports) else ports[0]  # one port may serve every host
        if host.startswith("/"):  # a Unix socket folder, escaped as libpq reads it back
            host = quote(host, safe="")
        elif ":" in host:  # an IPv6 address
            host = f"[{host}]"
        shown.append(host + (f":{port}" if port else ""))
    user = quote(parts["user"], safe="") + "@" if parts.get("user") else ""
    return f"postgresql://{user}{','.join(shown)}/{quote(parts.get('dbname', ''), safe='')}"


def _read_cautiously(url: str) -> dict[str, str] | None:
    """libpq's URL rules, read without libpq: the user part ends at the first `@` before any
    `/`; parameters follow the first `?` after it. A URL these rules leave unsure (an `@` left
    in the hosts or path: a password with an unescaped `/` or `@`) shows nothing (`_sure`)."""
    _, sep, rest = url.strip().partition("://")
    if not sep:
        return None
    ends = [at for at in (rest.find("@"), rest.find("/")) if at >= 0]
    userinfo = ""
    if ends and rest[min(ends)] == "@":
        userinfo, rest = rest[: min(ends)], rest[min(ends) + 1 :]
    place, _, query = rest.partition("?")
    hostspec, _, dbname = place.partition("/")
    hosts, ports = [], []
    for item in hostspec.split(","):
        host, port = _host_port(item)
        hosts.append(unquote(host))
        ports.append(port)
    parts = {"user": unquote(userinfo.partition(":")[0]), "dbname": unquote(dbname)}
    parts |= {"host": ",".join(hosts), "port": ",".join(ports)}
    for key, value in parse_qsl(query):  # what libpq reads from parameters: it wins
        if key in SHOWN_KEYS:
            parts[key] = value
    return _sure({key: value for key, value in parts.items() if value.strip(",")})


def _host_port(item: str) -> tuple[str, str]:
    if item.startswith("["):  # [IPv6]:port
        host, _, after = item[1:].partition("]")
        return host, after.removeprefix(":")
    host, _, port = item.partition(":")
    return host, port
