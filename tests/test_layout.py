"""The layout's rules: the bot never depends on its sandbox, and the sandbox on nothing of the bot
but the Telegram-HTML library and the clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.slow  # a subprocess importing the whole bot
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


def bot_modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in sorted(BOT.rglob("*.py"))
        if not p.is_relative_to(BOT / "db" / "migrations")
    }


def import_graph() -> dict[str, set[str]]:
    """Module -> the bot modules it imports, anywhere in the file (a lazy import inside a function
    only hides a cycle), except under `if TYPE_CHECKING:`. `from a.b import c` is an edge to the
    module `a.b.c` when there is one, else to `a.b`."""
    modules = bot_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        type_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for stmt in node.body
            for n in ast.walk(stmt)
        }
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a path [a, b, ..., a], or [] when there is none."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_of_the_bot_imports_itself_round_a_cycle() -> None:
    graph = import_graph()
    assert sum(len(v) for v in graph.values()) > 200  # the graph really holds the imports
    assert find_cycle(graph) == []


def capability(module: str) -> str:
    """bot.faq.matcher -> bot.faq; top-level modules (bot.config) are their own."""
    return ".".join(module.split(".")[:2])


def test_no_capability_folder_depends_on_itself_through_another() -> None:
    packages: dict[str, set[str]] = {}
    for module, imports in import_graph().items():
        here = capability(module)
        packages.setdefault(here, set()).update(capability(m) for m in imports)
        packages[here].discard(here)
    assert "bot.content" in packages["bot.faq"]  # the graph really sees packages
    assert find_cycle(packages) == []


def test_the_schedule_is_pure() -> None:
    # bot/schedule/ is table-tested in microseconds: no database, no Telegram.
    files = sorted((BOT / "schedule").glob("*.py"))
    assert len(files) >= 2
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        roots = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        roots |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        impure = {m for m in roots if m.split(".")[0] in ("sqlalchemy", "telegram")}
        impure |= {m for m in roots if m.startswith(("bot.db", "bot.handlers", "bot.runtime"))}
        assert impure == set(), f"{path.relative_to(ROOT)} imports {sorted(impure)}"
