"""A second opinion for urgent triage: a linear model over the letters and words of a message.

The phrase rules in bot.faq.urgent read what they were written for; a message put in words
nobody listed ("my candle has burnt down to the wick") slips past them. This model was fitted
(scripts/train_triage_model.py, scikit-learn's logistic regression) on every case message of
tests/faq except the held-out set, and asked only when the rules found nothing: it says how
likely a message is a crisis and how likely an emergency. Scoring is plain Python over the
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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

MODEL_FILE = Path(__file__).with_name("triage_model.json.gz")

THRESHOLD: dict[str, float] = {"crisis": 0.7, "urgent": 0.8}
"""A probability at or above this counts; lower for a crisis, whose miss costs most. Chosen on a
back-test (fitted without blind batches 150-197, scored on them beside the rules as they stood
when each batch was first scored): 216 of the rules' 285 misses caught (143 of 197 crises), 6
new false alarms among 2,027 calm messages; at 0.7 for both, 222 and 8; at 0.8 for both, 203
and 3 (bench/README.md, "Triage model")."""

MAX_CHARS = 1500
"""Only the first characters are read: the rules read the whole message; this bounds the cost
of a pasted essay (4,096 characters) without losing what a person writes first."""

NGRAMS = (3, 5)

_WORD = re.compile(r"\w\w+")

Kind = Literal["crisis", "urgent"]


def features(text: str) -> list[str]:
    """The message's features, repeated as often as they occur (training and scoring share it)."""
    text = text[:MAX_CHARS].lower()
    out: list[str] = []
    low, high = NGRAMS
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    tokens = _WORD.findall(text)
    out.extend(f"w:{t}" for t in tokens)
    out.extend(f"b:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return out


@dataclass(frozen=True)
class TriageModel:
    """Weights per feature: idf, then one weight per kind; a bias per kind."""

    kinds: tuple[Kind, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]  # feature -> (idf, weight of each kind)
    trained_on: str  # a digest of the case files it was fitted on
    checks: tuple[tuple[str, tuple[float, ...]], ...]  # messages and scikit-learn's probabilities

    def probabilities(self, text: str) -> dict[Kind, float]:
        """How likely the message is each kind, from 0 to 1."""
        counts = Counter(f for f in features(text) if f in self.weights)
        totals = [0.0] * len(self.kinds)
        norm = 0.0
        for feature, count in counts.items():
            idf, *kind_weights = self.weights[feature]
            value = (1.0 + math.log(count)) * idf
            norm += value * value
            for k, weight in enumerate(kind_weights):
                totals[k] += value * weight
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        return {
            kind: _sigmoid(total * scale + bias)
            for kind, total, bias in zip(self.kinds, totals, self.bias, strict=True)
        }

    def verdict(self, text: str) -> tuple[Kind, float] | None:
        """The likelier kind at or above its THRESHOLD, with its probability; crisis wins a tie."""
        found = [(p, kind) for kind, p in self.probabilities(text).items() if p >= THRESHOLD[kind]]
        if not found:
            return None
        p, kind = max(found, key=lambda pk: (pk[0], pk[1] == "crisis"))
        return kind, p


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def read_model(path: Path) -> TriageModel:
    """Read a model file written by scripts/train_triage_model.py."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return TriageModel(
        kinds=tuple(data["kinds"]),
        bias=tuple(data["bias"]),
        weights={k: tuple(v) for k, v in data["weights"].items()},
        trained_on=data["trained_on"],
        checks=tuple((str(t), tuple(p)) for t, p in data["checks"]),
    )


@lru_cache(maxsize=1)
def shipped_model() -> TriageModel:
    """The model that ships with the bot, read once."""
    return read_model(MODEL_FILE)
