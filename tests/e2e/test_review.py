"""Clinical review end to end, with CONTENT_REVIEW=required: the gate, the queue, the roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.clock import OffsetClock
from bot.config import SANDBOX_TOKEN, load_settings
from bot.content import store as content_store
from bot.content.loader import Content
from bot.content.models import Tip
from bot.content.transfer import with_text
from bot.db.models import AuditEntry, Delivery
from bot.runtime.app import build_application, running
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import TIPS_DIR, DbTarget
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons
from tests.e2e.test_daily_tips import TIP_MARK, ledger, move_clock_to, stored, subscribe, wait_until

REVIEWER = 700001
PATIENT = 5301


@pytest.fixture
async def harness(db_target: DbTarget, content: Content) -> AsyncIterator[Harness]:
    """The e2e harness with CONTENT_REVIEW=required (the shared one keeps review off)."""
    clock = OffsetClock()
    sandbox = Sandbox(token=SANDBOX_TOKEN, rate_limit_per_second=None, clock=clock)
    await sandbox.start()
    settings = load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        admin_ids=(ADMIN_ID,),
        per_chat_interval=0.05,
        content_review="required",
    )
    app = build_application(
        settings, content, token=SANDBOX_TOKEN, base_url=sandbox.base_url, clock=clock
    )
    db = db_target.open()
    try:
        async with running(app), SandboxClient(sandbox.control_url) as client:
            await client.add_user(ADMIN_ID, "Admin", language_code="en")
            yield Harness(sandbox, client, app, db, clock)
    finally:
        await db.close()
        await sandbox.stop()


async def add_reviewer(harness: Harness) -> Chat:
    """The owner makes a clinician a reviewer in /admins, as they would in Telegram."""
    owner = await harness.user(ADMIN_ID, "Admin")
    people = await owner.say("/admins")
    prompt = await owner.press_edit(people, "➕ Add a reviewer (clinician)")
    preview = await owner.say(str(REVIEWER))
    assert preview["text"].startswith(f"Make {REVIEWER} a reviewer?")
    done = await owner.press_edit(preview, "✅ Apply")
    assert done["text"] == f"✅ {REVIEWER} is now a reviewer."
    assert prompt  # the prompt was shown before the id was typed
    return await harness.user(REVIEWER, "Dr Lim")


async def open_item(chat: Chat, label: str) -> dict[str, object]:
    """/review → the item: return the controls after the English and Malay cards."""
    queue = await chat.say("/review")
    assert queue["text"].startswith("Clinical review")
    only = "Tips waiting:" if label.split()[1] == "Tip:" else "FAQ waiting:"
    queue = await chat.press_edit(queue, next(b for b in buttons(queue) if b.startswith(only)))
    while label[:64] not in buttons(queue):  # sent-back items come last
        queue = await chat.press_edit(queue, "Next ▶")
    newest = await chat.newest_id()
    await chat.client.press_button(chat.user_id, queue["message_id"], text=label[:64])
    return await chat.client.wait_for_bot_message(
        chat.user_id, after_message_id=newest, contains="Wording by"
    )


async def tips_after(harness: Harness, message_id: int) -> list[str]:
    history = await harness.client.history(PATIENT)
    return [
        m["text"]
        for m in history
        if m["from_bot"] and m["message_id"] > message_id and TIP_MARK in (m["text"] or "")
    ]


def first_tip(content: Content) -> Tip:
    return content.tips[0]


async def next_day_delivered(harness: Harness) -> None:
    """Move the clock to the patient's next due time and wait until that day is recorded."""
    sub = await stored(harness, PATIENT)
    assert sub.next_due_at is not None
    days = len(await ledger(harness, PATIENT))
    await move_clock_to(harness, sub.next_due_at + dt.timedelta(seconds=1))

    async def recorded() -> bool:
        rows = await ledger(harness, PATIENT)
        return len(rows) > days and rows[-1].status not in ("claimed", "sending", "failed")

    await wait_until(recorded)


