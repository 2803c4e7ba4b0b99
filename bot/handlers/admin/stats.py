"""The admin console's Stats: the numbers for the last 30 days, a chart of subscribers and
deliveries, and the questions the FAQ could not answer, each one a button away from a
draft FAQ entry. Buttons are `adm:stats[:<action>[:<arg>]]`, behind the admin filter."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InputFile, Update
from telegram.ext import ContextTypes

from bot.admin import stats
from bot.admin.charts import Labels, overview_png
from bot.content.catalog import Html
from bot.content.loader import Content
from bot.delivery import capacity
from bot.handlers.admin import common
from bot.handlers.admin.auth import add_admin_doors
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text
from bot.schedule.due import zone

PREFIX = "adm:stats"
QUESTIONS = f"{PREFIX}:q"
DRAFT = f"{PREFIX}:faq:"  # adm:stats:faq:<question id>
DAYS = 30
TABLE_DAYS = 7
NOT_DELIVERED = ("failed", "blocked", "rejected", "expired", "missed", "unknown")


def _date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _listing(context: ContextTypes.DEFAULT_TYPE, lang: str, items: Sequence[str]) -> str:
    return "; ".join(items) if items else text(context, lang, "stats_none")


def _tip_title(content: Content, lang: str, tip_id: str) -> str:
    tip = content.tip(tip_id)
    return tip.text[lang].title if tip is not None else tip_id


def _origin(content: Content, lang: str, origin: str) -> str:
    """What led to a booking: a tip's title, an FAQ question, or the origin as stored."""
    kind, _, ident = origin.partition(":")
    if kind == "tip":
        return _tip_title(content, lang, ident)
    entry = content.faq_entry(ident) if kind == "faq" else None
    return entry.text[lang].question if entry is not None else origin


def overview(context: ContextTypes.DEFAULT_TYPE, lang: str, found: stats.Report) -> str:
    """The stats screen's text: subscribers, the last week, tips, feedback, questions,
    bookings, sources."""
    svc = services(context)
    content = svc.content
    s, d = found.statuses, found.deliveries
    parts = [
        text(
            context,
            lang,
            "stats_header",
            days=len(found.days),
            start=_date(found.start),
            end=_date(found.end),
            timezone=svc.settings.default_timezone,
        ),
        text(
            context,
            lang,
            "stats_subscribers",
            subscribed=s["active"] + s["paused"],
            active=s["active"],
            paused=s["paused"],
            total=found.total,
            blocked=s["blocked"],
            unsubscribed=s["unsubscribed"],
            days=len(found.days),
            new=found.new,
            lost=found.lost,
        ),
    ]
    lines = [
        f"{day.date:%d/%m}  +{day.new:<3} -{day.lost:<3} {day.deliveries['sent']:>5}"
        f" {sum(day.deliveries[k] for k in NOT_DELIVERED):>4}"
        for day in found.days[-TABLE_DAYS:]
    ]
    table = "\n".join(lines)  # digits and slashes only: nothing to escape
    parts.append(f"{text(context, lang, 'stats_last_days')}\n<pre>{table}</pre>")
    parts.append(
        text(
            context,
            lang,
            "stats_deliveries",
            sent=d["sent"],
            failed=d["failed"] + d["expired"],
            blocked=d["blocked"],
            missed=d["missed"],
            in_doubt=d["unknown"],
            other=sum(d.values())
            - d["sent"]
            - d["failed"]
            - d["expired"]
            - d["blocked"]
            - d["missed"]
            - d["unknown"],
        )
    )

    def votes(scores: Sequence[stats.TipScore]) -> str:
        return _listing(
            context,
            lang,
            [
                text(
                    context,
                    lang,
                    "stats_vote",
                    title=Html(_tip_title(content, lang, score.tip_id)),
                    helpful=score.helpful,
                    not_helpful=score.not_helpful,
                )
                for score in scores[:3]
            ],
        )

    if found.rated_tips:
        parts.append(
            text(
                context,
                lang,
                "stats_feedback",
                most=Html(votes(found.most_helpful)),
                least=Html(votes(found.least_helpful)),
            )
        )
    else:
        parts.append(text(context, lang, "stats_feedback_none"))
    q = found.questions
    answered = [
        f"{entry.text[lang].question if (entry := content.faq_entry(i)) else i} ({n})"
        for i, n in found.top_answers[:3]
    ]
    parts.append(
        text(
            context,
            lang,
            "stats_questions",
            answered=q["answered"],
            ambiguous=q["ambiguous"],
            unanswered=q["unanswered"],
            urgent=q["urgent"] + q["crisis"],  # crisis messages are urgent ones too
            top=_listing(context, lang, answered),
        )
    )
    branches = [
        f"{clinic.name[lang] if (clinic := content.clinic(i)) else i} ({n})"
        for i, n in found.bookings_by_branch
    ]
    origins = [f"{_origin(content, lang, o)} ({n})" for o, n in found.bookings_by_origin]
    parts.append(
        text(
            context,
            lang,
            "stats_bookings",
            total=sum(n for _i, n in found.bookings_by_branch),
            branches=_listing(context, lang, branches),
            origins=_listing(context, lang, origins),
        )
    )
    direct = text(context, lang, "stats_source_direct")
    sources = [f"{source or direct} ({n}, {still})" for source, n, still in found.sources]
    parts.append(text(context, lang, "stats_sources", sources=_listing(context, lang, sources)))
    return "\n\n".join(parts)


