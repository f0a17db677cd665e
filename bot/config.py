"""Settings from the environment and `.env` (the table in PRODUCT.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LANGUAGES = ("pl", "en", "uk")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/leaders.db"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and says what to do."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 1h or 2d")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    bot_coordinators: Annotated[tuple[int, ...], NoDecode] = ()
    bot_timezone: str = "Europe/Warsaw"
    bot_default_language: str = "pl"
    reminder_offsets: Annotated[tuple[timedelta, ...], NoDecode] = Field(
        default=(timedelta(hours=24), timedelta(hours=1))
    )
    bot_profile: Path | None = None
    # Broadcast messages per second; Telegram allows about 30/s overall.
    broadcast_rate: float = Field(default=30.0, gt=0)
    # Public HTTPS address of the coordinators' panel (a Telegram Mini App); None: no panel.
    bot_webapp_url: str | None = None

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("bot_webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram opens Mini Apps only over HTTPS)")
        return value.strip()

    @field_validator("bot_coordinators", mode="before")
    @classmethod
    def _ids(cls, value: object) -> tuple[int, ...]:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be comma-separated Telegram user ids (numbers)") from None
        return tuple(value)  # type: ignore[arg-type]

    @field_validator("bot_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Warsaw") from None
        return value

    @field_validator("bot_default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _offsets(cls, value: object) -> tuple[timedelta, ...]:
        if isinstance(value, str):
            offsets = tuple(parse_duration(p) for p in value.split(",") if p.strip())
            if not offsets:
                raise ValueError("needs at least one duration like 24h")
            return tuple(sorted(offsets, reverse=True))
        return tuple(value)  # type: ignore[arg-type]

    @field_validator("bot_profile")
    @classmethod
    def _profile(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def token(self) -> str:
        return self.telegram_bot_token.get_secret_value()


_HINTS = {
    "telegram_bot_token": "get a token from @BotFather and set TELEGRAM_BOT_TOKEN (see README)",
}


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            env = name.upper()
            if error["type"] == "missing":
                hint = _HINTS.get(name, f"set {env}")
                lines.append(f"{env} is missing: {hint}")
            else:
                message = str(error["msg"]).removeprefix("Value error, ")
                lines.append(f"{env} is invalid: {message}")
        raise SettingsError("; ".join(lines)) from None
