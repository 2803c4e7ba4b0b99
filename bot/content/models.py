"""Validated models for everything under tips/: tips, FAQ, clinics, program, catalogs."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

LANGUAGES: tuple[str, ...] = ("en", "ms")
"""Languages every piece of content must carry. Add "zh" here (and its texts) to grow."""

# Ids travel in callback data ("branch:<id>", at most 64 bytes), so they stay under 57.
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,55}$"
Id = Annotated[str, Field(pattern=ID_PATTERN)]


class Strict(BaseModel):
    """Base for content models: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        problem = control_character_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


def control_character_problem(value: Any) -> str | None:
    """Why a text (or the texts inside a dict, list or tuple) cannot be content, or None.

    Control characters (NUL, escape, C1 codes...) are invisible, break PostgreSQL text
    columns (NUL) and can mangle a chat message; only newline and tab have a use in content.
    """
    if isinstance(value, str):
        for char in value:
            if char not in "\n\t" and unicodedata.category(char) == "Cc":
                return (
                    f"control character U+{ord(char):04X} is not allowed "
                    "(only newline and tab); remove it"
                )
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        items = value
    for item in items:
        problem = control_character_problem(item)
        if problem is not None:
            return problem
    return None


class Topic(StrEnum):
    """What a tip is about. The first four are the core topics subscribers choose from."""

    FIBER = "fiber"
    FERMENTED = "fermented"
    SLEEP = "sleep"
    STRESS = "stress"
    PREBIOTICS = "prebiotics"
    TRIGGER_FOODS = "trigger_foods"
    FOOD_JOURNAL = "food_journal"
    EXERCISE = "exercise"
    HYDRATION = "hydration"
    GUT_SKIN_AXIS = "gut_skin_axis"


V = TypeVar("V")

CORE_TOPICS: tuple[Topic, ...] = (Topic.FIBER, Topic.FERMENTED, Topic.SLEEP, Topic.STRESS)


class Concern(StrEnum):
    """A skin concern a subscriber may name, used to raise matching content."""

    ECZEMA = "eczema"
    ACNE = "acne"
    PSORIASIS = "psoriasis"
    ROSACEA = "rosacea"


class Review(Strict):
    """Who looked at a piece of health content, and when."""

    status: Annotated[str, Field(pattern=r"^(draft|reviewed)$")]
    by: Annotated[str, Field(min_length=2, max_length=80)]
    on: dt.date


class TipText(Strict):
    """One language's wording of a tip."""

    title: Annotated[str, Field(min_length=3, max_length=80)]
    body: Annotated[str, Field(min_length=40, max_length=700)]
    try_today: Annotated[str, Field(min_length=10, max_length=300)]


class _Worded(Strict):
    """Health content worded in every language (`text`: language -> wording)."""

    @field_validator("text", check_fields=False)
    @classmethod
    def _every_language(cls, value: dict[str, V]) -> dict[str, V]:
        return _require_languages(value)


class Tip(_Worded):
    """A daily tip: one idea, one action, a source."""

    id: Id
    topic: Topic
    concerns: tuple[Concern, ...] = ()
    source: HttpUrl
    review: Review
    text: dict[str, TipText]


class FaqText(Strict):
    """One language's wording of an FAQ entry."""

    question: Annotated[str, Field(min_length=5, max_length=200)]
    answer: Annotated[str, Field(min_length=40, max_length=800)]


class FaqEntry(_Worded):
    """A reviewed question and answer, found by keywords in either language."""

    id: Id
    topic: Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]
    related_topics: tuple[Topic, ...] = ()
    keywords: dict[str, tuple[Annotated[str, Field(min_length=2, max_length=60)], ...]]
    source: HttpUrl | None = None
    review: Review
    text: dict[str, FaqText]

    @field_validator("keywords")
    @classmethod
    def _keywords_every_language(
        cls, value: dict[str, tuple[str, ...]]
    ) -> dict[str, tuple[str, ...]]:
        value = _require_languages(value)
        for lang, words in value.items():
            if not words:
                raise ValueError(f"needs at least one keyword in {lang!r}")
        return value


class Clinic(Strict):
    """A branch where a patient can book a consultation."""

    id: Id
    name: dict[str, Annotated[str, Field(min_length=2, max_length=80)]]
    area: Annotated[str, Field(min_length=2, max_length=80)]
    address: Annotated[str, Field(min_length=5, max_length=300)]
    hours: dict[str, Annotated[str, Field(min_length=3, max_length=300)]]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{6,20}$")]
    whatsapp: Annotated[str, Field(pattern=r"^[0-9]{8,15}$")]
    map_url: HttpUrl
    booking_url: HttpUrl
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]

    @field_validator("name", "hours")
    @classmethod
    def _every_language(cls, value: dict[str, str]) -> dict[str, str]:
        return _require_languages(value)


class _Listing(Strict):
    """A file that lists items by id: no id twice."""

    listed: ClassVar[str]  # the field that lists them
    what: ClassVar[str]  # what one is called in a problem

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        _require_unique([item.id for item in getattr(self, self.listed)], self.what)
        return self


