"""The pacer's order when messages of different kinds wait at once, and its per-chat table.

Who goes first when an interactive reply, a bulk send (a daily tip, a broadcast) and a retried
send (after a 429) wait at the same moment, what a message arriving meanwhile does, and how
the per-chat table forgets idle chats without losing an active chat's spacing. Only the
Pacer's public methods are used, on the event loop's own clock, as in test_pacing.py;
assertions are about order and about lower bounds the rules promise, never about how soon a
busy machine wakes a task up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.outbound.pacing import CHAT_BURST, PacedRateLimiter, Pacer

# Times are read right after acquire() returns, which may lag the grant (a task switch, a GC
# pause on a busy machine): lower bounds are checked this much short. The rules broken by the
# mistakes these tests are for differ by a whole interval.
EPS = 0.02

# A message: (name, chat, bulk, retry)
Message = tuple[str, Hashable | None, bool, bool]


def now() -> float:
    return asyncio.get_running_loop().time()


def reply(name: str, chat: Hashable | None, *, retry: bool = False) -> Message:
    return (name, chat, False, retry)


def bulk(name: str, chat: Hashable | None, *, retry: bool = False) -> Message:
    return (name, chat, True, retry)


async def settle() -> None:
    """Let every task started so far run until it waits on something."""
    for _ in range(5):
        await asyncio.sleep(0)


def start(pacer: Pacer, message: Message, order: list[str]) -> asyncio.Task[None]:
    name, chat, is_bulk, retry = message

    async def go() -> None:
        await pacer.acquire(chat, bulk=is_bulk, retry=retry)
        order.append(name)

    return asyncio.create_task(go(), name=name)


def finished_at_once(pacer: Pacer, message: Message) -> bool:
    """Tell whether acquiring for ``message`` finished on its first step (it never waited)."""
    _, chat, is_bulk, retry = message
    coroutine = pacer.acquire(chat, bulk=is_bulk, retry=retry)
    try:
        coroutine.send(None)
    except StopIteration:
        return True
    coroutine.close()
    return False


# -- everyone waiting at the same moment (a 429's pause) -------------------------------------

ORDERS = [
    pytest.param([bulk("tip", 1), reply("reply", 2)], ["reply", "tip"], id="reply-before-tip"),
    pytest.param(
        [bulk("tip", 1), bulk("retried tip", 2, retry=True)],
        ["retried tip", "tip"],
        id="retried-tip-before-fresh-tip",
    ),
    pytest.param(
        [bulk("retried tip", 1, retry=True), reply("reply", 2)],
        ["reply", "retried tip"],
        id="reply-before-retried-tip",
    ),
    pytest.param(
        [bulk("tip 1", 1), bulk("tip 2", 2), bulk("tip 3", 3)],
        ["tip 1", "tip 2", "tip 3"],
        id="tips-in-arrival-order",
    ),
    pytest.param(
        [reply("reply 1", 1), reply("reply 2", 2), reply("reply 3", 3)],
        ["reply 1", "reply 2", "reply 3"],
        id="replies-in-arrival-order",
    ),
    pytest.param(
        [reply("reply", 1), reply("retried reply", 2, retry=True)],
        ["retried reply", "reply"],
        id="retried-reply-before-fresh-reply",
    ),
    pytest.param(
        [
            bulk("tip 1", 1),
            reply("reply 1", 2),
            bulk("retried tip", 3, retry=True),
            bulk("tip 2", 4),
            reply("reply 2", 5),
        ],
        ["reply 1", "reply 2", "retried tip", "tip 1", "tip 2"],
        id="all-kinds",
    ),
    pytest.param(
        [bulk("tip", None), reply("reply", None)],
        ["reply", "tip"],
        id="messages-to-no-chat-keep-their-kind",
    ),
]


@pytest.mark.parametrize("rate", [None, 200.0], ids=["no-global-limit", "at-200-a-second"])
@pytest.mark.parametrize(("arrivals", "expected"), ORDERS)
async def test_what_waits_together_goes_in_the_order_of_its_kind(
    rate: float | None, arrivals: list[Message], expected: list[str]
) -> None:
    pacer = Pacer(rate, per_chat_interval=0.05)
    pacer.pause(0.1)  # a 429: everything that asks now waits
    order: list[str] = []
    tasks = []
    for message in arrivals:
        tasks.append(start(pacer, message, order))
        await settle()  # each one waits before the next one asks
    assert order == []
    assert pacer.waiting == len(arrivals)
    await asyncio.gather(*tasks)
    assert order == expected
    pacer.close()


# -- a message arriving while others wait, and the budget has room again ---------------------


async def queue_behind_a_slow_rate(
    pacer: Pacer, queued: Message, order: list[str]
) -> asyncio.Task[None]:
    """Spend the only token, queue ``queued`` behind it, then raise the rate (a replica's
    share grows) and give the bucket time to fill, while ``queued`` still waits its turn."""
    await pacer.acquire(0)
    task = start(pacer, queued, order)
    await settle()
    assert order == [] and pacer.waiting == 1
    pacer.set_rate(1000)
    await asyncio.sleep(0.01)
    return task


@pytest.mark.parametrize(
    ("queued", "arriving"),
    [
        pytest.param(bulk("tip", 1), reply("reply", 2), id="reply-past-a-waiting-tip"),
        pytest.param(
            bulk("tip", 1), bulk("retried", 2, retry=True), id="retried-tip-past-a-waiting-tip"
        ),
        pytest.param(
            bulk("retried", 1, retry=True), reply("reply", 2), id="reply-past-a-waiting-retry"
        ),
    ],
)
async def test_a_better_claim_arriving_goes_at_once_when_there_is_budget(
    queued: Message, arriving: Message
) -> None:
    pacer = Pacer(10, burst=1)
    order: list[str] = []
    waiting = await queue_behind_a_slow_rate(pacer, queued, order)
    assert finished_at_once(pacer, arriving)
    pacer.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting


@pytest.mark.parametrize(
    ("queued", "arriving"),
    [
        pytest.param(bulk("first", 1), bulk("second", 2), id="tip-behind-a-waiting-tip"),
        pytest.param(
            bulk("first", 1, retry=True), bulk("second", 2), id="tip-behind-a-waiting-retry"
        ),
        pytest.param(reply("first", 1), bulk("second", 2), id="tip-behind-a-waiting-reply"),
        pytest.param(
            reply("first", 1), bulk("second", 2, retry=True), id="retry-behind-a-waiting-reply"
        ),
        pytest.param(reply("first", 1), reply("second", 2), id="reply-behind-a-waiting-reply"),
    ],
)
async def test_an_equal_or_weaker_claim_arriving_never_overtakes_one_waiting(
    queued: Message, arriving: Message
) -> None:
    pacer = Pacer(10, burst=1)
    order: list[str] = []
    waiting = await queue_behind_a_slow_rate(pacer, queued, order)
    await asyncio.gather(waiting, start(pacer, arriving, order))
    assert order == ["first", "second"]
    pacer.close()


@pytest.mark.parametrize("rate", [25.0, None], ids=["at-25-a-second", "no-global-limit"])
@pytest.mark.parametrize(
    "message",
    [bulk("tip", 1), bulk("retried tip", 1, retry=True), bulk("tip", None), reply("reply", 1)],
    ids=["tip", "retried-tip", "tip-to-no-chat", "reply"],
)
async def test_an_idle_pacer_lets_any_message_go_without_a_task_switch(
    rate: float | None, message: Message
) -> None:
    pacer = Pacer(rate)
    assert finished_at_once(pacer, message)
    assert pacer.waiting == 0


# -- one chat --------------------------------------------------------------------------------


async def test_a_reply_waits_behind_its_chats_earlier_tip() -> None:
    # A reply alone could go at once (a chat may get three replies in a burst), but the
    # chat's tip asked first and waits for its second: messages to one chat keep their order.
    pacer = Pacer(None, per_chat_interval=0.2)
    order: list[str] = []
    await pacer.acquire(7)
    first = now()
    order.append("tip 1")
    tip = start(pacer, bulk("tip 2", 7), order)
    await settle()
    late = start(pacer, reply("reply", 7), order)
    await asyncio.gather(tip, late)
    assert order == ["tip 1", "tip 2", "reply"]
    assert now() - first >= 0.2 - EPS


async def test_replies_to_one_chat_never_exceed_the_burst_in_any_window() -> None:
    interval = 0.05
    window = CHAT_BURST * interval
    pacer = Pacer(None, per_chat_interval=interval)
    times: list[float] = []

    async def one() -> None:
        await pacer.acquire(9, bulk=False)
        times.append(now())

    await asyncio.gather(*(one() for _ in range(2 * CHAT_BURST + 1)))
    # Any CHAT_BURST + 1 consecutive replies span at least a window.
    for earlier, later in zip(times, times[CHAT_BURST:], strict=False):
        assert later - earlier >= window - EPS


# -- the per-chat table ----------------------------------------------------------------------


async def test_messages_to_no_chat_take_no_place_in_the_table() -> None:
    pacer = Pacer(None, per_chat_interval=0.05)
    for _ in range(3):
        await pacer.acquire(None)
        await pacer.acquire(None, bulk=False)
    assert pacer.tracked_chats == 0
    await pacer.acquire(1)
    assert pacer.tracked_chats == 1


async def test_the_table_forgets_exactly_the_chats_idle_for_a_window() -> None:
    interval = 0.1
    window = CHAT_BURST * interval
    pacer = Pacer(None, per_chat_interval=interval)
    last: dict[int, float] = {}

    async def send(chat: int) -> None:
        await pacer.acquire(chat)
        last[chat] = now()

    await send(1)
    await send(2)
    await asyncio.sleep(window * 2 / 3)
    await send(1)  # chat 1 is active again; chat 2 is not
    await asyncio.sleep(window * 2 / 3)
    await send(3)
    at = now()
    # Chat 2's last message is over a window old; chat 1's (and 3's) are within it.
    assert pacer.tracked_chats == sum(1 for t in last.values() if t > at - window)


async def test_pruning_older_chats_keeps_an_active_chats_spacing() -> None:
    interval = 0.1
    pacer = Pacer(None, per_chat_interval=interval)
    await pacer.acquire(0)
    await asyncio.sleep(CHAT_BURST * interval + 0.05)  # chat 0 is now idle: pruned next
    await pacer.acquire(1)
    granted = now()
    for chat in range(2, 50):
        await pacer.acquire(chat)
    await pacer.acquire(1)
    assert now() - granted >= interval - EPS


# -- a reply retried after a 429, through the Application's rate limiter ----------------------


async def test_a_reply_flooded_by_a_429_goes_again_before_replies_that_waited_behind_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter without PTB's deprecation warning
    pacer = Pacer(10, burst=1)
    limiter = PacedRateLimiter(pacer)
    sent: list[str] = []
    on_the_wire = asyncio.Event()
    others_waiting = asyncio.Event()

    def call(name: str) -> Callable[[], Coroutine[Any, Any, bool]]:
        async def make() -> bool:
            if name == "first" and not on_the_wire.is_set():
                on_the_wire.set()
                await others_waiting.wait()
                raise RetryAfter(dt.timedelta(seconds=0.05))
            sent.append(name)
            return True

        return make

    def send(name: str, chat: int) -> asyncio.Task[Any]:
        request = limiter.process_request(
            call(name), (), {}, "sendMessage", {"chat_id": chat}, None
        )
        return asyncio.create_task(request)

    first = send("first", 1)
    await on_the_wire.wait()  # "first" took the only token and is on its way
    later = [send("second", 2), send("third", 3)]
    await settle()
    assert pacer.waiting == 2  # both wait for the budget behind "first"
    others_waiting.set()  # now Telegram answers "first" with a 429
    await asyncio.gather(first, *later)
    assert sent == ["first", "second", "third"]
    await limiter.shutdown()
