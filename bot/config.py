"""One Settings object, read from the environment and an optional .env file."""

from __future__ import annotations

import datetime as dt
import re
import socket
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.db.engine import Database

ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
SANDBOX_TOKEN = "7000000001:SANDBOX-not-a-real-token"
# Telegram's rule for a webhook's secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    """Everything an operator can configure. See README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = ""
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    data_dir: Path = Path("data")
    tips_dir: Path = Path("tips")
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_timezone: str = "Asia/Kuala_Lumpur"
    default_send_time: dt.time = dt.time(8, 0)
    booking_tracking: str | None = Field(
        default="utm_source=telegram-bot", pattern=r"^[A-Za-z0-9_.-]{1,40}=[A-Za-z0-9_.{}:-]{0,80}$"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    sandbox_port: int = Field(default=8081, ge=0, le=65535)
    sandbox_rate_limit: float = Field(default=30.0, gt=0)
    # Daily delivery
    delivery_tick_seconds: float = Field(default=30.0, ge=0.1, le=3600)
    catch_up_hours: float = Field(default=3.0, ge=0, le=23)
    delivery_rate: float = Field(default=25.0, gt=0, le=1000)
    allow_paid_broadcast: bool = False
    send_max_attempts: int = Field(default=3, ge=1, le=10)
    per_chat_interval: float = Field(default=1.0, ge=0, le=60)
    delivery_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description=(
            "How long a replica's claim on planned tips lasts without renewal. The holder "
            "renews it every third of the lease while it works, so a live replica's tips are "
            "never taken; a replica killed with -9 has its tips taken over by another one "
            "within about one lease plus a tick (30 s: within a minute)."
        ),
    )
    send_read_timeout: float = Field(
        default=30.0,
        ge=1,
        le=300,
        description=(
            "Seconds to wait for Telegram's answer once a request is written. A send whose "
            "answer does not come in time may have been delivered, so it is recorded in doubt "
            "and never sent again: this must be long enough that a slow but working Telegram "
            "does not turn into doubt. Measured on the sandbox (same machine, aiohttp backend): "
            "paced at 200/s an answer takes 0.6 ms (p50), 1.1 ms (p99), 41 ms at most; a "
            "burst of 2,000 with 256 in flight 45 ms (p50) and 1.19 s at most; its slow-answer "
            "fault (6 s, the case that turned 9 of 300 tips into duplicates with the old 5 s) "
            "answers in 6.04 s. 30 s is five times the slowest answer seen; at shutdown the "
            "stop grace cuts in-flight requests anyway."
        ),
    )
    stop_grace_seconds: float = Field(
        default=5.0,
        ge=0,
        le=8,
        description=(
            "On SIGTERM, how long requests already on the wire may still take; those still "
            "unanswered are then recorded in doubt (never resent) so the process exits within "
            "10 s."
        ),
    )
    replica_id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9_.-]{1,60}$")
    replica_heartbeat_seconds: float = Field(
        default=5.0,
        ge=0.5,
        le=60,
        description=(
            "PostgreSQL: how often a replica writes its heartbeat and re-reads how many "
            "replicas are live (seen within three heartbeats); each paces at DELIVERY_RATE "
            "divided by that number. A dead replica's share returns to the others within "
            "about four heartbeats."
        ),
    )
    # Production: how updates arrive, the webhook, health and metrics, log format
    updates: Literal["polling", "webhook", "none"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9/_.~-]*$")
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=0, ge=0, le=65535)  # 0: off (the image sets 8080)
    health_max_tick_age: float = Field(default=180.0, ge=1)
    health_max_pause: float = Field(default=300.0, ge=1)
    log_format: Literal["text", "json"] = "text"
    # Consent and the staff inbox (#15)
    clinic_name: str = Field(default="the clinic", min_length=1, max_length=120)
    staff_chat_id: int | None = None  # a staff group chat told of new inbox items
    staff_chat_show_text: bool = True  # False: the announcement leaves the question out
    inbox_retention_days: int = Field(default=90, ge=1, le=3650)  # closed items, then purged
    # Clinical review (bot/admin/review.py): None means required for `run`, off for the sandbox.
    content_review: Literal["required", "off"] | None = None
    review_valid_days: int = Field(default=365, ge=0, le=3650)  # 0: an approval never expires
    allow_placeholder_clinics: bool = False

    @model_validator(mode="after")
    def _paid_rate(self) -> Settings:
        if self.delivery_rate > 30 and not self.allow_paid_broadcast:
            raise ValueError(
                "DELIVERY_RATE above 30 messages/s needs ALLOW_PAID_BROADCAST=true "
                "(Telegram's paid broadcasts); without it Telegram answers 429"
            )
        return self

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.updates == "webhook" and not (self.webhook_url and self.webhook_secret):
            raise ValueError(
                "webhook mode needs WEBHOOK_URL (the public https address) and "
                "WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)"
            )
        return self

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        local = parts.hostname in ("127.0.0.1", "::1", "localhost")
        secure = parts.scheme == "https" or (parts.scheme == "http" and local)
        if not parts.hostname or not secure:
            raise ValueError(
                "must be the public https:// address Telegram posts to "
                "(http:// only for 127.0.0.1, as with the sandbox)"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @property
    def paid_broadcasts(self) -> bool:
        """Whether bulk sends go as Telegram's paid broadcasts: only when the rate needs it
        (above Telegram's free 30/s), since Telegram charges for them."""
        return self.allow_paid_broadcast and self.delivery_rate > 30

    @property
    def review_required(self) -> bool:
        """Whether only reviewed tips and FAQ entries reach patients (CONTENT_REVIEW)."""
        return self.content_review == "required"

    @property
    def webhook_serve_path(self) -> str:
        """The local path the webhook is served on: WEBHOOK_PATH, else WEBHOOK_URL's path."""
        if self.webhook_path:
            return self.webhook_path
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("booking_tracking", mode="before")
    @classmethod
    def _tracking_off(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "off" else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"{part!r} is not a Telegram user id (digits only)")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA timezone such as Asia/Kuala_Lumpur"
            ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL like sqlite+aiosqlite:///data/bot.db") from None
        if url.drivername not in ASYNC_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use one of {', '.join(ASYNC_DRIVERS)}"
            )
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one, or an SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gutskin.db').as_posix()}"

    def open_database(self) -> Database:
        """Return a handle on the configured database (not yet connected)."""
        return Database(self.resolved_database_url, schema=self.database_schema)

    def require_token(self) -> str:
        """Return the bot token, or raise ConfigError pointing to the sandbox."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, "
                "or try the bot without a token with `gutskin-bot sandbox`"
            )
        return self.telegram_bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings once, turning any validation error into one ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{field.upper()}: {message}") from None
