"""The Application's own calls (handlers' replies) under the shared pacer: the call made as
PTB asked, replies to one chat allowed a short burst, a 429 retried after its pause as many
times as asked, and calls that are not messages waiting out the pause too.

Time scales are tens of milliseconds; assertions are lower bounds or "before a deadline".
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.outbound.pacing import PacedRateLimiter, Pacer

EPS = 0.002


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build RetryAfter without PTB 22's int-or-timedelta deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def now() -> float:
    return asyncio.get_running_loop().time()


async def test_the_call_is_made_with_the_arguments_ptb_gave() -> None:
    limiter = PacedRateLimiter(Pacer(None))
    received: list[tuple[Any, ...]] = []

    async def call(*args: Any, **kwargs: Any) -> bool:
        received.append((args, kwargs))
        return True

    result = await limiter.process_request(
        call, ("sendMessage", 1), {"text": "hi"}, "sendMessage", {"chat_id": 1}, None
    )
    assert result is True
    assert received == [(("sendMessage", 1), {"text": "hi"})]


async def test_replies_to_one_chat_may_burst_three_then_wait() -> None:
    limiter = PacedRateLimiter(Pacer(None, per_chat_interval=0.1))
    times: list[float] = []

    async def reply() -> bool:
        times.append(now())
        return True

    start = now()
    for _ in range(3):  # one after another, as a handler replies: no wait at all
        await asyncio.wait_for(
            limiter.process_request(reply, (), {}, "sendMessage", {"chat_id": 5}, None), 0.08
        )
    await limiter.process_request(reply, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert times[-1] >= start + 0.3 - EPS  # the fourth within the window waits
    await limiter.process_request(reply, (), {}, "sendMessage", {"chat_id": "@channel"}, None)
    assert len(times) == 5


def flooded(times: list[float], floods: int, seconds: float = 0.01) -> Any:
    async def call() -> bool:
        times.append(now())
        if len(times) <= floods:
            raise RetryAfter(dt.timedelta(seconds=seconds))
        return True

    return call


async def test_by_default_a_429_is_retried_five_times() -> None:
    limiter = PacedRateLimiter(Pacer(None))  # as bot/runtime/app.py makes it
    times: list[float] = []
    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded(times, 99), (), {}, "sendMessage", {}, None)
    assert len(times) == 6
    times.clear()
    assert await limiter.process_request(flooded(times, 5), (), {}, "sendMessage", {}, None)


@pytest.mark.parametrize("retries", [0, 2])
async def test_a_call_may_ask_for_its_own_number_of_retries(retries: int) -> None:
    limiter = PacedRateLimiter(Pacer(None), max_retries=5)
    times: list[float] = []
    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded(times, 99), (), {}, "sendMessage", {}, retries)
    assert len(times) == retries + 1


async def test_a_call_that_is_no_message_waits_out_the_pause_before_its_retry() -> None:
    limiter = PacedRateLimiter(Pacer(None))
    times: list[float] = []
    answer = flooded(times, 1, seconds=0.1)
    assert await limiter.process_request(answer, (), {}, "answerCallbackQuery", {}, None)
    assert len(times) == 2 and times[1] - times[0] >= 0.1 - EPS
