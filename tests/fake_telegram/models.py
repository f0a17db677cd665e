"""Plain data objects of the fake Telegram server, as tests see them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "FakeFile",
    "FakeGroup",
    "FakeMessage",
    "FakeUser",
    "MessageVersion",
    "RequestRecord",
    "Upload",
]


class ApiError(Exception):
    """An error answer of the Bot API: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user; their private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass
class FakeGroup:
    """A group or supergroup. `statuses` maps user id to creator/administrator/member/left/
    kicked; `bot_status` is the bot's own membership (it starts outside the group)."""

    id: int
    title: str
    type: str
    statuses: dict[int, str] = field(default_factory=dict)
    bot_status: str = "left"
    username: str | None = None

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass
class FakeFile:
    """A file known to the server: sent by a user or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    filename: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as (filename, content): `name, data = message.document`."""
        yield self.filename
        yield self.content


class Upload(NamedTuple):
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None


@dataclass
class MessageVersion:
    """A message's content before one of its edits."""

    text: str | None
    caption: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    time: float
    method: str


@dataclass
class FakeMessage:
    """A message in a chat. `text`/`caption` are what the user sees (after HTML/Markdown
    parsing); `raw_text`/`raw_caption` are what the bot sent. The server hands out copies, so
    a FakeMessage is a snapshot; fetch it again to see later edits."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    method: str
    sent_at: float
    updated_at: float
    text: str | None = None
    raw_text: str | None = None
    caption: str | None = None
    raw_caption: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: FakeFile | None = None
    photo: FakeFile | None = None
    location: tuple[float, float] | None = None
    reply_to_message_id: int | None = None
    pinned: bool = False
    deleted: bool = False
    edits: list[MessageVersion] = field(default_factory=list)
    # Other Message fields, e.g. sticker, voice, contact, forward_origin, new_chat_members.
    extra: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)  # the Message object as Telegram sent it

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        if self.reply_markup is None:
            return []
        return list(self.reply_markup.get("inline_keyboard", []))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons, row by row: (text, callback_data or url or other target)."""
        flat: list[tuple[str, str]] = []
        for row in self.inline_keyboard:
            for button in row:
                target = next(
                    (str(v) for k, v in button.items() if k != "text" and v is not None), ""
                )
                flat.append((button["text"], target))
        return flat

    @property
    def keyboard(self) -> list[str]:
        """Texts of the reply keyboard buttons (the keyboard under the input field)."""
        if self.reply_markup is None:
            return []
        rows = self.reply_markup.get("keyboard", [])
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]

    def describe(self) -> str:
        flags = " [deleted]" if self.deleted else ""
        flags += f" [edited {len(self.edits)}x]" if self.edits else ""
        extra = f" buttons={self.buttons}" if self.buttons else ""
        extra += f" keyboard={self.keyboard}" if self.keyboard else ""
        if self.document is not None:
            extra += f" document={self.document.filename!r}"
        if self.photo is not None:
            extra += " photo"
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        return f"#{self.message_id} ({who}, {self.method}){flags}: {self.content!r}{extra}"


@dataclass
class RequestRecord:
    """One Bot API call the bot made, as the server answered it."""

    index: int
    time: float
    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    status: int
    response: dict[str, Any]
    duration: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        return self.response.get("description")


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call, linked to the press that caused it."""

    callback_query_id: str
    update_id: int
    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    time: float