async def test_a_draft_tip_is_never_delivered_until_a_reviewer_approves_it(
    harness: Harness, content: Content
) -> None:
    patient = await harness.user(PATIENT, "Mei Ling")
    await subscribe(patient)
    start = await patient.newest_id()

    # Day 1: everything shipped is a draft, so nothing is sent, and /today says so.
    await next_day_delivered(harness)
    assert await tips_after(harness, start) == []
    [day1] = await ledger(harness, PATIENT)
    assert day1.tip_id is None
    today = await patient.say("/today")
    assert TIP_MARK not in today["text"]

    # A reviewer reads the tip in both languages and approves it.
    reviewer = await add_reviewer(harness)
    tip = first_tip(content)
    controls = await open_item(reviewer, f"🆕 Tip: {tip.text['en'].title}")
    cards = [m for m in await harness.client.history(REVIEWER) if m["from_bot"]][-3:-1]
    assert [c["text"].split("\n")[0] for c in cards] == [
        tip.text["en"].title,
        tip.text["ms"].title,
    ]
    assert f"tip:{tip.id}: new, never reviewed" in controls["text"]  # type: ignore[operator]
    approved = await reviewer.press_edit(controls, "✅ Approve")
    assert approved["text"].startswith(f"✅ Approved tip:{tip.id}, valid until ")
    count = len(content.tips)
    menu = await reviewer.say("/admin")
    assert f"Tips in use: {count} ({count - 1} not yet reviewed)" in menu["text"]

    # Day 2: the next delivery uses it.
    await next_day_delivered(harness)
    [delivered] = await tips_after(harness, start)
    assert delivered.startswith(tip.text["en"].title)
    async with harness.db.session() as session:
        rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
        audit = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert rows[-1].tip_id == tip.id
    assert audit == ["admins.add", "review.approve"]


async def test_an_edit_sends_the_tip_back_and_its_author_cannot_approve_it(
    harness: Harness, content: Content
) -> None:
    reviewer = await add_reviewer(harness)
    tip = first_tip(content)
    controls = await open_item(reviewer, f"🆕 Tip: {tip.text['en'].title}")
    await reviewer.press_edit(controls, "✅ Approve")

    # The reviewer edits the wording themselves (as the Tips screen's Edit text stores it).
    edited = with_text(tip, "en", "try_today", "Add one extra portion of vegetables today.")
    async with harness.db.session() as session:
        await content_store.apply(
            session,
            content,
            content_store.tips_change(content, {tip.id: (edited, False)}),
            actor=REVIEWER,
            action="tips.edit",
            target=tip.id,
            now=harness.clock.now(),
        )
    controls = await open_item(reviewer, f"✏️ Tip: {tip.text['en'].title}")
    assert "edited since its last review" in controls["text"]  # type: ignore[operator]
    assert f"Wording by: {REVIEWER}" in controls["text"]  # type: ignore[operator]
    refused = await reviewer.press_edit(controls, "✅ Approve")
    assert refused["text"] == ("You made this change yourself; another reviewer has to review it.")
    # The edited wording is not delivered meanwhile: /today has nothing reviewed to send.
    patient = await harness.user(PATIENT, "Mei Ling")
    await subscribe(patient)
    today = await patient.say("/today")
    assert TIP_MARK not in today["text"]


async def test_a_draft_faq_entry_is_never_answered_until_approved(
    harness: Harness, content: Content
) -> None:
    entry = content.faq_entry("what-is-gut-skin-axis") or content.faq[0]
    question = entry.text["en"].question
    patient = await harness.user(PATIENT, "Mei Ling")
    before = await patient.say(question)
    assert entry.text["en"].answer[:40] not in before["text"]

    reviewer = await add_reviewer(harness)
    controls = await open_item(reviewer, f"🆕 FAQ: {question}")
    cards = [m for m in await harness.client.history(REVIEWER) if m["from_bot"]][-3:-1]
    assert question in cards[0]["text"] and entry.text["ms"].question in cards[1]["text"]
    await reviewer.press_edit(controls, "✅ Approve")

    after = await patient.say(question)
    assert entry.text["en"].answer[:40] in after["text"]


async def test_send_back_with_a_comment_shows_it_in_the_queue(
    harness: Harness, content: Content
) -> None:
    reviewer = await add_reviewer(harness)
    entry = content.faq[1]
    controls = await open_item(reviewer, f"🆕 FAQ: {entry.text['en'].question}")
    prompt = await reviewer.press_edit(controls, "↩️ Send back")
    assert prompt["text"].startswith("Type what the author should change")
    done = await reviewer.say("Please cite the source for the second sentence.")
    assert done["text"] == f"↩️ Sent faq:{entry.id} back to its author with your comment."
    controls = await open_item(reviewer, f"↩️ FAQ: {entry.text['en'].question}")
    assert "“Please cite the source for the second sentence.”" in controls["text"]  # type: ignore[operator]
    assert buttons(controls) == ["✅ Approve", "↩️ Send back", "« Back"]  # type: ignore[arg-type]
