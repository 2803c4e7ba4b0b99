"""Score the decision function on a case file: top-1/top-3, urgent recall, honest off-topic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.content.loader import Content
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher


@dataclass
class Figures:
    """Counts per kind of case, and the cases that went wrong."""

    answers: int = 0
    top1: int = 0
    top3: int = 0
    urgent: int = 0
    urgent_caught: int = 0
    offtopic: int = 0
    offtopic_honest: int = 0
    smalltalk: int = 0
    smalltalk_ok: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        """One summary line with every figure."""
        parts = [f"{name}:"]
        if self.answers:
            parts.append(
                f"top-1 {_pc(self.top1, self.answers)}, top-3 {_pc(self.top3, self.answers)}"
            )
        if self.urgent:
            parts.append(f"urgent/crisis recall {_pc(self.urgent_caught, self.urgent)}")
        if self.offtopic:
            parts.append(f"off-topic honest {_pc(self.offtopic_honest, self.offtopic)}")
        if self.smalltalk:
            parts.append(f"small talk {_pc(self.smalltalk_ok, self.smalltalk)}")
        return " ".join([parts[0], "; ".join(parts[1:])])


def _pc(n: int, d: int) -> str:
    return f"{n / d:.1%} ({n}/{d})"


def evaluate(cases: Iterable[Mapping[str, Any]], content: Content, matcher: FaqMatcher) -> Figures:
    """Run every case through questions.triage and count what a user would have got."""
    figures = Figures()
    for case in cases:
        q = str(case["q"])
        lang = str(case.get("language") or "en")
        reply = questions.triage(content, matcher, q, lang)
        ids = [c.entry_id for c in reply.scores] if reply.outcome != "smalltalk" else []
        shown = [e.id for e in reply.entries]
        got = f"{reply.outcome} {reply.sign_id or reply.smalltalk or ''} " + ", ".join(
            f"{c.entry_id} {c.score:.2f}" for c in reply.scores
        )
        expect = case.get("expect")
        kind = case.get("kind")
        if expect is not None:
            figures.answers += 1
            hit1 = bool(shown) and shown[0] == expect
            figures.top1 += hit1
            figures.top3 += expect in shown[:3]
            if not hit1:
                figures.misses.append(f"  {q!r}: expected {expect}, got {got} (ranked {ids})")
        elif kind in ("urgent", "crisis"):
            figures.urgent += 1
            caught = reply.outcome in ("urgent", "crisis")
            figures.urgent_caught += caught
            if not caught:
                figures.misses.append(f"  {q!r}: expected {kind}, got {got}")
        elif kind == "none":
            figures.offtopic += 1
            honest = reply.outcome in ("unanswered", "smalltalk")
            figures.offtopic_honest += honest
            if not honest:
                figures.misses.append(f"  {q!r}: expected none, got {got}")
        elif kind == "smalltalk":
            figures.smalltalk += 1
            ok = reply.outcome == "smalltalk"
            figures.smalltalk_ok += ok
            if not ok:
                figures.misses.append(f"  {q!r}: expected small talk, got {got}")
    return figures
