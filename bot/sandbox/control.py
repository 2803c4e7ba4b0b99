"""The sandbox control API: JSON over HTTP under ``/sandbox``, for tests, the terminal, a UI.

Routes (errors answer ``{"error": "..."}`` with 400, 404 or 409):

==========================================  ==============================================
POST   /sandbox/users                       {user_id, first_name, language_code?, username?}
                                            -> the Bot API User plus ``blocked``
GET    /sandbox/users                       -> list of users
POST   /sandbox/users/{id}/messages         {text} -> history dict of the user's message
POST   /sandbox/users/{id}/locations        {latitude, longitude} -> history dict
POST   /sandbox/users/{id}/button-presses   {message_id, data? | text?}
                                            -> {button, callback_query_id (None for URL
                                            buttons, which queue no update)}
PUT    /sandbox/users/{id}/block            block the bot (my_chat_member "kicked"); 204
DELETE /sandbox/users/{id}/block            unblock (my_chat_member "member"); 204
GET    /sandbox/chats/{id}/messages         -> history dicts, oldest first (see state.py)
GET    /sandbox/chats/{id}/messages/{m}/file -> the bytes of a file the bot uploaded there
GET    /sandbox/callback-queries/{id}       -> {id, answer: {text, show_alert, url} | None}
GET    /sandbox/commands                    -> [{scope, language_code, commands}]
GET    /sandbox/webhook                     -> {url, secret_token}
GET    /sandbox/counters                    -> counters (limits.Counters.to_dict)
GET    /sandbox/requests?limit=100          -> the latest Bot API requests, oldest first
PUT    /sandbox/rate-limit                  {per_second: float | null}; 204
GET    /sandbox/faults                      -> armed faults
POST   /sandbox/faults                      {method?, status, count, delay_seconds}; 204
DELETE /sandbox/faults                      disarm all; 204
GET    /sandbox/clock                       -> {now: ISO}
POST   /sandbox/clock/advance               {seconds} -> {now}; 400 unless an OffsetClock
GET    /sandbox/events?after=0&timeout=0    long-poll -> {events: [...], last_seq}
==========================================  ==============================================

An event is ``{seq, type, chat_id?, message?, ...}`` with type ``message`` (user or bot),
``edited``, ``deleted`` (each with the history dict), ``callback_answer``
(callback_query_id, text, show_alert, url), ``blocked`` or ``unblocked`` (chat_id),
``user`` (chat_id: added or changed), ``commands`` (the bot changed its command lists) or
``clock`` (now: the clock was moved) or ``reset`` (now: the page started the demo over, see
``bot.sandbox.web``). Every answer but a file's carries the seq of the world's latest event
in the ``X-Sandbox-Event-Seq`` header, so a client can read a chat and then long-poll
``/events`` after that seq for whatever changes it next (``SandboxClient.wait_for_chat``).
Request bodies must be application/json. The web
page's own routes are in ``bot.sandbox.web``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.clock import OffsetClock
from bot.sandbox import users
from bot.sandbox.limits import Fault
from bot.sandbox.state import ControlError, World

WORLD = web.AppKey("world", World)
SEQ_HEADER = "X-Sandbox-Event-Seq"
"""Every JSON answer of the control API carries the world's latest event seq in this header."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guard(handler: Callable[[web.Request, World], Awaitable[Any]]) -> Handler:
    """Turn a handler's return value into JSON (None -> 204) and its ControlError into JSON."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request, request.app[WORLD])
        except ControlError as error:
            return web.json_response({"error": error.reason}, status=error.status)
        except (KeyError, TypeError, ValueError) as error:
            return web.json_response({"error": f"bad request: {error}"}, status=400)
        # The event seq as of this answer (read in the same step as the answer was made):
        # a client waiting for a change long-polls /events after it and misses nothing.
        seq = {SEQ_HEADER: str(request.app[WORLD].last_event_seq)}
        if result is None:
            return web.Response(status=204, headers=seq)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result, headers=seq)

    return wrapped


async def json_body(request: web.Request) -> dict[str, Any]:
    """Return the JSON object body (empty without a body), or a 400/415 control error."""
    if not request.can_read_body:
        return {}
    if request.content_type != "application/json":
        # A page on another site can send only "simple" bodies without asking first.
        raise ControlError(415, "send the body as application/json")
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise ControlError(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def path_int(request: web.Request, name: str = "id") -> int:
    """Return an integer path parameter, or a 400 control error."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


async def add_user(request: web.Request, world: World) -> Any:
    """Create or update a user."""
    body = await json_body(request)
    user = users.add_user(
        world,
        int(body["user_id"]),
        str(body.get("first_name") or "Test"),
        language_code=body.get("language_code"),
        username=body.get("username"),
    )
    return {**user.to_api(), "blocked": user.blocked}


async def list_users(request: web.Request, world: World) -> Any:
    """List the users."""
    return [{**user.to_api(), "blocked": user.blocked} for user in world.users.values()]


async def send_text(request: web.Request, world: World) -> Any:
    """Write a text message as the user."""
    body = await json_body(request)
    return users.send_text(world, path_int(request), str(body["text"]))


async def share_location(request: web.Request, world: World) -> Any:
    """Share a location as the user."""
    body = await json_body(request)
    lat, lon = float(body["latitude"]), float(body["longitude"])
    return users.share_location(world, path_int(request), lat, lon)


async def press_button(request: web.Request, world: World) -> Any:
    """Press an inline button as the user."""
    body = await json_body(request)
    return users.press_button(
        world,
        path_int(request),
        int(body["message_id"]),
        data=body.get("data"),
        text=body.get("text"),
    )


