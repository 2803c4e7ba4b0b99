"""The Bot API as python-telegram-bot sees it: real telegram.Bot calls against the sandbox."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden

from bot.sandbox import Sandbox, SandboxClient
from tests.sandbox.conftest import ptb_bot

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Subscribe", callback_data="sub"),
            InlineKeyboardButton("Site", url="https://example.org"),
        ],
    ]
)


async def test_get_me_returns_the_sandbox_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, "gutskin_sandbox_bot", True)


async def test_send_message_with_html_and_keyboard_is_parsed_and_stored(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(
        user, "<b>Hello</b> &amp; welcome", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "Hello & welcome"
    assert sent.entities == (telegram.MessageEntity("bold", 0, 5),)
    assert sent.reply_markup == KEYBOARD
    assert sent.chat.id == user and sent.from_user is not None and sent.from_user.is_bot
    [stored] = await client.history(user)
    assert stored["message_id"] == sent.message_id
    assert stored["html"] == "<b>Hello</b> &amp; welcome"
    assert stored["text"] == "Hello & welcome"
    assert stored["reply_markup"] == KEYBOARD.to_dict()
    assert (stored["from_bot"], stored["edited"], stored["deleted"]) == (True, False, False)


async def test_message_date_follows_the_sandbox_clock(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    await client.advance_clock(86400)
    sent = await bot.send_message(user, "tomorrow")
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert abs(sent.date - expected) < dt.timedelta(seconds=5)


async def test_reply_keyboard_is_stored_but_not_echoed(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    markup = ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    sent = await bot.send_message(user, "Sure?", reply_markup=markup)
    assert sent.reply_markup is None
    [stored] = await client.history(user)
    assert stored["reply_markup"]["keyboard"] == [[{"text": "Yes"}, {"text": "No"}]]


async def test_edit_message_text_updates_in_place(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "one", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("<i>two</i>", user, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, telegram.Message)
    assert edited.text == "two" and edited.edit_date is not None
    [stored] = await client.history(user)
    assert (stored["text"], stored["html"], stored["edited"]) == ("two", "<i>two</i>", True)
    # As in Telegram, an edit without reply_markup removes the inline keyboard.
    assert stored["reply_markup"] is None


async def test_edit_reply_markup_and_identical_edit_is_not_modified(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "pick", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(user, sent.message_id, reply_markup=None)
    [stored] = await client.history(user)
    assert stored["reply_markup"] is None and stored["edited"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("pick", user, sent.message_id)


async def test_delete_message_flags_it_in_history(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "oops")
    assert await bot.delete_message(user, sent.message_id) is True
    [stored] = await client.history(user)
    assert stored["deleted"] is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user, sent.message_id)


async def test_get_updates_delivers_user_message_and_callback_query(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    await client.send_text(user, "/start promo42")
    sent = await bot.send_message(user, "Menu", reply_markup=KEYBOARD)
    pressed = await client.press_button(user, sent.message_id, text="Subscribe")
    updates = await bot.get_updates(timeout=0)
    assert [type(u) for u in updates] == [telegram.Update, telegram.Update]
    first, second = updates
    assert first.message is not None and first.message.text == "/start promo42"
    assert first.message.entities == (telegram.MessageEntity("bot_command", 0, 6),)
    assert first.message.from_user is not None and first.message.from_user.language_code == "en"
    query = second.callback_query
    assert query is not None and query.data == "sub" and query.id == pressed["callback_query_id"]
    assert query.message is not None and query.message.message_id == sent.message_id
    # Confirming with offset drops the delivered updates.
    assert await bot.get_updates(offset=second.update_id + 1, timeout=0) == ()


async def test_answer_callback_query_once(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "Menu", reply_markup=KEYBOARD)
    pressed = await client.press_button(user, sent.message_id, data="sub")
    query_id = pressed["callback_query_id"]
    assert await bot.answer_callback_query(query_id, text="Subscribed!") is True
    answer = await client.callback_answer(query_id)
    assert answer == {"text": "Subscribed!", "show_alert": False, "url": None}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_callback_query_expires_with_the_clock(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    sent = await bot.send_message(user, "Menu", reply_markup=KEYBOARD)
    pressed = await client.press_button(user, sent.message_id, data="sub")
    await client.advance_clock(16 * 60)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(pressed["callback_query_id"])


async def test_commands_are_stored_per_scope_and_language(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    english = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    await bot.set_my_commands(english)
    await bot.set_my_commands([BotCommand("start", "Старт")], language_code="ru")
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(user))
    assert await bot.get_my_commands() == tuple(english)
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Старт"]
    assert await bot.get_my_commands(language_code="de") == ()
    stored = await client.commands()
    assert {
        "scope": {"type": "chat", "chat_id": user},
        "language_code": "",
        "commands": [{"command": "admin", "description": "Admin"}],
    } in stored
    await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == ()


async def test_invalid_command_is_refused(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Has Space", "x")])


async def test_send_photo_upload_and_document_by_url(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    photo = await bot.send_photo(
        user, b"\x89PNG" + b"0" * 96, caption="<b>Skin</b> tip", parse_mode="HTML"
    )
    assert photo.caption == "Skin tip" and photo.photo[-1].file_size == 100
    doc = await bot.send_document(user, "https://example.org/guide.pdf", caption="Guide")
    assert doc.document is not None and doc.document.file_name == "guide.pdf"
    first, second = await client.history(user)
    assert (first["photo"], first["file_size"], first["caption"]) == (True, 100, "Skin tip")
    assert first["html"] == "<b>Skin</b> tip" and first["text"] is None
    assert (second["document"], second["caption"]) == (True, "Guide")


async def test_blocked_user_gives_403_and_my_chat_member_updates(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    await client.block(user)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user, "hello?")
    await client.unblock(user)
    await bot.send_message(user, "welcome back")
    blocked, unblocked = await bot.get_updates(timeout=0)
    assert blocked.my_chat_member is not None and unblocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert [m["text"] for m in await client.history(user)] == ["welcome back"]
    assert (await client.counters())["forbidden"] == 1


async def test_unknown_chat_and_send_chat_action(bot: telegram.Bot, user: int) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "anyone?")
    assert await bot.send_chat_action(user, "typing") is True


async def _wait_for_poll(sandbox: Sandbox, generation: int) -> None:
    """Wait until the sandbox has seen the given number of getUpdates calls."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while sandbox.world.poll_generation < generation:
        assert loop.time() < deadline, "getUpdates never reached the sandbox"
        await asyncio.sleep(0.01)


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    bot: telegram.Bot, client: SandboxClient, sandbox: Sandbox, user: int
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await _wait_for_poll(sandbox, 1)
    assert not poll.done()
    await client.send_text(user, "hi")
    updates = await asyncio.wait_for(poll, 10)
    assert [u.message.text for u in updates if u.message] == ["hi"]
    assert loop.time() - started < 10


async def test_long_poll_with_nothing_to_deliver_waits_for_the_timeout(
    bot: telegram.Bot,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_a_second_poller_terminates_the_first(bot: telegram.Bot, sandbox: Sandbox) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await _wait_for_poll(sandbox, 1)
    # PTB's get_updates uses a one-connection pool, so the rival poller is another Bot.
    async with ptb_bot(bot.token, sandbox.base_url) as rival:
        assert await rival.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 10)
