"""Browser fixtures: the sandbox runner's page with the real bot, in headless Chromium.

Chromium is found, never downloaded: ``CHROMIUM_PATH``, then Debian's ``chromium`` (CI
installs it with apt), then other Chrome builds on PATH, then a browser Playwright itself
installed earlier. Without one the tests skip and say how to get it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.sandbox import demo_users, serve
from bot.config import load_settings
from bot.content.loader import Content
from bot.runtime.app import AnyApplication
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import Sandbox
from tests.conftest import ROOT, TIPS_DIR

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install -e '.[dev]')"
)

playwright_api.expect.set_options(timeout=8000)
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LOOP = pytest.mark.asyncio(loop_scope="module")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
NO_CHROMIUM = (
    "browser tests SKIPPED: no Chromium found. Install Debian's (apt-get install -y chromium; "
    ".ci/run does) or set CHROMIUM_PATH to a Chrome/Chromium binary"
)


def find_chromium() -> str | None:
    """Return a Chromium executable to drive, or None."""
    given = os.environ.get("CHROMIUM_PATH")
    if given:
        return given if Path(given).is_file() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    cache = Path.home() / ".cache" / "ms-playwright"
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/*/headless_*"):
        for installed in sorted(cache.glob(pattern), reverse=True):
            return str(installed)
    return None


@dataclass
class Page:
    """The chat page in a browser tab, and the sandbox and bot behind it."""

    tab: playwright_api.Page
    sandbox: Sandbox
    client: SandboxClient
    app: AnyApplication

    async def screenshot(self, name: str) -> Path:
        """Save a screenshot under test-artifacts/browser/ and return its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.tab.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary, or skip every browser test with the reason."""
    found = find_chromium()
    if found is None:
        pytest.skip(NO_CHROMIUM)
    return found


# One browser for all the tests of a module (each gets its own context), so the tests and
# their async fixtures share the module's event loop: see LOOP in the test modules.
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_path: str) -> AsyncIterator[playwright_api.Browser]:
    """A headless Chromium driven by Playwright."""
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(params=list(SIZES))
def viewport_name(request: pytest.FixtureRequest) -> str:
    """Run a test at a phone size and at a desktop size."""
    return str(request.param)


async def open_page(
    browser: playwright_api.Browser,
    tmp_path: Path,
    content: Content,
    size: dict[str, int],
) -> AsyncIterator[Page]:
    """Start the runner's sandbox with the page and the bot, and open the page."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}",
        tips_dir=TIPS_DIR,
        sandbox_rate_limit=1000,
    )
    users = demo_users(100001, "Aisyah", "en")
    async with (
        serve(settings, content, port=0, users=users) as (sandbox, app),
        SandboxClient(sandbox.control_url) as client,
    ):
        context = await browser.new_context(viewport=size, locale="en-GB")
        context.set_default_timeout(8000)
        tab = await context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        await tab.goto(sandbox.web_url)
        await playwright_api.expect(tab.locator("#bot-status")).to_contain_text("live")
        try:
            yield Page(tab, sandbox, client, app)
        finally:
            await context.close()
        assert errors == [], f"the page threw: {errors}"


@pytest_asyncio.fixture(loop_scope="module")
async def page(
    browser: playwright_api.Browser, tmp_path: Path, content: Content, viewport_name: str
) -> AsyncIterator[Page]:
    """The chat page, at a phone size and at a desktop size."""
    async for opened in open_page(browser, tmp_path, content, SIZES[viewport_name]):
        yield opened


@pytest_asyncio.fixture(loop_scope="module")
async def phone_page(
    browser: playwright_api.Browser, tmp_path: Path, content: Content
) -> AsyncIterator[Page]:
    """The chat page at a phone size only."""
    async for opened in open_page(browser, tmp_path, content, SIZES["phone"]):
        yield opened


@pytest_asyncio.fixture(loop_scope="module")
async def desktop_page(
    browser: playwright_api.Browser, tmp_path: Path, content: Content
) -> AsyncIterator[Page]:
    """The chat page at a desktop size only."""
    async for opened in open_page(browser, tmp_path, content, SIZES["desktop"]):
        yield opened
