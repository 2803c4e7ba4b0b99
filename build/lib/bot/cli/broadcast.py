"""`gutskin-bot broadcast schedule|list|cancel|stop|watch` and `gutskin-bot stats`.

The same checks and audit log as the admin console (the command line acts as user id 0).
The command line stores and reads; the running bot sends (its periodic job picks a due
broadcast up within seconds), and `--follow` / `watch` draw its progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.admin import broadcasts, stats
from bot.admin.broadcasts import CLI_ACTOR, Audience, Draft, Invalid
from bot.admin.broadcasts.compose import parse_button, plain_text
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Broadcast, BroadcastStatus
from bot.schedule.due import zone

EXIT_USAGE = 2
FOLLOW_POLL = 0.5
BAR = 30
PENDING = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)


def add_parsers(subparsers: Any) -> None:
    """Add `broadcast` and `stats` to the `gutskin-bot` command's subparsers."""
    group = subparsers.add_parser(
        "broadcast", help="announcements: schedule, list, cancel, stop, watch"
    ).add_subparsers(required=True, metavar="ACTION")

    schedule = group.add_parser(
        "schedule", help="store an announcement to send now or at a time (the bot sends it)"
    )
    body = schedule.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", help="the message, in Telegram HTML (<b>, <i>, <a href>...)")
    body.add_argument("--text-file", type=Path, help="read the message from a file")
    schedule.add_argument("--photo", help="an https:// image link or a Telegram file_id")
    schedule.add_argument("--button", help='a link button: "Label | https://link"')
    schedule.add_argument(
        "--audience",
        default="all",
        help="all (default), language:<en|ms>, topic:<fiber|fermented|sleep|stress>, "
        "concern:<eczema|acne|psoriasis|rosacea> or source:<deep-link payload>",
    )
    schedule.add_argument(
        "--at",
        help='when, in DEFAULT_TIMEZONE: "2026-12-01 09:00", "tomorrow 9am", "20:30" '
        "(default: now)",
    )
    schedule.add_argument(
        "--follow", action="store_true", help="wait and show the progress until it is sent"
    )
    schedule.set_defaults(broadcast_action="schedule")

    listing = group.add_parser("list", help="waiting and running broadcasts, then the latest")
    listing.add_argument("--limit", type=int, default=10, help="finished ones to show")
    listing.set_defaults(broadcast_action="list")
    for action, text in (
        ("cancel", "cancel a broadcast that has not started"),
        ("stop", "stop a broadcast part way"),
        ("watch", "show a broadcast's progress until it ends"),
    ):
        command = group.add_parser(action, help=text)
        command.add_argument("id", type=int, help="the broadcast number (see `list`)")
        command.set_defaults(broadcast_action=action)
    for command in (schedule, listing, *group.choices.values()):
        command.set_defaults(command="broadcast", handler=_run)

    report = subparsers.add_parser(
        "stats", help="subscribers, tips, feedback, questions, bookings and sources"
    )
    report.add_argument("--days", type=int, default=30, help="the period (default 30 days)")
    report.add_argument("--chart", type=Path, help="also draw the chart into this PNG file")
    report.add_argument("--json", action="store_true", help="print JSON instead of text")
    report.set_defaults(command="stats", handler=_run)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    """The `handler` bot.cli.commands calls: run `dispatch` in its own event loop."""
    return asyncio.run(dispatch(args, settings))


