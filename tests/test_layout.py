"""The layout's rules: the bot never depends on its sandbox, and the sandbox on nothing of the bot
but the Telegram-HTML library and the clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BOT = ROOT / "bot"
SANDBOX_MAY_IMPORT = {"bot.telegram_html", "bot.clock"}
# The one place outside the sandbox that loads it: the `gutskin-bot sandbox` command, which
# `bot.cli.commands` imports only when that command runs.
SANDBOX_LOADERS = {BOT / "cli" / "sandbox.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The `bot` modules a file imports (`from bot import x` counts as `bot.x`)."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def is_sandbox(name: str) -> bool:
    return name == "bot.sandbox" or name.startswith("bot.sandbox.")


def test_the_sandbox_imports_nothing_of_the_bot_but_telegram_html_and_the_clock() -> None:
    files = sorted((BOT / "sandbox").rglob("*.py"))
    assert len(files) > 5
    seen: set[str] = set()
    for path in files:
        names = imported(path)
        seen |= names
        # `from bot.sandbox.x import Name` also yields "bot.sandbox.x.Name": fine, still sandbox
        outside = {n for n in names if not is_sandbox(n) and n != "bot"}
        # `from bot.clock import Clock` yields "bot.clock" and "bot.clock.Clock"
        outside = {n for n in outside if not any(n.startswith(m) for m in SANDBOX_MAY_IMPORT)}
        assert outside == set(), f"{path.relative_to(ROOT)} imports {sorted(outside)}"
    assert seen >= SANDBOX_MAY_IMPORT  # the check really sees the sandbox's imports


def test_nothing_of_the_bot_but_the_sandbox_command_imports_the_sandbox() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        if path.is_relative_to(BOT / "sandbox") or path in SANDBOX_LOADERS:
            continue
        if any(is_sandbox(name) for name in imported(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert any(is_sandbox(n) for p in SANDBOX_LOADERS for n in imported(p))


def test_running_the_bot_does_not_load_the_sandbox() -> None:
    # What `gutskin-bot run` imports: the command line and the application it builds.
    code = (
        "import sys, bot.cli.commands, bot.runtime.app;"
        "loaded = sorted(m for m in sys.modules if m.startswith('bot.'));"
        "print(' '.join(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    assert "bot.runtime.app" in loaded and "bot.handlers.admin" in loaded
    assert [m for m in loaded if is_sandbox(m)] == []
