"""Run the sandbox Bot API in a process of its own, pinned to one core, for the send benchmarks.

As a script: ``python bench/sandbox_process.py --users 10000 --rate 30 --cpu 1`` serves on a
free 127.0.0.1 port, prints one JSON line ``{"port": ...}`` once the users exist, and stops
when its standard input closes (so it never outlives the benchmark that started it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:bench-token"
FIRST_USER = 1_000_000


@dataclass(frozen=True)
class SandboxProcess:
    """A running sandbox process: its URLs and its pid (for CPU readings)."""

    pid: int
    port: int

    @property
    def base_url(self) -> str:
        """PTB's base_url (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def control_url(self) -> str:
        """The sandbox control API."""
        return f"http://127.0.0.1:{self.port}/sandbox"


def pin(cpu: int | None) -> None:
    """Pin this process to one core, when the machine has it."""
    if cpu is not None and hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


@contextlib.contextmanager
def sandbox_process(
    *, users: int, rate: float | None, cpu: int | None = 1
) -> Iterator[SandboxProcess]:
    """Start the sandbox with ``users`` users (ids from FIRST_USER) and yield it; stop it after."""
    args = [sys.executable, str(Path(__file__)), "--users", str(users)]
    args += ["--rate", "none" if rate is None else str(rate)]
    if cpu is not None:
        args += ["--cpu", str(cpu)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox process exited before it was ready")
        yield SandboxProcess(pid=proc.pid, port=int(json.loads(line)["port"]))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def audit(control_url: str, users: int) -> tuple[int, int]:
    """Count the users who got no bot message (lost) and the extra messages (duplicates)."""
    from bot.sandbox import SandboxClient

    lost = duplicates = 0
    ids = iter(range(FIRST_USER, FIRST_USER + users))
    async with SandboxClient(control_url) as client:

        async def worker() -> None:
            nonlocal lost, duplicates
            for user_id in ids:
                got = sum(1 for m in await client.history(user_id) if m["from_bot"])
                lost += got == 0
                duplicates += max(0, got - 1)

        await asyncio.gather(*(worker() for _ in range(16)))
    return lost, duplicates


async def _serve(users: int, rate: float | None) -> None:
    from bot.sandbox import Sandbox
    from bot.sandbox import users as sandbox_users

    server = Sandbox(token=TOKEN, rate_limit_per_second=rate)
    await server.start()
    for user_id in range(FIRST_USER, FIRST_USER + users):
        sandbox_users.add_user(server.world, user_id, f"U{user_id}", language_code="en")
    print(json.dumps({"port": server.port}), flush=True)
    loop = asyncio.get_running_loop()
    # Standard input closing (the parent finished or died) is the signal to stop.
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    await server.stop()


def main() -> None:
    """Serve until standard input closes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--rate", default="30")
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    pin(args.cpu)
    asyncio.run(_serve(args.users, None if args.rate == "none" else float(args.rate)))


if __name__ == "__main__":
    main()
