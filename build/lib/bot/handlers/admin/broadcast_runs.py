"""Running broadcasts inside the bot: a periodic job that starts due ones, and the admin's
live progress message (a bar, counts, rate, time left, a stop button) and final summary.

The job runs every few seconds on PTB's JobQueue and only looks: each due broadcast runs in
its own task (`Application.create_task`), so a long one never holds up the next tick, and
a stopping application lets runs hand their rest over instead of waiting for the end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.admin import broadcasts
from bot.admin.broadcasts import Progress, RunnerConfig
from bot.content.catalog import Catalogs, Html
from bot.db.models import BroadcastStatus
from bot.handlers.services import SERVICES_KEY, Services
from bot.outbound.outcome import MessageSender, SendOutcome

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
RUNS_KEY = "broadcast_runs"
CONFIG_KEY = "broadcast_config"  # tests may put a quicker RunnerConfig here
TICK_SECONDS = 2.0
STOP = "adm:bc:stop:"  # adm:bc:stop:<id>
BAR = 20
# Telegram allows about one edit a second to a message; the runner reports every second
# (RunnerConfig.progress_every), and a little slack here keeps each of those reports.
EDIT_GAP = 0.9


def _services(app: AnyApplication) -> Services | None:
    found = app.bot_data.get(SERVICES_KEY)
    return found if isinstance(found, Services) else None


def sender_of(app: AnyApplication) -> MessageSender | None:
    """The application's sender, once post_init has made it."""
    svc = _services(app)
    return None if svc is None else svc.sender


def start(app: AnyApplication) -> None:
    """Look for due broadcasts every few seconds (scheduled ones, and ones a dead replica
    left half sent)."""
    if app.job_queue is None:
        log.warning("no job queue: scheduled broadcasts will not start on their own")
        return
    app.job_queue.run_repeating(_tick, interval=TICK_SECONDS, first=TICK_SECONDS, name="broadcasts")


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await run_due(context.application)
    except Exception:  # a database hiccup: the next tick tries again
        log.exception("could not look for due broadcasts")


async def run_due(app: AnyApplication) -> None:
    """Start a task for every due broadcast not already running in this process."""
    svc, sender = _services(app), sender_of(app)
    if svc is None or sender is None or not app.running:
        return
    for broadcast_id in await broadcasts.due_broadcast_ids(svc.db, svc.clock.now()):
        spawn(app, broadcast_id)


def spawn(app: AnyApplication, broadcast_id: int) -> None:
    """Run one broadcast in the background (if this process is not running it already)."""
    runs: dict[int, asyncio.Task[Any]] = app.bot_data.setdefault(RUNS_KEY, {})
    if broadcast_id in runs or not app.running:
        return
    task = app.create_task(_run(app, broadcast_id), name=f"broadcast-{broadcast_id}")
    runs[broadcast_id] = task
    task.add_done_callback(lambda _t: runs.pop(broadcast_id, None))


async def _run(app: AnyApplication, broadcast_id: int) -> None:
    svc, sender = _services(app), sender_of(app)
    if svc is None or sender is None:
        return
    config = app.bot_data.get(CONFIG_KEY)
    try:
        await broadcasts.run_broadcast(
            svc.db,
            sender,
            svc.clock,
            broadcast_id,
            replica=svc.settings.replica_id,
            on_progress=ProgressMessages(app, svc.content.catalogs, sender),
            config=config if isinstance(config, RunnerConfig) else None,
            halt=lambda: not app.running,
        )
    except Exception:
        log.exception("broadcast %d: run failed; a later tick takes it up again", broadcast_id)


# -- the admin's progress message -------------------------------------------------------------


