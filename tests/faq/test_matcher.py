"""Matching: a question typed any way finds its entry, or says it is unsure, or finds none."""

from __future__ import annotations

import pytest

from bot.faq.matcher import MAX_CANDIDATES, FaqMatcher, MatchResult
from tests.faq.conftest import SMALL_FAQ


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(SMALL_FAQ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("does dairy cause acne?", "dairy-acne"),
        ("Does DAIRY cause acne", "dairy-acne"),
        ("acneee sbb susu ke", "dairy-acne"),
        ("is milk bad for me", "dairy-acne"),
        ("susu lembu ok ke?", "dairy-acne"),
        ("produk tenusu", "dairy-acne"),
        ("probiotik untuk ekzema", "probiotics-eczema"),
        ("exzema probiotcs", "probiotics-eczema"),
        ("can i take probiotic for my pimples", "probiotics-acne"),
        ("bubble tea 🧋 and my face", "sugar-acne"),
        ("teh tarik buat jerawat?", "sugar-acne"),
        ("kimchi good for skin?", "fermented-foods"),
        ("makanan ditapai", "fermented-foods"),
        ("tempe ok?", "fermented-foods"),
        ("I'm so stresssed and my skin shows it", "stress-skin"),
        ("tertekan kerja", "stress-skin"),
        ("tidur lewat", "sleep-skin"),
        ("insomnai and dull skin", "sleep-skin"),
        ("how to book an appointment", "booking"),
        ("nak buat temujanji", "booking"),
    ],
)
def test_confident(matcher: FaqMatcher, text: str, expected: str) -> None:
    result = matcher.match(text)
    assert result.kind == "confident", result
    assert [c.entry_id for c in result.candidates] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("probiotics", {"probiotics-eczema", "probiotics-acne"}),
        ("probiotik?", {"probiotics-eczema", "probiotics-acne"}),
        ("acne", {"dairy-acne", "probiotics-acne"}),
    ],
)
def test_ambiguous(matcher: FaqMatcher, text: str, expected: set[str]) -> None:
    result = matcher.match(text)
    assert result.kind == "ambiguous", result
    assert expected <= {c.entry_id for c in result.candidates}
    assert len(result.candidates) <= MAX_CANDIDATES
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "skin", "what is the weather today", "asdfgh qwerty", "😀😀", "?"],
)
def test_none(matcher: FaqMatcher, text: str) -> None:
    assert matcher.match(text) == MatchResult("none", ())


def test_language_breaks_ties_towards_the_users_language(matcher: FaqMatcher) -> None:
    en = matcher.match("probiotics eczema", language="en")
    ms = matcher.match("probiotics eczema", language="ms")
    assert en.candidates[0].entry_id == ms.candidates[0].entry_id == "probiotics-eczema"
    assert en.candidates[0].score > ms.candidates[0].score


def test_empty_faq_matches_nothing() -> None:
    assert FaqMatcher(()).match("does dairy cause acne").kind == "none"
