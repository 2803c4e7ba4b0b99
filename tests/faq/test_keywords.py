"""Content checks on FAQ keywords: none may rest on everyday words alone."""

from __future__ import annotations

import pytest

from bot.content.errors import read_yaml
from bot.content.models import FaqFile
from bot.faq.normalise import COMMON, NEUTRAL, content_words, variants, words
from tests.conftest import TIPS_DIR


def _everyday(word: str) -> bool:
    return any(key in COMMON or key in NEUTRAL for key in variants(word))


def weak_keywords(keywords: tuple[str, ...]) -> list[str]:
    """Return the keywords that reduce to a single everyday word (or to no word at all)."""
    weak = []
    for keyword in keywords:
        tokens = content_words(words(keyword))
        if len(tokens) <= 1 and all(_everyday(t) for t in tokens):
            weak.append(keyword)
    return weak


@pytest.mark.parametrize(
    ("keyword", "weak"),
    [
        ("kat mana", True),
        ("who can see", True),
        ("kawan saya", True),
        ("see", True),
        ("apa jadi", True),
        ("where", True),
        ("clinic location", False),
        ("jerawat", False),
        ("late nights", False),
    ],
)
def test_weak_keyword_rule(keyword: str, weak: bool) -> None:
    assert bool(weak_keywords((keyword,))) is weak


def test_no_keyword_rests_on_everyday_words_alone() -> None:
    faq = FaqFile.model_validate(read_yaml(TIPS_DIR / "faq.yaml")).faq
    found = [
        f"{entry.id} ({lang}): {keyword!r}"
        for entry in faq
        for lang, keywords in entry.keywords.items()
        for keyword in weak_keywords(keywords)
    ]
    assert not found, "keywords made only of everyday words (they match anything):\n" + "\n".join(
        found
    )
