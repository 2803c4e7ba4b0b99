"""The subscriber journey as a person walks it: guided onboarding, /timezone, /topics, /settings.

Every test drives the real bot (in process) and checks the replies, the buttons and the
stored row. The English onboarding runs end to end in tests/e2e/test_journey.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db.models import Subscriber, SubscriberStatus
from tests.e2e.conftest import SETTINGS_BUTTONS, SLOTS
from tests.inprocess.conftest import Harness, buttons

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _due_locally_at(row: Subscriber, harness: Harness, zone: str, wall: dt.time) -> None:
    """The stored next_due_at is the next `wall` time in `zone`, within a day from now."""
    assert row.next_due_at is not None
    local = row.next_due_at.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (wall.hour, wall.minute)
    assert dt.timedelta(0) < row.next_due_at - harness.clock.now() <= dt.timedelta(days=1)


async def test_onboarding_skipped_in_malay_keeps_the_defaults(harness: Harness) -> None:
    chat = harness.user("Farid", language="ms")
    welcome = await chat.say("/start")
    step1 = await chat.press(welcome, "Saya setuju, langgan")
    assert step1["text"].startswith(
        "Anda sudah melanggan. Tip pertama anda tiba pada 08:00 (Kuala Lumpur, UTC+8)."
    )
    assert step1["text"].endswith("Langkah 1 daripada 5\nPilih bahasa anda.")
    assert buttons(step1) == ["English", "Bahasa Melayu", "Langkau"]
    step2 = await chat.press(step1, "Langkau")
    assert step2["text"].startswith(
        "Dikekalkan: Bahasa Melayu.\n\nLangkah 2 daripada 5\nTip anda tiba pada 08:00"
    )
    assert buttons(step2) == [*SLOTS, "Langkau"]
    step3 = await chat.press(step2, "Langkau")
    assert step3["text"].startswith(
        "Dikekalkan: 08:00.\n\nLangkah 3 daripada 5\nZon waktu anda Kuala Lumpur, UTC+8."
    )
    step4 = await chat.press(step3, "Langkau")
    assert step4["text"].startswith(
        "Dikekalkan: Kuala Lumpur, UTC+8.\n\nLangkah 4 daripada 5\nTopik apa yang anda mahu?"
    )
    assert buttons(step4) == [
        "✅ Serat",
        "✅ Makanan terfermentasi",
        "✅ Tidur",
        "✅ Stres",
        "Selesai",
    ]
    step5 = await chat.press(step4, "Selesai")
    assert step5["text"].startswith(
        "Selesai. Tip anda akan berkisar tentang: semua topik.\n\nLangkah 5 daripada 5\n"
        "Pilihan: adakah masalah kulit"
    )
    assert buttons(step5) == ["Ekzema", "Jerawat", "Psoriasis", "Rosasea", "Tiada", "Langkau"]
    done = await chat.press(step5, "Langkau")
    assert done["text"].startswith("Dikekalkan: Tiada.\n\nSemuanya sudah siap!")
    assert (
        "Tetapan anda\nBahasa: Bahasa Melayu\nWaktu: 08:00\nZon waktu: Kuala Lumpur, UTC+8\n"
        "Topik: semua topik\nMasalah kulit: Tiada\nTip: aktif, tip seterusnya pada "
    ) in done["text"]
    assert buttons(done)[:2] == ["🌐 Bahasa", "⏰ Waktu"]
    row = await harness.subscriber(chat)
    assert (row.language, row.send_time, row.timezone, row.topics, row.concern) == (
        "ms",
        dt.time(8, 0),
        "Asia/Kuala_Lumpur",
        None,
        None,
    )
    _due_locally_at(row, harness, "Asia/Kuala_Lumpur", dt.time(8, 0))


async def test_switching_to_malay_mid_onboarding_and_a_location_sets_the_timezone(
    harness: Harness,
) -> None:
    chat = harness.user()
    welcome = await chat.say("/start")
    step1 = await chat.press(welcome, "I agree, subscribe")
    step2 = await chat.press(step1, "Bahasa Melayu")
    assert step2["text"].startswith(
        "Selesai. Saya akan menulis kepada anda dalam Bahasa Melayu.\n\nLangkah 2 daripada 5"
    )
    step3 = await chat.press(step2, "20:00")
    assert "Langkah 3 daripada 5" in step3["text"]
    step4 = await chat.share(27.7172, 85.3240)  # Kathmandu
    assert step4["text"].startswith(
        "Selesai. Zon waktu anda kini Kathmandu, UTC+5:45, jadi tip anda tiba pada 20:00 "
        "waktu tempatan anda.\n\nLangkah 4 daripada 5"
    )
    assert (await chat.message(step3["message_id"]))["reply_markup"] is None
    row = await harness.subscriber(chat)
    assert (row.language, row.timezone) == ("ms", "Asia/Kathmandu")
    _due_locally_at(row, harness, "Asia/Kathmandu", dt.time(20, 0))
    # Nothing waits for a timezone any more: a location finds the nearest branch, as before.
    branch = await chat.share(3.0738, 101.5183)  # Shah Alam
    assert branch["text"].startswith("Cawangan yang paling dekat dengan anda")
    assert "Klinik NextMed Setia Alam" in branch["text"]
    assert (await harness.subscriber(chat)).timezone == "Asia/Kathmandu"


async def test_start_again_during_onboarding_duplicates_nothing(harness: Harness) -> None:
    chat = harness.user()
    welcome = await chat.say("/start qr-cheras")
    step1 = await chat.press(welcome, "I agree, subscribe")
    again = await chat.say("/start qr-pj")
    assert again["text"] == (
        "Welcome back, Aisyah! You are subscribed: your tip arrives every day at 08:00 "
        "(Kuala Lumpur, UTC+8)."
    )
    assert buttons(again) == ["⚙️ Settings"]
    async with harness.db.session() as session:
        rows = select(func.count()).where(Subscriber.user_id == chat.user_id)
        assert await session.scalar(rows) == 1
    assert (await harness.subscriber(chat)).source == "qr-cheras"
    # The unanswered step still works, and the settings button opens the screen in place.
    step2 = await chat.press(step1, "Skip")
    assert step2["text"].startswith("Kept as it is: English.\n\nStep 2 of 5")
    screen = await chat.press_edit(again, "⚙️ Settings")
    assert screen["text"].startswith("Your settings\nLanguage: English\nTime: 08:00")


async def test_paused_subscriber_gets_welcome_back_and_resubscribing_restores(
    harness: Harness,
) -> None:
    chat = await harness.subscribed()
    pause = await chat.say("/pause")
    await chat.press(pause, "Until I resume")
    back = await chat.say("/start")
    assert back["text"].startswith("Welcome back, Aisyah! Your tips are paused. Send /resume")
    await chat.say("/time")
    await chat.say("21:30")
    confirm = await chat.say("/stop")
    await chat.press(confirm, "Yes, stop my tips")
    welcome = await chat.say("/start")
    again = await chat.press(welcome, "I agree, subscribe")
    assert again["text"].startswith(
        "You're subscribed again. Your settings are as you left them.\n\nYour settings\n"
        "Language: English\nTime: 21:30"
    )
    row = await harness.subscriber(chat)
    assert (row.status, row.paused_until, row.send_time) == (
        SubscriberStatus.ACTIVE,
        None,
        dt.time(21, 30),
    )
    _due_locally_at(row, harness, "Asia/Kuala_Lumpur", dt.time(21, 30))


async def test_timezone_typed_as_offsets_and_cities(harness: Harness) -> None:
    chat = await harness.subscribed()
    prompt = await chat.say("/timezone")
    assert prompt["text"] == (
        "Your timezone is Kuala Lumpur, UTC+8. Choose one below, type a city or a UTC offset "
        "(such as London, UTC+8 or GMT-5), or share your location (📎 then Location)."
    )
    assert buttons(prompt)[:4] == [
        "Kuala Lumpur, UTC+8",
        "Jakarta, UTC+7",
        "Tokyo, UTC+9",
        "Dubai, UTC+4",
    ]
    assert len(buttons(prompt)) == 6  # no Skip or Back outside onboarding and settings
    cases = [
        ("UTC+8", "Etc/GMT-8", "UTC+8"),
        ("GMT-5", "Etc/GMT+5", "UTC-5"),
        ("+05:45", "Asia/Kathmandu", "Kathmandu, UTC+5:45"),
        ("KL", "Asia/Kuala_Lumpur", "Kuala Lumpur, UTC+8"),
        ("Tokyo", "Asia/Tokyo", "Tokyo, UTC+9"),
        ("kuala lumpur", "Asia/Kuala_Lumpur", "Kuala Lumpur, UTC+8"),
    ]
    for typed, zone, shown in cases:
        if typed != "UTC+8":
            await chat.say("/timezone")
        reply = await chat.say(typed)
        assert reply["text"] == (
            f"Done. Your timezone is now {shown}, so your tip arrives at 08:00 your time."
        ), typed
        row = await harness.subscriber(chat)
        assert row.timezone == zone
        _due_locally_at(row, harness, zone, dt.time(8, 0))
    # A button works too.
    prompt = await chat.say("/timezone")
    picked = await chat.press(prompt, "Dubai, UTC+4")
    assert picked["text"].startswith("Done. Your timezone is now Dubai, UTC+4")
    assert (await harness.subscriber(chat)).timezone == "Asia/Dubai"


async def test_unknown_timezone_gets_suggestions_and_questions_still_get_answers(
    harness: Harness,
) -> None:
    chat = await harness.subscribed()
    await chat.say("/timezone")
    suggested = await chat.say("Londn")
    assert suggested["text"] == (
        "I couldn't find that place. Did you mean one of these? You can also type a UTC "
        "offset such as UTC+8."
    )
    (london,) = buttons(suggested)
    assert london.startswith("London, UTC")
    assert (await harness.subscriber(chat)).timezone == "Asia/Kuala_Lumpur"
    unknown = await chat.say("Xyzzy qwv")
    assert unknown["text"].startswith("Sorry, I couldn't find that place or offset.")
    assert unknown["text"].endswith("Nothing was changed.")
    picked = await chat.press(suggested, london)
    assert picked["text"].startswith("Done. Your timezone is now London, UTC")
    assert (await harness.subscriber(chat)).timezone == "Europe/London"
    # Waiting for a place does not swallow questions.
    await chat.say("/timezone")
    answer = await chat.say("does dairy cause acne?")
    assert answer["text"].startswith("Does dairy cause acne?")
    assert (await harness.subscriber(chat)).timezone == "Europe/London"


async def test_timezone_in_malay(harness: Harness) -> None:
    chat = await harness.subscribed(language="ms")
    prompt = await chat.say("/timezone")
    assert prompt["text"].startswith("Zon waktu anda Kuala Lumpur, UTC+8. Pilih di bawah")
    suggested = await chat.say("Singapur")
    assert suggested["text"].startswith("Saya tidak jumpa tempat itu.")
    assert buttons(suggested) == ["Singapore, UTC+8"]
    done = await chat.press(suggested, "Singapore, UTC+8")
    assert done["text"] == (
        "Selesai. Zon waktu anda kini Singapore, UTC+8, jadi tip anda tiba pada 08:00 waktu "
        "tempatan anda."
    )
    await chat.say("/timezone")
    unknown = await chat.say("+15")
    assert unknown["text"].startswith("Maaf, saya tidak jumpa tempat atau ofset itu.")
    assert (await harness.subscriber(chat)).timezone == "Asia/Singapore"


async def test_topics_toggle_keep_one_and_choose_a_concern(harness: Harness) -> None:
    chat = await harness.subscribed()
    topics = await chat.say("/topics")
    assert topics["text"] == (
        "Which topics would you like tips about? Tap a topic to turn it on or off, then press Done."
    )
    assert buttons(topics) == [
        "✅ Fiber",
        "✅ Fermented foods",
        "✅ Sleep",
        "✅ Stress",
        "🩺 Skin concern: None",
        "Done",
    ]
    shown = await chat.press_edit(topics, "✅ Fiber")
    shown = await chat.press_edit(shown, "✅ Fermented foods")
    shown = await chat.press_edit(shown, "✅ Sleep")
    assert buttons(shown)[:4] == ["⬜ Fiber", "⬜ Fermented foods", "⬜ Sleep", "✅ Stress"]
    assert (await harness.subscriber(chat)).topics == "stress"
    refused = await chat.press_alert(shown, "✅ Stress")
    assert refused == {
        "text": "Please keep at least one topic on, so I have something to send you.",
        "show_alert": True,
        "url": None,
    }
    assert (await harness.subscriber(chat)).topics == "stress"
    assert buttons(await chat.message(shown["message_id"]))[3] == "✅ Stress"

    concern = await chat.press(shown, "🩺 Skin concern: None")
    assert concern["text"].startswith(
        "Optional: is there a skin concern you'd like your tips to focus on? (Now: None.)"
    )
    assert buttons(concern) == ["Eczema", "Acne", "Psoriasis", "Rosacea", "None"]
    asked = await chat.press(concern, "Eczema")
    assert asked["text"].startswith("A skin concern is health information: do you agree")
    chosen = await chat.press(asked, "I agree")
    assert chosen["text"] == "Done. Your tips will lean towards Eczema where they can."
    assert (await harness.subscriber(chat)).concern == "eczema"

    finished = await chat.press_edit(shown, "Done")
    assert finished["text"] == "Done. Your tips will be about: Stress."
    assert finished["reply_markup"] is None

    # Turning every topic back on stores NULL: "all topics".
    again = await chat.say("/topics")
    for label in ("⬜ Fiber", "⬜ Fermented foods", "⬜ Sleep"):
        again = await chat.press_edit(again, label)
    assert (await harness.subscriber(chat)).topics is None
    assert buttons(again)[4] == "🩺 Skin concern: Eczema"
    concern = await chat.press(again, "🩺 Skin concern: Eczema")
    assert buttons(concern)[-1] == "Withdraw consent and erase it"
    cleared = await chat.press(concern, "None")  # the same: no concern, consent withdrawn
    assert cleared["text"] == "Done. Your consent is withdrawn and your skin concern is erased."
    assert (await harness.subscriber(chat)).concern is None


async def test_a_stale_topics_keyboard_does_what_it_shows(harness: Harness) -> None:
    chat = await harness.subscribed(language="ms")
    old = await chat.say("/topics")
    assert buttons(old)[:4] == ["✅ Serat", "✅ Makanan terfermentasi", "✅ Tidur", "✅ Stres"]
    new = await chat.say("/topics")
    await chat.press_edit(new, "✅ Tidur")
    assert (await harness.subscriber(chat)).topics == "fiber,fermented,stress"
    # The old message still shows Tidur on; pressing it means "turn Tidur off": already off,
    # so nothing changes, and the old keyboard now shows the truth.
    refreshed = await chat.press_edit(old, "✅ Tidur")
    assert buttons(refreshed)[2] == "⬜ Tidur"
    assert (await harness.subscriber(chat)).topics == "fiber,fermented,stress"
    for label in ("✅ Serat", "✅ Makanan terfermentasi"):
        refreshed = await chat.press_edit(refreshed, label)
    refused = await chat.press_alert(refreshed, "✅ Stres")
    assert refused["text"] == (
        "Sila kekalkan sekurang-kurangnya satu topik, supaya ada tip untuk saya hantar kepada anda."
    )
    assert (await harness.subscriber(chat)).topics == "stress"


async def test_settings_screen_edits_everything_and_comes_back(harness: Harness) -> None:
    chat = await harness.subscribed()
    screen = await chat.say("/settings")
    assert screen["text"].startswith(
        "Your settings\nLanguage: English\nTime: 08:00\nTimezone: Kuala Lumpur, UTC+8\n"
        "Topics: all topics\nSkin concern: None\nTips: on, next tip on "
    )
    assert buttons(screen) == SETTINGS_BUTTONS

    picker = await chat.press_edit(screen, "⏰ Time")
    assert picker["text"].startswith("Your tip arrives at 08:00 (Kuala Lumpur, UTC+8).")
    assert buttons(picker) == [*SLOTS, "Back"]
    back = await chat.press_edit(picker, "21:30")
    assert back["message_id"] == screen["message_id"]
    assert back["text"].startswith(
        "Done. Your tip now arrives every day at 21:30 (Kuala Lumpur, UTC+8).\n\n"
        "Your settings\nLanguage: English\nTime: 21:30\n"
    )
    assert buttons(back) == SETTINGS_BUTTONS
    _due_locally_at(await harness.subscriber(chat), harness, "Asia/Kuala_Lumpur", dt.time(21, 30))

    zones = await chat.press_edit(back, "🌍 Timezone")
    assert buttons(zones)[-1] == "Back"
    typed = await chat.say("Tokyo")  # a typed answer gets a fresh screen
    assert typed["text"].startswith(
        "Done. Your timezone is now Tokyo, UTC+9, so your tip arrives at 21:30 your time.\n\n"
        "Your settings\n"
    )
    assert "Timezone: Tokyo, UTC+9" in typed["text"]
    assert (await chat.message(screen["message_id"]))["reply_markup"] is None
    _due_locally_at(await harness.subscriber(chat), harness, "Asia/Tokyo", dt.time(21, 30))

    pause = await chat.press_edit(typed, "⏸ Pause")
    assert buttons(pause) == ["1 day", "1 week", "Until I resume", "Back"]
    paused = await chat.press_edit(pause, "1 week")
    row = await harness.subscriber(chat)
    assert row.status == SubscriberStatus.PAUSED and row.paused_until is not None
    until = row.paused_until.astimezone(ZoneInfo("Asia/Tokyo"))
    assert paused["text"].startswith(f"Your tips are paused until {until:%d/%m/%Y}.")
    assert f"Tips: paused until {until:%d/%m/%Y}" in paused["text"]
    assert "▶️ Resume" in buttons(paused)
    _due_locally_at_or_after = row.next_due_at
    assert _due_locally_at_or_after is not None and _due_locally_at_or_after >= row.paused_until

    resumed = await chat.press_edit(paused, "▶️ Resume")
    assert resumed["text"].startswith(
        "Welcome back. Your tips arrive again every day at 21:30 (Tokyo, UTC+9)."
    )
    assert (await harness.subscriber(chat)).status == SubscriberStatus.ACTIVE

    concern = await chat.press_edit(resumed, "🩺 Skin concern")
    assert buttons(concern) == ["Eczema", "Acne", "Psoriasis", "Rosacea", "None", "Back"]
    unchanged = await chat.press_edit(concern, "Back")
    assert unchanged["text"].startswith("Your settings\n")

    languages = await chat.press_edit(unchanged, "🌐 Language")
    assert buttons(languages) == ["English", "Bahasa Melayu", "Back"]
    malay = await chat.press_edit(languages, "Bahasa Melayu")
    assert malay["text"].startswith(
        "Selesai. Saya akan menulis kepada anda dalam Bahasa Melayu.\n\nTetapan anda\n"
        "Bahasa: Bahasa Melayu\nWaktu: 21:30\nZon waktu: Tokyo, UTC+9\n"
    )
    assert buttons(malay) == [
        "🌐 Bahasa",
        "⏰ Waktu",
        "🌍 Zon waktu",
        "📚 Topik",
        "🩺 Masalah kulit",
        "⏸ Berehat",
        "Selesai",
    ]
    topics = await chat.press_edit(malay, "📚 Topik")
    topics = await chat.press_edit(topics, "✅ Tidur")
    saved = await chat.press_edit(topics, "Selesai")
    assert saved["text"].startswith(
        "Selesai. Tip anda akan berkisar tentang: Serat, Makanan terfermentasi, Stres.\n\n"
        "Tetapan anda\n"
    )
    assert "Topik: Serat, Makanan terfermentasi, Stres" in saved["text"]
    closed = await chat.press_edit(saved, "Selesai")
    assert closed["reply_markup"] is None and "Tetapan anda" in closed["text"]
    row = await harness.subscriber(chat)
    assert (row.language, row.send_time, row.timezone, row.topics, row.status) == (
        "ms",
        dt.time(21, 30),
        "Asia/Tokyo",
        "fiber,fermented,stress",
        SubscriberStatus.ACTIVE,
    )


async def test_settings_time_and_timezone_need_a_subscription(harness: Harness) -> None:
    chat = harness.user(language="ms")
    await chat.say("/start")
    for command in ("/settings", "/timezone", "/topics"):
        reply = await chat.say(command)
        assert reply["text"].startswith("Anda belum melanggan."), command
    async with harness.db.session() as session:  # nothing stored before "I agree"
        assert (
            await session.scalar(select(Subscriber).where(Subscriber.chat_id == chat.user_id))
            is None
        )
