"""The core of the simulated Telegram world: constants, the shared state and its lock,
and the internal helpers every part (people, acting, callbacks, faults, reading) uses.

Every piece of state is guarded by one threading.Condition: the HTTP server thread and the
test thread both take it briefly, and waiters are woken on every change.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any

from .models import (
    ApiError,
    CallbackAnswer,
    FakeFile,
    FakeGroup,
    FakeMessage,
    FakeUser,
    RequestRecord,
)

ChatRef = int | FakeUser | FakeGroup
MessageRef = FakeMessage | int

BOT_ID = 100000
BOT_USERNAME = "leaders_test_bot"

# Telegram's default when a bot never passed allowed_updates.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT_STATUSES = ("creator", "administrator", "member", "restricted")


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid, minimal white PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _ref_id(ref: ChatRef) -> int:
    return ref if isinstance(ref, int) else ref.id


class WorldCore:
    """The state of the fake Telegram and the helpers that touch it (call with the lock held)."""

    def __init__(
        self,
        *,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "Leaders Test Bot",
        privacy_mode: bool = True,
        strict_html_ampersand: bool = True,
        global_messages_per_second: float | None = None,
        group_messages_per_minute: int | None = None,
        chat_messages_per_second: float | None = None,
    ) -> None:
        self._cond = threading.Condition(threading.RLock())
        self.bot = FakeUser(
            id=BOT_ID, first_name=bot_first_name, username=bot_username, is_bot=True
        )
        self.privacy_mode = privacy_mode
        self.strict_html_ampersand = strict_html_ampersand
        self.global_messages_per_second = global_messages_per_second
        self.group_messages_per_minute = group_messages_per_minute
        self.chat_messages_per_second = chat_messages_per_second

        self._users: dict[int, FakeUser] = {}
        self._started: set[int] = set()  # users whose private chat with the bot exists
        self._blocked: set[int] = set()
        self._groups: dict[int, FakeGroup] = {}
        self._groups_bot_was_in: set[int] = set()
        self._messages: dict[int, list[FakeMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._next_user_id = 1_000_001
        self._next_group_id = 1

        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 10_001
        self._update_messages: dict[int, tuple[int, int]] = {}  # update_id -> chat, message
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._update_listener: Callable[[], None] | None = None

        self._files: dict[str, FakeFile] = {}
        self._files_by_path: dict[str, FakeFile] = {}
        self._next_file = 1

        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._answered_callbacks: list[CallbackAnswer] = []
        self._requests: list[RequestRecord] = []
        self._poll_times: list[float] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._failures: dict[str, deque[ApiError]] = {}
        self._send_times: deque[float] = deque()
        self._chat_send_times: dict[int, deque[float]] = {}

        self.webhook_url = ""
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_profile: dict[tuple[str, str], str] = {}  # (field, language) -> text

    def _changed(self) -> None:
        self._cond.notify_all()

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        self._changed()
        if self._update_listener is not None:
            self._update_listener()
        return update_id

    def _chat_api(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._groups:
            return self._groups[chat_id].to_api()
        return self._users[chat_id].private_chat()

    def _user(self, ref: FakeUser | int) -> FakeUser:
        user_id = _ref_id(ref)
        if user_id not in self._users:
            raise AssertionError(f"unknown user {user_id}; create it with new_user()")
        return self._users[user_id]

    def _new_message(
        self, chat_id: int, *, from_bot: bool, sender_id: int, method: str
    ) -> FakeMessage:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        now = time.time()
        message = FakeMessage(
            chat_id=chat_id,
            message_id=message_id,
            from_bot=from_bot,
            sender_id=sender_id,
            date=int(now),
            method=method,
            sent_at=now,
            updated_at=now,
        )
        self._messages.setdefault(chat_id, []).append(message)
        return message

    def _find_message(self, chat_id: int, message_id: int) -> FakeMessage | None:
        for message in self._messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def _register_file(
        self,
        content: bytes,
        folder: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
    ) -> FakeFile:
        number = self._next_file
        self._next_file += 1
        extension = ""
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        elif mime_type:
            extension = mimetypes.guess_extension(mime_type) or ""
        file = FakeFile(
            file_id=f"FAKE-{folder[:3].upper()}-{number:06d}",
            file_unique_id=hashlib.sha1(f"{number}".encode()).hexdigest()[:16],
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
            filename=filename,
            mime_type=mime_type,
        )
        self._files[file.file_id] = file
        self._files_by_path[file.file_path] = file
        return file

    def _wait(self, ready: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = ready()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(min(remaining, 0.5))

    def _take_updates(
        self, offset: int | None, limit: int, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        if allowed is not None:
            # As Telegram: an empty list means the default set; the setting is remembered.
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        # Updates of types the bot did not ask for are never delivered.
        self._updates = [
            u
            for u in self._updates
            if next(k for k in u if k != "update_id") in self._allowed_updates
        ]
        self._changed()
        return copy.deepcopy(self._updates[:limit])


def scope_key(scope: dict[str, Any] | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))
