"""Announcements: what an admin composes, who gets it, and its life before it runs. No Telegram.

The same checks serve the admin console and the command line, and every change is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.broadcasts.errors import Invalid
from bot.admin.broadcasts.when import check_send_at
from bot.content.models import CORE_TOPICS, LANGUAGES, Concern
from bot.db.audit import audit
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    Subscriber,
    SubscriberStatus,
)
from bot.telegram_html import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    EntityParseError,
    parse_html,
    utf16_len,
)

AUDIENCE_KINDS = ("all", "language", "topic", "concern", "source")
BUTTON_TEXT_MAX = 64
URL_MAX = 512
PHOTO_MAX = 300
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")  # what Telegram gave for an uploaded photo
_URL = re.compile(r"(https?|tg)://[^\s/?#]+[^\s]*", re.ASCII)
_SOURCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CLI_ACTOR = 0


def options_for(kind: str) -> tuple[str, ...] | None:
    """The fixed choices for an audience kind (None: sources, which come from the data)."""
    return {
        "language": LANGUAGES,
        "topic": tuple(str(t) for t in CORE_TOPICS),
        "concern": tuple(str(c) for c in Concern),
    }.get(kind)


@dataclass(frozen=True)
class Audience:
    """Who gets a broadcast: every active subscriber, or those with one language, topic,
    skin concern or acquisition source."""

    kind: str = "all"
    value: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in AUDIENCE_KINDS:
            raise Invalid("audience", f"unknown audience {self.kind!r}", audience=self.kind)
        if self.kind == "all":
            if self.value is not None:
                raise Invalid("audience", "'all' takes no value", audience=self.kind)
            return
        allowed = options_for(self.kind)
        ok = self.value is not None and (
            _SOURCE.fullmatch(self.value) if allowed is None else self.value in allowed
        )
        if not ok:
            raise Invalid(
                "audience",
                f"{self.kind} {self.value!r} is not one of "
                + (", ".join(allowed) if allowed else "the deep-link sources (A-Z a-z 0-9 _ -)"),
                audience=f"{self.kind}:{self.value}",
            )

    @classmethod
    def parse(cls, spec: str) -> Audience:
        """Read "all", "language:ms", "topic:sleep", "concern:acne" or "source:<payload>"."""
        kind, sep, value = spec.strip().partition(":")
        return cls(kind.strip().lower(), value.strip() if sep else None)

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    def clause(self) -> ColumnElement[bool]:
        """The WHERE clause that picks this audience's subscribers (active ones only)."""
        active = Subscriber.status == SubscriberStatus.ACTIVE
        if self.kind == "language":
            return active & (Subscriber.language == self.value)
        if self.kind == "topic":
            # topics is a comma list of core topics; NULL (or empty) means all of them.
            listed = (literal(",") + Subscriber.topics + literal(",")).like(f"%,{self.value},%")
            return active & (Subscriber.topics.is_(None) | (Subscriber.topics == "") | listed)
        if self.kind == "concern":
            return active & (Subscriber.concern == self.value)
        if self.kind == "source":
            return active & (Subscriber.source == self.value)
        return active


