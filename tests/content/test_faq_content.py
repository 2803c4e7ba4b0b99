"""FAQ answers and all health text: safe wording, one spelling, real sources, both languages alike.

Each rule is a small function tested on a bad example first, so a rule that stops catching
anything fails here instead of passing silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.content.errors import ContentLoader
from bot.content.loader import Content
from bot.content.models import LANGUAGES, FaqEntry, placeholders
from bot.content.render import faq_answer
from bot.telegram_html import parse_html
from tests.conftest import TIPS_DIR

# ---------------------------------------------------------------- the rules

_CURE = re.compile(r"\b(cures?|cured|curing|sembuh\w*|menyembuh\w*|guaranteed?|dijamin)\b", re.I)
_NEGATION = re.compile(r"\b(no|not|cannot|can't|never|tiada|tidak|bukan|tak)\b", re.I)


def cure_claims(text: str) -> list[str]:
    """Return cure or guarantee words not negated within the four words before them."""
    found = []
    for match in _CURE.finditer(text):
        before = text[: match.start()].split()[-4:]
        if not _NEGATION.search(" ".join(before)):
            found.append(match.group(0))
    return found


_ASK = re.compile(r"(doctor|dermatologist|doktor|pakar kulit|pharmacist|ahli farmasi)", re.I)
_SUPPLEMENT = re.compile(r"\b(supplements?|capsules?|pills?|suplemen|kapsul|pil)\b", re.I)
_PREGNANCY = {
    "en": re.compile(r"pregnan\w*.*breastfeed", re.I),
    "ms": re.compile(r"hamil.*menyusu"),
}

# Spellings the content uses, one way each (Dewan Bahasa forms in Malay; "fiber" in English,
# as in the topic name). Keywords may still list the variants people type; texts may not.
_WRONG_SPELLING = {
    "en": re.compile(r"\bfibres?\b", re.I),
    "ms": re.compile(r"\b(temujanji|janji temu|fib(?:er|re)s?)\b", re.I),
}
# "Kajian menunjukkan" (studies show) overstates what the English "studies suggest" says.
_OVERSTATES = {
    "en": re.compile(r"\bstudies show\b", re.I),
    "ms": re.compile(r"kajian menunjukkan", re.I),
}
_CODE = re.compile(r"<(code|pre)>.*?</\1>|https?://\S+", re.S)


def spelling_problems(text: str, language: str) -> list[str]:
    """Return variant spellings and overstated evidence in one language's text."""
    plain = _CODE.sub(" ", text)
    return [
        m.group(0)
        for rule in (_WRONG_SPELLING, _OVERSTATES)
        for m in rule[language].finditer(plain)
    ]


