"""Tables. Timestamps are UTC; every change goes through an Alembic migration."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """CHECK (<column> IN (...)) with the enum's values in order: the enum is the one list."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


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
        one_of("status", SubscriberStatus),
        # Each tick resumes pauses that ended; only the few paused rows are in this index.
        Index(
            "ix_subscribers_paused_until",
            "paused_until",
            sqlite_where=text("paused_until IS NOT NULL"),
            postgresql_where=text("paused_until IS NOT NULL"),
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
    # Comma-separated core topics they chose; None means all of them.
    topics: Mapped[str | None] = mapped_column(String(200))
    concern: Mapped[str | None] = mapped_column(String(16))
    # The next instant (UTC) their daily tip is due; None while they get no tips. The
    # delivery tick reads only rows with next_due_at <= now, through this column's index.
    next_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Question(Base):
    """A question typed to the bot and how it was answered, for admins' review and stats.

    Anonymous by design: no chat or user id. The text is kept only when the bot could not
    answer with confidence (admins need it to write new entries); urgent and crisis messages
    keep none, only the sign id (in entry_id) and the time.
    """

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('answered', 'ambiguous', 'unanswered', 'urgent', 'crisis')", "outcome"
        ),
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


class SendRecord:
    """The columns of a send ledger's row that the one group-commit writer
    (`bot.outbound.ledger`) sets: daily tips (`Delivery`) and broadcasts (`BroadcastDelivery`)."""

    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class DeliveryStatus(StrEnum):
    """Where one daily tip stands in the ledger."""

    CLAIMED = "claimed"  # planned by a replica; not yet handed to Telegram
    SENDING = "sending"  # the request may be on the wire
    SENT = "sent"
    FAILED = "failed"  # a retryable failure; a later tick tries again within the window
    BLOCKED = "blocked"  # 403 or chat not found; the subscriber is marked blocked
    REJECTED = "rejected"  # Telegram refused the message itself (400); not retried
    MISSED = "missed"  # due more than the catch-up window ago; never sent late
    SKIPPED = "skipped"  # the program skips this date (a public holiday)
    UNKNOWN = "unknown"  # the process died mid-request; never resent (at most once)
    EXPIRED = "expired"  # retries ran out or the catch-up window closed


class Delivery(SendRecord, Base):
    """The ledger: at most one daily tip per subscriber per local date, written before sending."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "local_date"),
        Index("ix_deliveries_status_lease_until", "status", "lease_until"),
        one_of("status", DeliveryStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    local_date: Mapped[dt.date] = mapped_column(Date)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    tip_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    feedback: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TickRun(Base):
    """One delivery tick's outcome, for admins and metrics. Anonymous counts only."""

    __tablename__ = "tick_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    replica: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    blocked: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    missed: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    unknown: Mapped[int] = mapped_column(Integer)
    expired: Mapped[int] = mapped_column(Integer)
    rate_limited: Mapped[int] = mapped_column(Integer)


class Lease(Base):
    """A named job that must run on one replica at a time, held until expires_at."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WebhookUpdate(Base):
    """An update_id the webhook took: a replay (Telegram's retry, or one post reaching two
    replicas) finds it here and is not handled again. Pruned after a day."""

    __tablename__ = "webhook_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Replica(Base):
    """A running replica, known to the others through its heartbeat (bot/runtime/replicas.py):
    the deployment's DELIVERY_RATE is split between the replicas seen recently."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)  # REPLICA_ID
    started: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Admin(Base):
    """A clinic staff member an owner made an admin (owners come from settings)."""

    __tablename__ = "admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # "admin", or "reviewer": a clinician who approves what patients read (bot/admin/review.py).
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")


