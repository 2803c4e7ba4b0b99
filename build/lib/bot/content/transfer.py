"""Content files in memory: read an uploaded or pasted YAML with the loader's own rules, and
write the current content back out in the same format as tips/. No Telegram here.

Tip and FAQ texts are plain text (the cards add the formatting and escape every value), so
HTML tags in them are refused with a clear error instead of showing up as literal tags.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, HttpUrl, TypeAdapter, ValidationError

from bot.content.catalog import Catalogs
from bot.content.errors import MAX_YAML_BYTES, ContentError, read_yaml
from bot.content.loader import load_model
from bot.content.models import (
    FaqEntry,
    FaqFile,
    Id,
    Program,
    Tip,
    TipsFile,
    TipText,
)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Kind = Literal["tips", "faq", "schedule"]
TIP_FIELDS: tuple[str, ...] = ("title", "body", "try_today")
MAX_UPLOAD_BYTES = MAX_YAML_BYTES
PARSE_SECONDS = 10.0
"""How long a pasted or uploaded file may take to check (the 80 KB FAQ takes ~0.3 s)."""
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TOP_KEYS: dict[str, Kind] = {"tips": "tips", "faq": "faq", "weekdays": "schedule"}


@dataclass(frozen=True)
class Parsed:
    """A validated content file: tips, FAQ entries, or the program."""

    kind: Kind
    tips: tuple[Tip, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    program: Program | None = None


async def off_loop(name: str, func: Callable[..., T], *args: object) -> T:
    """Run a parse in a thread so that the bot keeps answering, within PARSE_SECONDS.

    A thread cannot be stopped: one that overruns finishes in the background while the
    admin is told, which the size limit and the refused aliases keep rare and short.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(func, *args), PARSE_SECONDS)
    except TimeoutError:
        raise ContentError(
            [f"{name}: took longer than {PARSE_SECONDS:g} s to check; split it into smaller files"]
        ) from None


