"""The command line (`gutskin-bot`): one module per command group.

`commands` holds the top-level parser and `main` with run, sandbox, db and content; `admin` and
`broadcast` their command groups; `sandbox` runs the bot against the local sandbox. `main` is
also importable from this package (the console script of older installs asks for it here); it is
looked up lazily so that importing one command group does not load the others.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "main":
        from bot.cli.commands import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
