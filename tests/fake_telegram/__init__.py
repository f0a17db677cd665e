"""A strict fake of the Telegram Bot API for end-to-end tests of the bot.

    from tests.fake_telegram import FakeTelegram

    with FakeTelegram(token="123456:TEST-token") as server:
        # start the bot with TELEGRAM_API_URL=server.url
        anna = server.new_user("Anna")
        server.wait_until_polling()
        server.send_text(anna, "/start")
        reply = server.wait_for_message(anna, contains="Witaj")
        server.press(anna, reply, text="Dalej")

PTB must be built with base_url=f"{server.url}/bot" and base_file_url=f"{server.url}/file/bot"
(PTB appends the token to both).
"""

from .markup import MarkupError, ParsedText, parse_text, utf16_len
from .models import (
    ApiError,
    CallbackAnswer,
    FakeFile,
    FakeGroup,
    FakeMessage,
    FakeUser,
    MessageVersion,
    RequestRecord,
    Upload,
)
from .server import FakeTelegram
from .state import tiny_png

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "FakeFile",
    "FakeGroup",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "MarkupError",
    "MessageVersion",
    "ParsedText",
    "RequestRecord",
    "Upload",
    "parse_text",
    "tiny_png",
    "utf16_len",
]
