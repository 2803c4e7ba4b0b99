"""Replicas that know each other through the database, and split the deployment's rate.

Telegram's limit is per bot token, so DELIVERY_RATE is the rate of the whole deployment.
Each replica writes its row in `replicas` (id = REPLICA_ID, started, last_seen) every
heartbeat (REPLICA_HEARTBEAT_SECONDS) and reads which rows were seen within the timeout
(three heartbeats): those replicas are live, and this one paces at rate / live. Its one
pacer carries everything it sends (daily tips, broadcasts, replies), and its claims are
sized to that share (`bot.delivery.engine.claim_size`). The heartbeat is its own job on the
tick scheduler (bot/runtime/scheduler.py), not part of the tick: a tick lasts as long as a
send time's delivery (minutes at 08:00) and waits on the pacer and on 429 pauses, and the
share must keep being re-read meanwhile.

Leaving: a replica that stops gracefully deletes its row once its sends are done, so the
others take its share at their next beat; one that dies stops being counted after the
timeout. Either way the others only ever speed up once it has stopped sending. Rows not
seen for an hour are deleted.

Joining: the others learn of a new replica at their next beat, up to one heartbeat later,
and pace at the old share until then. So a replica that finds others live when it joins
holds its pacer until each of them has beaten since its row was committed (their last_seen
is later), which is also when they have read it: at most about one heartbeat, never more
than the timeout. Two replicas that start at the same instant: each commits its row before
it reads, so the second to read sees the first and holds. A replica whose own heartbeat
has failed for longer than the timeout may have been dropped by the others, so it joins
again the same way.

Only for PostgreSQL: SQLite is one process, which keeps the whole rate (bot/runtime/app.py).
Replicas' clocks are assumed to agree to well under a heartbeat (NTP), as leases already do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.engine import Database
from bot.db.models import Replica
from bot.outbound.pacing import Pacer

log = logging.getLogger(__name__)

FORGET = dt.timedelta(hours=1)  # rows not seen for this long are deleted
TIMEOUT_BEATS = 3  # a replica unseen for this many heartbeats is not counted
JOIN_POLL = 0.25  # seconds between beats while joining


class Replicas:
    """This replica's heartbeat, and its share of the deployment's rate.

    Args:
        db: the shared database.
        replica_id: REPLICA_ID (unique per replica, as the delivery leases already need).
        rate: DELIVERY_RATE, messages per second for the whole deployment.
        pacer: this process's pacer; its rate is set to the share at each beat.
        now: the clock (UTC, aware).
        interval: seconds between heartbeats.
    """

    def __init__(
        self,
        db: Database,
        replica_id: str,
        rate: float,
        pacer: Pacer | None,
        now: Callable[[], dt.datetime],
        *,
        interval: float = 5.0,
    ) -> None:
        self._db = db
        self.id = replica_id
        self.rate = rate
        self._pacer = pacer
        self._now = now
        self.interval = interval
        self.timeout = dt.timedelta(seconds=TIMEOUT_BEATS * interval)
        self.started = now()
        self.live = 1
        self.peers: tuple[str, ...] = ()
        self._last_ok: dt.datetime | None = None
        self._joined_at: dt.datetime | None = None  # while waiting for the others to see us
        self._lock = asyncio.Lock()
        self._joining: asyncio.Task[None] | None = None

    @property
    def share(self) -> float:
        """This replica's messages per second: the deployment's rate over the live replicas."""
        return self.rate / self.live

    @property
    def joining(self) -> bool:
        """Whether this replica holds its sends until the others have seen it."""
        return self._joined_at is not None

    async def start(self) -> None:
        """The first beat; when others are live, hold the pacer until they have seen us."""
        await self.beat()
        if self.joining:
            self._joining = asyncio.create_task(self._settle(), name="replica-join")

    async def _settle(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.timeout.total_seconds()
        while self.joining and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(JOIN_POLL)
            try:
                await self.beat()
            except Exception:
                log.exception("replica heartbeat failed while joining")
        if self.joining:  # the others never beat: they are gone by now
            self._joined_at = None
            self._apply()

    async def beat(self) -> None:
        """Write this replica's heartbeat, count the live replicas, and pace at the share."""
        async with self._lock:
            try:
                await self._beat()
            except Exception:
                now = self._now()
                if self._last_ok is None or now - self._last_ok > self.timeout:
                    # The others may have stopped counting us: hold, and join again.
                    self._hold(2 * self.interval)
                raise

    async def _beat(self) -> None:
        now = self._now()
        dialect = sqlite if self._db.is_sqlite else postgresql
        async with self._db.session() as session, session.begin():
            upsert = dialect.insert(Replica).values(id=self.id, started=self.started, last_seen=now)
            await session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[Replica.id],
                    set_={"started": self.started, "last_seen": now},
                )
            )
            await session.execute(delete(Replica).where(Replica.last_seen < now - FORGET))
        # Committed: anyone who reads from here on sees us. A peer whose last_seen is later
        # than `committed` wrote it after this instant, and read after writing.
        committed = self._now()
        rejoin = self._last_ok is None or now - self._last_ok > self.timeout
        self._last_ok = now
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(Replica.id, Replica.last_seen).where(
                        Replica.last_seen >= now - self.timeout, Replica.id != self.id
                    )
                )
            ).all()
        before = self.live
        self.peers = tuple(sorted(str(r[0]) for r in rows))
        self.live = 1 + len(rows)
        if rejoin and rows:
            self._joined_at = committed
        if self._joined_at is not None and all(r[1] > self._joined_at for r in rows):
            self._joined_at = None  # everyone live has beaten (and read) since we joined
        self._apply()
        if self.live != before:
            log.info(
                "%d live replicas (%s): this one paces at %.2f messages/s of %g",
                self.live,
                ", ".join((self.id, *self.peers)),
                self.share,
                self.rate,
            )

    def _apply(self) -> None:
        if self._pacer is None:
            return
        self._pacer.set_rate(self.share)
        if self.joining:
            self._hold(JOIN_POLL * 2 + 0.5)

    def _hold(self, seconds: float) -> None:
        if self._pacer is not None:
            self._pacer.hold(seconds)

    async def leave(self) -> None:
        """Delete this replica's row (a graceful stop: the others take its share at once)."""
        if self._joining is not None:
            self._joining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._joining
        try:
            async with self._db.session() as session, session.begin():
                await session.execute(delete(Replica).where(Replica.id == self.id))
        except Exception:
            log.exception("could not remove this replica's row; it expires by itself")
