"""A second opinion for triage and for off-topic messages: a linear model over the letters and
words of a message.

The phrase rules in bot.faq.urgent read what they were written for; a message put in words
nobody listed ("my candle has burnt down to the wick") slips past them. This model was fitted
(scripts/train_triage_model.py, scikit-learn's logistic regression) on every case message of
tests/faq except the held-out set, and asked only when the rules found nothing: it says how
likely a message is a crisis, how likely an emergency, and how likely about something else
than the clinic's subjects (the cases' kind none: food places, weather, homework...), so that
the FAQ's answer or choices give way to the honest "I don't know". Over the same features a
multinomial regression across the FAQ's entries, fitted on the cases that expect an answer,
orders the matcher's choices when it offers several (`rank`). Scoring is plain Python over the
shipped weights (bot/faq/triage_model.json.gz); nothing is fitted at run time.

Features: letter n-grams of 3 to 5 inside each word (padded with a space, so "mati" gives
" ma", "mat", ..., "ati "), whole words and word pairs; weighted by sublinear tf-idf and scaled to
unit length, as scikit-learn's TfidfTransformer does.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path
from typing import Literal

MODEL_FILE = Path(__file__).with_name("triage_model.json.gz")

THRESHOLD: dict[str, float] = {"crisis": 0.7, "urgent": 0.8, "offtopic": 0.7}
"""A probability at or above this counts; lower for a crisis, whose miss costs most. Chosen on a
back-test (fitted without blind batches 150-197, scored on them beside the rules as they stood
when each batch was first scored): 216 of the rules' 285 misses caught (143 of 197 crises), 6
new false alarms among 2,027 calm messages; at 0.7 for both, 222 and 8; at 0.8 for both, 203
and 3 (bench/README.md, "Triage model"). Off-topic at 0.7: on blind batches 150-215, fitted
without them, 32 of the 85 off-topic messages the matcher still answers or offers choices for
turn honest, and none of the 1,906 FAQ questions it answers right loses its answer."""

MAX_CHARS = 1500
"""Only the first characters are read: the rules read the whole message; this bounds the cost
of a pasted essay (4,096 characters) without losing what a person writes first."""

NGRAMS = (3, 5)
_SIZES = tuple(range(NGRAMS[0], NGRAMS[1] + 1))

WORD_CACHE = 50_000
"""Words whose known n-grams and sums are remembered (some 15 MB at most), then forgotten."""

_WORD = re.compile(r"\w\w+")

Kind = Literal["crisis", "urgent", "offtopic"]
Urgent = Literal["crisis", "urgent"]
URGENT: tuple[Urgent, ...] = ("crisis", "urgent")


def features(text: str) -> list[str]:
    """The message's features, repeated as often as they occur (training and scoring share it)."""
    text = text[:MAX_CHARS].lower()
    out: list[str] = []
    for word in text.split():
        out.extend(word_grams(word))
    out.extend(_word_features(text))
    return out


def word_grams(word: str) -> list[str]:
    """One word's letter n-grams, the word padded with a space at each end."""
    padded = f" {word} "
    size = len(padded)
    return [padded[i : i + n] for n in _SIZES if size >= n for i in range(size - n + 1)]


def _word_features(text: str) -> list[str]:
    tokens = _WORD.findall(text)
    return [f"w:{t}" for t in tokens] + [
        f"b:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)
    ]