async def dispatch(
    args: argparse.Namespace,
    settings: Settings,
    *,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one `broadcast` or `stats` command; return the exit code (2 for refused input)."""
    out, err = out or sys.stdout, err or sys.stderr
    clock = clock or SystemClock()
    try:
        db = settings.open_database()
    except OSError as exc:
        print(f"gutskin-bot: DATABASE_URL: cannot open the database ({exc})", file=err)
        return EXIT_USAGE
    try:
        await migrate.upgrade(db)
        command = Commands(db, settings, clock, out, err)
        if args.command == "stats":
            return await command.stats(args)
        return int(await getattr(command, args.broadcast_action)(args))
    except Invalid as exc:
        print(f"gutskin-bot: {exc}", file=err)
        return EXIT_USAGE
    except (OSError, OperationalError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"gutskin-bot: DATABASE_URL: cannot open the database ({reason})", file=err)
        return EXIT_USAGE
    finally:
        await db.close()


class Commands:
    """The commands, sharing one database, clock and output."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, out: TextIO, err: TextIO
    ) -> None:
        self.db, self.settings, self.clock, self.out, self.err = db, settings, clock, out, err
        self.tz = settings.default_timezone

    def _local(self, instant: dt.datetime) -> str:
        return f"{instant.astimezone(zone(self.tz)):%a %d %b %Y %H:%M}"

    async def schedule(self, args: argparse.Namespace) -> int:
        """Check and store an announcement (audited as user 0)."""
        if args.text_file is not None:
            try:
                text = args.text_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise Invalid(
                    "file", f"--text-file: cannot read {args.text_file} ({exc.strerror})"
                ) from None
        else:
            text = args.text
        label, url = parse_button(args.button) if args.button else (None, None)
        draft = Draft(text, args.photo, label, url, Audience.parse(args.audience))
        now = self.clock.now()
        send_at = now
        if args.at:
            found = broadcasts.parse_when(args.at, now, self.tz)
            if found is None:
                raise Invalid("when", f"--at: cannot read {args.at!r}; try 2026-12-01 09:00")
            send_at = found
        async with self.db.session() as session:
            made = await broadcasts.create(
                session, draft, send_at=send_at, actor=CLI_ACTOR, language="en", now=now
            )
            reach = await broadcasts.audience_size(session, draft.audience)
        print(
            f"broadcast #{made.id} scheduled for {self._local(made.send_at)} ({self.tz}) "
            f"to {draft.audience} "
            f"({reach} subscribers now); the running bot sends it",
            file=self.out,
        )
        return await self._follow(made.id) if args.follow else 0

    async def list(self, args: argparse.Namespace) -> int:
        """Print waiting and running broadcasts, then the latest finished ones."""
        async with self.db.session() as session:
            found = await broadcasts.recent(session, limit=max(1, args.limit))
            counts = {b.id: await broadcasts.delivery_counts(session, b.id) for b in found}
        if not found:
            print("no broadcasts yet", file=self.out)
            return 0
        print(
            f"{'ID':>4}  {'STATUS':<9}  {'WHEN (' + self.tz + ')':<26}  "
            f"{'AUDIENCE':<20}  {'SENT':>11}  TEXT",
            file=self.out,
        )
        for item in found:
            when = self._local(item.started_at or item.send_at)
            tally = f"{counts[item.id]['sent']}/{item.total}" if item.started_at else "-"
            words = " ".join(plain_text(item.text).split())
            words = words[:40] + ("…" if len(words) > 40 else "")
            audience = str(Draft.of(item).audience)
            print(
                f"{item.id:>4}  {item.status:<9}  {when:<26}  {audience:<20}  {tally:>11}  {words}",
                file=self.out,
            )
        return 0

    async def cancel(self, args: argparse.Namespace) -> int:
        """Cancel a broadcast that has not started (audited as user 0)."""
        async with self.db.session() as session:
            await broadcasts.cancel(session, args.id, actor=CLI_ACTOR, now=self.clock.now())
        print(f"broadcast #{args.id} cancelled; nothing of it was sent", file=self.out)
        return 0

    async def stop(self, args: argparse.Namespace) -> int:
        """Stop a broadcast part way (audited as user 0); the bot sees it within a second."""
        async with self.db.session() as session:
            found = await broadcasts.stop(session, args.id, actor=CLI_ACTOR, now=self.clock.now())
        print(f"broadcast #{args.id} {found.status}", file=self.out)
        return 0

    async def watch(self, args: argparse.Namespace) -> int:
        """Show a broadcast's progress until it ends."""
        async with self.db.session() as session:
            await broadcasts.compose.get(session, args.id)
        return await self._follow(args.id)

    async def _follow(self, broadcast_id: int) -> int:
        bar = ProgressBar(self.err)
        while True:
            async with self.db.session() as session:
                found = await broadcasts.compose.get(session, broadcast_id)
                counts = await broadcasts.delivery_counts(session, broadcast_id)
            bar.show(found, counts, self._local(found.send_at))
            if found.status not in PENDING:
                bar.close()
                print(
                    f"broadcast #{broadcast_id} {found.status}: {counts['sent']} sent, "
                    f"{counts['blocked']} blocked, "
                    f"{counts['failed'] + counts['rejected'] + counts['unknown']} failed "
                    f"of {found.total}",
                    file=self.out,
                )
                return 0
            await asyncio.sleep(FOLLOW_POLL)

    async def stats(self, args: argparse.Namespace) -> int:
        """Print the stats (and draw the chart) for the last --days days."""
        if not 1 <= args.days <= 366:
            raise Invalid("days", "--days must be 1 to 366")
        async with self.db.session() as session:
            found = await stats.report(session, self.clock.now(), self.tz, args.days)
        if args.chart is not None:
            from bot.admin.charts import Labels, overview_png

            labels = Labels(
                "Subscribers",
                "Daily tips",
                "Subscribed",
                "New",
                "Lost",
                {"sent": "Sent", "failed": "Failed", "blocked": "Blocked", "other": "Other"},
            )
            png = await asyncio.to_thread(overview_png, found.days, labels)
            try:
                args.chart.write_bytes(png)
            except OSError as exc:
                raise Invalid(
                    "chart", f"--chart: cannot write {args.chart} ({exc.strerror})"
                ) from None
        lines = as_json(found) if args.json else as_text(found, self.tz)
        print(lines, file=self.out)
        if args.chart is not None:
            print(f"chart written to {args.chart}", file=self.err)
        return 0


