"""Who may run the admin console, and the audit log of what they changed. No Telegram here.

Owners are the user ids in settings (ADMIN_IDS); they can add and remove admins, who are
stored in the database. Every admin change goes through `audit`. The command line acts as
CLI_ACTOR (0, never a Telegram user id): whoever can run it on the server is trusted like an
owner, and its changes are audited under that id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit import audit as audit  # every admin change goes through it
from bot.db.models import Admin, AuditEntry

CLI_ACTOR = 0
ROLES = ("admin", "reviewer")
"""A reviewer is a clinician: in the console like an admin, and the only one who approves
content (bot/admin/review.py)."""


class NotAllowed(Exception):
    """The actor may not do this (only owners manage admins)."""


async def admin_ids(session: AsyncSession, owners: tuple[int, ...]) -> frozenset[int]:
    """Every user id allowed into the admin console: the owners and the stored admins."""
    stored = await session.scalars(select(Admin.user_id))
    return frozenset(owners) | frozenset(stored)


async def list_admins(session: AsyncSession) -> list[Admin]:
    """The stored admins (owners are not listed here), oldest first."""
    return list(await session.scalars(select(Admin).order_by(Admin.added_at, Admin.user_id)))


async def add_admin(
    session: AsyncSession,
    *,
    actor: int,
    user_id: int,
    owners: tuple[int, ...],
    now: dt.datetime,
    role: str = "admin",
) -> bool:
    """Make `user_id` an admin, or a reviewer (a clinician who approves content); only
    owners (and the command line) may. An existing admin given another role changes role.

    Return False if they already were one with that role.
    """
    if actor not in owners and actor != CLI_ACTOR:
        raise NotAllowed("only owners can add admins")
    if user_id <= 0:
        raise ValueError(f"{user_id} is not a Telegram user id")
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role ({', '.join(ROLES)})")
    if user_id in owners and role != "reviewer":  # an owner may also be a clinician
        return False
    existing = await session.get(Admin, user_id)
    if existing is not None:
        if existing.role == role:
            return False
        before = {"user_id": user_id, "role": existing.role}
        existing.role = role
        await audit(
            session, actor, "admins.role", str(user_id), before, {**before, "role": role}, now
        )
        await session.commit()
        return True
    session.add(Admin(user_id=user_id, added_by=actor, added_at=now, role=role))
    after = {"user_id": user_id, "role": role}
    await audit(session, actor, "admins.add", str(user_id), None, after, now)
    await session.commit()
    return True


async def remove_admin(
    session: AsyncSession,
    *,
    actor: int,
    user_id: int,
    owners: tuple[int, ...],
    now: dt.datetime,
) -> bool:
    """Remove a stored admin; only owners (and the command line) may.

    Return False if they were not one.
    """
    if actor not in owners and actor != CLI_ACTOR:
        raise NotAllowed("only owners can remove admins")
    result = await session.execute(delete(Admin).where(Admin.user_id == user_id))
    if not getattr(result, "rowcount", 0):
        return False
    await audit(session, actor, "admins.remove", str(user_id), {"user_id": user_id}, None, now)
    await session.commit()
    return True


async def recent_audit(session: AsyncSession, limit: int = 20) -> list[AuditEntry]:
    """The newest audit entries first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    return list(await session.scalars(query))
