"""Schedule: the program as a week or a list of upcoming days, one date's detail, weekday
topics, the default send time, and pausing every delivery. Date edits: schedule_edit.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.ext import ContextTypes

from bot.content import store as content_store
from bot.content.catalog import Html
from bot.content.models import CORE_TOPICS, MIX, WEEKDAYS, Program, Tip, Topic
from bot.content.program import (
    DayPlan,
    EditError,
    changed_days,
    day_plan,
    monday_of,
    set_weekday,
    upcoming,
)
from bot.content.store import State
from bot.db.models import Delivery, DeliveryStatus
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import CANCEL, Pending, button, day_code, fmt_day, plain
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text
from bot.subscribers.timeparse import parse_time

SCHEDULE = f"{PREFIX}sch"
WEEK = f"{PREFIX}sw:"  # adm:sw:<weeks from this one>
LIST = f"{PREFIX}sl:"  # adm:sl:<page>
DAY = f"{PREFIX}sd:"  # adm:sd:<yyyymmdd>
WEEKDAYS_MENU = f"{PREFIX}swd"
WEEKDAY = f"{PREFIX}swd:"  # adm:swd:<0-6>
WEEKDAY_SET = f"{PREFIX}swt:"  # adm:swt:<0-6>:<topic or mix>
SEND_TIME = f"{PREFIX}stm"
SEND_TIME_SET = f"{PREFIX}sts:"  # adm:sts:<HHMM>
PAUSE, RESUME = f"{PREFIX}spa", f"{PREFIX}sre"
TIME_INPUT = "admin_send_time"
LIST_PAGE, LIST_PAGES = 10, 9
QUICK_TIMES = ("07:00", "08:00", "09:00", "12:30", "20:00")


def topic_name(context: ContextTypes.DEFAULT_TYPE, lang: str, topic: Topic | str) -> str:
    """A topic's (or the mix's) name for admins."""
    return text(context, lang, f"admin_topic_{topic}")


def day_line(
    context: ContextTypes.DEFAULT_TYPE, lang: str, plan: DayPlan, tips: dict[str, Tip]
) -> str:
    """One date of the program, as a line of a week or a list."""
    day = fmt_day(context, lang, plan.day)
    if plan.kind == "skip":
        return text(context, lang, "admin_line_skip", day=day, note=plan.note or "")
    if plan.kind == "tip":
        tip = tips.get(plan.tip_id or "")
        title = tip.text[lang].title if tip else plan.tip_id
        return text(context, lang, "admin_line_tip", day=day, title=title)
    if plan.kind == "mix":
        return text(context, lang, "admin_line_mix", day=day)
    assert plan.topic is not None
    key = "admin_line_topic_changed" if plan.override else "admin_line_topic"
    return text(context, lang, key, day=day, topic=topic_name(context, lang, plan.topic))


def lines(
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    plans: list[DayPlan],
    state: State,
    open_from: dt.date | None = None,
) -> str:
    """Program lines, as Telegram HTML; with ``open_from`` (see `first_open_day`), today and
    the days that can no longer change are marked."""
    tips = {t.tip.id: t.tip for t in state.tips}
    today = common.today(context) if open_from is not None else None
    shown = []
    for plan in plans:
        line = day_line(context, lang, plan, tips)
        if today is not None and open_from is not None:
            if plan.day == today:
                key = "admin_line_today" if today >= open_from else "admin_line_today_sent"
                line = text(context, lang, key, line=Html(line))
            elif plan.day < today:
                line = text(context, lang, "admin_line_past", line=Html(line))
        shown.append(line)
    return "\n".join(shown)


async def first_open_day(context: ContextTypes.DEFAULT_TYPE) -> dt.date:
    """Return the first date an edit still reaches: today until its first tip is planned or
    sent (everyone gets the same day's tip, so today closes then), else tomorrow."""
    today = common.today(context)
    gone = (DeliveryStatus.CLAIMED, DeliveryStatus.SENDING, DeliveryStatus.SENT)
    query = select(Delivery.id).where(Delivery.local_date == today, Delivery.status.in_(gone))
    async with services(context).db.session() as session:
        started = await session.scalar(query.limit(1))
    return today if started is None else today + dt.timedelta(days=1)


async def admin_state(context: ContextTypes.DEFAULT_TYPE) -> State:
    """The content as admins see it now (tips, program, switches)."""
    svc = services(context)
    async with svc.db.session() as session:
        return await content_store.load_state(session, svc.content)


async def show_week(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show one week of the program, with each date's button and the schedule's tools."""
    await common.answer(update)
    args = common.args_of(update, WEEK)
    offset = int(args[0]) if args and args[0].lstrip("-").isdigit() else 0
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        state = await content_store.load_state(session, svc.content)
        send_time = await content_store.default_send_time(session, svc.settings)
    monday = monday_of(common.today(context)) + dt.timedelta(weeks=offset)
    plans = upcoming(state.program, monday, 7)
    open_from = await first_open_day(context)
    status = "admin_status_paused" if state.paused else "admin_status_running"
    body = text(
        context,
        lang,
        "admin_week",
        week=fmt_day(context, lang, monday),
        status=Html(text(context, lang, status)),
        time=send_time.strftime("%H:%M"),
        timezone=svc.settings.default_timezone,
        days=Html(lines(context, lang, plans, state, open_from)),
    )
    day_buttons = [
        plain(fmt_day(context, lang, p.day).rsplit(" ", 2)[0], f"{DAY}{day_code(p.day)}")
        for p in plans
    ]
    rows = [day_buttons[:4], day_buttons[4:]]
    rows.append(
        [
            button(context, lang, "admin_button_prev_week", f"{WEEK}{offset - 1}"),
            button(context, lang, "admin_button_next_week", f"{WEEK}{offset + 1}"),
        ]
    )
    rows.append(
        [
            button(context, lang, "admin_button_list", f"{LIST}0"),
            button(context, lang, "admin_button_weekdays", WEEKDAYS_MENU),
        ]
    )
    pause = (
        button(context, lang, "admin_button_resume_all", RESUME)
        if state.paused
        else button(context, lang, "admin_button_pause_all", PAUSE)
    )
    rows.append([button(context, lang, "admin_button_send_time", SEND_TIME), pause])
    rows.append(common.back_row(context, lang))
    await common.show(update, context, body, rows)


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the upcoming days, ten a page, each with its button."""
    await common.answer(update)
    args = common.args_of(update, LIST)
    page = min(max(int(args[0]) if args and args[0].isdigit() else 0, 0), LIST_PAGES - 1)
    lang = await common.lang_of(update, context)
    state = await admin_state(context)
    start = common.today(context) + dt.timedelta(days=page * LIST_PAGE)
    plans = upcoming(state.program, start, LIST_PAGE)
    open_from = await first_open_day(context)
    body = text(
        context,
        lang,
        "admin_list",
        page=page + 1,
        pages=LIST_PAGES,
        days=Html(lines(context, lang, plans, state, open_from)),
    )
    labels = [
        plain(fmt_day(context, lang, p.day).rsplit(" ", 1)[0], f"{DAY}{day_code(p.day)}")
        for p in plans
    ]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append(common.pager(context, lang, page, LIST_PAGES, LIST))
    rows.append(common.back_row(context, lang, SCHEDULE))
    await common.show(update, context, body, [r for r in rows if r])


async def show_weekdays(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show each weekday's topic, with a button to change it."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    state = await admin_state(context)
    listing = "\n".join(
        text(
            context,
            lang,
            "admin_weekday_line",
            weekday=text(context, lang, f"admin_weekday_{i}"),
            topic=topic_name(context, lang, state.program.weekdays[name]),
        )
        for i, name in enumerate(WEEKDAYS)
    )
    mix = ", ".join(topic_name(context, lang, t) for t in state.program.mix)
    body = text(context, lang, "admin_weekdays", days=Html(listing), mix=mix)
    labels = [plain(text(context, lang, f"admin_weekday_{i}"), f"{WEEKDAY}{i}") for i in range(7)]
    rows = [labels[0:4], labels[4:7], common.back_row(context, lang, SCHEDULE)]
    await common.show(update, context, body, rows)


async def choose_weekday_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the core topics and the mix for one weekday."""
    args = common.args_of(update, WEEKDAY)
    if not args or args[0] not in {str(i) for i in range(7)}:
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    index = int(args[0])
    choices: list[Topic | str] = [*CORE_TOPICS, MIX]
    labels = [plain(topic_name(context, lang, c), f"{WEEKDAY_SET}{index}:{c}") for c in choices]
    rows = [labels[0:3], labels[3:], common.back_row(context, lang, WEEKDAYS_MENU)]
    body = text(
        context,
        lang,
        "admin_weekday_choose",
        weekday=text(context, lang, f"admin_weekday_{index}"),
    )
    await common.show(update, context, body, rows)


async def preview_weekday_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview a weekday's new topic on its next four dates."""
    args = common.args_of(update, WEEKDAY_SET)
    valid = {str(c) for c in CORE_TOPICS} | {MIX}
    if len(args) != 2 or args[0] not in {str(i) for i in range(7)} or args[1] not in valid:
        await common.stale(update, context)
        return
    await common.answer(update)
    index, value = int(args[0]), args[1]
    weekday = WEEKDAYS[index]
    today = common.today(context)
    first = today + dt.timedelta(days=(index - today.weekday()) % 7)
    days = [first + dt.timedelta(weeks=w) for w in range(4)]
    topic: Topic | str = value if value == MIX else Topic(value)
    await preview_program(
        update,
        context,
        edit=lambda program: set_weekday(program, weekday, topic),
        action="schedule.weekday",
        target=weekday,
        days=days,
        back=WEEKDAYS_MENU,
    )


async def preview_program(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    edit: Any,
    action: str,
    target: str,
    days: list[dt.date],
    back: str,
) -> None:
    """Preview a program edit (the dates it changes, before and after), then apply it on
    the program as it is at Apply time."""
    lang = await common.lang_of(update, context)
    svc = services(context)
    user = update.effective_user
    assert user is not None
    rows = [common.back_row(context, lang, back)]
    async with svc.db.session() as session:
        state = await content_store.load_state(session, svc.content)
        try:
            program: Program = edit(state.program)
        except EditError as exc:
            await common.show(update, context, text(context, lang, exc.key, **exc.values), rows)
            return
        proposed = content_store.program_change(svc.content, program)
        _, after, problems = await content_store.preview(session, svc.content, proposed)
    if problems:
        await common.show(update, context, text(context, lang, "admin_refused_title"), rows)
        await common.send_problems(update, context, lang, "admin_refused", problems)
        return
    changed = [d for d in changed_days(state.program, program, days) if d >= common.today(context)]
    before_lines = lines(context, lang, [day_plan(state.program, d) for d in changed[:8]], state)
    after_lines = lines(context, lang, [day_plan(program, d) for d in changed[:8]], after)
    body = text(
        context,
        lang,
        "admin_program_preview",
        before=Html(before_lines or "-"),
        after=Html(after_lines or "-"),
        more=Html(
            "\n" + text(context, lang, "admin_more_dates", count=len(changed) - 8)
            if len(changed) > 8
            else ""
        ),
    )
    actor = user.id

    def change(current: State) -> content_store.Change:
        return content_store.program_change(svc.content, edit(current.program))

    run = common.content_change(context, actor, change, action, target)

    await common.preview(update, context, lang, body, Pending(run, "admin_program_done", back))


async def ask_send_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer quick times for new subscribers, or read a typed one."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        current = await content_store.default_send_time(session, svc.settings)
    common.await_input(context, TIME_INPUT)
    slots = [plain(t, f"{SEND_TIME_SET}{t.replace(':', '')}") for t in QUICK_TIMES]
    rows = [slots[:3], slots[3:], [button(context, lang, "admin_button_cancel", CANCEL)]]
    body = text(
        context,
        lang,
        "admin_send_time_prompt",
        time=current.strftime("%H:%M"),
        timezone=svc.settings.default_timezone,
    )
    await common.show(update, context, body, rows)


async def pick_send_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A quick-time button."""
    args = common.args_of(update, SEND_TIME_SET)
    parsed = parse_time(args[0]) if args else None
    if parsed is None:
        await common.stale(update, context)
        return
    await common.answer(update)
    await _preview_send_time(update, context, parsed, edit=True)


async def read_send_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _waiting: dict[str, Any]
) -> None:
    """A typed send time."""
    message = update.effective_message
    parsed = parse_time(message.text or "") if message is not None else None
    if parsed is None:
        lang = await common.lang_of(update, context)
        await common.send(update, context, text(context, lang, "admin_send_time_invalid"))
        return
    await _preview_send_time(update, context, parsed, edit=False)


async def _preview_send_time(
    update: Update, context: ContextTypes.DEFAULT_TYPE, value: dt.time, *, edit: bool
) -> None:
    common.stop_waiting(context)
    lang = await common.lang_of(update, context)
    svc = services(context)
    user = update.effective_user
    assert user is not None
    actor, shown = user.id, value.strftime("%H:%M")
    run = common.content_change(
        context, actor, {content_store.SEND_TIME: shown}, "schedule.send_time", shown
    )

    values = {"time": shown, "timezone": svc.settings.default_timezone}
    body = text(context, lang, "admin_send_time_preview", **values)
    pending = Pending(run, "admin_send_time_done", SCHEDULE, values)
    await common.preview(update, context, lang, body, pending, edit=edit)


async def preview_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview pausing (or resuming) every delivery."""
    await common.answer(update)
    query = update.callback_query
    paused = query is not None and query.data == PAUSE
    lang = await common.lang_of(update, context)
    user = update.effective_user
    assert user is not None
    action = "schedule.pause" if paused else "schedule.resume"
    run = common.content_change(context, user.id, {content_store.PAUSED: paused}, action, None)

    key = "admin_pause" if paused else "admin_resume"
    pending = Pending(run, f"{key}_done", SCHEDULE)
    await common.preview(update, context, lang, text(context, lang, f"{key}_preview"), pending)


def register(app: AnyApplication) -> None:
    """Register the schedule screens."""
    add_admin_doors(
        app,
        (
            (f"^({SCHEDULE}|{WEEK}-?[0-9]+)$", show_week),
            (f"^{LIST}[0-9]+$", show_list),
            (f"^{WEEKDAYS_MENU}$", show_weekdays),
            (f"^{WEEKDAY}[0-9]$", choose_weekday_topic),
            (f"^{WEEKDAY_SET}", preview_weekday_topic),
            (f"^{SEND_TIME}$", ask_send_time),
            (f"^{SEND_TIME_SET}[0-9]{{4}}$", pick_send_time),
            (f"^({PAUSE}|{RESUME})$", preview_pause),
        ),
    )
