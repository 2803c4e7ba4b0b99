"""The admin's broadcast progress message: what it says, and how often it is edited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

import pytest

from bot.admin.broadcasts import Progress
from bot.content.loader import Content
from bot.handlers.admin.broadcast_runs import EDIT_GAP, ProgressMessages, render, summary
from bot.outbound.outcome import SendOutcome, SendResult


def _progress(
    status: str = "done",
    total: int = 123,
    language: str = "en",
    rate: float = 0.0,
    message_id: int | None = 7,
    **counts: int,
) -> Progress:
    return Progress(1, status, total, Counter(counts), rate, 5.3, language, 42, message_id)


@pytest.mark.parametrize(
    ("progress", "said"),
    [
        (
            _progress(sent=120, blocked=3),
            "✅ Broadcast #1 is done. Sent to 120 of 123; "
            "3 have blocked the bot, so they no longer get tips.",
        ),
        (_progress(total=4, sent=4), "✅ Broadcast #1 is done. Sent to all 4 subscribers."),
        (_progress(total=1, sent=1), "✅ Broadcast #1 is done. Sent to its one recipient."),
        (
            _progress(total=5, sent=2, blocked=1, failed=1, skipped=1),
            "✅ Broadcast #1 is done. Sent to 2 of 5; 1 has blocked the bot, so they no longer "
            "get tips; 1 could not be reached; 1 had left before it went out.",
        ),
        (
            _progress("stopped", total=150, sent=40, cancelled=110),
            "⏹ Broadcast #1 was stopped. Sent to 40 of 150; the other 110 were not sent.",
        ),
        (
            _progress("stopped", total=3, sent=2, cancelled=1),
            "⏹ Broadcast #1 was stopped. Sent to 2 of 3; the last one was not sent.",
        ),
        (_progress(total=0), "✅ Broadcast #1 is done. Sent to 0 of 0."),
        (
            _progress(language="ms", sent=120, blocked=3),
            "✅ Siaran #1 selesai. Dihantar kepada 120 daripada 123; "
            "3 telah menyekat bot, jadi tidak lagi menerima tip.",
        ),
    ],
)
def test_the_summary_is_worded_for_people(content: Content, progress: Progress, said: str) -> None:
    assert summary(content.catalogs, progress) == said


def test_the_live_message_says_it_is_measuring_before_there_is_a_speed(content: Content) -> None:
    first = render(content.catalogs, _progress("sending", claimed=123))
    assert first.splitlines()[-1] == "measuring the speed…"
    assert "0.0 messages a second" not in first
    later = render(content.catalogs, _progress("sending", rate=30.0, sent=60, claimed=63))
    assert later.splitlines()[-1] == "30.0 messages a second · about 0:02 left"


class _Sender:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send(
        self, chat_id: int, method: str, params: Mapping[str, Any], **_: Any
    ) -> SendResult:
        self.calls.append((method, dict(params)))
        return SendResult(SendOutcome.SENT, message_id=7)


async def test_the_message_is_edited_at_most_about_once_a_second(content: Content) -> None:
    now = [100.0]
    sender = _Sender()
    show = ProgressMessages(cast(Any, None), content.catalogs, sender, monotonic=lambda: now[0])
    for at, sent in [(100.0, 1), (100.3, 10), (100.6, 20), (101.0, 31), (101.2, 35), (102.0, 62)]:
        now[0] = at
        await show(_progress("sending", rate=30.0, sent=sent, claimed=123 - sent))
    now[0] = 102.1  # the end is always shown, however soon
    await show(_progress(sent=120, blocked=3))
    methods = [method for method, _ in sender.calls]
    assert methods == ["editMessageText"] * 4 + ["sendMessage"]
    shown = [params["text"] for _, params in sender.calls]
    assert ["1 of 123" in shown[0], "31 of 123" in shown[1], "62 of 123" in shown[2]] == [True] * 3
    assert shown[3].startswith("<b>Broadcast #1</b>: finished in")
    assert shown[4].startswith("✅ Broadcast #1 is done. Sent to 120 of 123")
    assert EDIT_GAP <= 1.0
