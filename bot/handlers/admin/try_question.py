"""/try <question>: admins see what the bot would do with a question, nothing sent or stored."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.content.catalog import Html
from bot.faq import answer as questions
from bot.handlers.admin.auth import AdminCommand
from bot.handlers.faq import live_content
from bot.handlers.groups import AnyApplication
from bot.handlers.services import reply_language, text


async def try_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the decision for the question after /try: kind, entry ids, scores, sign."""
    message = update.effective_message
    if message is None:
        return
    lang = await reply_language(update, context)
    question = " ".join(context.args or ())
    if not question.strip():
        await message.reply_text(text(context, lang, "try_usage"), parse_mode=ParseMode.HTML)
        return
    content, matcher = await live_content(context)
    found = questions.describe(questions.triage(content, matcher, question, lang))
    lines = [f"kind: {found['kind']}"]
    for label in ("sign", "smalltalk", "language"):
        if found[label]:
            lines.append(f"{label}: {found[label]}")
    if found["ids"]:
        lines.append(f"ids: {', '.join(map(str, found['ids']))}")
    scores: dict[str, float] = found["scores"]
    lines += [f"  {entry} {score:.2f}" for entry, score in scores.items()]
    summary = Html("<code>" + html.escape("\n".join(lines)) + "</code>")
    await message.reply_text(
        text(context, lang, "try_result", summary=summary), parse_mode=ParseMode.HTML
    )


def register(app: AnyApplication) -> None:
    """Register /try behind the admin filter."""
    app.add_handler(AdminCommand(app, "try", try_question))
