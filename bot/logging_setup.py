"""Logging set-up: readable lines, and never the bot token."""

from __future__ import annotations

import logging


class RedactingFormatter(logging.Formatter):
    """Format records, then replace the bot token anywhere in them, tracebacks included."""

    def __init__(self, fmt: str, token: str | None) -> None:
        super().__init__(fmt)
        self._token = token

    def format(self, record: logging.LogRecord) -> str:
        formatted = super().format(record)
        return formatted.replace(self._token, "<token>") if self._token else formatted


def configure_logging(level: str, token: str | None) -> None:
    """Log to stderr at `level`, with the token redacted and noisy libraries quieted."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", token)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL carries the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
