"""The simulated Telegram world: users, chats, messages, the update queue, and the
synchronous test-facing API (acting as users, reading what the bot did, waiting for it).

Every piece of state is guarded by one threading.Condition: the HTTP server thread and the
test thread both take it briefly, and waiters are woken on every change.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import mimetypes
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .markup import utf16_len
from .models import (
    ApiError,
    CallbackAnswer,
    FakeFile,
    FakeGroup,
    FakeMessage,
    FakeUser,
    RequestRecord,
)

__all__ = ["ChatRef", "TelegramWorld", "tiny_png"]

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


class TelegramWorld:
    """State and test-facing API of the fake Telegram (the HTTP part is in server.py)."""

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

    # ----------------------------------------------------------------------------------------
    # users and groups

    def new_user(
        self,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "pl",
        *,
        started: bool = True,
    ) -> FakeUser:
        """A new user. started=False: they never opened the bot, so the bot can't write to
        them (403 "bot can't initiate conversation with a user") until they send something."""
        with self._cond:
            user = FakeUser(
                id=self._next_user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            self._next_user_id += 1
            self._users[user.id] = user
            if started:
                self._started.add(user.id)
            return user

    def new_group(
        self,
        title: str = "Test group",
        admins: Iterable[FakeUser] = (),
        members: Iterable[FakeUser] = (),
        *,
        supergroup: bool = True,
        with_bot: bool = False,
        bot_admin: bool = False,
        username: str | None = None,
    ) -> FakeGroup:
        """A group; the first admin is its creator. The bot is outside the group unless
        with_bot/bot_admin is set or add_bot_to_group() is called (which sends updates)."""
        with self._cond:
            if supergroup:
                group_id = -1_001_000_000_000 - self._next_group_id
            else:
                group_id = -4_000_000_000 - self._next_group_id
            self._next_group_id += 1
            group = FakeGroup(
                id=group_id,
                title=title,
                type="supergroup" if supergroup else "group",
                username=username,
            )
            for index, admin in enumerate(admins):
                group.statuses[admin.id] = "creator" if index == 0 else "administrator"
            for member in members:
                group.statuses.setdefault(member.id, "member")
            if with_bot or bot_admin:
                group.bot_status = "administrator" if bot_admin else "member"
                self._groups_bot_was_in.add(group_id)
            self._groups[group_id] = group
            return group

    def set_member_status(self, group: FakeGroup, user: FakeUser, status: str) -> None:
        """Change a user's membership (creator/administrator/member/restricted/left/kicked)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._cond:
            self._groups[group.id].statuses[user.id] = status
            self._cond.notify_all()

    # ----------------------------------------------------------------------------------------
    # internal helpers (call with the lock held)

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

    def _resolve_chat(self, chat: ChatRef | None, user: FakeUser) -> int:
        """The chat a user acts in: their private chat by default."""
        chat_id = user.id if chat is None else _ref_id(chat)
        if chat_id == user.id:
            if user.id in self._blocked:
                raise AssertionError(
                    f"{user.full_name} blocked the bot; call unblock_user() before writing to it"
                )
            self._started.add(user.id)
            return chat_id
        group = self._groups.get(chat_id)
        if group is None:
            raise AssertionError(f"unknown chat {chat_id}")
        if group.statuses.get(user.id) not in PRESENT_STATUSES:
            raise AssertionError(f"{user.full_name} is not a member of {group.title!r}")
        if group.bot_status not in PRESENT_STATUSES:
            raise AssertionError(
                f"the bot is not in {group.title!r}; call add_bot_to_group() first"
            )
        return chat_id

    def _user_message(
        self,
        user: FakeUser,
        chat: ChatRef | None,
        kind: str,
        fields: dict[str, Any],
        *,
        reply_to: MessageRef | None = None,
        text_for_privacy: str | None = None,
        photo: FakeFile | None = None,
        document: FakeFile | None = None,
    ) -> int | None:
        """Store a user's message and queue the `message` update (None if the bot, in privacy
        mode, would not receive it)."""
        chat_id = self._resolve_chat(chat, user)
        replied: FakeMessage | None = None
        if reply_to is not None:
            reply_id = reply_to.message_id if isinstance(reply_to, FakeMessage) else reply_to
            replied = self._find_message(chat_id, reply_id)
            if replied is None or replied.deleted:
                raise AssertionError(f"no message {reply_id} in chat {chat_id} to reply to")
        message = self._new_message(chat_id, from_bot=False, sender_id=user.id, method=kind)
        message.text = fields.get("text")
        message.raw_text = message.text
        message.caption = fields.get("caption")
        message.entities = list(fields.get("entities", []))
        message.photo, message.document = photo, document
        if "location" in fields:
            location = fields["location"]
            message.location = (location["latitude"], location["longitude"])
        message.extra = {
            k: v
            for k, v in fields.items()
            if k not in ("text", "caption", "entities", "photo", "document", "location")
        }
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "from": user.to_api(),
            "chat": self._chat_api(chat_id),
            "date": message.date,
            **fields,
        }
        if replied is not None:
            message.reply_to_message_id = replied.message_id
            payload["reply_to_message"] = self._shallow_api(replied)
        message.api = payload
        self._changed()
        if not self._bot_sees(chat_id, text_for_privacy, replied):
            return None
        update_id = self._queue_update("message", payload)
        self._update_messages[update_id] = (chat_id, message.message_id)
        return update_id

    def _shallow_api(self, message: FakeMessage) -> dict[str, Any]:
        data = dict(message.api)
        data.pop("reply_to_message", None)
        return data

    def _bot_sees(self, chat_id: int, text: str | None, replied: FakeMessage | None) -> bool:
        """Privacy mode: in groups a bot only gets commands, replies to it and mentions."""
        group = self._groups.get(chat_id)
        if group is None or not self.privacy_mode or group.bot_status == "administrator":
            return True
        if replied is not None and replied.from_bot:
            return True
        if text is None:
            return False
        mention = f"@{self.bot.username}".lower()
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith(mention)
        return mention in text.lower()

    @staticmethod
    def _text_entities(text: str, bot_username: str | None) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        if text.startswith("/"):
            token = text.split()[0] if text.split() else text
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(token)})
        if bot_username:
            mention = f"@{bot_username}"
            start = text.find(mention)
            if start >= 0 and not (text.startswith("/") and start < len(text.split()[0])):
                entities.append(
                    {
                        "type": "mention",
                        "offset": utf16_len(text[:start]),
                        "length": utf16_len(mention),
                    }
                )
        return entities

    def _chat_member_update(
        self, chat_id: int, by: FakeUser, old: dict[str, Any], new: dict[str, Any]
    ) -> int:
        payload = {
            "chat": self._chat_api(chat_id),
            "from": by.to_api(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self._queue_update("my_chat_member", payload)

    def member_api(self, user: FakeUser, status: str) -> dict[str, Any]:
        """A ChatMember object as Telegram would return it."""
        data: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_manage_topics=False,
            )
        elif status == "restricted":
            data.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                until_date=0,
            )
        elif status == "kicked":
            data["until_date"] = 0
        return data

    # ----------------------------------------------------------------------------------------
    # acting as users: each returns the update_id of the update the bot will receive

    def send_text(
        self,
        user: FakeUser,
        text: str,
        chat: ChatRef | None = None,
        *,
        reply_to: MessageRef | None = None,
    ) -> int | None:
        """A text message. "/cmd" (or "/cmd@bot" in groups) gets a bot_command entity.
        Returns None if privacy mode keeps the bot from seeing it (plain group chatter)."""
        if not text:
            raise ValueError("Telegram clients can't send empty messages")
        with self._cond:
            fields: dict[str, Any] = {"text": text}
            entities = self._text_entities(text, self.bot.username)
            if entities:
                fields["entities"] = entities
            return self._user_message(
                self._user(user), chat, "text", fields, reply_to=reply_to, text_for_privacy=text
            )

    def send_sticker(
        self, user: FakeUser, chat: ChatRef | None = None, emoji: str = "👍"
    ) -> int | None:
        with self._cond:
            file = self._register_file(
                b"RIFF\x00\x00\x00\x00WEBP", "stickers", mime_type="image/webp"
            )
            sticker = {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": emoji,
                "file_size": file.size,
            }
            return self._user_message(self._user(user), chat, "sticker", {"sticker": sticker})

    def send_photo(
        self,
        user: FakeUser,
        caption: str | None = None,
        chat: ChatRef | None = None,
        *,
        content: bytes | None = None,
    ) -> int | None:
        """A photo (a small PNG unless content is given), downloadable via getFile."""
        with self._cond:
            data = content if content is not None else tiny_png(4, 4)
            small = self._register_file(data, "photos", mime_type="image/png")
            large = self._register_file(data, "photos", mime_type="image/png")
            sizes = [
                {
                    "file_id": f.file_id,
                    "file_unique_id": f.file_unique_id,
                    "width": w,
                    "height": w,
                    "file_size": f.size,
                }
                for f, w in ((small, 90), (large, 800))
            ]
            fields: dict[str, Any] = {"photo": sizes}
            if caption is not None:
                fields["caption"] = caption
            return self._user_message(
                self._user(user), chat, "photo", fields, text_for_privacy=caption, photo=large
            )

    def send_document(
        self,
        user: FakeUser,
        filename: str = "document.pdf",
        content: bytes = b"%PDF-1.4\n% fake document\n",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> int | None:
        with self._cond:
            mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            file = self._register_file(content, "documents", filename=filename, mime_type=mime)
            fields: dict[str, Any] = {
                "document": {
                    "file_id": file.file_id,
                    "file_unique_id": file.file_unique_id,
                    "file_name": filename,
                    "mime_type": mime,
                    "file_size": file.size,
                }
            }
            if caption is not None:
                fields["caption"] = caption
            return self._user_message(
                self._user(user), chat, "document", fields, text_for_privacy=caption, document=file
            )

    def send_voice(
        self,
        user: FakeUser,
        duration: int = 2,
        chat: ChatRef | None = None,
        *,
        content: bytes = b"OggS\x00fake voice",
    ) -> int | None:
        with self._cond:
            file = self._register_file(content, "voice", mime_type="audio/ogg")
            voice = {
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": file.size,
            }
            return self._user_message(self._user(user), chat, "voice", {"voice": voice})

    def send_location(
        self, user: FakeUser, latitude: float, longitude: float, chat: ChatRef | None = None
    ) -> int | None:
        with self._cond:
            location = {"latitude": latitude, "longitude": longitude}
            return self._user_message(self._user(user), chat, "location", {"location": location})

    def share_contact(
        self,
        user: FakeUser,
        phone: str,
        own: bool = True,
        chat: ChatRef | None = None,
        *,
        of: FakeUser | None = None,
    ) -> int | None:
        """A shared contact card. own=False shares someone else's: `of`, or a stranger; either
        way contact.user_id is not the sender's id (what a bot must check before trusting a
        phone number)."""
        with self._cond:
            sender = self._user(user)
            owner = sender if own else of
            contact: dict[str, Any] = {"phone_number": phone}
            if owner is not None:
                contact["first_name"] = owner.first_name
                if owner.last_name:
                    contact["last_name"] = owner.last_name
                contact["user_id"] = owner.id
            else:
                contact["first_name"] = "Someone"
                contact["last_name"] = "Else"
                contact["user_id"] = self._next_user_id + 500_000
            return self._user_message(sender, chat, "contact", {"contact": contact})

    def forward_text(
        self,
        user: FakeUser,
        text: str,
        *,
        from_user: FakeUser | None = None,
        chat: ChatRef | None = None,
    ) -> int | None:
        """A forwarded text; from_user=None means the author hides their account."""
        with self._cond:
            date = int(time.time()) - 3600
            if from_user is not None:
                origin: dict[str, Any] = {
                    "type": "user",
                    "date": date,
                    "sender_user": from_user.to_api(),
                }
            else:
                origin = {"type": "hidden_user", "date": date, "sender_user_name": "Hidden User"}
            fields = {"text": text, "forward_origin": origin}
            return self._user_message(self._user(user), chat, "text", fields)

    def edited_message(self, update_id: int, text: str) -> int:
        """The user edits the text message they sent in update `update_id`."""
        with self._cond:
            if update_id not in self._update_messages:
                raise AssertionError(f"update {update_id} carried no user message")
            chat_id, message_id = self._update_messages[update_id]
            message = self._find_message(chat_id, message_id)
            if message is None or message.text is None or message.deleted:
                raise AssertionError(f"message {message_id} can't be edited")
            message.text = message.raw_text = text
            message.entities = self._text_entities(text, self.bot.username)
            message.updated_at = time.time()
            payload = dict(message.api)
            payload["text"] = text
            payload.pop("entities", None)
            if message.entities:
                payload["entities"] = message.entities
            payload["edit_date"] = int(message.updated_at)
            message.api = payload
            new_id = self._queue_update("edited_message", payload)
            self._update_messages[new_id] = (chat_id, message_id)
            return new_id

    def press(
        self,
        user: FakeUser,
        message: MessageRef,
        callback_data: str | None = None,
        text: str | None = None,
        *,
        chat: ChatRef | None = None,
    ) -> int:
        """Press an inline button that is on the message's current keyboard (matched by
        callback_data or by its text); AssertionError if there is no such button."""
        with self._cond:
            presser = self._user(user)
            if isinstance(message, FakeMessage):
                chat_id, message_id = message.chat_id, message.message_id
            else:
                chat_id, message_id = (presser.id if chat is None else _ref_id(chat)), message
            current = self._find_message(chat_id, message_id)
            if current is None or current.deleted:
                raise AssertionError(f"message {message_id} in chat {chat_id} does not exist")
            if chat_id != presser.id:
                group = self._groups.get(chat_id)
                if group is None or group.statuses.get(presser.id) not in PRESENT_STATUSES:
                    raise AssertionError(f"{presser.full_name} can't see chat {chat_id}")
            if callback_data is None and text is None:
                raise AssertionError("press() needs callback_data or text")
            button = next(
                (
                    b
                    for row in current.inline_keyboard
                    for b in row
                    if (callback_data is None or b.get("callback_data") == callback_data)
                    and (text is None or b.get("text") == text)
                ),
                None,
            )
            if button is None:
                raise AssertionError(
                    f"no button (callback_data={callback_data!r}, text={text!r}) on message "
                    f"{current.describe()}"
                )
            if button.get("callback_data") is None:
                raise AssertionError(f"button {button} sends no callback query to the bot")
            return self._callback_update(presser, chat_id, current, button["callback_data"])

    def press_raw(self, user: FakeUser, message_id: int, chat_id: ChatRef, data: str) -> int:
        """A callback query with any data, e.g. forged or stale, for any message id."""
        with self._cond:
            chat_key = _ref_id(chat_id)
            message = self._find_message(chat_key, message_id)
            return self._callback_update(self._user(user), chat_key, message, data, message_id)

    def _callback_update(
        self,
        user: FakeUser,
        chat_id: int,
        message: FakeMessage | None,
        data: str,
        message_id: int | None = None,
    ) -> int:
        query_id = f"{user.id}{self._next_update_id:08d}"
        payload: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": data,
        }
        if message is not None and not message.deleted:
            payload["message"] = copy.deepcopy(message.api)
        else:  # Telegram's InaccessibleMessage
            payload["message"] = {
                "chat": self._chat_api(chat_id)
                if chat_id in self._users or chat_id in self._groups
                else {"id": chat_id, "type": "private"},
                "message_id": message.message_id if message is not None else message_id,
                "date": 0,
            }
        update_id = self._queue_update("callback_query", payload)
        self._callback_queries[query_id] = {
            "update_id": update_id,
            "user_id": user.id,
            "data": data,
            "answered": False,
        }
        return update_id

    def add_bot_to_group(self, group: FakeGroup, by: FakeUser, *, as_admin: bool = False) -> int:
        """`by` adds the bot: a my_chat_member update, then a new_chat_members message."""
        with self._cond:
            adder = self._user(by)
            real = self._groups[group.id]
            old = self.member_api(self.bot, real.bot_status)
            real.bot_status = "administrator" if as_admin else "member"
            self._groups_bot_was_in.add(real.id)
            group.bot_status = real.bot_status
            update_id = self._chat_member_update(
                real.id, adder, old, self.member_api(self.bot, real.bot_status)
            )
            message = self._new_message(
                real.id, from_bot=False, sender_id=adder.id, method="service"
            )
            payload = {
                "message_id": message.message_id,
                "from": adder.to_api(),
                "chat": real.to_api(),
                "date": message.date,
                "new_chat_members": [self.bot.to_api()],
            }
            message.api = payload
            self._queue_update("message", payload)
            return update_id

    def remove_bot_from_group(self, group: FakeGroup, by: FakeUser) -> int:
        """`by` removes the bot (status "kicked" in supergroups, "left" in basic groups)."""
        with self._cond:
            real = self._groups[group.id]
            old = self.member_api(self.bot, real.bot_status)
            real.bot_status = "kicked" if real.type == "supergroup" else "left"
            group.bot_status = real.bot_status
            new = self.member_api(self.bot, real.bot_status)
            return self._chat_member_update(real.id, self._user(by), old, new)

    def block_user(self, user: FakeUser) -> int:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        with self._cond:
            blocker = self._user(user)
            self._blocked.add(blocker.id)
            return self._chat_member_update(
                blocker.id,
                blocker,
                self.member_api(self.bot, "member"),
                self.member_api(self.bot, "kicked"),
            )

    def unblock_user(self, user: FakeUser) -> int:
        with self._cond:
            blocker = self._user(user)
            self._blocked.discard(blocker.id)
            self._started.add(blocker.id)
            return self._chat_member_update(
                blocker.id,
                blocker,
                self.member_api(self.bot, "kicked"),
                self.member_api(self.bot, "member"),
            )

    # ----------------------------------------------------------------------------------------
    # fault injection

    def fail_next(
        self,
        method: str,
        count: int = 1,
        error_code: int = 429,
        retry_after: int = 2,
        description: str | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" = any method) fail with this error."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                409: "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}")
        error = ApiError(error_code, description, retry_after if error_code == 429 else None)
        with self._cond:
            self._failures.setdefault(method.lower(), deque()).extend([error] * count)

    def _take_failure(self, method: str) -> ApiError | None:
        for key in (method.lower(), "*"):
            queue = self._failures.get(key)
            if queue:
                return queue.popleft()
        return None

    def _check_rate(self, chat_id: int) -> None:
        """Raise 429 when a configured ceiling is reached (sliding windows)."""
        now = time.monotonic()
        limits: list[tuple[deque[float], float, float]] = []
        if self.global_messages_per_second:
            limits.append((self._send_times, 1.0, self.global_messages_per_second))
        per_chat = self._chat_send_times.setdefault(chat_id, deque())
        if chat_id < 0 and self.group_messages_per_minute:
            limits.append((per_chat, 60.0, self.group_messages_per_minute))
        elif chat_id > 0 and self.chat_messages_per_second:
            limits.append((per_chat, 1.0, self.chat_messages_per_second))
        for times, window, ceiling in limits:
            while times and times[0] <= now - 60.0:
                times.popleft()
            recent = [t for t in times if t > now - window]
            if len(recent) >= ceiling:
                wait = math.ceil(recent[-int(ceiling)] + window - now)
                retry = max(1, wait)
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    def _record_send(self, chat_id: int) -> None:
        now = time.monotonic()
        self._send_times.append(now)
        self._chat_send_times.setdefault(chat_id, deque()).append(now)

    # ----------------------------------------------------------------------------------------
    # reading what the bot did

    def messages(
        self,
        chat: ChatRef,
        *,
        include_deleted: bool = True,
        include_user_messages: bool = False,
    ) -> list[FakeMessage]:
        """Snapshots of the bot's messages in the chat, oldest first, in their current state."""
        with self._cond:
            return [
                copy.deepcopy(m)
                for m in self._messages.get(_ref_id(chat), [])
                if (include_deleted or not m.deleted) and (include_user_messages or m.from_bot)
            ]

    def message(self, chat: ChatRef, message_id: int) -> FakeMessage:
        with self._cond:
            found = self._find_message(_ref_id(chat), message_id)
            if found is None:
                raise AssertionError(f"no message {message_id} in chat {_ref_id(chat)}")
            return copy.deepcopy(found)

    def last_message(self, chat: ChatRef) -> FakeMessage | None:
        """The bot's latest message in the chat that is not deleted."""
        current = self.messages(chat, include_deleted=False)
        return current[-1] if current else None

    def current_keyboard(self, chat: ChatRef) -> list[str]:
        """Button texts of the reply keyboard the user currently sees in the chat."""
        with self._cond:
            for message in reversed(self._messages.get(_ref_id(chat), [])):
                markup = message.reply_markup if message.from_bot else None
                if markup and "keyboard" in markup:
                    return message.keyboard
                if markup and "remove_keyboard" in markup:
                    return []
            return []

    @property
    def requests(self) -> list[RequestRecord]:
        """Every Bot API request so far, in order of completion."""
        with self._cond:
            return list(self._requests)

    def calls(self, method: str, *, ok: bool | None = None) -> list[RequestRecord]:
        """Requests of one method (case-insensitive); ok=True/False filters by outcome."""
        return [
            r
            for r in self.requests
            if r.method.lower() == method.lower() and (ok is None or r.ok == ok)
        ]

    @property
    def answered_callbacks(self) -> list[CallbackAnswer]:
        with self._cond:
            return list(self._answered_callbacks)

    @property
    def commands(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Commands set via setMyCommands: {(scope as canonical JSON, language_code):
        [(command, description), ...]}; the default scope is '{"type":"default"}'."""
        with self._cond:
            return {
                key: [(c["command"], c["description"]) for c in value]
                for key, value in self._commands.items()
            }

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        return self.commands.get((scope_key(scope), language_code), [])

    def file(self, file_id: str) -> FakeFile:
        with self._cond:
            return self._files[file_id]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet (delivered or not)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def is_blocked(self, user: FakeUser) -> bool:
        with self._cond:
            return user.id in self._blocked

    # ----------------------------------------------------------------------------------------
    # waiting

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

    def wait_for_message(
        self,
        chat: ChatRef,
        contains: str | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> FakeMessage:
        """Block until the bot has a (not deleted) message in the chat with `contains` in its
        text/caption and satisfying `predicate`. `after`: an int counts messages (only
        messages beyond the first `after` of messages(chat) count), a float is a time.time()
        stamp (messages sent or edited since then count, so an edit can satisfy the wait)."""
        chat_id = _ref_id(chat)

        def matches() -> FakeMessage | None:
            for index, message in enumerate(self._messages.get(chat_id, [])):
                if not message.from_bot or message.deleted:
                    continue
                if isinstance(after, int) and not isinstance(after, bool):
                    bot_index = sum(1 for m in self._messages[chat_id][:index] if m.from_bot)
                    if bot_index < after:
                        continue
                elif isinstance(after, float) and message.updated_at < after:
                    continue
                if contains is not None and contains not in message.content:
                    continue
                snapshot = copy.deepcopy(message)
                if predicate is not None and not predicate(snapshot):
                    continue
                return snapshot
            return None

        found = self._wait(matches, timeout)
        if found is None:
            raise AssertionError(
                f"no bot message in chat {chat_id} matching contains={contains!r}"
                f"{' and predicate' if predicate else ''} (after={after!r}) within {timeout}s\n"
                + self.describe_chat(chat_id)
            )
        return found

    def describe_chat(self, chat: ChatRef) -> str:
        """A readable dump of the chat and of failed requests concerning it."""
        chat_id = _ref_id(chat)
        with self._cond:
            lines = [f"chat {chat_id} has:"]
            lines += [f"  {m.describe()}" for m in self._messages.get(chat_id, [])] or [
                "  (nothing)"
            ]
            failed = [
                r
                for r in self._requests
                if not r.ok and str(r.params.get("chat_id")) == str(chat_id)
            ]
            if failed:
                lines.append("failed requests for this chat:")
                lines += [f"  {r.method}: {r.status} {r.description}" for r in failed[-10:]]
            return "\n".join(lines)

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[RequestRecord], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> RequestRecord:
        """Block until a request of `method` (matching `predicate`) was answered. `after`: an
        int skips that many entries of `requests`, a float skips requests before that time."""

        def matches() -> RequestRecord | None:
            for record in self._requests:
                if isinstance(after, int) and not isinstance(after, bool) and record.index < after:
                    continue
                if isinstance(after, float) and record.time < after:
                    continue
                if record.method.lower() != method.lower():
                    continue
                if predicate is None or predicate(record):
                    return record
            return None

        found = self._wait(matches, timeout)
        if found is None:
            seen = [f"{r.method}({r.status})" for r in self.requests[-20:]]
            raise AssertionError(
                f"no {method} call matching within {timeout}s; last requests: {seen}"
            )
        return found

    def wait_until_polling(self, timeout: float = 10.0, since: float | None = None) -> None:
        """Block until a getUpdates request has arrived (since `since`, a time.time() stamp)."""

        def polled() -> bool:
            return any(since is None or t >= since for t in self._poll_times)

        if not self._wait(polled, timeout):
            raise AssertionError(f"the bot did not call getUpdates within {timeout}s")

    def wait_for_updates_consumed(self, timeout: float = 10.0) -> None:
        """Block until the bot confirmed (via getUpdates offset) every queued update."""
        if not self._wait(lambda: not self._updates or None, timeout):
            raise AssertionError(
                f"the bot did not confirm updates {[u['update_id'] for u in self._updates]} "
                f"within {timeout}s"
            )

    # ----------------------------------------------------------------------------------------
    # used by the Bot API side

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
