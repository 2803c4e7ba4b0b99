"""A real PTB Application polling the sandbox, as the bot and the e2e tests will use it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox import Sandbox, SandboxClient
from tests.sandbox.conftest import TOKEN


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    payload = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Subscribe", callback_data="sub")]])
    await update.effective_message.reply_html(
        f"<b>Welcome</b>, payload={payload}", reply_markup=keyboard
    )


async def _subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Subscribed")
    await query.edit_message_text("You are subscribed")


async def test_polling_application_talks_to_a_user(
    sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    app = Application.builder().token(TOKEN).base_url(sandbox.base_url).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_subscribe))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            asked = await client.send_text(user, "/start ad7")
            welcome = await client.wait_for_bot_message(
                user, after_message_id=asked["message_id"], contains="Welcome"
            )
            assert welcome["text"] == "Welcome, payload=ad7"
            assert welcome["html"] == "<b>Welcome</b>, payload=ad7"
            pressed = await client.press_button(user, welcome["message_id"], text="Subscribe")
            edited = await client.wait_for_bot_message(
                user, contains="You are subscribed", after_message_id=asked["message_id"]
            )
            assert edited["message_id"] == welcome["message_id"] and edited["edited"]
            answer = await client.callback_answer(pressed["callback_query_id"])
            assert answer is not None and answer["text"] == "Subscribed"
        finally:
            await app.updater.stop()
            await app.stop()