class ProgressBar:
    """A one-line progress bar on a terminal; plain lines (on change) anywhere else."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = ""

    def show(self, broadcast: Broadcast, counts: Any, when: str) -> None:
        """Draw where a broadcast stands."""
        if broadcast.status == BroadcastStatus.SCHEDULED:
            line = f"#{broadcast.id} waiting until {when}"
        else:
            total = broadcast.total
            done = total - counts["claimed"] - counts["sending"]
            share = 1.0 if total == 0 else done / total
            filled = int(share * BAR)
            line = (
                f"#{broadcast.id} [{'#' * filled}{'-' * (BAR - filled)}] {int(share * 100):3d}% "
                f"{done}/{total} sent {counts['sent']} blocked {counts['blocked']} "
                f"failed {counts['failed'] + counts['rejected'] + counts['unknown']}"
            )
        if line == self.last:
            return
        self.last = line
        if self.tty:
            self.stream.write(f"\r\x1b[K{line}")
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()


def as_text(found: stats.Report, tz: str) -> str:
    """The report as lines for a terminal."""
    s, d, q = found.statuses, found.deliveries, found.questions
    lines = [
        f"stats {found.start} to {found.end} ({len(found.days)} days, {tz})",
        f"subscribers: {s['active'] + s['paused']} subscribed ({s['active']} active, "
        f"{s['paused']} paused) of {found.total}; {s['blocked']} blocked, "
        f"{s['unsubscribed']} unsubscribed, {s['new']} never subscribed",
        f"  in the period: {found.new} new, {found.lost} lost",
        "  day         new  lost  subscribed  sent  failed  blocked  other",
    ]
    for day in found.days:
        c = day.deliveries
        other = sum(c.values()) - c["sent"] - c["failed"] - c["expired"] - c["blocked"]
        lines.append(
            f"  {day.date}  {day.new:>4}  {day.lost:>4}  {day.subscribed:>10}  {c['sent']:>4}"
            f"  {c['failed'] + c['expired']:>6}  {c['blocked']:>7}  {other:>5}"
        )
    lines.append("deliveries: " + (", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "none"))
    lines.append(
        "feedback: most helpful "
        + (", ".join(f"{t.tip_id} {t.helpful}/{t.votes}" for t in found.most_helpful) or "none")
        + "; least helpful "
        + (", ".join(f"{t.tip_id} {t.helpful}/{t.votes}" for t in found.least_helpful) or "none")
    )
    lines.append("questions: " + (", ".join(f"{k} {v}" for k, v in sorted(q.items())) or "none"))
    lines.append("  most answered: " + _pairs(found.top_answers))
    for item in found.open_questions:
        lines.append(f"  open #{item.id} ({item.outcome}, {item.language}): {item.text[:100]}")
    lines.append("bookings by branch: " + _pairs(found.bookings_by_branch))
    lines.append("bookings by origin: " + _pairs(found.bookings_by_origin))
    lines.append(
        "sources (all/subscribed): "
        + (", ".join(f"{src or 'direct'} {n}/{still}" for src, n, still in found.sources) or "none")
    )
    return "\n".join(lines)


def _pairs(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{key} {n}" for key, n in pairs) or "none"


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)


def as_json(found: stats.Report) -> str:
    """The report as JSON, for scripts."""
    return json.dumps(
        {
            "start": found.start,
            "end": found.end,
            "subscribers": dict(found.statuses),
            "days": [
                {
                    "date": day.date,
                    "subscribed": day.subscribed,
                    "new": day.new,
                    "lost": day.lost,
                    "deliveries": dict(day.deliveries),
                }
                for day in found.days
            ],
            "deliveries": dict(found.deliveries),
            "most_helpful": [vars(t) for t in found.most_helpful],
            "least_helpful": [vars(t) for t in found.least_helpful],
            "questions": dict(found.questions),
            "top_answers": dict(found.top_answers),
            "open_questions": [
                {"id": q.id, "text": q.text, "language": q.language, "outcome": q.outcome}
                for q in found.open_questions
            ],
            "bookings_by_branch": dict(found.bookings_by_branch),
            "bookings_by_origin": dict(found.bookings_by_origin),
            "sources": [
                {"source": src, "all": n, "subscribed": still} for src, n, still in found.sources
            ],
        },
        default=_plain,
        indent=2,
        ensure_ascii=False,
    )
