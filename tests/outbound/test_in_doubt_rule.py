"""What one answer of the Bot API means for a message, as a table: sent, blocked, rejected,
worth another try later, or in doubt (never sent again); and how long a retry waits."""

from __future__ import annotations

import json
from typing import Any

import pytest
import telegram

from bot.outbound.outcome import SendOutcome
from bot.outbound.pacing import Pacer
from bot.outbound.sender import Sender, _classify

SENT, BLOCKED, REJECTED = SendOutcome.SENT, SendOutcome.BLOCKED, SendOutcome.REJECTED
FAILED, UNKNOWN = SendOutcome.FAILED, SendOutcome.UNKNOWN


def error(status: int, description: str | None = None, **parameters: Any) -> bytes:
    body: dict[str, Any] = {"ok": False, "error_code": status}
    if description is not None:
        body["description"] = description
    if parameters:
        body["parameters"] = parameters
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "body", "outcome", "reason", "message_id"),
    [
        (200, b'{"ok": true, "result": {"message_id": 7}}', SENT, None, 7),
        (200, b'{"ok": true, "result": true}', SENT, None, None),  # an edit
        (200, b"not json", SENT, None, None),  # delivered, whatever the body says
        (299, b"[]", SENT, None, None),
        (
            403,
            error(403, "Forbidden: bot was blocked by the user"),
            BLOCKED,
            "bot was blocked by the user",
            None,
        ),
        (403, error(403, "Forbidden: user is deactivated"), BLOCKED, "user is deactivated", None),
        (403, error(403), BLOCKED, "forbidden", None),
        (400, error(400, "Bad Request: chat not found"), BLOCKED, "chat not found", None),
        (400, error(400, "Bad Request: Chat Not Found"), BLOCKED, "chat not found", None),
        (
            400,
            error(400, "Bad Request: can't parse entities: Can't find end tag at byte 9"),
            REJECTED,
            "can't parse entities",
            None,
        ),
        (400, error(400, "message is too long"), REJECTED, "message is too long", None),
        (400, error(400, "Bad Request: " + "x" * 80), REJECTED, "x" * 60, None),
        (400, error(400), REJECTED, "bad request", None),
        (
            400,
            error(400, "Bad Request: group upgraded", migrate_to_chat_id=-100),
            REJECTED,
            "chat migrated",
            None,
        ),
        (429, error(429, "Too Many Requests", retry_after=0), FAILED, "http 429", None),
        (500, error(500, "Internal Server Error"), UNKNOWN, "http 500", None),
        (502, b"<html>Bad Gateway</html>", UNKNOWN, "http 502", None),
        (401, error(401, "Unauthorized"), FAILED, "http 401", None),
        (404, error(404, "Not Found"), FAILED, "http 404", None),
        (409, error(409, "Conflict"), FAILED, "http 409", None),
        (300, b"{}", FAILED, "http 300", None),
        (499, b"{}", FAILED, "http 499", None),
        (403, b'{"ok": false, "parameters": "odd"}', BLOCKED, "forbidden", None),
    ],
)
def test_what_an_answer_means(
    status: int, body: bytes, outcome: SendOutcome, reason: str | None, message_id: int | None
) -> None:
    answer = _classify(status, body)
    assert (answer.outcome, answer.reason, answer.message_id) == (outcome, reason, message_id)
    assert answer.retry_after is None


@pytest.mark.parametrize("seconds", [1, 5, 0.5])
def test_a_429_is_not_an_outcome_but_a_pause(seconds: float) -> None:
    answer = _classify(429, error(429, "Too Many Requests: retry after 5", retry_after=seconds))
    assert (answer.outcome, answer.retry_after) == (None, float(seconds))


@pytest.fixture(scope="module")
def bot() -> telegram.Bot:
    """A bot object that never connects (building one takes a moment: built once)."""
    return telegram.Bot("1:fake")


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (1, 0.5, 1.5),
        (2, 1.0, 3.0),
        (3, 2.0, 6.0),
        (5, 8.0, 24.0),
        (6, 15.0, 45.0),
        (30, 15.0, 45.0),
    ],
)
def test_retries_back_off_exponentially_with_jitter_up_to_a_limit(
    bot: telegram.Bot, attempt: int, low: float, high: float
) -> None:
    sender = Sender(bot, Pacer(None), backoff_base=1.0)
    waits = [sender._backoff(attempt) for _ in range(200)]
    assert all(low <= wait < high for wait in waits)
    assert max(waits) - min(waits) > (high - low) / 4  # jittered, not one fixed wait


def test_at_least_one_attempt(bot: telegram.Bot) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Sender(bot, Pacer(None), max_attempts=0)
    assert Sender(bot, Pacer(None), max_attempts=1).max_attempts == 1


def test_as_the_application_makes_it_the_second_attempt_waits_about_a_second(
    bot: telegram.Bot,
) -> None:
    sender = Sender(bot, Pacer(None))  # bot/runtime/app.py leaves the backoff at its default
    waits = [sender._backoff(1) for _ in range(200)]
    assert all(0.5 <= wait < 1.5 for wait in waits)
