"""Urgent triage's reading rules, one at a time: typos, short words, the window, idioms, limits.

tests/faq/test_urgent.py is the table of what patients write; these pin the rules behind it
(each found missing by mutation testing, docs/MUTATION.md), mostly with the shipped signs and,
where a rule is clearer alone, with a sign made up for the test.
"""

from __future__ import annotations

from typing import Any

import pytest
from rapidfuzz import fuzz

from bot.content.models import UrgentSign
from bot.faq.normalise import MAX_TOKENS, words
from bot.faq.urgent import FUZZY_CUTOFF, MAX_FUZZY_TOKENS, detect_urgent


def sign_of(data: dict[str, Any]) -> UrgentSign:
    return UrgentSign.model_validate({"id": "x1", **data})


@pytest.fixture
def fresh_signs(urgent_signs: tuple[UrgentSign, ...]) -> tuple[UrgentSign, ...]:
    """The shipped signs as new objects: triage caches its compiled signs by the objects'
    identity, so a test using these compiles them itself (and mutation testing, which runs
    for each changed function only the tests that ran it, sees this test run the compiling)."""
    return tuple(sign.model_copy() for sign in urgent_signs)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("shortness of braeth", "breathing"),
        ("my thraot is swelling", "swelling-face-throat"),
        ("blurry visoin after peel", "eyes-vision"),
    ],
)
def test_two_swapped_letters_in_a_six_letter_sign_word_are_read_as_the_word(
    fresh_signs: tuple[UrgentSign, ...], text: str, sign: str
) -> None:
    finding = detect_urgent(text, fresh_signs)
    assert finding is not None and finding.sign_id == sign, text


def test_a_swap_in_a_six_letter_word_is_beyond_the_similarity_ratio() -> None:
    # Why the swap rule must reach six letters: the ratio alone (the rule for longer typos)
    # scores such a swap below its cutoff, so nothing else would catch "braeth".
    assert fuzz.ratio("braeth", "breath") < FUZZY_CUTOFF
    assert fuzz.ratio("visoin", "vision") < FUZZY_CUTOFF


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("my lipps are swollen", "swelling-face-throat"),
        ("my baby has a hiigh fever", "child-fever-rash"),
        ("the rassh is spreading fast", "rash-with-fever"),
        ("severe paiin on my face", "severe-pain"),
    ],
)
def test_a_five_letter_typo_with_a_letter_too_many_is_read_as_the_word(
    urgent_signs: tuple[UrgentSign, ...], text: str, sign: str
) -> None:
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None and finding.sign_id == sign, text


@pytest.mark.parametrize("text", ["i want to d-disappear", "i feel so w-worthless"])
def test_a_stammered_first_letter_does_not_hide_the_words_after_it(
    urgent_signs: tuple[UrgentSign, ...], text: str
) -> None:
    # One-letter words count for nothing, so "d-disappear" is still right after "want to".
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None and finding.sign_id == "self-harm", text


def test_a_one_letter_word_does_not_widen_a_tight_phrase() -> None:
    tight = sign_of({"phrases": {"en": [{"words": "want vanish", "slack": 0}], "ms": ["x y"]}})
    assert detect_urgent("i want to vanish", (tight,)) is not None
    assert detect_urgent("i want to v-vanish", (tight,)) is not None


def test_a_two_letter_word_is_a_word_between_a_phrases_words() -> None:
    # "my ex", "my bf": who the wish is about stands between "want" and "die".
    tight = sign_of({"phrases": {"en": [{"words": "want die", "slack": 0}], "ms": ["x y"]}})
    assert detect_urgent("i want to die", (tight,)) is not None
    assert detect_urgent("i want my ex to die", (tight,)) is None
    assert detect_urgent("i want my bf to die", (tight,)) is None


def test_a_phrase_one_word_wider_than_its_window_is_not_found() -> None:
    tight = sign_of({"phrases": {"en": [{"words": "lips swollen", "slack": 0}], "ms": ["x y"]}})
    assert detect_urgent("today lips swollen", (tight,)) is not None
    assert detect_urgent("today lips red swollen", (tight,)) is None
    # A closer pair that is negated does not let the wider one through.
    assert detect_urgent("no swollen lips yesterday, today lips red swollen", (tight,)) is None


