"""Pace every outgoing message: one global budget, one message a second per chat, 429 pauses.

The `Pacer` is shared by the delivery `Sender` (daily tips, broadcasts: bulk) and, through
`PacedRateLimiter`, by the Application's own replies (interactive), so both spend one
budget. Rules, in the order a message meets them:

1. Per chat: a bulk message waits until a second after the chat's previous message; an
   interactive reply may come sooner, but never more than three in any three seconds
   (Telegram tolerates short bursts in a chat; the sandbox flags more than that).
   Messages to one chat leave in the order they asked.
2. Globally: one message every ``1 / rate`` seconds on a schedule of absolute instants
   (GCRA), a message may go a little before its instant (``burst``: 5 ms of slack), and a
   message granted late does not move the instants after it: what falls due while the loop
   is busy goes as soon as it wakes, so lateness is made up (up to `CATCH_UP`), not lost.
   Never more than ``floor(rate)`` messages are granted in any one second (Telegram's own
   rule). Interactive replies are served before bulk ones, retries before fresh bulk sends.
3. On the wire (`leaving`): never more than ``floor(rate)`` requests leave in any one
   second. At 28/s against Telegram's 30, the two messages a second between them absorb
   the jitter on the way (the server counts a request when it reads it, a little later
   than it left, and not always equally later). At a rate with no such margin (paid
   broadcasts: 1,000/s against Telegram's 1,000) the pacer is told ``until_answered``: a
   request then holds its place from when it leaves until one second after its answer
   (`answered`), since the server had counted it by the time it answered, so the request
   that takes its place reaches the server at least a second later, whatever the jitter.
   It costs the round trip: ``floor(rate)`` requests per ``1 s + round trip``.
4. A 429 pauses everything until its ``retry_after`` has passed. A pause only ever grows:
   nothing that finishes meanwhile ends it early (PTB's AIORateLimiter in 22.8 lets any
   request that finishes lift the pause).

When there is budget nothing waits: a reply to an idle chat leaves at once, without even
a task switch.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.outbound.budget import CATCH_UP, Budget

log = logging.getLogger(__name__)

INTERACTIVE, BULK = 0, 1
BATCH_WAIT = 0.005  # seconds the pump may wait to hand out several tokens at once
CHAT_BURST = 3  # messages an interactive chat may get within CHAT_BURST * per_chat_interval
# Bot API methods that put a message in a chat (or change one): these spend the budget.
_MESSAGE_PREFIXES = ("send", "copymessage", "forwardmessage", "editmessage")
_NOT_MESSAGES = frozenset({"sendchataction"})


def is_message_method(method: str) -> bool:
    """Tell whether a Bot API method sends or edits a message (and so is paced)."""
    name = method.lower()
    return name.startswith(_MESSAGE_PREFIXES) and name not in _NOT_MESSAGES


def default_burst(rate: float | None) -> float:
    """Return the burst for ``rate``: 5 ms of slack above one message.

    A message may go up to 5 ms before its instant on the schedule, so a pump that wakes
    for several messages at once need not wait for the last one's instant (and asyncio's
    timers, which may fire a clock tick early, cost nothing). Lateness is made up by the
    schedule itself (`CATCH_UP`), not by this slack. At paid rates (1000/s) it is 6.
    """
    return 1.0 if rate is None else 1.0 + 0.005 * rate


class Pacer:
    """Decide when each message may leave. See the module docstring for the rules.

    Args:
        rate: messages per second for the whole bot; None for no global limit.
        per_chat_interval: seconds between two messages to one chat.
        burst: how many messages may go at once on a fresh schedule (1 + the slack in
            messages); by default `default_burst(rate)`.
        catch_up: seconds of lateness the schedule makes up (`CATCH_UP`).
        until_answered: count a request on the wire until a second after its answer, not
            after it left (rule 3): for a rate at the server's own limit.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        per_chat_interval: float = 1.0,
        burst: float | None = None,
        catch_up: float = CATCH_UP,
        until_answered: bool = False,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None for no limit)")
        if per_chat_interval < 0:
            raise ValueError("per_chat_interval must not be negative")
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self._auto_burst = burst is None
        self.burst = default_burst(rate) if burst is None else burst
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        if catch_up < 0:
            raise ValueError("catch_up must not be negative")
        self.catch_up = catch_up
        self.until_answered = until_answered
        self._window = CHAT_BURST * per_chat_interval
        self._budget = None if rate is None else Budget(rate, self.burst, catch_up)
        self._pause_until = 0.0
        self._queues: tuple[collections.deque[asyncio.Future[None]], ...] = (
            collections.deque(),
            collections.deque(),
        )
        self._pump: asyncio.Task[None] | None = None
        # Recent grant times per chat (at most CHAT_BURST, newest last), oldest chat first;
        # chats with nothing in the last window are dropped, so the table stays small.
        self._recent: collections.OrderedDict[Hashable, tuple[float, ...]] = (
            collections.OrderedDict()
        )
        # The last message still waiting for each chat; the next one waits behind it.
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        # The wire (see `leaving`): requests holding a place until an answer (only
        # `until_answered`), and when the other places give way, oldest first.
        self._on_wire = 0
        self._gone: collections.deque[float] = collections.deque()
        self._answer_waiters: list[asyncio.Future[None]] = []
        # Requests wait for a place one at a time, in order: one timer, not one each.
        self._wire_queue = asyncio.Lock()

    # -- the global pause ------------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        """Hold every message for ``seconds`` from now (Telegram said 429); never shortens."""
        now = asyncio.get_running_loop().time()
        until = now + max(seconds, 0.0)
        if until > self._pause_until:
            if now >= self._pause_until:  # once per pause, not once per 429 in flight
                log.warning("rate limited (429): every send pauses for %.1f s", seconds)
            self._pause_until = until
        if self._budget is not None:
            # Telegram just said we were too fast: start again after it, nothing to catch up.
            self._budget.empty_until(self._pause_until)

    def hold(self, seconds: float) -> None:
        """Hold every message for ``seconds`` from now, like a pause but not a 429: a replica
        joining waits until the others have made room for it (bot/runtime/replicas.py)."""
        until = asyncio.get_running_loop().time() + max(seconds, 0.0)
        self._pause_until = max(self._pause_until, until)

    def set_rate(self, rate: float) -> None:
        """Pace at ``rate`` from now on (this replica's share of the deployment's rate).

        What was sent in the last second still counts against the new per-second cap, so a
        lower rate takes effect at once; a default burst follows the rate.
        """
        if rate <= 0:
            raise ValueError("rate must be positive")
        if rate == self.rate:
            return
        self.rate = rate
        if self._auto_burst:
            self.burst = default_burst(rate)
        now = asyncio.get_running_loop().time()
        if self._budget is None:
            self._budget = Budget(rate, self.burst, self.catch_up)
        else:
            self._budget.retune(rate, self.burst, now)

    def paused_for(self) -> float:
        """Return how many seconds the current pause still lasts (0 when not paused)."""
        return max(0.0, self._pause_until - asyncio.get_running_loop().time())

    @property
    def waiting(self) -> int:
        """How many messages wait for the global budget right now."""
        return sum(1 for queue in self._queues for future in queue if not future.done())

    @property
    def on_the_wire(self) -> int:
        """How many requests hold a place until their answer (only ``until_answered``)."""
        return self._on_wire

    @property
    def tracked_chats(self) -> int:
        """How many chats the per-chat table holds (bounded by rate x window)."""
        return len(self._recent)

    # -- acquiring -------------------------------------------------------------------------

    async def acquire(
        self, chat_id: Hashable | None, *, bulk: bool = True, retry: bool = False
    ) -> None:
        """Wait until a message to ``chat_id`` may leave (None: a message to no chat).

        Args:
            bulk: a daily tip or broadcast (gives way to interactive replies).
            retry: a send that already waited once (429 or a failed attempt): it goes
                ahead of fresh bulk sends.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        if (
            (chat_id is None or chat_id not in self._tails)
            and self._chat_ready_at(chat_id, bulk) <= now
            and self._take(now, INTERACTIVE if not bulk else BULK, retry)
        ):
            self._record(chat_id, now)
            return
        if chat_id is None:
            await self._admit(INTERACTIVE if not bulk else BULK, retry)
            return
        ahead = self._tails.get(chat_id)
        mine: asyncio.Future[None] = loop.create_future()
        self._tails[chat_id] = mine
        try:
            if ahead is not None and not ahead.done():
                await asyncio.shield(ahead)
            # Nothing else records for this chat while we hold its tail: one sleep is enough.
            delay = self._chat_ready_at(chat_id, bulk) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._admit(INTERACTIVE if not bulk else BULK, retry)
            self._record(chat_id, loop.time())
        finally:
            if not mine.done():
                mine.set_result(None)
            if self._tails.get(chat_id) is mine:
                del self._tails[chat_id]

    async def leaving(self) -> None:
        """Wait, right before a granted request goes on the wire, until fewer than
        ``floor(rate)`` hold a place there (rule 3). The caller calls `answered` once the
        request is over, however it ended.

        Between the grant and the wire a bulk send stores its "sending" mark (a ledger
        write): one message held up by a write in progress and the next one not are
        granted a tick apart but leave together, which at 28/s against 30 used up the
        margin. This second look keeps Telegram's one-second rule at the moment that counts.
        """
        loop = asyncio.get_running_loop()
        if self._wire_queue.locked() or self._wire_wait(loop.time()) > 0:
            async with self._wire_queue:
                while (wait := self._wire_wait(loop.time())) > 0:
                    if wait < math.inf:
                        await asyncio.sleep(wait)
                        continue
                    # Every place is held by a request not yet answered: wait for an answer.
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._answer_waiters.append(waiter)
                    await waiter
                self._leave(loop.time())
                return
        self._leave(loop.time())

    def _wire_wait(self, now: float) -> float:
        """Return the seconds until a place on the wire is free (0: now; inf: not before an
        answer)."""
        if self._budget is None:
            return 0.0
        gone = self._gone
        while gone and gone[0] <= now:
            gone.popleft()
        if self._on_wire + len(gone) < self._budget.cap:
            return 0.0
        return gone[0] - now if gone else math.inf

    def _leave(self, now: float) -> None:
        if self.until_answered:
            self._on_wire += 1
        elif self._budget is not None:
            self._gone.append(now + 1.0)

    def answered(self) -> None:
        """Tell that a request that went through `leaving` is over (answered, failed or
        cancelled); with ``until_answered`` its place gives way a second from now."""
        if not self.until_answered:
            return
        self._on_wire -= 1
        if self._budget is not None:
            self._gone.append(asyncio.get_running_loop().time() + 1.0)
        waiters, self._answer_waiters = self._answer_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        """Stop the background pump; messages still waiting get CancelledError (shutdown)."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        for queue in self._queues:
            while queue:
                queue.popleft().cancel()

    # -- per chat --------------------------------------------------------------------------

    def _chat_ready_at(self, chat_id: Hashable | None, bulk: bool) -> float:
        recent = self._recent.get(chat_id) if chat_id is not None else None
        if not recent:
            return 0.0
        ready = recent[0] + self._window if len(recent) >= CHAT_BURST else 0.0
        if bulk:
            ready = max(ready, recent[-1] + self.per_chat_interval)
        return ready

    def _record(self, chat_id: Hashable | None, now: float) -> None:
        if chat_id is None or self.per_chat_interval == 0:
            return
        recent = self._recent.pop(chat_id, ())
        self._recent[chat_id] = (*recent[-(CHAT_BURST - 1) :], now)
        horizon = now - self._window
        while self._recent:
            oldest = next(iter(self._recent.values()))
            if oldest[-1] > horizon:
                break
            self._recent.popitem(last=False)

    # -- the global budget -----------------------------------------------------------------

    def _take(self, now: float, priority: int, retry: bool) -> bool:
        """Spend a token now if nothing with a better claim is waiting and one is there."""
        if now < self._pause_until:
            return False
        if self._queues[INTERACTIVE] or (priority == BULK and not retry and self._queues[BULK]):
            return False
        if self._budget is None:
            return True
        if self._budget.wait(now) > 0:
            return False
        self._budget.spend(now)
        return True

    async def _admit(self, priority: int, retry: bool) -> None:
        loop = asyncio.get_running_loop()
        if self._take(loop.time(), priority, retry):
            return
        future: asyncio.Future[None] = loop.create_future()
        queue = self._queues[priority]
        if retry:
            queue.appendleft(future)
        else:
            queue.append(future)
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self._run_pump(), name="pacer")
        await future

    async def _run_pump(self) -> None:
        """Hand out tokens to the queued messages, best claim first, honouring any pause.

        When it must wait and several messages are queued, it waits until a few are due
        and hands them out together: one timer for several messages instead of one each.
        A few: what the rate brings in `BATCH_WAIT`, at most half the burst (3 at 1,000/s;
        1, as before, at 28/s). When it wakes late, everything that fell due meanwhile goes
        at once (the schedule's catch-up). Every message is still granted by the same
        checks (schedule, one-second cap, pause).
        """
        loop = asyncio.get_running_loop()
        while True:
            queue = next((q for q in self._queues if _drop_cancelled(q)), None)
            if queue is None:
                return
            now = loop.time()
            if now < self._pause_until:
                await asyncio.sleep(self._pause_until - now)
                continue
            if self._budget is not None:
                wait = self._budget.wait(now)
                if wait > 0:
                    queued = sum(len(q) for q in self._queues)
                    most = min(self.burst / 2, self._budget.rate * BATCH_WAIT)
                    batch = min(queued, max(1, int(most)))
                    await asyncio.sleep(max(wait, self._budget.wait_for(now, batch)))
                    continue
                self._budget.spend(now)
            queue.popleft().set_result(None)


