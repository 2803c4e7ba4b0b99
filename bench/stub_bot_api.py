"""A minimal Bot API stub for benchmarks: `sendMessage` answered with a valid Message, no more.

The sandbox (`bot/sandbox`) emulates Telegram for tests and journeys, and costs about
320 µs of CPU a message; a benchmark against it measures the sandbox. This stub answers
``getMe`` and ``sendMessage`` (JSON or form body) with what the Bot API returns and keeps
only a count per chat, so the process on the other side of loopback is what is measured.

Optional 429s like Telegram's: ``--limit 30`` answers 429 (``retry_after`` in whole
seconds) to a message that would be the 31st within one second (a sliding window).
``stats`` also tells, limit or not, when the first and the last message came and the most
messages any one-second window held, as the stub saw them (its own arrival times).

As a script: ``python bench/stub_bot_api.py [--limit 30] [--cpu 1]`` serves on a free
127.0.0.1 port, prints one JSON line ``{"port": ...}`` once it listens, and stops when its
standard input closes (so it never outlives the benchmark that started it). Only
127.0.0.1: this is not a server for anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:bench-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class Stub:
    """The stub's state: messages per chat, and the optional sliding one-second window."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.window: collections.deque[float] = collections.deque()
        self.per_chat: collections.Counter[int] = collections.Counter()
        self.next_id = 0
        self.rate_limited = 0
        self.first: float | None = None
        self.last: float | None = None
        self.peak_second = 0

    def admit(self) -> float | None:
        """Return None when a message may go now, else the seconds to wait (rounded up)."""
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if self.limit is not None and len(self.window) >= self.limit:
            self.rate_limited += 1
            return max(1.0, math.ceil(1.0 - (now - self.window[0])))
        self.window.append(now)
        self.peak_second = max(self.peak_second, len(self.window))
        if self.first is None:
            self.first = now
        self.last = now
        return None

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one Bot API call."""
        method = request.match_info["method"]
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "stats":
            return _ok(
                {
                    "messages": sum(self.per_chat.values()),
                    "chats": len(self.per_chat),
                    "rate_limited": self.rate_limited,
                    "first": self.first,
                    "last": self.last,
                    "peak_second": self.peak_second,
                }
            )
        if method != "sendMessage":
            return _error(404, "Not Found: method not found")
        params = await _params(request)
        try:
            chat_id = int(params["chat_id"])
            text = str(params["text"])
        except (KeyError, ValueError):
            return _error(400, "Bad Request: chat_id and text are required")
        wait = self.admit()
        if wait is not None:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {int(wait)}",
                    "parameters": {"retry_after": int(wait)},
                },
                status=429,
            )
        self.per_chat[chat_id] += 1
        self.next_id += 1
        return _ok(
            {
                "message_id": self.next_id,
                "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private", "first_name": "User"},
                "date": int(time.time()),
                "text": text,
            }
        )


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        loaded = json.loads(await request.read())
        return loaded if isinstance(loaded, dict) else {}
    return dict(await request.post())


def make_app(limit: int | None = None) -> web.Application:
    """The stub as an aiohttp application (``/bot<token>/<method>``)."""
    stub = Stub(limit)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", stub.handle)
    app["stub"] = stub
    return app


async def serve(limit: int | None) -> None:
    """Serve on a free 127.0.0.1 port until standard input closes."""
    runner = web.AppRunner(make_app(limit), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


@dataclass(frozen=True)
class StubProcess:
    """A running stub: its URL and pid (for CPU readings)."""

    pid: int
    port: int

    @property
    def base_url(self) -> str:
        """PTB's base_url (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"


@contextlib.contextmanager
def stub_process(*, limit: int | None = None, cpu: int | None = 1) -> Iterator[StubProcess]:
    """Start the stub in a process of its own (pinned to ``cpu``) and yield it; stop it after."""
    args = [sys.executable, str(Path(__file__))]
    args += ["--limit", str(limit)] if limit is not None else []
    args += ["--cpu", str(cpu)] if cpu is not None else []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the stub Bot API did not start")
        yield StubProcess(proc.pid, int(json.loads(line)["port"]))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    """Serve the stub (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="messages per second (429 above)")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if args.cpu is not None and hasattr(os, "sched_setaffinity") and args.cpu < cores:
        os.sched_setaffinity(0, {args.cpu})
    asyncio.run(serve(args.limit))


if __name__ == "__main__":
    main()