class TipsFile(_Listing):
    """tips/tips.yaml."""

    listed, what = "tips", "tip"
    tips: tuple[Tip, ...]


class FaqFile(_Listing):
    """tips/faq.yaml."""

    listed, what = "faq", "FAQ entry"
    faq: tuple[FaqEntry, ...]


class ClinicsFile(_Listing):
    """tips/clinics.yaml."""

    listed, what = "clinics", "clinic"
    clinics: Annotated[tuple[Clinic, ...], Field(min_length=1)]


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    """Return the {names} a catalog message expects."""
    return set(_PLACEHOLDER.findall(text))


def _require_languages(
    value: dict[str, V], missing_is: str = "missing language(s)", *, empty_is_missing: bool = False
) -> dict[str, V]:
    """Every language of LANGUAGES and no other (`empty_is_missing`: an empty value for a
    language counts as missing, said as `missing_is`)."""
    missing = [
        lang for lang in LANGUAGES if lang not in value or (empty_is_missing and not value[lang])
    ]
    unknown = [lang for lang in value if lang not in LANGUAGES]
    if missing:
        raise ValueError(f"{missing_is}: {', '.join(missing)}")
    if unknown:
        raise ValueError(f"unknown language(s): {', '.join(unknown)}")
    return value


def _require_unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id {item!r}")
        seen.add(item)


WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MIX = "mix"
"""A program day that draws from the mixed-in topics instead of one core topic."""


class ProgramDate(Strict):
    """One calendar date that differs from the weekly rotation."""

    date: dt.date
    skip: bool = False
    tip: Id | None = None
    topic: Topic | None = None
    note: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_change(self) -> ProgramDate:
        if sum((self.skip, self.tip is not None, self.topic is not None)) != 1:
            raise ValueError("give exactly one of skip: true, tip: <id> or topic: <topic>")
        return self


