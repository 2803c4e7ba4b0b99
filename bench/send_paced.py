"""Paced sending: many subscribers due at once, the sandbox enforcing Telegram's 30 messages/s.

Run: .venv/bin/python bench/send_paced.py [--messages 10000] [--runs 3] [--peer-messages 600]

Each run starts a fresh sandbox process (pinned to core 1, this process to core 0) with one
user per message and a 30/s limit, then sends one tip to every user with 256 sends in
flight (as the delivery engine does) and reads every chat back to count losses and
duplicates. Run it with ``nice -n -10`` (as root) on a shared machine: other processes
that stall the sandbox for a few tens of milliseconds bunch its arrival times and so
cause 429s that Telegram's servers would not. Scenarios:

- ``sender``: the Sender over the shared Pacer at 28/s.
- ``sender, forced 429s``: the same, while every 20 s the sandbox's limit drops to 15/s
  for 2 s, so 429s happen anyway.
- ``AIORateLimiter ...``: the peer, PTB's reference rate limiter (defaults: 30/s,
  max_retries=0; then max_retries=3) on ExtBot.send_message, with the sender at 28/s on
  the same number of messages as the reference in the same run. Everything uses the
  same aiohttp request backend, so only the pacing differs. The peer needs aiolimiter
  (``pip install aiolimiter``); without it those rows are skipped.

Prints one table per run and a table of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields

import psutil
import telegram
from sandbox_process import FIRST_USER, TOKEN, SandboxProcess, audit, pin, sandbox_process
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.outbound.outcome import SendOutcome
from bot.outbound.pacing import Pacer
from bot.outbound.sender import Sender
from bot.runtime.http import AiohttpRequest
from bot.sandbox import SandboxClient

SANDBOX_RATE = 30.0
ENGINE_RATE = 28.0
IN_FLIGHT = 256
TIP = {
    "text": "<b>Tempeh and tapai</b> feed the bacteria that help calm your skin.",
    "parse_mode": "HTML",
    "reply_markup": {"inline_keyboard": [[{"text": "More on this", "callback_data": "t:12"}]]},
}


@dataclass
class Row:
    """One scenario's outcome in one run."""

    scenario: str
    messages: int
    configured: float  # messages/s
    achieved: float  # messages delivered / seconds from first send to last answer
    ratio: float  # achieved / configured
    answered_429: int  # as the sandbox counted them
    lost: int
    duplicates: int
    cpu_us: float  # this process's CPU per message


