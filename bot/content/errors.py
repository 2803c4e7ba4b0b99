"""Content errors and the YAML reader every content file goes through."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml


class ContentLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so `on:`, `no` and `yes` stay text."""


ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ContentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class ContentError(Exception):
    """Content that cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else self._summary())

    def _summary(self) -> str:
        return f"{len(self.problems)} problems in content: " + "; ".join(self.problems)


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning I/O and syntax errors into ContentError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([f"{path}: cannot be read ({exc})"]) from None
    try:
        return yaml.load(text, Loader=ContentLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError([f"{path}: {where}invalid YAML: {problem}"]) from None
