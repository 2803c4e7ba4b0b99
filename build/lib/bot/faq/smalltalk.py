"""Recognise small talk ("hi", "thanks!", "are you a bot?") so it gets a friendly reply."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bot.content.errors import read_yaml
from bot.content.models import SmallTalk as SmallTalk  # the data; re-exported
from bot.content.models import SmallTalkFile as SmallTalkFile
from bot.faq.normalise import words

MAX_WORDS = 12
"""Longer messages are questions or stories, not small talk."""

MAX_CHARS = 160
"""Small talk is short; longer text is not read word by word here."""

EMOJI = "ack"
"""The small-talk kind of a message made only of emoji ("👍")."""


class SmallTalkDetector:
    """Tell whether every word of a message is small talk, and which kind."""

    def __init__(self, data: SmallTalkFile) -> None:
        """Index the phrases by their first word, longest first."""
        self.kinds = tuple(kind.id for kind in data.smalltalk)
        self._filler = frozenset(w for f in data.filler for w in words(f))
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for kind in data.smalltalk:
            for phrase in kind.phrases:
                tokens = tuple(_key(w) for w in words(phrase))
                if tokens:
                    by_first.setdefault(tokens[0], []).append((tokens, kind.id))
        self._by_first = {
            first: sorted(options, key=lambda o: -len(o[0])) for first, options in by_first.items()
        }

    def detect(self, text: str) -> str | None:
        """Return the small-talk kind if the whole message is small talk, else None."""
        if len(text) > MAX_CHARS:
            return None
        tokens = [_key(w) for w in words(text)]
        if not tokens:
            return EMOJI if _has_symbol(text) else None
        if len(tokens) > MAX_WORDS:
            return None
        found: str | None = None
        pos = 0
        while pos < len(tokens):
            for phrase, kind in self._by_first.get(tokens[pos], ()):
                if tuple(tokens[pos : pos + len(phrase)]) == phrase:
                    # The most telling kind wins: "ok thanks" is thanks, "hi who are you" is who.
                    if found is None or _rank(kind) > _rank(found):
                        found = kind
                    pos += len(phrase)
                    break
            else:
                if tokens[pos] not in self._filler:
                    return None
                pos += 1
        return found


def _key(word: str) -> str:
    # "thanksss" -> "thanks", "hii" -> "hi": people stretch greetings.
    out = word
    while len(out) > 2 and out[-1] == out[-2]:
        out = out[:-1]
    return out


_RANK = ("ack", "greeting", "bye", "thanks", "how-are-you", "love", "who-are-you", "are-you-bot")


def _rank(kind: str) -> int:
    return _RANK.index(kind) if kind in _RANK else len(_RANK)


def _has_symbol(text: str) -> bool:
    return any(unicodedata.category(ch) == "So" for ch in text[:64])


def load_smalltalk(path: Path) -> SmallTalkFile:
    """Read and validate tips/smalltalk.yaml."""
    return SmallTalkFile.model_validate(read_yaml(path))


def detector(data: SmallTalkFile | Sequence[SmallTalk]) -> SmallTalkDetector:
    """Build a detector from the file or from its kinds alone."""
    if isinstance(data, SmallTalkFile):
        return SmallTalkDetector(data)
    return SmallTalkDetector(SmallTalkFile(smalltalk=tuple(data)))