@dataclass(frozen=True)
class Draft:
    """An announcement as composed: HTML text, an optional photo and URL button, its audience."""

    text: str
    photo: str | None = None
    button_text: str | None = None
    button_url: str | None = None
    audience: Audience = field(default_factory=Audience)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, for the audit log and the admin's chat_data."""
        return {
            "text": self.text,
            "photo": self.photo,
            "button_text": self.button_text,
            "button_url": self.button_url,
            "audience": str(self.audience),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        """The inverse of as_dict."""
        return cls(
            text=str(data.get("text") or ""),
            photo=data.get("photo"),
            button_text=data.get("button_text"),
            button_url=data.get("button_url"),
            audience=Audience.parse(str(data.get("audience") or "all")),
        )

    @classmethod
    def of(cls, broadcast: Broadcast) -> Draft:
        """The draft a stored broadcast was made from."""
        return cls(
            broadcast.text,
            broadcast.photo,
            broadcast.button_text,
            broadcast.button_url,
            Audience(broadcast.audience, broadcast.audience_value),
        )


def check_text(html: str, *, photo: bool) -> str:
    """Return the text if Telegram would take it (HTML, length), else raise Invalid."""
    html = html.strip()
    try:
        plain, _entities = parse_html(html)
    except EntityParseError as exc:
        raise Invalid(
            "html", f"the text is not valid Telegram HTML: {exc}", reason=str(exc)
        ) from None
    if not plain.strip():
        raise Invalid("text_empty", "the text is empty")
    limit = MAX_CAPTION_LENGTH if photo else MAX_TEXT_LENGTH
    length = utf16_len(plain)
    if length > limit:
        raise Invalid(
            "text_long",
            f"the text is {length} characters; the limit is {limit}"
            + (" under a photo" if photo else ""),
            length=length,
            limit=limit,
        )
    return html


def plain_text(html: str) -> str:
    """The words of Telegram HTML without its tags (for short previews in lists)."""
    try:
        return parse_html(html)[0]
    except EntityParseError:
        return html


def check_photo(photo: str) -> str:
    """Return a photo reference (a Telegram file_id or an http(s) URL), else raise Invalid."""
    photo = photo.strip()
    is_url = photo.startswith(("http://", "https://")) and _URL.fullmatch(photo) is not None
    if len(photo) > PHOTO_MAX or not (is_url or _FILE_ID.fullmatch(photo)):
        raise Invalid("photo", "the photo must be an https:// link to an image or a file_id")
    return photo


def check_photo_link(typed: str) -> str:
    """Return a typed image link (people type links; file_ids come from uploads), else raise."""
    if not typed.strip().startswith(("http://", "https://")):
        raise Invalid("photo", "the photo must be an https:// link to an image")
    return check_photo(typed)


def check_button(label: str, url: str) -> tuple[str, str]:
    """Return a URL button's label and link, else raise Invalid."""
    label, url = label.strip(), url.strip()
    if not 1 <= len(label) <= BUTTON_TEXT_MAX:
        raise Invalid(
            "button_text",
            f"the button label must be 1 to {BUTTON_TEXT_MAX} characters",
            limit=BUTTON_TEXT_MAX,
        )
    if len(url) > URL_MAX or _URL.fullmatch(url) is None:
        raise Invalid("button_url", "the button link must start with https://")
    return label, url


def parse_button(typed: str) -> tuple[str, str]:
    """Read "Label | https://link" (or "Label - https://link") into a checked button."""
    label, sep, url = typed.rpartition("|")
    if not sep:
        label, sep, url = typed.rpartition(" - ")
    if not sep:
        raise Invalid("button_format", "write the button as: Label | https://link")
    return check_button(label, url)


def check(draft: Draft) -> Draft:
    """Return the draft with every part checked, else raise Invalid for the first problem."""
    photo = check_photo(draft.photo) if draft.photo else None
    text = check_text(draft.text, photo=photo is not None)
    label, url = None, None
    if draft.button_text is not None or draft.button_url is not None:
        label, url = check_button(draft.button_text or "", draft.button_url or "")
    return Draft(text, photo, label, url, draft.audience)


def message(draft: Draft) -> tuple[str, dict[str, Any]]:
    """The Bot API method and parameters (without chat_id) every recipient gets."""
    params: dict[str, Any] = {"parse_mode": "HTML"}
    if draft.button_text and draft.button_url:
        button = {"text": draft.button_text, "url": draft.button_url}
        params["reply_markup"] = {"inline_keyboard": [[button]]}
    if draft.photo:
        return "sendPhoto", {"photo": draft.photo, "caption": draft.text, **params}
    return "sendMessage", {"text": draft.text, **params}


# -- stored broadcasts ----------------------------------------------------------------------


def summary(broadcast: Broadcast) -> dict[str, Any]:
    """What the audit log keeps of a broadcast."""
    return {
        "id": broadcast.id,
        **Draft.of(broadcast).as_dict(),
        "send_at": broadcast.send_at.isoformat(),
        "status": broadcast.status,
    }


async def audience_size(session: AsyncSession, audience: Audience) -> int:
    """How many subscribers the audience holds right now."""
    query = select(func.count()).select_from(Subscriber).where(audience.clause())
    return int(await session.scalar(query) or 0)


async def audience_options(
    session: AsyncSession, kind: str, limit: int = 12
) -> list[tuple[str, int]]:
    """The values an audience kind can take, each with its active subscribers now."""
    fixed = options_for(kind)
    if fixed is not None:
        return [(value, await audience_size(session, Audience(kind, value))) for value in fixed]
    if kind != "source":
        return []
    count = func.count().label("n")
    query = (
        select(Subscriber.source, count)
        .where(Subscriber.status == SubscriberStatus.ACTIVE, Subscriber.source.is_not(None))
        .group_by(Subscriber.source)
        .order_by(count.desc(), Subscriber.source)
        .limit(limit)
    )
    return [(str(source), int(n)) for source, n in await session.execute(query)]


async def create(
    session: AsyncSession,
    draft: Draft,
    *,
    send_at: dt.datetime,
    actor: int,
    language: str,
    now: dt.datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> Broadcast:
    """Store a checked broadcast to go at `send_at` (now or later) and audit it."""
    draft = check(draft)
    send_at = check_send_at(send_at, now)
    broadcast = Broadcast(
        text=draft.text,
        photo=draft.photo,
        button_text=draft.button_text,
        button_url=draft.button_url,
        audience=draft.audience.kind,
        audience_value=draft.audience.value,
        status=BroadcastStatus.SCHEDULED,
        send_at=send_at,
        total=0,
        created_by=actor,
        language=language,
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id,
        created_at=now,
        updated_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await audit(
        session,
        actor,
        "broadcast.create",
        f"broadcast:{broadcast.id}",
        None,
        summary(broadcast),
        now,
    )
    await session.commit()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast:
    """Return a broadcast, or raise Invalid("not_found")."""
    found = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if found is None:
        raise Invalid("not_found", f"there is no broadcast #{broadcast_id}", id=broadcast_id)
    return found


async def _move(
    session: AsyncSession,
    broadcast_id: int,
    from_status: str,
    to_status: str,
    *,
    actor: int,
    action: str,
    now: dt.datetime,
) -> bool:
    """Change the status only if it is still `from_status` (a runner may start meanwhile)."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == from_status)
        .values(status=to_status, updated_at=now)
    )
    if not getattr(result, "rowcount", 0):
        await session.rollback()
        return False
    target = f"broadcast:{broadcast_id}"
    await audit(session, actor, action, target, {"status": from_status}, {"status": to_status}, now)
    await session.commit()
    return True


async def cancel(
    session: AsyncSession, broadcast_id: int, *, actor: int, now: dt.datetime
) -> Broadcast:
    """Cancel a broadcast that has not started; nothing of it is sent."""
    broadcast = await get(session, broadcast_id)
    moved = broadcast.status == BroadcastStatus.SCHEDULED and await _move(
        session,
        broadcast_id,
        BroadcastStatus.SCHEDULED,
        BroadcastStatus.CANCELLED,
        actor=actor,
        action="broadcast.cancel",
        now=now,
    )
    broadcast = await get(session, broadcast_id)
    if not moved:
        raise Invalid(
            "not_scheduled",
            f"broadcast #{broadcast_id} is {broadcast.status}, so it cannot be cancelled",
            id=broadcast_id,
            status=broadcast.status,
        )
    return broadcast


async def stop(
    session: AsyncSession, broadcast_id: int, *, actor: int, now: dt.datetime
) -> Broadcast:
    """Stop a broadcast part way (its runner notices within a second); one not started yet
    is cancelled instead."""
    broadcast = await get(session, broadcast_id)
    if broadcast.status == BroadcastStatus.SCHEDULED:
        return await cancel(session, broadcast_id, actor=actor, now=now)
    moved = broadcast.status == BroadcastStatus.SENDING and await _move(
        session,
        broadcast_id,
        BroadcastStatus.SENDING,
        BroadcastStatus.STOPPED,
        actor=actor,
        action="broadcast.stop",
        now=now,
    )
    broadcast = await get(session, broadcast_id)
    if not moved:
        raise Invalid(
            "not_running",
            f"broadcast #{broadcast_id} is {broadcast.status}, so there is nothing to stop",
            id=broadcast_id,
            status=broadcast.status,
        )
    return broadcast


async def recent(session: AsyncSession, limit: int = 10) -> list[Broadcast]:
    """Broadcasts waiting or running (soonest first), then the latest finished ones."""
    pending = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)
    waiting = await session.scalars(
        select(Broadcast).where(Broadcast.status.in_(pending)).order_by(Broadcast.send_at)
    )
    finished = await session.scalars(
        select(Broadcast)
        .where(Broadcast.status.not_in(pending))
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    return [*waiting, *finished]


async def delivery_counts(session: AsyncSession, broadcast_id: int) -> Counter[str]:
    """How many recipients of a broadcast stand in each ledger status."""
    query = (
        select(BroadcastDelivery.status, func.count())
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(BroadcastDelivery.status)
    )
    return Counter({str(status): int(n) for status, n in await session.execute(query)})


async def set_progress_message(
    session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the admin's progress message, so any replica can keep it up to date."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id)
    )
    await session.commit()
