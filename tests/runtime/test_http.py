"""The aiohttp request backend against the sandbox: JSON calls, uploads, timeouts, failures."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.runtime.http import AiohttpRequest
from bot.sandbox import Sandbox, SandboxClient
from tests.runtime.conftest import TOKEN

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Book", callback_data="book:pj")]])


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_json_calls_round_trip(bot: telegram.Bot, client: SandboxClient, user: int) -> None:
    me = await bot.get_me()
    sent = await bot.send_message(
        user,
        "<b>Makan</b> tempe",
        parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD,
        disable_notification=True,
    )
    assert me.username == "gutskin_sandbox_bot"
    assert (sent.text, sent.reply_markup) == ("Makan tempe", KEYBOARD)
    [stored] = await client.history(user)
    assert stored["message_id"] == sent.message_id
    assert stored["html"] == "<b>Makan</b> tempe"
    assert stored["reply_markup"] == KEYBOARD.to_dict()


async def test_non_ascii_text_arrives_intact(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    text = "Selamat pagi ☀️ & 100% fibre + kefir? يا"
    await bot.send_message(user, text)
    [stored] = await client.history(user)
    assert stored["text"] == text


async def test_file_uploads_are_multipart(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    payload = json.dumps({"language": "ms", "delivery_time": "08:00"}).encode()
    doc = await bot.send_document(user, payload, filename="mydata.json", caption="Data anda")
    photo = await bot.send_photo(user, b"\x89PNG" + bytes(range(256)) * 4, caption="Tempeh")
    history = await client.history(user)
    assert [m["caption"] for m in history] == ["Data anda", "Tempeh"]
    assert history[0]["file_name"] == "mydata.json"
    assert await client.file(user, doc.message_id) == payload
    assert history[1]["photo"] and history[1]["file_size"] == 4 + 1024
    assert photo.caption == "Tempeh"


async def test_error_answers_become_ptb_errors(
    bot: telegram.Bot, client: SandboxClient, user: int
) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "hello")
    await client.block(user)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(user, "hello")
    await client.inject_faults(method="getMe", status=502)
    with pytest.raises(NetworkError):
        await bot.get_me()


async def test_a_slow_answer_times_out(bot: telegram.Bot, client: SandboxClient, user: int) -> None:
    await client.inject_faults(method="sendMessage", status=0, delay_seconds=1.5)
    with pytest.raises(TimedOut):
        await bot.send_message(user, "too slow")  # the fixture's read timeout is 0.5 s
    assert (await bot.send_message(user, "fine")).text == "fine"


async def test_a_long_poll_outlasts_the_read_timeout(
    sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    # PTB adds the poll's timeout to the read timeout, so a 1 s poll with a 0.3 s read
    # timeout waits for its answer instead of timing out.
    async with AiohttpRequest(read_timeout=0.3, connection_pool_size=1) as request:
        bot = telegram.Bot(TOKEN, base_url=sandbox.base_url, get_updates_request=request)
        assert await bot.get_updates(timeout=1) == ()
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.2)
        await client.send_text(user, "hi")
        [update] = await poll
    assert update.message is not None and update.message.text == "hi"


async def test_a_per_call_timeout_overrides_the_default(
    sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    await client.inject_faults(method="sendMessage", status=0, delay_seconds=0.3)
    async with AiohttpRequest(read_timeout=0.05) as request:
        url = f"{sandbox.base_url}{TOKEN}/sendMessage"
        status, body = await request.do_request(
            url, "POST", _data(chat_id=user, text="patient"), read_timeout=3.0
        )
    assert status == 200 and json.loads(body)["result"]["text"] == "patient"


async def test_connection_refused_is_a_network_error_without_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is free again: nothing listens there.
    async with AiohttpRequest(connect_timeout=1.0) as request:
        url = f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"
        with pytest.raises(NetworkError) as caught:
            await request.post(url, _data())
    assert not isinstance(caught.value, TimedOut)
    assert TOKEN not in str(caught.value)
    assert "aiohttp.ClientConnectorError" in str(caught.value)


async def test_requests_wait_for_a_connection_from_a_small_pool(
    sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    async with AiohttpRequest(connection_pool_size=2) as request:
        bot = telegram.Bot(TOKEN, base_url=sandbox.base_url, request=request)
        await asyncio.gather(*(bot.send_message(user, f"tip {i}") for i in range(20)))
    history = await client.history(user)
    assert sorted(m["text"] for m in history) == sorted(f"tip {i}" for i in range(20))


async def test_lifecycle() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "GET")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    await request.initialize()  # and it can start again, as PTB's Application may do
    await request.shutdown()
    assert request.read_timeout == 5.0
    with pytest.raises(ValueError):
        AiohttpRequest(connection_pool_size=0)
