"""Acting as users: the messages they send, each queued as the update the bot will get."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from .markup import utf16_len
from .models import FakeFile, FakeMessage, FakeUser
from .world import PRESENT_STATUSES, ChatRef, MessageRef, WorldCore, _ref_id, tiny_png


class ActingMixin(WorldCore):
    """send_text(), send_photo(), share_contact() and the other user actions."""

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
