"""HTTP for talking to the Bot API: a python-telegram-bot request backend on aiohttp."""

from bot.http.aiohttp_request import AiohttpRequest

__all__ = ["AiohttpRequest"]
