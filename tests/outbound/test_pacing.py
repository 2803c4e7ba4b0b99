"""The pacer on its own: global budget, per-chat spacing, the 429 pause, priorities.

Time scales are small (rates of 20-200/s, intervals of 50-100 ms) and assertions are about
order, counts and lower bounds the pacer guarantees, never about how soon a busy machine
wakes a task up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.outbound.budget import Budget
from bot.outbound.pacing import (
    CHAT_BURST,
    PacedRateLimiter,
    Pacer,
    default_burst,
    is_message_method,
)

EPS = 0.002  # the event loop may wake a timer up to its clock resolution early


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build RetryAfter without PTB 22's int-or-timedelta deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def now() -> float:
    return asyncio.get_running_loop().time()


async def grant_times(pacer: Pacer, chats: list[int | None], *, bulk: bool = True) -> list[float]:
    """Acquire for every chat concurrently (in list order); return each grant's time."""
    times = [0.0] * len(chats)

    async def one(i: int, chat: int | None) -> None:
        await pacer.acquire(chat, bulk=bulk)
        times[i] = now()

    await asyncio.gather(*(one(i, chat) for i, chat in enumerate(chats)))
    return times


@pytest.mark.parametrize(
    ("method", "paced"),
    [
        ("sendMessage", True),
        ("sendPhoto", True),
        ("sendDocument", True),
        ("copyMessage", True),
        ("forwardMessage", True),
        ("editMessageText", True),
        ("editMessageReplyMarkup", True),
        ("sendChatAction", False),
        ("answerCallbackQuery", False),
        ("deleteMessage", False),
        ("setMyCommands", False),
        ("getMe", False),
    ],
)
def test_which_methods_spend_the_budget(method: str, paced: bool) -> None:
    assert is_message_method(method) is paced


@pytest.mark.parametrize(("rate", "burst"), [(None, 1), (25, 1.125), (28, 1.14), (1000, 6)])
def test_default_burst_is_five_milliseconds_of_slack(rate: float | None, burst: float) -> None:
    assert default_burst(rate) == pytest.approx(burst)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
    with pytest.raises(ValueError):
        Pacer(10, per_chat_interval=-1)
    with pytest.raises(ValueError):
        Pacer(10, burst=0.5)


async def test_an_idle_pacer_lets_a_reply_go_without_a_task_switch() -> None:
    pacer = Pacer(25)
    coroutine = pacer.acquire(42, bulk=False)
    with pytest.raises(StopIteration):
        coroutine.send(None)  # finished on the first step: it never waited
    assert pacer.waiting == 0


def assert_on_schedule(pacer: Pacer, start: float, times: list[float]) -> None:
    """The k-th grant is never before its instant on the schedule less the slack, and any
    window of w seconds holds at most burst + rate * (w + catch_up) grants (what a schedule
    that makes up lateness can do after a late wake-up; on an idle machine, burst + rate * w)."""
    assert pacer.rate is not None
    rate = pacer.rate
    for k, t in enumerate(sorted(times)):
        assert t >= start + (k + 1 - pacer.burst) / rate - EPS
    for i, t in enumerate(times):
        in_window = sum(1 for u in times[i:] if u - t <= 0.1)
        assert in_window <= pacer.burst + rate * (0.1 + pacer.catch_up) + EPS


async def test_the_global_rate_holds_in_every_window() -> None:
    rate = 200.0
    pacer = Pacer(rate)
    start = now()
    times = await grant_times(pacer, list(range(60)))
    assert_on_schedule(pacer, start, times)
    assert max(times) - start >= (60 - pacer.burst) / rate - EPS
    assert max(times) - start < 5  # it does finish
    pacer.close()


# -- the schedule on its own, on made-up instants ---------------------------------------------


def grants(budget: Budget, at: float, most: int = 10_000) -> int:
    """Grant at instant ``at`` as many messages as the budget allows then; return how many."""
    n = 0
    while n < most and budget.wait(at) == 0:
        budget.spend(at)
        n += 1
    return n