class AuditEntry(Base):
    """One admin change: who, when, what, before and after (JSON text)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class ContentTip(Base):
    """An admin's change to one tip: it replaces the file's tip of the same id, or adds one.

    body is the tip as JSON in the schema of tips/tips/*.yaml; None keeps the file's wording
    (a file tip that was only retired). A retired tip stays here for history and is never sent.
    """

    __tablename__ = "content_tips"

    tip_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int] = mapped_column(BigInteger)


class ContentSetting(Base):
    """Admin-set content by key: the program and FAQ (JSON), the pause switch, the default
    send time, and `revision`, a token that changes with every content change so a replica
    re-reads the rest only when it moved."""

    __tablename__ = "content_settings"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int] = mapped_column(BigInteger)


class ContentReview(Base):
    """One reviewer's decision on one version of a tip or FAQ entry (bot/admin/review.py).

    The newest row per (kind, item_id) is the item's review; a row counts only while its
    fingerprint matches the item's wording, so an edit puts the item back in the queue.
    """

    __tablename__ = "content_reviews"
    __table_args__ = (
        CheckConstraint("kind IN ('tip', 'faq')", name="kind"),
        CheckConstraint("decision IN ('approved', 'returned')", name="decision"),
        Index("ix_content_reviews_item", "kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    item_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# -- broadcasts (admin announcements) and their ledger ----------------------------------


class BroadcastStatus(StrEnum):
    """Where an announcement stands."""

    SCHEDULED = "scheduled"  # waiting for send_at
    SENDING = "sending"  # its ledger is written; a replica holding its lease sends it
    DONE = "done"
    CANCELLED = "cancelled"  # cancelled before it started: nothing was sent
    STOPPED = "stopped"  # an admin stopped it part way


class Broadcast(Base):
    """An announcement to a chosen audience, now or at a set time; the database is its queue."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        one_of("status", BroadcastStatus),
        CheckConstraint(
            "audience IN ('all', 'language', 'topic', 'concern', 'source')", name="audience"
        ),
        Index("ix_broadcasts_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)  # Telegram HTML
    photo: Mapped[str | None] = mapped_column(String(300))  # a file_id or an https URL
    button_text: Mapped[str | None] = mapped_column(String(64))
    button_url: Mapped[str | None] = mapped_column(String(512))
    audience: Mapped[str] = mapped_column(String(16))
    audience_value: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    total: Mapped[int] = mapped_column(Integer, default=0)  # recipients, fixed when it starts
    created_by: Mapped[int] = mapped_column(BigInteger)  # a Telegram user id; 0 = command line
    language: Mapped[str] = mapped_column(String(8))  # the creator's, for progress messages
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BroadcastDeliveryStatus(StrEnum):
    """Where one recipient of a broadcast stands; the same life as a daily tip's row."""

    CLAIMED = "claimed"  # planned when the broadcast started; not yet handed to Telegram
    SENDING = "sending"  # the request may be on the wire
    SENT = "sent"
    FAILED = "failed"  # retryable; tried again later in the same run, up to a limit
    BLOCKED = "blocked"  # 403 or chat not found; the subscriber is marked blocked
    REJECTED = "rejected"  # Telegram refused the message itself (400)
    SKIPPED = "skipped"  # no longer active when their turn came
    UNKNOWN = "unknown"  # the sending process died mid-request; never resent
    CANCELLED = "cancelled"  # the broadcast was stopped before their turn


class BroadcastDelivery(SendRecord, Base):
    """A broadcast's ledger: one row per recipient, written before anything is sent."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "subscriber_id"),
        Index("ix_broadcast_deliveries_broadcast_id_status", "broadcast_id", "status"),
        one_of("status", BroadcastDeliveryStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )


# -- consent records and the staff inbox (#15) ---------------------------------------------


class ConsentRecord(Base):
    """What a chat agreed to, when, and in which language's notice: the clinic's evidence.

    purpose: 'tips' (the subscription notice), 'concern' (a skin concern, health data),
    'inbox' (a question kept for the clinic team to answer). Erased with /deletemydata.
    """

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("purpose IN ('tips', 'concern', 'inbox')", name="purpose"),
        Index("ix_consent_records_chat_id_purpose", "chat_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(16))
    notice: Mapped[str] = mapped_column(String(40))  # the catalog key of the text agreed to
    language: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class InboxStatus(StrEnum):
    """Where a question for the clinic team stands."""

    OPEN = "open"  # waiting for a reply
    ANSWERED = "answered"  # staff replied; may be closed later
    CLOSED = "closed"  # done; purged INBOX_RETENTION_DAYS after closed_at


class InboxItem(Base):
    """A question a patient chose to send to the clinic team, with their chat to reply to.

    Stored only after the patient opted in (see consent_records, purpose 'inbox').
    """

    __tablename__ = "inbox_items"
    __table_args__ = (
        one_of("status", InboxStatus),
        CheckConstraint("kind IN ('unanswered', 'urgent', 'crisis')", name="kind"),
        Index("ix_inbox_items_status_closed_at", "status", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))  # which reply led to "Ask the clinic team"
    question: Mapped[str] = mapped_column(String(4096))
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.OPEN)
    reply: Mapped[str | None] = mapped_column(String(4096))
    replied_by: Mapped[int | None] = mapped_column(BigInteger)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
