"""The "draft" mark staff see on unreviewed content when CONTENT_REVIEW is off (the sandbox).

Patients never see it; with review required drafts reach no one, so there is nothing to mark.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.admin import review
from bot.handlers.admin.auth import FILTER_KEY
from bot.handlers.services import services, text


async def draft_mark(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    kind: str,
    item_id: str,
    data: dict[str, Any],
) -> str:
    """A line to add under an unreviewed tip or answer shown to staff; "" otherwise."""
    svc = services(context)
    user = update.effective_user
    staff = context.bot_data.get(FILTER_KEY)
    if svc.settings.review_required or user is None or staff is None or user.id not in staff.ids:
        return ""
    async with svc.db.session() as session:
        live = await review.is_live(session, svc.content, kind, item_id, data, svc.clock.now())
    return "" if live else f"\n\n{text(context, lang, 'review_draft_mark')}"
