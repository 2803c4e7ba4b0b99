"""Stats end to end: /stats shows the numbers of seeded and real activity, sends the chart as a
photo, and turns an unanswered question into a draft FAQ entry."""

from __future__ import annotations

import datetime as dt

import yaml
from sqlalchemy import select

from bot.content.models import FaqFile
from bot.db.models import BookingIntent, Delivery, Subscriber
from tests.e2e.conftest import Harness, buttons
from tests.e2e.test_admin_broadcasts import admin, next_message, seed

KL = "Asia/Kuala_Lumpur"


async def test_stats_show_the_numbers_the_chart_and_a_faq_draft(harness: Harness) -> None:
    chat = await admin(harness)
    await seed(harness, 6001, source="clinic-qr")
    await seed(harness, 6002, source="clinic-qr")
    await seed(harness, 6003, status="paused")
    await seed(harness, 6004, status="unsubscribed")
    now = harness.clock.now()
    today = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    async with harness.db.session() as session:
        ids = {s.chat_id: s.id for s in await session.scalars(select(Subscriber))}
        tip = harness.app.bot_data["services"].content.tips[0]
        for chat_id, status, feedback in [
            (6001, "sent", "helpful"),
            (6002, "sent", "helpful"),
            (6003, "blocked", None),
        ]:
            session.add(
                Delivery(
                    subscriber_id=ids[chat_id],
                    local_date=today,
                    due_at=now,
                    tip_id=tip.id,
                    status=status,
                    attempts=1,
                    feedback=feedback,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add(BookingIntent(clinic_id="cheras", origin=f"tip:{tip.id}", created_at=now))
        await session.commit()
    # A real question nobody wrote an answer for yet.
    asker = await harness.user(6010)
    await asker.say("Do you sell gift vouchers?")

    overview = await chat.say("/stats")
    body = overview["text"]
    assert body.startswith("Stats for the last 30 days")
    assert "3 subscribed now (2 getting tips, 1 paused) of 4 who started the bot." in body
    assert "1 unsubscribed" in body
    assert "Daily tips: 2 sent, 0 failed, 1 blocked, 0 missed, 0 in doubt, 0 other." in body
    assert f"Most helpful: {tip.text['en'].title} (2👍 0👎)\nLeast helpful: none" in body
    assert "Questions: 0 answered, 0 unsure, 1 unanswered, 0 urgent" in body
    assert "Booking buttons pressed: 1\nBy branch: NextMed Clinic Cheras (1)" in body
    assert f"What led there: {tip.text['en'].title} (1)" in body
    assert "+4   -1       2    1" in body  # today: new, lost, sent, not delivered
    assert "clinic-qr (2, 2); direct (2, 1)" in body
    assert buttons(overview)[0] == "❓ Unanswered questions (1)"

    chart = await next_message(chat, overview, contains="Subscribers and daily tips")
    assert chart["photo"]
    png = await harness.client.file(chat.user_id, chart["message_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")

    questions = await chat.press_edit(overview, "❓ Unanswered questions (1)")
    assert "1. Do you sell gift vouchers? (unanswered, en," in questions["text"]
    draft = await chat.press(questions, "📝 Draft 1")
    assert draft["text"].startswith("Draft FAQ entry from question #")
    snippet = draft["text"].split("(or import it):\n", 1)[1]
    [entry] = FaqFile.model_validate(yaml.safe_load(snippet)).faq
    assert entry.id == "do-you-sell-gift-vouchers"
    assert entry.text["en"].question == "Do you sell gift vouchers?"
    assert entry.review.status == "draft"


async def test_stats_are_for_admins_only(harness: Harness) -> None:
    await admin(harness)
    stranger = await harness.user(6101)
    reply = await stranger.say("/stats")
    assert reply["text"].startswith("I don't know that command.")
