"""Time FAQ matching and urgent triage per message on a 200-entry FAQ.

Run: .venv/bin/python bench/faq_match.py
Goals: p99 < 2 ms per ordinary message; < 20 ms for a 4096-character hostile message.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.content.errors import read_yaml
from bot.content.loader import load_content
from bot.content.models import FaqEntry, FaqFile, UrgentFile
from bot.faq import answer as decision
from bot.faq import normalise
from bot.faq.matcher import FaqMatcher
from bot.faq.model import shipped_model
from bot.faq.normalise import variants
from bot.faq.urgent import detect_urgent

ROOT = Path(__file__).resolve().parent.parent
TARGET_ENTRIES = 200
RANDOM_MESSAGES = 300
REPEATS = 5


def synthetic_entries(real: Sequence[FaqEntry], count: int, rng: random.Random) -> list[FaqEntry]:
    """Make entries like the real ones, with shuffled and slightly altered keywords."""
    pool_en = [k for e in real for k in e.keywords["en"]]
    pool_ms = [k for e in real for k in e.keywords["ms"]]
    out: list[FaqEntry] = []
    for i in range(count):
        base = real[i % len(real)]
        keywords = {
            "en": tuple(_mutate(k, rng) for k in rng.sample(pool_en, 10)),
            "ms": tuple(_mutate(k, rng) for k in rng.sample(pool_ms, 8)),
        }
        out.append(base.model_copy(update={"id": f"synthetic-{i:03d}", "keywords": keywords}))
    return out


def _mutate(keyword: str, rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(
        rng.choice(letters) if c.isalpha() and rng.random() < 0.15 else c for c in keyword
    )


def random_messages(vocabulary: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """Make messages of 3-25 words from the FAQ's own words, typos and noise."""
    noise = ["lah", "ke", "😭", "pls", "doc", "sooo", "acneee", "xyzzy", "kat", "mcm mana"]
    messages = []
    for _ in range(count):
        picked = [rng.choice(vocabulary) for _ in range(rng.randint(3, 25))]
        picked += rng.sample(noise, 2)
        rng.shuffle(picked)
        messages.append(" ".join(_mutate(w, rng) if rng.random() < 0.3 else w for w in picked))
    return messages


def adversarial(rng: random.Random) -> dict[str, str]:
    """Hostile 4096-character messages: repeats, near-miss tokens, one long token."""
    near_miss = " ".join(
        "".join(rng.choice("aeioubkmnprstl") for _ in range(rng.randint(4, 12))) for _ in range(700)
    )
    return {
        "repeated letters": ("aaaaaaaaaaeeeeeeeeee" * 205)[:4096],
        "near-miss tokens": near_miss[:4096],
        "one long token": "probiotik" * 455,
        "mixed": ("ekzemaa probiotc " * 100 + "bengkak " * 100 + "x" * 2000)[:4096],
        "emoji and RTL": ("😭 مرحبا \u202e acne " * 300)[:4096],
        # Urgent words everywhere, but every one negated or out of order: no early exit.
        "negated urgent words": ("no fever no pus tak demam tak nanah not red eyes " * 90)[:4096],
        "urgent typo storm": ("nfas dmam bisl nanh demma sesk lidh bibr " * 100)[:4096],
        "letters typed apart": ("k i l l m y s e l f " * 205)[:4096],
    }


def timed(
    fn: Callable[[], object], repeats: int = REPEATS, setup: Callable[[], object] = str
) -> float:
    """Return the best of a few runs, in microseconds: the machine's noise is not the code's."""
    best = float("inf")
    for _ in range(repeats):
        setup()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Build a 200-entry matcher, time messages, and print a table."""
    gc.disable()  # a collection landing in one sample says nothing about matching
    rng = random.Random(20261121)
    real = FaqFile.model_validate(read_yaml(ROOT / "tips" / "faq.yaml")).faq
    entries = [*real, *synthetic_entries(real, TARGET_ENTRIES - len(real), rng)]
    signs = UrgentFile.model_validate(read_yaml(ROOT / "tips" / "urgent.yaml")).urgent

    started = time.perf_counter()
    matcher = FaqMatcher(entries)

    build_ms = (time.perf_counter() - started) * 1e3
    # The whole decision the bot makes (urgent, small talk, language, match) on the same FAQ.
    content = dataclasses.replace(load_content(ROOT / "tips"), faq=tuple(entries))

    def triage(text: str) -> object:
        return decision.triage(content, matcher, text, "en")

    model = shipped_model()  # read once, as the bot does

    cases_path = ROOT / "tests" / "faq" / "accuracy_cases.yaml"
    questions = [str(c["q"]) for c in read_yaml(cases_path)["cases"]] if cases_path.exists() else []
    vocabulary = [w for e in real for k in e.keywords.values() for p in k for w in p.split()]
    messages = random_messages(vocabulary, RANDOM_MESSAGES, rng)

    print(f"FAQ entries: {len(entries)} ({len(real)} real), index built in {build_ms:.1f} ms")
    print(f"{'workload':<40}{'n':>5}{'p50 us':>9}{'p99 us':>9}{'max us':>9}")

    # The bot keeps one matcher, whose typo cache warms up; "cold" empties it before each run,
    # which is what a message full of new typos costs.
    def cold() -> None:
        matcher._fuzzy_cache.clear()  # noqa: SLF001 - a benchmark may reach in
        variants.cache_clear()  # the memoised stems, too: new words cost their stemming
        normalise._words.cache_clear()  # noqa: SLF001 - and the last messages' words
        model._words.clear()  # noqa: SLF001 - and the triage model's sums per word

    def forget_words() -> None:  # triage's typo guesses stay warm, as they always were here
        normalise._words.cache_clear()  # noqa: SLF001

    rows: list[tuple[str, list[str], Callable[[str], object], Callable[[], object]]] = []
    for name, batch in (("accuracy questions", questions), ("random messages", messages)):
        rows += [
            (f"{name}: match, cold", batch, matcher.match, cold),
            (f"{name}: match, warm", batch, matcher.match, str),
            (f"{name}: urgent", batch, lambda t: detect_urgent(t, signs), forget_words),
            (f"{name}: triage model, cold", batch, model.probabilities, model._words.clear),
            (f"{name}: whole decision, cold", batch, triage, cold),
        ]
    for label, batch, fn, setup in rows:
        if not batch:
            continue
        times = [timed(functools.partial(fn, text), setup=setup) for text in batch]
        print(
            f"{label:<40}{len(times):>5}{statistics.median(times):>9.0f}"
            f"{percentile(times, 99):>9.0f}{max(times):>9.0f}"
        )
    print()
    print(
        f"{'4096-char input (cold)':<34}{'match ms':>10}{'urgent ms':>10}{'model ms':>10}"
        f"{'whole ms':>10}"
    )
    for name, text in adversarial(rng).items():
        match_ms = timed(functools.partial(matcher.match, text), setup=cold) / 1e3
        urgent_ms = timed(functools.partial(detect_urgent, text, signs), setup=forget_words) / 1e3
        model_ms = timed(functools.partial(model.probabilities, text)) / 1e3
        whole_ms = timed(functools.partial(triage, text), setup=cold) / 1e3
        print(f"{name:<34}{match_ms:>10.2f}{urgent_ms:>10.2f}{model_ms:>10.2f}{whole_ms:>10.2f}")


if __name__ == "__main__":
    main()
