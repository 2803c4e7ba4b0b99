"""A shared location outside any flow: distances said as a person would, and a location abroad
answered with where the branches are and an offer to use that place's timezone."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import BookingIntent, Subscriber
from bot.subscribers import timezones
from tests.e2e.conftest import Harness, buttons
from tests.e2e.test_admin_broadcasts import seed

PJ_BRANCH = (3.1073, 101.6067)  # tips/clinics.yaml
LONDON = (51.5074, -0.1278)


async def _intents(harness: Harness) -> list[str]:
    async with harness.db.session() as session:
        return list(await session.scalars(select(BookingIntent.clinic_id)))


async def test_at_the_branch_and_half_a_km_away(harness: Harness) -> None:
    chat = await harness.user(7201)
    here = await chat.share(*PJ_BRANCH)
    assert here["text"].startswith("You are right by our nearest branch.\n\n")
    assert "NextMed Clinic PJ" in here["text"] and "0.0 km" not in here["text"]

    near = await chat.share(PJ_BRANCH[0] + 0.005, PJ_BRANCH[1])  # about 560 m north
    assert near["text"].startswith("The nearest branch to you is less than 1 km away.\n\n")

    malay = await harness.user(7202, "Farid", language="ms")
    far = await malay.share(3.0738, 101.5183)  # Shah Alam
    assert far["text"].startswith("Cawangan yang paling dekat dengan anda lebih kurang ")
    assert " km dari sini." in far["text"].split("\n")[0]


async def test_london_gets_no_far_away_branch_card_but_the_timezone(harness: Harness) -> None:
    await seed(harness, 7203)  # subscribed, in Kuala Lumpur's timezone
    chat = await harness.user(7203, "Aisyah")
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
        zone = await session.scalar(select(Subscriber.timezone).where(Subscriber.chat_id == 7203))
    assert zone == "Europe/London"

    # Once it is set, sharing London again offers nothing to change, only the branches.
    again = await chat.share(*LONDON)
    assert "Set your timezone" not in again["text"]
    assert buttons(again) == ["Book a consultation"]
    branches = await chat.press(again, "Book a consultation")
    assert "NextMed Clinic Cheras" in buttons(branches)


async def test_someone_not_subscribed_abroad_is_not_offered_a_timezone(harness: Harness) -> None:
    chat = await harness.user(7204, "Mei Ling")
    abroad = await chat.share(1.2903, 103.8520)  # Singapore: close, but abroad
    assert abroad["text"].startswith("That location looks like it is outside Malaysia.")
    assert "Set your timezone" not in abroad["text"]
    assert buttons(abroad) == ["Book a consultation"]