def _clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def render(catalogs: Catalogs, progress: Progress) -> str:
    """The progress message's text: bar, counts, rate and time left; or the final tally."""
    lang = progress.language
    filled = int(progress.fraction * BAR)
    left = progress.seconds_left
    if progress.rate > 0 and left is not None:
        speed = catalogs.text(lang, "bc_speed", rate=f"{progress.rate:.1f}", left=_clock(left))
    else:
        speed = catalogs.text(lang, "bc_speed_unknown")
    values: dict[str, object] = {
        "id": progress.broadcast_id,
        "bar": "█" * filled + "░" * (BAR - filled),
        "percent": int(progress.fraction * 100),
        "done": progress.done,
        "total": progress.total,
        "sent": progress.sent,
        "blocked": progress.blocked,
        "failed": progress.failed,
        "skipped": progress.skipped,
        "speed": speed,
        "elapsed": _clock(progress.elapsed),
    }
    key = {
        BroadcastStatus.DONE: "bc_progress_done",
        BroadcastStatus.STOPPED: "bc_progress_stopped",
    }.get(BroadcastStatus(progress.status), "bc_progress_sending")
    return catalogs.text(lang, key, **values)


def summary(catalogs: Catalogs, progress: Progress) -> str:
    """The closing message, for people: "Sent to 120 of 123; 3 have blocked the bot."."""
    lang = progress.language

    def say(key: str, count: int) -> str:
        return catalogs.text(lang, f"{key}_{'one' if count == 1 else 'other'}", n=count)

    if progress.sent == progress.total > 0:
        parts = [say("bc_summary_sent_all", progress.total)]
    else:
        parts = [catalogs.text(lang, "bc_summary_sent", sent=progress.sent, total=progress.total)]
    if progress.blocked:
        parts.append(say("bc_summary_blocked", progress.blocked))
    if progress.failed:
        parts.append(say("bc_summary_failed", progress.failed))
    stopped = progress.status == BroadcastStatus.STOPPED
    if progress.skipped:
        parts.append(say("bc_summary_not_sent" if stopped else "bc_summary_left", progress.skipped))
    key = "bc_summary_stopped" if stopped else "bc_summary_done"
    details = "; ".join(parts)  # the same in English and Malay
    return catalogs.text(lang, key, id=progress.broadcast_id, details=Html(details))


def stop_markup(catalogs: Catalogs, lang: str, broadcast_id: int) -> dict[str, Any]:
    """The Stop button under a running broadcast's progress message."""
    label = catalogs.text(lang, "bc_button_stop")
    return {"inline_keyboard": [[{"text": label, "callback_data": f"{STOP}{broadcast_id}"}]]}


class ProgressMessages:
    """Keeps each running broadcast's progress message up to date in its admin's chat."""

    def __init__(
        self,
        app: AnyApplication,
        catalogs: Catalogs,
        sender: MessageSender,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._catalogs = catalogs
        self._sender = sender
        self._monotonic = monotonic
        self._last: str | None = None
        self._edited_at = -EDIT_GAP

    async def __call__(self, progress: Progress) -> None:
        """Show `progress`: edit the message (only when its text changed), or send one."""
        chat = progress.chat_id
        if chat is None:
            return  # started from the command line: it shows its own progress bar
        lang, final = progress.language, progress.status != BroadcastStatus.SENDING
        body = render(self._catalogs, progress)
        params: dict[str, Any] = {"text": body, "parse_mode": "HTML"}
        if not final:
            params["reply_markup"] = stop_markup(self._catalogs, lang, progress.broadcast_id)
        if progress.message_id is None:
            result = await self._sender.send(chat, "sendMessage", params, bulk=False)
            svc = _services(self._app)
            if result.outcome == SendOutcome.SENT and result.message_id and svc is not None:
                async with svc.db.session() as session:
                    await broadcasts.compose.set_progress_message(
                        session, progress.broadcast_id, chat, result.message_id
                    )
        elif body != self._last:
            now = self._monotonic()
            if not final and now - self._edited_at < EDIT_GAP:
                return  # too soon after the last edit; the next report shows it
            params["message_id"] = progress.message_id
            self._edited_at = now
            await self._sender.send(chat, "editMessageText", params, bulk=False)
        self._last = body
        if final:
            closing = summary(self._catalogs, progress)
            await self._sender.send(
                chat, "sendMessage", {"text": closing, "parse_mode": "HTML"}, bulk=False
            )
