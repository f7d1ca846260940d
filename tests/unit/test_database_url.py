"""The one redaction of a PostgreSQL ledger's URL: user, hosts, ports and database, never the
password, however the URL is written; with psycopg (libpq's own rules) and without it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from freesora.config import load_settings, shown_database
from freesora.errors import ConfigError

S = "Zq7secretPW"
UNREADABLE = "postgresql://(a URL that could not be read)"
SHOWN = {
    f"postgresql://u:{S}@h/db": "postgresql://u@h/db",
    f"postgresql://u@h:5433/db?password={S}": "postgresql://u@h:5433/db",
    f"postgresql://u:{S}#1?2@h/db": "postgresql://u@h/db",
    f"postgresql://u:{S}%2F%40@h/db": "postgresql://u@h/db",
    f"postgresql://u:{S}@h1:5432,h2:5433/db": "postgresql://u@h1:5432,h2:5433/db",
    f"postgresql://u:{S}@[::1]:5432/db": "postgresql://u@[::1]:5432/db",
    f"postgres://u@/db?host=/run/postgresql&password={S}": "postgresql://u@%2Frun%2Fpostgresql/db",
    f"postgresql://h/db?user=u&password={S}&sslpassword={S}": "postgresql://u@h/db",
    f"postgresql://u@h/db?password={S}@x": "postgresql://u@h/db",
    # libpq refuses these (its error text quotes the password): read cautiously instead.
    f"postgresql://u:{S}%zz@h/db": "postgresql://u@h/db",
    f"postgresql://u:{S} 1@h/db": "postgresql://u@h/db",
    # An unescaped / or @ in the password moves part of it into the host or database.
    f"postgresql://u:pa/{S}@h/db": UNREADABLE,
    f"postgresql://u:{S}@x@h/db": UNREADABLE,
}

WITHOUT_PSYCOPG = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("psycopg", "psycopg_pool"):
            raise ModuleNotFoundError("No module named " + repr(name), name=name)
sys.meta_path.insert(0, Block())
from freesora.config import shown_database
print(json.dumps([shown_database(url) for url in json.loads(sys.argv[1])]))
"""


@pytest.mark.parametrize(("url", "shown"), list(SHOWN.items()))
def test_a_database_url_is_shown_as_user_hosts_and_database(url: str, shown: str) -> None:
    assert shown_database(url) == shown
    assert S not in shown_database(url)


def test_without_psycopg_the_same_urls_are_shown_alike() -> None:
    """The farm extra missing: the error saying so names the location, still safely."""
    urls = list(SHOWN)
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, json.dumps(urls)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == [SHOWN[url] for url in urls]


MISSING_DRIVER = WITHOUT_PSYCOPG.split("from freesora")[0] + (
    "import asyncio\nfrom freesora.ledger import open_ledger\n"
    "from freesora.errors import ConfigError\n"
    "try:\n    asyncio.run(open_ledger(sys.argv[1]))\n"
    "except ConfigError as exc:\n    print(exc)\n"
)


def test_a_missing_driver_names_the_database_without_its_password() -> None:
    url = f"postgresql://farm:{S}#x@db.example:5432/freesora?password={S}"
    out = subprocess.run(
        [sys.executable, "-c", MISSING_DRIVER, url], capture_output=True, text=True, check=True
    )
    assert "postgresql://farm@db.example:5432/freesora" in out.stdout
    assert "requirements-postgres.txt" in out.stdout
    assert S not in out.stdout + out.stderr


def settings_with(tmp_path: Path, journal: str) -> dict[str, str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"profiles": {"farm": {"journal": journal}}}))
    return {"FREESORA_CONFIG": str(path)}


@pytest.mark.parametrize(
    "journal",
    [
        f"postgresql://farm:{S}#1?2@h/freesora",  # was refused: `#` read as a fragment
        f"postgresql://farm:{S}@h1:5432,h2:5433/freesora",
        f"postgresql://farm@h?dbname=freesora&password={S}",
    ],
)
def test_a_journal_url_libpq_reads_is_accepted_and_its_password_not_in_the_settings_repr(
    tmp_path: Path, journal: str
) -> None:
    settings = load_settings("farm", settings_with(tmp_path, journal))
    assert settings.journal == journal
    assert S not in repr(settings)


def test_a_journal_url_with_an_unescaped_slash_in_its_password_is_refused_saying_why(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="percent-escaped") as caught:
        load_settings("farm", settings_with(tmp_path, f"postgresql://farm:pa/{S}@h/freesora"))
    assert S not in str(caught.value)
