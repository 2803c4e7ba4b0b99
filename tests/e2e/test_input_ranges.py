"""Ids in button data are checked against the column's range on every database (#13 item 7)."""

from __future__ import annotations

import logging

import pytest

from bot.db.ids import MAX_ROW_ID, row_id
from tests.e2e.conftest import ADMIN_ID, Harness

pytestmark = pytest.mark.dialect

USER = 700201


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("2147483647", MAX_ROW_ID),
        ("2147483648", None),  # one past PostgreSQL's integer
        ("999999999999999999", None),
        ("0", None),
        ("", None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),
        ("-1", None),
        (" 1", None),
    ],
)
def test_row_id_accepts_only_what_an_integer_column_holds(text: str, expected: int | None) -> None:
    assert row_id(text) == expected


@pytest.mark.parametrize("data", ["fb:999999999999999999:y", "fb:2147483648:n", "fb:²:y"])
async def test_an_out_of_range_feedback_id_gets_a_kind_answer_and_no_alert(
    harness: Harness, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    user = await harness.user(USER, "Mei")
    welcome = await user.say("/start")
    caplog.set_level(logging.INFO)
    answer = await user.answer_to(harness.press_data(USER, welcome["message_id"], data))
    await harness.idle()
    assert answer["text"].startswith("That button is from an older message.")
    assert answer["show_alert"] is True
    # No apology in the chat and nothing for the admins.
    assert [m["text"] for m in await user.client.history(USER) if m["from_bot"]] == [
        welcome["text"]
    ]
    assert await harness.client.history(ADMIN_ID) == []
    ident = data.split(":")[1]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert ident not in caplog.text
