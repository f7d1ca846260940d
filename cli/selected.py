"""The settings a command's `--profile` and `--journal` select (given before or after it)."""

from __future__ import annotations

import argparse

from ..config import Settings, load_settings
from ..errors import ConfigError


def settings_of(args: argparse.Namespace) -> Settings:
    """The profile's settings, its journal replaced by `--journal` when given."""
    return load_settings(args.profile, journal=args.journal)


def flags_of(args: argparse.Namespace) -> str:
    """The flags that select the same profile and journal from any folder, for a command a
    message prints (" --journal PATH", with a space first); "" when the settings are unusable
    (the error that says so is the message then)."""
    from ..facade import FreeSora
    from ..ledger import journal_flags

    try:
        settings = settings_of(args)
    except ConfigError:
        return ""
    return " " + journal_flags(FreeSora.journal_location(settings=settings), settings.profile)
