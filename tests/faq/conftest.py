"""FAQ fixtures: a small FAQ to test matching kinds, the shipped urgent signs, a summary line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.content.errors import read_yaml
from bot.content.models import FaqEntry, UrgentFile, UrgentSign
from tests.conftest import TIPS_DIR

SUMMARY = pytest.StashKey[list[str]]()
"""Lines the accuracy test leaves for the end-of-run summary."""


def pytest_configure(config: pytest.Config) -> None:
    """Give the accuracy test somewhere to leave its summary."""
    config.stash[SUMMARY] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Carry new summary lines on the test's report, so they cross from an xdist worker."""
    report = yield
    lines = item.config.stash.get(SUMMARY, [])
    report.user_properties.extend(("summary", line) for line in lines)
    lines.clear()
    return report


def faq_entry(
    entry_id: str,
    question: tuple[str, str],
    en: tuple[str, ...],
    ms: tuple[str, ...],
) -> FaqEntry:
    """Build a reviewed FAQ entry with the given question and keywords."""
    answer = "A reviewed answer long enough to pass validation for this test entry."
    return FaqEntry.model_validate(
        {
            "id": entry_id,
            "topic": "test",
            "keywords": {"en": en, "ms": ms},
            "review": {"status": "reviewed", "by": "Test Reviewer", "on": dt.date(2025, 1, 1)},
            "text": {
                "en": {"question": question[0], "answer": answer},
                "ms": {"question": question[1], "answer": answer},
            },
        }
    )


SMALL_FAQ = (
    faq_entry(
        "dairy-acne",
        ("Does dairy cause acne?", "Adakah susu menyebabkan jerawat?"),
        ("dairy", "milk", "cheese", "dairy products", "milk acne", "acne"),
        ("susu", "tenusu", "keju", "produk tenusu", "susu lembu"),
    ),
    faq_entry(
        "sugar-acne",
        ("Does sugar make acne worse?", "Adakah gula memburukkan jerawat?"),
        ("sugar", "sweets", "dessert", "high glycemic", "bubble tea"),
        ("gula", "manis", "kuih", "teh tarik"),
    ),
    faq_entry(
        "probiotics-eczema",
        ("Can probiotics help eczema?", "Bolehkah probiotik membantu ekzema?"),
        ("probiotic", "probiotics", "eczema", "exzema", "good bacteria"),
        ("probiotik", "ekzema", "eksema", "bakteria baik"),
    ),
    faq_entry(
        "probiotics-acne",
        ("Can probiotics help acne?", "Bolehkah probiotik membantu jerawat?"),
        ("probiotic", "probiotics", "pimples", "probiotic acne", "acne"),
        ("probiotik", "probiotik jerawat"),
    ),
    faq_entry(
        "sleep-skin",
        ("Does poor sleep affect my skin?", "Adakah kurang tidur menjejaskan kulit?"),
        ("sleep", "insomnia", "late night", "tired"),
        ("tidur", "tidur lewat", "kurang tidur", "penat"),
    ),
    faq_entry(
        "stress-skin",
        ("Can stress cause flare-ups?", "Bolehkah stres menyebabkan kulit naik?"),
        ("stress", "anxiety", "worry", "stressed"),
        ("stres", "tekanan", "risau", "tertekan"),
    ),
    faq_entry(
        "fermented-foods",
        ("Which fermented foods are good for the gut?", "Makanan ditapai mana yang baik?"),
        ("fermented", "tempeh", "kimchi", "yogurt", "yoghurt"),
        ("tapai", "tempe", "makanan terfermentasi", "makanan ditapai", "budu"),
    ),
    faq_entry(
        "booking",
        ("How do I book a consultation?", "Bagaimana saya buat temujanji?"),
        ("appointment", "book", "booking", "consultation", "dermatologist"),
        ("temujanji", "tempah", "janji temu", "doktor kulit"),
    ),
)


@pytest.fixture(scope="session")
def urgent_signs() -> tuple[UrgentSign, ...]:
    """The shipped urgent signs, validated."""
    return UrgentFile.model_validate(read_yaml(TIPS_DIR / "urgent.yaml")).urgent