@pytest.mark.parametrize(
    ("late", "expected"),
    [
        pytest.param(0.0, 1, id="on-time"),
        pytest.param(0.030, 31, id="30ms-late-all-made-up"),
        pytest.param(0.250, 251, id="as-late-as-catch-up"),
        pytest.param(2.0, 251, id="a-long-stall-loses-what-is-beyond-catch-up"),
    ],
)
def test_a_late_wake_up_grants_what_fell_due_meanwhile(late: float, expected: int) -> None:
    # Instants are chosen so that no message is due exactly when the pump wakes (a catch-up
    # of a whole number of intervals would put one there, at the mercy of rounding).
    budget = Budget(1000.0, burst=1.0, catch_up=0.2505)
    assert grants(budget, 0.0) == 1
    # The next message is due at 1 ms; the pump wakes `late` after that.
    assert grants(budget, 0.0012 + late) == expected


def test_an_even_schedule_keeps_the_rate_and_is_never_ahead_of_it() -> None:
    budget = Budget(1000.0, burst=6.0)
    total = grants(budget, 0.0)
    assert total == 6  # the slack: 5 ms of messages
    at = 0.0
    while at < 1.0:  # a pump meaning to wake every 3 ms, often up to 2 ms late
        at += 0.003 + (0.002 if len(budget.sent) % 3 else 0.0)
        total += grants(budget, at)
        assert total <= 6 + at * 1000 + 1e-9
    assert total >= 1000  # over a second, the rate: lateness was made up


def test_a_second_never_holds_more_than_the_rate_even_catching_up() -> None:
    budget = Budget(100.0, burst=1.0, catch_up=1.0)
    assert grants(budget, 0.0) == 1
    # A second saved up: 101 fell due, but a second holds at most 100...
    assert grants(budget, 5.0005) == 100
    assert grants(budget, 5.5) == 0
    # ...and the next 100 wait until those have left the window.
    assert grants(budget, 6.0) == 0
    assert grants(budget, 6.001) == 100


def test_an_idle_pacer_saves_up_no_more_than_catch_up() -> None:
    budget = Budget(28.0, burst=default_burst(28.0), catch_up=0.25)
    assert grants(budget, 0.0) == 1
    assert grants(budget, 60.0) == 8  # 0.25 s of messages at 28/s (7) and the slack


def test_a_message_sent_exactly_a_second_ago_has_left_the_window() -> None:
    budget = Budget(1.0, burst=1.0)
    assert grants(budget, 0.0) == 1
    assert budget.wait(0.999) > 0
    assert budget.wait(1.0) == 0  # one a second: the next goes one second after, not later


def test_wait_for_counts_the_messages_after_the_next() -> None:
    budget = Budget(10.0, burst=1.0)
    assert grants(budget, 0.0) == 1
    # The next is due at 0.1 s, the third from now two intervals after it.
    assert budget.wait_for(0.0, 1) == pytest.approx(0.1)
    assert budget.wait_for(0.0, 3) == pytest.approx(0.3)


def test_a_new_rate_carries_over_how_far_ahead_the_schedule_is_in_messages() -> None:
    budget = Budget(10.0, burst=1.0)
    assert grants(budget, 0.0) == 1
    # One message ahead at 10/s is 0.1 s; at 20/s the same one message is 0.05 s.
    budget.retune(20.0, 1.0, now=0.0)
    assert budget.wait(0.0) == pytest.approx(0.05)
    assert budget.wait(0.05) == 0


async def test_no_second_holds_more_than_the_rate_even_after_a_burst() -> None:
    pacer = Pacer(10, burst=5)  # a big bucket: five at once, then 10/s
    times = await grant_times(pacer, list(range(12)))
    # Telegram's rule (and the sandbox's): at most floor(rate) in any one second.
    assert all(later - t >= 1 - EPS for t, later in zip(times, times[10:], strict=False))
    pacer.close()


@pytest.mark.parametrize(
    ("rate", "n", "timers_between"),
    [
        (1000.0, 300, (1, 300 / 2)),  # ~3 tokens a timer
        # Half a message in 5 ms: a timer a message, as before (fewer when one wakes late
        # enough for two to have fallen due).
        (100.0, 30, (30 / 2, 60)),
    ],
)
async def test_at_paid_rates_one_timer_lets_several_messages_go(
    monkeypatch: pytest.MonkeyPatch, rate: float, n: int, timers_between: tuple[float, float]
) -> None:
    timers = 0
    sleep = asyncio.sleep

    async def counted(delay: float) -> None:
        nonlocal timers
        timers += 1
        await sleep(delay)

    monkeypatch.setattr("bot.outbound.pacing.asyncio.sleep", counted)
    pacer = Pacer(rate)
    start = now()
    times = await grant_times(pacer, list(range(n)))
    # The rate holds either way.
    assert max(times) - start >= (n - pacer.burst) / rate - EPS
    assert_on_schedule(pacer, start, times)
    assert timers_between[0] <= timers <= timers_between[1]
    pacer.close()


