"""After a 429: how long the pause lasts, what the operator is told, and how sending starts
again (from an empty schedule, so the first message after the pause waits one interval).

Nothing here sleeps: the pause is read back at once and the schedule is given its instants.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.outbound.budget import Budget
from bot.outbound.pacing import Pacer


async def test_a_short_pause_is_as_short_as_telegram_said() -> None:
    pacer = Pacer(30)
    pacer.pause(0.05)
    assert 0 < pacer.paused_for() <= 0.05
    pacer.pause(-1)  # nonsense from the server never ends the pause
    assert pacer.paused_for() > 0


async def test_a_pause_is_logged_once_with_its_length(caplog: pytest.LogCaptureFixture) -> None:
    pacer = Pacer(30)
    with caplog.at_level(logging.WARNING, logger="bot.outbound.pacing"):
        pacer.pause(3)
        pacer.pause(3)  # other sends in flight meet the same 429
        pacer.pause(5)  # a longer one extends the pause: still the same pause
    assert [r.getMessage() for r in caplog.records] == [
        "rate limited (429): every send pauses for 3.0 s"
    ]
    assert 4 < pacer.paused_for() <= 5


async def test_without_a_global_rate_a_pause_still_holds() -> None:
    pacer = Pacer(None)
    pacer.pause(1)
    assert pacer.paused_for() > 0.5


@pytest.mark.parametrize(
    ("at", "wait"),
    [
        (10.0, 0.1),  # the pause ends: the bucket is empty, one interval to go
        (10.05, 0.05),  # the bucket filled half a token since the pause ended
        (10.1, 0.0),
        (9.0, 1.1),  # asked before the pause ends: until an interval after it
    ],
)
def test_after_a_pause_sending_starts_from_an_empty_bucket(at: float, wait: float) -> None:
    budget = Budget(rate=10, burst=1.05)
    assert budget.wait(0.0) == 0  # a full bucket before the 429
    budget.empty_until(10.0)
    assert budget.wait(at) == pytest.approx(wait)


async def test_a_429_empties_the_bucket_until_the_end_of_the_pause() -> None:
    pacer = Pacer(10)
    assert pacer._budget is not None and pacer._budget.wait(0.0) == 0
    pacer.pause(2)
    end = pacer._pause_until
    assert pacer._budget.wait(end + 0.05) == pytest.approx(0.05)  # filling since the end
    assert pacer._budget.wait(end + 0.1) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("rate", "burst", "spent_at", "asked_at", "wait"),
    [
        (10, 1.05, [0.0], 0.0, 0.095),  # one message spends one token
        (1.5, 3, [0.0], 0.0, 1.0),  # at most floor(rate) = 1 in any second
        (2, 3, [0.0, 0.4], 0.5, 0.5),  # the oldest of the second decides
        (10, 20, [0.0] * 10, 1.0, 0.0),  # a second later the ten no longer count
        (10, 20, [0.0] * 10 + [1.5] * 10, 1.5, 1.0),  # ten in this second: the next waits
        (10, 20, [0.0] * 10, 0.5, 0.5),
    ],
)
def test_the_bucket_and_the_one_second_cap(
    rate: float, burst: float, spent_at: list[float], asked_at: float, wait: float
) -> None:
    budget = Budget(rate, burst)
    for at in spent_at:
        assert budget.wait(at) == 0
        budget.spend(at)
    assert budget.wait(asked_at) == pytest.approx(wait)


async def test_a_chat_is_spaced_at_the_default_interval() -> None:
    pacer = Pacer(None)  # one message a second per chat, as the bot runs
    await pacer.acquire(5)
    assert pacer.tracked_chats == 1
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.acquire(5), 0.05)
    pacer.close()
