"""The one sender of bulk messages: paced by the shared `Pacer`, classified, retried.

It calls the Bot API through the bot's request object (``BaseRequest.do_request``)
rather than ``Bot.do_api_request``: the bot's own layers (defaults, logging, object
building, and ExtBot's rate limiter, which would pace a second time) cost about 60 µs of
CPU a message and tell a 502 from a timeout only by their text. The HTTP status and the
Bot API's JSON answer are classified here with the rules PTB's ``BaseRequest`` uses;
transport failures arrive as PTB's own ``TimedOut`` and ``NetworkError``.

Outcomes: 2xx -> SENT; 403 and 400 "chat not found" -> BLOCKED; other 400 -> REJECTED;
429 -> pause every send for ``retry_after`` and try again (not an attempt).

One rule for a send in doubt: a failure before the request could have reached the Bot
API (connection refused, DNS, connect or pool timeout: the backend's ``ConnectFailed`` and
``ConnectTimedOut``) is retried, up to ``max_attempts`` attempts with exponential backoff
and jitter, then FAILED (certainly not delivered; the caller may try later). Once the
request may have reached Telegram (a read timeout, a connection dropped after sending, a
5xx) the send is UNKNOWN: it may have been delivered and there is no way to ask, so it
is never sent again, the same rule as after a kill -9.

Stopping (`stop`): no new attempt starts (a send still waiting for the pacer or a
backoff ends with `SendStopped` or FAILED), and requests on the wire get `grace`
seconds; those still unanswered then are cut and end UNKNOWN.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import telegram
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.outbound.errors import ConnectFailed, ConnectTimedOut
from bot.outbound.outcome import OnStart, SendOutcome, SendResult, SendStopped
from bot.outbound.pacing import Pacer, is_message_method

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# A 429 is never a failure, but a server that answers nothing else must not spin forever;
# FAILED puts the message back to the next tick, so it is still not lost.
MAX_RATE_LIMITED = 50


@dataclass
class SendCounters:
    """What the sender did since start-up, for metrics."""

    sent: int = 0
    blocked: int = 0
    rejected: int = 0
    failed: collections.Counter[str] = field(default_factory=collections.Counter)
    in_doubt: collections.Counter[str] = field(default_factory=collections.Counter)
    rate_limited: int = 0  # 429 answers
    retries: int = 0  # attempts after a failure to connect


@dataclass(frozen=True)
class _Answer:
    """One request's verdict, before retries."""

    outcome: SendOutcome | None  # None: try again (never left); see retry_after
    reason: str | None = None
    message_id: int | None = None
    retry_after: float | None = None  # set for a 429


