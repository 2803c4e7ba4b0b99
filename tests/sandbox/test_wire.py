"""The raw wire format: every body encoding, error answers, rate limits and faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox import Sandbox, SandboxClient
from tests.sandbox.conftest import TOKEN

BUTTON = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain HTTP session."""
    async with aiohttp.ClientSession() as session:
        yield session


async def _form(
    http: aiohttp.ClientSession, sandbox: Sandbox, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST form-encoded the way PTB does: strings raw, everything else JSON."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with http.post(f"{sandbox.base_url}{TOKEN}/{method}", data=data) as response:
        return response.status, await response.json()


async def test_every_encoding_reaches_the_method(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    url = f"{sandbox.base_url}{TOKEN}/sendMessage"
    markup = json.dumps(BUTTON)
    answers = []
    async with http.post(
        url, data={"chat_id": str(user), "text": "form", "reply_markup": markup}
    ) as r:
        answers.append(await r.json())
    async with http.post(url, json={"chat_id": user, "text": "json", "reply_markup": BUTTON}) as r:
        answers.append(await r.json())
    async with http.get(url, params={"chat_id": str(user), "text": "query"}) as r:
        answers.append(await r.json())
    multipart = aiohttp.FormData()
    multipart.add_field("chat_id", str(user))
    multipart.add_field("photo", b"x" * 42, filename="tip.jpg", content_type="image/jpeg")
    multipart.add_field("caption", "multipart")
    async with http.post(f"{sandbox.base_url}{TOKEN}/sendPhoto", data=multipart) as r:
        answers.append(await r.json())
    assert [a["ok"] for a in answers] == [True] * 4
    history = await client.history(user)
    assert [m["text"] or m["caption"] for m in history] == ["form", "json", "query", "multipart"]
    assert history[0]["reply_markup"] == history[1]["reply_markup"] == BUTTON
    assert history[3]["file_size"] == 42


async def test_attach_uri_upload(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    multipart = aiohttp.FormData()
    multipart.add_field("chat_id", str(user))
    multipart.add_field("document", "attach://guide")
    multipart.add_field("guide", b"%PDF" * 10, filename="guide.pdf")
    async with http.post(f"{sandbox.base_url}{TOKEN}/sendDocument", data=multipart) as r:
        assert (await r.json())["result"]["document"]["file_name"] == "guide.pdf"
    [stored] = await client.history(user)
    assert (stored["document"], stored["file_size"]) == (True, 40)


async def test_method_names_are_case_insensitive(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with http.get(f"{sandbox.base_url}{TOKEN}/getme") as response:
        assert (await response.json())["result"]["username"] == "gutskin_sandbox_bot"


async def test_wrong_token_and_unknown_method(
    http: aiohttp.ClientSession, sandbox: Sandbox
) -> None:
    async with http.post(f"{sandbox.base_url}123:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with http.post(f"{sandbox.base_url}{TOKEN}/sendTelepathy") as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


TOO_LONG = "😀" * 2049  # 2049 characters, but 4098 UTF-16 code units


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"text": ""}, "Bad Request: message text is empty"),
        (
            "sendMessage",
            {"text": "<b> </b>", "parse_mode": "HTML"},
            "Bad Request: message text is empty",
        ),
        ("sendMessage", {"text": TOO_LONG}, "Bad Request: message is too long"),
        ("sendMessage", {"text": "<b>" + "a" * 4096 + "</b>", "parse_mode": "HTML"}, None),
        (
            "sendPhoto",
            {"photo": "AgACfileid", "caption": "c" * 1025},
            "Bad Request: message caption is too long",
        ),
        (
            "sendMessage",
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "d" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "url": "file:///etc"}]]},
            },
            "Bad Request: inline keyboard button URL 'file:///etc' is invalid: "
            "Unsupported URL protocol",
        ),
        (
            "sendMessage",
            {"text": "<blink>x</blink>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 0',
        ),
        (
            "sendMessage",
            {"text": "<b>x", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            "sendMessage",
            {"text": "Q&A", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Character '&' at byte offset 1 "
            "is not the start of an HTML entity; escape it as &amp;",
        ),
        (
            "sendMessage",
            {"text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            "editMessageText",
            {"message_id": 99, "text": "x"},
            "Bad Request: message to edit not found",
        ),
        (
            "answerCallbackQuery",
            {"callback_query_id": "nope"},
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        ),
    ],
)
async def test_bad_requests_answer_telegram_descriptions(
    http: aiohttp.ClientSession,
    sandbox: Sandbox,
    client: SandboxClient,
    user: int,
    method: str,
    params: dict[str, Any],
    description: str | None,
) -> None:
    status, body = await _form(http, sandbox, method, chat_id=user, **params)
    if description is None:
        assert (status, body["ok"]) == (200, True)
        return
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert await client.history(user) == []
    assert (await client.counters())["bad_requests"] == 1


async def test_chat_not_found_and_blocked(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    status, body = await _form(http, sandbox, "sendMessage", chat_id=5, text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    await client.block(user)
    status, body = await _form(http, sandbox, "sendMessage", chat_id=user, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_not_modified_edit(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    _, sent = await _form(
        http,
        sandbox,
        "sendMessage",
        chat_id=user,
        text="<b>hi</b>",
        parse_mode="HTML",
        reply_markup=BUTTON,
    )
    message_id = sent["result"]["message_id"]
    # Different HTML, same result: still not modified.
    status, body = await _form(
        http,
        sandbox,
        "editMessageText",
        chat_id=user,
        message_id=message_id,
        text="<strong>hi</strong>",
        parse_mode="HTML",
        reply_markup=BUTTON,
    )
    assert status == 400
    assert body["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    [stored] = await client.history(user)
    assert stored["edited"] is False


async def test_rate_limit_answers_429_with_retry_after(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    await client.set_rate_limit(3)
    statuses = [
        (await _form(http, sandbox, "sendMessage", chat_id=user, text=f"m{i}"))[0] for i in range(3)
    ]
    status, body = await _form(http, sandbox, "sendMessage", chat_id=user, text="m3")
    assert statuses == [200, 200, 200]
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [m["text"] for m in await client.history(user)] == ["m0", "m1", "m2"]
    counters = await client.counters()
    assert counters["rate_limited"] == 1 and counters["messages_delivered"] == 3
    # Four messages within three seconds overrun the per-chat pace; only counted, not refused.
    await client.set_rate_limit(None)
    assert (await _form(http, sandbox, "sendMessage", chat_id=user, text="m4"))[0] == 200
    counters = await client.counters()
    assert counters["chat_overruns"] == 1 and counters["chat_overruns_by_chat"] == {str(user): 1}


async def test_injected_fault_answers_5xx_and_delivers_nothing(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    await client.inject_faults(method="sendMessage", status=502, count=2)
    first = await _form(http, sandbox, "sendMessage", chat_id=user, text="a")
    other_method = await _form(http, sandbox, "getMe")
    second = await _form(http, sandbox, "sendMessage", chat_id=user, text="b")
    third = await _form(http, sandbox, "sendMessage", chat_id=user, text="c")
    bad_gateway = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    assert first == second == bad_gateway
    assert other_method[0] == 200 and third[0] == 200
    assert [m["text"] for m in await client.history(user)] == ["c"]
    assert (await client.counters())["faults_injected"] == 2


async def test_delay_only_fault_slows_the_answer(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient
) -> None:
    await client.inject_faults(status=0, delay_seconds=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await _form(http, sandbox, "getMe")
    assert status == 200 and loop.time() - started >= 0.29
    started = loop.time()
    await _form(http, sandbox, "getMe")
    assert loop.time() - started < 0.29


async def test_requests_log_records_calls_without_the_token(
    http: aiohttp.ClientSession, sandbox: Sandbox, client: SandboxClient, user: int
) -> None:
    await _form(http, sandbox, "sendMessage", chat_id=user, text="logged")
    await _form(http, sandbox, "sendMessage", chat_id=1, text="lost")
    ok, failed = await client.requests_log(limit=2)
    assert (ok["method"], ok["status"], ok["params"]["text"]) == ("sendMessage", 200, "logged")
    assert (failed["status"], failed["description"]) == (400, "Bad Request: chat not found")
    assert TOKEN not in json.dumps(await client.requests_log())
    assert (await client.counters())["requests_by_method"]["sendMessage"] == 2