def _drop_cancelled(queue: collections.deque[asyncio.Future[None]]) -> bool:
    """Drop abandoned waiters from the front; tell whether anyone is still waiting."""
    while queue and queue[0].done():
        queue.popleft()
    return bool(queue)


def retry_after_seconds(error: RetryAfter) -> float:
    """Return a 429's wait in seconds (without PTB's int-or-timedelta deprecation warning)."""
    return float(error._retry_after.total_seconds())


ApiCallback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class PacedRateLimiter(BaseRateLimiter[int]):
    """Put the Application's own calls (handlers' replies) under the shared `Pacer`.

    Messages (see `is_message_method`) are paced as interactive; other calls
    (answerCallbackQuery, setMyCommands...) leave at once. A 429 on any call pauses the
    pacer and the call is retried after the pause, up to ``max_retries`` times (or the
    ``rate_limit_args`` a call passes); then the RetryAfter reaches the error handler.
    """

    def __init__(self, pacer: Pacer, max_retries: int = 5) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Stop the pacer's pump."""
        self.pacer.close()

    async def process_request(
        self,
        callback: ApiCallback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the pacer, make the call, and retry it after a 429's pause."""
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        paced = is_message_method(endpoint)
        chat_id = data.get("chat_id")
        key = chat_id if isinstance(chat_id, int | str) else None
        attempt = 0
        while True:
            if paced:
                await self.pacer.acquire(key, bulk=False, retry=attempt > 0)
                await self.pacer.leaving()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.pacer.pause(retry_after_seconds(error))
                if attempt >= retries:
                    raise
            finally:
                if paced:
                    self.pacer.answered()
            attempt += 1
            if not paced:
                await asyncio.sleep(self.pacer.paused_for())
