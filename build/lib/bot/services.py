"""The one typed Services object of an application: what handlers, jobs and the runtime share.

`bot.runtime.app.build_application` makes it and keeps it in `bot_data[SERVICES_KEY]` (the only
thing the bot keeps there besides handlers' own small state). post_init migrates the database
and starts delivery, filling in `sender`, `engine`, `scheduler` and, when it serves HTTP,
`web`; post_shutdown closes them. Handlers reach it with `bot.handlers.services.services`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: the runtime imports this module, not the other way round
    from telegram.request import BaseRequest

    from bot.clock import Clock
    from bot.config import Settings
    from bot.content.live import LiveContent
    from bot.content.loader import Content
    from bot.db.engine import Database
    from bot.delivery.engine import DeliveryEngine
    from bot.faq.matcher import FaqMatcher
    from bot.outbound.pacing import Pacer
    from bot.outbound.sender import Sender
    from bot.runtime.metrics import Metrics
    from bot.runtime.scheduler import TickScheduler
    from bot.runtime.web import WebServer

SERVICES_KEY = "services"


@dataclass
class Services:
    """Everything long-lived the handlers, jobs and the runtime need."""

    settings: Settings
    db: Database  # connects on first use; post_init migrates it
    content: Content  # tips/ as loaded at start; `live` has what is in use now
    clock: Clock
    matcher: FaqMatcher  # for tips/faq.yaml; `live` has the one for the FAQ in use
    live: LiveContent[FaqMatcher]
    pacer: Pacer  # the one pacer of everything the bot sends
    metrics: Metrics
    requests: tuple[BaseRequest, ...]  # PTB's HTTP backends
    sender: Sender | None = None  # from post_init on
    engine: DeliveryEngine | None = None  # from post_init on
    scheduler: TickScheduler | None = None  # from post_init on
    web: WebServer | None = None  # from post_init on, when it serves HTTP


def services_in(bot_data: Mapping[str, Any]) -> Services:
    """The services kept in an application's bot_data."""
    found = bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