async def test_bulk_messages_to_one_chat_are_spaced_and_in_order() -> None:
    pacer = Pacer(None, per_chat_interval=0.05)
    order: list[int] = []
    times: list[float] = []

    async def one(i: int) -> None:
        await pacer.acquire(7)
        order.append(i)
        times.append(now())

    await asyncio.gather(*(one(i) for i in range(4)))
    assert order == [0, 1, 2, 3]
    assert all(b - a >= 0.05 - EPS for a, b in zip(times, times[1:], strict=False))


async def test_interactive_replies_may_burst_three_in_a_window() -> None:
    pacer = Pacer(None, per_chat_interval=0.1)
    times = await grant_times(pacer, [7] * (CHAT_BURST + 1), bulk=False)
    window = CHAT_BURST * 0.1
    assert times[CHAT_BURST] - times[0] >= window - EPS
    # ...while the first three went without waiting for one another.
    assert times[CHAT_BURST - 1] - times[0] < window


async def test_a_busy_chat_does_not_hold_up_other_chats() -> None:
    pacer = Pacer(None, per_chat_interval=0.5)
    busy = asyncio.gather(*(pacer.acquire(1) for _ in range(3)))
    await asyncio.sleep(0)
    started = now()
    await pacer.acquire(2)
    assert now() - started < 0.5  # did not wait for chat 1's second or third slot
    assert not busy.done()
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy
    assert pacer._tails == {}


async def test_a_pause_holds_every_waiter_and_is_never_shortened() -> None:
    pacer = Pacer(200)
    pacer.pause(0.15)
    paused_at = now()
    waiters = asyncio.gather(*(grant_times(pacer, [i]) for i in range(5)))
    await asyncio.sleep(0.02)
    pacer.pause(0.01)  # a shorter 429 arriving later must not end the pause early
    assert pacer.paused_for() > 0.05
    times = [t for [t] in await waiters]
    assert min(times) >= paused_at + 0.15 - EPS
    assert pacer.paused_for() == 0


async def test_interactive_replies_go_before_queued_bulk_sends() -> None:
    pacer = Pacer(20)
    order: list[str] = []

    async def send(name: str, chat: int, bulk: bool) -> None:
        await pacer.acquire(chat, bulk=bulk)
        order.append(name)

    bulk = [asyncio.create_task(send(f"bulk{i}", i, True)) for i in range(5)]
    await asyncio.sleep(0)  # the bulk sends are queued (one may have taken the token)
    await send("reply", 100, False)
    await asyncio.gather(*bulk)
    assert order.index("reply") <= 2
    assert [name for name in order if name != "reply"] == [f"bulk{i}" for i in range(5)]
    pacer.close()


async def test_retries_go_before_fresh_bulk_sends() -> None:
    pacer = Pacer(20)
    order: list[str] = []

    async def send(name: str, chat: int, retry: bool) -> None:
        await pacer.acquire(chat, retry=retry)
        order.append(name)

    fresh = [asyncio.create_task(send(f"fresh{i}", i, False)) for i in range(4)]
    await asyncio.sleep(0)
    await send("retry", 100, True)
    await asyncio.gather(*fresh)
    assert order.index("retry") <= 2
    pacer.close()


async def test_a_cancelled_waiter_gives_its_place_away() -> None:
    pacer = Pacer(20, burst=1)
    await pacer.acquire(1)  # the only token
    gone = asyncio.create_task(pacer.acquire(2))
    await asyncio.sleep(0)
    gone.cancel()
    await pacer.acquire(3)  # the next token is this one's, not lost to the cancelled waiter
    assert gone.cancelled()
    assert pacer.waiting == 0 and pacer._tails == {}


async def test_the_per_chat_table_stays_small() -> None:
    pacer = Pacer(None, per_chat_interval=0.01)
    for chat in range(2000):
        await pacer.acquire(chat)
    assert pacer.tracked_chats <= 2000
    await asyncio.sleep(CHAT_BURST * 0.01 + 0.01)
    await pacer.acquire(-1)
    assert pacer.tracked_chats == 1


