"""Admins' content changes, stored in the database and merged over tips/. No Telegram here.

tips/ holds the defaults; what admins change (in Telegram or with `gutskin-bot tips import`)
is stored here and is what runs:
- content_tips: a tip added, edited (replacing the file's tip of the same id) or retired;
- content_settings: the program and the FAQ (whole, as JSON), the pause-all switch, the
  default send time, and `revision`, a fresh token written with every change.

The delivery tick asks for the content in use every 30 s on every replica (through
`bot.content.live`): one primary-key read of the revision, and a rebuild only when it moved.
Every change goes through one path that locks the revision row (so replicas and the command
line take turns), validates the whole resulting state, and writes it with its audit entry in
one transaction. The audit entry
holds the before and after of exactly what changed, so `undo` can put it back.

A change is plain JSON data (a "Change") with any of these keys:
  tips:      {tip id: {"tip": tip data or None (the file's wording), "retired": bool} | None}
  program:   program data, or None for the file's program
  faq:       a list of FAQ entry data, or None for the file's FAQ
  paused:    bool
  send_time: "HH:MM", or None for the setting DEFAULT_SEND_TIME
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.content.library import Library
from bot.content.loader import Content, program_problems
from bot.content.models import FaqEntry, FaqFile, Program, Tip
from bot.content.transfer import faq_data, program_data, tip_data
from bot.db.audit import audit
from bot.db.models import AuditEntry, ContentSetting, ContentTip

log = logging.getLogger(__name__)

Change = dict[str, Any]
Progress = Callable[[int, int], None]
REVISION, PROGRAM, FAQ, PAUSED, SEND_TIME = "revision", "program", "faq", "paused", "send_time"
_SETTINGS = (PROGRAM, FAQ, PAUSED, SEND_TIME)
_UNDOABLE = ("schedule.", "tips.", "import.", "undo")
_SCHEDULE_FILE = Path("schedule.yaml")


class ChangeRefused(Exception):
    """The change would leave the content broken; `problems` says how, one line each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class NothingToChange(Exception):
    """The content already is what the change asks for."""


class CannotUndo(Exception):
    """An audit entry that cannot be undone; `key` names the catalog message saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class TipState:
    """A tip as it stands now."""

    tip: Tip
    retired: bool = False
    stored: bool = False  # an admin changed, added or retired it (the database holds it)
    in_file: bool = True


@dataclass(frozen=True)
class State:
    """Everything admins can change, merged over the files."""

    tips: tuple[TipState, ...]
    program: Program
    faq: tuple[FaqEntry, ...]
    paused: bool
    send_time: dt.time | None

    @property
    def active_tips(self) -> tuple[Tip, ...]:
        """The tips in use (retired ones left out), files first."""
        return tuple(s.tip for s in self.tips if not s.retired)

    def find(self, tip_id: str) -> TipState | None:
        """Return a tip's state (retired ones included), if there is such a tip."""
        return next((s for s in self.tips if s.tip.id == tip_id), None)

    def problems(self) -> list[str]:
        """What would break delivery: the program naming a missing tip, a topic with no tips."""
        return program_problems(_SCHEDULE_FILE, self.program, self.active_tips)


# ------------------------------------------------------------------ reading


async def current_library(session: AsyncSession, content: Content) -> Library:
    """The tips in use, the program and the pause switch, as the delivery tick plans with.

    Read in full every call: the running bot asks `bot.content.live.LiveContent`, which reads
    only the revision unless an admin changed something.
    """
    token = await revision(session)
    state = build_state(content, await _read(session) if token else _EMPTY)
    return Library(state.active_tips, state.program, state.paused)


async def revision(session: AsyncSession) -> str | None:
    """A token that changes whenever admins change content (None: nothing changed yet)."""
    token = await session.scalar(select(ContentSetting.value).where(ContentSetting.key == REVISION))
    return token


async def default_send_time(session: AsyncSession, settings: Settings) -> dt.time:
    """New subscribers' send time: the one an admin set, else DEFAULT_SEND_TIME."""
    value = await session.scalar(
        select(ContentSetting.value).where(ContentSetting.key == SEND_TIME)
    )
    return _time(value) or settings.default_send_time


async def load_state(session: AsyncSession, content: Content) -> State:
    """Everything admins can change as it stands now (read in full; for admin screens)."""
    return build_state(content, await _read(session))


async def current_faq(session: AsyncSession, content: Content) -> tuple[FaqEntry, ...]:
    """The FAQ in use: an imported one, else tips/faq.yaml."""
    return (await load_state(session, content)).faq


