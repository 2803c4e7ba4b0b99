"""`gutskin-bot run` as an operator first meets it: each mistake is one line on stderr, with
nothing (Alembic's INFO lines, seven "file not found" lines) before it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_CONTENT_ENV, TIPS_DIR

pytestmark = pytest.mark.slow

_PASSTHROUGH = ("PATH", "HOME", "LANG", "SYSTEMROOT")
UNREACHABLE = "http://127.0.0.1:1/bot"


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `gutskin-bot ARGS` in `cwd` with only the variables given (no TIPS_DIR unless set)."""
    base = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH}
    base.update(SHIPPED_CONTENT_ENV)
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_new_database_migrates_quietly_before_the_one_line_error(tmp_path: Path) -> None:
    for attempt in ("new database", "existing database"):
        result = run(
            tmp_path,
            "run",
            TIPS_DIR=str(TIPS_DIR),
            TELEGRAM_BOT_TOKEN="1:x",
            TELEGRAM_API_BASE_URL=UNREACHABLE,
        )
        assert result.returncode == 2, attempt
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"gutskin-bot: cannot reach the Bot API at {UNREACHABLE}"), attempt
        assert (tmp_path / "data" / "gutskin.db").is_file()


def test_alembic_still_speaks_at_debug(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "run",
        TIPS_DIR=str(TIPS_DIR),
        TELEGRAM_BOT_TOKEN="1:x",
        TELEGRAM_API_BASE_URL=UNREACHABLE,
        LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 2
    assert "alembic.runtime.migration: Running upgrade" in result.stderr


def test_outside_the_repository_it_says_once_where_it_looked(tmp_path: Path) -> None:
    result = run(tmp_path, "run", TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_API_BASE_URL=UNREACHABLE)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"gutskin-bot: TIPS_DIR: no content folder at {tmp_path.resolve() / 'tips'}; run "
        "gutskin-bot from the repository's folder, or set TIPS_DIR to the content folder "
        "(the repository's tips/)"
    ]
    assert not (tmp_path / "data").exists()  # stopped before touching the database
    # The same for every command that reads the content.
    check = run(tmp_path, "content", "check")
    assert check.stderr.strip().splitlines() == result.stderr.strip().splitlines()


def test_an_sqlite_file_in_a_missing_folder_is_refused_outside_the_data_dir(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "typo" / "deeper"
    result = run(
        tmp_path,
        "run",
        TIPS_DIR=str(TIPS_DIR),
        TELEGRAM_BOT_TOKEN="1:x",
        DATABASE_URL=f"sqlite+aiosqlite:///{missing}/gutskin.db",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"gutskin-bot: DATABASE_URL: the folder {missing} does not exist; create it first, "
        "or leave DATABASE_URL unset to use data/gutskin.db (DATA_DIR)"
    ]
    assert not (tmp_path / "typo").exists()

    # In DATA_DIR (the default, or a folder inside it) the folder is made on first use.
    inside = run(
        tmp_path,
        "db",
        "upgrade",
        TIPS_DIR=str(TIPS_DIR),
        DATABASE_URL="sqlite+aiosqlite:///data/2026/gutskin.db",
    )
    assert inside.returncode == 0, inside.stderr
    assert (tmp_path / "data" / "2026" / "gutskin.db").is_file()
    assert inside.stderr == ""
