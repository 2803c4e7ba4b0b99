"""Logging set-up: text or JSON lines, with the update and chat they belong to, never a secret.

Each record carries the ids of what was being handled (``update_id``, ``chat_id``, and
whatever else code binds with `log_context`): the update processor binds them per update,
so every line a handler writes says which update and chat it was about. Secrets (the bot
token, the webhook secret) are replaced anywhere in a line, tracebacks included. At INFO
and above, SQLAlchemy's ``[parameters: ...]`` (the values a failed statement carried,
which can be a question someone typed) is hidden; DEBUG keeps it for debugging.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import IO

_CONTEXT: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({})
)
# SQLAlchemy prints a failed statement's values on one line after "[parameters: ".
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


def bind(**fields: object) -> contextvars.Token[Mapping[str, object]]:
    """Add fields to every record logged from this context on; undo with `unbind`."""
    return _CONTEXT.set({**_CONTEXT.get(), **fields})


def unbind(token: contextvars.Token[Mapping[str, object]]) -> None:
    """Undo a `bind`."""
    _CONTEXT.reset(token)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add fields (e.g. subscriber_id=...) to every record logged inside the block."""
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def current_context() -> dict[str, object]:
    """Return the fields bound in this context."""
    return dict(_CONTEXT.get())


class ContextFilter(logging.Filter):
    """Copy the bound fields onto each record (as attributes and as ``record.context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _CONTEXT.get()
        record.log_fields = fields
        record.context = (
            " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]" if fields else ""
        )
        return True


class _Scrubber:
    def __init__(self, token: str | None, secrets: Iterable[str | None]) -> None:
        found = {s: "<secret>" for s in secrets if s}
        if token:
            found[token] = "<token>"
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(found.items(), key=lambda item: len(item[0]), reverse=True)

    def secrets(self, text: str) -> str:
        for secret, label in self._secrets:
            text = text.replace(secret, label)
        return text

    @staticmethod
    def parameters(text: str, record: logging.LogRecord) -> str:
        if record.levelno < logging.INFO or "[parameters: " not in text:
            return text
        return _SQL_PARAMETERS.sub("[parameters hidden]", text)


class RedactingFormatter(logging.Formatter):
    """Readable lines; secrets replaced anywhere, tracebacks included."""

    def __init__(self, fmt: str, token: str | None, *, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(fmt)
        self._scrub = _Scrubber(token, secrets)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "context"):
            ContextFilter().filter(record)
        text = self._scrub.parameters(super().format(record), record)
        return self._scrub.secrets(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, bound ids, traceback."""

    def __init__(self, token: str | None, *, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._scrub = _Scrubber(token, secrets)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "log_fields"):
            ContextFilter().filter(record)
        stamp = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, object] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._scrub.parameters(record.getMessage(), record),
        }
        fields = getattr(record, "log_fields", {})
        entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exception"] = self._scrub.parameters(
                self.formatException(record.exc_info), record
            )
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return self._scrub.secrets(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(
    level: str,
    token: str | None,
    *,
    fmt: str = "text",
    secrets: Iterable[str | None] = (),
    stream: IO[str] | None = None,
) -> None:
    """Log to stderr (or `stream`) at `level`, as text or JSON, secrets redacted.

    Args:
        token: the bot token, replaced by ``<token>`` wherever it appears.
        fmt: ``text`` (readable lines) or ``json`` (one object per line).
        secrets: other values never to print (the webhook secret).
    """
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    formatter: logging.Formatter = (
        JsonFormatter(token, secrets=secrets)
        if fmt == "json"
        else RedactingFormatter(TEXT_FORMAT, token, secrets=secrets)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL carries the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Alembic says "Context impl SQLiteImpl." and each step of every migration at INFO: noise
    # before the one line that matters (`gutskin-bot db upgrade` prints the revision); DEBUG
    # shows them again.
    alembic = logging.getLogger("alembic")
    alembic.setLevel(logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING)
