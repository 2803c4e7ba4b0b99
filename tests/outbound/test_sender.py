"""The Sender against the sandbox over HTTP: what users received and what each send says."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram

from bot.config import Settings
from bot.outbound.outcome import MessageSender, SendOutcome, SendResult, SendStopped
from bot.outbound.pacing import Pacer
from bot.outbound.sender import Sender
from bot.runtime.http import AiohttpRequest
from bot.sandbox import Sandbox, SandboxClient

TOKEN = "123456:sender-test-token"
USERS = list(range(700001, 700011))
TIP = {
    "text": "<b>Tempeh</b> feeds the bacteria that calm your skin.",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]},
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox without a rate limit (tests that want one set it)."""
    server = Sandbox(token=TOKEN, rate_limit_per_second=None)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    """A control client with ten users."""
    async with SandboxClient(sandbox.control_url) as control:
        for user_id in USERS:
            await control.add_user(user_id, f"User {user_id}")
        yield control


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[telegram.Bot]:
    """A bot on the aiohttp backend with a short read timeout."""
    request = AiohttpRequest(read_timeout=0.3)
    async with telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request) as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def sender(bot: telegram.Bot) -> AsyncIterator[Sender]:
    """A fast sender: 200 messages/s, 50 ms between messages to one chat, short backoff;
    every request gives its place on the wire back, however it ended."""
    pacer = Pacer(200, per_chat_interval=0.05, until_answered=True)
    yield Sender(bot, pacer, max_attempts=3, backoff_base=0.01)
    pacer.close()
    assert pacer.on_the_wire == 0


async def bot_messages(client: SandboxClient, chat_id: int) -> list[str]:
    return [m["text"] or m["caption"] for m in await client.history(chat_id) if m["from_bot"]]


def test_it_is_a_message_sender(sender: Sender) -> None:
    checked: MessageSender = sender
    assert checked is sender


async def test_a_sent_message_arrives_once_with_its_id(
    sender: Sender, client: SandboxClient, sandbox: Sandbox
) -> None:
    chat = USERS[0]
    seen_before_request: list[int] = []

    async def on_start() -> None:
        seen_before_request.append(len(sandbox.world.history(chat)))

    result = await sender.send(chat, "sendMessage", TIP, on_start=on_start)
    [stored] = await client.history(chat)
    assert result == SendResult(SendOutcome.SENT, stored["message_id"], None, 1, 0)
    assert stored["text"] == "Tempeh feeds the bacteria that calm your skin."
    assert stored["reply_markup"] == TIP["reply_markup"]
    assert seen_before_request == [0]  # on_start ran once, before the request left
    assert sender.counters.sent == 1


async def test_a_user_who_blocked_the_bot_is_blocked_without_retry(
    sender: Sender, client: SandboxClient
) -> None:
    chat = USERS[0]
    await client.block(chat)
    result = await sender.send(chat, "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (
        SendOutcome.BLOCKED,
        "bot was blocked by the user",
        1,
    )
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 1
    assert await bot_messages(client, chat) == []
    assert sender.counters.blocked == 1


async def test_an_unknown_chat_is_blocked(sender: Sender, client: SandboxClient) -> None:
    result = await sender.send(424242, "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (
        SendOutcome.BLOCKED,
        "chat not found",
        1,
    )


async def test_a_malformed_message_is_rejected_with_a_short_reason(
    sender: Sender, client: SandboxClient
) -> None:
    secret = "private words <b>unclosed"
    result = await sender.send(USERS[0], "sendMessage", {"text": secret, "parse_mode": "HTML"})
    assert result.outcome is SendOutcome.REJECTED
    assert result.reason == "can't parse entities"
    assert result.attempts == 1
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 1
    assert sender.counters.rejected == 1


async def test_a_server_error_is_in_doubt_and_never_repeated(
    sender: Sender, client: SandboxClient
) -> None:
    # A 5xx may come after Telegram sent the message: one request, never a second.
    calls = 0

    async def on_start() -> None:
        nonlocal calls
        calls += 1

    await client.inject_faults(method="sendMessage", status=502, count=2)
    result = await sender.send(USERS[0], "sendMessage", TIP, on_start=on_start)
    assert (result.outcome, result.reason, result.attempts) == (
        SendOutcome.UNKNOWN,
        "http 502",
        1,
    )
    assert calls == 1
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 1
    assert sender.counters.in_doubt == collections.Counter({"http 502": 1})
    assert sender.counters.retries == 0


async def test_a_read_timeout_is_in_doubt_and_the_tip_that_did_arrive_arrives_once(
    sender: Sender, client: SandboxClient, sandbox: Sandbox
) -> None:
    # The answer comes after the 0.3 s read timeout, but the message is delivered: the
    # old sender retried here and the subscriber got two.
    await client.inject_faults(method="sendMessage", status=0, count=1, delay_seconds=0.6)
    result = await sender.send(USERS[0], "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (SendOutcome.UNKNOWN, "timeout", 1)
    await _until(lambda: bool(sandbox.world.history(USERS[0])))
    assert await bot_messages(client, USERS[0]) == [
        "Tempeh feeds the bacteria that calm your skin."
    ]
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 1


@pytest.mark.slow
async def test_a_slow_answer_within_the_default_read_timeout_is_sent(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    # The slow answer that turned 9 of 300 tips into duplicates with a 5 s read timeout.
    request = AiohttpRequest(read_timeout=Settings.model_fields["send_read_timeout"].default)
    async with telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request) as slow_bot:
        sender = Sender(slow_bot, Pacer(None), backoff_base=0.01)
        await client.inject_faults(method="sendMessage", status=0, count=1, delay_seconds=6.0)
        result = await sender.send(USERS[0], "sendMessage", TIP)
    assert (result.outcome, result.attempts) == (SendOutcome.SENT, 1)
    assert len(await bot_messages(client, USERS[0])) == 1


async def _until(check: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds * 50)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not true after {seconds} s")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connections_never_left_so_they_are_retried_then_failed() -> None:
    # Nothing listens on that port now; the bot is never initialized (that would call getMe).
    request = AiohttpRequest(connect_timeout=0.5)
    bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}/bot", request=request)
    async with request:
        sender = Sender(bot, Pacer(None, per_chat_interval=0.01), backoff_base=0.01)
        result = await sender.send(1, "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (
        SendOutcome.FAILED,
        "connect failed",
        3,
    )
    assert sender.counters.retries == 2


