"""A local Telegram Bot API emulator, its control client and a terminal chat."""

from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.server import Sandbox

__all__ = ["Sandbox", "SandboxClient", "SandboxError"]