async def capacity_text(
    context: ContextTypes.DEFAULT_TYPE, lang: str, *, only_warnings: bool = False
) -> str:
    """Whether each send time of the coming day fits its catch-up window, with what to do."""
    svc = services(context)
    settings = svc.settings
    found = await capacity.load(
        svc.db,
        svc.clock.now(),
        rate=settings.delivery_rate,
        window=dt.timedelta(hours=settings.catch_up_hours),
    )
    local = zone(settings.default_timezone)
    rate, window = f"{found.rate:g}", f"{settings.catch_up_hours:g}"
    lines = []
    if not only_warnings:
        lines.append(
            text(
                context,
                lang,
                "stats_capacity",
                due=f"{found.due:,}",
                rate=rate,
                holds=f"{found.per_send_time:,}",
                window=window,
            )
        )
    for slot in found.too_large[:3]:
        lines.append(
            text(
                context,
                lang,
                "stats_capacity_over",
                time=f"{slot.at.astimezone(local):%H:%M}",
                due=f"{slot.due:,}",
                minutes=f"{-(-slot.needs // dt.timedelta(minutes=1)):,}",
                rate=rate,
                window=window,
                missed=f"{slot.missed:,}",
            )
        )
    if found.too_large:
        lines.append(text(context, lang, "stats_capacity_advice"))
    return "\n".join(lines)


def chart_labels(context: ContextTypes.DEFAULT_TYPE, lang: str) -> Labels:
    """The chart's words in the admin's language."""

    def word(key: str) -> str:
        return text(context, lang, f"stats_chart_{key}")

    return Labels(
        subscribers=word("subscribers"),
        deliveries=word("deliveries"),
        subscribed=word("subscribed"),
        new=word("new"),
        lost=word("lost"),
        outcomes={k: word(k) for k in ("sent", "failed", "blocked", "other")},
    )


async def show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats or the menu's Stats button: the numbers, then the chart as a photo."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    async with svc.db.session() as session:
        found = await stats.report(session, svc.clock.now(), svc.settings.default_timezone, DAYS)
    sending = await capacity_text(context, lang)
    rows = [
        [
            InlineKeyboardButton(
                text(context, lang, "stats_button_questions", count=len(found.open_questions)),
                callback_data=QUESTIONS,
            )
        ],
        [
            InlineKeyboardButton(text(context, lang, "stats_button_refresh"), callback_data=PREFIX),
            InlineKeyboardButton(
                text(context, lang, "stats_button_back"), callback_data=common.MENU
            ),
        ],
    ]
    await common.show(update, context, f"{overview(context, lang, found)}\n\n{sending}", rows)
    # Drawing takes a few hundred milliseconds of CPU: off the event loop.
    png = await asyncio.to_thread(overview_png, found.days, chart_labels(context, lang))
    chat = update.effective_chat
    assert chat is not None
    caption = text(
        context, lang, "stats_chart_caption", start=_date(found.start), end=_date(found.end)
    )
    await context.bot.send_photo(chat.id, InputFile(png, filename="stats.png"), caption=caption)


async def show_questions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The newest questions the FAQ could not answer, each with a Draft button."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    svc = services(context)
    since = svc.clock.now() - dt.timedelta(days=DAYS)
    async with svc.db.session() as session:
        found = await stats.open_questions(session, since=since)
    outcome = {o: text(context, lang, f"stats_outcome_{o}") for o in ("unanswered", "ambiguous")}
    lines = [text(context, lang, "stats_open_title" if found else "stats_open_none")]
    for number, item in enumerate(found, start=1):
        words = " ".join(item.text.split())
        lines.append(
            text(
                context,
                lang,
                "stats_open_item",
                number=number,
                question=words[:200] + ("…" if len(words) > 200 else ""),
                outcome=outcome.get(item.outcome, item.outcome),
                lang_name=item.language,
                date=_date(item.created_at.date()),
            )
        )
    drafts = [
        InlineKeyboardButton(
            text(context, lang, "stats_button_draft", number=number),
            callback_data=f"{DRAFT}{item.id}",
        )
        for number, item in enumerate(found, start=1)
    ]
    rows = [drafts[i : i + 3] for i in range(0, len(drafts), 3)]
    rows.append(
        [InlineKeyboardButton(text(context, lang, "stats_button_back"), callback_data=PREFIX)]
    )
    await common.show(update, context, "\n".join(lines), rows)


async def send_faq_draft(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    """Send a YAML draft FAQ entry prefilled with one kept question."""
    lang = await common.lang_of(update, context)
    svc = services(context)
    found = None
    if raw.isdigit() and len(raw) < 18:
        async with svc.db.session() as session:
            found = await stats.question(session, int(raw))
    if found is None:
        await common.answer(update)
        await common.send(update, context, text(context, lang, "stats_question_gone"))
        return
    await common.answer(update)
    user = update.effective_user
    by = (user.full_name if user else "")[:80]
    topics = list(dict.fromkeys(entry.topic for entry in svc.content.faq))
    today = svc.clock.now().astimezone(zone(svc.settings.default_timezone)).date()
    draft = stats.faq_draft(found, today, topics=topics, by=by if len(by) >= 2 else "clinic admin")
    await common.send(
        update, context, text(context, lang, "stats_faq_draft", id=found.id, draft=draft)
    )


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Dispatch an adm:stats button."""
    data = (update.callback_query.data if update.callback_query else None) or ""
    if data == PREFIX:
        await show_stats(update, context)
    elif data == QUESTIONS:
        await show_questions(update, context)
    elif data.startswith(DRAFT):
        await send_faq_draft(update, context, data.removeprefix(DRAFT))
    else:
        await common.stale(update, context)


def register(app: AnyApplication) -> None:
    """Register /stats and the adm:stats buttons."""
    add_admin_doors(
        app,
        ((f"^{PREFIX}(:|$)", route),),
        command=("stats", show_stats),
    )