def is_homepage(url: str) -> bool:
    """Say whether a source link is only a site's front page, which a patient can't check."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    return not parts.query and path in ("", "index.html", "index.php", "en", "ms", "my")


_TAPAI = re.compile(r"\btapai\b", re.I)
_ALCOHOL = re.compile(r"\b(alcohol|alkohol)\b", re.I)
_NUMBER = re.compile(r"\d+")
_COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")


def facts(text: str) -> tuple[list[str], list[str]]:
    """Return the numbers and /commands in a text, which must match across languages."""
    plain = _CODE.sub(" ", text)
    return sorted(set(_NUMBER.findall(plain))), sorted(set(_COMMAND.findall(plain)))


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("This diet cures acne.", ["cures"]),
        ("Probiotik ini dijamin menyembuhkan ekzema.", ["dijamin", "menyembuhkan"]),
        ("No diet can cure eczema, and diet cannot cure psoriasis.", []),
        ("Tiada diet yang boleh menyembuhkan ekzema.", []),
    ],
)
def test_the_cure_rule_flags_claims_but_not_denials(text: str, flagged: list[str]) -> None:
    assert cure_claims(text) == flagged


@pytest.mark.parametrize(
    ("text", "language", "found"),
    [
        ("Eat more fibre today.", "en", ["fibre"]),
        (
            "Buat temujanji atau janji temu; makan fiber.",
            "ms",
            ["temujanji", "janji temu", "fiber"],
        ),
        ("Kajian menunjukkan serat membantu.", "ms", ["Kajian menunjukkan"]),
        ("Buat temu janji; makan serat. Kajian mencadangkan ia membantu.", "ms", []),
        ("Eat more fiber. See https://www.nhs.uk/how-to-get-more-fibre/", "en", []),
        ("Contoh: <code>fiber-ulam-lunch</code>", "ms", []),
    ],
)
def test_the_spelling_rule(text: str, language: str, found: list[str]) -> None:
    assert spelling_problems(text, language) == found


@pytest.mark.parametrize(
    ("url", "homepage"),
    [
        ("https://ods.od.nih.gov/", True),
        ("https://nutrition.moh.gov.my", True),
        ("https://www.halal.gov.my/v4/index.php", False),
        ("https://www.example.org/index.php", True),
        ("https://www.halal.gov.my/index.php?data=directory", False),
        ("https://www.nhs.uk/conditions/acne/", False),
        ("https://doi.org/10.3389/fmicb.2018.01459", False),
    ],
)
def test_the_homepage_rule(url: str, homepage: bool) -> None:
    assert is_homepage(url) is homepage


def test_the_facts_rule_sees_numbers_and_commands() -> None:
    assert facts("Call 999, or 03-7627 2929 (24 hours); send /book or /stop.") == (
        ["03", "24", "2929", "7627", "999"],
        ["/book", "/stop"],
    )
    assert facts("See https://a.org/x/1 and 20-30 g") == (["20", "30"], [])


# ---------------------------------------------------------------- the shipped content


def _catalog_texts() -> Iterator[tuple[str, str, str]]:
    for language in LANGUAGES:
        files = [TIPS_DIR / "messages" / f"{language}.yaml"]
        files += sorted((TIPS_DIR / "messages" / language).glob("*.yaml"))
        for path in files:
            data: dict[str, Any] = yaml.load(path.read_text(), Loader=ContentLoader)  # noqa: S506
            for key, value in data.items():
                yield f"{path.relative_to(TIPS_DIR)}:{key}", language, str(value)


def _all_texts(content: Content) -> Iterator[tuple[str, str, str]]:
    """Every patient-facing text with where it comes from and its language (not keywords)."""
    for tip in content.tips:
        for language, t in tip.text.items():
            yield f"tip {tip.id}", language, f"{t.title}\n{t.body}\n{t.try_today}"
    for entry in content.faq:
        for language, f in entry.text.items():
            yield f"faq {entry.id}", language, f"{f.question}\n{f.answer}"
    yield from _catalog_texts()


def test_one_spelling_everywhere_and_no_overstated_evidence(content: Content) -> None:
    problems = [
        f"{where} [{language}]: {found}"
        for where, language, text in _all_texts(content)
        if (found := spelling_problems(text, language))
    ]
    assert problems == []


def test_every_source_is_a_specific_page(content: Content) -> None:
    sources = [(f"tip {t.id}", str(t.source)) for t in content.tips]
    sources += [(f"faq {e.id}", str(e.source)) for e in content.faq if e.source is not None]
    assert len(sources) > 100
    assert [where for where, url in sources if is_homepage(url)] == []
    assert all(url.startswith("https://") for _, url in sources)


def test_no_cure_claims_in_faq_answers(content: Content) -> None:
    claims = [
        (entry.id, language, found)
        for entry in content.faq
        for language, text in entry.text.items()
        if (found := cure_claims(text.answer))
    ]
    assert claims == []


def test_supplement_answers_say_ask_first_and_mention_pregnancy(content: Content) -> None:
    problems = []
    for entry in content.faq:
        for language, text in entry.text.items():
            if _SUPPLEMENT.search(text.answer) and not _ASK.search(text.answer):
                problems.append((entry.id, language, "supplement without ask-your-doctor"))
            if entry.topic == "supplements" and not _PREGNANCY[language].search(text.answer):
                problems.append((entry.id, language, "no pregnant-or-breastfeeding line"))
    assert problems == []


def test_tapai_is_never_suggested_without_saying_it_contains_alcohol(content: Content) -> None:
    texts = [(w, lang, t) for w, lang, t in _all_texts(content) if _TAPAI.search(t)]
    assert len(texts) >= 4  # the FAQ and the tips really talk about tapai
    assert [(w, lang) for w, lang, t in texts if not _ALCOHOL.search(t)] == []


def test_both_languages_give_the_same_numbers_and_commands(content: Content) -> None:
    differ = []
    for entry in content.faq:
        en, ms = (facts(entry.text[lang].answer) for lang in ("en", "ms"))
        if en != ms:
            differ.append((entry.id, en, ms))
    for tip in content.tips:
        en, ms = (
            facts(f"{tip.text[lang].body} {tip.text[lang].try_today}") for lang in ("en", "ms")
        )
        if en != ms:
            differ.append((tip.id, en, ms))
    assert differ == []


def test_every_faq_answer_renders_as_telegram_html(content: Content) -> None:
    for entry in content.faq:
        for language in LANGUAGES:
            text = faq_answer(content.catalogs, entry, language)
            plain, _entities = parse_html(text)  # raises on anything Telegram would refuse
            assert entry.text[language].answer.split()[-1] in plain
            assert len(plain) <= 4096


# The ids other parts of the bot refer to, with the group each belongs in.
NEW_ENTRIES = {
    "acne-scars-dark-marks": "conditions",
    "clinic-treatments": "booking",
    "diet-on-skin-medicines": "supplements",
    "pregnancy-breastfeeding": "conditions",
    "hormonal-acne": "conditions",
    "allergy-vs-intolerance": "diet",
    "basic-skincare": "lifestyle",
    "reschedule-or-cancel": "booking",
    "walk-in-and-online": "booking",
    "weather-and-skin": "lifestyle",
    "emotional-support": "conditions",
}


def _entry(content: Content, entry_id: str) -> FaqEntry:
    (entry,) = [e for e in content.faq if e.id == entry_id]
    return entry


def test_the_entries_other_helpers_link_to_exist_as_drafts(content: Content) -> None:
    for entry_id, topic in NEW_ENTRIES.items():
        entry = _entry(content, entry_id)
        assert entry.topic == topic, entry_id
        assert entry.review.status == "draft", entry_id
        for language in LANGUAGES:
            assert len(entry.keywords[language]) >= 8, (entry_id, language)


@pytest.mark.parametrize("entry_id", ["emotional-support", "stress-and-skin"])
def test_emotional_answers_give_the_support_lines_in_both_languages(
    content: Content, entry_id: str
) -> None:
    for language in LANGUAGES:
        answer = _entry(content, entry_id).text[language].answer
        for number in ("03-7627 2929", "15555", "999"):
            assert number in answer, (entry_id, language, number)


def test_booking_answers_send_people_to_the_branch_not_to_invented_rules(content: Content) -> None:
    for entry_id in ("reschedule-or-cancel", "walk-in-and-online"):
        for language in LANGUAGES:
            answer = _entry(content, entry_id).text[language].answer
            assert "/book" in answer
            assert not re.search(r"\b(RM|ringgit|\d+ (hours?|jam|days?|hari))\b", answer), entry_id


def test_glutathione_is_answered_where_it_is_a_keyword(content: Content) -> None:
    entry = _entry(content, "skin-supplements")
    assert "glutathione" in entry.keywords["en"]
    for language in LANGUAGES:
        assert "glutathione" in entry.text[language].answer.lower()


def test_catalog_placeholders_still_match_after_wording_fixes() -> None:
    by_key: dict[str, dict[str, str]] = {}
    for where, language, text in _catalog_texts():
        key = where.split(":", 1)[1]
        by_key.setdefault(key, {})[language] = text
    assert by_key["button_none_of_these"]["ms"] == "Tiada yang sesuai"
    for key, texts in by_key.items():
        assert placeholders(texts["en"]) == placeholders(texts["ms"]), key
