"""Accuracy on the real FAQ: the content writer's questions find their entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.errors import read_yaml
from bot.content.models import FaqFile
from bot.faq.matcher import FaqMatcher
from tests.conftest import ROOT, TIPS_DIR
from tests.faq.conftest import SUMMARY

FAQ_PATH = TIPS_DIR / "faq.yaml"
CASES_PATH = ROOT / "tests" / "faq" / "accuracy_cases.yaml"
MIN_TOP1 = 0.90
MIN_TOP3 = 0.98


def _missing() -> list[Path]:
    return [p for p in (FAQ_PATH, CASES_PATH) if not p.exists()]


@pytest.mark.skipif(
    bool(_missing()), reason=f"FAQ accuracy: not written yet: {', '.join(map(str, _missing()))}"
)
def test_accuracy(request: pytest.FixtureRequest) -> None:
    entries = FaqFile.model_validate(read_yaml(FAQ_PATH)).faq
    cases = read_yaml(CASES_PATH)["cases"]
    known = {e.id for e in entries}
    unknown = sorted({c["expect"] for c in cases} - known)
    assert not unknown, f"accuracy cases expect entries that do not exist: {unknown}"

    matcher = FaqMatcher(entries)
    top1 = top3 = 0
    misses: list[str] = []
    for case in cases:
        result = matcher.match(str(case["q"]))
        ids = [c.entry_id for c in result.candidates]
        top1 += bool(ids) and ids[0] == case["expect"]
        top3 += case["expect"] in ids
        if not ids or ids[0] != case["expect"]:
            got = ", ".join(f"{c.entry_id} {c.score:.2f}" for c in result.candidates) or "-"
            misses.append(f"  {case['q']!r}: expected {case['expect']}, {result.kind}: {got}")

    n = len(cases)
    line = (
        f"FAQ accuracy: top-1 {top1 / n:.1%} ({top1}/{n}), top-3 {top3 / n:.1%} ({top3}/{n}) "
        f"over {len(entries)} entries"
    )
    request.config.stash[SUMMARY].append(line)
    assert top1 >= MIN_TOP1 * n and top3 >= MIN_TOP3 * n, "\n".join([line, "misses:", *misses])
