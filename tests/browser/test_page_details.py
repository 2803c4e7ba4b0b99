"""The chat page's details (issue #17): opening at the bottom after a photo, emoji without
system emoji fonts, the 📎 attachment menu, and the bot's whole name on a phone."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import telegram
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright, expect

from bot.config import SANDBOX_TOKEN
from bot.content.loader import Content
from tests.browser.conftest import ARTIFACTS, LOOP, SIZES, Page, open_page
from tests.browser.test_chat_page import AISYAH, _png, bot_messages, say, start_and_subscribe

pytestmark = [pytest.mark.slow, LOOP]

DISTANCE_TO_BOTTOM = "m => m.scrollHeight - m.scrollTop - m.clientHeight"
NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


async def distance_to_bottom(page: Page) -> float:
    """How far (px) the chat is scrolled from its newest message."""
    return float(await page.tab.locator("#messages").evaluate(DISTANCE_TO_BOTTOM))


async def settled_distance(page: Page) -> float:
    """The distance once the last photo has loaded and the page had the chance to react."""
    photo = page.tab.locator("#messages img.media").last
    await photo.evaluate("img => img.decode()")
    with contextlib.suppress(PlaywrightError):  # the assertion reports the distance
        await page.tab.wait_for_function(
            f"() => ({DISTANCE_TO_BOTTOM})(document.querySelector('#messages')) < 2",
            timeout=3000,
        )
    return await distance_to_bottom(page)


async def test_the_chat_opens_at_the_bottom_when_the_last_message_is_a_photo(
    page: Page, viewport_name: str
) -> None:
    async with telegram.Bot(SANDBOX_TOKEN, base_url=page.sandbox.base_url) as bot:
        for n in range(12):
            await bot.send_message(AISYAH, f"Message {n} before the chart")
        # Arrives live: the page follows it, also after it has loaded.
        await bot.send_photo(AISYAH, _png(600, 900, (47, 125, 91)), caption="The chart")
    await expect(bot_messages(page).last.locator("img.media")).to_be_visible()
    assert await settled_distance(page) < 2, "a live photo left the chat short of the bottom"

    # Opened afresh (as after a reload or switching users), the chat starts at the bottom.
    await page.tab.reload()
    await expect(page.tab.locator("#bot-status")).to_contain_text("live")
    await expect(bot_messages(page).last.locator("img.media")).to_be_visible()
    assert await settled_distance(page) < 2, "the chat opened short of the photo's bottom"
    await page.screenshot(f"{viewport_name}-photo-at-bottom")

    # Rotating a phone or resizing the window keeps it there.
    size = SIZES[viewport_name]
    await page.tab.set_viewport_size({"width": size["height"], "height": size["width"]})
    await page.tab.wait_for_function(
        f"() => ({DISTANCE_TO_BOTTOM})(document.querySelector('#messages')) < 2"
    )
    # Someone who scrolled up to read is left where they are when a photo arrives.
    await page.tab.locator("#messages").evaluate("m => { m.scrollTop = 0; }")
    await page.tab.evaluate(NEXT_FRAMES)  # the page has seen that scroll
    async with telegram.Bot(SANDBOX_TOKEN, base_url=page.sandbox.base_url) as bot:
        await bot.send_photo(AISYAH, _png(300, 300, (200, 60, 60)))
    await expect(page.tab.locator("#messages img.media")).to_have_count(2)
    await page.tab.locator("#messages img.media").last.evaluate("img => img.decode()")
    assert await page.tab.locator("#messages").evaluate("m => m.scrollTop") == 0


# A fontconfig that knows only DejaVu: a machine with no emoji font at all.
DEJAVU = "/usr/share/fonts/truetype/dejavu"
FONTS_WITHOUT_EMOJI = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{dejavu}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""

# Draw one character in the element's own font and count strongly coloured and inked pixels.
INK = """([el, ch]) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 48, 48);
  ctx.font = `40px ${getComputedStyle(el).fontFamily}`;
  ctx.textBaseline = "top";
  ctx.fillStyle = "#000";
  ctx.fillText(ch, 2, 2);
  const data = ctx.getImageData(0, 0, 48, 48).data;
  let colour = 0, ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
    if (r + g + b < 700) ink++;
  }
  return { colour, ink, data: canvas.toDataURL() };
}"""


@pytest.mark.skipif(
    not Path(DEJAVU).is_dir(), reason=f"needs {DEJAVU} (apt-get install fonts-dejavu-core)"
)
async def test_emoji_show_on_a_machine_without_an_emoji_font(
    tmp_path: Path, content: Content, chromium_path: str
) -> None:
    config = tmp_path / "fonts.conf"
    config.write_text(FONTS_WITHOUT_EMOJI.format(dejavu=DEJAVU, cache=tmp_path / "fc-cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=chromium_path, env=env)
        try:
            pages = open_page(browser, tmp_path, content, SIZES["phone"])
            async with contextlib.aclosing(pages):
                page = await anext(pages)
                await start_and_subscribe(page)
                await say(page, "/topics")
                keyboard = bot_messages(page).last.locator(".inline-keyboard")
                await keyboard.get_by_role("button", name="✅ Sleep").click()
                await expect(keyboard.get_by_role("button", name="⬜ Sleep")).to_be_visible()
                on = keyboard.locator(".kb-button", has_text="✅").first
                off = keyboard.locator(".kb-button", has_text="⬜").first
                await expect(on).to_be_visible()
                await expect(off).to_be_visible()
                loaded = await page.tab.evaluate(
                    "async () => (await document.fonts.load("
                    "'16px \"Sandbox Emoji\"', '✅⬜👍👎⏹📎')).map(f => f.status)"
                )
                assert loaded == ["loaded"], loaded
                drawn = {}
                for char in "✅⬜👍👎⏹📎":
                    drawn[char] = await page.tab.evaluate(INK, [await on.element_handle(), char])
                # ✅ is a green tile, ⬜ a pale one: on and off differ at a glance, and none
                # of them is the empty box a missing glyph draws.
                assert drawn["✅"]["colour"] > 300, drawn["✅"]["data"]
                assert drawn["⬜"]["colour"] < drawn["✅"]["colour"] / 4
                assert drawn["⬜"]["ink"] > 300, drawn["⬜"]["data"]
                for char in "👍👎⏹📎":
                    assert drawn[char]["colour"] > 100, (char, drawn[char]["data"])
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                await bot_messages(page).last.screenshot(
                    path=str(ARTIFACTS / "phone-topics-without-system-emoji.png")
                )
        finally:
            await browser.close()


async def test_the_paperclip_shares_a_location_and_the_bot_answers(
    page: Page, viewport_name: str
) -> None:
    tab = page.tab
    await say(page, "/start")
    await expect(bot_messages(page).last).to_contain_text("Hello Aisyah")
    before = await bot_messages(page).count()
    attach = tab.get_by_role("button", name="Attach: share a location")
    await expect(attach).to_have_text("📎")
    await attach.click()
    menu = tab.locator("#attach-menu")
    await expect(menu).to_be_visible()
    await page.screenshot(f"{viewport_name}-attach-menu")
    await menu.get_by_role("button", name="Setia Alam, Shah Alam").click()
    await expect(menu).to_be_hidden()
    await expect(tab.locator("#messages .msg.from-me .location").last).to_contain_text("Setia Alam")
    await expect(bot_messages(page)).to_have_count(before + 1)
    await expect(bot_messages(page).last.locator("strong").first).to_have_text(
        "NextMed Clinic Setia Alam"
    )
    # Escape closes it again, from the keyboard.
    await attach.click()
    await expect(menu.get_by_role("button").first).to_be_focused()
    await tab.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(attach).to_be_focused()


async def test_the_bots_whole_name_shows_on_a_phone(phone_page: Page) -> None:
    title = phone_page.tab.locator("#bot-name")
    await expect(title).to_have_text("Gutskin Sandbox")
    for width in (390, 360, 320):
        await phone_page.tab.set_viewport_size({"width": width, "height": 740})
        cut = await title.evaluate("h => h.scrollWidth > h.clientWidth + 0.5")
        assert not cut, f"the title is cut at {width} px"
        for part in ("#bot-name", "#user-select", ".topbar"):
            box = await phone_page.tab.locator(part).bounding_box()
            assert box is not None and box["x"] + box["width"] <= width + 0.5, (part, width, box)
    await phone_page.screenshot("phone-320-title")
