"""The tip library and the program: enough tips, safe wording, every one fits Telegram."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.content.errors import ContentLoader
from bot.content.library import Library
from bot.content.loader import Content, ContentError, load_content
from bot.content.models import CORE_TOPICS, LANGUAGES, Concern, Topic
from bot.delivery import message
from bot.schedule.choose import Skip, choose_tip, parse_topics
from bot.telegram_html import parse_html
from tests.conftest import TIPS_DIR


def test_enough_tips_per_topic(content: Content) -> None:
    per_topic = Counter(t.topic for t in content.tips)
    assert len(content.tips) >= 60
    for topic in CORE_TOPICS:
        assert per_topic[topic] >= 12, topic
    others = sum(n for topic, n in per_topic.items() if topic not in CORE_TOPICS)
    assert others >= 12
    for topic in (Topic.PREBIOTICS, Topic.TRIGGER_FOODS, Topic.FOOD_JOURNAL, Topic.EXERCISE):
        assert per_topic[topic] >= 1, topic


def test_every_tip_renders_within_telegram_limits_in_both_languages(content: Content) -> None:
    for tip in content.tips:
        for lang in LANGUAGES:
            params = message.daily_tip(
                content.catalogs, tip, lang, delivery_id=2**40, tips_so_far=4
            )
            text = params["text"]
            plain, _entities = parse_html(text)  # raises on anything Telegram would refuse
            assert len(plain) <= 4096, tip.id
            for row in params["reply_markup"]["inline_keyboard"]:
                for button in row:
                    assert len(button["callback_data"].encode()) <= 64, (tip.id, button)


def test_sources_are_https_links_and_reviews_are_recorded(content: Content) -> None:
    for tip in content.tips:
        assert str(tip.source).startswith("https://"), tip.id
        assert tip.review.by and tip.review.on <= dt.date(2026, 12, 31)


_CURE = re.compile(r"\b(cures?|cured|sembuh\w*|menyembuh\w*|guaranteed?|dijamin)\b", re.I)
_SUPPLEMENT = re.compile(r"\b(supplements?|capsules?|pills?|suplemen|kapsul|pil)\b", re.I)
_ASK = re.compile(r"(doctor|dermatologist|doktor|pakar kulit|pharmacist|ahli farmasi)", re.I)


def test_no_cure_claims_and_supplements_only_with_ask_your_doctor(content: Content) -> None:
    for tip in content.tips:
        for lang, text in tip.text.items():
            whole = f"{text.title} {text.body} {text.try_today}"
            assert not _CURE.search(whole), (tip.id, lang)
            if _SUPPLEMENT.search(whole):
                assert _ASK.search(whole), (tip.id, lang, "supplement without ask-your-doctor")


def test_concern_tags_exist_so_the_concern_can_raise_priority(content: Content) -> None:
    tagged = Counter(c for t in content.tips for c in t.concerns)
    assert set(tagged) >= {Concern.ECZEMA, Concern.ACNE}


def _library(content: Content) -> Library:
    return Library(content.tips, content.program)


def test_the_weekly_rotation_gives_the_weekday_topic(content: Content) -> None:
    monday = dt.date(2026, 11, 23)
    for offset, weekday in enumerate(("monday", "tuesday", "thursday", "friday")):
        day = monday + dt.timedelta(days=(0, 1, 3, 4)[offset])
        tip = choose_tip(_library(content), day, topics=parse_topics(None), concern=None, seen={})
        assert not isinstance(tip, Skip)
        assert tip.topic == content.program.weekdays[weekday]


def test_a_topic_turned_off_is_replaced_by_one_of_theirs(content: Content) -> None:
    monday = dt.date(2026, 11, 23)  # fiber day
    tip = choose_tip(
        _library(content),
        monday,
        topics=frozenset({Topic.SLEEP}),
        concern=None,
        seen={},
    )
    assert not isinstance(tip, Skip) and tip.topic == Topic.SLEEP


def test_a_concern_puts_matching_tips_first(content: Content) -> None:
    monday = dt.date(2026, 11, 23)
    lib = _library(content)
    eczema = choose_tip(lib, monday, topics=parse_topics(None), concern=Concern.ECZEMA, seen={})
    assert not isinstance(eczema, Skip)
    fiber_eczema = [t for t in content.tips if t.topic == "fiber" and "eczema" in t.concerns]
    if fiber_eczema:
        assert Concern.ECZEMA in eczema.concerns


def test_mix_days_rotate_across_the_mixed_topics(content: Content) -> None:
    lib = _library(content)
    saturday = dt.date(2026, 11, 28)
    seen: dict[str, dt.date] = {}
    topics = []
    for week in range(4):
        tip = choose_tip(
            lib,
            saturday + dt.timedelta(weeks=week),
            topics=parse_topics(None),
            concern=None,
            seen=seen,
        )
        assert not isinstance(tip, Skip)
        assert tip.topic in content.program.mix
        seen[tip.id] = saturday
        topics.append(tip.topic)
    assert len(set(topics)) == 4


@pytest.fixture
def tips_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tips"
    shutil.copytree(TIPS_DIR, target)
    return target


def test_a_broken_program_lists_every_problem(tips_copy: Path) -> None:
    path = tips_copy / "schedule.yaml"
    data = yaml.load(path.read_text(), Loader=ContentLoader)  # noqa: S506
    data["dates"] = [
        {"date": "2026-12-25", "tip": "no-such-tip"},
        {"date": "2026-12-26", "skip": True, "tip": "fiber-feeds-gut-bacteria"},
    ]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    problems = "\n".join(caught.value.problems)
    assert "exactly one of skip" in problems
    path.write_text(yaml.safe_dump({**data, "dates": [data["dates"][0]]}))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (f"{path}: dates: 2026-12-25: unknown tip 'no-such-tip'",)


def test_a_program_missing_a_weekday_is_refused(tips_copy: Path) -> None:
    path = tips_copy / "schedule.yaml"
    data = yaml.load(path.read_text(), Loader=ContentLoader)  # noqa: S506
    del data["weekdays"]["sunday"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert "missing: sunday" in caught.value.problems[0]
