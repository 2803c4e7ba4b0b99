"""The sender's loop against a scripted Bot API (a fake request object: each call takes the
next scripted answer or error), so the in-doubt rule, retries, the stop and the counters the
metrics show are checked in milliseconds. tests/outbound/test_sender.py does it over HTTP.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram.error import NetworkError, TimedOut

from bot.outbound.errors import ConnectFailed, ConnectTimedOut
from bot.outbound.outcome import SendOutcome
from bot.outbound.pacing import Pacer
from bot.outbound.sender import Sender

OK = (200, b'{"ok": true, "result": {"message_id": 5}}')
BLOCKED = (403, b'{"ok": false, "description": "Forbidden: bot was blocked by the user"}')
BAD = (400, b'{"ok": false, "description": "Bad Request: message text is empty"}')
GATEWAY = (502, b"Bad Gateway")
LIMITED = (429, b'{"ok": false, "parameters": {"retry_after": 0.01}}')
Script = Iterable[tuple[int, bytes] | BaseException]


class ScriptedRequest:
    """Answers each request with the next scripted answer; an exception is raised instead."""

    def __init__(self, script: Script, hang: bool = False) -> None:
        self.script = list(script)
        self.hang = hang
        self.calls = 0
        self.started = asyncio.Event()

    async def do_request(self, url: str, method: str, data: Any) -> tuple[int, bytes]:
        self.calls += 1
        self.started.set()
        if self.hang:
            await asyncio.Event().wait()  # never answers
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def sender_for(request: ScriptedRequest, **kwargs: Any) -> Sender:
    bot = SimpleNamespace(request=request, base_url="http://api.invalid/bot1:fake")
    return Sender(cast(Any, bot), Pacer(None, per_chat_interval=0), backoff_base=0.001, **kwargs)


@pytest.mark.parametrize(
    ("script", "outcome", "reason", "attempts", "calls"),
    [
        ([OK], SendOutcome.SENT, None, 1, 1),
        ([BLOCKED], SendOutcome.BLOCKED, "bot was blocked by the user", 1, 1),
        ([BAD], SendOutcome.REJECTED, "message text is empty", 1, 1),
        ([GATEWAY], SendOutcome.UNKNOWN, "http 502", 1, 1),  # may have arrived: never again
        ([TimedOut("read")], SendOutcome.UNKNOWN, "timeout", 1, 1),
        ([NetworkError("reset")], SendOutcome.UNKNOWN, "network", 1, 1),
        ([ConnectFailed("refused"), OK], SendOutcome.SENT, None, 2, 2),  # never left: again
        ([ConnectTimedOut("connect"), ConnectFailed("x"), OK], SendOutcome.SENT, None, 3, 3),
        ([ConnectFailed("refused")] * 3, SendOutcome.FAILED, "connect failed", 3, 3),
        ([ConnectTimedOut("connect")] * 3, SendOutcome.FAILED, "connect timeout", 3, 3),
        ([ConnectFailed("refused"), GATEWAY], SendOutcome.UNKNOWN, "http 502", 2, 2),
        ([LIMITED, LIMITED, OK], SendOutcome.SENT, None, 1, 3),  # 429s are not attempts
    ],
)
async def test_what_a_send_comes_to(
    script: list[Any], outcome: SendOutcome, reason: str | None, attempts: int, calls: int
) -> None:
    request = ScriptedRequest(script)
    result = await sender_for(request).send(1, "sendMessage", {"text": "hi"})
    assert (result.outcome, result.reason, result.attempts) == (outcome, reason, attempts)
    assert request.calls == calls
    assert result.rate_limited == calls - attempts
    assert result.message_id == (5 if outcome is SendOutcome.SENT else None)


async def test_one_attempt_only_when_so_configured() -> None:
    request = ScriptedRequest([ConnectFailed("refused"), OK])
    result = await sender_for(request, max_attempts=1).send(1, "sendMessage", {})
    assert (result.outcome, result.attempts, request.calls) == (SendOutcome.FAILED, 1, 1)


async def test_the_counters_add_up_every_send() -> None:
    script: list[Any] = [OK, OK, BLOCKED, BLOCKED, BAD, BAD, GATEWAY, GATEWAY, TimedOut("r")]
    script += [ConnectFailed("x"), ConnectFailed("x"), LIMITED, OK]
    sender = sender_for(ScriptedRequest(script), max_attempts=1)
    for _ in range(12):
        await sender.send(1, "sendMessage", {})
    counters = sender.counters
    assert (counters.sent, counters.blocked, counters.rejected) == (3, 2, 2)
    assert counters.in_doubt == collections.Counter({"http 502": 2, "timeout": 1})
    assert counters.failed == collections.Counter({"connect failed": 2})
    assert (counters.rate_limited, counters.retries) == (1, 0)


async def test_stop_cuts_a_request_unanswered_after_the_grace_and_it_is_in_doubt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = ScriptedRequest([], hang=True)
    sender = sender_for(request)
    on_start: list[str] = []

    async def started() -> None:
        on_start.append("sending")

    task = asyncio.create_task(sender.send(1, "sendMessage", {}, on_start=started))
    await request.started.wait()
    sender.stop(grace=0.01)
    sender.stop(grace=60)  # a second stop changes nothing
    result = await asyncio.wait_for(task, 5)
    assert (result.outcome, result.reason, result.attempts) == (
        SendOutcome.UNKNOWN,
        "stopped in flight",
        1,
    )
    assert on_start == ["sending"] and sender.stopping
    assert sender.counters.in_doubt == collections.Counter({"stopped in flight": 1})
    assert "stopping: 1 requests unanswered after the grace period" in caplog.text


async def test_a_429_then_stop_ends_failed_without_another_request() -> None:
    request = ScriptedRequest([(429, json.dumps({"parameters": {"retry_after": 30}}).encode())])
    sender = sender_for(request)
    task = asyncio.create_task(sender.send(1, "sendMessage", {}))
    await request.started.wait()
    await asyncio.sleep(0)
    sender.stop(grace=5)
    result = await asyncio.wait_for(task, 5)
    assert (result.outcome, result.reason, result.rate_limited) == (
        SendOutcome.FAILED,
        "stopping",
        1,
    )
    assert request.calls == 1
