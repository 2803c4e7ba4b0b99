"""An async client of the sandbox control API over real HTTP, for tests and the terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import aiohttp

from bot.sandbox.control import SEQ_HEADER

T = TypeVar("T")


class SandboxError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class SandboxClient:
    """Drive a running sandbox: act as users, read chats, tune limits, faults and the clock."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        result, _seq = await self._call_seq(method, path, body, params)
        return result

    async def _call_seq(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[Any, int | None]:
        """Call the control API; return the answer and the world's event seq as of it."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = self.control_url + path
        async with self._session.request(method, url, json=body, params=params) as response:
            header = response.headers.get(SEQ_HEADER)
            seq = int(header) if header is not None else None
            if response.status == 204:
                return None, seq
            text = await response.text()
            if response.status >= 400:
                try:
                    reason = json.loads(text)["error"]
                except (ValueError, KeyError, TypeError):
                    reason = text
                raise SandboxError(response.status, reason)
            return json.loads(text), seq

    async def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        language_code: str | None = "en",
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create (or update) a user with a private chat whose id is ``user_id``."""
        body = {
            "user_id": user_id,
            "first_name": first_name,
            "language_code": language_code,
            "username": username,
        }
        result: dict[str, Any] = await self._call("POST", "/users", body)
        return result

    async def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        """Write ``text`` to the bot as the user; return the history dict of that message."""
        result: dict[str, Any] = await self._call(
            "POST", f"/users/{user_id}/messages", {"text": text}
        )
        return result

    async def press_button(
        self, user_id: int, message_id: int, *, data: str | None = None, text: str | None = None
    ) -> dict[str, Any]:
        """Press an inline button by callback data or visible text; return button and query id."""
        body = {"message_id": message_id, "data": data, "text": text}
        result: dict[str, Any] = await self._call("POST", f"/users/{user_id}/button-presses", body)
        return result

    async def share_location(
        self, user_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Share a location as the user; return the history dict of that message."""
        body = {"latitude": latitude, "longitude": longitude}
        result: dict[str, Any] = await self._call("POST", f"/users/{user_id}/locations", body)
        return result

    async def block(self, user_id: int) -> None:
        """Block the bot as the user."""
        await self._call("PUT", f"/users/{user_id}/block")

    async def unblock(self, user_id: int) -> None:
        """Unblock the bot as the user."""
        await self._call("DELETE", f"/users/{user_id}/block")

    async def history(self, chat_id: int) -> list[dict[str, Any]]:
        """Return every message of the chat, oldest first."""
        result: list[dict[str, Any]] = await self._call("GET", f"/chats/{chat_id}/messages")
        return result

    async def file(self, chat_id: int, message_id: int) -> bytes:
        """Return the bytes of a file the bot uploaded to a chat."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = f"{self.control_url}/chats/{chat_id}/messages/{message_id}/file"
        async with self._session.get(url) as response:
            if response.status >= 400:
                raise SandboxError(response.status, await response.text())
            return await response.read()

    async def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """Return the bot's answer to a callback query, or None while unanswered."""
        result: dict[str, Any] = await self._call("GET", f"/callback-queries/{query_id}")
        answer: dict[str, Any] | None = result["answer"]
        return answer

    async def wait_for_callback_answer(
        self,
        query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented interface; it bounds the wait
    ) -> dict[str, Any]:
        """Wait for the bot's answer to a callback query (woken by the sandbox's events)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result, seq = await self._call_seq("GET", f"/callback-queries/{query_id}")
            if result["answer"] is not None:
                answer: dict[str, Any] = result["answer"]
                return answer
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the bot never answered callback query {query_id}")
            await self._wait_for_event(
                seq, remaining, lambda e: e.get("callback_query_id") == query_id
            )

    async def wait_for_chat(
        self,
        chat_id: int,
        found: Callable[[list[dict[str, Any]]], T | None],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented interface; it bounds the wait
        failure: Callable[[list[dict[str, Any]]], str] = lambda _history: "",
    ) -> T:
        """Wait until ``found(history)`` returns something other than None, and return it;
        after ``timeout`` seconds raise TimeoutError with ``failure(history)``.

        The chat is read again only when the sandbox reports an event in it (a long poll of
        /events after the seq the history was read at), never on a timer, so nothing is
        missed and a reply is seen the moment it is stored.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            history, seq = await self._call_seq("GET", f"/chats/{chat_id}/messages")
            hit = found(history)
            if hit is not None:
                return hit
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(failure(history))
            await self._wait_for_event(
                seq, remaining, lambda e: e.get("chat_id", chat_id) == chat_id
            )

    async def _wait_for_event(
        self, seq: int | None, seconds: float, wanted: Callable[[dict[str, Any]], bool]
    ) -> None:
        """Wait up to ``seconds`` for an event after ``seq`` that is ``wanted``."""
        if seq is None:  # a sandbox that does not say its seq: look again a moment later
            await asyncio.sleep(min(seconds, 0.02))
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            found, seq = await self.events(seq, remaining)
            if any(wanted(event) for event in found):
                return

    async def wait_for_bot_message(
        self,
        chat_id: int,
        *,
        after_message_id: int = 0,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented interface; it bounds the wait
    ) -> dict[str, Any]:
        """Wait for the first live bot message after ``after_message_id`` (containing a text)."""

        def first(history: list[dict[str, Any]]) -> dict[str, Any] | None:
            for message in history:
                if not message["from_bot"] or message["deleted"]:
                    continue
                if message["message_id"] <= after_message_id:
                    continue
                shown = message["text"] or message["caption"] or ""
                if contains is None or contains in shown:
                    return message
            return None

        def failure(history: list[dict[str, Any]]) -> str:
            lines = [
                f"  {m['message_id']} {'bot' if m['from_bot'] else 'user'}: "
                f"{m['text'] or m['caption'] or m['location']!r}"
                for m in history
            ]
            return (
                f"no bot message after {after_message_id} containing {contains!r} in chat "
                f"{chat_id} within {timeout}s; history:\n" + "\n".join(lines)
            )

        return await self.wait_for_chat(chat_id, first, timeout=timeout, failure=failure)

    async def events(
        self, after: int = 0, wait_seconds: float = 0.0
    ) -> tuple[list[dict[str, Any]], int]:
        """Long-poll world events after seq ``after``; return them and the latest seq."""
        params = {"after": str(after), "timeout": str(wait_seconds)}
        result = await self._call("GET", "/events", params=params)
        return result["events"], int(result["last_seq"])

    async def counters(self) -> dict[str, Any]:
        """Return the sandbox counters."""
        result: dict[str, Any] = await self._call("GET", "/counters")
        return result

    async def requests_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the latest Bot API requests, oldest first."""
        result: list[dict[str, Any]] = await self._call(
            "GET", "/requests", params={"limit": str(limit)}
        )
        return result

    async def commands(self) -> list[dict[str, Any]]:
        """Return every command list the bot stored, with its scope and language."""
        result: list[dict[str, Any]] = await self._call("GET", "/commands")
        return result

    async def set_rate_limit(self, per_second: float | None) -> None:
        """Change the global message rate limit; None disables it."""
        await self._call("PUT", "/rate-limit", {"per_second": per_second})

    async def inject_faults(
        self,
        *,
        method: str | None = None,
        status: int = 500,
        count: int = 1,
        delay_seconds: float = 0.0,
    ) -> None:
        """Make the next ``count`` calls (of ``method`` or any) wait, then fail with ``status``."""
        body = {"method": method, "status": status, "count": count, "delay_seconds": delay_seconds}
        await self._call("POST", "/faults", body)

    async def clear_faults(self) -> None:
        """Disarm all faults."""
        await self._call("DELETE", "/faults")

    async def clock(self) -> str:
        """Return the sandbox's current instant (ISO)."""
        result = await self._call("GET", "/clock")
        return str(result["now"])

    async def advance_clock(self, seconds: float) -> str:
        """Move the sandbox clock forward; return the new instant (ISO)."""
        result = await self._call("POST", "/clock/advance", {"seconds": seconds})
        return str(result["now"])
