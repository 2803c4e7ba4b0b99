"""Where a running broadcast stands: counts by ledger status, rate and time left. No Telegram."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.db.models import BroadcastDeliveryStatus as S
from bot.db.models import BroadcastStatus


@dataclass(frozen=True)
class Progress:
    """Where a running broadcast stands, for the admin's progress message and the CLI."""

    broadcast_id: int
    status: str  # a BroadcastStatus: sending, then done or stopped
    total: int
    counts: Counter[str]
    rate: float  # messages handled per second in this run
    elapsed: float  # seconds this run has taken
    language: str
    chat_id: int | None  # where the admin's progress message is, if anywhere
    message_id: int | None

    @property
    def sent(self) -> int:
        """Recipients who got it."""
        return self.counts[S.SENT]

    @property
    def blocked(self) -> int:
        """Recipients who blocked the bot."""
        return self.counts[S.BLOCKED]

    @property
    def failed(self) -> int:
        """Recipients it could not reach (failed after retries, refused, or in doubt)."""
        return self.counts[S.FAILED] + self.counts[S.REJECTED] + self.counts[S.UNKNOWN]

    @property
    def skipped(self) -> int:
        """Recipients left out: no longer active, or the broadcast was stopped first."""
        return self.counts[S.SKIPPED] + self.counts[S.CANCELLED]

    @property
    def done(self) -> int:
        """Recipients whose row is settled (one way or another)."""
        return self.total - self.counts[S.CLAIMED] - self.counts[S.SENDING]

    @property
    def fraction(self) -> float:
        """Share of the total settled, 0 to 1 (1 for an empty audience)."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds to the end at the current rate; None before there is a rate."""
        if self.status != BroadcastStatus.SENDING:
            return 0.0
        if self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


ProgressSink = Callable[[Progress], Awaitable[None]]
