"""The Bot API methods the sandbox implements, as functions of the world and decoded params.

Rate limit: sendMessage, sendPhoto, sendDocument, editMessageText and editMessageReplyMarkup
each count as one message against the global sliding-window limit (Telegram counts edits
roughly like sends); only the three sends count as ``messages_delivered`` and towards the
per-chat pace. While a webhook is set, getUpdates answers 409 "Conflict: can't use
getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
as Telegram does, and ``bot.sandbox.webhook`` delivers the updates to it.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.state import (
    CALLBACK_QUERY_LIFETIME,
    ApiError,
    StoredMessage,
    World,
    no_webhook,
)
from bot.sandbox.webhook import check_webhook
from bot.telegram_html import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    EntityParseError,
    MarkupError,
    parse_html,
    strip_text,
    utf16_len,
    validate_reply_markup,
)

Params = dict[str, Any]
Method = Callable[[World, Params], Awaitable[Any]]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Upload:
    """A file that arrived in a multipart request."""

    filename: str
    size: int
    content_type: str
    content: bytes = field(default=b"", repr=False)

    def __repr__(self) -> str:
        return f"<file {self.filename!r} {self.size} bytes>"


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _int(params: Params, name: str, default: int | None = None) -> int:
    value = params.get(name, default)
    if value is None:
        raise _bad(f"{name} is empty")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f'field "{name}" must be of type Integer')
    return value


def _formatted(
    params: Params, field: str, limit: int, *, required: bool
) -> tuple[str | None, list[dict[str, Any]], str | None]:
    """Return (plain text, entities, html as sent) of a text or caption parameter."""
    raw = params.get(field)
    empty = "message text is empty" if field == "text" else "message caption is empty"
    if raw is None or raw == "":
        if required:
            raise _bad(empty)
        return None, [], None
    raw = str(raw)
    mode = str(params.get("parse_mode") or "").lower()
    html = None
    if mode == "html":
        try:
            plain, entities = parse_html(raw)
        except EntityParseError as error:
            raise _bad(f"can't parse entities: {error}") from None
        html = raw
    elif mode:
        raise _bad("unsupported parse_mode (the sandbox implements only HTML)")
    else:
        given = params.get("entities" if field == "text" else "caption_entities") or []
        plain, entities = strip_text(raw, list(given))
    if not plain and required:
        raise _bad(empty)
    if utf16_len(plain) > limit:
        raise _bad("message is too long" if field == "text" else "message caption is too long")
    return plain, entities, html


def _markup(params: Params) -> dict[str, Any] | None:
    try:
        return validate_reply_markup(params.get("reply_markup"))
    except MarkupError as error:
        raise ApiError(400, str(error)) from None


def _count_message(world: World, chat_id: int | None) -> None:
    retry_after = world.rate_limiter.retry_after()
    if retry_after is not None:
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    world.rate_limiter.record()
    if chat_id is not None:
        world.counters.messages_delivered += 1
        if world.pacer.record(chat_id):
            world.counters.chat_overruns[chat_id] += 1


async def get_me(world: World, params: Params) -> Any:
    """Return the bot's User."""
    return world.bot


WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


async def get_updates(world: World, params: Params) -> Any:
    """Long-poll for updates: confirm those before ``offset``, wait up to ``timeout`` seconds."""
    if world.webhook["url"]:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset, limit = _int(params, "offset", 0), min(max(_int(params, "limit", 100), 1), 100)
    timeout = max(_int(params, "timeout", 0), 0)
    if params.get("allowed_updates") is not None:
        world.allowed_updates = list(params["allowed_updates"])
    if offset > 0:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]
    elif offset < 0:
        world.updates = world.updates[offset:]
    world.poll_generation += 1
    generation = world.poll_generation
    world.update_signal.fire()  # an older pending poll must notice it was superseded
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if world.closing:
            return []
        if world.webhook["url"]:
            # A webhook set during the poll takes the updates over.
            raise ApiError(409, WEBHOOK_CONFLICT)
        if world.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if world.allowed_updates:
            world.updates = [u for u in world.updates if _kind(u) in world.allowed_updates]
        remaining = deadline - asyncio.get_running_loop().time()
        if world.updates or remaining <= 0:
            return world.updates[:limit]
        await world.update_signal.wait(remaining)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


