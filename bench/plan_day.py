"""CPU of the claim's planning: `plan_day` for 1,000 subscribers with 30 tips seen each.

Run: PYTHONPATH=$PWD .venv/bin/python bench/plan_day.py

The real tips and program; subscribers as bench/delivery_e2e.py seeds them (a fifth with two
topics, concerns acne, eczema or none), each with 30 tips seen on the 30 days before. Prints
the median and fastest of 20 passes, and a digest of the 1,000 choices (the same digest
before and after a change means the same choices).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from pathlib import Path

from bot.content.library import Library
from bot.content.loader import load_content
from bot.schedule.plan import Profile, plan_day

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    content = load_content(ROOT / "tips")
    library = Library(content.tips, content.program)
    rng = random.Random(7)
    now = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
    subscribers = []
    for _ in range(1000):
        topics = "fiber,sleep" if rng.random() < 0.2 else None
        concern = rng.choice(["acne", "eczema", None, None])
        seen = {}
        for day in range(30):
            seen[rng.choice(library.tips).id] = dt.date(2026, 11, 6) + dt.timedelta(days=day)
        subscribers.append((Profile("Asia/Kuala_Lumpur", topics, concern), seen))

    def once() -> list[str]:
        out = []
        for profile, seen in subscribers:
            plan = plan_day(
                library, profile, seen, due_at=now, now=now, catch_up=dt.timedelta(hours=3)
            )
            out.append(plan.tip.id if plan.tip is not None else plan.decision.value)
        return out

    digest = hashlib.sha1(",".join(once()).encode()).hexdigest()[:12]
    times = []
    for _ in range(20):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    times.sort()
    print("| workload | median ms | fastest ms | choices (digest) |")
    print("| --- | --- | --- | --- |")
    print(f"| plan_day x1,000 | {times[10] * 1000:.2f} | {times[0] * 1000:.2f} | {digest} |")


if __name__ == "__main__":
    main()
