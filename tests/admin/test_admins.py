"""Who may manage admins, and what the audit log says they did (against the database)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.admin import admins
from bot.admin.admins import CLI_ACTOR, NotAllowed
from bot.db.engine import Database

OWNER, OTHER_OWNER, NURSE, DOCTOR = 7, 8, 42, 43
OWNERS = (OWNER, OTHER_OWNER)
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


async def add(
    db: Database, user_id: int, *, actor: int = OWNER, role: str = "admin", now: dt.datetime = NOW
) -> bool:
    async with db.session() as session:
        return await admins.add_admin(
            session, actor=actor, user_id=user_id, owners=OWNERS, now=now, role=role
        )


async def remove(db: Database, user_id: int, *, actor: int = OWNER) -> bool:
    async with db.session() as session:
        return await admins.remove_admin(
            session, actor=actor, user_id=user_id, owners=OWNERS, now=NOW
        )


async def audit_log(db: Database) -> list[tuple[int, str, str | None, object, object]]:
    async with db.session() as session:
        entries = await admins.recent_audit(session)
    return [
        (
            e.actor_id,
            e.action,
            e.target,
            None if e.before is None else json.loads(e.before),
            None if e.after is None else json.loads(e.after),
        )
        for e in entries
    ]


async def test_owners_and_the_command_line_add_and_remove_admins_and_it_is_audited(
    db: Database,
) -> None:
    later = NOW + dt.timedelta(days=1)
    assert await add(db, DOCTOR, actor=CLI_ACTOR, role="reviewer") is True
    assert await add(db, NURSE, now=later) is True
    assert await add(db, 1, now=later) is True  # the smallest user id there is
    async with db.session() as session:
        listed = [(a.user_id, a.role, a.added_by) for a in await admins.list_admins(session)]
        ids = await admins.admin_ids(session, OWNERS)
    assert listed == [  # oldest first, then by id
        (DOCTOR, "reviewer", CLI_ACTOR),
        (1, "admin", OWNER),
        (NURSE, "admin", OWNER),
    ]
    assert ids == {OWNER, OTHER_OWNER, NURSE, DOCTOR, 1}
    assert await remove(db, NURSE, actor=OTHER_OWNER) is True
    assert await remove(db, NURSE) is False  # no longer one: nothing to audit
    async with db.session() as session:
        assert await admins.admin_ids(session, OWNERS) == {OWNER, OTHER_OWNER, DOCTOR, 1}
    log = await audit_log(db)
    assert log[:2] == [  # newest first
        (OTHER_OWNER, "admins.remove", str(NURSE), {"user_id": NURSE}, None),
        (OWNER, "admins.add", "1", None, {"user_id": 1, "role": "admin"}),
    ]
    assert log[-1] == (
        CLI_ACTOR,
        "admins.add",
        str(DOCTOR),
        None,
        {"user_id": DOCTOR, "role": "reviewer"},
    )


async def test_an_admin_given_another_role_changes_role_once(db: Database) -> None:
    assert await add(db, NURSE) is True
    assert await add(db, NURSE) is False  # already an admin
    assert await add(db, NURSE, role="reviewer") is True
    assert await add(db, NURSE, role="reviewer") is False
    async with db.session() as session:
        assert [(a.user_id, a.role) for a in await admins.list_admins(session)] == [
            (NURSE, "reviewer")
        ]
    assert (await audit_log(db))[0] == (
        OWNER,
        "admins.role",
        str(NURSE),
        {"user_id": NURSE, "role": "admin"},
        {"user_id": NURSE, "role": "reviewer"},
    )
    assert len(await audit_log(db)) == 2


async def test_an_owner_is_already_in_but_may_also_be_a_reviewer(db: Database) -> None:
    assert await add(db, OTHER_OWNER) is False
    assert await add(db, OTHER_OWNER, role="reviewer") is True
    async with db.session() as session:
        assert [(a.user_id, a.role) for a in await admins.list_admins(session)] == [
            (OTHER_OWNER, "reviewer")
        ]


@pytest.mark.parametrize("actor", [NURSE, 999])
async def test_only_owners_manage_admins(db: Database, actor: int) -> None:
    assert await add(db, DOCTOR) is True
    with pytest.raises(NotAllowed) as adding:
        await add(db, NURSE, actor=actor)
    with pytest.raises(NotAllowed) as removing:
        await remove(db, DOCTOR, actor=actor)
    assert str(adding.value) == "only owners can add admins"
    assert str(removing.value) == "only owners can remove admins"
    async with db.session() as session:
        assert await admins.admin_ids(session, OWNERS) == {OWNER, OTHER_OWNER, DOCTOR}
    assert len(await audit_log(db)) == 1


@pytest.mark.parametrize(
    ("user_id", "role", "problem"),
    [
        (0, "admin", "0 is not a Telegram user id"),
        (-5, "admin", "-5 is not a Telegram user id"),
        (NURSE, "owner", "'owner' is not a role (admin, reviewer)"),
    ],
)
async def test_what_is_not_a_user_or_a_role_is_refused(
    db: Database, user_id: int, role: str, problem: str
) -> None:
    with pytest.raises(ValueError) as refused:
        await add(db, user_id, role=role)
    assert str(refused.value) == problem
    assert await audit_log(db) == []


async def test_the_audit_shows_the_newest_first_up_to_a_limit(db: Database) -> None:
    for n in range(21):
        await add(db, 100 + n)
    async with db.session() as session:
        newest = [e.target for e in await admins.recent_audit(session, limit=3)]
        shown = [e.target for e in await admins.recent_audit(session)]
    assert newest == ["120", "119", "118"]
    assert shown == [str(n) for n in range(120, 100, -1)]  # twenty by default
