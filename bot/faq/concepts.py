"""Everyday words mapped to concepts (tips/synonyms.yaml), so paraphrases meet the FAQ's text."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.config import ConfigError, Settings
from bot.content.errors import read_yaml
from bot.faq.normalise import COMMON, NEUTRAL, STOPWORDS, variants, words

FILENAME = "synonyms.yaml"
SHIPPED = Path(__file__).resolve().parents[2] / "tips" / FILENAME
"""The repository's copy, used when the configured content folder has none."""

log = logging.getLogger(__name__)


NOT_STEMS = (
    COMMON
    | NEUTRAL
    | STOPWORDS
    | frozenset(["shes", "ries", "temp", "rambut", "expect", "merah", "tekan", "ingat", "nurs"])
)
"""Stems of a concept's words that are words of their own, so never the concept: everyday words
("orang" is no stem of "oranges", "lama" of "selamanya", "dekat" of "terdekat", "awak" of
"awake") and other words a stemmer reaches ("she's" is no stem of "dishes", "rambut", hair, of
"rambutan", "temp" of "tempe", "expect" of "expecting", "merah", red, of "kemerahan", as "red"
is no rosacea word, "tekan", press, of "tertekan", "ingat", to remember or think, of
"peringatan", a reminder, "nurs" of "nursing": the clinic's nurse nurses no baby; blind batches
32-36). Malay sweep: "org", "dekat" and "lama" are
in many Malay messages and named plants, the branch and a cure in each."""


class Concept(BaseModel):
    """One concept: the words that stand for it, and whether only this bot's subjects use it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    words: tuple[str, ...] = Field(min_length=1)
    phrases: tuple[str, ...] = ()
    topical: bool = False
    family: str | None = None
    """A broader concept this one is a kind of (fruit and vegetables are food): "is durian bad
    for acne" asks the acne-and-food question. Not for concepts an entry is about on its own
    ("dairy", "sugar"): "susu buat jerawat" is the dairy question, not also the food one.
    Skin conditions (acne, eczema) are kinds of skin: "anxious, my eczema flares" asks the
    stress-and-skin question. A family named this way counts half (matcher.FAMILY_SHARE)."""
    situation: bool = False
    """A situation that changes any advice ("pregnant", "my child"): when a message names it,
    the entry most about it is offered beside the best match ("breastfeeding, can i take fish
    oil" gets the supplements answer and the pregnancy one), even when another entry wins."""
    leads: bool = False
    """A situation whose entry answers whatever else the message asks about it ("pregnant 5
    months, can i take probiotics": the pregnancy answer covers probiotics): its entry is
    offered first, the best match beside it (blind batches 11-91: 104 of 109 questions naming
    a pregnancy were about it)."""
    service: bool = False
    """A topical concept naming a service ("book", "cancel", "delete", "address") rather than a
    subject of the bot's: other businesses' messages use the same words, so alone it does not
    make a message about us when it also names something else ("cancel my netflix")."""

    @field_validator("words")
    @classmethod
    def _single_words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for word in value:
            if words(word) != [word]:
                raise ValueError(f"{word!r} is not one lowercase word")
        return value

    @field_validator("phrases")
    @classmethod
    def _two_words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in value:
            if len(words(phrase)) != 2 or " ".join(words(phrase)) != phrase:
                raise ValueError(f"{phrase!r} is not two lowercase words")
        return value


class ConceptFile(BaseModel):
    """tips/synonyms.yaml: concept name -> its words. A word belongs to one concept only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concepts: dict[str, Concept]

    @model_validator(mode="after")
    def _each_word_once(self) -> ConceptFile:
        seen: dict[str, str] = {}
        for name, concept in self.concepts.items():
            for word in (*concept.words, *concept.phrases):
                if word in seen:
                    raise ValueError(f"{word!r} is in both {seen[word]!r} and {name!r}")
                seen[word] = name
        return self


class Concepts:
    """Look up the concept a word stands for, by the word or one of its stems."""

    def __init__(self, data: ConceptFile) -> None:
        """Index every word and its stems (a listed word wins over another's stem)."""
        self._of: dict[str, str] = {}
        self.members = {name: c.words for name, c in data.concepts.items()}
        self._phrases = {
            tuple(phrase.split()): name for name, c in data.concepts.items() for phrase in c.phrases
        }
        self.topical = frozenset(n for n, c in data.concepts.items() if c.topical)
        self.service = frozenset(n for n, c in data.concepts.items() if c.service)
        self.situation = frozenset(n for n, c in data.concepts.items() if c.situation)
        self.leads = frozenset(n for n, c in data.concepts.items() if c.situation and c.leads)
        self.family = {n: c.family for n, c in data.concepts.items() if c.family is not None}
        for name, concept in data.concepts.items():
            for word in concept.words:
                self._of[word] = name
        for name, concept in data.concepts.items():
            for word in concept.words:
                for key in variants(word)[1:]:
                    if key not in NOT_STEMS:
                        self._of.setdefault(key, name)

    def of(self, word: str) -> str | None:
        """Return the concept of a word, or None."""
        for key in variants(word):
            name = self._of.get(key)
            if name is not None:
                return name
        return None

    def phrase_words(self, raw: list[str]) -> frozenset[str]:
        """Return the words standing in a two-word phrase ("cream" in "ice cream"): they mean
        the phrase's concept, not their own."""
        if not self._phrases:
            return frozenset()
        return frozenset(word for pair in _pairs(raw) if pair in self._phrases for word in pair)

    def in_phrases(self, raw: list[str]) -> list[str]:
        """Return the concepts named by two-word phrases ("how much", "datang bulan")."""
        if not self._phrases:
            return []
        return [name for pair in _pairs(raw) if (name := self._phrases.get(pair)) is not None]


OBJECTS = frozenset(["me", "you", "him", "her", "us", "them", "it"])
"""A pronoun a phrasal verb takes in its middle ("will dairy break me out", "write it down",
"add them back"): the phrase still stands around it (blind batch 68)."""


def _pairs(raw: list[str]) -> list[tuple[str, str]]:
    """Adjacent words, and the two words around an object pronoun."""
    pairs = list(zip(raw, raw[1:], strict=False))
    pairs += [(a, c) for a, b, c in zip(raw, raw[1:], raw[2:], strict=False) if b in OBJECTS]
    return pairs


@functools.cache
def shipped() -> Concepts:
    """The concepts of the content folder (Settings.tips_dir), else the repository's; once."""
    for path in (_configured() / FILENAME, SHIPPED):
        if path.exists():
            return Concepts(ConceptFile.model_validate(read_yaml(path)))
    log.warning("no %s in the content folder: FAQ matching uses keywords only", FILENAME)
    return Concepts(ConceptFile(concepts={}))


def _configured() -> Path:
    try:
        return Settings().tips_dir
    except (ConfigError, ValueError):  # a bad setting is reported where the bot starts
        return Path("tips")
