"""`freesora --help` explains every option of every subcommand: none is listed bare."""

from __future__ import annotations

import argparse

from freesora.cli.arguments import build_parser


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = {"freesora": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update({f"freesora {name}": sub for name, sub in action.choices.items()})
    return found


def test_every_option_and_argument_has_help_text() -> None:
    bare = [
        f"{prog} {action.dest}"
        for prog, parser in _parsers().items()
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert bare == []
