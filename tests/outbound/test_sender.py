"""The Sender against the sandbox over HTTP: what users received and what each send says."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import socket
from collections.abc import AsyncIterator

import pytest
import telegram

from bot.outbound.outcome import MessageSender, SendOutcome, SendResult
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
    """A fast sender: 200 messages/s, 50 ms between messages to one chat, short backoff."""
    pacer = Pacer(200, per_chat_interval=0.05)
    yield Sender(bot, pacer, max_attempts=3, backoff_base=0.01)
    pacer.close()


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


async def test_server_errors_are_retried_then_sent(sender: Sender, client: SandboxClient) -> None:
    await client.inject_faults(method="sendMessage", status=502, count=2)
    result = await sender.send(USERS[0], "sendMessage", TIP)
    assert (result.outcome, result.attempts) == (SendOutcome.SENT, 3)
    assert len(await bot_messages(client, USERS[0])) == 1
    assert sender.counters.retries == 2


async def test_persistent_server_errors_fail_after_max_attempts(
    sender: Sender, client: SandboxClient
) -> None:
    calls = 0

    async def on_start() -> None:
        nonlocal calls
        calls += 1

    await client.inject_faults(method="sendMessage", status=503, count=5)
    result = await sender.send(USERS[0], "sendMessage", TIP, on_start=on_start)
    assert (result.outcome, result.reason, result.attempts) == (SendOutcome.FAILED, "http 503", 3)
    assert calls == 1
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 3
    assert await bot_messages(client, USERS[0]) == []
    assert sender.counters.failed == collections.Counter({"http 503": 1})


async def test_timeouts_are_retried_then_failed(sender: Sender, client: SandboxClient) -> None:
    # Slow (beyond the 0.3 s read timeout) and then failing, so nothing is delivered late.
    await client.inject_faults(method="sendMessage", status=500, count=3, delay_seconds=0.6)
    result = await sender.send(USERS[0], "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (SendOutcome.FAILED, "timeout", 3)
    assert sender.counters.failed["timeout"] == 1


async def test_one_timeout_then_success(sender: Sender, client: SandboxClient) -> None:
    await client.inject_faults(method="sendMessage", status=500, count=1, delay_seconds=0.6)
    result = await sender.send(USERS[0], "sendMessage", TIP)
    assert (result.outcome, result.attempts) == (SendOutcome.SENT, 2)
    assert len(await bot_messages(client, USERS[0])) == 1


async def test_network_errors_fail_without_raising() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port now; the bot is never initialized (that would call getMe).
    request = AiohttpRequest(connect_timeout=0.5)
    bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    async with request:
        sender = Sender(bot, Pacer(None, per_chat_interval=0.01), backoff_base=0.01)
        result = await sender.send(1, "sendMessage", TIP)
    assert (result.outcome, result.reason, result.attempts) == (SendOutcome.FAILED, "network", 3)


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