async def send_message(world: World, params: Params) -> Any:
    """Send a text message to a private chat."""
    user = world.chat_for_bot(params.get("chat_id"))
    text, entities, html = _formatted(params, "text", MAX_TEXT_LENGTH, required=True)
    markup = _markup(params)
    _count_message(world, user.id)
    message = world.add_message(
        user.id, from_bot=True, text=text, entities=entities, html=html, reply_markup=markup
    )
    return world.to_api_message(message)


async def _send_file(world: World, params: Params, kind: str) -> Any:
    user = world.chat_for_bot(params.get("chat_id"))
    source = params.get(kind)
    if source is None or source == "":
        raise _bad(f"there is no {kind} in the request")
    caption, entities, html = _formatted(params, "caption", MAX_CAPTION_LENGTH, required=False)
    markup = _markup(params)
    _count_message(world, user.id)
    size: int | None = None
    name: str | None = None
    if isinstance(source, Upload):
        file_id, size, name = f"sandbox-{kind}-{uuid.uuid4().hex}", source.size, source.filename
    else:
        source = str(source)
        is_url = source.startswith(("http://", "https://"))
        file_id = f"sandbox-{kind}-{uuid.uuid4().hex}" if is_url else source
        name = source.rsplit("/", 1)[-1] if is_url else None
    message = world.add_message(
        user.id,
        from_bot=True,
        caption=caption,
        entities=entities,
        html=html,
        reply_markup=markup,
        photo=kind == "photo",
        document=kind == "document",
        file_id=file_id,
        file_size=size,
        file_name=name if kind == "document" else None,
        # Kept so a person or a test can open what the bot sent (e.g. /mydata's JSON).
        content=source.content if isinstance(source, Upload) else None,
    )
    return world.to_api_message(message)


async def send_photo(world: World, params: Params) -> Any:
    """Send a photo (an upload, a file_id or a URL) with an optional caption."""
    return await _send_file(world, params, "photo")


async def send_document(world: World, params: Params) -> Any:
    """Send a document (an upload, a file_id or a URL) with an optional caption."""
    return await _send_file(world, params, "document")


def _message_to_edit(world: World, params: Params) -> StoredMessage:
    if params.get("inline_message_id"):
        raise _bad("message to edit not found")
    user = world.chat_for_bot(params.get("chat_id"))
    message = world.find_message(user.id, _int(params, "message_id"))
    if message is None:
        raise _bad("message to edit not found")
    if not message.from_bot:
        raise _bad("message can't be edited")
    return message


def _apply_edit(world: World, message: StoredMessage, **changes: Any) -> Any:
    if all(getattr(message, name) == value for name, value in changes.items()):
        raise ApiError(400, NOT_MODIFIED)
    _count_message(world, None)
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = world.clock.now()
    world.emit("edited", message)
    return world.to_api_message(message)


async def edit_message_text(world: World, params: Params) -> Any:
    """Replace a bot message's text; a missing reply_markup removes the keyboard, as in Telegram."""
    message = _message_to_edit(world, params)
    if message.text is None:
        raise _bad("there is no text in the message to edit")
    text, entities, html = _formatted(params, "text", MAX_TEXT_LENGTH, required=True)
    changes = {"text": text, "entities": entities, "reply_markup": _markup(params)}
    if (text, entities, changes["reply_markup"]) != (
        message.text,
        message.entities,
        message.reply_markup,
    ):
        changes["html"] = html
    return _apply_edit(world, message, **changes)


async def edit_message_reply_markup(world: World, params: Params) -> Any:
    """Replace (or, without reply_markup, remove) a bot message's inline keyboard."""
    message = _message_to_edit(world, params)
    markup = _markup(params)
    if markup is not None and "inline_keyboard" not in markup:
        raise _bad("inline keyboard expected")
    return _apply_edit(world, message, reply_markup=markup)


