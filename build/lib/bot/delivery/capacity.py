"""Capacity a clinic can see: can each send time of the coming day finish inside its window?

Every send time's crowd is sent at the configured rate (`DELIVERY_RATE`, for the whole
deployment), and anything not sent within the catch-up window (`CATCH_UP_HOURS`) after its
send time is recorded as missed, never sent late. So a send time holds at most
``rate × window`` tips: at 28/s and 3 hours, 28 × 10,800 = 302,400. Send times close
together share the rate: a crowd waits for the one before it to finish.

`forecast` is the arithmetic (pure); `due_by_instant` reads the crowds from the database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import Subscriber, SubscriberStatus

HORIZON = dt.timedelta(days=1)


@dataclass(frozen=True)
class SendTime:
    """One send time (a UTC instant) of the coming day and whether its crowd fits."""

    at: dt.datetime
    due: int
    needs: dt.timedelta  # due / rate: sending this crowd alone
    finishes: dt.datetime  # when the last of them goes, after the crowds before it
    missed: int  # how many would be later than the window (0 when it fits)

    @property
    def fits(self) -> bool:
        """Whether every tip of this send time goes out inside the window."""
        return self.missed == 0


@dataclass(frozen=True)
class Forecast:
    """The coming day's send times at a rate and window."""

    rate: float
    window: dt.timedelta
    send_times: tuple[SendTime, ...]

    @property
    def per_send_time(self) -> int:
        """The most tips one send time can hold: rate × window."""
        return math.floor(self.rate * self.window.total_seconds())

    @property
    def too_large(self) -> tuple[SendTime, ...]:
        """The send times that cannot finish inside the window."""
        return tuple(s for s in self.send_times if not s.fits)

    @property
    def due(self) -> int:
        """Everyone due in the coming day."""
        return sum(s.due for s in self.send_times)


def forecast(due: Mapping[dt.datetime, int], *, rate: float, window: dt.timedelta) -> Forecast:
    """Work out, send time by send time in order, when each crowd finishes at `rate`.

    Args:
        due: subscribers due at each instant (UTC).
        rate: messages a second for the whole deployment.
        window: the catch-up window after each send time.
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    send_times = []
    free_at: dt.datetime | None = None  # when the crowds before this one are done
    for at in sorted(due):
        n = due[at]
        if n <= 0:
            continue
        start = at if free_at is None or free_at <= at else free_at
        needs = dt.timedelta(seconds=n / rate)
        finishes = start + needs
        # Sent by the end of the window: the rate times the time left after the queue.
        room = max(0.0, (at + window - start).total_seconds()) * rate
        missed = max(0, n - math.floor(room + 1e-9))
        send_times.append(SendTime(at, n, needs, finishes, missed))
        # Missed tips are not sent: the queue frees up at the window's end at the latest.
        free_at = min(finishes, max(start, at + window))
    return Forecast(rate, window, tuple(send_times))


async def due_by_instant(
    session: AsyncSession, now: dt.datetime, horizon: dt.timedelta = HORIZON
) -> dict[dt.datetime, int]:
    """Count subscribers who will be due at each instant from now to `now + horizon`.

    Active subscribers only (a pause that ends within the day is not counted). Anyone
    already overdue counts as due now.
    """
    query = (
        select(Subscriber.next_due_at, func.count())
        .where(
            Subscriber.next_due_at < now + horizon,
            Subscriber.status == SubscriberStatus.ACTIVE,
        )
        .group_by(Subscriber.next_due_at)
    )
    found: dict[dt.datetime, int] = {}
    for at, n in await session.execute(query):
        if at is None:
            continue
        key = max(at, now)
        found[key] = found.get(key, 0) + int(n)
    return found


async def load(db: Database, now: dt.datetime, *, rate: float, window: dt.timedelta) -> Forecast:
    """Read the coming day's crowds and forecast them."""
    async with db.session() as session:
        crowds = await due_by_instant(session, now)
    return forecast(crowds, rate=rate, window=window)


def warnings(found: Forecast, local: dt.tzinfo) -> list[str]:
    """One line per send time too large for its window, with what to do (for /healthz)."""
    return [
        f"capacity: the {s.at.astimezone(local):%H:%M} send time has {s.due} subscribers due; "
        f"at {found.rate:g}/s they need {math.ceil(s.needs.total_seconds() / 60)} min, "
        f"beyond the {found.window.total_seconds() / 3600:g} h catch-up window, so about "
        f"{s.missed} would be missed. Spread send times, raise DELIVERY_RATE (above 30/s with "
        "ALLOW_PAID_BROADCAST=true, up to 1000/s), or widen CATCH_UP_HOURS."
        for s in found.too_large
    ]
