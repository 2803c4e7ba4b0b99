"""The stats chart: subscribers and deliveries per day, drawn as a PNG. No Telegram here.

matplotlib draws on the Agg backend through its object API (no pyplot, so no global state
and no GUI); drawing takes a few hundred milliseconds of CPU, so callers in the event loop
run `overview_png` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.admin.stats import Day

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


def overview_png(days: Sequence[Day], labels: Labels) -> bytes:
    """Draw subscribers (standing, new, lost) above deliveries by outcome, one bar a day."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(9, 6.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    x = list(range(len(days)))
    ticks = [f"{d.date:%d/%m}" for d in days]

    top.set_title(labels.subscribers, loc="left", fontsize=12, fontweight="bold")
    top.bar(x, [d.new for d in days], color=COLOURS["new"], label=labels.new, width=0.8)
    top.bar(x, [-d.lost for d in days], color=COLOURS["lost"], label=labels.lost, width=0.8)
    top.axhline(0, color="#555555", linewidth=0.6)
    top.set_ylabel(f"{labels.new} / {labels.lost}")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{abs(value):g}"))
    standing = top.twinx()
    standing.plot(
        x,
        [d.subscribed for d in days],
        color=COLOURS["subscribed"],
        linewidth=2.2,
        marker="o",
        markersize=3,
        label=labels.subscribed,
    )
    standing.set_ylim(bottom=0, top=max([d.subscribed for d in days] + [1]) * 1.15)
    standing.set_ylabel(labels.subscribed)
    handles = top.get_legend_handles_labels()[0] + standing.get_legend_handles_labels()[0]
    top.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)

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
    step = max(1, len(days) // 10)
    bottom.set_xticks(x[::step], ticks[::step])
    for axes in (top, bottom):
        axes.grid(axis="y", alpha=0.25)
        axes.spines[["top", "right"]].set_visible(False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
