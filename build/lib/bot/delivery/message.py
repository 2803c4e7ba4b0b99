"""The daily tip as a Bot API sendMessage payload: card, buttons, and now and then a hint.

Plain JSON, no Telegram objects: the engine hands this straight to the sender.
"""

from __future__ import annotations

from typing import Any

from bot.content.catalog import Catalogs
from bot.content.models import Tip
from bot.content.render import tip_card
from bot.db.ids import row_id

FEEDBACK = "fb:"  # fb:<delivery id>:y|n
MORE = "more:"  # more:<topic>
HINT_EVERY = 5  # the "how to stop" hint rides on every fifth tip


def feedback_data(delivery_id: int, helpful: bool) -> str:
    """Callback data of a feedback button."""
    return f"{FEEDBACK}{delivery_id}:{'y' if helpful else 'n'}"


def parse_feedback(data: str) -> tuple[int, bool] | None:
    """Return (delivery id, helpful) from feedback callback data, or None if malformed."""
    body = data.removeprefix(FEEDBACK)
    ident, _, vote = body.partition(":")
    delivery_id = row_id(ident)  # in the column's range on every database
    if delivery_id is None or vote not in ("y", "n"):
        return None
    return delivery_id, vote == "y"


def mark_feedback(
    keyboard: dict[str, Any], catalogs: Catalogs, language: str, delivery_id: int, helpful: bool
) -> dict[str, Any] | None:
    """Return the tip's keyboard with this vote marked as the one that counts.

    None when the keyboard already shows that vote (nothing to edit). Other buttons stay as
    they are; the vote not chosen goes back to its plain label, so changing one's mind shows.
    """
    labels = {
        (True, True): catalogs.text(language, "tip_helpful_chosen"),
        (True, False): catalogs.text(language, "tip_helpful"),
        (False, True): catalogs.text(language, "tip_not_helpful_chosen"),
        (False, False): catalogs.text(language, "tip_not_helpful"),
    }
    changed = False
    rows: list[list[dict[str, Any]]] = []
    for row in keyboard.get("inline_keyboard", []):
        new_row = []
        for button in row:
            vote = parse_feedback(str(button.get("callback_data", "")))
            if vote is not None and vote[0] == delivery_id:
                label = labels[(vote[1], vote[1] == helpful)]
                changed = changed or button.get("text") != label
                button = {**button, "text": label}
            new_row.append(button)
        rows.append(new_row)
    return {"inline_keyboard": rows} if changed else None


def tip_keyboard(
    catalogs: Catalogs, tip: Tip, language: str, delivery_id: int | None
) -> dict[str, Any]:
    """Helpful / not helpful (only for a ledger delivery), more on this topic, book."""
    rows: list[list[dict[str, str]]] = []
    if delivery_id is not None:
        rows.append(
            [
                {
                    "text": catalogs.text(language, "tip_helpful"),
                    "callback_data": feedback_data(delivery_id, True),
                },
                {
                    "text": catalogs.text(language, "tip_not_helpful"),
                    "callback_data": feedback_data(delivery_id, False),
                },
            ]
        )
    rows.append(
        [{"text": catalogs.text(language, "tip_more"), "callback_data": f"{MORE}{tip.topic}"}]
    )
    book = f"book:tip:{tip.id}".encode()[:64].decode(errors="ignore")
    rows.append([{"text": catalogs.text(language, "button_book"), "callback_data": book}])
    return {"inline_keyboard": rows}


def tip_text(catalogs: Catalogs, tip: Tip, language: str, *, hint: bool) -> str:
    """The tip card, with the stop hint when asked."""
    card = tip_card(catalogs, tip, language)
    if hint:
        card = f"{card}\n\n{catalogs.text(language, 'tip_stop_hint')}"
    return card


def daily_tip(
    catalogs: Catalogs, tip: Tip, language: str, *, delivery_id: int, tips_so_far: int
) -> dict[str, Any]:
    """The sendMessage parameters (without chat_id) for one daily tip."""
    hint = (tips_so_far + 1) % HINT_EVERY == 0
    return {
        "text": tip_text(catalogs, tip, language, hint=hint),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": tip_keyboard(catalogs, tip, language, delivery_id),
    }
