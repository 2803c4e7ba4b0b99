"""Recognise small talk ("hi", "thanks!", "are you a bot?") so it gets a friendly reply."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bot.content.errors import read_yaml
from bot.content.models import SmallTalk as SmallTalk  # the data; re-exported
from bot.content.models import SmallTalkFile as SmallTalkFile
from bot.faq.normalise import STOPWORDS, words

MAX_WORDS = 16
"""Longer messages are questions or stories, not small talk. (12 until blind batches 157-163:
careful English spends more words on it, "May I ask whether I am speaking with a person or an
automated system?" is 14; every word must still be small talk or filler.)"""

MAX_CHARS = 160
"""Small talk is short; longer text is not read word by word here."""

TIME = frozenset(
    [
        "today",
        "tonight",
        "now",
        "morning",
        "evening",
        "afternoon",
        "hari",
        "malam",
        "pagi",
        "petang",
        "tadi",
        "lately",
        "nanti",
        "esok",
        "besok",
        "tomorrow",
    ]
)
"""When small talk is said: "how are you today", "good morning again", "thanks tadi", "ok bye
jumpa lagi esok" (blind batch 80)."""

EMOJI = "ack"
"""The small-talk kind of a message made only of emoji ("👍")."""


NONE_FOUND = ""
"""Every word read, none of them a small-talk phrase (all filler)."""

CLOSING = frozenset(["thanks", "bye", "how-are-you"])
"""Kinds that frame a message as small talk even with a remark beside them: thanks or a goodbye
said with news ("thank you, the rash is all gone btw"), a reason for leaving ("ok bye dulu, nak
pegi klinik gigi"), or an aside before asking after the bot ("morning, slept badly lol, hows your
day"). A greeting does not: "hi, my face is swollen" is the start of a question (blind batch 40)."""

FRAMED_MAX_WORDS = 30
"""A framed remark is a line or two; longer, it is a story with a question in it."""

THANKS_MAX_WORDS = 60
"""...unless it is a thank-you note: people write a few lines to say thanks, with news and no
question ("Just wanted to say thank you. I read the tips every morning with my coffee... That's
all, no question, have a nice weekend!", blind batch 66). Still no clause may ask anything."""

THANKS_MAX_CHARS = 400
"""The longest thank-you note read clause by clause (MAX_CHARS holds for everything else)."""

ASKING = frozenset(
    ["what", "whats", "how", "hows", "why", "when", "where", "which", "who", "can", "could"]
    + ["should", "would", "want", "wanna", "need", "help", "please", "pls", "plz", "tell"]
    + ["advise", "advice", "recommend", "suggest", "ask", "wonder", "wondering", "apa", "bila"]
    + ["mana", "kenapa", "mengapa", "camne", "berapa", "boleh", "bolehkah", "adakah", "perlu"]
    + ["tolong", "tanya", "nasihat", "cadang", "mahu", "hendak", "patut", "kena", "mohon"]
    + ["maklumkan", "kindly"]
)
"""Words that ask or request: a remark holding one is a question, not small talk. (Formal
requests, blind batches 157-163: "mohon maklumkan cara membuat temujanji. sekian tq" asks to
book before its sign-off.)"""

OPENING_ASKS = frozenset(["is", "are", "do", "does", "did", "am", "any", "will", "was"])
"""Words that ask when they open a remark ("is it normal", "any tips")."""

CLOSING_ASKS = frozenset(["ke", "kah", "tak", "x", "or", "not"])
"""Words that ask when they end a Malay or Manglish remark ("dah ok ke", "can or not")."""

MOTION = frozenset(
    ["pergi", "pegi", "gi", "balik", "datang", "pindah", "sampai", "masuk", "naik", "turun"]
    + ["terus", "jalan", "bawa", "hantar", "dari", "hingga", "sehingga"]
)
"""Words after which Malay "ke" is "to" ("pergi ke klinik"); elsewhere it asks ("dah ok ke")."""

_CLAUSES = re.compile(r"[,.;:!\n]+")
_EMOTICON = re.compile(r"[:;=]['-]?[)dDpP3*]|<3|\^[_.]?\^")
"""Happy emoticons typed as punctuation (":)", ";-)", "<3", "^^"): a reaction, as an emoji is.
Not a sad or crying face (":(", "T_T"): an "ok" to that would be unkind."""


class SmallTalkDetector:
    """Tell whether every word of a message is small talk, and which kind."""

    def __init__(self, data: SmallTalkFile) -> None:
        """Index the phrases by their first word, longest first."""
        self.kinds = tuple(kind.id for kind in data.smalltalk)
        # Function words carry no question of their own ("how are you today", "hi, what's
        # this"): a message of small-talk phrases and such words is still small talk, while
        # one content word ("thanks, and dairy?") makes it a question.
        filler = frozenset(w for f in data.filler for w in words(f)) | STOPWORDS | TIME
        # Read as the message's words are ("all" is keyed "al": "gnite all" was no small talk).
        self._filler = filler | {_key(w) for w in filler}
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
            return self._framed(text) if len(text) <= THANKS_MAX_CHARS else None
        tokens = [_key(w) for w in words(text)]
        if not tokens:
            return EMOJI if _has_symbol(text) or _EMOTICON.search(text) else None
        if len(tokens) > MAX_WORDS:
            return self._framed(text)
        return self._cover(tuple(tokens), 0, {}) or self._framed(text)

    def _framed(self, text: str) -> str | None:
        """The closing kind of a message made of small-talk clauses and remarks that ask
        nothing ("thank you so much, the rash from last week is all gone btw"), else None."""
        if "?" in text:
            return None
        clauses = [[_key(w) for w in words(c)] for c in _CLAUSES.split(text)]
        clauses = [c for c in clauses if c]
        size = sum(len(c) for c in clauses)
        if len(clauses) < 2 or size > THANKS_MAX_WORDS:
            return None
        kinds: list[str] = []
        for clause in clauses:
            kind = self._cover(tuple(clause), 0, {})
            if kind == NONE_FOUND and _asks(clause):
                return None  # function words only, but asking ("..., what should i do")
            if kind is not None:
                kinds.append(kind)
            elif _asks(clause):
                return None
            elif opening := self._opening(tuple(clause)):
                kinds.append(opening)
        framing = [k for k in kinds if k in CLOSING]
        if not framing:
            return None
        long = size > FRAMED_MAX_WORDS or len(text) > MAX_CHARS
        if long and "thanks" not in framing:
            return None
        return max(framing, key=_rank)

    def _opening(self, clause: tuple[str, ...]) -> str | None:
        """The closing kind a remark opens with ("tq ya, nanti sy bgtau husband": thanks, then
        news), or None: thanks said in the same breath as the remark still frames it."""
        for cut in range(len(clause) - 1, 0, -1):
            kind = self._cover(clause[:cut], 0, {})
            if kind in CLOSING:
                return kind
        return None

    def _cover(self, tokens: tuple[str, ...], pos: int, memo: dict[int, str | None]) -> str | None:
        """The most telling kind over tokens[pos:] ("" if all of them are filler), or None if a
        word there is no small talk. Every way to read the words is tried (blind batch 18): "ni
        bot ke manusia" is filler "ni" + "bot ke manusia", not "ni bot ke" + "manusia" unread."""
        if pos == len(tokens):
            return NONE_FOUND
        if pos in memo:
            return memo[pos]
        readings: list[str] = []
        for phrase, kind in self._by_first.get(tokens[pos], ()):
            if tokens[pos : pos + len(phrase)] == phrase:
                rest = self._cover(tokens, pos + len(phrase), memo)
                if rest is not None:
                    readings += [kind, rest]
        if tokens[pos] in self._filler:
            rest = self._cover(tokens, pos + 1, memo)
            if rest is not None:
                readings.append(rest)
        kinds = [k for k in readings if k != NONE_FOUND]
        # The most telling kind wins: "ok thanks" is thanks, "hi who are you" is who.
        best = max(kinds, key=_rank) if kinds else (NONE_FOUND if readings else None)
        memo[pos] = best
        return best


def _asks(clause: list[str]) -> bool:
    """Tell whether a remark asks or requests something ("is it normal", "dah ok ke")."""
    return (
        any(w in ASKING for w in clause)
        or any(w == "ke" and b not in MOTION for b, w in zip(clause, clause[1:], strict=False))
        or clause[0] in OPENING_ASKS
        or clause[-1] in CLOSING_ASKS
    )


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