async def _paced(
    n: int, send_one: Callable[[int], Awaitable[bool]], sp: SandboxProcess
) -> tuple[int, float, float]:
    """Send to n users, IN_FLIGHT at a time; return (sent, seconds, cpu seconds)."""
    users = iter(range(FIRST_USER, FIRST_USER + n))
    sent = 0

    async def worker() -> None:
        nonlocal sent
        for chat in users:
            ok = await send_one(chat)
            sent += ok

    proc = psutil.Process()
    cpu0, t0 = proc.cpu_times(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    elapsed, cpu1 = time.perf_counter() - t0, proc.cpu_times()
    return sent, elapsed, (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)


async def _disturb(client: SandboxClient, stop: asyncio.Event) -> None:
    """Every 20 s drop the sandbox's limit to 15/s for 2 s."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 20)
            return
        except TimeoutError:
            pass
        await client.set_rate_limit(15)
        await asyncio.sleep(2)
        await client.set_rate_limit(SANDBOX_RATE)


async def run_sender(sp: SandboxProcess, n: int, *, forced_429s: bool) -> Row:
    """The Sender at ENGINE_RATE."""
    request = AiohttpRequest()
    async with telegram.Bot(TOKEN, base_url=sp.base_url, request=request) as bot:
        pacer = Pacer(ENGINE_RATE)
        sender = Sender(bot, pacer)

        async def send_one(chat: int) -> bool:
            result = await sender.send(chat, "sendMessage", TIP)
            return result.outcome is SendOutcome.SENT

        async with SandboxClient(sp.control_url) as client:
            stop = asyncio.Event()
            disturber = asyncio.create_task(_disturb(client, stop)) if forced_429s else None
            sent, elapsed, cpu = await _paced(n, send_one, sp)
            stop.set()
            if disturber is not None:
                await disturber
            counted = await client.counters()
        pacer.close()
    name = "sender, forced 429s" if forced_429s else "sender"
    return await _row(sp, name, n, ENGINE_RATE, sent, elapsed, cpu, counted["rate_limited"])


async def run_peer(sp: SandboxProcess, n: int, max_retries: int) -> Row:
    """PTB's AIORateLimiter (defaults but max_retries) on ExtBot.send_message."""
    from telegram.ext import AIORateLimiter

    limiter = AIORateLimiter(max_retries=max_retries)
    request = AiohttpRequest()
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=sp.base_url, request=request, rate_limiter=limiter)
    async with bot:

        async def send_one(chat: int) -> bool:
            try:
                await bot.send_message(
                    chat, TIP["text"], parse_mode="HTML", reply_markup=TIP["reply_markup"]
                )
            except RetryAfter:
                return False
            return True

        sent, elapsed, cpu = await _paced(n, send_one, sp)
        async with SandboxClient(sp.control_url) as client:
            counted = await client.counters()
    name = f"AIORateLimiter max_retries={max_retries}"
    return await _row(sp, name, n, 30.0, sent, elapsed, cpu, counted["rate_limited"])


async def _row(
    sp: SandboxProcess,
    name: str,
    n: int,
    configured: float,
    sent: int,
    elapsed: float,
    cpu: float,
    answered_429: int,
) -> Row:
    lost, duplicates = await audit(sp.control_url, n)
    achieved = sent / elapsed
    return Row(
        name,
        n,
        configured,
        round(achieved, 2),
        round(achieved / configured, 3),
        answered_429,
        lost,
        duplicates,
        round(cpu / n * 1e6),
    )


def _fresh(n: int, scenario: Callable[[SandboxProcess], Awaitable[Row]]) -> Row:
    with sandbox_process(users=n, rate=SANDBOX_RATE, cpu=1) as sp:
        return asyncio.run(scenario(sp))


def one_run(messages: int, peer_messages: int, peer: bool) -> list[Row]:
    """Run every scenario once, each against a fresh sandbox."""
    rows = [
        _fresh(messages, lambda sp: run_sender(sp, messages, forced_429s=False)),
        _fresh(messages, lambda sp: run_sender(sp, messages, forced_429s=True)),
    ]
    if peer:
        rows.append(
            _fresh(peer_messages, lambda sp: run_sender(sp, peer_messages, forced_429s=False))
        )
        for retries in (0, 3):
            rows.append(_fresh(peer_messages, lambda sp, r=retries: run_peer(sp, peer_messages, r)))
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
    """Median of every numeric column, scenario by scenario."""
    out = []
    for same in zip(*runs, strict=True):
        values = {
            f.name: statistics.median(getattr(r, f.name) for r in same)
            for f in fields(Row)
            if f.name != "scenario"
        }
        out.append(Row(scenario=same[0].scenario, **values))
    return out


def main() -> None:
    """Run the scenarios --runs times; print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--peer-messages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter without a deprecation warning
    # The peer logs a traceback for every message it gives up on; the table counts them.
    logging.getLogger("telegram").setLevel(logging.CRITICAL)
    pin(0)
    try:
        import aiolimiter  # noqa: F401

        peer = True
    except ImportError:
        print("aiolimiter is not installed: the AIORateLimiter rows are skipped")
        peer = False
    runs = []
    for i in range(args.runs):
        rows = one_run(args.messages, args.peer_messages, peer)
        print_table(f"Run {i + 1}", rows)
        runs.append(rows)
    print_table(f"Medians of {args.runs} runs", medians(runs))


if __name__ == "__main__":
    main()
