"""Spot messages describing urgent symptoms, before any FAQ matching, erring towards caution."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.content.models import UrgentFile as UrgentFile  # re-exported: it used to live here
from bot.content.models import UrgentSign as UrgentSign
from bot.faq.normalise import NEGATORS, STOPWORDS, nearest_window, variants, words

WINDOW_SLACK = 3
"""Other words allowed among a phrase's words: "face got really swollen after the laser"."""

NEGATION_REACH = 1
"""A negator this many words before a phrase (or inside it) cancels it: "no fever"."""

FUZZY_CUTOFF = 85
"""rapidfuzz ratio for a typo to count: "bengak"~"bengkak" 92, "swolen"~"swollen" 92."""

FUZZY_MIN_LEN = 5
"""Short words are too close to other short words to guess at."""

FUZZY_MAX_LEN = 30
"""Longer tokens are not words; skip fuzzy work on them."""

MAX_FUZZY_TOKENS = 40
"""Unknown words looked up fuzzily per message, to bound time on long or hostile input."""


@dataclass(frozen=True, slots=True)
class UrgentFinding:
    """An urgent sign found in a message, and the phrase that matched it."""

    sign_id: str
    phrase: str


# A compiled phrase: one set of accepted keys per word slot.
_Slots = tuple[frozenset[str], ...]


class _Compiled:
    """Signs turned into key sets once, with the vocabulary typos are matched against."""

    def __init__(self, signs: Sequence[UrgentSign]) -> None:
        self.signs = tuple(signs)  # held so the ids in the cache key stay unique
        self.phrases = tuple(
            (sign.id, phrase, _compile_phrase(phrase))
            for sign in self.signs
            for lang in sorted(sign.phrases)
            for phrase in sign.phrases[lang]
        )
        self.vocabulary = frozenset(k for _, _, slots in self.phrases for s in slots for k in s)
        self.choices = tuple(sorted(self.vocabulary))
        self.fuzzy_cache: dict[str, frozenset[str]] = {}

    def fuzzy(self, token: str) -> frozenset[str]:
        """Return the vocabulary keys a mistyped token probably stands for."""
        found = self.fuzzy_cache.get(token)
        if found is None:
            hits = process.extract(
                token, self.choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
            )
            found = frozenset(key for key, _, _ in hits)
            if len(self.fuzzy_cache) < 4096:
                self.fuzzy_cache[token] = found
        return found


_compiled: dict[tuple[int, ...], _Compiled] = {}


def _compile(signs: Sequence[UrgentSign]) -> _Compiled:
    key = tuple(id(s) for s in signs)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) > 8:  # content reloads are rare; keep the newest few
            _compiled.clear()
        found = _compiled[key] = _Compiled(signs)
    return found


def detect_urgent(text: str, signs: Sequence[UrgentSign]) -> UrgentFinding | None:
    """Return the first urgent sign the message describes, or None."""
    compiled = _compile(signs)
    vocabulary = compiled.vocabulary
    # Stopwords go, except those a phrase needs ("tak boleh nafas") and negators; each kept
    # token remembers its place among all the words, so negation is judged on what was typed.
    raw = words(text)
    kept = [
        (i, t)
        for i, t in enumerate(raw)
        if t in NEGATORS or t in vocabulary or (len(t) > 1 and t not in STOPWORDS)
    ]
    if not kept:
        return None
    tokens = [t for _, t in kept]
    context = _Context(raw, tuple(i for i, _ in kept))
    positions: dict[str, list[int]] = {}
    fuzzy_budget = MAX_FUZZY_TOKENS
    for pos, token in enumerate(tokens):
        keys = set(variants(token))
        if not keys & vocabulary and FUZZY_MIN_LEN <= len(token) <= FUZZY_MAX_LEN and fuzzy_budget:
            fuzzy_budget -= 1
            keys |= compiled.fuzzy(token)
        for key in keys:
            positions.setdefault(key, []).append(pos)
    present = positions.keys()
    for sign_id, phrase, slots in compiled.phrases:
        # Cheap rejection first: most phrases miss at least one word entirely.
        if any(present.isdisjoint(slot) for slot in slots):
            continue
        if _found(slots, positions, context):
            return UrgentFinding(sign_id, phrase)
    return None


@dataclass(frozen=True, slots=True)
class _Context:
    """All words of the message, and where each kept token stood among them."""

    raw: list[str]
    raw_index: tuple[int, ...]


def _found(slots: _Slots, positions: dict[str, list[int]], context: _Context) -> bool:
    """Tell whether every slot occurs close together, at least once without a negator."""
    slot_positions = [sorted({p for key in slot for p in positions.get(key, ())}) for slot in slots]
    limit = len(slots) + WINDOW_SLACK
    span = nearest_window(slot_positions)
    if span is None or span > limit:
        return False
    # Try each occurrence of the first word as an anchor: any un-negated occurrence counts,
    # so "no fever yesterday, now fever and rash" still triggers.
    for anchor in slot_positions[0]:
        chosen = [anchor]
        for plist in slot_positions[1:]:
            chosen.append(min(plist, key=lambda p: abs(p - anchor)))
        if max(chosen) - min(chosen) < limit and not _negated(chosen, context):
            return True
    return False


def _negated(chosen: list[int], context: _Context) -> bool:
    """Tell whether a negator stands just before the phrase, or inside it, as typed."""
    used = {context.raw_index[p] for p in chosen}
    start, end = min(used), max(used)
    for pos in range(max(0, start - NEGATION_REACH), end + 1):
        if pos not in used and context.raw[pos] in NEGATORS:
            return True
    return False


@lru_cache(maxsize=512)
def _compile_phrase(phrase: str) -> _Slots:
    slots: list[frozenset[str]] = []
    for word in phrase.split():
        keys: set[str] = set()
        for alternative in word.split("|"):
            for token in words(alternative):
                keys.update(variants(token))
        if keys:
            slots.append(frozenset(keys))
    return tuple(slots)
