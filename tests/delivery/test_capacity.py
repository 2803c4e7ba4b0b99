"""The capacity forecast: which send times of the coming day cannot finish inside the window."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db.engine import Database
from bot.db.models import Subscriber
from bot.delivery.capacity import due_by_instant, forecast

T0 = dt.datetime(2026, 12, 3, 0, 0, tzinfo=dt.UTC)  # 08:00 in Kuala Lumpur
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def test_the_readme_arithmetic_28_a_second_for_3_hours_holds_302400() -> None:
    f = forecast({T0: 302_400}, rate=28, window=3 * H)
    assert f.per_send_time == 302_400
    assert f.too_large == ()
    [slot] = f.send_times
    assert slot.needs == 3 * H
    over = forecast({T0: 302_401}, rate=28, window=3 * H)
    assert [s.missed for s in over.send_times] == [1]


@pytest.mark.parametrize(
    ("due", "rate", "window", "missed"),
    [
        # one crowd: fits, or the part beyond rate × window is missed
        ({T0: 100}, 1.0, 2 * M, [0]),
        ({T0: 120}, 1.0, 2 * M, [0]),
        ({T0: 200}, 1.0, 2 * M, [80]),
        # a second crowd waits for the first: alone each fits, together the second does not
        ({T0: 100, T0 + M: 100}, 1.0, 2 * M, [0, 20]),
        # far enough apart, both fit
        ({T0: 100, T0 + 2 * M: 100}, 1.0, 2 * M, [0, 0]),
        # the first crowd's missed tips are never sent, so they do not hold up the second
        ({T0: 1000, T0 + 3 * M: 60}, 1.0, 2 * M, [880, 0]),
        # paid rate: 100,000 at 08:00 in 3 hours needs 1000/s x 100 s
        ({T0: 100_000}, 1000.0, 3 * H, [0]),
        # no window at all: everything late
        ({T0: 5}, 10.0, dt.timedelta(0), [5]),
        # empty send times are left out
        ({T0: 0, T0 + M: 3}, 1.0, 2 * M, [0]),
    ],
)
def test_forecast_counts_what_cannot_go_inside_the_window(
    due: dict[dt.datetime, int], rate: float, window: dt.timedelta, missed: list[int]
) -> None:
    f = forecast(due, rate=rate, window=window)
    assert [s.missed for s in f.send_times] == missed
    assert [s.fits for s in f.send_times] == [m == 0 for m in missed]
    assert f.due == sum(due.values())


def test_finish_times_follow_the_queue() -> None:
    f = forecast({T0 + M: 60, T0: 60}, rate=1.0, window=H)
    first, second = f.send_times
    assert (first.at, first.finishes) == (T0, T0 + M)
    assert (second.at, second.finishes) == (T0 + M, T0 + 2 * M)
    assert second.needs == M


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        forecast({T0: 1}, rate=0, window=H)


async def test_due_by_instant_counts_active_subscribers_of_the_coming_day(db: Database) -> None:
    now = T0 - 4 * H
    rows = [
        (1, "active", T0),
        (2, "active", T0),
        (3, "active", now - M),  # overdue: due now
        (4, "paused", T0),
        (5, "unsubscribed", T0),
        (6, "active", now + 25 * H),  # beyond the coming day
    ]
    async with db.session() as session, session.begin():
        for ident, status, due_at in rows:
            session.add(
                Subscriber(
                    chat_id=ident,
                    user_id=ident,
                    language="en",
                    timezone="Asia/Kuala_Lumpur",
                    send_time=dt.time(8, 0),
                    status=status,
                    next_due_at=due_at,
                    created_at=now,
                    updated_at=now,
                )
            )
    async with db.session() as session:
        assert await due_by_instant(session, now) == {T0: 2, now: 1}
