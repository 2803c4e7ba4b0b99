"""The sandbox's chat page in headless Chromium, with the real bot behind it.

Each test acts as a person would (typing, pressing buttons, using the keyboard) and checks
what the page shows; screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import re
import struct
import zlib

import aiohttp
import pytest
import telegram
from playwright.async_api import Locator, expect
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.config import SANDBOX_TOKEN
from bot.content.loader import Content
from bot.handlers.services import SERVICES_KEY, Services
from tests.browser.conftest import LOOP, Page

pytestmark = [pytest.mark.slow, LOOP]

AISYAH, FARID, ADMIN = 100001, 100002, 100009


def bot_messages(page: Page) -> Locator:
    """Every bot bubble on the page, oldest first."""
    return page.tab.locator("#messages .msg.from-bot")


async def say(page: Page, text: str) -> None:
    """Type a message and send it with Enter."""
    await page.tab.locator("#composer-input").fill(text)
    await page.tab.locator("#composer-input").press("Enter")


async def start_and_subscribe(page: Page) -> None:
    """Send /start and press Subscribe; wait for the confirmation."""
    await say(page, "/start")
    await page.tab.get_by_role("button", name="I agree, subscribe").click()
    await expect(bot_messages(page).last).to_contain_text("You're subscribed")


async def test_start_subscribe_and_press_buttons_by_keyboard(
    page: Page, viewport_name: str
) -> None:
    tab = page.tab
    await tab.keyboard.press("Tab")
    await expect(tab.get_by_role("link", name="Skip to the message box")).to_be_focused()
    await tab.keyboard.press("Enter")
    await expect(tab.locator("#composer-input")).to_be_focused()
    await tab.keyboard.type("/start")
    await tab.keyboard.press("Enter")

    welcome = bot_messages(page).first
    await expect(welcome.locator("strong").first).to_have_text(
        re.compile(r"^Hello Aisyah, welcome")
    )
    await expect(welcome).to_contain_text("not medical advice")
    subscribe = welcome.get_by_role("button", name="I agree, subscribe")
    await subscribe.focus()
    await tab.keyboard.press("Enter")

    await expect(bot_messages(page)).to_have_count(2)
    await expect(bot_messages(page).last).to_contain_text("You're subscribed")
    # The welcome was edited in place: same bubble, its buttons gone, marked edited.
    await expect(welcome.locator(".inline-keyboard")).to_have_count(0)
    await expect(welcome.locator(".meta")).to_contain_text("edited")

    step = bot_messages(page).last
    await expect(step.locator(".kb-button").first).to_be_visible()
    await step.get_by_role("button", name="Skip").click()
    await expect(bot_messages(page)).to_have_count(3)
    await page.screenshot(f"{viewport_name}-subscribed")

    await tab.get_by_role("button", name="Menu").click()
    menu = tab.locator("#command-list")
    await expect(menu.get_by_role("button", name="/book")).to_be_visible()
    await page.screenshot(f"{viewport_name}-command-menu")
    await menu.get_by_role("button", name="/help").click()
    await expect(tab.locator("#command-menu")).to_be_hidden()
    await expect(bot_messages(page).last).to_contain_text("/start")


async def test_tip_arrives_when_the_clock_moves_to_the_delivery_time(
    phone_page: Page, content: Content
) -> None:
    page, tab = phone_page, phone_page.tab
    await start_and_subscribe(page)
    before = await bot_messages(page).count()

    await tab.get_by_role("button", name="Controls").click()
    await expect(tab.locator("#controls")).to_be_visible()
    await expect(tab.locator("#chat")).to_be_hidden()
    await tab.get_by_role("button", name="Next delivery").click()
    await expect(tab.locator("#clock-note")).to_contain_text("Moved to the next delivery")
    await expect(tab.locator("#clock-now")).to_contain_text("08:00")
    await expect(tab.locator("#clock-detail")).to_contain_text("ahead of real time")
    await page.screenshot("phone-clock")

    await tab.get_by_role("button", name="Chat").click()
    await expect(bot_messages(page)).to_have_count(before + 1, timeout=10_000)
    tip = bot_messages(page).last
    titles = {t.text["en"].title for t in content.tips}
    assert (await tip.locator("strong").first.inner_text()) in titles
    await expect(tip.locator(".meta time")).to_have_text("08:00")
    await expect(tab.locator("#messages .day").last).to_be_visible()
    await page.screenshot("phone-daily-tip")
    await tab.get_by_role("button", name="Requests").click()
    await expect(tab.locator("#request-list .req").first).to_contain_text("sendMessage")
    await page.screenshot("phone-requests")


async def test_faq_answer_and_booking_card(page: Page, viewport_name: str) -> None:
    await say(page, "does dairy cause acne?")
    answer = bot_messages(page).last
    await expect(answer.locator("strong").first).to_have_text("Does dairy cause acne?")
    await expect(answer).to_contain_text("not medical advice")

    await say(page, "/book")
    branches = bot_messages(page).last
    await expect(branches).to_contain_text("Choose a branch")
    await branches.get_by_role("button", name="NextMed Clinic Cheras").click()
    card = bot_messages(page).last
    await expect(card.locator("strong").first).to_have_text("NextMed Clinic Cheras")
    book = card.get_by_role("link", name=re.compile("^Book online"))
    await expect(book).to_have_attribute("href", re.compile(r"^https://.*utm_source=telegram-bot"))
    await expect(book).to_have_attribute("target", "_blank")
    await expect(card.get_by_role("link", name=re.compile("^Directions"))).to_be_visible()
    await page.screenshot(f"{viewport_name}-booking-card")


async def test_users_admin_location_and_blocking(desktop_page: Page) -> None:
    page, tab = desktop_page, desktop_page.tab
    picker = tab.get_by_label("Chatting as")
    options = await picker.locator("option").all_inner_texts()
    assert options[0].startswith("Aisyah · en") and options[1].startswith("Farid · ms")
    assert any(o.startswith("Dr Lim (clinic) · en · admin") for o in options)
    services = page.app.bot_data[SERVICES_KEY]
    assert isinstance(services, Services) and ADMIN in services.settings.admin_ids

    await say(page, "/start")
    await expect(bot_messages(page).last).to_contain_text("Hello Aisyah")
    await picker.select_option(str(FARID))
    await expect(tab.locator("#messages .empty-chat")).to_be_visible()
    await say(page, "/start")
    await expect(bot_messages(page).last).to_contain_text("Hai Farid")
    await picker.select_option(str(AISYAH))
    await expect(bot_messages(page)).to_have_count(1)
    await expect(bot_messages(page).last).to_contain_text("Hello Aisyah")

    await tab.get_by_label("Place").select_option(label="Setia Alam, Shah Alam")
    await tab.get_by_role("button", name="Share location").click()
    await expect(tab.locator("#messages .msg.from-me .location").last).to_contain_text("Setia Alam")
    await expect(bot_messages(page).last.locator("strong").first).to_have_text(
        "NextMed Clinic Setia Alam"
    )

    # Staff see both sides: the admin's menu has the admin commands on top of everyone's.
    await tab.get_by_role("button", name="Menu").click()
    everyone = await tab.locator("#command-list button").count()
    await tab.keyboard.press("Escape")
    await picker.select_option(str(ADMIN))
    await tab.get_by_role("button", name="Menu").click()
    await expect(tab.locator("#command-list button")).not_to_have_count(everyone)
    assert await tab.locator("#command-list button").count() > everyone
    await page.screenshot("desktop-admin-menu")
    await tab.keyboard.press("Escape")
    await picker.select_option(str(AISYAH))

    await tab.get_by_role("button", name="Block the bot").click()
    await expect(tab.locator("#blocked-banner")).to_be_visible()
    await expect(tab.locator("#composer-input")).to_be_disabled()
    assert page.sandbox.world.users[AISYAH].blocked
    await page.screenshot("desktop-blocked")
    await tab.get_by_role("button", name="Unblock (Restart)").click()
    await expect(tab.locator("#blocked-banner")).to_be_hidden()
    await expect(tab.locator("#composer-input")).to_be_enabled()
    assert not page.sandbox.world.users[AISYAH].blocked


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a small solid-colour PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


FORMATTED = (
    "<b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <code>x = 1</code> "
    '<a href="https://example.org/">a link</a> <a href="javascript:alert(1)">not a link</a> '
    '<tg-spoiler>secret</tg-spoiler>\n<pre><code class="language-python">print("hi")</code></pre>'
    "<blockquote>Quoted <b>and bold</b></blockquote>"
    "&lt;img src=x onerror=&quot;window.hacked=1&quot;&gt;"
)


async def test_formatting_media_keyboards_edits_and_errors(desktop_page: Page) -> None:
    page, tab = desktop_page, desktop_page.tab
    async with telegram.Bot(SANDBOX_TOKEN, base_url=page.sandbox.base_url) as bot:
        await bot.send_message(AISYAH, FORMATTED, parse_mode="HTML")
        text = bot_messages(page).last.locator(".text")
        for selector, shown in [
            (":scope > strong", "bold"),
            ("em", "italic"),
            ("u", "under"),
            ("s", "struck"),
            ("code >> nth=0", "x = 1"),
            ("pre code.language-python", 'print("hi")'),
            ("blockquote", "Quoted and bold"),
            ("blockquote strong", "and bold"),
        ]:
            await expect(text.locator(selector)).to_have_text(shown)
        await expect(text.get_by_role("link", name="a link")).to_have_attribute(
            "href", "https://example.org/"
        )
        await expect(text.locator("a")).to_have_count(1)  # javascript: stays plain text
        await expect(text).to_contain_text('<img src=x onerror="window.hacked=1">')
        assert await tab.evaluate("window.hacked") is None
        spoiler = text.get_by_role("button", name=re.compile("spoiler"))
        await spoiler.press("Enter")
        await expect(text.locator(".spoiler.revealed")).to_have_text("secret")

        await bot.send_photo(
            AISYAH, _png(160, 90, (47, 125, 91)), caption="A <b>photo</b>", parse_mode="HTML"
        )
        photo = bot_messages(page).last.locator("img.media")
        await expect(photo).to_have_attribute("alt", "Photo: A photo")
        assert await photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 160

        progress = await bot.send_message(
            AISYAH,
            "Broadcast: 0 of 10 sent",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Stop", callback_data="x")]]),
        )
        bubble = tab.locator(f'#messages .msg[data-id="{progress.message_id}"]')
        await expect(bubble).to_contain_text("0 of 10")
        await bot.edit_message_text("Broadcast: 5 of 10 sent", AISYAH, progress.message_id)
        await expect(bubble).to_contain_text("5 of 10")
        await expect(bubble.locator(".meta")).to_contain_text("edited")
        await expect(bubble.locator(".inline-keyboard")).to_have_count(0)

        keyboard = ReplyKeyboardMarkup(
            [["Morning", "Evening"]], one_time_keyboard=True, input_field_placeholder="Pick one"
        )
        await bot.send_message(AISYAH, "When?", reply_markup=keyboard)
        reply_keyboard = tab.get_by_role("group", name="Keyboard from the bot")
        await expect(reply_keyboard).to_be_visible()
        await expect(tab.locator("#composer-input")).to_have_attribute("placeholder", "Pick one")
        await page.screenshot("desktop-formatting")
        await reply_keyboard.get_by_role("button", name="Evening").click()
        await expect(tab.locator("#messages .msg.from-me").last).to_contain_text("Evening")
        await expect(reply_keyboard).to_be_hidden()
        await tab.get_by_role("button", name="Show the bot's keyboard").click()
        await expect(reply_keyboard).to_be_visible()

    # A failing and a rate-limited call, made raw so nothing retries them.
    url = f"{page.sandbox.base_url}{SANDBOX_TOKEN}/sendMessage"
    await page.client.inject_faults(method="sendMessage", status=500)
    await page.client.set_rate_limit(1)
    async with aiohttp.ClientSession() as http:
        statuses = []
        for text in ("never shown", "one", "two", "three"):
            async with http.post(url, json={"chat_id": AISYAH, "text": text}) as response:
                statuses.append(response.status)
    await page.client.set_rate_limit(None)
    assert statuses[0] == 500 and 429 in statuses
    requests = tab.locator("#request-list")
    await expect(requests.locator(".req.status-5xx").first).to_contain_text("sendMessage")
    await expect(requests.locator(".req.status-429").first).to_contain_text(
        "Too Many Requests: retry after 1"
    )
    await expect(requests.locator('li[data-method="getUpdates"]').first).to_be_hidden()
    await page.screenshot("desktop-requests")
