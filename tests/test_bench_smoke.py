"""Every script in bench/ runs against the code as it is, at its smallest size.

Benchmarks assert nothing about speed; this only proves they still run (a renamed method
or argument used to surface months later as a TypeError in a measurement run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# Each script with the smallest arguments that still go through all of its steps.
SMALLEST: dict[str, list[str]] = {
    "faq_match.py": [],
    "plan_day.py": [],
    "tick_scale.py": ["--backends", "sqlite", "--subscribers", "2000", "--runs", "1", "--drop"],
    "delivery_memory.py": ["--sizes", "1000", "--runs", "1"],
    "delivery_e2e.py": ["--sizes", "1000", "--runs", "1", "--history-days", "2", "--drop"]
    + (
        ["--postgres", os.environ["TEST_DATABASE_URL"]]
        if os.environ.get("TEST_DATABASE_URL")
        else ["--backends", "sqlite"]
    ),
    "send_ceiling.py": ["--messages", "100", "--runs", "1", "--in-flight", "1"],
    "send_paced.py": ["--messages", "30", "--peer-messages", "30", "--runs", "1"],
    # Servers the others start in a process of their own (and so run above).
    "sandbox_process.py": ["--help"],
    "stub_bot_api.py": ["--help"],
    # Needs scikit-learn (the train extra, not installed here) and 45 s: its arguments only.
    "triage_model_backtest.py": ["--help"],
}
HELP_ONLY = ("sandbox_process.py", "stub_bot_api.py", "triage_model_backtest.py")


def test_every_script_has_a_smallest_run() -> None:
    assert {p.name for p in BENCH.glob("*.py")} == set(SMALLEST)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("script", sorted(SMALLEST))
def test_the_script_runs(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *SMALLEST[script]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    if script not in HELP_ONLY:
        assert "|" in done.stdout or "p99" in done.stdout, done.stdout[-2000:]
    (BENCH / ".data" / "delivery_memory_1000.db").unlink(missing_ok=True)
