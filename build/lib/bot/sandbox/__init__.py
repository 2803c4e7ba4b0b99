"""A local Telegram Bot API emulator, its control client, a terminal chat and a chat page."""

from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.server import Sandbox
from bot.sandbox.web import DemoUser, WebUI

__all__ = ["DemoUser", "Sandbox", "SandboxClient", "SandboxError", "WebUI"]
