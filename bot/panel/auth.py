"""Telegram Mini App `initData`: checking its signature and age, and (for tests and the
benchmark) making a signed one.

Telegram signs the launch data with HMAC-SHA256 under the key
HMAC-SHA256(key="WebAppData", message=bot_token); the data-check-string is every field but
`hash`, as `key=value` lines sorted by key
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app).

Written here (30 lines, the standard library only) rather than taken from
telegram-webapp-auth: that package refuses any initData whose `user` object carries a field
it does not know (a new field from Telegram would lock everyone out of the panel), and pulls
in `cryptography` for the third-party Ed25519 check this bot does not use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_AGE = 24 * 3600  # seconds: older initData is refused
MAX_LENGTH = 8192  # characters: real initData is well under 1 KB
FUTURE_SKEW = 300  # seconds an auth_date may lie ahead of our clock


class InitDataError(Exception):
    """Missing, malformed, forged or expired initData (the panel answers 401)."""


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int


def secret_key(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash").encode()


def verify(
    init_data: str, token: str, *, max_age: int = MAX_AGE, now: float | None = None
) -> WebAppUser:
    """The user the initData was signed for; InitDataError when it is not genuine or old."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataError("empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field is repeated")
    given = fields.get("hash", "")
    expected = hmac.new(secret_key(token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise InitDataError("bad signature")
    # Only signed data from here on.
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no auth_date or user") from None
    moment = time.time() if now is None else now
    if moment - auth_date > max_age or auth_date - moment > FUTURE_SKEW:
        raise InitDataError("expired")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name") or ""),
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
    )


def sign(user: dict[str, object], token: str, *, auth_date: int | None = None, **extra: str) -> str:
    """initData as Telegram would send it for `user` (tests, screenshots, benchmark)."""
    fields = {
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    fields["hash"] = hmac.new(secret_key(token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode(fields)