@pytest.mark.slow
async def test_stop_cuts_a_request_still_unanswered_after_the_grace_as_in_doubt(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    request = AiohttpRequest(read_timeout=30)
    async with telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request) as slow_bot:
        sender = Sender(slow_bot, Pacer(None))
        await client.inject_faults(method="sendMessage", status=0, count=1, delay_seconds=3.0)
        task = asyncio.create_task(sender.send(USERS[0], "sendMessage", TIP))
        await _until(lambda: sandbox.world.counters.requests_by_method["sendMessage"] == 1)
        sender.stop(grace=0.2)
        result = await task
        delivered_when_cut = len(sandbox.world.history(USERS[0]))
    assert (result.outcome, result.reason) == (SendOutcome.UNKNOWN, "stopped in flight")
    assert delivered_when_cut == 0  # cut before Telegram answered: in doubt, not failed
    assert sender.counters.in_doubt["stopped in flight"] == 1


async def test_stop_ends_sends_waiting_for_a_429_pause_before_any_request(
    sender: Sender, client: SandboxClient
) -> None:
    sender.pacer.pause(30)
    task = asyncio.create_task(sender.send(USERS[0], "sendMessage", TIP))
    await asyncio.sleep(0)
    sender.stop(grace=5)
    with pytest.raises(SendStopped):
        await task
    with pytest.raises(SendStopped):
        await sender.send(USERS[1], "sendMessage", TIP)  # and nothing new starts
    assert (await client.counters())["requests_by_method"].get("sendMessage", 0) == 0


async def test_stop_ends_a_retry_backoff_without_another_attempt() -> None:
    request = AiohttpRequest(connect_timeout=0.5)
    bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}/bot", request=request)
    async with request:
        sender = Sender(bot, Pacer(None), backoff_base=60)
        task = asyncio.create_task(sender.send(1, "sendMessage", TIP))
        await _until(lambda: sender.counters.retries == 1)
        sender.stop(grace=5)
        result = await task
    assert (result.outcome, result.reason, result.attempts) == (SendOutcome.FAILED, "stopping", 1)


@pytest.mark.slow
async def test_429_pauses_everyone_and_loses_nothing(
    sender: Sender, client: SandboxClient, sandbox: Sandbox
) -> None:
    # The pacer allows 200/s; the sandbox only 4/s, so most sends meet a 429 at first.
    await client.set_rate_limit(4)
    results = await asyncio.gather(
        *(sender.send(chat, "sendMessage", {"text": f"tip for {chat}"}) for chat in USERS)
    )
    assert [r.outcome for r in results] == [SendOutcome.SENT] * len(USERS)
    for chat in USERS:
        assert await bot_messages(client, chat) == [f"tip for {chat}"]  # once, no duplicate
    limited = sum(r.rate_limited for r in results)
    assert limited > 0 and sender.counters.rate_limited == limited
    assert all(r.attempts == 1 for r in results)  # a 429 is not a failed attempt
    # After each 429 nothing went out before its retry_after (1 s here) was over.
    log = sandbox.world.requests_log.last(100)
    first_429 = next(i for i, entry in enumerate(log) if entry["status"] == 429)
    pause_start = log[first_429]["time"]
    next_ok = next(e["time"] for e in log[first_429:] if e["status"] == 200)
    assert (_seconds(next_ok) - _seconds(pause_start)) >= 0.9


def _seconds(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


async def test_concurrent_sends_reach_every_chat_once_and_in_order(
    sender: Sender, client: SandboxClient
) -> None:
    jobs = [(chat, n) for n in range(3) for chat in USERS]
    results = await asyncio.gather(
        *(sender.send(chat, "sendMessage", {"text": f"{chat}:{n}"}) for chat, n in jobs)
    )
    assert all(r.outcome is SendOutcome.SENT for r in results)
    for chat in USERS:
        assert await bot_messages(client, chat) == [f"{chat}:{n}" for n in range(3)]
    assert (await client.counters())["chat_overruns"] == 0


async def test_paid_broadcast_marks_bulk_sends_only(
    bot: telegram.Bot, client: SandboxClient, sandbox: Sandbox
) -> None:
    sender = Sender(bot, Pacer(None), paid_broadcast=True)
    await sender.send(USERS[0], "sendMessage", {"text": "broadcast"})
    await sender.send(USERS[1], "sendMessage", {"text": "reply"}, bulk=False)
    log = sandbox.world.requests_log.last(2)
    assert [e["params"].get("allow_paid_broadcast") for e in log] == ["true", None]
    assert await bot_messages(client, USERS[0]) == ["broadcast"]


async def test_the_caller_can_cancel_a_waiting_send(sender: Sender, client: SandboxClient) -> None:
    sender.pacer.pause(5)
    task = asyncio.create_task(sender.send(USERS[0], "sendMessage", TIP))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sender.paused_for > 4
    assert await bot_messages(client, USERS[0]) == []
