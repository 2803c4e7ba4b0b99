"""The README's scripts: `./scripts/sandbox` and `./scripts/test` pass their own arguments on.

The first tests copy the scripts into a scratch repository whose .venv holds small stand-ins
(for gutskin-bot, ruff, mypy, pytest and pip) that write down how they were called; the last
runs the real `./scripts/sandbox --help` against this checkout's .venv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
_PASSTHROUGH = ("PATH", "HOME", "LANG")

_RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$(dirname "$0")/../calls.log"
"""

_FAILING_PIP = """#!/usr/bin/env bash
n=$(cat "$(dirname "$0")/../tries" 2>/dev/null || echo 0); n=$((n + 1))
echo "$n" > "$(dirname "$0")/../tries"
echo "pip try $n: no network"
exit 1
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}


def _scratch_repo(tmp_path: Path, *, installed: bool = True, python: str = _RECORDER) -> Path:
    """Make a repository with the real scripts and a stand-in .venv."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "scripts", repo / "scripts")
    for name in ("pyproject.toml", "requirements.lock", "requirements-dev.lock"):
        shutil.copy(REPO / name, repo / name)
    venv_bin = repo / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name, text in [
        ("gutskin-bot", _RECORDER),
        ("ruff", _RECORDER),
        ("mypy", _RECORDER),
        ("pytest", _RECORDER),
        ("python", python),
    ]:
        (venv_bin / name).write_text(text)
        (venv_bin / name).chmod(0o755)
    if installed:
        locked = (repo / "pyproject.toml").read_bytes() + (
            repo / "requirements-dev.lock"
        ).read_bytes()
        digest = hashlib.sha256(locked).hexdigest()
        (repo / ".venv" / ".installed-dev").write_text(digest + "\n")
    return repo


def _run(repo: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / "scripts" / script), *args],
        cwd=repo,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _calls(repo: Path) -> list[str]:
    return (repo / ".venv" / "calls.log").read_text().splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--terminal"], "gutskin-bot sandbox --terminal"),
        (["--terminal", "--name", "Siti"], "gutskin-bot sandbox --terminal --name Siti"),
        (["--help"], "gutskin-bot sandbox --help"),
        (["--port", "8152"], "gutskin-bot sandbox --web --port 8152"),
        ([], "gutskin-bot sandbox --web"),
    ],
)
def test_sandbox_script_passes_its_arguments_to_gutskin_bot(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    repo = _scratch_repo(tmp_path)
    result = _run(repo, "sandbox", *args)
    assert result.returncode == 0, result.stderr
    assert "Installing" not in result.stderr
    assert _calls(repo) == [expected]


def test_test_script_passes_its_arguments_to_pytest_only(tmp_path: Path) -> None:
    repo = _scratch_repo(tmp_path)
    result = _run(repo, "test", "-k", "booking", "-x")
    assert result.returncode == 0, result.stderr
    assert "Installing" not in result.stderr
    assert _calls(repo) == [
        "ruff check .",
        "ruff format --check .",
        "mypy bot",
        "pytest -n 3 --dist loadfile -m not slow -k booking -x",
    ]


def test_a_failed_install_says_where_the_log_is_and_a_retry_keeps_the_first_log(
    tmp_path: Path,
) -> None:
    repo = _scratch_repo(tmp_path, installed=False, python=_FAILING_PIP)
    first = _run(repo, "sandbox", "--terminal")
    assert first.returncode == 1
    assert "Installing gutskin-bot into .venv ..." in first.stderr
    assert "[--terminal]" not in first.stderr
    assert "pip try 1: no network" in first.stderr
    assert "the whole log is in .venv/install.log" in first.stderr

    second = _run(repo, "sandbox", "--help")
    assert second.returncode == 1
    assert "previous try's log is in .venv/install.log.prev" in second.stderr
    assert (repo / ".venv" / "install.log").read_text() == "pip try 2: no network\n"
    assert (repo / ".venv" / "install.log.prev").read_text() == "pip try 1: no network\n"


def test_a_fresh_install_takes_the_locked_hashed_dependencies_then_the_project(
    tmp_path: Path,
) -> None:
    repo = _scratch_repo(tmp_path, installed=False)
    assert _run(repo, "test", "-x").returncode == 0
    installs = [c for c in _calls(repo) if c.startswith("python -m pip install")]
    assert installs == [
        "python -m pip install --upgrade pip",
        "python -m pip install --require-hashes -r requirements-dev.lock",
        "python -m pip install --no-deps -e .",
    ]
    # Installed now: the next run installs nothing, until the lock changes.
    assert "Installing" not in _run(repo, "test", "-x").stderr
    with (repo / "requirements-dev.lock").open("a") as lock:
        lock.write("# refreshed\n")
    assert "Installing" in _run(repo, "test", "-x").stderr


@pytest.mark.timeout(600)  # the first run on a fresh clone installs .venv
def test_the_real_sandbox_script_shows_its_help() -> None:
    result = subprocess.run(
        [str(REPO / "scripts" / "sandbox"), "--help"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: gutskin-bot sandbox")
    assert "--terminal" in result.stdout and "--port PORT" in result.stdout
