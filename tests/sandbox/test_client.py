"""The control API through SandboxClient: users, buttons, waiting, clock, events."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest
import telegram

from bot.clock import SystemClock
from bot.sandbox import Sandbox, SandboxClient, SandboxError
from bot.sandbox.control import SEQ_HEADER
from tests.sandbox.conftest import TOKEN, USER_ID

KEYBOARD = telegram.InlineKeyboardMarkup(
    [
        [
            telegram.InlineKeyboardButton("Help", callback_data="help"),
            telegram.InlineKeyboardButton("Site", url="https://example.org"),
        ]
    ]
)


async def test_user_messages_share_ids_with_bot_messages(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    mine = await client.send_text(user, "hello")
    sent = await bot.send_message(user, "hi Ada")
    location = await client.share_location(user, 52.37, 4.89)
    assert [mine["message_id"], sent.message_id, location["message_id"]] == [1, 2, 3]
    assert (mine["from_bot"], mine["text"]) == (False, "hello")
    assert location["location"] == {"latitude": 52.37, "longitude": 4.89}
    *_, update = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.location is not None
    assert update.message.location.latitude == 52.37


async def test_press_button_by_text_url_and_missing(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "Menu", reply_markup=KEYBOARD)
    url_press = await client.press_button(user, sent.message_id, text="Site")
    assert url_press == {
        "button": {"text": "Site", "url": "https://example.org"},
        "callback_query_id": None,
    }
    with pytest.raises(SandboxError, match="no button with data 'nope'") as caught:
        await client.press_button(user, sent.message_id, data="nope")
    assert caught.value.status == 404
    assert await bot.get_updates(timeout=0) == ()


async def test_blocked_user_cannot_write(client: SandboxClient, user: int) -> None:
    await client.block(user)
    with pytest.raises(SandboxError, match="has blocked the bot") as caught:
        await client.send_text(user, "hi")
    assert caught.value.status == 409


async def test_unknown_user_is_404(client: SandboxClient) -> None:
    with pytest.raises(SandboxError) as caught:
        await client.send_text(31337, "hi")
    assert caught.value.status == 404


async def test_wait_for_bot_message_finds_a_later_reply(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    asked = await client.send_text(user, "/help")

    async def reply_later() -> None:
        await bot.send_message(user, "Not this one")
        await bot.send_message(user, "Here is the help")

    task = asyncio.create_task(reply_later())
    found = await client.wait_for_bot_message(
        user, after_message_id=asked["message_id"], contains="help", timeout=5
    )
    await task
    assert (found["message_id"], found["text"]) == (3, "Here is the help")


async def test_wait_for_bot_message_times_out_with_the_history(
    client: SandboxClient, user: int
) -> None:
    await client.send_text(user, "anyone there?")
    with pytest.raises(TimeoutError, match="anyone there"):
        await client.wait_for_bot_message(user, timeout=0.2)


async def test_waiting_wakes_on_the_chats_events_not_on_a_timer(
    bot: telegram.Bot,
    sandbox: Sandbox,
    client: SandboxClient,
    user: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wait reads the chat once, then long-polls /events: a reply, an edit and a button
    answer each end their wait, and another chat's news does not make it read again."""
    reads = []
    read = asyncio.Event()
    history = sandbox.world.history

    def counted(chat_id: int) -> list[dict[str, object]]:
        reads.append(chat_id)
        read.set()
        return history(chat_id)

    monkeypatch.setattr(sandbox.world, "history", counted)
    await client.add_user(USER_ID + 1, "Bea")
    asked = await client.send_text(user, "/menu")
    waiting = asyncio.create_task(
        client.wait_for_bot_message(user, after_message_id=asked["message_id"], timeout=5)
    )
    await asyncio.wait_for(read.wait(), 5)
    assert reads == [user]
    await bot.send_message(USER_ID + 1, "someone else's news")
    sent = await bot.send_message(user, "Menu", reply_markup=KEYBOARD)
    found = await asyncio.wait_for(waiting, 10)
    assert (found["message_id"], found["text"]) == (sent.message_id, "Menu")
    assert reads == [user, user]

    def edited(messages: list[dict[str, object]]) -> dict[str, object] | None:
        return next((m for m in messages if m["edited"]), None)

    waiting_edit = asyncio.create_task(client.wait_for_chat(user, edited, timeout=5))
    await bot.edit_message_text("Menu!", user, sent.message_id, reply_markup=KEYBOARD)
    assert (await asyncio.wait_for(waiting_edit, 10))["text"] == "Menu!"

    pressed = await client.press_button(user, sent.message_id, data="help")
    query_id = pressed["callback_query_id"]
    waiting_answer = asyncio.create_task(client.wait_for_callback_answer(query_id, timeout=5))
    await bot.answer_callback_query(query_id, "Helping")
    assert (await asyncio.wait_for(waiting_answer, 10))["text"] == "Helping"


async def test_control_answers_carry_the_event_seq(
    sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    _, seq = await client.events()
    await client.send_text(user, "hi")
    url = f"{sandbox.control_url}/chats/{user}/messages"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.headers[SEQ_HEADER] == str(seq + 1)  # the user's message: one event


def test_events_after_a_seq_are_found_when_old_ones_have_been_dropped() -> None:
    world = Sandbox(token=TOKEN, clock=SystemClock()).world
    kept = world.events.maxlen
    assert kept is not None
    for _ in range(kept + 7):
        world.emit("clock")
    last = world.last_event_seq
    assert [e["seq"] for e in world.events_after(last - 3)] == [last - 2, last - 1, last]
    assert world.events_after(last) == []
    assert len(world.events_after(0)) == kept
    assert world.events_after(0)[0]["seq"] == last - kept + 1


async def test_advance_clock_moves_the_offset_clock(client: SandboxClient) -> None:
    before = dt.datetime.fromisoformat(await client.clock())
    after = dt.datetime.fromisoformat(await client.advance_clock(3600))
    assert dt.timedelta(minutes=59) < after - before < dt.timedelta(minutes=61)


async def test_advance_clock_needs_an_offset_clock() -> None:
    server = Sandbox(token="1:x", clock=SystemClock())
    await server.start()
    try:
        async with SandboxClient(server.control_url) as control:
            with pytest.raises(SandboxError) as caught:
                await control.advance_clock(1)
    finally:
        await server.stop()
    assert caught.value.status == 400


async def test_events_long_poll_returns_when_the_bot_speaks(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    _, seq = await client.events()
    poll = asyncio.create_task(client.events(after=seq, wait_seconds=20))
    sent = await bot.send_message(user, "news")
    events, last = await asyncio.wait_for(poll, 10)
    assert [(e["type"], e["message"]["text"]) for e in events] == [("message", "news")]
    await bot.edit_message_text("news!", user, sent.message_id)
    events, _ = await client.events(after=last)
    assert [(e["type"], e["message"]["edited"]) for e in events] == [("edited", True)]


async def test_invalid_fault_is_refused(client: SandboxClient) -> None:
    with pytest.raises(SandboxError, match="5xx"):
        await client.inject_faults(status=404)
