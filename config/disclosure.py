"""What a caller may be told: everything at the machine itself; elsewhere, no location and no
other profile's name.

A caller elsewhere (a LAN user, a tunnel's or a proxy's visitor, whoever queued a prompt) is
told no filesystem path, no database location and no name of a profile it did not give: the
config file is named by its role, a video by its file name (as ComfyUI's own `/view` names it),
any other path or database by what it is. `Caller` is that one decision; the routes make one
per request (`routes/guard.py` says who sits at the machine), and queue-time checks speak
to a caller elsewhere, since ComfyUI does not tell them who queued. May import only `errors`
and the rest of `config`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, UnknownProfileError
from .key_form import check_profile_name
from .settings import DEFAULT_PROFILE, config_path, load_settings

CONFIG_FILE = "the FreeSora config file"
A_PATH = "(a path on the ComfyUI machine)"
A_DATABASE = "(the ledger's database)"
UNKNOWN_PROFILE = "This profile is not in the FreeSora config file yet: storing a key adds it."
# Messages say "the config file <path>": once the path is named by its role, say it once.
_ROLE_TWICE = re.compile(r"\b([Tt])he (?:FreeSora )?config file the FreeSora config file")
_DATABASE_URL = re.compile(r"(?i)postgres(?:ql)?://")
_EXAMPLE_DATABASE = re.compile(r"(?i)postgres(?:ql)?://user@host[:/]")  # the form messages show
_OPENING, _CLOSING = "'\"([{<`", "'\".,:;!?)]}>`"


@dataclass(frozen=True)
class Caller:
    """Who asked, and so what an answer may name. `here`: the caller sits at the machine
    itself (routes/guard.py's `from_this_machine`); `env` locates the config file."""

    here: bool
    env: Mapping[str, str] | None = None

    def told(self, what: str | BaseException) -> str:
        """A message (or an error's) as this caller may read it."""
        if self.here:
            return str(what)
        if isinstance(what, UnknownProfileError) and what.profile is not None:
            return unknown_profile(what.profile)
        return without_locations(str(what), self.env)

    def file(self, path: str | None) -> str | None:
        """A file as this caller may see it: elsewhere its name only, whichever OS wrote it."""
        if path is None or self.here:
            return path
        return re.split(r"[\\/]", path)[-1]

    def config_file(self) -> str | None:
        """The config file's path, for the machine itself only."""
        return str(config_path(self.env)) if self.here else None


def unknown_profile(profile: str) -> str:
    """An unknown profile said to a caller elsewhere: named as given (unless it may be a pasted
    key), the profiles there are not."""
    try:
        name = check_profile_name(profile)
    except ConfigError as exc:  # never repeated: it may be a pasted key
        return str(exc)
    return (
        f"profile {name!r} is not in {CONFIG_FILE}: check the name, or store a key for it "
        f"(Settings → FreeSora in ComfyUI, or `freesora --profile {name} key set` on the "
        "ComfyUI machine)"
    )


def without_locations(message: str, env: Mapping[str, str] | None = None) -> str:
    """`message` with the config file named by its role and any other path or database by
    what it is. A path may hold spaces (`C:\\Users\\Jane Doe\\...`): the word after a hidden
    path is hidden too when it carries a separator, and a run of hidden words is said once."""
    text = message.replace(str(config_path(env)), CONFIG_FILE)
    text = _ROLE_TWICE.sub(r"\1he FreeSora config file", text)
    words = re.split(r"(\s+)", text)
    hidden_before = False
    for n in range(0, len(words), 2):
        head, core, tail = _trimmed(words[n])
        said = _said_instead(core, hidden_before)
        hidden_before = said == A_PATH
        if said is not None:
            words[n] = head + said + tail
    shown = "".join(words)
    run = re.escape(A_PATH)
    return re.sub(rf"{run}(?:\s+{run})+", A_PATH, shown)


def _trimmed(word: str) -> tuple[str, str, str]:
    core = word.lstrip(_OPENING)
    head = word[: len(word) - len(core)]
    inner = core.rstrip(_CLOSING)
    return head, inner, core[len(inner) :]


def _said_instead(word: str, after_a_path: bool) -> str | None:
    """What a caller elsewhere reads instead of `word`, or None to show it."""
    if _DATABASE_URL.match(word):
        return None if _EXAMPLE_DATABASE.match(word) else A_DATABASE
    if word.lower().startswith("file:"):
        return A_PATH
    if "://" in word or len(word) < 2:
        return None  # a web address (the service's, a link) is no place on this machine
    separated = "/" in word or "\\" in word
    rooted = word.startswith(("/", "~/", "~\\")) or re.match(r"[A-Za-z]:[\\/]", word) is not None
    if rooted or "\\" in word or word.count("/") >= 2 or (after_a_path and separated):
        return A_PATH
    return None


def key_status(profile: str | None, caller: Caller) -> dict[str, Any]:
    """Whether a key is set for `profile` and where it comes from: no key material at all.

    What the key form needs and no more: a missing profile is named, not the profiles there;
    a broken config file as `caller` may read it.
    """
    name = profile or DEFAULT_PROFILE
    try:
        settings = load_settings(name, caller.env)
    except UnknownProfileError:
        return {"set": False, "source": None, "profile": name, "problem": UNKNOWN_PROFILE}
    except ConfigError as exc:
        return {"set": False, "source": None, "profile": name, "problem": caller.told(exc)}
    source = None
    if settings.api_key is not None:
        source = "environment" if settings.key_source.startswith("environment") else "config file"
    return {"set": settings.api_key is not None, "source": source, "profile": name}


def profile_problem(profile: str, env: Mapping[str, str] | None = None) -> str | None:
    """Why `profile` cannot be used, for queue-time checks, or None.

    Said as to a caller elsewhere: the answer goes to whoever queued the prompt, and ComfyUI
    does not say who that is.
    """
    try:
        load_settings(profile.strip() or None, env)
    except ConfigError as exc:
        return f"profile: {Caller(here=False, env=env).told(exc)}"
    return None
