"""Tips: browse by topic, view one as subscribers see it (both languages), edit its text,
mark it reviewed, retire or reinstate it. Adding tips: tip_add.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.admin import review
from bot.content import store as content_store
from bot.content.catalog import Html
from bot.content.models import LANGUAGES, Tip, Topic
from bot.content.store import TipState
from bot.content.transfer import TIP_FIELDS, check_tip_field, with_review, with_text
from bot.delivery.message import tip_keyboard, tip_text
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import CANCEL, MENU, Pending, button, plain
from bot.handlers.admin.schedule import admin_state, topic_name
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text

TIPS = f"{PREFIX}tips"
TOPIC = f"{PREFIX}tt:"  # adm:tt:<topic>:<page>
VIEW = f"{PREFIX}tv:"  # adm:tv:<tip id>
EDIT = f"{PREFIX}te:"  # adm:te:<tip id>: choose the text to edit
FIELD = f"{PREFIX}tf:"  # adm:tf:<lang>:<field> (the tip is kept in chat_data)
REVIEW = f"{PREFIX}tr:"  # adm:tr:<tip id>
RETIRE = f"{PREFIX}tx:"  # adm:tx:<tip id>
REINSTATE = f"{PREFIX}tu:"  # adm:tu:<tip id>
ADD = f"{PREFIX}ta"
TEXT_INPUT = "admin_tip_text"
_TIP_KEY = "admin_tip"
PAGE = 8


async def send_card(
    update: Update, context: ContextTypes.DEFAULT_TYPE, tip: Tip, lang: str
) -> None:
    """Send a tip exactly as the daily delivery does (card and buttons, without feedback)."""
    chat = update.effective_chat
    assert chat is not None
    catalogs = services(context).content.catalogs
    markup = InlineKeyboardMarkup.de_json(tip_keyboard(catalogs, tip, lang, None), context.bot)
    await context.bot.send_message(
        chat.id,
        tip_text(catalogs, tip, lang, hint=False),
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def reviewer(user: User) -> str:
    """The name a review is signed with."""
    name = (user.full_name or "").strip()
    return name[:80] if len(name) >= 2 else f"admin {user.id}"


async def show_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show each topic with its counts, and Add a tip."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    state = await admin_state(context)
    live = await _reviewed(context)
    rows = []
    for topic in Topic:
        mine = [s for s in state.tips if s.tip.topic == topic]
        active = [s for s in mine if not s.retired]
        drafts = sum(1 for s in active if s.tip.id not in live)
        label = text(
            context,
            lang,
            "admin_tips_topic_button",
            topic=Html(topic_name(context, lang, topic)),
            count=len(active),
            drafts=drafts,
        )
        rows.append([plain(label, f"{TOPIC}{topic}:0")])
    rows.append([button(context, lang, "admin_button_add_tip", ADD)])
    rows.append(common.back_row(context, lang, MENU))
    body = text(context, lang, "admin_tips", count=len(state.active_tips))
    await common.show(update, context, body, rows)


async def show_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List one topic's tips (retired ones marked), a page at a time."""
    args = common.args_of(update, TOPIC)
    if len(args) != 2 or args[0] not in set(Topic) or not args[1].isdigit():
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    state = await admin_state(context)
    live = await _reviewed(context)
    mine = [s for s in state.tips if s.tip.topic == args[0]]
    shown, page, pages = common.page_of(mine, int(args[1]), PAGE)
    rows = [[plain(_label(context, lang, s, live), f"{VIEW}{s.tip.id}")] for s in shown]
    rows.append(common.pager(context, lang, page, pages, f"{TOPIC}{args[0]}:"))
    rows.append(common.back_row(context, lang, TIPS))
    body = text(
        context,
        lang,
        "admin_tips_topic",
        topic=topic_name(context, lang, args[0]),
        count=len(mine),
        page=page + 1,
        pages=pages,
    )
    await common.show(update, context, body, [r for r in rows if r])


async def _reviewed(context: ContextTypes.DEFAULT_TYPE) -> frozenset[str]:
    """The ids of the tips a clinician's review lets through now (bot/admin/review.py)."""
    svc = services(context)
    async with svc.db.session() as session:
        found = await review.items(session, svc.content, svc.clock.now())
    return frozenset(i.id for i in found if i.kind == review.TIP and i.status in review.LIVE)


