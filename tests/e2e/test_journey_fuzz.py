"""Property: whatever a person sends at whatever step, the bot never fails and the row stays sane.

Hypothesis picks a step (an onboarding step, the settings screen and its editors, the typed
time and timezone waits, paused, stopped, erased) and throws arbitrary text, button data,
media, edits and locations at it, through the real bot and the sandbox. The error handler
must never run, no reply may be the "something went wrong" apology, every button press must
be answered, and the stored row must stay consistent.

Hypothesis drives the examples from a worker thread; each step of an example runs on the
test's event loop, where the bot and the sandbox live.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.db.models import Subscriber, SubscriberStatus
from bot.outbound.pacing import Pacer
from bot.services import services_in
from bot.subscribers import store as subscribers
from bot.subscribers import timezones
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.slow

USERS = tuple(range(700, 706))  # replies are paced per chat: take turns
APOLOGIES = (
    "Sorry, something went wrong on my side.",
    "Maaf, ada masalah di pihak saya.",
)

# How to reach each step from wherever the user is; button data is pressed on the newest
# bot message (its flow letter, not the message, decides where a choice leads).
STEPS: dict[str, list[tuple[str, str]]] = {
    "anywhere": [],
    "time command": [("say", "/time")],
    "timezone command": [("say", "/timezone")],
    "topics command": [("say", "/topics")],
    "language command": [("say", "/language")],
    "pause command": [("say", "/pause")],
    "settings": [("say", "/settings")],
    "settings: time": [("say", "/settings"), ("press", "set:time")],
    "settings: timezone": [("say", "/settings"), ("press", "set:tz")],
    "settings: topics": [("say", "/settings"), ("press", "set:topics")],
    "settings: concern": [("say", "/settings"), ("press", "set:concern")],
    "onboarding: time": [("press", "lang:o:skip")],
    "onboarding: timezone": [("press", "time:o:skip")],
    "onboarding: topics": [("press", "tz:o:skip")],
    "onboarding: concern": [("press", "topic:o:done")],
    "paused": [("say", "/pause"), ("press", "pause:c:0")],
    "stopped": [("say", "STOP")],
    "erased": [("say", "/deletemydata"), ("press", "erase:yes")],
    "not subscribed": [("say", "/deletemydata"), ("press", "erase:yes"), ("say", "/start")],
}

REAL_DATA = [
    "sub:yes",
    "help",
    "time:o:0730",
    "time:s:2130",
    "time:c:skip",
    "lang:o:ms",
    "lang:s:en",
    "lang:c:skip",
    "tz:o:Asia/Tokyo",
    "tz:s:Etc/GMT-8",
    "tz:c:skip",
    "topic:o:fiber:0",
    "topic:s:sleep:1",
    "topic:c:stress:0",
    "topic:s:done",
    "concern:o:acne",
    "concern:s:none",
    "concern:c:ask",
    "concern:o:skip",
    "pause:s:7",
    "pause:c:1",
    "set:show",
    "set:resume",
    "set:close",
    "set:lang",
    "stop:yes",
    "stop:no",
    "erase:no",
]
PREFIXES = ["time:", "lang:", "pause:", "tz:", "topic:", "concern:", "set:", "stop:", "erase:"]
TYPED = [
    "STOP",
    "berhenti",
    "7pm",
    "7.30pm",
    "12:30",
    "1pm",
    "25:99",
    "730",
    "0",
    "UTC+8",
    "GMT-5",
    "+05:45",
    "UTC+15",
    "London",
    "Londn",
    "KL",
    "Kuala Lumpur",
    "🙂",
    "القاهرة",
    "does dairy cause acne?",
    "my face is swelling and I can't breathe",
    "/start",
    "/settings",
    "/time",
    "/timezone",
    "/topics",
    "/help",
    "/resume",
    "/privacy",
    "/mydata",
    "a" * 4096,
]


def _short(data: str) -> str:
    """Cut button data to Telegram's 64 bytes."""
    return data.encode()[:64].decode(errors="ignore")


visible_text = st.text(min_size=1, max_size=120).filter(lambda t: t.strip() != "")
texts = st.one_of(
    visible_text,
    st.sampled_from(TYPED),
    st.from_regex(r"(UTC|GMT|utc)?\s?[+\-−]?\d{1,3}([:.]\d{1,3})?", fullmatch=True),
    st.from_regex(r"\d{1,4}\s?(am|pm|pagi|malam)?", fullmatch=True),
)
button_data = st.one_of(
    st.sampled_from(REAL_DATA),
    st.builds(
        lambda prefix, flow, rest: _short(prefix + flow + rest),
        st.sampled_from(PREFIXES),
        st.sampled_from(["c:", "o:", "s:", "", "x:"]),
        st.text(max_size=40),
    ),
    st.text(min_size=1, max_size=64).map(_short).filter(bool),
)
say = st.tuples(st.just("say"), texts)
press = st.tuples(st.just("press"), button_data)
# Typed text and button presses are what people mostly send, so they come up most often.
actions = st.one_of(
    say,
    say,
    say,
    press,
    press,
    st.tuples(st.just("media"), st.sampled_from(["sticker", "voice", "photo"])),
    st.tuples(st.just("edit"), texts),
    st.tuples(
        st.just("location"),
        st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
    ),
)


