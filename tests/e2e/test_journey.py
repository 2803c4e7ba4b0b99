"""The onboarding journey as a person walks it, end to end over HTTP through the sandbox.

The rest of the subscriber journey (/timezone, /topics, /settings) is in
tests/inprocess/test_journey.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import Subscriber, SubscriberStatus
from tests.e2e.conftest import SETTINGS_BUTTONS, SLOTS, Harness, buttons


async def _row(harness: Harness, chat_id: int) -> Subscriber:
    async with harness.db.session() as session:
        row = await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))
    assert row is not None
    return row


def _due_locally_at(row: Subscriber, harness: Harness, zone: str, wall: dt.time) -> None:
    """The stored next_due_at is the next `wall` time in `zone`, within a day from now."""
    assert row.next_due_at is not None
    local = row.next_due_at.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (wall.hour, wall.minute)
    assert dt.timedelta(0) < row.next_due_at - harness.clock.now() <= dt.timedelta(days=1)


async def test_onboarding_step_by_step_in_english(harness: Harness) -> None:
    chat = await harness.user(401)
    welcome = await chat.say("/start")
    step1 = await chat.press(welcome, "I agree, subscribe")
    assert step1["text"].startswith(
        "You're subscribed. Your first tip arrives at 08:00 (Kuala Lumpur, UTC+8).\n\n"
        "Five quick choices make the tips yours. Skip any step to keep what is shown.\n\n"
        "Step 1 of 5\nChoose your language."
    )
    assert buttons(step1) == ["English", "Bahasa Melayu", "Skip"]

    step2 = await chat.press(step1, "English")
    assert step2["text"].startswith(
        "Done. I will write to you in English.\n\nStep 2 of 5\nYour tip arrives at 08:00"
    )
    assert buttons(step2) == [*SLOTS, "Skip"]
    assert (await chat.message(step1["message_id"]))["reply_markup"] is None

    step3 = await chat.say("7.30pm")  # typed instead of a slot
    assert step3["text"].startswith(
        "Done. Your tip now arrives every day at 19:30 (Kuala Lumpur, UTC+8).\n\n"
        "Step 3 of 5\nYour timezone is Kuala Lumpur, UTC+8. Choose one below, type a city"
    )
    zones = buttons(step3)
    assert zones[:4] == ["Kuala Lumpur, UTC+8", "Jakarta, UTC+7", "Tokyo, UTC+9", "Dubai, UTC+4"]
    assert zones[4].startswith("London, UTC") and zones[5].startswith("Sydney, UTC+1")
    assert zones[6:] == ["Skip"]
    assert (await chat.message(step2["message_id"]))["reply_markup"] is None

    step4 = await chat.say("Kathmandu")
    assert step4["text"].startswith(
        "Done. Your timezone is now Kathmandu, UTC+5:45, so your tip arrives at 19:30 your "
        "time.\n\nStep 4 of 5\nWhich topics would you like tips about?"
    )
    assert buttons(step4) == ["✅ Fiber", "✅ Fermented foods", "✅ Sleep", "✅ Stress", "Done"]
    toggled = await chat.press_edit(step4, "✅ Sleep")
    assert buttons(toggled) == ["✅ Fiber", "✅ Fermented foods", "⬜ Sleep", "✅ Stress", "Done"]
    assert (await _row(harness, 401)).topics == "fiber,fermented,stress"

    step5 = await chat.press(toggled, "Done")
    assert step5["text"].startswith(
        "Done. Your tips will be about: Fiber, Fermented foods, Stress.\n\n"
        "Step 5 of 5\nOptional: is there a skin concern you'd like your tips to focus on? "
        "(Now: None.)"
    )
    assert buttons(step5) == ["Eczema", "Acne", "Psoriasis", "Rosacea", "None", "Skip"]

    asked = await chat.press(step5, "Acne")  # health data: its own consent first
    assert asked["text"] == (
        "Step 5 of 5\nA skin concern is health information: do you agree that the clinic "
        "stores Acne only to choose your tips, until you withdraw it in /settings or erase it "
        "with /deletemydata?"
    )
    assert buttons(asked) == ["I agree", "No, don't store it"]
    assert (await _row(harness, 401)).concern is None  # not before the tap
    done = await chat.press(asked, "I agree")
    assert done["text"].startswith(
        "Done. Your tips will lean towards Acne where they can.\n\nAll set! Change anything "
        "here or with /settings at any time."
    )
    assert (
        "Your settings\nLanguage: English\nTime: 19:30\nTimezone: Kathmandu, UTC+5:45\n"
        "Topics: Fiber, Fermented foods, Stress\nSkin concern: Acne\nTips: on, next tip on "
    ) in done["text"]
    assert buttons(done) == SETTINGS_BUTTONS
    row = await _row(harness, 401)
    assert (row.language, row.send_time, row.timezone, row.topics, row.concern, row.status) == (
        "en",
        dt.time(19, 30),
        "Asia/Kathmandu",
        "fiber,fermented,stress",
        "acne",
        SubscriberStatus.ACTIVE,
    )
    _due_locally_at(row, harness, "Asia/Kathmandu", dt.time(19, 30))
