"""Tip feedback end to end: one vote per tip, changeable, shown on the keyboard, and /stats
ranks tips by net helpfulness (👍 minus 👎)."""

from __future__ import annotations

from tests.e2e.conftest import Harness, buttons
from tests.e2e.test_admin_broadcasts import admin, seed
from tests.e2e.test_daily_tips import TIP_MARK, ledger


async def test_a_vote_shows_on_the_tip_can_be_changed_and_counts_once(harness: Harness) -> None:
    await seed(harness, 7101)
    chat = await harness.user(7101, "Mei Ling")
    tip = await chat.say("/today", contains=TIP_MARK)
    assert buttons(tip)[:2] == ["👍 Helpful", "👎 Not for me"]

    answer = await chat.press_alert(tip, "👍 Helpful")
    assert answer["text"] == "Thank you! Marked as helpful. Press 👎 to change your mind."
    tip = await chat.edited(tip)
    assert buttons(tip) == [
        "👍 Helpful ✓",
        "👎 Not for me",
        "More on this topic",
        "Book a consultation",
    ]

    answer = await chat.press_alert(tip, "👎 Not for me")
    assert answer["text"] == "Thank you! Marked as not for you. Press 👍 to change your mind."
    tip = await chat.edited(tip)
    assert buttons(tip)[:2] == ["👍 Helpful", "👎 Not for me ✓"]
    [row] = await ledger(harness, 7101)
    assert row.feedback == "not_helpful"

    # Pressing the chosen one again changes nothing and still answers.
    answer = await chat.press_alert(tip, "👎 Not for me ✓")
    assert answer["text"].startswith("Thank you! Marked as not for you.")
    await harness.idle()
    assert buttons(await chat.message(tip["message_id"]))[:2] == ["👍 Helpful", "👎 Not for me ✓"]

    # One 👎 on balance: the least helpful tip, never the most helpful one.
    title = tip["text"].split("\n")[0].removeprefix("💡 ").strip()
    stats = (await (await admin(harness)).say("/stats"))["text"]
    feedback = stats.split("Tip feedback (all time, by 👍 minus 👎)\n", 1)[1]
    assert feedback.startswith("Most helpful: none\nLeast helpful: ")
    assert "(0👍 1👎)" in feedback.split("\n")[1]
    assert title.split()[0] in feedback.split("\n")[1]


async def test_a_malay_vote_is_marked_in_malay(harness: Harness) -> None:
    await seed(harness, 7102, language="ms")
    chat = await harness.user(7102, "Siti", language="ms")
    tip = await chat.say("/today", contains="Cuba hari ini")
    answer = await chat.press_alert(tip, "👍 Membantu")
    assert answer["text"].startswith("Terima kasih! Ditanda sebagai membantu.")
    tip = await chat.edited(tip)
    assert buttons(tip)[:2] == ["👍 Membantu ✓", "👎 Kurang sesuai"]
