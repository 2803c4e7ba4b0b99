"""Admin alerts about handler errors, grouped and rate-limited. No Telegram here.

Every error used to message every admin, so any user who could trigger one could flood
them. Now the first error alerts at once; the errors of the next ALERT_EVERY are counted
by type and go out together with the first error after it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

ALERT_EVERY = dt.timedelta(minutes=5)


@dataclass
class AlertGate:
    """Decide when the admins hear about errors, and what they read."""

    every: dt.timedelta = ALERT_EVERY
    _sent_at: dt.datetime | None = None
    _held: Counter[str] = field(default_factory=Counter)

    def admit(self, kind: str, now: dt.datetime) -> str | None:
        """Count one error of type `kind`; return the alert to send now, or None to hold it."""
        self._held[kind] += 1
        if self._sent_at is not None and now - self._sent_at < self.every:
            return None
        held, self._held, self._sent_at = self._held, Counter(), now
        total = sum(held.values())
        if total == 1:
            return f"Error: {kind} while handling an update; see the logs."
        counts = ", ".join(f"{name} ×{n}" for name, n in held.most_common())
        minutes = int(self.every.total_seconds() // 60)
        return (
            f"{total} errors while handling updates ({counts}); see the logs. "
            f"Alerts are grouped: at most one every {minutes} min."
        )
