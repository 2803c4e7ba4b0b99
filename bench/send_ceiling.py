"""Unpaced ceiling: how fast the send path goes when nothing holds it back (paid broadcasts).

Run: .venv/bin/python bench/send_ceiling.py [--messages 10000] [--runs 5]

The sandbox runs in its own process pinned to core 1 with no rate limit; this process is
pinned to core 0. Every scenario sends the same tip (HTML, one button) once to each of
``--messages`` users, first one at a time and then with 256 in flight (the delivery
engine's default), each against a fresh sandbox after a short warm-up. The reference is a
plain aiohttp loop posting the same form to the same sandbox in the same run: the loopback
ceiling. Columns: messages/s, that rate over the loop's, and CPU per message of this
process (the sender) and of the sandbox.

- ``aiohttp loop``: the reference, ``session.post`` and ``json.loads``.
- ``Sender, aiohttp``: the delivery Sender (pacer with no limit) over AiohttpRequest.
- ``Sender, httpx``: the same Sender over PTB's default HTTPXRequest.
- ``Bot.send_message, aiohttp`` / ``httpx``: plain PTB calls, for comparison.

Prints one table per run and a table of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields

import aiohttp
import psutil
import telegram
from sandbox_process import FIRST_USER, TOKEN, SandboxProcess, pin, sandbox_process
from telegram.request import BaseRequest, HTTPXRequest

from bot.outbound.outcome import SendOutcome
from bot.outbound.pacing import Pacer
from bot.outbound.sender import Sender
from bot.runtime.http import AiohttpRequest

TIP = {
    "text": "<b>Tempeh and tapai</b> feed the bacteria that help calm your skin.",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "More on this", "callback_data": "t:12"}]]},
}
WARM_UP = 300
SendOne = Callable[[int], Awaitable[bool]]


@dataclass
class Row:
    """One scenario at one concurrency in one run."""

    scenario: str
    in_flight: int
    per_second: float
    of_loop: float  # per_second / the aiohttp loop's per_second at the same in_flight
    cpu_us: float  # this process's CPU per message
    sandbox_cpu_us: float


async def _drive(
    sp: SandboxProcess, n: int, in_flight: int, send_one: SendOne
) -> tuple[float, float, float]:
    """Warm up, then send to n users; return (messages/s, cpu us/msg, sandbox cpu us/msg)."""
    # Warm up on users of their own: a second message to a chat within a second would wait.
    await asyncio.gather(*(send_one(FIRST_USER + n + i) for i in range(WARM_UP)))
    users = iter(range(FIRST_USER, FIRST_USER + n))
    sent = 0

    async def worker() -> None:
        nonlocal sent
        for chat in users:
            ok = await send_one(chat)
            sent += ok

    me, sandbox = psutil.Process(), psutil.Process(sp.pid)
    cpu0, sb0, t0 = _cpu(me), _cpu(sandbox), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - t0
    cpu1, sb1 = _cpu(me), _cpu(sandbox)
    if sent != n:
        raise RuntimeError(f"only {sent} of {n} messages were sent")
    return n / elapsed, (cpu1 - cpu0) / n * 1e6, (sb1 - sb0) / n * 1e6


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def aiohttp_loop(sp: SandboxProcess, n: int, in_flight: int) -> tuple[float, float, float]:
    """The reference: a plain aiohttp session posting PTB's form encoding."""
    url = f"{sp.base_url}{TOKEN}/sendMessage"
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send_one(chat: int) -> bool:
            form = {
                "chat_id": str(chat),
                "text": TIP["text"],
                "parse_mode": "HTML",
                "reply_markup": json.dumps(TIP["reply_markup"]),
            }
            async with session.post(url, data=form) as response:
                return bool(json.loads(await response.read())["ok"])

        return await _drive(sp, n, in_flight, send_one)


async def sender(
    sp: SandboxProcess, n: int, in_flight: int, request: BaseRequest
) -> tuple[float, float, float]:
    """The delivery Sender, its pacer without a limit."""
    async with telegram.Bot(TOKEN, base_url=sp.base_url, request=request) as bot:
        pacer = Pacer(None)
        the_sender = Sender(bot, pacer)

        async def send_one(chat: int) -> bool:
            result = await the_sender.send(chat, "sendMessage", TIP)
            return result.outcome is SendOutcome.SENT

        try:
            return await _drive(sp, n, in_flight, send_one)
        finally:
            pacer.close()


async def plain_bot(
    sp: SandboxProcess, n: int, in_flight: int, request: BaseRequest
) -> tuple[float, float, float]:
    """PTB's Bot.send_message, nothing else."""
    async with telegram.Bot(TOKEN, base_url=sp.base_url, request=request) as bot:

        async def send_one(chat: int) -> bool:
            await bot.send_message(
                chat, TIP["text"], parse_mode="HTML", reply_markup=TIP["reply_markup"]
            )
            return True

        return await _drive(sp, n, in_flight, send_one)


Scenario = Callable[[SandboxProcess, int, int], Awaitable[tuple[float, float, float]]]
SCENARIOS: list[tuple[str, Scenario]] = [
    ("aiohttp loop", aiohttp_loop),
    ("Sender, aiohttp", lambda sp, n, c: sender(sp, n, c, AiohttpRequest())),
    ("Sender, httpx", lambda sp, n, c: sender(sp, n, c, HTTPXRequest())),
    ("Bot.send_message, aiohttp", lambda sp, n, c: plain_bot(sp, n, c, AiohttpRequest())),
    ("Bot.send_message, httpx", lambda sp, n, c: plain_bot(sp, n, c, HTTPXRequest())),
]


def one_run(n: int, levels: list[int]) -> list[Row]:
    """Every scenario at every concurrency, each against a fresh sandbox."""
    rows: list[Row] = []
    for in_flight in levels:
        loop_rate = 0.0
        for name, scenario in SCENARIOS:
            with sandbox_process(users=n + WARM_UP, rate=None, cpu=1) as sp:
                rate, cpu, sandbox_cpu = asyncio.run(scenario(sp, n, in_flight))
            loop_rate = loop_rate or rate
            rows.append(
                Row(
                    name,
                    in_flight,
                    round(rate),
                    round(rate / loop_rate, 2),
                    round(cpu),
                    round(sandbox_cpu),
                )
            )
    return rows


def print_table(title: str, rows: list[Row]) -> None:
    """Print rows as a Markdown table."""
    names = [f.name for f in fields(Row)]
    print(f"\n{title}\n")
    print("| " + " | ".join(names) + " |")
    print("|" + " --- |" * len(names))
    for row in rows:
        print("| " + " | ".join(str(getattr(row, name)) for name in names) + " |", flush=True)


def medians(runs: list[list[Row]]) -> list[Row]:
    """Median of every numeric column, row by row (of_loop is the median of the ratios)."""
    out = []
    for same in zip(*runs, strict=True):
        values = {
            f.name: statistics.median(getattr(r, f.name) for r in same)
            for f in fields(Row)
            if f.name not in ("scenario", "in_flight")
        }
        out.append(Row(scenario=same[0].scenario, in_flight=same[0].in_flight, **values))
    return out


def main() -> None:
    """Run the scenarios --runs times; print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 256])
    args = parser.parse_args()
    pin(0)
    runs = []
    for i in range(args.runs):
        rows = one_run(args.messages, args.in_flight)
        print_table(f"Run {i + 1}", rows)
        runs.append(rows)
    print_table(f"Medians of {args.runs} runs", medians(runs))


if __name__ == "__main__":
    main()
