"""The stats chart: subscribers and deliveries per day, drawn as a PNG. No Telegram here.

matplotlib draws on the Agg backend through its object API (no pyplot, so no global state
and no GUI); drawing takes a few hundred milliseconds of CPU, so callers in the event loop
run `overview_png` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.admin.stats import Day

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Delivery outcomes drawn as their own colour; the rest are summed as "other".
OUTCOMES = ("sent", "failed", "blocked")
COLOURS = {
    "subscribed": "#1f6f8b",
    "new": "#3a9d5d",
    "lost": "#c0392b",
    "sent": "#3a9d5d",
    "failed": "#e67e22",
    "blocked": "#c0392b",
    "other": "#95a5a6",
}


@dataclass(frozen=True)
class Labels:
    """The words on the chart, in the admin's language."""

    subscribers: str
    deliveries: str
    subscribed: str
    new: str
    lost: str
    outcomes: Mapping[str, str]  # sent, failed, blocked, other


def delivery_rows(days: Sequence[Day]) -> dict[str, list[int]]:
    """Per outcome (sent, failed, blocked, other), the count on each day."""
    rows: dict[str, list[int]] = {name: [] for name in (*OUTCOMES, "other")}
    for day in days:
        counts = day.deliveries
        for name in OUTCOMES:
            rows[name].append(counts.get(name, 0))
        known = sum(counts.get(name, 0) for name in OUTCOMES)
        # "expired" is a failed send that ran out of tries; count it with failed.
        rows["failed"][-1] += counts.get("expired", 0)
        rows["other"].append(sum(counts.values()) - known - counts.get("expired", 0))
    return rows


def date_ticks(days: Sequence[Day], most: int = 10) -> tuple[list[int], list[str]]:
    """Return the x positions and labels of the dates shown: at most about `most`, counted
    back from the last day so the newest bar always has its date under it."""
    step = max(1, -(-len(days) // most))
    positions = list(range(len(days)))[::-1][::step][::-1]
    return positions, [f"{days[i].date:%d/%m}" for i in positions]


def overview_figure(days: Sequence[Day], labels: Labels) -> Figure:
    """Draw subscribers (standing, new, lost) above deliveries by outcome, one bar a day.

    Each panel has one y axis: standing subscribers, new and lost share a scale, so a line at
    123 is never drawn below a bar of 122 (two axes with their own ranges did that).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(9, 6.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    x = list(range(len(days)))

    top.set_title(labels.subscribers, loc="left", fontsize=12, fontweight="bold")
    top.bar(x, [d.new for d in days], color=COLOURS["new"], label=labels.new, width=0.8)
    top.bar(x, [-d.lost for d in days], color=COLOURS["lost"], label=labels.lost, width=0.8)
    top.axhline(0, color="#555555", linewidth=0.6)
    top.plot(
        x,
        [d.subscribed for d in days],
        color=COLOURS["subscribed"],
        linewidth=2.2,
        marker="o",
        markersize=3,
        label=labels.subscribed,
    )
    highest = max([d.subscribed for d in days] + [d.new for d in days] + [1])
    lowest = max([d.lost for d in days] + [0])
    top.set_ylim(bottom=-lowest * 1.15 if lowest else -highest * 0.03, top=highest * 1.15)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Lost subscribers are drawn below zero; their axis labels read as counts, not negatives.
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{abs(value):g}"))
    top.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)

    bottom.set_title(labels.deliveries, loc="left", fontsize=12, fontweight="bold")
    base = [0] * len(days)
    for name, counts in delivery_rows(days).items():
        bottom.bar(
            x,
            counts,
            bottom=base,
            color=COLOURS[name],
            label=labels.outcomes.get(name, name),
            width=0.8,
        )
        base = [b + c for b, c in zip(base, counts, strict=True)]
    bottom.set_ylim(bottom=0, top=max(base + [1]) * 1.15)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.legend(loc="upper left", fontsize=8, frameon=False, ncols=4)
    bottom.set_xticks(*date_ticks(days))
    for axes in (top, bottom):
        axes.grid(axis="y", alpha=0.25)
        axes.spines[["top", "right"]].set_visible(False)
    return figure


def overview_png(days: Sequence[Day], labels: Labels) -> bytes:
    """The overview chart as PNG bytes."""
    out = io.BytesIO()
    overview_figure(days, labels).savefig(out, format="png")
    return out.getvalue()
