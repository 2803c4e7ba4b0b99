"""Tables. Timestamps are UTC; every change goes through an Alembic migration."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class SubscriberStatus(StrEnum):
    """Where a person stands with the bot."""

    NEW = "new"  # pressed /start, has not agreed to be stored beyond the chat id
    ACTIVE = "active"  # subscribed: gets daily tips
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"  # blocked the bot or the chat is gone; never sent to


class Subscriber(Base):
    """A person who started the bot, one row per private chat."""

    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('new', 'active', 'paused', 'unsubscribed', 'blocked')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    send_time: Mapped[dt.time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(16), default=SubscriberStatus.NEW)
    source: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Question(Base):
    """A question typed to the bot and how it was answered, for admins' review and stats.

    Anonymous by design: no chat or user id. The text is kept only when the bot could not
    answer with confidence (admins need it to write new entries); urgent messages keep none.
    """

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint("outcome IN ('answered', 'ambiguous', 'unanswered', 'urgent')", "outcome"),
        Index("ix_questions_outcome_created_at", "outcome", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(String(4096))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BookingIntent(Base):
    """Someone opened a branch's booking card; origin says which tip or answer led there."""

    __tablename__ = "booking_intents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