class Program(Strict):
    """tips/schedule.yaml: which topic comes on which weekday, and dates that differ."""

    weekdays: dict[str, Topic | Annotated[str, Field(pattern=r"^mix$")]]
    mix: Annotated[tuple[Topic, ...], Field(min_length=1)]
    dates: tuple[ProgramDate, ...] = ()

    @field_validator("weekdays")
    @classmethod
    def _every_weekday(cls, value: dict[str, Topic | str]) -> dict[str, Topic | str]:
        missing = [day for day in WEEKDAYS if day not in value]
        unknown = [day for day in value if day not in WEEKDAYS]
        if missing or unknown:
            raise ValueError(
                "needs exactly the seven weekdays"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        return value

    @field_validator("mix")
    @classmethod
    def _mix_not_core(cls, value: tuple[Topic, ...]) -> tuple[Topic, ...]:
        core = [t.value for t in value if t in CORE_TOPICS]
        if core:
            raise ValueError(f"core topics come on their own days, not in mix: {core}")
        return value

    @model_validator(mode="after")
    def _unique_dates(self) -> Program:
        _require_unique([d.date.isoformat() for d in self.dates], "program date")
        return self

    def on(self, day: dt.date) -> ProgramDate | Topic | str:
        """What the program says for a date: an override, a topic, or MIX."""
        for override in self.dates:
            if override.date == day:
                return override
        return self.weekdays[WEEKDAYS[day.weekday()]]


_HAS_LETTER = re.compile(r"[^\W\d_]")
"""bot.faq.urgent looks for words: letters, maybe with digits (not digits alone)."""
ANY_WORD = "*"
"""In an idiom (`not_when`), any one word: "jump on the * bandwagon"."""

WINDOW_SLACK = 3
"""Other words allowed among a phrase's words: "face got really swollen after the laser"."""

Phrase = Annotated[str, Field(min_length=2, max_length=1000)]
Kind = Literal["urgent", "crisis"]
LexiconName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
LEXICON_MARK = "@"
"""A phrase word "@die" stands for every word of the sign's lexicon "die"."""


class PhraseSpec(Strict):
    """A phrase with its own window: `slack` and `ordered` override the sign's for it alone."""

    words: Phrase
    slack: Annotated[int, Field(ge=0, le=10)] | None = None
    ordered: bool | None = None


PhraseItem = Phrase | PhraseSpec
PhraseGroup = Annotated[tuple[PhraseItem, ...], Field(min_length=1)]
"""One group of a combination: any of its phrases counts for the group."""


class UrgentSign(Strict):
    """One urgent sign and the phrases that describe it.

    A phrase is words that must all appear close together (at most `slack` other words among
    them), in any order unless `ordered`; a word may list alternatives with "|"
    ("swollen|bengkak lips|bibir"). A negator ("no", "tak") inside a phrase is part of it
    ("tak boleh nafas"); one just before it cancels it ("no fever").

    `all_of` is a combination: groups of phrases, each group matched anywhere in the message
    (infected or pus, together with fever or chills). Its groups mix languages on purpose,
    because so do the messages ("bisul with demam"). `combinations` holds more of them, each
    matched on its own: a sign may need several "A together with B" (an ambiguous wording
    that counts only beside a second signal).

    `lexicons` name word lists that phrases use as one word: "@want @die" is every word of
    "want" followed by every word of "die", so a new way of saying it ("teringin mampus")
    needs a word added to a list, not a new phrase. `not_when` lists idioms ("dead skin",
    "kulit mati", "dying to"): their words never count towards this sign.
    """

    id: Id
    kind: Kind = "urgent"
    lexicons: dict[LexiconName, tuple[Annotated[str, Field(min_length=1, max_length=40)], ...]] = (
        Field(default_factory=dict)
    )
    phrases: dict[str, tuple[PhraseItem, ...]] = Field(default_factory=dict)
    all_of: tuple[PhraseGroup, ...] = ()
    combinations: tuple[tuple[PhraseGroup, ...], ...] = ()
    slack: Annotated[int, Field(ge=0, le=10)] = WINDOW_SLACK
    ordered: bool = False
    not_when: tuple[Phrase, ...] = ()
    not_typos: tuple[Annotated[str, Field(min_length=2, max_length=40)], ...] = ()

    @field_validator("phrases")
    @classmethod
    def _every_language(
        cls, value: dict[str, tuple[PhraseItem, ...]]
    ) -> dict[str, tuple[PhraseItem, ...]]:
        if not value:
            return value
        return _require_languages(value, "needs phrases in", empty_is_missing=True)

    @field_validator("all_of")
    @classmethod
    def _groups(
        cls, value: tuple[tuple[PhraseItem, ...], ...]
    ) -> tuple[tuple[PhraseItem, ...], ...]:
        if value and len(value) < 2:
            raise ValueError("all_of needs at least two groups (one is just phrases)")
        return value

    @field_validator("combinations")
    @classmethod
    def _combinations(
        cls, value: tuple[tuple[tuple[PhraseItem, ...], ...], ...]
    ) -> tuple[tuple[tuple[PhraseItem, ...], ...], ...]:
        if any(len(groups) < 2 for groups in value):
            raise ValueError("a combination needs at least two groups (one is just phrases)")
        return value

    def every_combination(self) -> tuple[tuple[tuple[PhraseItem, ...], ...], ...]:
        """`all_of` (when given) and then each of `combinations`."""
        return ((self.all_of,) if self.all_of else ()) + self.combinations

    @model_validator(mode="after")
    def _something_to_find(self) -> UrgentSign:
        if not self.phrases and not self.every_combination():
            raise ValueError("needs phrases (in every language) or all_of")
        every = [p for ps in self.phrases.values() for p in ps]
        every += [p for groups in self.every_combination() for group in groups for p in group]
        for item in every:
            text = item.words if isinstance(item, PhraseSpec) else item
            if not _HAS_LETTER.search(self.expand(text)):
                raise ValueError(f"phrase {text!r} has no words to look for")
        for idiom in self.not_when:
            if not _HAS_LETTER.search(self.expand(idiom)):
                raise ValueError(f"not_when {idiom!r} has no words to look for")
            if idiom.split()[0] == ANY_WORD or idiom.split()[-1] == ANY_WORD:
                raise ValueError(f"not_when {idiom!r}: {ANY_WORD!r} stands only between words")
        return self

    def expand(self, phrase: str) -> str:
        """Replace each "@name" in a phrase by its lexicon's words joined with "|"."""
        out: list[str] = []
        for word in phrase.split():
            alternatives: list[str] = []
            for alternative in word.split("|"):
                if alternative.startswith(LEXICON_MARK):
                    name = alternative[len(LEXICON_MARK) :]
                    if name not in self.lexicons:
                        raise ValueError(f"phrase {phrase!r} uses unknown lexicon {name!r}")
                    alternatives.extend(self.lexicons[name])
                else:
                    alternatives.append(alternative)
            out.append("|".join(alternatives))
        return " ".join(out)

    def written(self) -> list[str]:
        """Every phrase of the sign (idioms aside), lexicons expanded."""
        items = [p for ps in self.phrases.values() for p in ps]
        items += [p for groups in self.every_combination() for group in groups for p in group]
        return [self.expand(p.words if isinstance(p, PhraseSpec) else p) for p in items]


class UrgentFile(Strict):
    """tips/urgent.yaml."""

    urgent: Annotated[tuple[UrgentSign, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> UrgentFile:
        seen: set[str] = set()
        for sign in self.urgent:
            if sign.id in seen:
                raise ValueError(f"duplicate urgent sign id {sign.id!r}")
            seen.add(sign.id)
        return self


class SmallTalk(Strict):
    """One kind of small talk and the phrases that say it."""

    id: Id
    phrases: Annotated[tuple[str, ...], Field(min_length=1)]


class SmallTalkFile(Strict):
    """tips/smalltalk.yaml."""

    filler: tuple[str, ...] = ()
    smalltalk: Annotated[tuple[SmallTalk, ...], Field(min_length=1)]