def test_an_idiom_after_the_sign_leaves_the_sign_standing(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    for text in ("i want to die, my face is all dead skin", "nak mati rasa, kulit mati penuh"):
        finding = detect_urgent(text, urgent_signs)
        assert finding is not None and finding.sign_id == "self-harm", text
    made_up = sign_of(
        {"phrases": {"en": ["want dead"], "ms": ["nak mati"]}, "not_when": ["kulit mati"]}
    )
    assert detect_urgent("nak mati rasa, kulit mati penuh", (made_up,)) is not None
    assert detect_urgent("nak buang kulit mati", (made_up,)) is None


def test_a_combination_sign_keeps_its_kind() -> None:
    # The kind picks the reply: "crisis" gives the helplines, "urgent" the clinic and 999.
    crisis = sign_of(
        {"kind": "crisis", "all_of": [["pills|pil"], ["saved|kumpul"]]},
    )
    finding = detect_urgent("i have saved up my pills", (crisis,))
    assert finding is not None and finding.kind == "crisis"
    # What matched is told (in logs and `faq ask`): each group's phrase, joined.
    assert finding.phrase == "pills|pil + saved|kumpul"
    alone = sign_of({"phrases": {"en": ["want dead"], "ms": ["nak mati"]}})
    phrase = detect_urgent("want dead now", (alone,))
    assert phrase is not None and phrase.phrase == "want dead"


FILLER = "kimchi"  # not a sign's word, nor one slip or a close ratio from one


def unknown_words(count: int) -> str:
    """`count` different made-up words, none a sign's word nor close to one."""
    letters = "bcdfghjklm"
    return " ".join(
        f"qx{letters[n // 100]}{letters[n // 10 % 10]}{letters[n % 10]}z" for n in range(count)
    )


def test_typos_are_guessed_at_for_the_first_unknown_words_of_a_long_message(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    almost = unknown_words(MAX_FUZZY_TOKENS - 1)
    finding = detect_urgent(f"{almost} sesak nfas", urgent_signs)
    assert finding is not None and finding.sign_id == "breathing"


def test_typo_guessing_stops_after_a_bounded_number_of_unknown_words(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    # The bound keeps a long or hostile message cheap; exact words still count after it.
    past = unknown_words(MAX_FUZZY_TOKENS)
    assert detect_urgent(f"{past} sesak nfas", urgent_signs) is None
    exact = detect_urgent(f"{past} sesak nafas", urgent_signs)
    assert exact is not None and exact.sign_id == "breathing"


def test_an_unknown_word_said_again_and_again_is_looked_up_once(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    # "kimchi kimchi ..." costs one guess, so a typo after it is still read.
    again = " ".join([FILLER] * (3 * MAX_FUZZY_TOKENS))
    finding = detect_urgent(f"{again} sesak nfas", urgent_signs)
    assert finding is not None and finding.sign_id == "breathing"


def test_the_typo_budget_grows_with_a_long_message(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    # MAX_FUZZY_TOKENS guesses per MAX_TOKENS words: a long letter still has typos read at its end.
    long_letter = unknown_words(MAX_FUZZY_TOKENS) + " " + " ".join([FILLER] * MAX_TOKENS)
    finding = detect_urgent(f"{long_letter} sesak nfas", urgent_signs)
    assert finding is not None and finding.sign_id == "breathing"


LONG_CALM = (
    "Hi doctor, I have been following your tips for a few weeks and I really like the fermented "
    "food ones; my skin got better after I cut down on sugar and slept earlier. "
) * 12  # about 400 words, far past what FAQ matching reads (MAX_TOKENS)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        (LONG_CALM + "Honestly I just want to end my life.", "self-harm"),
        (LONG_CALM + "Now my lips are swelling and I cant breathe", "swelling-face-throat"),
        # A combination's halves far apart: the boil at the start, the fever at the end.
        (
            "There is a boil on my leg full of pus. " + LONG_CALM + "Tonight demam 39.",
            "skin-infection-fever",
        ),
    ],
)
def test_triage_reads_a_long_message_to_its_end(
    urgent_signs: tuple[UrgentSign, ...], text: str, sign: str
) -> None:
    assert len(words(text)) == MAX_TOKENS < len(words(text, limit=None))
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None and finding.sign_id == sign
    assert detect_urgent(LONG_CALM, urgent_signs) is None


def test_a_phrase_word_standing_earlier_in_another_sense_does_not_hide_the_phrase(
    urgent_signs: tuple[UrgentSign, ...],
) -> None:
    # "tak" (not) first stands in "saya tak pasti" (I'm not sure), nearer to "pain" than the
    # "cannot" of the phrase: every choice within reach is tried, not only the nearest.
    text = "saya tak pasti apa nak buat. very pain one the rash on my side, cannot tahan already"
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None and finding.sign_id == "severe-pain"


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("took 20 panadol just now", "self-harm"),
        ("dah telan 15 biji ubat tidur", "self-harm"),
        ("swallowed 25 sleeping pills", "self-harm"),
        ("i popped 12x pills an hour ago", "self-harm"),
    ],
)
def test_a_count_of_ten_or_more_pills_swallowed_is_a_crisis(
    urgent_signs: tuple[UrgentSign, ...], text: str, sign: str
) -> None:
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None and finding.sign_id == sign, text


@pytest.mark.parametrize(
    "text",
    [
        "took 2 panadol for my headache",  # under ten
        "i take 10 pills a day for my diabetes, can i take probiotic",  # "take": a routine
        "took 14 days of antibiotics, now my gut is bad",  # days are not counted
        "the box has 20 pills, how many a day",
    ],
)
def test_other_counts_and_routines_stay_quiet(
    urgent_signs: tuple[UrgentSign, ...], text: str
) -> None:
    assert detect_urgent(text, urgent_signs) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "my baby 3 months temp 38 and rash",
        "baby suhu 39.5 dan ruam",
        "my son has a rash and 38.5c",
        "toddler rash, 102F since morning",
        "boil with pus 🤒🤒",
    ],
)
def test_a_fever_typed_as_a_number_or_an_emoji_reads_as_fever(
    urgent_signs: tuple[UrgentSign, ...], text: str
) -> None:
    assert detect_urgent(text, urgent_signs) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "my baby 3 months temp 37.2 and rash",  # below 38
        "my son is 38 and has a rash on his arm",  # an age
        "38 weeks pregnant with a rash on my belly",
    ],
)
def test_numbers_that_are_no_fever_stay_numbers(
    urgent_signs: tuple[UrgentSign, ...], text: str
) -> None:
    assert detect_urgent(text, urgent_signs) is None, text