@dataclass(frozen=True)
class TriageModel:
    """Per feature its idf squared and its idf times each kind's weight, a bias per kind; and
    the FAQ ranking's weights, per feature a few entries' (the rest pruned)."""

    kinds: tuple[Kind, ...]
    bias: tuple[float, ...]
    rows: dict[str, tuple[float, ...]]  # feature -> (idf ** 2, idf * weight of each kind)
    trained_on: str  # a digest of the case files it was fitted on
    checks: tuple[tuple[str, tuple[float, ...]], ...]  # messages and scikit-learn's probabilities
    faq_entries: tuple[str, ...] = ()  # the FAQ entries the ranking knows, in its order
    faq_bias: tuple[float, ...] = ()
    faq_weights: dict[str, dict[int, float]] = field(default_factory=dict)  # feature -> entry
    faq_checks: tuple[tuple[str, tuple[float, ...]], ...] = ()  # scikit-learn's logits
    _words: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def probabilities(self, text: str) -> dict[Kind, float]:
        """How likely the message is each kind, from 0 to 1.

        Sublinear tf-idf scaled to unit length, then a logistic regression per kind: every
        occurrence is first counted as if its feature occurred once (a word's sums are
        remembered: words recur), then the features that occur c > 1 times are corrected to
        (1 + ln c) * idf.
        """
        text = text[:MAX_CHARS].lower()
        rows = self.rows
        sums = [0.0] * (len(self.kinds) + 1)  # the norm squared, then each kind's total
        grams: list[tuple[str, ...]] = []
        for word in text.split():
            known, word_sums = self._word(word)
            grams.append(known)
            for k, value in enumerate(word_sums):
                sums[k] += value
        said = [f for f in _word_features(text) if f in rows]
        for feature in said:
            for k, value in enumerate(rows[feature]):
                sums[k] += value
        counts = Counter(chain.from_iterable(grams))
        counts.update(said)
        for feature in [f for f, c in counts.items() if c > 1]:
            count = counts[feature]
            tf = 1.0 + math.log(count)
            square, *kind_values = rows[feature]
            sums[0] += (tf * tf - count) * square
            for k, value in enumerate(kind_values, start=1):
                sums[k] += (tf - count) * value
        scale = 1.0 / math.sqrt(sums[0]) if sums[0] > 0 else 0.0
        return {
            kind: _sigmoid(total * scale + bias)
            for kind, total, bias in zip(self.kinds, sums[1:], self.bias, strict=True)
        }

    def _word(self, word: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """A word's known n-grams and the column sums of their rows."""
        cached = self._words.get(word)
        if cached is None:
            if len(self._words) >= WORD_CACHE:
                self._words.clear()
            rows = self.rows
            known = tuple(filter(rows.__contains__, word_grams(word)))
            columns = zip(*map(rows.__getitem__, known), strict=True)
            sums = tuple(map(sum, columns)) if known else (0.0,) * (len(self.kinds) + 1)
            cached = self._words[word] = (known, sums)
        return cached

    def entry_scores(self, text: str, entries: Sequence[int] | None = None) -> list[float]:
        """How strongly the message points at each FAQ entry (logits, in faq_entries' order),
        or at the given ones (their indices) only."""
        ks = range(len(self.faq_entries)) if entries is None else entries
        rows = self.rows
        text = text[:MAX_CHARS].lower()
        counts = Counter(chain.from_iterable(self._word(w)[0] for w in text.split()))
        counts.update(f for f in _word_features(text) if f in rows)
        values = [
            ((1.0 + math.log(c)) * math.sqrt(rows[f][0]), self.faq_weights.get(f))
            for f, c in counts.items()
        ]
        scale = 1.0 / math.sqrt(sum(v * v for v, _ in values) or 1.0)
        logits = []
        for k in ks:
            total = self.faq_bias[k]
            for value, weights in values:
                if weights is not None and (weight := weights.get(k)) is not None:
                    total += value * scale * weight
            logits.append(total)
        return logits

    def rank(self, text: str, entry_ids: list[str]) -> list[str] | None:
        """The matcher's choices in the order the model finds likelier, or None when it does
        not know one of them (an entry added since it was fitted)."""
        index = self._entry_index
        if not entry_ids or any(e not in index for e in entry_ids):
            return None
        logits = self.entry_scores(text, [index[e] for e in entry_ids])
        order = sorted(range(len(entry_ids)), key=lambda i: -logits[i])
        return [entry_ids[i] for i in order]

    @cached_property
    def _entry_index(self) -> dict[str, int]:
        return {e: k for k, e in enumerate(self.faq_entries)}

    def verdict(self, text: str) -> tuple[Urgent, float] | None:
        """The likelier urgent kind at or above its THRESHOLD, with its probability."""
        return urgent_in(self.probabilities(text))


def urgent_in(probabilities: dict[Kind, float]) -> tuple[Urgent, float] | None:
    """Crisis or urgent, whichever is likelier at or above its THRESHOLD; crisis wins a tie."""
    found: list[tuple[float, Urgent]] = [
        (p, kind) for kind in URGENT if (p := probabilities.get(kind, 0.0)) >= THRESHOLD[kind]
    ]
    if not found:
        return None
    p, kind = max(found, key=lambda pk: (pk[0], pk[1] == "crisis"))
    return kind, p


def off_topic_in(probabilities: dict[Kind, float]) -> bool:
    """Whether the message is about something else than the clinic's subjects (kind none)."""
    return probabilities.get("offtopic", 0.0) >= THRESHOLD["offtopic"]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def read_model(path: Path) -> TriageModel:
    """Read a model file written by scripts/train_triage_model.py."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    faq = data["faq"]
    return TriageModel(
        kinds=tuple(data["kinds"]),
        bias=tuple(data["bias"]),
        rows={
            feature: (idf * idf, *(idf * w for w in kind_weights))
            for feature, (idf, *kind_weights) in data["weights"].items()
        },
        trained_on=data["trained_on"],
        checks=tuple((str(t), tuple(p)) for t, p in data["checks"]),
        faq_entries=tuple(faq["entries"]),
        faq_bias=tuple(faq["bias"]),
        faq_weights={f: {int(k): w for k, w in kw} for f, kw in faq["weights"].items()},
        faq_checks=tuple((str(t), tuple(v)) for t, v in faq["checks"]),
    )


@lru_cache(maxsize=1)
def shipped_model() -> TriageModel:
    """The model that ships with the bot, read once."""
    return read_model(MODEL_FILE)
