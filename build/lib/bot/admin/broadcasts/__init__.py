"""Broadcasts: announcements to a chosen audience, now or at a set time. No Telegram here.

`compose` checks and stores what an admin writes; `runner` sends it under a lease through
the same paced sender and the same kind of ledger as the daily tips.
"""

from bot.admin.broadcasts.compose import (
    CLI_ACTOR,
    Audience,
    Draft,
    audience_options,
    audience_size,
    cancel,
    check,
    create,
    delivery_counts,
    message,
    recent,
    stop,
)
from bot.admin.broadcasts.errors import Invalid
from bot.admin.broadcasts.progress import Progress, ProgressSink
from bot.admin.broadcasts.runner import (
    RunnerConfig,
    due_broadcast_ids,
    run_broadcast,
    run_due_broadcasts,
)
from bot.admin.broadcasts.when import parse_when

__all__ = [
    "CLI_ACTOR",
    "Audience",
    "Draft",
    "Invalid",
    "Progress",
    "ProgressSink",
    "RunnerConfig",
    "audience_options",
    "audience_size",
    "cancel",
    "check",
    "create",
    "delivery_counts",
    "due_broadcast_ids",
    "message",
    "parse_when",
    "recent",
    "run_broadcast",
    "run_due_broadcasts",
    "stop",
]
