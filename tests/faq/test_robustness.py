"""Robustness: no message, however odd or long, makes normalising, matching or triage raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.models import UrgentSign
from bot.faq.matcher import FaqMatcher
from bot.faq.normalise import MAX_CHARS, MAX_TOKENS, normalise
from bot.faq.urgent import detect_urgent
from tests.faq.conftest import SMALL_FAQ

MATCHER = FaqMatcher(SMALL_FAQ)

texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=MAX_CHARS, max_size=MAX_CHARS + 50),
    # RTL, combining marks, emoji, control characters, zero-width joiners, mixed with words
    st.lists(
        st.sampled_from(
            [
                "مرحبا",
                "שלום",
                "\u202e",
                "e\u0301",
                "😭",
                "👩\u200d⚕️",
                "\x00",
                "\x1b[31m",
                "\ufeff",
                "acneee",
                "bengkak",
                "no",
                "tak",
                "2",
                "x" * 500,
                " ",
                "\n",
            ]
        ),
        max_size=400,
    ).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_never_raises(urgent_signs: tuple[UrgentSign, ...], text: str) -> None:
    assert len(normalise(text)) <= MAX_TOKENS
    result = MATCHER.match(text, language="ms")
    assert result.kind in ("confident", "ambiguous", "none")
    finding = detect_urgent(text, urgent_signs)
    assert finding is None or finding.sign_id