async def block(request: web.Request, world: World) -> Any:
    """Block the bot as the user."""
    users.set_blocked(world, path_int(request), True)


async def unblock(request: web.Request, world: World) -> Any:
    """Unblock the bot as the user."""
    users.set_blocked(world, path_int(request), False)


async def chat_history(request: web.Request, world: World) -> Any:
    """Return a chat's messages."""
    chat_id = path_int(request)
    if chat_id not in world.users:
        raise ControlError(404, f"unknown chat {chat_id}")
    return world.history(chat_id)


async def message_file(request: web.Request, world: World) -> Any:
    """Return the bytes of a file the bot uploaded to a chat."""
    chat_id = path_int(request)
    message = world.find_message(chat_id, int(request.match_info["message_id"]))
    if message is None or message.content is None:
        raise ControlError(404, "no uploaded file on that message")
    return web.Response(body=message.content, content_type="application/octet-stream")


async def callback_query(request: web.Request, world: World) -> Any:
    """Return how the bot answered a callback query."""
    query_id = request.match_info["id"]
    if query_id not in world.callback_queries:
        raise ControlError(404, f"unknown callback query {query_id}")
    return {"id": query_id, "answer": world.callback_queries[query_id]["answer"]}


async def commands(request: web.Request, world: World) -> Any:
    """Return every stored command list."""
    return [
        {"scope": json.loads(scope), "language_code": language, "commands": listed}
        for (scope, language), listed in world.commands.items()
    ]


async def webhook(request: web.Request, world: World) -> Any:
    """Return the stored webhook."""
    return world.webhook


async def counters(request: web.Request, world: World) -> Any:
    """Return the counters."""
    return world.counters.to_dict()


async def requests_log(request: web.Request, world: World) -> Any:
    """Return the latest Bot API requests."""
    return world.requests_log.last(int(request.query.get("limit", "100")))


async def set_rate_limit(request: web.Request, world: World) -> Any:
    """Change (or with null disable) the global rate limit."""
    per_second = (await json_body(request)).get("per_second")
    if per_second is not None and float(per_second) <= 0:
        raise ControlError(400, "per_second must be positive or null")
    world.rate_limiter.per_second = None if per_second is None else float(per_second)


async def list_faults(request: web.Request, world: World) -> Any:
    """Return the armed faults."""
    return [fault.to_dict() for fault in world.faults.faults]


async def add_fault(request: web.Request, world: World) -> Any:
    """Arm a fault."""
    body = await json_body(request)
    fault = Fault(
        method=body.get("method"),
        status=int(body.get("status", 500)),
        count=int(body.get("count", 1)),
        delay_seconds=float(body.get("delay_seconds", 0.0)),
    )
    try:
        world.faults.arm(fault)
    except ValueError as error:
        raise ControlError(400, str(error)) from None


async def clear_faults(request: web.Request, world: World) -> Any:
    """Disarm every fault."""
    world.faults.clear()


async def clock(request: web.Request, world: World) -> Any:
    """Return the sandbox's current instant."""
    return {"now": world.clock.now().isoformat()}


async def advance_clock(request: web.Request, world: World) -> Any:
    """Move an OffsetClock forward."""
    seconds = float((await json_body(request))["seconds"])
    if not isinstance(world.clock, OffsetClock):
        raise ControlError(400, "the sandbox clock is not movable (start it with an OffsetClock)")
    if seconds < 0:
        raise ControlError(400, "the clock only moves forward")
    world.clock.advance(dt.timedelta(seconds=seconds))
    await world.clock_moved()
    return {"now": world.clock.now().isoformat()}


async def events(request: web.Request, world: World) -> Any:
    """Long-poll for events after ``after``, waiting up to ``timeout`` seconds."""
    after = int(request.query.get("after", "0"))
    timeout = min(float(request.query.get("timeout", "0")), 60.0)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = world.events_after(after)
        remaining = deadline - asyncio.get_running_loop().time()
        if found or remaining <= 0 or world.closing:
            return {"events": found, "last_seq": world.last_event_seq}
        await world.event_signal.wait(remaining)


def add_control_routes(app: web.Application) -> None:
    """Register the control API on an application that holds the world under WORLD."""
    routes: list[tuple[str, str, Callable[[web.Request, World], Awaitable[Any]]]] = [
        ("POST", "/sandbox/users", add_user),
        ("GET", "/sandbox/users", list_users),
        ("POST", "/sandbox/users/{id}/messages", send_text),
        ("POST", "/sandbox/users/{id}/locations", share_location),
        ("POST", "/sandbox/users/{id}/button-presses", press_button),
        ("PUT", "/sandbox/users/{id}/block", block),
        ("DELETE", "/sandbox/users/{id}/block", unblock),
        ("GET", "/sandbox/chats/{id}/messages", chat_history),
        ("GET", "/sandbox/chats/{id}/messages/{message_id}/file", message_file),
        ("GET", "/sandbox/callback-queries/{id}", callback_query),
        ("GET", "/sandbox/commands", commands),
        ("GET", "/sandbox/webhook", webhook),
        ("GET", "/sandbox/counters", counters),
        ("GET", "/sandbox/requests", requests_log),
        ("PUT", "/sandbox/rate-limit", set_rate_limit),
        ("GET", "/sandbox/faults", list_faults),
        ("POST", "/sandbox/faults", add_fault),
        ("DELETE", "/sandbox/faults", clear_faults),
        ("GET", "/sandbox/clock", clock),
        ("POST", "/sandbox/clock/advance", advance_clock),
        ("GET", "/sandbox/events", events),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, guard(handler))
