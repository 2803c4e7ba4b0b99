"""Clinical review: who approves what patients read, what waits, and the gate. No Telegram here.

A reviewer (a clinician; `admins.role == "reviewer"`) approves one *version* of a tip or FAQ
entry: the decision stores a fingerprint of its wording (everything but the `review` label),
so any edit puts the item back in the queue without anyone having to remember to. The newest
decision per item is its review; a returned one carries the reviewer's comment for the author.
Content exactly as the repository ships it counts as reviewed when its file says
`review: {status: reviewed}` (a clinic that reviews in git), and never otherwise.

With CONTENT_REVIEW=required only live items (reviewed, or approved and not yet expired)
reach patients: `gate_library` filters what the delivery tick and /today plan with, and
`live_faq` what the matcher sees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import store as content_store
from bot.content.library import Library
from bot.content.loader import Content
from bot.content.models import FaqEntry, Review, Tip
from bot.content.transfer import faq_data, tip_data
from bot.db.audit import audit
from bot.db.models import Admin, ContentReview, ContentSetting, ContentTip

TIP, FAQ = "tip", "faq"
KINDS = (TIP, FAQ)
REVIEWER = "reviewer"
EXPIRING_SOON = dt.timedelta(days=30)
"""An approval this close to its expiry shows in the queue (it is still delivered)."""


class Status(StrEnum):
    """Where an item stands in review."""

    NEW = "new"  # never reviewed
    EDITED = "edited"  # reviewed (or sent back) in another wording
    EXPIRED = "expired"  # its approval ran out
    EXPIRING = "expiring"  # approved, running out within EXPIRING_SOON (still delivered)
    RETURNED = "returned"  # sent back with a comment; waits for the author's edit
    REVIEWED = "reviewed"


LIVE = frozenset({Status.REVIEWED, Status.EXPIRING})
"""The statuses that reach patients when review is required."""
QUEUE = (Status.EDITED, Status.EXPIRED, Status.EXPIRING, Status.NEW, Status.RETURNED)
"""What the review queue lists, in this order: first what was in use and no longer is."""


class ReviewRefused(Exception):
    """The actor may not decide on this item now; `key` names the catalog message saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Decision:
    """A reviewer's newest decision on an item."""

    fingerprint: str
    decision: str  # "approved" | "returned"
    reviewer_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    comment: str | None = None
    author_id: int | None = None


@dataclass(frozen=True)
class Item:
    """A tip or FAQ entry in use, with where it stands in review."""

    kind: str
    id: str
    title: str
    fingerprint: str
    status: Status
    author: int | None  # who made this wording (None: the repository's file)
    decision: Decision | None

    @property
    def key(self) -> str:
        """The item as one short token: "tip:<id>" or "faq:<id>"."""
        return f"{self.kind}:{self.id}"


# ------------------------------------------------------------------ pure rules


def fingerprint(data: dict[str, Any]) -> str:
    """A digest of a tip's or FAQ entry's data, its `review` label left out."""
    body = {k: v for k, v in data.items() if k != "review"}
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def status_of(
    fp: str,
    *,
    file_reviewed: bool,
    latest: Decision | None,
    now: dt.datetime,
    soon: dt.timedelta = EXPIRING_SOON,
) -> Status:
    """Where one item stands.

    Args:
        fp: the fingerprint of its wording now.
        file_reviewed: it is exactly as the repository ships it, and the file says reviewed.
        latest: the newest reviewer decision on it (any wording), if any.
    """
    if latest is not None and latest.fingerprint == fp:
        if latest.decision == "returned":
            return Status.RETURNED
        if latest.expires_at is not None:
            if latest.expires_at <= now:
                return Status.EXPIRED
            if latest.expires_at <= now + soon:
                return Status.EXPIRING
        return Status.REVIEWED
    if file_reviewed:
        return Status.REVIEWED
    return Status.NEW if latest is None else Status.EDITED


def refusal(actor: int, *, reviewers: frozenset[int], author: int | None) -> str | None:
    """Why `actor` may not decide on an item (a catalog key), or None when they may."""
    if actor not in reviewers:
        return "admin_review_not_reviewer"
    if author is not None and author == actor:
        return "admin_review_own_change"
    return None


def expiry(now: dt.datetime, valid_days: int) -> dt.datetime | None:
    """When an approval given now runs out (None: REVIEW_VALID_DAYS=0, never)."""
    return now + dt.timedelta(days=valid_days) if valid_days else None


def counts(items: Iterable[Item]) -> dict[str, Counter[Status]]:
    """How many tips and FAQ entries stand in each status."""
    out: dict[str, Counter[Status]] = {kind: Counter() for kind in KINDS}
    for item in items:
        out[item.kind][item.status] += 1
    return out


