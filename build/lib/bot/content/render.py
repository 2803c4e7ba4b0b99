"""Render content (tips, FAQ answers, branch cards) as Telegram HTML from the catalogs."""

from __future__ import annotations

from bot.content.catalog import Catalogs
from bot.content.models import Clinic, FaqEntry, Tip


def tip_card(catalogs: Catalogs, tip: Tip, language: str) -> str:
    """Return a tip as the subscriber sees it: title, body, try today, source."""
    text = tip.text[language]
    return catalogs.text(
        language,
        "tip_card",
        title=text.title,
        body=text.body,
        try_today=text.try_today,
        source=str(tip.source),
    )


def faq_answer(catalogs: Catalogs, entry: FaqEntry, language: str) -> str:
    """Return an FAQ entry's question and answer."""
    text = entry.text[language]
    return catalogs.text(language, "faq_answer", question=text.question, answer=text.answer)


def branch_card(catalogs: Catalogs, clinic: Clinic, language: str) -> str:
    """Return a branch's name, address, hours and phone."""
    return catalogs.text(
        language,
        "branch_card",
        name=clinic.name[language],
        area=clinic.area,
        address=clinic.address,
        hours=clinic.hours[language],
        phone=clinic.phone,
    )