class Driver:
    """Acts as one of a few users; each act waits until the bot has handled it completely."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.user = USERS[0]
        self.last_typed: dict[int, int] = {}

    async def newest_bot_message(self) -> int:
        history = await self.harness.client.history(self.user)
        return max(m["message_id"] for m in history if m["from_bot"])

    async def act(self, kind: str, value: Any) -> None:
        """Do one thing as the user, wait until the bot is idle, check it answered."""
        client, harness, user = self.harness.client, self.harness, self.user
        if kind == "press":
            query_id = harness.press_data(user, await self.newest_bot_message(), value)
            await harness.idle()
            # Every press is answered, or the user's button spins forever.
            assert await client.callback_answer(query_id) is not None, value
            return
        if kind == "edit":
            if user not in self.last_typed:
                return
            sent_id = max(m["message_id"] for m in await client.history(user))
            harness.edit_text(user, self.last_typed[user], value)
        elif kind == "say":
            sent_id = (await client.send_text(user, value))["message_id"]
            self.last_typed[user] = sent_id
        elif kind == "media":
            sent_id = harness.send_media(user, value)
        else:
            latitude, longitude = value
            sent_id = (await client.share_location(user, latitude, longitude))["message_id"]
        await harness.idle()
        history = await client.history(user)
        answered = [m for m in history if m["from_bot"] and m["message_id"] > sent_id]
        assert answered, (kind, value)  # every message gets an answer

    async def subscribe_if_needed(self) -> None:
        """Bring the user back to a subscription (erased, new or unsubscribed are steps too)."""
        row = await _row(self.harness, self.user)
        if row is not None and row.consented_at is not None:
            return
        await self.act("say", "/start")
        await self.act("press", "sub:yes")


async def _row(harness: Harness, user: int) -> Subscriber | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber).where(Subscriber.chat_id == user))


def _check_row(row: Subscriber | None) -> None:
    """A stored row is always one the bot could have meant to store."""
    if row is None:
        return
    assert row.status in set(SubscriberStatus)
    assert timezones.is_zone(row.timezone), row.timezone
    assert row.language in ("en", "ms")
    assert row.concern is None or row.concern in subscribers.CONCERN_NAMES
    if row.topics is not None:
        chosen = row.topics.split(",")
        assert chosen and set(chosen) <= set(subscribers.CORE_TOPIC_NAMES), row.topics
        assert len(chosen) < len(subscribers.CORE_TOPIC_NAMES)  # all of them is stored as NULL
    if row.consented_at is None:
        assert (row.topics, row.concern) == (None, None)  # nothing sensitive without consent
    if row.status == SubscriberStatus.ACTIVE:
        assert row.next_due_at is not None and row.paused_until is None
    if row.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.NEW):
        assert row.next_due_at is None


@pytest.mark.timeout(120)
async def test_no_input_at_any_step_breaks_the_bot(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    # This is about input, not pace: without the one-message-a-second-per-chat pacing (tested
    # in tests/delivery) the examples run in seconds instead of minutes. The global budget
    # stays on.
    pacer = services_in(harness.app.bot_data).pacer
    assert isinstance(pacer, Pacer)
    pacer.per_chat_interval = 0
    loop = asyncio.get_running_loop()
    for user in USERS:
        await harness.user(user)
    driver = Driver(harness)
    turns = itertools.count()

    async def check() -> None:
        failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not failures, [r.getMessage() for r in failures]
        for user in USERS:
            history = await harness.client.history(user)
            said = [m["text"] or "" for m in history if m["from_bot"]]
            assert not [t for t in said if t.startswith(APOLOGIES)], user
            _check_row(await _row(harness, user))

    async def example(step: str, moves: list[tuple[str, Any]]) -> None:
        driver.user = USERS[next(turns) % len(USERS)]
        await driver.subscribe_if_needed()
        for kind, value in STEPS[step]:
            await driver.act(kind, value)
        for kind, value in moves:
            await driver.act(kind, value)
        await check()

    def run(coroutine: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine(), loop).result(timeout=90)

    # No shrinking: the examples share a few chats (as people's sessions do), so a failure is
    # reported as found, with the step and the moves that led to it.
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(step=st.sampled_from(sorted(STEPS)), moves=st.lists(actions, min_size=1, max_size=3))
    def property_holds(step: str, moves: list[tuple[str, Any]]) -> None:
        run(lambda: example(step, moves))

    go: Callable[[], None] = property_holds
    await asyncio.to_thread(go)