def test_the_words_after_a_count_that_is_not_of_pills_stay_as_typed() -> None:
    from bot.faq.urgent import _compile, _read_counts

    counted = {"en": ["took manycount @meds"], "ms": ["telan manycount @meds"]}
    signs = (sign_of({"lexicons": {"meds": ["pills"]}, "phrases": counted}),)
    compiled = _compile(signs)
    assert _read_counts("15 minutes after the prawns", compiled) == "15 minutes after the prawns"
    assert _read_counts("took 20 pills", compiled) == "took manycount pills"
    assert detect_urgent("took 20 pills", signs) is not None
    assert detect_urgent("took 2 pills", signs) is None


def test_choosing_a_phrases_words_is_bounded_on_hostile_input() -> None:
    # Each "aa" has several "bb" within reach, all negated: after MAX_CHOICES choices the
    # phrase is given up on (bounded work), rather than found or tried for ever. (Short words,
    # so that the whole text stays within the 4,096 characters read.)
    from bot.faq.normalise import MAX_CHARS
    from bot.faq.urgent import MAX_CHOICES

    sign = sign_of({"phrases": {"en": ["aa bb"], "ms": ["cc dd"]}})
    negated = "no aa bb bb " * (MAX_CHOICES // 2)
    assert len(negated + "aa bb") < MAX_CHARS
    assert detect_urgent(negated, (sign,)) is None
    assert detect_urgent(negated + "aa bb", (sign,)) is None  # past the bound
    assert detect_urgent("no aa bb bb " * 3 + "aa bb", (sign,)) is not None
