"""What a pretend user can do: write, share a location, press buttons, block the bot.

Each action stores the user's message (if any) and queues the Update Telegram would send.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.state import ControlError, SandboxUser, World
from bot.telegram_html import inline_buttons, utf16_len

_COMMAND_RE = re.compile(r"/[a-zA-Z0-9_]{1,32}(@[a-zA-Z0-9_]{5,32})?")


def add_user(
    world: World,
    user_id: int,
    first_name: str,
    *,
    language_code: str | None = None,
    username: str | None = None,
) -> SandboxUser:
    """Create a user (or update an existing one's profile) with a private chat."""
    if user_id <= 0:
        raise ControlError(400, "user_id must be a positive integer")
    user = world.users.get(user_id)
    if user is None:
        user = world.users[user_id] = SandboxUser(user_id, first_name, username, language_code)
        world.messages.setdefault(user_id, [])
    else:
        user.first_name, user.username, user.language_code = first_name, username, language_code
    world.emit("user", chat_id=user_id)
    return user


def _active_user(world: World, user_id: int) -> SandboxUser:
    user = world.user(user_id)
    if user.blocked:
        # In Telegram a user must unblock (press "Restart") before writing to the bot again.
        raise ControlError(409, f"user {user_id} has blocked the bot; unblock first")
    return user


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity of a leading /command, as Telegram marks it."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def send_text(world: World, user_id: int, text: str) -> dict[str, Any]:
    """Store the user's text message, queue its Update and return its history dict."""
    _active_user(world, user_id)
    if not text.strip():
        raise ControlError(400, "text must not be empty")
    message = world.add_message(user_id, from_bot=False, text=text, entities=command_entities(text))
    world.push_update("message", world.to_api_message(message))
    return message.to_history()


def share_location(world: World, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
    """Store the user's location message, queue its Update and return its history dict."""
    _active_user(world, user_id)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ControlError(400, "latitude must be within ±90 and longitude within ±180")
    location = {"latitude": latitude, "longitude": longitude}
    message = world.add_message(user_id, from_bot=False, location=location)
    world.push_update("message", world.to_api_message(message))
    return message.to_history()


def press_button(
    world: World, user_id: int, message_id: int, *, data: str | None, text: str | None
) -> dict[str, Any]:
    """Press an inline button by callback data or visible text; return the button and query id.

    A callback button queues a callback_query Update; a URL button, like in Telegram, only
    opens its link, so no Update is queued and callback_query_id is None.
    """
    _active_user(world, user_id)
    if (data is None) == (text is None):
        raise ControlError(400, "give exactly one of data or text")
    message = world.find_message(user_id, message_id)
    if message is None or not message.from_bot:
        raise ControlError(404, f"no bot message {message_id} in chat {user_id}")
    buttons = inline_buttons(message.reply_markup)
    for button in buttons:
        if (data is not None and button.get("callback_data") == data) or (
            text is not None and button.get("text") == text
        ):
            break
    else:
        wanted = f"data {data!r}" if data is not None else f"text {text!r}"
        shown = [b.get("text") for b in buttons]
        raise ControlError(404, f"message {message_id} has no button with {wanted}; it has {shown}")
    if "callback_data" not in button:
        return {"button": button, "callback_query_id": None}
    query_id = world.new_callback_query_id()
    query = {
        "id": query_id,
        "from": world.users[user_id].to_api(),
        "message": world.to_api_message(message),
        "chat_instance": str(user_id * 31 + 7),
        "data": button["callback_data"],
    }
    world.push_update("callback_query", query)
    return {"button": button, "callback_query_id": query_id}


def set_blocked(world: World, user_id: int, blocked: bool) -> None:
    """Block or unblock the bot as the user, queueing the my_chat_member Update on a change."""
    user = world.user(user_id)
    if user.blocked == blocked:
        return
    user.blocked = blocked
    old, new = ("member", "kicked") if blocked else ("kicked", "member")

    def member(status: str) -> dict[str, Any]:
        extra = {"until_date": 0} if status == "kicked" else {}
        return {"status": status, "user": world.bot, **extra}

    world.push_update(
        "my_chat_member",
        {
            "chat": user.chat(),
            "from": user.to_api(),
            "date": int(world.clock.now().timestamp()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        },
    )
    world.emit("blocked" if blocked else "unblocked", chat_id=user_id)
