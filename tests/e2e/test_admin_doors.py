"""The admin gets through every admin door, over real HTTP: the refusals of
tests/inprocess/test_admin_doors.py come from the admin filter, not from doors that are
broken for everyone."""

from __future__ import annotations

from tests.admin_doors import admin_commands
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons

STRANGER = 4_040_404


async def test_the_admin_still_gets_through_the_same_doors(harness: Harness) -> None:
    ordinary = await (await harness.user(STRANGER)).say("/nosuchcommand")
    admin = Chat(harness.client, ADMIN_ID)
    for command in admin_commands(harness.app):
        reply = await admin.say(f"/{command}")
        assert reply["text"] != ordinary["text"], command
        await harness.idle()  # some doors answer with more than one message (/stats: a chart)
    menu = await admin.say("/admin")
    assert len(buttons(menu)) >= 4
