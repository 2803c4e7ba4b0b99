"""The audit log's writer: who changed what, before and after (admins, content, broadcasts)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry


async def audit(
    session: AsyncSession,
    actor: int,
    action: str,
    target: str | None,
    before: Any,
    after: Any,
    now: dt.datetime,
) -> AuditEntry:
    """Add an audit entry to the session (the caller commits it with the change itself)."""
    entry = AuditEntry(
        actor_id=actor,
        action=action,
        target=None if target is None else target[:200],
        before=None if before is None else json.dumps(before, default=str, sort_keys=True),
        after=None if after is None else json.dumps(after, default=str, sort_keys=True),
        created_at=now,
    )
    session.add(entry)
    return entry