def _label(
    context: ContextTypes.DEFAULT_TYPE, lang: str, state: TipState, live: frozenset[str]
) -> str:
    key = "admin_tip_label"
    if state.retired:
        key = "admin_tip_label_retired"
    elif state.tip.id not in live:
        key = "admin_tip_label_draft"
    return text(context, lang, key, title=Html(state.tip.text[lang].title))


async def view_tip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the tip exactly as subscribers see it, in each language, then its controls."""
    opened = await _open(update, context, VIEW)
    if opened is None:
        return
    found, lang = opened
    for card_lang in LANGUAGES:
        await send_card(update, context, found.tip, card_lang)
    await common.send(update, context, *_controls(context, lang, found))


def _controls(
    context: ContextTypes.DEFAULT_TYPE, lang: str, found: TipState
) -> tuple[str, list[list[Any]]]:
    tip = found.tip
    status = "admin_tip_retired" if found.retired else "admin_tip_active"
    body = text(
        context,
        lang,
        "admin_tip_info",
        title=tip.text[lang].title,
        id=tip.id,
        topic=topic_name(context, lang, tip.topic),
        review=tip.review.status,
        by=tip.review.by,
        on=tip.review.on.isoformat(),
        status=Html(text(context, lang, status)),
    )
    rows = [[button(context, lang, "admin_button_edit_text", f"{EDIT}{tip.id}")]]
    # Approval is the clinical review's (bot/handlers/admin/review.py: adm:r:t:<id>).
    rows.append([button(context, lang, "admin_button_review", f"{PREFIX}r:t:{tip.id}")])
    if found.retired:
        rows.append([button(context, lang, "admin_button_reinstate", f"{REINSTATE}{tip.id}")])
    else:
        rows.append([button(context, lang, "admin_button_retire", f"{RETIRE}{tip.id}")])
    rows.append(common.back_row(context, lang, f"{TOPIC}{tip.topic}:0"))
    return body, rows


async def _open(
    update: Update, context: ContextTypes.DEFAULT_TYPE, prefix: str
) -> tuple[TipState, str] | None:
    """The tip a pressed button names, with the admin's language (the press answered);
    None once answered as stale."""
    args = common.args_of(update, prefix)
    found = await _find(context, args[0] if args else "")
    if found is None:
        await common.stale(update, context)
        return None
    await common.answer(update)
    return found, await common.lang_of(update, context)


async def _find(context: ContextTypes.DEFAULT_TYPE, tip_id: str) -> TipState | None:
    return (await admin_state(context)).find(tip_id) if tip_id else None


async def choose_field(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the six texts of a tip (three fields in two languages)."""
    opened = await _open(update, context, EDIT)
    if opened is None:
        return
    found, lang = opened
    common.chat_data(context)[_TIP_KEY] = found.tip.id
    rows = [
        [
            button(
                context,
                lang,
                f"admin_field_{field}",
                f"{FIELD}{text_lang}:{field}",
                code=text_lang.upper(),
            )
            for field in TIP_FIELDS
        ]
        for text_lang in LANGUAGES
    ]
    rows.append(common.back_row(context, lang, f"{VIEW}{found.tip.id}"))
    body = text(context, lang, "admin_edit_choose", title=found.tip.text[lang].title)
    await common.show(update, context, body, rows)