def parse_file(data: bytes, name: str, catalogs: Catalogs | None = None) -> Parsed:
    """Validate a whole tips, FAQ or schedule file; raise ContentError listing every problem.

    The kind comes from the top-level key (tips:, faq: or weekdays:), so any file name works.
    """
    name = Path(name).name or "upload.yaml"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ContentError([f"{name}: too large ({len(data):,} bytes; the limit is 1 MB)"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            raw = read_yaml(path)
            kind = _kind(name, raw)
            if kind == "tips":
                tips = _load(path, TipsFile, _entry_problems(name, raw, "tips", "tip")).tips
                return Parsed("tips", tips=tips)
            if kind == "faq":
                extra = _entry_problems(name, raw, "faq", "FAQ entry")
                faq = _load(path, FaqFile, extra).faq
                _refuse(faq_group_problems(name, faq, catalogs) if catalogs else [])
                return Parsed("faq", faq=faq)
            return Parsed("schedule", program=_load(path, Program, []))
        except ContentError as exc:
            raise ContentError([p.replace(str(path), name) for p in exc.problems]) from None


def parse_tip_snippet(text: str) -> tuple[Tip, ...]:
    """Validate pasted YAML: one tip, a list of tips, or a `tips:` file; every problem listed."""
    name = "snippet"
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        raise ContentError([f"{name}: too large (the limit is {MAX_YAML_BYTES:,} bytes)"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            raw = read_yaml(path)
            if isinstance(raw, dict) and "tips" not in raw:
                raw = [raw]
            if isinstance(raw, list):
                raw = {"tips": raw}
                path.write_text(yaml.safe_dump(raw, allow_unicode=True))
            elif not isinstance(raw, dict):
                raise ContentError([f"{name}: expected a tip (id:, topic:, text: ...)"])
            tips = _load(path, TipsFile, _entry_problems(name, raw, "tips", "tip")).tips
        except ContentError as exc:
            raise ContentError([p.replace(str(path), name) for p in exc.problems]) from None
    if not tips:
        raise ContentError([f"{name}: no tips in it"])
    return tips


def _load(path: Path, model: type[M], extra: list[str]) -> M:
    """load_model, plus problems the model finds only once every entry is valid (duplicate
    ids) or never (HTML in texts), so that one pass lists them all."""
    try:
        loaded = load_model(path, model)
    except ContentError as exc:
        raise ContentError([*exc.problems, *(p for p in extra if p not in exc.problems)]) from None
    _refuse(extra)
    return loaded


def _entry_problems(name: str, raw: Any, key: str, what: str) -> list[str]:
    """Duplicate ids and HTML tags in texts, read from the raw entries."""
    entries = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return []
    problems: list[str] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            continue
        ident = entry.get("id")
        if isinstance(ident, str):
            if ident in seen:
                problems.append(f"{name}: (top level): duplicate {what} id {ident!r}")
            seen.add(ident)
        texts = entry.get("text")
        for lang, wording in texts.items() if isinstance(texts, dict) else ():
            for field, value in wording.items() if isinstance(wording, dict) else ():
                problem = _tag_problem(value) if isinstance(value, str) else None
                if problem:
                    where = f"entry {number}" + (f" ({ident!r})" if ident else "")
                    problems.append(f"{name}: {where}: text.{lang}.{field}: {problem}")
    return problems


def check_tip_field(field: str, value: str) -> str | None:
    """Return why `value` cannot be a tip's `field` (title, body, try_today), or None."""
    filler = {"title": "Tip", "body": "x" * 40, "try_today": "x" * 10}
    try:
        TipText.model_validate({**filler, field: value})
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    return _tag_problem(value)


def check_tip_id(value: str) -> str | None:
    """Return why `value` cannot be a tip id, or None."""
    try:
        TypeAdapter(Id).validate_python(value)
    except ValidationError:
        return "use 2 to 56 lowercase letters, digits and dashes, starting with a letter or digit"
    return None


def check_source(value: str) -> str | None:
    """Return why `value` cannot be a tip's source link, or None."""
    try:
        TypeAdapter(HttpUrl).validate_python(value)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    return None


def faq_group_problems(name: str, faq: Iterable[FaqEntry], catalogs: Catalogs) -> list[str]:
    """Every FAQ menu group needs a name in the catalogs (faq_group_<topic>)."""
    known = catalogs.keys("en")
    groups = sorted({entry.topic for entry in faq})
    return [
        f"{name}: topic {group!r} has no menu name (faq_group_{group} in the catalogs)"
        for group in groups
        if f"faq_group_{group}" not in known
    ]


def with_text(tip: Tip, lang: str, field: str, value: str) -> Tip:
    """The tip with one text replaced (validated like a file's tip)."""
    data = tip_data(tip)
    data["text"][lang][field] = value
    return Tip.model_validate(data)


def with_review(tip: Tip, by: str, on: dt.date) -> Tip:
    """The tip marked reviewed by `by` on `on`."""
    data = tip_data(tip)
    data["review"] = {"status": "reviewed", "by": by, "on": on.isoformat()}
    return Tip.model_validate(data)


def tip_data(tip: Tip) -> dict[str, Any]:
    """A tip as plain data, in the schema of tips/tips/*.yaml."""
    return tip.model_dump(mode="json", exclude_defaults=True)


def faq_data(entry: FaqEntry) -> dict[str, Any]:
    """An FAQ entry as plain data, in the schema of tips/faq.yaml."""
    return entry.model_dump(mode="json", exclude_defaults=True)


def program_data(program: Program) -> dict[str, Any]:
    """The program as plain data, in the schema of tips/schedule.yaml."""
    data = program.model_dump(mode="json", exclude={"dates"})
    data["dates"] = [d.model_dump(mode="json", exclude_defaults=True) for d in program.dates]
    return data


def dump_tips(tips: Sequence[Tip], *, retired: int = 0, now: dt.datetime | None = None) -> str:
    """The tips as a tips/tips/*.yaml file."""
    note = (
        f"# {retired} retired tip(s) are not listed; importing this file keeps them retired.\n"
        if retired
        else ""
    )
    header = _header("tips", now) + note + "# Importing it makes these the active tips.\n"
    return header + _dump({"tips": [tip_data(t) for t in tips]})


def dump_faq(faq: Sequence[FaqEntry], *, now: dt.datetime | None = None) -> str:
    """The FAQ as a tips/faq.yaml file."""
    return _header("FAQ", now) + _dump({"faq": [faq_data(e) for e in faq]})


def dump_program(program: Program, *, now: dt.datetime | None = None) -> str:
    """The program as a tips/schedule.yaml file."""
    return _header("schedule", now) + _dump(program_data(program))


def _header(what: str, now: dt.datetime | None) -> str:
    stamp = f" on {now.strftime('%Y-%m-%d %H:%M')} UTC" if now else ""
    return f"# The bot's current {what}, exported{stamp}. Edit, then import it back.\n"


class _Dumper(yaml.SafeDumper):
    """Long texts folded (as in tips/), everything else plain, and never an anchor (content
    refuses them, so an exported file always imports)."""

    def ignore_aliases(self, data: Any) -> bool:
        """Write shared values out each time."""
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = ">" if len(value) > 80 and "\n" not in value and value == value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=88)


def _kind(name: str, raw: Any) -> Kind:
    keys = [k for k in _TOP_KEYS if isinstance(raw, dict) and k in raw]
    if len(keys) != 1:
        raise ContentError(
            [f"{name}: not a tips, FAQ or schedule file (it needs tips:, faq: or weekdays:)"]
        )
    return _TOP_KEYS[keys[0]]


def _tag_problem(value: str) -> str | None:
    found = _TAG.search(value)
    if found is None:
        return None
    return f"HTML tags are not allowed here (found {found.group()!r}); write plain text"


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ContentError(problems)
