"""The admin doors of a built application, found by walking the handlers it registers (so
a handler added to the admin console is found without being listed anywhere): the tests of
tests/inprocess/test_admin_doors.py and tests/e2e/test_admin_doors.py walk them."""

from __future__ import annotations

import re
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.handlers.admin.auth import PREFIX
from bot.handlers.commands import COMMANDS
from bot.runtime.app import AnyApplication


def handlers(app: AnyApplication) -> list[BaseHandler[Any, Any, Any]]:
    """Every handler the application registered, in all groups."""
    return [handler for group in app.handlers.values() for handler in group]


def pattern_of(handler: BaseHandler[Any, Any, Any]) -> str | None:
    """The callback pattern of a handler, as a string (None: it has none)."""
    pattern = getattr(handler, "pattern", None)
    return getattr(pattern, "pattern", pattern) if pattern is not None else None


def admin_commands(app: AnyApplication) -> list[str]:
    """Every command registered that is not one of the public commands users are shown."""
    found = {
        command
        for handler in handlers(app)
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    return sorted(found - set(COMMANDS))


def admin_patterns(app: AnyApplication) -> list[str]:
    """Every callback pattern that admin buttons (`adm:`) match, whatever handler holds it."""
    patterns = []
    for handler in handlers(app):
        pattern = pattern_of(handler)
        admin = isinstance(pattern, str) and pattern.lstrip("^(").startswith(PREFIX)
        if isinstance(handler, CallbackQueryHandler) and admin:
            patterns.append(str(pattern))
    return patterns


def example(pattern: str) -> str:
    """The simplest callback data the pattern matches (as a crafted or forwarded press):
    each repeat its fewest times (once when it may be absent), each set and branch its first
    choice. (Hypothesis's `find` on `from_regex` gives the same strings, ~0.15 s each.)"""
    data = "".join(_simplest(_parser.parse(pattern)))
    assert re.match(pattern, data) and len(data.encode()) <= 64, (pattern, data)
    return data


def _simplest(items: Any) -> list[str]:
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.extend(_simplest(arg[:1]))
        elif name == "RANGE":
            out.append(chr(arg[0]))
        elif name == "CATEGORY":
            out.append("0" if "DIGIT" in str(arg) else "a")
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.extend(_simplest(sub) * max(low, 1))
        elif name == "SUBPATTERN":
            out.extend(_simplest(arg[-1]))
        elif name == "BRANCH":
            out.extend(_simplest(arg[1][0]))
        elif name != "AT":
            raise ValueError(f"no simplest string for {name} in a pattern")
    return out


def uses(tree: object, wanted: object) -> bool:
    """Whether a (possibly combined) PTB filter contains `wanted`."""
    if tree is wanted:
        return True
    parts = [getattr(tree, name, None) for name in ("base_filter", "and_filter", "or_filter")]
    return any(part is not None and uses(part, wanted) for part in parts)
