"""One date of the schedule: what each group gets, and pin (insert), move, swap, change topic,
skip, or put back on the weekly rotation, each previewed before it is applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.content.catalog import Html
from bot.content.models import Program, Topic
from bot.content.program import (
    EditError,
    check_future,
    clear,
    day_plan,
    monday_of,
    move,
    pin,
    set_topic,
    skip,
    swap,
)
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import button, day_code, fmt_day, parse_day, plain
from bot.handlers.admin.schedule import (
    DAY,
    WEEK,
    admin_state,
    first_open_day,
    preview_program,
    topic_name,
)
from bot.handlers.groups import AnyApplication
from bot.handlers.services import text

PIN = f"{PREFIX}sp:"  # adm:sp:<day>: choose a topic, then a tip
PIN_TOPIC = f"{PREFIX}spt:"  # adm:spt:<topic>:<page> (the day is kept in chat_data)
PIN_TIP = f"{PREFIX}spx:"  # adm:spx:<tip id>
TOPIC = f"{PREFIX}so:"  # adm:so:<day>
TOPIC_SET = f"{PREFIX}sot:"  # adm:sot:<day>:<topic>
PICK = f"{PREFIX}sq:"  # adm:sq:<m|s>:<day>:<page>: choose the other date of a move or swap
PICKED = f"{PREFIX}sx:"  # adm:sx:<m|s>:<day>:<other day>
SKIP = f"{PREFIX}sk:"  # adm:sk:<day>
CLEAR = f"{PREFIX}sc:"  # adm:sc:<day>
_DAY_KEY = "admin_day"
TIPS_PAGE, DAYS_PAGE, DAY_PAGES = 8, 14, 6


def _day_back(context: ContextTypes.DEFAULT_TYPE, day: dt.date) -> str:
    weeks = (monday_of(day) - monday_of(common.today(context))).days // 7
    return f"{WEEK}{weeks}"


async def _open_day(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    prefix: str,
    *,
    editable: bool = True,
    valid: Callable[[list[str]], bool] = lambda _args: True,
) -> tuple[dt.date, str, list[str]] | None:
    """The date a button names first (and the button's arguments), in the admin's language;
    None once answered as stale (or, for an edit, once told the date cannot change)."""
    args = common.args_of(update, prefix)
    day = parse_day(args[0]) if args else None
    if day is None or not valid(args):
        await common.stale(update, context)
        return None
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if editable and not await _future(update, context, lang, day):
        return None
    return day, lang, args


async def _preview(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    edit: Callable[[Program], Program],
    action: str,
    target: str,
    *days: dt.date,
) -> None:
    """Preview an edit of these dates; Back returns to the first one."""
    await preview_program(
        update,
        context,
        edit=edit,
        action=action,
        target=target,
        days=list(days),
        back=f"{DAY}{day_code(days[0])}",
    )


async def show_day(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show what one date holds, who gets what, and the edits that date allows."""
    opened = await _open_day(update, context, DAY, editable=False)
    if opened is None:
        return
    day, lang, _args = opened
    state = await admin_state(context)
    plan = day_plan(state.program, day)
    when = fmt_day(context, lang, day)
    if plan.kind == "skip":
        detail = text(context, lang, "admin_day_skip", note=plan.note or "")
    elif plan.kind == "tip":
        found = state.find(plan.tip_id or "")
        title = found.tip.text[lang].title if found else plan.tip_id
        topic = topic_name(context, lang, found.tip.topic) if found else "?"
        detail = text(context, lang, "admin_day_tip", title=title, topic=topic)
    elif plan.kind == "mix":
        topics = ", ".join(topic_name(context, lang, t) for t in state.program.mix)
        detail = text(context, lang, "admin_day_mix", topics=topics)
    else:
        assert plan.topic is not None
        detail = text(context, lang, "admin_day_topic", topic=topic_name(context, lang, plan.topic))
        if plan.override:
            detail += "\n" + text(context, lang, "admin_day_changed")
    body = text(context, lang, "admin_day", day=when, detail=Html(detail))
    code = day_code(day)
    rows: list[list[Any]] = []
    if day >= await first_open_day(context):
        rows.append(
            [
                button(context, lang, "admin_button_pin", f"{PIN}{code}"),
                button(context, lang, "admin_button_change_topic", f"{TOPIC}{code}"),
            ]
        )
        moves = [button(context, lang, "admin_button_swap", f"{PICK}s:{code}:0")]
        if plan.override:
            moves.insert(0, button(context, lang, "admin_button_move", f"{PICK}m:{code}:0"))
        rows.append(moves)
        last = []
        if plan.kind != "skip":
            last.append(button(context, lang, "admin_button_skip", f"{SKIP}{code}"))
        if plan.override:
            last.append(button(context, lang, "admin_button_rotation", f"{CLEAR}{code}"))
        rows.append(last)
    elif day == common.today(context):
        body += "\n\n" + text(context, lang, "admin_day_today_sent")
    else:
        body += "\n\n" + text(context, lang, "admin_day_past")
    rows.append(common.back_row(context, lang, _day_back(context, day)))
    await common.show(update, context, body, [r for r in rows if r])


async def _future(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, *days: dt.date
) -> bool:
    open_from = await first_open_day(context)
    try:
        for day in days:
            check_future(day, common.today(context))
            if day < open_from:
                raise EditError("admin_err_today_sent", date=day.isoformat())
    except EditError as exc:
        rows = [common.back_row(context, lang, f"{PREFIX}sch")]
        await common.show(update, context, text(context, lang, exc.key, **exc.values), rows)
        return False
    return True


async def choose_pin_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pin a tip on a date: first its topic."""
    opened = await _open_day(update, context, PIN)
    if opened is None:
        return
    day, lang, _args = opened
    common.chat_data(context)[_DAY_KEY] = day
    state = await admin_state(context)
    topics = sorted({t.topic for t in state.active_tips}, key=list(Topic).index)
    await _topics(update, context, lang, day, "admin_pin_topic", topics, f"{PIN_TOPIC}{{}}:0")


async def _topics(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    day: dt.date,
    key: str,
    topics: Iterable[Topic],
    data: str,
) -> None:
    """A date's screen of topic buttons, two a row; `data` is each button's with {} for the
    topic."""
    labels = [plain(topic_name(context, lang, t), data.format(t)) for t in topics]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append(common.back_row(context, lang, f"{DAY}{day_code(day)}"))
    body = text(context, lang, key, day=fmt_day(context, lang, day))
    await common.show(update, context, body, rows)


async def choose_pin_tip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pin a tip on a date: then the tip, from a page of that topic's tips."""
    args = common.args_of(update, PIN_TOPIC)
    day = common.chat_data(context).get(_DAY_KEY)
    if len(args) != 2 or args[0] not in set(Topic) or not isinstance(day, dt.date):
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    state = await admin_state(context)
    tips = [t for t in state.active_tips if t.topic == args[0]]
    shown, page, pages = common.page_of(tips, int(args[1]) if args[1].isdigit() else 0, TIPS_PAGE)
    rows = [[plain(t.text[lang].title, f"{PIN_TIP}{t.id}")] for t in shown]
    rows.append(common.pager(context, lang, page, pages, f"{PIN_TOPIC}{args[0]}:"))
    rows.append(common.back_row(context, lang, f"{PIN}{day_code(day)}"))
    body = text(
        context,
        lang,
        "admin_pin_tip",
        day=fmt_day(context, lang, day),
        topic=topic_name(context, lang, args[0]),
        page=page + 1,
        pages=pages,
    )
    await common.show(update, context, body, [r for r in rows if r])


async def preview_pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview pinning the chosen tip on the chosen date."""
    args = common.args_of(update, PIN_TIP)
    day = common.chat_data(context).get(_DAY_KEY)
    if not args or not isinstance(day, dt.date):
        await common.stale(update, context)
        return
    await common.answer(update)
    tip_id = args[0]
    target = f"{day.isoformat()} {tip_id}"
    await _preview(update, context, lambda p: pin(p, day, tip_id), "schedule.pin", target, day)


async def choose_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer every topic for one date."""
    opened = await _open_day(update, context, TOPIC)
    if opened is None:
        return
    day, lang, _args = opened
    data = f"{TOPIC_SET}{day_code(day)}:{{}}"
    await _topics(update, context, lang, day, "admin_topic_choose", list(Topic), data)


async def preview_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview a date's new topic."""
    opened = await _open_day(
        update, context, TOPIC_SET, valid=lambda args: len(args) == 2 and args[1] in set(Topic)
    )
    if opened is None:
        return
    day, _lang, args = opened
    topic = Topic(args[1])
    target = f"{day.isoformat()} {topic}"
    await _preview(
        update, context, lambda p: set_topic(p, day, topic), "schedule.topic", target, day
    )


async def choose_other_day(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the dates a move or swap can go to, two weeks a page."""
    args = common.args_of(update, PICK)
    day = parse_day(args[1]) if len(args) == 3 else None
    if day is None or args[0] not in ("m", "s") or not args[2].isdigit():
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    page = min(int(args[2]), DAY_PAGES - 1)
    # From the first date an edit still reaches: not today once today's tips have gone out.
    start = await first_open_day(context) + dt.timedelta(days=page * DAYS_PAGE)
    days = [start + dt.timedelta(days=i) for i in range(DAYS_PAGE)]
    code = day_code(day)
    labels = [
        plain(
            fmt_day(context, lang, d).rsplit(" ", 1)[0], f"{PICKED}{args[0]}:{code}:{day_code(d)}"
        )
        for d in days
        if d != day
    ]
    rows = [labels[i : i + 3] for i in range(0, len(labels), 3)]
    rows.append(common.pager(context, lang, page, DAY_PAGES, f"{PICK}{args[0]}:{code}:"))
    rows.append(common.back_row(context, lang, f"{DAY}{code}"))
    key = "admin_move_choose" if args[0] == "m" else "admin_swap_choose"
    body = text(context, lang, key, day=fmt_day(context, lang, day))
    await common.show(update, context, body, [r for r in rows if r])


async def preview_move_or_swap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview moving one date's tip to another date, or swapping the two."""
    args = common.args_of(update, PICKED)
    first = parse_day(args[1]) if len(args) == 3 else None
    second = parse_day(args[2]) if len(args) == 3 else None
    if first is None or second is None or args[0] not in ("m", "s"):
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    if not await _future(update, context, lang, first, second):
        return
    is_move = args[0] == "m"
    await _preview(
        update,
        context,
        lambda p: move(p, first, second) if is_move else swap(p, first, second),
        "schedule.move" if is_move else "schedule.swap",
        f"{first.isoformat()} {second.isoformat()}",
        first,
        second,
    )


async def preview_skip_or_clear(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview skipping a date (a public holiday), or putting it back on the rotation."""
    query = update.callback_query
    is_skip = query is not None and (query.data or "").startswith(SKIP)
    opened = await _open_day(update, context, SKIP if is_skip else CLEAR)
    if opened is None:
        return
    day = opened[0]
    await _preview(
        update,
        context,
        lambda program: skip(program, day) if is_skip else clear(program, day),
        "schedule.skip" if is_skip else "schedule.clear",
        day.isoformat(),
        day,
    )


def register(app: AnyApplication) -> None:
    """Register the date screen and its edits."""
    add_admin_doors(
        app,
        (
            (f"^{DAY}[0-9]{{8}}$", show_day),
            (f"^{PIN}[0-9]{{8}}$", choose_pin_topic),
            (f"^{PIN_TOPIC}", choose_pin_tip),
            (f"^{PIN_TIP}", preview_pin),
            (f"^{TOPIC}[0-9]{{8}}$", choose_topic),
            (f"^{TOPIC_SET}", preview_topic),
            (f"^{PICK}", choose_other_day),
            (f"^{PICKED}", preview_move_or_swap),
            (f"^({SKIP}|{CLEAR})[0-9]{{8}}$", preview_skip_or_clear),
        ),
    )