async def ask_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the new wording of one text."""
    args = common.args_of(update, FIELD)
    tip_id = common.chat_data(context).get(_TIP_KEY)
    found = await _find(context, tip_id if isinstance(tip_id, str) else "")
    if found is None or len(args) != 2 or args[0] not in LANGUAGES or args[1] not in TIP_FIELDS:
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    text_lang, field = args
    common.await_input(context, TEXT_INPUT, tip=found.tip.id, lang=text_lang, field=field)
    current = getattr(found.tip.text[text_lang], field)
    body = text(
        context,
        lang,
        "admin_edit_prompt",
        field=Html(text(context, lang, f"admin_field_{field}", code=text_lang.upper())),
        limits=Html(text(context, lang, f"admin_limits_{field}")),
        current=current,
    )
    await common.show(
        update, context, body, [[button(context, lang, "admin_button_cancel", CANCEL)]]
    )


async def read_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: dict[str, Any]
) -> None:
    """Check the typed wording and preview the card with it."""
    message = update.effective_message
    assert message is not None
    lang = await common.lang_of(update, context)
    value = (message.text or "").strip()
    problem = check_tip_field(waiting["field"], value)
    if problem is not None:
        await common.send(
            update, context, text(context, lang, "admin_text_invalid", problem=problem)
        )
        return
    found = await _find(context, waiting["tip"])
    if found is None:
        common.stop_waiting(context)
        await common.send(update, context, text(context, lang, "admin_tip_unknown"))
        return
    common.stop_waiting(context)
    text_lang, field, tip_id = waiting["lang"], waiting["field"], waiting["tip"]
    await send_card(update, context, with_text(found.tip, text_lang, field, value), text_lang)
    what = text(context, lang, f"admin_field_{field}", code=text_lang.upper())
    await _preview_tip(
        update,
        context,
        lang,
        tip_id,
        lambda tip, _retired: (with_text(tip, text_lang, field, value), _retired),
        "tips.edit",
        text(context, lang, "admin_edit_preview", field=Html(what)),
        edit=False,
    )


async def preview_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview marking reviewed, retiring or reinstating a tip."""
    query = update.callback_query
    data = query.data if query is not None and query.data else ""
    prefix = next(p for p in (REVIEW, RETIRE, REINSTATE) if data.startswith(p))
    found = await _find(context, data.removeprefix(prefix))
    user = update.effective_user
    if found is None or user is None:
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    today, name = common.today(context), reviewer(user)
    title = found.tip.text[lang].title
    change: Callable[[Tip, bool], tuple[Tip, bool]]
    if prefix == REVIEW:
        action, key = "tips.review", "admin_review_preview"

        def change(tip: Tip, retired: bool) -> tuple[Tip, bool]:
            return with_review(tip, name, today), retired

    elif prefix == RETIRE:
        action, key = "tips.retire", "admin_retire_preview"

        def change(tip: Tip, retired: bool) -> tuple[Tip, bool]:
            return tip, True

    else:
        action, key = "tips.reinstate", "admin_reinstate_preview"

        def change(tip: Tip, retired: bool) -> tuple[Tip, bool]:
            return tip, False

    body = text(context, lang, key, title=title, by=name)
    await _preview_tip(update, context, lang, found.tip.id, change, action, body, edit=True)


async def _preview_tip(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    tip_id: str,
    change: Callable[[Tip, bool], tuple[Tip, bool]],
    action: str,
    body: str,
    *,
    edit: bool,
) -> None:
    """Check a change to one tip against the whole content, preview it, apply on Apply."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    actor = user.id
    back = [common.back_row(context, lang, f"{VIEW}{tip_id}")]

    def build(state: content_store.State) -> content_store.Change:
        found = state.find(tip_id)
        if found is None:
            raise content_store.ChangeRefused([f"tip {tip_id!r}: no such tip"])
        return content_store.tips_change(svc.content, {tip_id: change(found.tip, found.retired)})

    async with svc.db.session() as session:
        state = await content_store.load_state(session, svc.content)
        _, _, problems = await content_store.preview(session, svc.content, build(state))
    if problems:
        await common.send_problems(update, context, lang, "admin_refused", problems, back)
        return
    run = common.content_change(context, actor, build, action, tip_id)

    pending = Pending(run, "admin_tip_done", f"{VIEW}{tip_id}")
    await common.preview(update, context, lang, body, pending, edit=edit)


def register(app: AnyApplication) -> None:
    """Register the tips screens."""
    add_admin_doors(
        app,
        (
            (f"^{TIPS}$", show_topics),
            (f"^{TOPIC}", show_topic),
            (f"^{VIEW}", view_tip),
            (f"^{EDIT}", choose_field),
            (f"^{FIELD}", ask_text),
            (f"^({REVIEW}|{RETIRE}|{REINSTATE})", preview_status),
        ),
    )
