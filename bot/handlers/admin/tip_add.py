"""Add a tip: a short guided conversation (topic, id, three texts in each language, source),
or a pasted YAML snippet in the schema of tips/tips/*.yaml. Previewed as subscribers see it."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.content import store as content_store
from bot.content.catalog import Html
from bot.content.errors import ContentError
from bot.content.models import LANGUAGES, Tip, Topic
from bot.content.transfer import (
    TIP_FIELDS,
    check_source,
    check_tip_field,
    check_tip_id,
    off_loop,
    parse_tip_snippet,
)
from bot.handlers.admin import common
from bot.handlers.admin.auth import PREFIX, add_admin_doors
from bot.handlers.admin.common import CANCEL, Pending, button, plain
from bot.handlers.admin.schedule import admin_state, topic_name
from bot.handlers.admin.tips import ADD, TIPS, VIEW, reviewer, send_card
from bot.handlers.groups import AnyApplication
from bot.handlers.services import services, text

GUIDED = f"{PREFIX}tag"
GUIDED_TOPIC = f"{PREFIX}tat:"  # adm:tat:<topic>
YAML = f"{PREFIX}tay"
STEP_INPUT = "admin_tip_new"
YAML_INPUT = "admin_tip_yaml"
# The guided conversation's typed steps, in order: id, then each language's texts, source.
STEPS: tuple[str, ...] = (
    "id",
    *(f"{lang}.{field}" for lang in LANGUAGES for field in TIP_FIELDS),
    "source",
)


async def choose_way(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the guided conversation or a YAML snippet."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    rows = [
        [button(context, lang, "admin_button_add_guided", GUIDED)],
        [button(context, lang, "admin_button_add_yaml", YAML)],
        common.back_row(context, lang, TIPS),
    ]
    await common.show(update, context, text(context, lang, "admin_add_choose"), rows)


async def choose_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Guided: first the topic."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    labels = [plain(topic_name(context, lang, t), f"{GUIDED_TOPIC}{t}") for t in Topic]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    rows.append([button(context, lang, "admin_button_cancel", CANCEL)])
    await common.show(update, context, text(context, lang, "admin_add_topic"), rows)


async def start_steps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Guided: topic chosen; ask for the id."""
    args = common.args_of(update, GUIDED_TOPIC)
    if not args or args[0] not in set(Topic):
        await common.stale(update, context)
        return
    await common.answer(update)
    lang = await common.lang_of(update, context)
    common.await_input(context, STEP_INPUT, step=0, draft={"topic": args[0]})
    await common.show(update, context, _prompt(context, lang, 0), _cancel(context, lang))


def _prompt(context: ContextTypes.DEFAULT_TYPE, lang: str, step: int) -> str:
    name = STEPS[step]
    if "." in name:
        text_lang, field = name.split(".")
        what = text(context, lang, f"admin_field_{field}", code=text_lang.upper())
        limits = text(context, lang, f"admin_limits_{field}")
        return text(
            context,
            lang,
            "admin_add_step",
            step=step + 2,
            steps=len(STEPS) + 1,
            what=Html(what),
            limits=Html(limits),
        )
    return text(context, lang, f"admin_add_step_{name}", step=step + 2, steps=len(STEPS) + 1)


def _cancel(context: ContextTypes.DEFAULT_TYPE, lang: str) -> list[list[Any]]:
    return [[button(context, lang, "admin_button_cancel", CANCEL)]]


async def read_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: dict[str, Any]
) -> None:
    """Guided: check one typed answer, then ask the next (or preview the finished tip)."""
    message = update.effective_message
    assert message is not None
    lang = await common.lang_of(update, context)
    step, draft = int(waiting["step"]), dict(waiting["draft"])
    name, value = STEPS[step], (message.text or "").strip()
    if name == "id":
        problem = check_tip_id(value)
        if problem is None and (await admin_state(context)).find(value) is not None:
            problem = text(context, lang, "admin_id_taken", id=value)
    elif name == "source":
        problem = check_source(value)
    else:
        problem = check_tip_field(name.split(".")[1], value)
    if problem is not None:
        body = text(context, lang, "admin_text_invalid", problem=problem)
        await common.send(update, context, body, _cancel(context, lang))
        return
    draft[name] = value
    if step + 1 < len(STEPS):
        common.await_input(context, STEP_INPUT, step=step + 1, draft=draft)
        await common.send(update, context, _prompt(context, lang, step + 1), _cancel(context, lang))
        return
    common.stop_waiting(context)
    user = update.effective_user
    assert user is not None
    tip = Tip.model_validate(
        {
            "id": draft["id"],
            "topic": draft["topic"],
            "source": draft["source"],
            "review": {
                "status": "draft",
                "by": reviewer(user),
                "on": common.today(context).isoformat(),
            },
            "text": {
                lang_: {field: draft[f"{lang_}.{field}"] for field in TIP_FIELDS}
                for lang_ in LANGUAGES
            },
        }
    )
    await _preview_new(update, context, lang, (tip,))


async def ask_yaml(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """YAML: ask for the snippet."""
    await common.answer(update)
    lang = await common.lang_of(update, context)
    common.await_input(context, YAML_INPUT)
    await common.show(
        update, context, text(context, lang, "admin_add_yaml"), _cancel(context, lang)
    )


async def read_yaml_snippet(
    update: Update, context: ContextTypes.DEFAULT_TYPE, _waiting: dict[str, Any]
) -> None:
    """YAML: validate the snippet (every problem listed) and preview its tips."""
    message = update.effective_message
    assert message is not None
    lang = await common.lang_of(update, context)
    try:
        # Off the event loop: everyone else's replies and tips go on meanwhile.
        tips = await off_loop("snippet", parse_tip_snippet, message.text or "")
    except ContentError as exc:
        await common.send_problems(
            update, context, lang, "admin_yaml_invalid", exc.problems, _cancel(context, lang)
        )
        return
    common.stop_waiting(context)
    await _preview_new(update, context, lang, tips)


async def _preview_new(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, tips: tuple[Tip, ...]
) -> None:
    svc = services(context)
    user = update.effective_user
    assert user is not None
    actor = user.id
    state = await admin_state(context)
    taken = [text(context, lang, "admin_id_taken", id=t.id) for t in tips if state.find(t.id)]
    if taken:
        await common.send_problems(update, context, lang, "admin_refused", taken)
        return
    for tip in tips[:3]:
        for card_lang in LANGUAGES:
            await send_card(update, context, tip, card_lang)

    async def run() -> int:
        async with svc.db.session() as session:
            return await content_store.add_tips(
                session, svc.content, tips, actor=actor, now=svc.clock.now()
            )

    back = f"{VIEW}{tips[0].id}" if len(tips) == 1 else TIPS
    titles = ", ".join(t.text[lang].title for t in tips)
    values = {"count": len(tips), "titles": titles}
    body = text(context, lang, "admin_add_preview", **values)
    pending = Pending(run, "admin_add_done", back, values)
    await common.preview(update, context, lang, body, pending, edit=False)


def register(app: AnyApplication) -> None:
    """Register the add-a-tip buttons (typed steps are read in the admin input group)."""
    add_admin_doors(
        app,
        (
            (f"^{ADD}$", choose_way),
            (f"^{GUIDED}$", choose_topic),
            (f"^{GUIDED_TOPIC}", start_steps),
            (f"^{YAML}$", ask_yaml),
        ),
    )
