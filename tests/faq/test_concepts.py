"""Everyday words reach the FAQ through concepts (tips/synonyms.yaml); off-topic stays honest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.content.errors import read_yaml
from bot.faq.concepts import SHIPPED, ConceptFile, Concepts
from bot.faq.matcher import FaqMatcher
from tests.faq.conftest import SMALL_FAQ, faq_entry

CONCEPTS = Concepts(
    ConceptFile.model_validate(
        {
            "concepts": {
                "acne": {"topical": True, "words": ["acne", "pimple", "jerawat", "zit"]},
                "dairy": {"words": ["dairy", "milk", "susu", "whey"]},
                "price": {"words": ["price", "harga"], "phrases": ["how much"]},
                "pregnant": {"topical": True, "words": ["pregnant", "hamil", "mengandung"]},
                "hours": {"words": ["open", "buka", "hours"]},
            }
        }
    )
)


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    pregnancy = faq_entry(
        "pregnancy",
        ("Are the tips safe while pregnant?", "Selamatkah tip semasa hamil?"),
        ("pregnant", "pregnancy"),
        ("hamil",),
    )
    hours = faq_entry(
        "opening-hours",
        ("What are your opening hours?", "Bila klinik dibuka?"),
        ("opening hours", "open"),
        ("waktu operasi", "buka"),
    )
    return FaqMatcher((*SMALL_FAQ, pregnancy, hours), CONCEPTS)


def test_the_shipped_concepts_are_valid() -> None:
    data = ConceptFile.model_validate(read_yaml(SHIPPED))
    assert len(data.concepts) > 20
    assert any(c.topical for c in data.concepts.values())


@pytest.mark.parametrize(
    "concepts",
    [
        {"a": {"words": ["milk"]}, "b": {"words": ["milk"]}},  # a word in two concepts
        {"a": {"words": ["two words"]}},
        {"a": {"words": []}},
        {"a": {"words": ["milk"], "other": 1}},
        {"a": {"words": ["milk"], "phrases": ["how"]}},  # a phrase is two words
    ],
)
def test_a_bad_concept_file_is_refused(concepts: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConceptFile.model_validate({"concepts": concepts})


def test_words_and_their_stems_find_their_concept() -> None:
    assert CONCEPTS.of("zits") == "acne"
    assert CONCEPTS.of("susu") == "dairy"
    assert CONCEPTS.of("kereta") is None
    assert CONCEPTS.in_phrases(["so", "how", "much", "is", "it"]) == ["price"]


def test_an_everyday_word_is_no_stem_of_a_concept_word() -> None:
    """Malay sweep: "orang" is no stem of "oranges", "dekat" of "terdekat", "lama" of
    "selamanya"; the listed words themselves still find their concept."""
    shipped = Concepts(ConceptFile.model_validate(read_yaml(SHIPPED)))
    for word in ("orang", "dekat", "lama", "shes", "rambut"):
        assert shipped.of(word) is None, word
    assert shipped.of("terdekat") == "branch"
    assert shipped.of("oranges") == "plants"
    assert shipped.of("kulitku") == "skin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("whey shake and zits", "dairy-acne"),  # neither word is a keyword of the entry
        ("mengandung, boleh ikut tip?", "pregnancy"),  # "mengandung" only through its concept
    ],
)
def test_a_word_reaches_the_entry_keyed_on_its_concept(
    matcher: FaqMatcher, text: str, expected: str
) -> None:
    result = matcher.match(text)
    assert result.candidates, result
    assert result.candidates[0].entry_id == expected


def test_a_concept_named_twice_counts_once(matcher: FaqMatcher) -> None:
    once = matcher.match("milk and acne")
    twice = matcher.match("milk susu dairy and acne")
    assert once.candidates[0].entry_id == twice.candidates[0].entry_id == "dairy-acne"
    assert twice.candidates[0].score < once.candidates[0].score * 1.5


def test_a_message_about_something_else_gets_no_menu_of_guesses(matcher: FaqMatcher) -> None:
    # "open" is a keyword, but nothing in the message is about skin, gut or the clinic: the
    # weak hit would otherwise be offered as a "did you mean" (score 0.8, under FLOOR).
    assert matcher.match("open late tonight?").kind == "none"
    assert matcher.match("acne: open late tonight?").kind != "none"
    assert matcher.match("what are your opening hours").candidates[0].entry_id == "opening-hours"


def test_without_concepts_matching_falls_back_to_keywords() -> None:
    bare = FaqMatcher(SMALL_FAQ, Concepts(ConceptFile(concepts={})))
    assert bare.match("does dairy cause acne").candidates[0].entry_id == "dairy-acne"
    assert bare.match("whey shake and zits").kind == "none"


def test_a_message_naming_another_subject_gets_the_honest_answer(matcher: FaqMatcher) -> None:
    # Without "petrol" this would be a confident 1.6: the keywords alone cannot tell.
    assert matcher.match("opening hours").kind == "confident"
    assert matcher.match("petrol station opening hours").kind == "none"
    assert matcher.match("dairy acne petrol").kind == "confident"  # ours named too: answered
