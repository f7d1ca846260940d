"""The settings a command's `--profile` and `--journal` select (given before or after it)."""

from __future__ import annotations

import argparse

from ..config import Settings, load_settings


def settings_of(args: argparse.Namespace) -> Settings:
    """The profile's settings, its journal replaced by `--journal` when given."""
    return load_settings(args.profile, journal=args.journal)
