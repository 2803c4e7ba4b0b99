"""What every command group's parser shares."""

from __future__ import annotations

from typing import Any


def command_group(subparsers: Any, name: str, help: str) -> Any:
    """A command (`gutskin-bot NAME ACTION ...`) whose actions are subcommands of its own."""
    return subparsers.add_parser(name, help=help).add_subparsers(required=True, metavar="ACTION")