# -- on the wire ------------------------------------------------------------------------------


async def test_until_answered_a_place_gives_way_a_second_after_the_answer() -> None:
    """At a rate with no margin below the server's, a request holds its place until a second
    after its answer: the server had counted it by then, however late it read it."""
    pacer = Pacer(5.0, burst=5, until_answered=True)
    for chat in range(5):
        await pacer.acquire(chat)
        await pacer.leaving()
    assert pacer.on_the_wire == 5

    async def sixth() -> float:
        await pacer.acquire(5)
        await pacer.leaving()
        return now()

    waiting = asyncio.create_task(sixth())
    await asyncio.sleep(1.1)  # a second since the five left, but none is answered yet
    assert not waiting.done()
    pacer.answered()
    answered_at = now()
    assert await waiting >= answered_at + 1.0 - EPS
    for _ in range(5):
        pacer.answered()
    assert pacer.on_the_wire == 0
    pacer.close()


async def test_the_limiter_gives_every_place_back() -> None:
    pacer = Pacer(500, until_answered=True)
    limiter = PacedRateLimiter(pacer, max_retries=1)
    flooded = False

    async def once_flooded() -> bool:
        nonlocal flooded
        if not flooded:
            flooded = True
            raise RetryAfter(dt.timedelta(seconds=0.01))
        return True

    async def broken() -> bool:
        raise ValueError("a bug in a handler")

    assert await limiter_call(limiter, once_flooded, "sendMessage", 1)
    with pytest.raises(ValueError):
        await limiter_call(limiter, broken, "sendMessage", 2)
    assert pacer.on_the_wire == 0
    await limiter.shutdown()


# -- the Application's rate limiter over the same pacer --------------------------------------

Call = Callable[..., Coroutine[Any, Any, Any]]


def limiter_call(
    limiter: PacedRateLimiter, callback: Call, endpoint: str, chat_id: int | None = None
) -> Coroutine[Any, Any, Any]:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return limiter.process_request(callback, (), {}, endpoint, data, None)


async def test_limiter_pause_outlives_calls_that_finish_meanwhile() -> None:
    pacer = Pacer(500)
    limiter = PacedRateLimiter(pacer)
    calls: dict[str, float] = {}
    flood = asyncio.Event()

    def call(name: str) -> Call:
        async def make() -> bool:
            if name == "flooded" and not flood.is_set():
                flood.set()
                raise RetryAfter(dt.timedelta(seconds=0.2))
            calls[name] = now()
            return True

        return make

    first = asyncio.create_task(limiter_call(limiter, call("flooded"), "sendMessage", 1))
    await flood.wait()  # the 429 is in: the limiter has paused and queued the retry
    paused_until = now() + pacer.paused_for()
    assert pacer.paused_for() > 0.1
    # A call that is not a message (and so not paced) finishes during the pause; in PTB's
    # AIORateLimiter (22.8) any finishing call lifts the pause for everyone else.
    results = await asyncio.gather(
        limiter_call(limiter, call("callback answer"), "answerCallbackQuery", 2),
        *(limiter_call(limiter, call(f"reply {i}"), "sendMessage", 10 + i) for i in range(4)),
        first,
    )
    assert all(results)
    assert calls["callback answer"] < paused_until
    assert min(calls[f"reply {i}"] for i in range(4)) >= paused_until - EPS
    assert calls["flooded"] >= paused_until - EPS
    await limiter.shutdown()


async def test_limiter_paces_replies_to_one_chat() -> None:
    limiter = PacedRateLimiter(Pacer(None, per_chat_interval=0.05))
    times: list[float] = []

    async def reply() -> bool:
        times.append(now())
        return True

    await asyncio.gather(
        *(limiter_call(limiter, reply, "sendMessage", 5) for _ in range(CHAT_BURST + 1))
    )
    assert times[-1] - times[0] >= CHAT_BURST * 0.05 - EPS


async def test_limiter_gives_up_after_max_retries() -> None:
    limiter = PacedRateLimiter(Pacer(None), max_retries=1)
    tries = 0

    async def always_flooded() -> bool:
        nonlocal tries
        tries += 1
        raise RetryAfter(dt.timedelta(seconds=0.01))

    with pytest.raises(RetryAfter):
        await limiter_call(limiter, always_flooded, "sendMessage", 1)
    assert tries == 2