def queue(items: Iterable[Item]) -> list[Item]:
    """What waits for a reviewer, in QUEUE order (then tips before FAQ, file order)."""
    order = {status: i for i, status in enumerate(QUEUE)}
    waiting = [item for item in items if item.status in order]
    return sorted(waiting, key=lambda item: order[item.status])


# ------------------------------------------------------------------ the gate


async def gate_library(
    session: AsyncSession, content: Content, library: Library, now: dt.datetime
) -> Library:
    """The library with only live tips (the program then skips or substitutes the rest)."""
    latest = await latest_decisions(session)
    files = _file_index(content)
    live = tuple(t for t in library.tips if _live(TIP, t.id, _fp(t), files, latest, now))
    return replace(library, tips=live)


async def live_faq(
    session: AsyncSession, content: Content, faq: Sequence[FaqEntry], now: dt.datetime
) -> tuple[FaqEntry, ...]:
    """The FAQ entries patients may be answered with."""
    latest = await latest_decisions(session)
    files = _file_index(content)
    return tuple(e for e in faq if _live(FAQ, e.id, _fp(e), files, latest, now))


async def is_live(
    session: AsyncSession,
    content: Content,
    kind: str,
    item_id: str,
    data: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """Whether this wording of one tip or FAQ entry is reviewed."""
    latest = await latest_decisions(session)
    return _live(kind, item_id, fingerprint(data), _file_index(content), latest, now)


def _live(
    kind: str,
    item_id: str,
    fp: str,
    files: dict[tuple[str, str], tuple[str, bool]],
    latest: dict[tuple[str, str], Decision],
    now: dt.datetime,
) -> bool:
    file_fp, file_reviewed = files.get((kind, item_id), ("", False))
    status = status_of(
        fp,
        file_reviewed=file_reviewed and fp == file_fp,
        latest=latest.get((kind, item_id)),
        now=now,
    )
    return status in LIVE


_FILES: dict[int, tuple[Content, dict[tuple[str, str], tuple[str, bool]]]] = {}
# id(model) -> (model, fingerprint): the tick and every question re-check the same frozen
# models, so each is digested once (the model is kept to rule out a reused id).
_FPS: dict[int, tuple[Tip | FaqEntry, str]] = {}


def _fp(model: Tip | FaqEntry) -> str:
    hit = _FPS.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    found = fingerprint(tip_data(model) if isinstance(model, Tip) else faq_data(model))
    if len(_FPS) > 4096:
        _FPS.clear()
    _FPS[id(model)] = (model, found)
    return found


def _file_index(content: Content) -> dict[tuple[str, str], tuple[str, bool]]:
    """(kind, id) -> (fingerprint, the file says reviewed) for the repository's content."""
    hit = _FILES.get(id(content))
    if hit is not None and hit[0] is content:
        return hit[1]
    index: dict[tuple[str, str], tuple[str, bool]] = {}
    for tip in content.tips:
        index[(TIP, tip.id)] = (fingerprint(tip_data(tip)), tip.review.status == "reviewed")
    for entry in content.faq:
        index[(FAQ, entry.id)] = (fingerprint(faq_data(entry)), entry.review.status == "reviewed")
    if len(_FILES) > 4:
        _FILES.clear()
    _FILES[id(content)] = (content, index)
    return index


# ------------------------------------------------------------------ reading


async def latest_decisions(session: AsyncSession) -> dict[tuple[str, str], Decision]:
    """The newest decision per (kind, item id)."""
    rows = await session.scalars(select(ContentReview).order_by(ContentReview.id))
    return {
        (row.kind, row.item_id): Decision(
            row.fingerprint,
            row.decision,
            row.reviewer_id,
            row.created_at,
            row.expires_at,
            row.comment,
            row.author_id,
        )
        for row in rows
    }


async def reviewer_ids(session: AsyncSession) -> frozenset[int]:
    """The user ids with the reviewer role."""
    rows = await session.scalars(select(Admin.user_id).where(Admin.role == REVIEWER))
    return frozenset(rows)


async def items(session: AsyncSession, content: Content, now: dt.datetime) -> list[Item]:
    """Every tip and FAQ entry in use (retired tips left out), with its review status."""
    state = await content_store.load_state(session, content)
    latest = await latest_decisions(session)
    files = _file_index(content)
    tip_authors = dict(
        (await session.execute(select(ContentTip.tip_id, ContentTip.updated_by))).all()
    )
    faq_author = await session.scalar(
        select(ContentSetting.updated_by).where(ContentSetting.key == content_store.FAQ)
    )
    out: list[Item] = []
    for tip in state.active_tips:
        out.append(
            _item(
                TIP,
                tip.id,
                tip_data(tip),
                tip.text["en"].title,
                files,
                latest,
                now,
                tip_authors.get(tip.id),
            )
        )
    for entry in state.faq:
        data = faq_data(entry)
        out.append(
            _item(FAQ, entry.id, data, entry.text["en"].question, files, latest, now, faq_author)
        )
    return out


def _item(
    kind: str,
    item_id: str,
    data: dict[str, Any],
    title: str,
    files: dict[tuple[str, str], tuple[str, bool]],
    latest: dict[tuple[str, str], Decision],
    now: dt.datetime,
    stored_author: int | None,
) -> Item:
    fp = fingerprint(data)
    file_fp, file_reviewed = files.get((kind, item_id), ("", False))
    as_shipped = fp == file_fp
    decision = latest.get((kind, item_id))
    status = status_of(fp, file_reviewed=file_reviewed and as_shipped, latest=decision, now=now)
    author = None if as_shipped else stored_author
    return Item(kind, item_id, title, fp, status, author, decision)


async def find(
    session: AsyncSession, content: Content, kind: str, item_id: str, now: dt.datetime
) -> Item | None:
    """One item in use, if there is one by that kind and id."""
    return next(
        (i for i in await items(session, content, now) if i.kind == kind and i.id == item_id),
        None,
    )


def find_tip(state: content_store.State, item_id: str) -> Tip | None:
    """The tip in use with this id (retired ones are not in use)."""
    found = state.find(item_id)
    return None if found is None or found.retired else found.tip


def find_faq(state: content_store.State, item_id: str) -> FaqEntry | None:
    """The FAQ entry in use with this id."""
    return next((e for e in state.faq if e.id == item_id), None)


# ------------------------------------------------------------------ writing


async def decide(
    session: AsyncSession,
    content: Content,
    *,
    kind: str,
    item_id: str,
    fp: str,
    actor: int,
    approve: bool,
    now: dt.datetime,
    valid_days: int = 365,
    comment: str | None = None,
) -> Item:
    """Approve, or send back with a comment, the wording a reviewer read (`fp`); audited.

    Raises ReviewRefused: not a reviewer, their own change, a comment missing, or the item
    changed (or went) since they read it. Returns the item as it stands afterwards.
    """
    item = await find(session, content, kind, item_id, now)
    if item is None or item.fingerprint != fp:
        raise ReviewRefused("admin_review_changed")
    why = refusal(actor, reviewers=await reviewer_ids(session), author=item.author)
    if why is not None:
        raise ReviewRefused(why)
    comment = (comment or "").strip()[:500] or None
    if not approve and comment is None:
        raise ReviewRefused("admin_review_comment_needed")
    decision = "approved" if approve else "returned"
    expires_at = expiry(now, valid_days) if approve else None
    session.add(
        ContentReview(
            kind=kind,
            item_id=item_id,
            fingerprint=fp,
            decision=decision,
            reviewer_id=actor,
            author_id=item.author,
            comment=comment,
            created_at=now,
            expires_at=expires_at,
        )
    )
    after = {
        "decision": decision,
        "fingerprint": fp[:16],
        "comment": comment,
        "expires_at": expires_at,
    }
    await audit(
        session,
        actor,
        f"review.{'approve' if approve else 'return'}",
        item.key,
        {"status": item.status.value},
        after,
        now,
    )
    await session.commit()
    found = await find(session, content, kind, item_id, now)
    assert found is not None
    return found


async def labelled(
    session: AsyncSession, content: Content, state: content_store.State, now: dt.datetime
) -> content_store.State:
    """The state with each approved tip's and FAQ entry's `review` label saying so (reviewer
    and day), for export: a file exported after review carries it, and tips/ made from it
    counts as reviewed."""
    latest = await latest_decisions(session)
    stamps: dict[tuple[str, str], Review] = {}
    for (kind, item_id), decision in latest.items():
        if decision.decision == "approved":
            by = f"reviewer {decision.reviewer_id}"
            stamps[(kind, item_id)] = Review(
                status="reviewed", by=by, on=decision.created_at.date()
            )

    def stamp(kind: str, item_id: str, data: dict[str, Any]) -> Review | None:
        decision = latest.get((kind, item_id))
        if decision is None or decision.fingerprint != fingerprint(data):
            return None
        status = status_of(decision.fingerprint, file_reviewed=False, latest=decision, now=now)
        return stamps.get((kind, item_id)) if status in LIVE else None

    tips = []
    for tip_state in state.tips:
        label = stamp(TIP, tip_state.tip.id, tip_data(tip_state.tip))
        if label is not None:
            tip_state = replace(tip_state, tip=tip_state.tip.model_copy(update={"review": label}))
        tips.append(tip_state)
    faq = []
    for entry in state.faq:
        label = stamp(FAQ, entry.id, faq_data(entry))
        faq.append(entry if label is None else entry.model_copy(update={"review": label}))
    return replace(state, tips=tuple(tips), faq=tuple(faq))


async def any_live(session: AsyncSession, content: Content, now: dt.datetime) -> bool:
    """Whether at least one tip or FAQ entry would reach patients with review required."""
    return any(item.status in LIVE for item in await items(session, content, now))
