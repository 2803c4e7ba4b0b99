"""The first-visit tour strip and "Reset the sandbox" (issue #17, item 12)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Dialog, expect

from tests.browser.conftest import LOOP, Page
from tests.browser.test_chat_page import ADMIN, AISYAH, bot_messages, say, start_and_subscribe

pytestmark = [pytest.mark.slow, LOOP]


async def test_the_tour_suggests_each_next_step_and_stays_dismissed(desktop_page: Page) -> None:
    page, tab = desktop_page, desktop_page.tab
    tour = tab.get_by_role("complementary", name="Try this")
    await expect(tour).to_be_visible()
    await expect(tour).to_contain_text("0 of 4 done")
    await page.screenshot("desktop-tour")

    await tour.get_by_role("button", name="Send /start").click()
    await expect(bot_messages(page).first).to_contain_text("Hello Aisyah")
    await expect(tour).to_contain_text("1 of 4 done")
    await tour.get_by_role("button", name="Ask “does dairy cause acne?”").click()
    await expect(bot_messages(page).last.locator("strong").first).to_have_text(
        "Does dairy cause acne?"
    )
    await expect(tour).to_contain_text("2 of 4 done")

    await bot_messages(page).first.get_by_role("button", name="I agree, subscribe").click()
    await expect(bot_messages(page).last).to_contain_text("You're subscribed")
    before = await bot_messages(page).count()
    await tour.get_by_role("button", name="Move the clock to your next tip").click()
    await expect(bot_messages(page)).to_have_count(before + 1, timeout=10_000)
    await expect(tour).to_contain_text("3 of 4 done")

    await tour.get_by_role("button", name="Switch to the admin and /broadcast").click()
    await expect(tab.get_by_label("Chatting as")).to_have_value(str(ADMIN))
    await expect(bot_messages(page).last.locator("strong").first).to_have_text("Broadcasts")
    await expect(tour).to_contain_text("4 of 4 done")
    await expect(tour).to_contain_text("Reset the sandbox")

    await tour.get_by_role("button", name="Hide these suggestions").click()
    await expect(tour).to_be_hidden()
    await tab.reload()
    await expect(tab.locator("#bot-status")).to_contain_text("live")
    await expect(tab.locator("#messages .msg").first).to_be_visible()
    await expect(tab.locator("#tour")).to_be_hidden()


async def test_reset_starts_the_demo_over_without_restarting(phone_page: Page) -> None:
    page, tab = phone_page, phone_page.tab
    await start_and_subscribe(page)
    await tab.get_by_role("button", name="Controls").click()
    await tab.get_by_label("Days ahead").fill("3")
    await tab.get_by_role("button", name="Move", exact=True).click()
    await expect(tab.locator("#clock-detail")).to_contain_text("3 days")
    await tab.get_by_role("button", name="Block the bot").click()
    await expect(tab.get_by_role("button", name="Unblock the bot")).to_be_visible()
    old_clock = page.sandbox.world.clock

    async def accept(dialog: Dialog) -> None:
        assert "Start the demo over?" in dialog.message
        await dialog.accept()

    tab.once("dialog", accept)
    await tab.get_by_role("button", name="Reset the sandbox").click()
    # The page goes back to an empty chat, as on a first visit.
    await expect(tab.locator("#messages .empty-chat")).to_be_visible(timeout=15_000)
    await expect(tab.locator("#toast")).to_contain_text("The sandbox started over")
    await page.screenshot("phone-after-reset")
    await tab.get_by_role("button", name="Controls").click()
    await expect(tab.locator("#reset-note")).to_contain_text("Started over")
    await expect(tab.locator("#clock-detail")).to_contain_text("the real time")
    await expect(tab.get_by_role("button", name="Block the bot")).to_be_visible()

    world = page.sandbox.world
    assert world.clock is not old_clock
    now = dt.datetime.now(dt.UTC)
    assert abs(world.clock.now() - now) < dt.timedelta(minutes=1)
    assert world.messages == {} and not world.users[AISYAH].blocked

    # The same process, a fresh bot and database: Aisyah is new again, not "welcome back".
    await tab.get_by_role("button", name="Chat").click()
    await say(page, "/start")
    await expect(bot_messages(page).first).to_contain_text(re.compile(r"Hello Aisyah, welcome"))
    await expect(bot_messages(page).first).not_to_contain_text("Welcome back")
    await start_and_subscribe_again(page)


async def start_and_subscribe_again(page: Page) -> None:
    """Subscribe after the reset: the bot stores a subscriber in its new database."""
    await page.tab.get_by_role("button", name="I agree, subscribe").click()
    await expect(bot_messages(page).last).to_contain_text("You're subscribed")