class Sender:
    """Send Bot API calls for the delivery engine; implements `MessageSender`.

    Args:
        bot: an initialized PTB bot; its request object and base URL are used directly.
        pacer: the pacer shared with the Application's rate limiter.
        max_attempts: attempts for failures to connect (429s don't count; a request that
            may have reached Telegram is never repeated).
        backoff_base: seconds before the second attempt; doubles each time, with jitter.
        paid_broadcast: add ``allow_paid_broadcast`` to bulk sends (Telegram's paid
            1000/s; give the pacer that rate too).
    """

    def __init__(
        self,
        bot: telegram.Bot,
        pacer: Pacer,
        *,
        max_attempts: int = 3,
        backoff_base: float = 1.0,
        paid_broadcast: bool = False,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._bot = bot
        self.pacer = pacer
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.paid_broadcast = paid_broadcast
        self.counters = SendCounters()
        self._random = random.Random()
        self._stopping = asyncio.Event()
        self._cut = False
        self._waiting: set[asyncio.Task[Any]] = set()  # sends waiting for the pacer
        self._on_wire: set[asyncio.Task[Any]] = set()  # sends with a request under way
        self._interrupted: set[asyncio.Task[Any]] = set()

    @property
    def stopping(self) -> bool:
        """Whether `stop` was called."""
        return self._stopping.is_set()

    def stop(self, grace: float = 5.0) -> None:
        """Start no new attempt; cut requests still unanswered after `grace` seconds.

        Sends waiting for the pacer end at once (`SendStopped` before their first
        request, FAILED after a 429); cut requests end UNKNOWN (they may have arrived).
        """
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._interrupt(self._waiting)
        asyncio.get_running_loop().call_later(grace, self._cut_requests)

    def _cut_requests(self) -> None:
        self._cut = True
        if self._on_wire:
            log.warning(
                "stopping: %d requests unanswered after the grace period", len(self._on_wire)
            )
        self._interrupt(self._on_wire)

    def _interrupt(self, tasks: set[asyncio.Task[Any]]) -> None:
        for task in list(tasks):
            if task not in self._interrupted:
                self._interrupted.add(task)
                task.cancel()

    def _ours(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether a CancelledError in `task` came from `stop` (and only from it)."""
        if task is None or task not in self._interrupted:
            return False
        self._interrupted.discard(task)
        return task.uncancel() == 0

    @property
    def paused_for(self) -> float:
        """Seconds left of the current 429 pause (0 when sending)."""
        return self.pacer.paused_for()

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        """Pace, send and classify one call; never raises for Telegram or network errors.

        ``attempts`` in the result counts requests that were not answered with 429;
        ``rate_limited`` counts those that were.
        """
        request = self._bot.request
        url = f"{self._bot.base_url}/{method}"
        data = self._request_data(chat_id, method, params, bulk)
        attempts = rate_limited = 0
        me = asyncio.current_task()
        while True:
            retry = attempts + rate_limited > 0
            if self._stopping.is_set():
                if not retry:
                    raise SendStopped
                return self._finish(_Answer(SendOutcome.FAILED, "stopping"), attempts, rate_limited)
            if me is not None:
                self._waiting.add(me)
            try:
                await self.pacer.acquire(chat_id, bulk=bulk, retry=retry)
            except asyncio.CancelledError:
                if not self._ours(me):
                    raise
                continue  # stopping: the check above ends this send
            finally:
                self._waiting.discard(me)
            if on_start is not None:
                await on_start()
                on_start = None
            await self.pacer.leaving()
            attempts += 1
            if me is not None:
                self._on_wire.add(me)
            try:
                status, body = await request.do_request(url, "POST", data)
            except (ConnectTimedOut, ConnectFailed) as error:
                # Never left: safe to try again.
                kind = "connect timeout" if isinstance(error, TimedOut) else "connect failed"
                answer = _Answer(None, kind)
            except TimedOut:
                answer = _Answer(SendOutcome.UNKNOWN, "timeout")
            except NetworkError:
                answer = _Answer(SendOutcome.UNKNOWN, "network")
            except asyncio.CancelledError:
                if not self._ours(me):
                    raise
                answer = _Answer(SendOutcome.UNKNOWN, "stopped in flight")
            else:
                answer = _classify(status, body)
            finally:
                self._on_wire.discard(me)
                self.pacer.answered()
            if answer.retry_after is not None:
                attempts -= 1
                rate_limited += 1
                self.counters.rate_limited += 1
                self.pacer.pause(answer.retry_after)
                if rate_limited < MAX_RATE_LIMITED:
                    continue
                answer = _Answer(SendOutcome.FAILED, "rate limited")
            elif answer.outcome is None:
                if attempts < self.max_attempts and not self._stopping.is_set():
                    self.counters.retries += 1
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._backoff(attempts))
                    continue
                answer = _Answer(SendOutcome.FAILED, answer.reason)
            return self._finish(answer, attempts, rate_limited)

    def _request_data(
        self, chat_id: int, method: str, params: Mapping[str, Any], bulk: bool
    ) -> RequestData:
        values = {**params, "chat_id": chat_id}
        # Only new messages take allow_paid_broadcast; edits have no such parameter.
        paid = self.paid_broadcast and bulk and is_message_method(method)
        if paid and not method.lower().startswith("edit"):
            values["allow_paid_broadcast"] = True
        try:
            return JsonRequestData(values)
        except TypeError:
            # Not plain JSON (a datetime, a PTB object, a file): PTB's own conversion.
            return RequestData(
                [RequestParameter.from_input(name, value) for name, value in values.items()]
            )

    def _backoff(self, attempt: int) -> float:
        delay = min(MAX_BACKOFF, self.backoff_base * 2.0 ** (attempt - 1))
        return delay * (0.5 + self._random.random())

    def _finish(self, answer: _Answer, attempts: int, rate_limited: int) -> SendResult:
        outcome = answer.outcome
        assert outcome is not None
        if outcome is SendOutcome.SENT:
            self.counters.sent += 1
        elif outcome is SendOutcome.BLOCKED:
            self.counters.blocked += 1
        elif outcome is SendOutcome.REJECTED:
            self.counters.rejected += 1
        elif outcome is SendOutcome.UNKNOWN:
            self.counters.in_doubt[answer.reason or "unknown"] += 1
        else:
            self.counters.failed[answer.reason or "unknown"] += 1
        return SendResult(outcome, answer.message_id, answer.reason, attempts, rate_limited)


# PTB marks RequestData final for its users; this keeps its whole interface, so any
# BaseRequest (ours, PTB's httpx one) sends it as it would PTB's own.
class JsonRequestData(RequestData):  # type: ignore[misc]
    """PTB's request of plain JSON values, built in one pass: the same payload as
    ``RequestData`` (each value JSON-encoded unless it is a string, then the whole as JSON),
    without a ``RequestParameter`` and a file check per parameter (~40 µs a message).
    Raises TypeError for a value that is not plain JSON (the caller falls back to PTB's)."""

    __slots__ = ("_json", "_values")

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__()
        self._values = {name: value for name, value in values.items() if value is not None}
        self._json = {
            name: value if isinstance(value, str) else _dumps(value)
            for name, value in self._values.items()
        }

    @property
    def parameters(self) -> dict[str, Any]:
        """The values, as given (None dropped)."""
        return self._values

    @property
    def json_parameters(self) -> dict[str, str]:
        """Each value JSON-encoded (strings as they are)."""
        return self._json

    @property
    def json_payload(self) -> bytes:
        """The parameters as a UTF-8 JSON object of JSON-encoded values, as PTB sends them."""
        return _dumps(self._json).encode()


_dumps = json.JSONEncoder().encode  # json.dumps with default options, without its checks


def _classify(status: int, body: bytes) -> _Answer:
    """Turn one HTTP answer of the Bot API into a verdict (PTB's BaseRequest rules)."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {}
    if 200 <= status <= 299:
        result = payload.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return _Answer(SendOutcome.SENT, message_id=message_id)
    description = str(payload.get("description") or "")
    parameters = payload.get("parameters") or {}
    if isinstance(parameters, dict):
        if parameters.get("migrate_to_chat_id"):
            return _Answer(SendOutcome.REJECTED, "chat migrated")
        retry_after = parameters.get("retry_after")
        if isinstance(retry_after, int | float) and retry_after > 0:
            return _Answer(None, "rate limited", retry_after=float(retry_after))
    if status == 403:
        return _Answer(SendOutcome.BLOCKED, _short(description) or "forbidden")
    if status == 400:
        if "chat not found" in description.lower():
            return _Answer(SendOutcome.BLOCKED, "chat not found")
        return _Answer(SendOutcome.REJECTED, _short(description) or "bad request")
    if status >= 500:
        # The Bot API may have sent the message before failing: in doubt, never repeated.
        return _Answer(SendOutcome.UNKNOWN, f"http {status}")
    # 401/404 (the token), 409 and anything else: retrying now would not help.
    return _Answer(SendOutcome.FAILED, f"http {status}")


def _short(description: str) -> str:
    """Keep the kind of error and drop its details ("Bad Request: can't parse entities")."""
    _, _, rest = description.partition(": ")
    kind = (rest or description).partition(":")[0].strip()
    return kind[:60]
