"""The README's pictures of the sandbox page and the admin console, taken from the real page
on every run (so the steps that make them keep working). They go to a temporary folder, so a
test run leaves the checkout as it was; `UPDATE_PICTURES=1 ./scripts/test --all
tests/browser/test_readme_screenshots.py` writes them into docs/ (commit them after a change
to the page)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.conftest import LOOP, Page
from tests.browser.test_chat_page import ADMIN, bot_messages, say, start_and_subscribe
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, LOOP]

DOCS = ROOT / "docs"
PICTURES = ("sandbox-page.png", "sandbox-phone.png", "admin-console.png")
SMALL = 250_000  # bytes: pictures for a README, not a gallery


async def picture(page: Page, folder: Path, name: str, *, selector: str | None = None) -> Path:
    """Save the page (or one part of it) as <folder>/<name> and check it is small."""
    path = folder / name
    target = page.tab.locator(selector) if selector else page.tab
    await target.screenshot(path=str(path), animations="disabled", caret="hide")
    assert 5_000 < path.stat().st_size < SMALL, (name, path.stat().st_size)
    return path


async def test_the_readme_pictures_of_the_page_and_the_admin_console(
    desktop_page: Page, tmp_path: Path
) -> None:
    page, tab = desktop_page, desktop_page.tab
    folder = DOCS if os.environ.get("UPDATE_PICTURES") == "1" else tmp_path
    await tab.set_viewport_size({"width": 1200, "height": 720})
    await say(page, "does dairy cause acne?")
    await expect(bot_messages(page).last.locator("strong").first).to_have_text(
        "Does dairy cause acne?"
    )
    await start_and_subscribe(page)
    before = await bot_messages(page).count()
    await tab.get_by_role("button", name="Next delivery").click()
    await expect(bot_messages(page)).to_have_count(before + 1, timeout=10_000)
    await expect(bot_messages(page).last).to_contain_text("Not medical advice")
    await picture(page, folder, "sandbox-page.png")
    await tab.get_by_role("button", name="Hide these suggestions").click()

    await tab.set_viewport_size({"width": 390, "height": 760})
    await say(page, "/topics")
    keyboard = bot_messages(page).last.locator(".inline-keyboard")
    await keyboard.get_by_role("button", name="✅ Stress").click()
    await expect(keyboard.get_by_role("button", name="⬜ Stress")).to_be_visible()
    await tab.locator("#messages").evaluate("m => { m.scrollTop = m.scrollHeight; }")
    await picture(page, folder, "sandbox-phone.png")

    await tab.set_viewport_size({"width": 1200, "height": 860})
    await tab.get_by_label("Chatting as").select_option(str(ADMIN))
    await say(page, "/admin")
    await bot_messages(page).last.get_by_role("button", name="🗓 Schedule").click()
    await expect(bot_messages(page).last).to_contain_text("◀ today")
    await picture(page, folder, "admin-console.png", selector="#chat")

    readme = (ROOT / "README.md").read_text()
    for name in PICTURES:
        assert f"(docs/{name})" in readme, f"README.md does not show docs/{name}"
