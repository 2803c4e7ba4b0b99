"""Settings: defaults, parsing, and one-line errors naming the variable."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "DEFAULT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]  # no stray .env


def test_defaults_fit_a_malaysian_clinic() -> None:
    settings = load_settings()
    assert settings.default_timezone == "Asia/Kuala_Lumpur"
    assert settings.default_send_time == dt.time(8, 0)
    assert settings.resolved_database_url == "sqlite+aiosqlite:///data/gutskin.db"
    assert settings.admin_ids == ()


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "111, 222;333")
    monkeypatch.setenv("DEFAULT_SEND_TIME", "07:30")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot@db:5432/bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = load_settings()
    assert settings.admin_ids == (111, 222, 333)
    assert settings.default_send_time == dt.time(7, 30)
    assert settings.resolved_database_url == "postgresql+asyncpg://bot@db:5432/bot"
    assert settings.require_token() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("ADMIN_IDS=42\nDEFAULT_TIMEZONE=Asia/Kathmandu\n")
    settings = load_settings()
    assert settings.admin_ids == (42,)
    assert settings.default_timezone == "Asia/Kathmandu"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db", "DATABASE_URL: driver 'mysql' is not"),
        ("DATABASE_URL", "sqlite:///plain.db", "DATABASE_URL: driver 'sqlite' is not"),
        ("DATABASE_URL", "not a url", "DATABASE_URL: is not a database URL"),
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS: 'abc' is not a Telegram user id"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: 'Mars/Olympus' is not an IANA"),
        ("DEFAULT_SEND_TIME", "25:00", "DEFAULT_SEND_TIME:"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: must start with http"),
        ("SANDBOX_PORT", "99999", "SANDBOX_PORT:"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_missing_token_points_to_the_sandbox() -> None:
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*gutskin-bot sandbox"):
        load_settings().require_token()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("off", None), ("OFF", None), ("ref=bot-{origin}", "ref=bot-{origin}")],
)
def test_booking_tracking_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv("BOOKING_TRACKING", value)
    assert load_settings().booking_tracking == expected


def test_booking_tracking_must_be_name_equals_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKING_TRACKING", "no equals sign")
    with pytest.raises(ConfigError, match="^BOOKING_TRACKING:"):
        load_settings()
