"""Offline Telegram for handler tests: a request that records what the bot sends.

The pattern of python-telegram-bot's own suite: the Application runs for real, only the
HTTP layer is replaced. Tests feed updates through `process_update` and read `sent`.

Every test (and benchmark) builds the bot's Application through `build_app()`;
`start_harness()` also runs the start-up work and wraps it in a `Harness`.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.context import BotApplication

BOT_ID = 100000
BOT_USERNAME = "leaders_test_bot"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Leaders",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded file name -> content
    at: float = field(default_factory=time.time)  # when the bot made the call

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not isinstance(markup, dict):
            return []
        return [
            (b["text"], b.get("callback_data") or b.get("url") or "")
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, label_part: str) -> str:
        """The callback_data of the button whose text contains `label_part`."""
        for text, data in self.buttons:
            if label_part.lower() in text.lower():
                return data
        raise AssertionError(f"no button {label_part!r} in {self.buttons}")


@dataclass
class RecordingRequest(BaseRequest):
    calls: list[Call] = field(default_factory=list)
    # method (or "method:chat_id") -> what its next call does instead of succeeding (once):
    # raise the exception, or answer with Telegram's JSON error ({"ok": false, ...}), which
    # PTB turns into its own exception (ChatMigrated, RetryAfter, ...) as it does online.
    fail: dict[str, Exception | dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        if name == "getMe":
            return 200, json.dumps({"ok": True, "result": BOT_USER}).encode()
        if name == "getUpdates":
            return 200, b'{"ok": true, "result": []}'
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.multipart_data:
            for part in request_data.multipart_data.values():
                content = part[1]
                files[part[0]] = content.read() if hasattr(content, "read") else content
        self.calls.append(Call(name, params, files))
        key = f"{name}:{params.get('chat_id')}"  # "sendMessage:-100" fails only there
        if key in self.fail or name in self.fail:
            failure = self.fail.pop(key if key in self.fail else name)
            if isinstance(failure, dict):
                return int(failure.get("error_code", 400)), json.dumps(failure).encode()
            raise failure
        result: Any = True
        if (name.startswith("send") and name != "sendChatAction") or name.startswith("edit"):
            chat_id = params.get("chat_id", 1)
            result = {
                "message_id": params.get("message_id") or next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if name == "getChatMember":  # like Telegram for a plain member of the chat
            user = {"id": int(params.get("user_id", 1)), "is_bot": False, "first_name": "A"}
            result = {"status": "member", "user": user}
        return 200, json.dumps({"ok": True, "result": result}, default=str).encode()


@dataclass
class User:
    id: int
    first_name: str = "Anna"
    last_name: str | None = "Nowak"
    language_code: str | None = "pl"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.language_code:
            data["language_code"] = self.language_code
        return data


class Harness:
    """Drives an Application with synthetic updates and reads what it sent."""

    def __init__(self, application: BotApplication, request: RecordingRequest) -> None:
        self.app = application
        self.request = request
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    @property
    def calls(self) -> list[Call]:
        return self.request.calls

    def _chat(self, user: User, chat: dict[str, Any] | None) -> dict[str, Any]:
        return chat or {"id": user.id, "type": "private", "first_name": user.first_name}

    async def feed(self, data: dict[str, Any]) -> list[Call]:
        before = len(self.request.calls)
        data.setdefault("update_id", next(self._update_ids))
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return self.request.calls[before:]

    async def send(self, user: User, text: str, chat: dict[str, Any] | None = None) -> list[Call]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user, chat),
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.feed({"message": message})

    async def send_message(self, user: User, **content: Any) -> list[Call]:
        """A non-text message: sticker=..., photo=[...], contact=..., location=..."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user, None),
            "from": user.as_dict(),
            **content,
        }
        return await self.feed({"message": message})

    async def press(
        self, user: User, data: str, message_id: int = 1, chat: dict[str, Any] | None = None
    ) -> list[Call]:
        return await self.feed(
            {
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": user.as_dict(),
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": self._chat(user, chat),
                        "from": BOT_USER,
                        "text": "…",
                    },
                }
            }
        )

    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.chat_id == chat_id]

    def last(self, chat_id: int, method: str | None = None) -> Call:
        for call in reversed(self.calls):
            if call.chat_id == chat_id and (method is None or call.method == method):
                return call
        raise AssertionError(f"nothing sent to {chat_id}")

    def texts(self, calls: list[Call]) -> str:
        return "\n".join(c.text for c in calls)


STICKER = {
    "file_id": "sticker1",
    "file_unique_id": "s1",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "type": "regular",
}


def build_app(
    settings: Any,
    database: Any,
    request: BaseRequest | None = None,
    *,
    live: bool = False,
    **options: Any,
) -> BotApplication:
    """The bot's Application as tests build it: offline on `request` (a RecordingRequest
    unless given), no rate limiter. live=True: PTB's real HTTP and rate limiter, for tests
    against the fake Bot API server in the test's own process. `options` go to
    build_application (heartbeat=..., profile=...)."""
    from bot.app import build_application

    if live:
        return build_application(settings, database=database, **options)
    from handlers.throttle import KEY as THROTTLE
    from handlers.throttle import Throttle

    application = build_application(
        settings,
        database=database,
        request=request if request is not None else RecordingRequest(),
        get_updates_request=RecordingRequest(),
        rate_limit=False,
        **options,
    )
    # Tests feed updates faster than any person types; tests/handlers/test_throttle.py
    # puts its own limit back.
    application.bot_data[THROTTLE] = Throttle(burst=float("inf"))
    return application


async def start_harness(
    settings: Any, database: Any, request: RecordingRequest | None = None, **options: Any
) -> Harness:
    """A running Application on the offline request, start-up work done (shut it down with
    `await harness.app.shutdown()`); `options` as for build_app."""
    from bot.app import startup

    request = request if request is not None else RecordingRequest()
    application = build_app(settings, database, request, **options)
    await application.initialize()
    await startup(application)
    await application.bot_data["commands_task"]
    request.calls.clear()
    return Harness(application, request)
