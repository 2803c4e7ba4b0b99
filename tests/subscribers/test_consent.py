"""The "I agree" button's data: the notice's language and the deep-link source, nothing else."""

from __future__ import annotations

import pytest

from bot.subscribers.consent import agree_data, parse_agree


@pytest.mark.parametrize(
    ("language", "source", "data", "parsed"),
    [
        ("en", None, "sub:yes:en", ("en", None)),
        ("ms", "qr-cheras", "sub:yes:ms:qr-cheras", ("ms", "qr-cheras")),
        ("en", "bad source!", "sub:yes:en", ("en", None)),  # not a deep-link payload
        ("en", "a" * 53, "sub:yes:en:" + "a" * 53, ("en", "a" * 53)),  # 64 bytes: fits
        ("en", "a" * 54, "sub:yes:en", ("en", None)),  # too long for button data: dropped
    ],
)
def test_agree_data_round_trips(
    language: str, source: str | None, data: str, parsed: tuple[str, str | None]
) -> None:
    assert agree_data(language, source) == data
    assert len(data.encode()) <= 64
    assert parse_agree(data) == parsed


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("sub:yes", (None, None)),  # a welcome from before #15: the client's language
        ("sub:yesno", None),
        ("sub:yes:english", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_agree_accepts_only_agree_data(
    data: str | None, parsed: tuple[str | None, str | None] | None
) -> None:
    assert parse_agree(data) == parsed
