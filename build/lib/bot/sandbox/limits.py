"""The sandbox's flow controls: the global rate limit, per-chat pacing, faults, counters, log.

Rate windows use ``time.monotonic`` rather than the world clock: the world clock may jump
forward by hours in a test, and a jump must not empty or overfill a one-second window.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Timer = Callable[[], float]


class RateLimiter:
    """Allow at most ``per_second`` messages in any sliding one-second window (None = no limit)."""

    def __init__(self, per_second: float | None, timer: Timer = time.monotonic) -> None:
        self.per_second = per_second
        self._timer = timer
        self._sent: collections.deque[float] = collections.deque()

    def retry_after(self) -> int | None:
        """Return the seconds to wait before another message is allowed, or None if allowed now."""
        if self.per_second is None:
            return None
        now = self._timer()
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        if len(self._sent) < self.per_second:
            return None
        return max(1, math.ceil(self._sent[0] + 1.0 - now))

    def record(self) -> None:
        """Count one message sent now."""
        self._sent.append(self._timer())


class ChatPacer:
    """Spot chats that get more than one message a second, averaged over three seconds.

    Telegram asks bots to avoid that but tolerates short bursts, so the sandbox only counts
    these overruns (a bot that trips them in normal use is too chatty) and refuses nothing.
    """

    WINDOW = 3.0

    def __init__(self, timer: Timer = time.monotonic) -> None:
        self._timer = timer
        self._sent: dict[int, collections.deque[float]] = {}

    def record(self, chat_id: int) -> bool:
        """Count one message to ``chat_id``; return True if it overran the pace."""
        now = self._timer()
        sent = self._sent.setdefault(chat_id, collections.deque())
        while sent and sent[0] <= now - self.WINDOW:
            sent.popleft()
        sent.append(now)
        return len(sent) > self.WINDOW


@dataclass
class Fault:
    """One armed fault: the next ``count`` calls (of ``method`` or any) are delayed and/or fail."""

    method: str | None
    status: int
    count: int
    delay_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fault as JSON."""
        return {
            "method": self.method,
            "status": self.status,
            "count": self.count,
            "delay_seconds": self.delay_seconds,
        }


class FaultInjector:
    """Hand out armed faults to matching Bot API calls, oldest first."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        """Add a fault."""
        if fault.status != 0 and not 500 <= fault.status <= 599:
            raise ValueError("status must be 0 (delay only) or a 5xx code")
        if fault.count < 1 or fault.delay_seconds < 0:
            raise ValueError("count must be >= 1 and delay_seconds >= 0")
        self.faults.append(fault)

    def clear(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    def take(self, method: str) -> Fault | None:
        """Consume one use of the first fault matching ``method`` and return it."""
        for fault in self.faults:
            if fault.method is None or fault.method.lower() == method.lower():
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None


@dataclass
class Counters:
    """What happened since start-up, for tests and dashboards."""

    requests_by_method: collections.Counter[str] = field(default_factory=collections.Counter)
    messages_delivered: int = 0
    rate_limited: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    faults_injected: int = 0
    chat_overruns: collections.Counter[int] = field(default_factory=collections.Counter)

    def to_dict(self) -> dict[str, Any]:
        """Return the counters as JSON (chat ids become string keys)."""
        return {
            "requests_by_method": dict(self.requests_by_method),
            "messages_delivered": self.messages_delivered,
            "rate_limited": self.rate_limited,
            "forbidden": self.forbidden,
            "bad_requests": self.bad_requests,
            "faults_injected": self.faults_injected,
            "chat_overruns": sum(self.chat_overruns.values()),
            "chat_overruns_by_chat": {str(k): v for k, v in self.chat_overruns.items()},
        }

    def count_status(self, status: int) -> None:
        """Count an error answer by its HTTP status."""
        if status == 429:
            self.rate_limited += 1
        elif status == 403:
            self.forbidden += 1
        elif status == 400:
            self.bad_requests += 1


def summarize_params(params: dict[str, Any], limit: int = 200) -> dict[str, Any]:
    """Shorten parameter values for the requests log."""
    summary: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, bytes):
            summary[key] = f"<file {len(value)} bytes>"
        elif isinstance(value, str) and len(value) > limit:
            summary[key] = value[:limit] + "…"
        elif isinstance(value, str | int | float | bool) or value is None:
            summary[key] = value
        else:
            text = repr(value)
            summary[key] = text if len(text) <= limit else text[:limit] + "…"
    return summary


class RequestLog:
    """Keep the last ``size`` Bot API requests (never the token), numbered by ``seq``."""

    def __init__(self, size: int = 500) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)
        self.last_seq = 0

    def add(self, entry: dict[str, Any]) -> None:
        """Append one entry with the next ``seq``, dropping the oldest when full."""
        self.last_seq += 1
        self._entries.append({"seq": self.last_seq, **entry})

    def after(self, seq: int) -> list[dict[str, Any]]:
        """Return the entries with a seq greater than ``seq``, oldest first."""
        return [entry for entry in self._entries if entry["seq"] > seq]

    def last(self, limit: int) -> list[dict[str, Any]]:
        """Return up to ``limit`` latest entries, oldest first."""
        if limit <= 0:
            return []
        return list(self._entries)[-limit:]