async def delete_message(world: World, params: Params) -> Any:
    """Delete a message; it stays in the history flagged as deleted."""
    user = world.chat_for_bot(params.get("chat_id"))
    message = world.find_message(user.id, _int(params, "message_id"))
    if message is None:
        raise _bad("message to delete not found")
    message.deleted = True
    world.emit("deleted", message)
    return True


async def answer_callback_query(world: World, params: Params) -> Any:
    """Answer a callback query once, within Telegram's lifetime for queries."""
    query_id = str(params.get("callback_query_id") or "")
    query = world.callback_queries.get(query_id)
    if (
        query is None
        or query["answer"] is not None
        or world.clock.now() - query["issued"] > CALLBACK_QUERY_LIFETIME
    ):
        raise _bad("query is too old and response timeout expired or query ID is invalid")
    answer = {
        "text": params.get("text"),
        "show_alert": bool(params.get("show_alert", False)),
        "url": params.get("url"),
    }
    query["answer"] = answer
    world.emit("callback_answer", callback_query_id=query_id, **answer)
    return True


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise _bad("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


async def set_my_commands(world: World, params: Params) -> Any:
    """Store the command list for a scope and language."""
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise _bad("can't parse commands JSON object")
    stored: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise _bad("can't parse BotCommand JSON object")
        name, description = str(command.get("command", "")), command.get("description")
        if not _COMMAND_NAME.fullmatch(name.lower()):
            raise _bad("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise _bad("command description is empty")
        stored.append({"command": name.lower(), "description": description})
    world.commands[_commands_key(params)] = stored
    world.emit("commands")
    return True


async def get_my_commands(world: World, params: Params) -> Any:
    """Return the command list stored for exactly this scope and language."""
    return world.commands.get(_commands_key(params), [])


async def delete_my_commands(world: World, params: Params) -> Any:
    """Forget the command list of a scope and language."""
    world.commands.pop(_commands_key(params), None)
    world.emit("commands")
    return True


async def set_webhook(world: World, params: Params) -> Any:
    """Set (or with an empty URL remove) the webhook that new updates are POSTed to."""
    url = str(params.get("url") or "")
    if not url:
        return await delete_webhook(world, params)
    secret = params.get("secret_token") or None
    max_connections = params.get("max_connections")
    check_webhook(url, secret, max_connections)
    if params.get("drop_pending_updates"):
        world.updates.clear()
    if params.get("allowed_updates") is not None:
        world.allowed_updates = list(params["allowed_updates"])
    world.webhook = {
        **no_webhook(),
        "url": url,
        "secret_token": secret,
        "max_connections": max_connections or 40,
    }
    world.webhook_signal.fire()
    world.update_signal.fire()  # the deliverer starts; a pending getUpdates gives way
    return True


async def delete_webhook(world: World, params: Params) -> Any:
    """Remove the webhook, optionally dropping the pending updates."""
    if params.get("drop_pending_updates"):
        world.updates.clear()
    world.webhook = no_webhook()
    world.webhook_signal.fire()
    return True


async def get_webhook_info(world: World, params: Params) -> Any:
    """Return the WebhookInfo: URL, the queue's length and the last delivery error."""
    webhook = world.webhook
    info: dict[str, Any] = {
        "url": webhook["url"],
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if webhook["url"]:
        info["max_connections"] = webhook["max_connections"]
        info["ip_address"] = "127.0.0.1"
    if webhook["last_error_date"] is not None:
        info["last_error_date"] = webhook["last_error_date"]
        info["last_error_message"] = webhook["last_error_message"]
    if world.allowed_updates:
        info["allowed_updates"] = world.allowed_updates
    return info


async def send_chat_action(world: World, params: Params) -> Any:
    """Accept a chat action for a reachable chat."""
    world.chat_for_bot(params.get("chat_id"))
    if not params.get("action"):
        raise _bad("action is empty")
    return True


async def acknowledge(world: World, params: Params) -> Any:
    """Answer True (close, logOut)."""
    return True


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendChatAction": send_chat_action,
    "close": acknowledge,
    "logOut": acknowledge,
}
