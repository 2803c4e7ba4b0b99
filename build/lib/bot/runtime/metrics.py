"""Prometheus metrics: one registry per application, so several apps in a process never collide.

Three sources:
- counted as it happens: updates by type and their handling time (`MeasuredUpdateProcessor`,
  PTB's hook around each update), handler errors, webhook requests by result;
- read from the running services when scraped: the sender's counters (bulk messages sent
  and failed by reason, 429s, retries, its pause), the delivery engine's ticks;
- read from the database when scraped: the due backlog, subscribers by state, ledger rows
  by status (daily tips and broadcasts). These are gauges: the database is the truth and
  every replica reports the same numbers, so aggregate them with max(), not sum().
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Iterator
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.db.engine import Database
from bot.db.models import BroadcastDelivery, Delivery, Subscriber
from bot.runtime.logs import bind, unbind

log = logging.getLogger(__name__)

PREFIX = "gutskin_"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def update_type(update: object) -> str:
    """Name the kind of an update: "message", "callback_query", "edited_message"..."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
        return "other"
    return type(update).__name__


def update_ids(update: object) -> dict[str, object]:
    """The ids a log line about this update should carry."""
    if not isinstance(update, Update):
        return {}
    ids: dict[str, object] = {"update_id": update.update_id}
    if update.effective_chat is not None:
        ids["chat_id"] = update.effective_chat.id
    return ids


class _Counters(Protocol):
    sent: int
    blocked: int
    rejected: int
    failed: Any  # a Counter of reasons
    in_doubt: Any  # a Counter of reasons
    rate_limited: int
    retries: int


class _Sender(Protocol):
    @property
    def counters(self) -> _Counters: ...

    @property
    def paused_for(self) -> float: ...


class _Engine(Protocol):
    ticks: int
    last_tick_at: dt.datetime | None
    last_report: Any

    @property
    def busy(self) -> bool: ...


class Metrics:
    """Every metric of one application, in its own registry."""

    def __init__(self, *, replica: str = "", updates: str = "") -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        info = Gauge(
            f"{PREFIX}info",
            "This process: replica id and how updates arrive",
            ["replica", "updates"],
            registry=r,
        )
        info.labels(replica, updates).set(1)
        self.updates = Counter(f"{PREFIX}updates", "Updates handled, by type", ["type"], registry=r)
        self.update_seconds = Histogram(
            f"{PREFIX}update_handling_seconds",
            "Time to handle one update (every handler group), by type",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_progress = Gauge(
            f"{PREFIX}updates_in_progress", "Updates being handled now", registry=r
        )
        self.handler_errors = Counter(
            f"{PREFIX}handler_errors", "Updates whose handler raised an error", registry=r
        )
        self.webhook_requests = Counter(
            f"{PREFIX}webhook_requests",
            "Webhook requests by result (accepted, forbidden, bad_request, unavailable)",
            ["result"],
            registry=r,
        )
        self.database_up = Gauge(
            f"{PREFIX}database_up", "1 when the last scrape could read the database", registry=r
        )
        self.due_backlog = Gauge(
            f"{PREFIX}due_backlog",
            "Subscribers whose daily tip is due now or overdue (next_due_at <= now)",
            registry=r,
        )
        self.subscribers = Gauge(
            f"{PREFIX}subscribers", "Subscribers by state", ["status"], registry=r
        )
        self.deliveries = Gauge(
            f"{PREFIX}deliveries", "Daily-tip ledger rows by status", ["status"], registry=r
        )
        self.broadcast_deliveries = Gauge(
            f"{PREFIX}broadcast_deliveries",
            "Broadcast ledger rows by status",
            ["status"],
            registry=r,
        )
        self._live = _LiveCollector()
        r.register(self._live)
        self.db_timeout = 5.0  # seconds a scrape waits for the database

    def watch(self, *, sender: _Sender | None, engine: _Engine | None) -> None:
        """Report this sender's counters and this engine's ticks from now on."""
        self._live.sender, self._live.engine = sender, engine

    async def read_database(self, db: Database, now: dt.datetime) -> None:
        """Refresh the gauges that come from the database (called before each scrape)."""
        try:
            async with asyncio.timeout(self.db_timeout):
                counts = await _database_counts(db, now)
        except Exception as exc:
            log.warning("metrics: cannot read the database (%s)", type(exc).__name__)
            self.database_up.set(0)
            for gauge in (self.subscribers, self.deliveries, self.broadcast_deliveries):
                gauge.clear()
            self.due_backlog.set(float("nan"))
            return
        self.database_up.set(1)
        self.due_backlog.set(counts.backlog)
        for gauge, values in (
            (self.subscribers, counts.subscribers),
            (self.deliveries, counts.deliveries),
            (self.broadcast_deliveries, counts.broadcasts),
        ):
            gauge.clear()
            for status, n in values.items():
                gauge.labels(status).set(n)


class _Counts:
    def __init__(self) -> None:
        self.backlog = 0
        self.subscribers: dict[str, int] = {}
        self.deliveries: dict[str, int] = {}
        self.broadcasts: dict[str, int] = {}


async def _database_counts(db: Database, now: dt.datetime) -> _Counts:
    counts = _Counts()
    async with db.session() as session:
        backlog = await session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.next_due_at <= now)
        )
        counts.backlog = int(backlog or 0)
        for column, target in (
            (Subscriber.status, counts.subscribers),
            (Delivery.status, counts.deliveries),
            (BroadcastDelivery.status, counts.broadcasts),
        ):
            rows = await session.execute(select(column, func.count()).group_by(column))
            target.update({str(status): int(n) for status, n in rows})
    return counts


