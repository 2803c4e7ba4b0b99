"""The command line's side of clinical review: `tips review-status`, and what `run` checks.

`run` refuses to start (exit 2, one line) when patients would get placeholder clinic
details or, with CONTENT_REVIEW=required, nothing at all.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.admin import review
from bot.clock import SystemClock
from bot.config import Settings
from bot.content.loader import Content
from bot.content.placeholders import clinic_placeholders
from bot.db.engine import Database

_LABELS = {
    review.Status.REVIEWED: "reviewed",
    review.Status.EXPIRING: "reviewed, expiring within 30 days",
    review.Status.NEW: "new (never reviewed)",
    review.Status.EDITED: "edited since review",
    review.Status.EXPIRED: "review expired",
    review.Status.RETURNED: "sent back with a comment",
}


async def review_status(
    args: argparse.Namespace, settings: Settings, content: Content, db: Database
) -> int:
    """Print how many tips and FAQ entries stand in each review state."""
    async with db.session() as session:
        found = await review.items(session, content, SystemClock().now())
    per_kind = review.counts(found)
    for kind, label in ((review.TIP, "tips"), (review.FAQ, "FAQ entries")):
        total = sum(per_kind[kind].values())
        print(f"{label}: {total}")
        for status in (review.Status.REVIEWED, *review.QUEUE):
            if per_kind[kind][status]:
                print(f"  {_LABELS[status]}: {per_kind[kind][status]}")
    mode = settings.content_review or "required for `run`, off in the sandbox"
    print(f"CONTENT_REVIEW: {mode}")
    return 0


def refuse_to_run(settings: Settings, content: Content) -> str | None:
    """Why `run` must not start with this content and database (one line), or None."""
    placeholders = clinic_placeholders(content.clinics)
    if placeholders and not settings.allow_placeholder_clinics:
        return (
            f"tips/clinics.yaml still has {len(placeholders)} placeholder detail(s) (numbers of "
            "zeros, example.com links, PLACEHOLDER text; `gutskin-bot content check` lists "
            "them): put in the clinic's real details, or set ALLOW_PLACEHOLDER_CLINICS=true"
        )
    if settings.review_required and not asyncio.run(_any_live(settings, content)):
        return (
            "CONTENT_REVIEW=required and no tip or FAQ entry is reviewed yet: make a clinician "
            "a reviewer (`gutskin-bot admins add --role reviewer USER_ID`) and approve content "
            "in /admin → Review (README: Clinical review), or set CONTENT_REVIEW=off"
        )
    return None


async def _any_live(settings: Settings, content: Content) -> bool:
    db = settings.open_database()
    try:
        async with db.session() as session:
            return await review.any_live(session, content, SystemClock().now())
    finally:
        await db.close()
