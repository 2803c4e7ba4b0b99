"""The pacer's global rate as a pure schedule: when the next message may go, given the time.

Nothing here reads a clock or sleeps; `bot.outbound.pacing.Pacer` asks it with the event
loop's time, and the tests give it made-up instants.
"""

from __future__ import annotations

import collections
import math

# How far behind its schedule the pacer may fall and still make the time up: a late timer,
# the loop busy with a claim, the gap between two batches. More than that (a long stall, or
# nobody waiting) is lost, so an idle pacer never saves up more than this much of a burst.
# The one-second caps, not this, keep every second within the rate.
CATCH_UP = 0.25


class Budget:
    """The global rate: an even schedule that makes up lateness, and never more than
    ``floor(rate)`` granted in one second.

    Messages are due every ``1 / rate`` seconds from an instant ``due`` (the theoretical
    arrival time of GCRA); one may go ``slack`` seconds before its instant, and granting it
    moves ``due`` on by one interval from where it was, not from now. So a pump that wakes
    late finds the messages that fell due meanwhile ready and grants them at once, and the
    rate is kept. The schedule never runs more than ``catch_up`` behind the clock: a longer
    stall, or a pacer nobody waited on, starts again from ``now - catch_up``. The one-second
    cap (the rule Telegram and the sandbox apply) keeps a burst of catching up, or a larger
    ``burst``, from ever putting more than ``floor(rate)`` in a second.
    """

    def __init__(self, rate: float, burst: float, catch_up: float = CATCH_UP) -> None:
        self.catch_up = catch_up
        self.due: float | None = None
        self.sent: collections.deque[float] = collections.deque()
        self._tune(rate, burst)

    def _tune(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.interval = 1.0 / rate
        self.slack = (burst - 1.0) / rate
        self.cap = max(1, math.floor(rate))

    def wait(self, now: float) -> float:
        """Return the seconds until a message may go (0: now)."""
        if self.due is None:
            self.due = now
        wait = max(0.0, self.due - self.slack - now)
        sent = self.sent
        while sent and sent[0] <= now - 1.0:
            sent.popleft()
        if len(sent) >= self.cap:
            wait = max(wait, sent[0] + 1.0 - now)
        return wait

    def wait_for(self, now: float, messages: int) -> float:
        """Return the seconds from ``now`` until ``messages`` more may go (after `wait`)."""
        assert self.due is not None
        return max(0.0, self.due + (messages - 1) * self.interval - self.slack - now)

    def retune(self, rate: float, burst: float, now: float) -> None:
        """Change the rate; what the schedule is ahead or behind, in messages, carries over,
        as do the last second's grants."""
        if self.due is not None:
            self.due = now + (self.due - now) * self.rate / rate
        self._tune(rate, burst)

    def spend(self, now: float) -> None:
        """Count a message that goes now."""
        assert self.due is not None
        self.due = max(self.due, now - self.catch_up) + self.interval
        self.sent.append(now)

    def empty_until(self, instant: float) -> None:
        """Start again at ``instant`` with nothing to catch up: the first message goes one
        interval after it."""
        self.due = instant + self.interval + self.slack