class _LiveCollector(Collector):
    """Reads the sender's and the engine's in-memory counters at scrape time."""

    def __init__(self) -> None:
        self.sender: _Sender | None = None
        self.engine: _Engine | None = None

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        sender, engine = self.sender, self.engine
        if sender is not None:
            yield from _sender_metrics(sender)
        if engine is not None:
            yield from _engine_metrics(engine)


def _sender_metrics(sender: _Sender) -> Iterator[Metric]:
    c = sender.counters
    sent = CounterMetricFamily(
        f"{PREFIX}messages_sent", "Daily tips and broadcasts Telegram accepted"
    )
    sent.add_metric([], c.sent)
    failed = CounterMetricFamily(
        f"{PREFIX}messages_failed",
        "Daily tips and broadcasts not delivered, by reason (blocked, rejected, timeout...)",
        labels=["reason"],
    )
    failed.add_metric(["blocked"], c.blocked)
    failed.add_metric(["rejected"], c.rejected)
    for reason, n in sorted(c.failed.items()):
        failed.add_metric([str(reason)], n)
    doubt = CounterMetricFamily(
        f"{PREFIX}messages_in_doubt",
        "Daily tips and broadcasts that may have reached Telegram without an answer (read "
        "timeout, dropped connection, 5xx, cut at shutdown), by reason; never sent again",
        labels=["reason"],
    )
    for reason, n in sorted(getattr(c, "in_doubt", {}).items()):
        doubt.add_metric([str(reason)], n)
    limited = CounterMetricFamily(f"{PREFIX}rate_limited", "429 answers to bulk sends")
    limited.add_metric([], c.rate_limited)
    retries = CounterMetricFamily(
        f"{PREFIX}send_retries", "Bulk sends tried again after failing to connect"
    )
    retries.add_metric([], c.retries)
    paused = GaugeMetricFamily(
        f"{PREFIX}sender_paused_seconds", "Seconds left of the current 429 pause"
    )
    paused.add_metric([], _safe(lambda: sender.paused_for))
    yield from (sent, failed, doubt, limited, retries, paused)


def _engine_metrics(engine: _Engine) -> Iterator[Metric]:
    ticks = CounterMetricFamily(f"{PREFIX}delivery_ticks", "Delivery ticks completed")
    ticks.add_metric([], engine.ticks)
    busy = GaugeMetricFamily(f"{PREFIX}delivery_tick_running", "1 while a delivery tick runs")
    busy.add_metric([], 1 if engine.busy else 0)
    yield from (ticks, busy)
    if engine.last_tick_at is not None:
        last = GaugeMetricFamily(
            f"{PREFIX}delivery_last_tick_timestamp_seconds",
            "When the last completed tick started (the bot's clock, Unix time)",
        )
        last.add_metric([], engine.last_tick_at.timestamp())
        yield last
    report = engine.last_report
    if report is not None:
        duration = GaugeMetricFamily(
            f"{PREFIX}delivery_last_tick_duration_seconds", "How long the last tick took"
        )
        duration.add_metric([], report.duration_ms / 1000)
        due = GaugeMetricFamily(
            f"{PREFIX}delivery_last_tick_due", "Subscribers the last tick found due"
        )
        due.add_metric([], report.due)
        yield from (duration, due)


def _safe(read: Any) -> float:
    try:
        return float(read())
    except RuntimeError:  # no running loop (a scrape from another thread)
        return 0.0


class MeasuredUpdateProcessor(BaseUpdateProcessor):
    """PTB's hook around each update: counts and times it, and binds its ids for the logs.

    Handling runs every handler group, so the time is what the user waited for, and
    ApplicationHandlerStop or an error in any group still ends the measurement.
    """

    def __init__(self, metrics: Metrics, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update with its ids bound to every log line, and measure it."""
        kind = update_type(update)
        token = bind(**update_ids(update))
        self.metrics.in_progress.inc()
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            self.metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)
            self.metrics.updates.labels(kind).inc()
            self.metrics.in_progress.dec()
            unbind(token)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""
