"""What the engine needs from a sender, and what a send comes to. No Telegram here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class SendOutcome(StrEnum):
    """How one message ended, after the sender's own retries."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403 blocked/deactivated, or 400 chat not found: never retry
    REJECTED = "rejected"  # any other 400: the message itself is wrong; retrying won't help
    FAILED = "failed"  # certainly not delivered (never reached Telegram, or 429s): try later
    UNKNOWN = "unknown"  # in doubt: the request may have reached Telegram; never sent again


@dataclass(frozen=True)
class SendResult:
    """The end of one send."""

    outcome: SendOutcome
    message_id: int | None = None
    reason: str | None = None  # short and free of message text, e.g. "timeout", "http 502"
    attempts: int = 1
    rate_limited: int = 0  # how many 429s this send met on its way


OnStart = Callable[[], Awaitable[None]]


class SendStopped(Exception):
    """The sender is stopping and this message never left: it stays planned."""


class MessageSender(Protocol):
    """Paces and sends Bot API calls; never raises for Telegram's or the network's errors."""

    async def send(
        self,
        chat_id: int,
        method: str,
        params: Mapping[str, Any],
        *,
        on_start: OnStart | None = None,
        bulk: bool = True,
    ) -> SendResult:
        """Send `method` (e.g. "sendMessage") with JSON `params` to `chat_id`.

        `on_start` is awaited once, after the pacer lets this message go and right before
        its first request leaves: the engine marks the ledger row "sending" there, so a
        crash leaves at most the in-flight messages in doubt. `bulk` sends (daily tips,
        broadcasts) give way to interactive replies.

        One rule for a send in doubt: a failure before the request could reach the Bot API
        (refused, DNS, connect timeout) may be retried; once it may have reached it (read
        timeout, connection dropped, 5xx) the result is UNKNOWN and it is never sent again.
        Raises `SendStopped` when the sender stops before the first request leaves.
        """
        ...
