"""A python-telegram-bot request backend on aiohttp.

Why not PTB's default (httpx): in this machine's loopback benchmark (bench/README.md,
"Sending") httpx reached about a tenth of a plain aiohttp loop's rate with 256 requests
in flight, at milliseconds of CPU per message, because httpcore's pool scans its
connections on every request; this backend keeps aiohttp's pool and adds little to it.

Bodies: ordinary calls go as PTB's JSON payload (nested values as JSON text, exactly as
in PTB's form encoding), which the Bot API reads like a form and which costs half the CPU
of URL-encoding; calls with files go as multipart/form-data.

Timeouts: ``connect_timeout`` bounds opening a connection; ``pool_timeout`` plus
``connect_timeout`` bound getting one (aiohttp counts the wait for a free pooled
connection in its connect phase); ``read_timeout`` bounds each gap while reading the
answer (it starts once the request is written). aiohttp has no write timeout, so the sum
of all four is also a ceiling on the whole request: a stalled upload still ends.
Timeouts raise PTB's ``TimedOut``, other transport failures ``NetworkError``; their text
never holds the request URL, which carries the token. Failures that happen before the
request could have left (no connection: refused, DNS, connect or pool timeout) raise the
subclasses ``ConnectTimedOut`` and ``ConnectFailed``: only those are safe to retry
without risking a second message (bot/outbound/sender.py). Anything later (a read
timeout, a dropped connection) may have reached Telegram.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.outbound.errors import ConnectFailed as ConnectFailed
from bot.outbound.errors import ConnectTimedOut as ConnectTimedOut

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """Send Bot API requests over one aiohttp session with a pooled connector.

    Args:
        connection_pool_size: most connections open at once (PTB's default is 256 too).
        read_timeout, write_timeout, connect_timeout, pool_timeout: seconds, or None for
            no limit; the defaults are PTB's.
        media_write_timeout: the write timeout for requests that upload files.
    """

    __slots__ = (
        "_default_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_session",
        "_timeouts",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._default_timeout = _client_timeout(*self._timeouts)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Open the session (inside the running event loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                timeout=self._default_timeout,
                # Bot API answers are small JSON; no cookies to keep between requests.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one HTTP request and return its status and body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        given = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        timeout = self._default_timeout
        if files or not all(isinstance(value, DefaultValue) for value in given):
            timeout = self._timeout_for(given, files)
        body: bytes | aiohttp.FormData | None = None
        headers = None
        if request_data is not None:
            if files:
                body = _multipart(request_data)
            elif request_data.parameters:
                body = request_data.json_payload
                headers = _JSON
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise ConnectTimedOut(f"Timed out ({type(error).__name__})") from error
        except TimeoutError as error:
            raise TimedOut(f"Timed out ({type(error).__name__})") from error
        except aiohttp.ClientConnectorError as error:
            raise ConnectFailed(f"aiohttp.{type(error).__name__}: {_safe(error, url)}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {_safe(error, url)}") from error

    def _timeout_for(
        self, given: tuple[ODVInput[float], ...], files: bool
    ) -> aiohttp.ClientTimeout:
        read, write, connect, pool = (
            default if isinstance(value, DefaultValue) else value
            for value, default in zip(given, self._timeouts, strict=True)
        )
        if files and isinstance(given[1], DefaultValue):
            write = self._media_write_timeout
        return _client_timeout(read, write, connect, pool)


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    parts = (read, write, connect, pool)
    total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    acquire = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect, sock_read=read)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _safe(error: BaseException, url: str) -> str:
    """Return the error's text without the URL or its path (they hold the token)."""
    text = str(error).replace(url, "<url>")
    path = url.partition("://")[2].partition("/")[2]
    return text.replace(path, "<path>") if path else text
