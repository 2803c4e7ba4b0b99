"""The sandbox in a browser: one chat page, served by the sandbox itself, beside its APIs.

The page (``static/``: plain HTML, CSS and JavaScript, no build step) acts through the
control API like any other client and adds these routes:

==========================================  ==============================================
GET    /                                    the page
GET    /static/{file}                       its script, styles and icon
GET    /sandbox/web/state                   -> {bot, users (with ``admin``), places,
                                            timezone, now, clock_movable, resettable,
                                            last_seq, requests_seq}
GET    /sandbox/web/stream                  server-sent events: ``world`` (the control
                                            API's events) and ``request`` (one Bot API
                                            request and its answer); ``?after=&requests=``
                                            or Last-Event-ID ``"<after>.<requests>"``
GET    /sandbox/web/users/{id}/commands     -> the command menu that user sees
POST   /sandbox/web/clock                   {to: "next_delivery", chat_id} | {to:
                                            "tomorrow", time: "08:00"} | {days, hours}
                                            -> {now, note}
GET    /sandbox/web/files/{chat}/{message}  a file the bot uploaded: images inline,
                                            anything else as a download
POST   /sandbox/web/reset                   start the demo over: the bot's fresh database,
                                            no chats, the clock back to now -> {now};
                                            409 when nothing is hooked to ``on_reset``
==========================================  ==============================================

What the page needs from the bot's side (the next delivery time, waking the bot after the
clock moves) comes in as callbacks on ``WebUI``, so this module knows nothing of the bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import OffsetClock
from bot.sandbox.control import WORLD, guard, json_body, path_int
from bot.sandbox.state import ControlError, SandboxUser, World

STATIC_DIR = Path(__file__).with_name("static")
_NO_STORE = {"Cache-Control": "no-store"}
HEARTBEAT_SECONDS = 15.0

NextDelivery = Callable[[int | None], Awaitable[dt.datetime | None]]
ClockMoved = Callable[[], Awaitable[None]]
StartOver = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Place:
    """A place a simulated user can share as their location."""

    name: str
    latitude: float
    longitude: float
    timezone: str


# The three branches' areas, then places abroad to try timezones far from Malaysia's.
PLACES: tuple[Place, ...] = (
    Place("Cheras, Kuala Lumpur", 3.0851, 101.7440, "Asia/Kuala_Lumpur"),
    Place("Petaling Jaya", 3.1073, 101.6067, "Asia/Kuala_Lumpur"),
    Place("Setia Alam, Shah Alam", 3.1043, 101.4466, "Asia/Kuala_Lumpur"),
    Place("London", 51.5072, -0.1276, "Europe/London"),
    Place("Kathmandu", 27.7172, 85.3240, "Asia/Kathmandu"),
    Place("New York", 40.7128, -74.0060, "America/New_York"),
    Place("Sydney", -33.8688, 151.2093, "Australia/Sydney"),
)


@dataclass(frozen=True)
class DemoUser:
    """A simulated user the page offers from the start."""

    user_id: int
    first_name: str
    language_code: str = "en"
    admin: bool = False


@dataclass
class WebUI:
    """What the page shows and the hooks into the bot behind it.

    Args:
        users: the simulated users added at start-up, the first one selected.
        timezone: the zone the page shows times in and "tomorrow 08:00" means.
        admin_ids: user ids the page marks as admins (the bot's ADMIN_IDS).
        next_delivery: given a chat id (or None), the UTC instant of its next daily tip,
            else the earliest one; None when nothing is scheduled.
        on_clock_moved: awaited after the page moves the clock (to wake the scheduler).
        on_reset: awaited for "Reset the sandbox": stops the bot, empties its database,
            calls ``World.start_over`` with a new clock and starts the bot again.
    """

    users: Sequence[DemoUser]
    timezone: str = "Asia/Kuala_Lumpur"
    places: Sequence[Place] = PLACES
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    next_delivery: NextDelivery | None = None
    on_clock_moved: ClockMoved | None = None
    on_reset: StartOver | None = None

    def is_admin(self, user_id: int) -> bool:
        """Return whether the page marks this user as an admin."""
        return user_id in self.admin_ids or any(
            user.admin and user.user_id == user_id for user in self.users
        )

    async def clock_moved(self) -> None:
        """Run the runner's hook, whichever is set when the clock moves."""
        if self.on_clock_moved is not None:
            await self.on_clock_moved()


WEB = web.AppKey("web", WebUI)
_RESETTING = web.AppKey("resetting", asyncio.Lock)


def resolve_commands(world: World, user: SandboxUser) -> list[dict[str, str]]:
    """Return the commands a private chat with ``user`` shows, by Telegram's scope order."""
    language = (user.language_code or "").split("-")[0].lower()
    found: dict[tuple[str, str], list[dict[str, str]]] = {}
    for (scope_json, code), commands in world.commands.items():
        scope = json.loads(scope_json)
        kind = scope.get("type")
        if kind == "chat" and scope.get("chat_id") not in (user.id, str(user.id)):
            continue
        if kind in ("chat", "all_private_chats", "default"):
            found[(kind, code)] = commands
    for kind in ("chat", "all_private_chats", "default"):
        for code in (language, "") if language else ("",):
            if (kind, code) in found:
                return found[(kind, code)]
    return []


def _user_json(web_ui: WebUI, user: SandboxUser) -> dict[str, Any]:
    return {
        **user.to_api(),
        "blocked": user.blocked,
        "admin": web_ui.is_admin(user.id),
    }


async def page(request: web.Request) -> web.StreamResponse:
    """Serve the page."""
    return web.FileResponse(STATIC_DIR / "index.html", headers=_NO_STORE)


async def state(request: web.Request, world: World) -> Any:
    """Return everything the page needs to draw itself."""
    web_ui = request.app[WEB]
    return {
        "bot": {"first_name": world.bot["first_name"], "username": world.bot["username"]},
        "users": [_user_json(web_ui, user) for user in world.users.values()],
        "places": [vars(place) for place in web_ui.places],
        "timezone": web_ui.timezone,
        "now": world.clock.now().isoformat(),
        "clock_movable": isinstance(world.clock, OffsetClock),
        "resettable": web_ui.on_reset is not None,
        "last_seq": world.last_event_seq,
        "requests_seq": world.requests_log.last_seq,
    }


async def commands(request: web.Request, world: World) -> Any:
    """Return the command menu one user sees."""
    return resolve_commands(world, world.user(path_int(request)))


def _start_after(request: web.Request) -> tuple[int, int]:
    last = request.headers.get("Last-Event-ID", "")
    if "." in last:
        events, _, requests = last.partition(".")
        if events.isdigit() and requests.isdigit():
            return int(events), int(requests)
    return int(request.query.get("after", "0")), int(request.query.get("requests", "0"))


def _sse(kind: str, seq: tuple[int, int], data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, separators=(",", ":"))
    return f"id: {seq[0]}.{seq[1]}\nevent: {kind}\ndata: {payload}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    """Send world events and Bot API requests as server-sent events until the page leaves."""
    world = request.app[WORLD]
    try:
        after, requests_after = _start_after(request)
    except ValueError:
        return web.json_response({"error": "after and requests must be integers"}, status=400)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", **_NO_STORE, "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    try:
        await response.write(b"retry: 1000\n\n")
        while not world.closing:
            events = world.events_after(after)
            logged = world.requests_log.after(requests_after)
            for event in events:
                after = event["seq"]
                await response.write(_sse("world", (after, requests_after), event))
            for entry in logged:
                requests_after = entry["seq"]
                await response.write(_sse("request", (after, requests_after), entry))
            if not events and not logged and not await world.event_signal.wait(HEARTBEAT_SECONDS):
                await response.write(b": still here\n\n")
    except ConnectionResetError:
        pass  # the page went away
    return response


def _tomorrow_at(now: dt.datetime, zone: str, at: str) -> dt.datetime:
    try:
        wall = dt.time.fromisoformat(at)
    except ValueError:
        raise ControlError(400, f"time must be HH:MM, not {at!r}") from None
    local = now.astimezone(ZoneInfo(zone))
    target = dt.datetime.combine(local.date() + dt.timedelta(days=1), wall, tzinfo=local.tzinfo)
    return target.astimezone(dt.UTC)


async def move_clock(request: web.Request, world: World) -> Any:
    """Move the clock to the next delivery, to tomorrow at a time, or by days and hours."""
    clock, web_ui = world.clock, request.app[WEB]
    if not isinstance(clock, OffsetClock):
        raise ControlError(400, "the sandbox clock is not movable (start it with an OffsetClock)")
    body = await json_body(request)
    now = clock.now()
    target = body.get("to")
    if target == "next_delivery":
        chat_id = body.get("chat_id")
        due = None
        if web_ui.next_delivery is not None:
            due = await web_ui.next_delivery(int(chat_id) if chat_id is not None else None)
        if due is None:
            raise ControlError(409, "no daily tip is scheduled yet: /start and subscribe first")
        note = "moved to the next delivery"
        if due > now:
            clock.move_to(due)
        else:
            note = "a delivery is already due"
    elif target == "tomorrow":
        clock.move_to(_tomorrow_at(now, web_ui.timezone, str(body.get("time") or "08:00")))
        note = "moved to tomorrow"
    elif target is None:
        days, hours = float(body.get("days") or 0), float(body.get("hours") or 0)
        if days < 0 or hours < 0 or days + hours / 24 > 3660 or days + hours == 0:
            raise ControlError(400, "move forward by a positive number of days or hours")
        clock.advance(dt.timedelta(days=days, hours=hours))
        note = "moved forward"
    else:
        raise ControlError(400, f"unknown target {target!r}")
    await world.clock_moved()
    return {"now": clock.now().isoformat(), "note": note}


async def reset(request: web.Request, world: World) -> Any:
    """Start the demo over (the runner's hook does the work), one reset at a time."""
    web_ui = request.app[WEB]
    if web_ui.on_reset is None:
        raise ControlError(409, "this sandbox cannot be reset: restart it instead")
    async with request.app[_RESETTING]:
        await web_ui.on_reset()
    return {"now": world.clock.now().isoformat()}


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


async def message_file(request: web.Request, world: World) -> Any:
    """Serve an uploaded file: recognised images inline, anything else only as a download."""
    chat_id = path_int(request, "chat")
    message = world.find_message(chat_id, path_int(request, "message"))
    if message is None or message.content is None:
        raise ControlError(404, "no uploaded file on that message")
    headers = {"X-Content-Type-Options": "nosniff", **_NO_STORE}
    content = message.content
    if message.photo:
        for magic, kind in _IMAGE_MAGIC:
            if content.startswith(magic):
                return web.Response(body=content, content_type=kind, headers=headers)
        if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
            return web.Response(body=content, content_type="image/webp", headers=headers)
    name = (message.file_name or f"file-{message.message_id}").replace('"', "")
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return web.Response(body=content, content_type="application/octet-stream", headers=headers)


def add_web_routes(app: web.Application, web_ui: WebUI) -> None:
    """Serve the page and its routes on an application that already has the control API."""
    app[WEB] = web_ui
    app[_RESETTING] = asyncio.Lock()
    app.router.add_get("/", page)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    routes: list[tuple[str, str, Callable[[web.Request, World], Awaitable[Any]]]] = [
        ("GET", "/sandbox/web/state", state),
        ("GET", "/sandbox/web/users/{id}/commands", commands),
        ("POST", "/sandbox/web/clock", move_clock),
        ("GET", "/sandbox/web/files/{chat}/{message}", message_file),
        ("POST", "/sandbox/web/reset", reset),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, guard(handler))
    app.router.add_get("/sandbox/web/stream", stream)
