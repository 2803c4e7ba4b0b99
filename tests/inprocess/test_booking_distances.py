"""A shared location outside any flow: distances said as a person would, and a location abroad
answered with where the branches are and an offer to use that place's timezone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.db.models import BookingIntent, Subscriber
from bot.subscribers import timezones
from tests.inprocess.conftest import Chat, Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")

PJ_BRANCH = (3.1073, 101.6067)  # tips/clinics.yaml
LONDON = (51.5074, -0.1278)


async def _intents(harness: Harness) -> list[str]:
    return [b.clinic_id for b in await harness.new(BookingIntent)]


async def _subscribed(harness: Harness, name: str) -> Chat:
    """A user who subscribed, in Kuala Lumpur's timezone (stored directly: onboarding is
    tested elsewhere)."""
    chat = harness.user(name)
    now = harness.clock.now()
    async with harness.db.session() as session:
        session.add(
            Subscriber(
                chat_id=chat.user_id,
                user_id=chat.user_id,
                language="en",
                timezone="Asia/Kuala_Lumpur",
                send_time=dt.time(8, 0),
                status="active",
                consented_at=now,
                next_due_at=now + dt.timedelta(hours=20),
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    return chat


async def test_at_the_branch_and_half_a_km_away(harness: Harness) -> None:
    chat = harness.user()
    here = await chat.share(*PJ_BRANCH)
    assert here["text"].startswith("You are right by our nearest branch.\n\n")
    assert "NextMed Clinic PJ" in here["text"] and "0.0 km" not in here["text"]

    near = await chat.share(PJ_BRANCH[0] + 0.005, PJ_BRANCH[1])  # about 560 m north
    assert near["text"].startswith("The nearest branch to you is less than 1 km away.\n\n")

    malay = harness.user("Farid", language="ms")
    far = await malay.share(3.0738, 101.5183)  # Shah Alam
    assert far["text"].startswith("Cawangan yang paling dekat dengan anda lebih kurang ")
    assert " km dari sini." in far["text"].split("\n")[0]


async def test_london_gets_no_far_away_branch_card_but_the_timezone(harness: Harness) -> None:
    chat = await _subscribed(harness, "Aisyah")
    abroad = await chat.share(*LONDON)
    body = abroad["text"]
    assert body.startswith("That location looks like it is outside Malaysia. Our branches are all")
    assert "the nearest is NextMed Clinic Setia Alam, about 105" in body  # ~10 533 km
    assert "Hours:" not in body  # no branch card for a branch 10 000 km away
    london = timezones.label("Europe/London", harness.clock.now())
    assert f"Set your timezone to {london} so your daily tip" in body
    assert buttons(abroad) == [f"🕒 Use {london}", "Book a consultation"]
    assert await _intents(harness) == []

    done = await chat.press(abroad, f"🕒 Use {london}")
    assert done["text"].startswith(f"Done. Your timezone is now {london}")
    async with harness.db.session() as session:
        zone = await session.scalar(
            select(Subscriber.timezone).where(Subscriber.chat_id == chat.user_id)
        )
    assert zone == "Europe/London"

    # Once it is set, sharing London again offers nothing to change, only the branches.
    again = await chat.share(*LONDON)
    assert "Set your timezone" not in again["text"]
    assert buttons(again) == ["Book a consultation"]
    branches = await chat.press(again, "Book a consultation")
    assert "NextMed Clinic Cheras" in buttons(branches)


async def test_someone_not_subscribed_abroad_is_not_offered_a_timezone(harness: Harness) -> None:
    chat = harness.user("Mei Ling")
    abroad = await chat.share(1.2903, 103.8520)  # Singapore: close, but abroad
    assert abroad["text"].startswith("That location looks like it is outside Malaysia.")
    assert "Set your timezone" not in abroad["text"]
    assert buttons(abroad) == ["Book a consultation"]
