"""initData: Telegram's HMAC-SHA256 signature under the bot token, and its age."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote

import pytest

from bot.panel.auth import InitDataError, verify
from tests.conftest import TOKEN
from tests.panel.support import init_data


def telegram_signed(fields: dict[str, str], token: str) -> str:
    """Signed the way Telegram's documentation describes, independently of bot.panel.auth."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) + f"&hash={digest}"


def test_data_signed_as_telegram_does_is_accepted() -> None:
    user = {"id": 42, "first_name": "Ania", "language_code": "uk", "is_premium": True}
    fields = {
        "query_id": "AAH",
        "user": json.dumps(user),
        "auth_date": str(int(time.time()) - 60),
        "signature": "abc",  # the third-party signature Telegram adds: part of the check
    }
    found = verify(telegram_signed(fields, TOKEN), TOKEN)
    assert (found.id, found.language_code) == (42, "uk")


def test_an_unknown_user_field_does_not_lock_people_out() -> None:
    user = {"id": 42, "first_name": "A", "a_field_telegram_adds_next_year": 1}
    fields = {"user": json.dumps(user), "auth_date": str(int(time.time()))}
    assert verify(telegram_signed(fields, TOKEN), TOKEN).id == 42


@pytest.mark.parametrize(
    "data",
    [
        "",
        "garbage",
        init_data(1, token="654321:another-bots-token"),  # another bot's
        init_data(1).replace("%22id%22%3A1", "%22id%22%3A2"),  # someone else's id
        init_data(1).rsplit("&hash=", 1)[0],  # no hash
        init_data(1) + "&auth_date=1",  # a field twice
        init_data(1, age=24 * 3600 + 60),  # older than a day
        "x" * 9000,
    ],
    ids=["empty", "garbage", "other-bot", "tampered", "no-hash", "repeated", "expired", "huge"],
)
def test_forged_or_old_data_is_refused(data: str) -> None:
    with pytest.raises(InitDataError):
        verify(data, TOKEN)


def test_a_day_old_login_still_works() -> None:
    assert verify(init_data(5, age=24 * 3600 - 60), TOKEN).id == 5