def build_state(content: Content, raw: Change) -> State:
    """Merge stored changes over the files (stored data that no longer validates is logged
    and left out, so a bad row never stops delivery)."""
    stored: dict[str, Any] = raw.get("tips", {})
    in_file = {t.id for t in content.tips}
    tips: list[TipState] = []
    for tip in content.tips:
        snap = stored.get(tip.id)
        if snap is None:
            tips.append(TipState(tip))
            continue
        mine = _tip(tip.id, snap["tip"]) if snap["tip"] is not None else tip
        tips.append(TipState(mine or tip, bool(snap["retired"]), stored=True))
    for tip_id, snap in stored.items():
        if tip_id in in_file or snap is None or snap["tip"] is None:
            continue
        added = _tip(tip_id, snap["tip"])
        if added is not None:
            tips.append(TipState(added, bool(snap["retired"]), stored=True, in_file=False))
    program = content.program
    if raw.get(PROGRAM) is not None:
        program = _model(Program, raw[PROGRAM], "program") or program
    faq = content.faq
    if raw.get(FAQ) is not None:
        parsed = _model(FaqFile, {"faq": raw[FAQ]}, "FAQ")
        faq = parsed.faq if parsed is not None else faq
    return State(tuple(tips), program, faq, bool(raw.get(PAUSED)), _time(raw.get(SEND_TIME)))


# ------------------------------------------------------------------ building changes


def tips_change(content: Content, updates: Mapping[str, tuple[Tip, bool]]) -> Change:
    """A change that makes each tip id hold (tip, retired); a file tip put back as the file
    has it is stored as no row at all."""
    original = {t.id: tip_data(t) for t in content.tips}
    out: dict[str, Any] = {}
    for tip_id, (tip, retired) in updates.items():
        data = tip_data(tip)
        if original.get(tip_id) == data:
            out[tip_id] = {"tip": None, "retired": True} if retired else None
        else:
            out[tip_id] = {"tip": data, "retired": retired}
    return {"tips": out}


def program_change(content: Content, program: Program) -> Change:
    """A change to this program (the file's own program is stored as no row)."""
    data = program_data(program)
    return {PROGRAM: None if data == program_data(content.program) else data}


def faq_change(content: Content, faq: Iterable[FaqEntry]) -> Change:
    """A change to this FAQ (the file's own FAQ is stored as no row)."""
    data = [faq_data(e) for e in faq]
    return {FAQ: None if data == [faq_data(e) for e in content.faq] else data}


async def preview(
    session: AsyncSession, content: Content, change: Change
) -> tuple[State, State, list[str]]:
    """The state now, the state after `change`, and what would break (nothing is written)."""
    raw = await _read(session)
    before, after = build_state(content, raw), build_state(content, _merge(raw, change))
    return before, after, after.problems()


# ------------------------------------------------------------------ writing


async def apply(
    session: AsyncSession,
    content: Content,
    change: Change | Callable[[State], Change],
    *,
    actor: int,
    action: str,
    target: str | None,
    now: dt.datetime,
    progress: Progress | None = None,
) -> int:
    """Validate and store a change with its audit entry; return the audit entry's id.

    `change` may be a function of the state: it is then worked out after taking the lock,
    so two admins editing the program at once both get their edit. Raises NothingToChange,
    or ChangeRefused with every problem (and nothing is written); whatever the function
    raises (an EditError) also leaves everything as it was.
    """
    return await _commit(session, content, change, actor, action, target, now, progress=progress)


async def undo(
    session: AsyncSession, content: Content, audit_id: int, *, actor: int, now: dt.datetime
) -> int:
    """Put back what an audited content change replaced, unless it changed again since."""
    entry = await session.get(AuditEntry, audit_id)
    if (
        entry is None
        or not entry.action.startswith(_UNDOABLE)
        or entry.before is None
        or entry.after is None
    ):
        raise CannotUndo("admin_undo_unavailable")
    before, after, action = json.loads(entry.before), json.loads(entry.after), entry.action
    target = f"#{audit_id} {action}"
    return await _commit(session, content, before, actor, "undo", target, now, expect=after)


async def add_tips(
    session: AsyncSession,
    content: Content,
    tips: Iterable[Tip],
    *,
    actor: int,
    now: dt.datetime,
) -> int:
    """Add new tips (their ids must be new, retired ones included)."""
    tips = tuple(tips)

    def change(state: State) -> Change:
        taken = [f"tip id {t.id!r} is already used" for t in tips if state.find(t.id)]
        if taken:
            raise ChangeRefused(taken)
        return tips_change(content, {t.id: (t, False) for t in tips})

    target = ", ".join(t.id for t in tips)[:200]
    return await apply(
        session, content, change, actor=actor, action="tips.add", target=target, now=now
    )


async def _commit(
    session: AsyncSession,
    content: Content,
    change: Change | Callable[[State], Change],
    actor: int,
    action: str,
    target: str | None,
    now: dt.datetime,
    *,
    expect: Change | None = None,
    progress: Progress | None = None,
) -> int:
    await _lock(session, actor, now)
    try:
        if expect is not None and not _same(await _read(session, expect), expect):
            raise CannotUndo("admin_undo_changed")
        raw = await _read(session)
        if callable(change):
            change = change(build_state(content, raw))
        before = await _read(session, change)
        if _same(before, change):
            raise NothingToChange()
        problems = build_state(content, _merge(raw, change)).problems()
        if problems:
            raise ChangeRefused(problems)
        await _write(session, change, actor, now, progress)
        entry = await audit(session, actor, action, target, before, change, now)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return entry.id


