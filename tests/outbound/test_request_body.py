"""What goes on the wire for a send: the same body PTB's RequestData would build, by the
sender's one-pass JSON for plain values and by PTB's own conversion for anything else."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import telegram
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.outbound.pacing import Pacer
from bot.outbound.sender import JsonRequestData, Sender


def ptb(values: dict[str, Any]) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


@pytest.mark.parametrize(
    "values",
    [
        {
            "chat_id": 1_000_042,
            "text": "<b>Tempeh dan tapai</b> — bakteria baik untuk kulit 🌱",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "👍 Helpful", "callback_data": "fb:7:up"}],
                    [{"text": "Lagi tentang topik ini", "callback_data": "t:12"}],
                ]
            },
            "allow_paid_broadcast": True,
        },
        {"chat_id": -100123, "message_id": 5, "text": "edited", "reply_markup": None},
        {"chat_id": 3, "text": 'quotes " and \\ backslashes', "disable_notification": False},
    ],
)
def test_plain_values_make_the_body_ptb_would(values: dict[str, Any]) -> None:
    ours, theirs = JsonRequestData(values), ptb(values)
    assert ours.json_payload == theirs.json_payload
    assert ours.json_parameters == theirs.json_parameters
    assert ours.parameters == theirs.parameters
    assert not ours.contains_files
    # What the Bot API reads: nested values as JSON text, as in PTB's form encoding.
    sent = json.loads(ours.json_payload)
    assert sent["chat_id"] == str(values["chat_id"])
    if values.get("reply_markup"):
        assert json.loads(sent["reply_markup"]) == values["reply_markup"]


async def test_values_that_are_not_plain_json_go_through_ptb() -> None:
    until = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    values = {"chat_id": 5, "user_id": 6, "until_date": until}
    with pytest.raises(TypeError):
        JsonRequestData(values)
    sender = Sender(telegram.Bot("1:token"), Pacer(None))
    built = sender._request_data(5, "banChatMember", values, bulk=False)
    assert type(built) is RequestData
    assert json.loads(built.json_payload)["until_date"] == str(int(until.timestamp()))
