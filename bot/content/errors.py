"""Content errors and the YAML reader every content file goes through.

Content YAML is bounded, because admins paste and upload it into a running bot: a size
limit before parsing, no anchors or aliases (a few hundred bytes of nested aliases expand
to gigabytes: the "billion laughs"), and every error line cut to a readable length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

MAX_YAML_BYTES = 1_000_000
"""The largest content file read (tips/faq.yaml, the biggest, is about 80 KB)."""
MAX_PROBLEM_CHARS = 300
"""An error line longer than this is cut: a problem names a place, it does not quote files."""
MAX_PROBLEMS = 50
"""At most this many problems are kept; the rest are counted in one last line."""
MAX_DEPTH = 20
"""The deepest nesting read (the FAQ, the deepest file, nests 5 levels)."""


class _OneKeyOnce:
    """Refuse a key written twice in one mapping: YAML keeps the last one silently, so a second
    `not_when:` in a sign dropped the first list unseen (found in session 8)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{key!r} is written twice in one place (first on line {seen[key] + 1}); "
                    "keep one and merge what they hold",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class ContentLoader(_OneKeyOnce, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false, so `on:`, `no` and `yes` stay
    text) that refuses anchors and aliases before they are expanded, and a key written twice."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Refuse an alias (`*name`) or an anchor (`&name`) where it stands, and nesting
        deeper than any content file needs (it would end in a RecursionError)."""
        event = self.peek_event()  # type: ignore[no-untyped-call]
        problem = None
        if isinstance(event, AliasEvent) or (
            isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None
        ):
            problem = (
                "anchors and aliases (&name, *name) are not allowed in content; "
                "write each value out"
            )
        elif self._depth >= MAX_DEPTH:
            problem = f"nested more than {MAX_DEPTH} levels deep"
        if problem is not None:
            raise yaml.composer.ComposerError(
                None,
                None,
                problem,
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ContentLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


if yaml.__with_libyaml__:

    class _FastContentLoader(_OneKeyOnce, yaml.CSafeLoader):
        """ContentLoader's rules on libyaml's parser: about 50 times faster on tips/faq.yaml
        (a second of start-up and of every content test, in pure Python)."""

    _FastContentLoader.yaml_implicit_resolvers = ContentLoader.yaml_implicit_resolvers


def _fast_load(text: str) -> tuple[bool, Any]:
    """(True, data) when libyaml reads `text` cleanly and it has no anchor, alias or nesting
    beyond MAX_DEPTH (checked on the event stream, before anything is built); (False, None)
    otherwise, so that the pure-Python ContentLoader reports the problem in its own words."""
    if not yaml.__with_libyaml__:
        return False, None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, AliasEvent):
                return False, None
            if isinstance(event, ScalarEvent | CollectionStartEvent):
                if event.anchor is not None or depth >= MAX_DEPTH:
                    return False, None
                if isinstance(event, CollectionStartEvent):
                    depth += 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
        return True, yaml.load(text, Loader=_FastContentLoader)  # noqa: S506 - CSafeLoader
    except yaml.YAMLError:
        return False, None


class ContentError(Exception):
    """Content that cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        kept = [_cut(p) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            kept.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = tuple(kept)
        super().__init__(self.problems[0] if len(self.problems) == 1 else self._summary())

    def _summary(self) -> str:
        return f"{len(self.problems)} problems in content: " + "; ".join(self.problems)


def _cut(problem: str) -> str:
    if len(problem) <= MAX_PROBLEM_CHARS:
        return problem
    return problem[: MAX_PROBLEM_CHARS - 1] + "…"


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning I/O, size and syntax errors into ContentError."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ContentError(
                [f"{path}: too large ({size:,} bytes; the limit is {MAX_YAML_BYTES:,})"]
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([f"{path}: cannot be read ({exc})"]) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str) -> Any:
    """Parse content YAML held in memory, naming it `name` in errors."""
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        raise ContentError([f"{name}: too large (the limit is {MAX_YAML_BYTES:,} bytes)"])
    clean, data = _fast_load(text)
    if clean:
        return data
    try:
        return yaml.load(text, Loader=ContentLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError([f"{name}: {where}invalid YAML: {problem}"]) from None