async def _lock(session: AsyncSession, actor: int, now: dt.datetime) -> None:
    """Write a new revision first: the row lock serialises content changes on PostgreSQL
    (ON CONFLICT DO UPDATE holds it to commit), and on SQLite the write takes the one
    writer's lock at once instead of upgrading a read lock later."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"key": REVISION, "value": uuid.uuid4().hex, "updated_at": now, "updated_by": actor}
    statement = insert(ContentSetting).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[ContentSetting.key],
        set_={
            "value": statement.excluded.value,
            "updated_at": statement.excluded.updated_at,
            "updated_by": statement.excluded.updated_by,
        },
    )
    await session.execute(statement)


async def _write(
    session: AsyncSession,
    change: Change,
    actor: int,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    tips: dict[str, Any] = change.get("tips", {})
    for done, (tip_id, snap) in enumerate(tips.items(), start=1):
        row = await session.get(ContentTip, tip_id)
        if snap is None:
            if row is not None:
                await session.delete(row)
        else:
            body = None if snap["tip"] is None else json.dumps(snap["tip"], sort_keys=True)
            retired_at = None
            if snap["retired"]:
                retired_at = row.retired_at if row is not None and row.retired_at else now
            if row is None:
                row = ContentTip(tip_id=tip_id, created_at=now)
                session.add(row)
            row.body, row.retired_at = body, retired_at
            row.updated_at, row.updated_by = now, actor
        if progress is not None:
            progress(done, len(tips))
    for key in _SETTINGS:
        if key in change:
            await _put(session, key, _encode(key, change[key]), actor, now)


async def _put(
    session: AsyncSession, key: str, value: str | None, actor: int, now: dt.datetime
) -> None:
    row = await session.get(ContentSetting, key)
    if value is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        row = ContentSetting(key=key)
        session.add(row)
    row.value, row.updated_at, row.updated_by = value, now, actor


def _encode(key: str, value: Any) -> str | None:
    if key == PAUSED:
        return "true" if value else None
    if value is None:
        return None
    return json.dumps(value, sort_keys=True) if key in (PROGRAM, FAQ) else str(value)


# ------------------------------------------------------------------ snapshots


_EMPTY: Change = {"tips": {}, PROGRAM: None, FAQ: None, PAUSED: False, SEND_TIME: None}


async def _read(session: AsyncSession, keys: Change | None = None) -> Change:
    """Read what is stored for the parts (and tip ids) of `keys`; everything when None."""
    out: Change = {}
    wanted = _EMPTY if keys is None else keys
    if "tips" in wanted:
        query = select(ContentTip).order_by(ContentTip.created_at, ContentTip.tip_id)
        if keys is not None:
            query = query.where(ContentTip.tip_id.in_(list(keys["tips"])))
        rows = {row.tip_id: row for row in await session.scalars(query)}
        ids = list(rows) if keys is None else list(keys["tips"])
        out["tips"] = {tip_id: _tip_snapshot(rows.get(tip_id)) for tip_id in ids}
    parts = [key for key in _SETTINGS if key in wanted]
    if parts:
        query_settings = select(ContentSetting).where(ContentSetting.key.in_(parts))
        stored = {row.key: row.value for row in await session.scalars(query_settings)}
        for key in parts:
            value = stored.get(key)
            if key in (PROGRAM, FAQ):
                out[key] = None if value is None else json.loads(value)
            elif key == PAUSED:
                out[key] = value == "true"
            else:
                out[key] = value
    return out


def _tip_snapshot(row: ContentTip | None) -> dict[str, Any] | None:
    if row is None:
        return None
    tip = None if row.body is None else json.loads(row.body)
    return {"tip": tip, "retired": row.retired_at is not None}


def _merge(raw: Change, change: Change) -> Change:
    merged = {**raw, **{k: v for k, v in change.items() if k != "tips"}}
    tips = dict(raw.get("tips", {}))
    for tip_id, snap in change.get("tips", {}).items():
        if snap is None:
            tips.pop(tip_id, None)
        else:
            tips[tip_id] = snap
    merged["tips"] = tips
    return merged


def _same(a: Change, b: Change) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _tip(tip_id: str, data: Any) -> Tip | None:
    found: Tip | None = _model(Tip, data, f"tip {tip_id!r}")
    return found


def _model(model: Any, data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        log.error("stored %s no longer validates, using tips/ instead: %s", what, exc)
        return None


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        log.error("stored send time %r is not a time, using DEFAULT_SEND_TIME", value)
        return None
