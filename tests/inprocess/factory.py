"""Build the Updates Telegram would send, in the sandbox's world (as PTB's tests/auxil does).

Each function stores the user's side of the chat where there is one (so message ids, chats
and buttons stay consistent with what the bot sent) and queues the Update in
``world.updates``: the end-to-end harness lets the bot fetch it over HTTP, the in-process
one hands it straight to ``Application.process_update``. The sandbox's control API has no
stickers, voice notes, forwards, edits or made-up button data; these make them.
"""

from __future__ import annotations

import itertools
from typing import Any

from bot.sandbox.state import World

_file_ids = itertools.count()


def media(world: World, user_id: int, kind: str, caption: str | None = None) -> int:
    """Send a sticker, voice note or photo (with a caption, if given) as the user; return the
    message id."""
    n = next(_file_ids)
    file = {"file_id": f"f{n}", "file_unique_id": f"u{n}"}
    payloads: dict[str, Any] = {
        "sticker": {
            **file,
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": "😀",
        },
        "voice": {**file, "duration": 3, "mime_type": "audio/ogg"},
        "photo": [{**file, "width": 800, "height": 600}],
    }
    extra = {"caption": caption} if caption is not None else {}
    return queue_message(world, user_id, {kind: payloads[kind], **extra})


def forwarded(world: World, user_id: int, text: str) -> int:
    """Forward a text from someone else's chat to the bot as the user; return its id."""
    origin = {
        "type": "user",
        "date": int(world.clock.now().timestamp()) - 60,
        "sender_user": {"id": 777, "is_bot": False, "first_name": "Friend"},
    }
    return queue_message(world, user_id, {"text": text, "forward_origin": origin})


def edit(world: World, user_id: int, message_id: int, text: str) -> None:
    """Edit one of the user's own text messages, as Telegram reports it to the bot."""
    message = world.find_message(user_id, message_id)
    assert message is not None and not message.from_bot
    message.text = text
    message.edit_date = world.clock.now()
    world.push_update("edited_message", world.to_api_message(message))


def press_data(world: World, user_id: int, message_id: int, data: str) -> str:
    """Press a button with any callback data on a bot message; return the query id.

    A real client only sends data from buttons it was shown; this stands in for an old
    client, a stale message whose buttons are gone, or someone crafting requests.
    """
    message = world.find_message(user_id, message_id)
    assert message is not None and message.from_bot
    query_id = world.new_callback_query_id()
    query = {
        "id": query_id,
        "from": world.users[user_id].to_api(),
        "message": world.to_api_message(message),
        "chat_instance": str(user_id * 31 + 7),
        "data": data,
    }
    world.push_update("callback_query", query)
    return query_id


def queue_message(world: World, user_id: int, fields: dict[str, Any]) -> int:
    """Store an empty message from the user and queue it with these Message fields."""
    message = world.add_message(user_id, from_bot=False)
    world.push_update("message", {**world.to_api_message(message), **fields})
    return message.message_id
