"""Load and validate everything under tips/, with errors that name the file, entry and field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.content.catalog import Catalogs, load_catalogs
from bot.content.errors import ContentError, read_yaml
from bot.content.models import (
    Clinic,
    ClinicsFile,
    FaqEntry,
    FaqFile,
    Program,
    SmallTalkFile,
    Tip,
    TipsFile,
    UrgentFile,
    UrgentSign,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Content:
    """Everything the bot says, validated."""

    tips: tuple[Tip, ...]
    faq: tuple[FaqEntry, ...]
    clinics: tuple[Clinic, ...]
    urgent: tuple[UrgentSign, ...]
    catalogs: Catalogs
    program: Program
    smalltalk: SmallTalkFile | None = None  # tips/smalltalk.yaml, when the folder has one

    def tip(self, tip_id: str) -> Tip | None:
        """Return the tip with this id, if any."""
        return next((t for t in self.tips if t.id == tip_id), None)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        """Return the FAQ entry with this id, if any."""
        return next((e for e in self.faq if e.id == entry_id), None)

    def clinic(self, clinic_id: str) -> Clinic | None:
        """Return the branch with this id, if any."""
        return next((c for c in self.clinics if c.id == clinic_id), None)


def load_content(tips_dir: Path) -> Content:
    """Load tips/, collecting every problem before refusing."""
    problems: list[str] = []
    tips: list[Tip] = []
    tip_files = sorted((tips_dir / "tips").glob("*.yaml"))
    if not tip_files:
        problems.append(f"{tips_dir / 'tips'}: no tip files (*.yaml) found")
    seen: dict[str, Path] = {}
    for path in tip_files:
        parsed = _collect(problems, load_model, path, TipsFile)
        for tip in parsed.tips if parsed else ():
            if tip.id in seen:
                problems.append(f"{path}: tip {tip.id!r}: id already used in {seen[tip.id]}")
            seen[tip.id] = path
            tips.append(tip)
    faq = _collect(problems, load_model, tips_dir / "faq.yaml", FaqFile)
    clinics = _collect(problems, load_model, tips_dir / "clinics.yaml", ClinicsFile)
    urgent = _collect(problems, load_model, tips_dir / "urgent.yaml", UrgentFile)
    catalogs = _collect(problems, load_catalogs, tips_dir / "messages")
    program = _collect(problems, load_model, tips_dir / "schedule.yaml", Program)
    smalltalk_path = tips_dir / "smalltalk.yaml"
    smalltalk = (
        _collect(problems, load_model, smalltalk_path, SmallTalkFile)
        if smalltalk_path.exists()
        else None
    )
    if program is not None:
        problems.extend(program_problems(tips_dir / "schedule.yaml", program, tips))
    if faq is not None and catalogs is not None:
        problems.extend(_missing_group_names(tips_dir / "messages", faq.faq, catalogs))
    if problems:
        raise ContentError(problems)
    assert faq is not None and clinics is not None and catalogs is not None and urgent is not None
    assert program is not None
    return Content(
        tuple(tips), faq.faq, clinics.clinics, urgent.urgent, catalogs, program, smalltalk
    )


def program_problems(path: Path, program: Program, tips: list[Tip] | tuple[Tip, ...]) -> list[str]:
    """A program may only name tips that exist, and every topic it uses needs tips."""
    problems: list[str] = []
    ids = {t.id for t in tips}
    topics = {t.topic for t in tips}
    for override in program.dates:
        if override.tip is not None and override.tip not in ids:
            problems.append(f"{path}: dates: {override.date}: unknown tip {override.tip!r}")
    used = [v for v in program.weekdays.values() if v != "mix"] + list(program.mix)
    used += [d.topic for d in program.dates if d.topic is not None]
    for topic in sorted({str(t) for t in used}):
        if topic not in topics:
            problems.append(f"{path}: topic {topic!r} has no tips")
    return problems


def _missing_group_names(folder: Path, faq: tuple[FaqEntry, ...], catalogs: Catalogs) -> list[str]:
    """Every FAQ menu group needs a name in the catalogs (faq_group_<topic>)."""
    groups = sorted({entry.topic for entry in faq})
    return [
        f"{folder / 'en.yaml'}: faq_group_{group}: missing (FAQ entries use topic {group!r})"
        for group in groups
        if f"faq_group_{group}" not in catalogs.keys("en")
    ]


def load_model(path: Path, model: type[M]) -> M:
    """Parse one YAML file into `model`, raising ContentError that points at the entry."""
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentError([_describe(path, data, err) for err in exc.errors()]) from None


def _collect(problems: list[str], func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except ContentError as exc:
        problems.extend(exc.problems)
        return None


def _describe(path: Path, data: Any, error: Mapping[str, Any]) -> str:
    loc = list(error["loc"])
    entry = ""
    # loc looks like ("faq", 3, "text", "ms", "answer"): name the entry by its id when it has one.
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
        items = data.get(str(loc[0]))
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        entry = f"entry {loc[1] + 1}" + (f" ({ident!r})" if ident else "") + ": "
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}: {entry}{field}: {message}"
