"""The Bot API side of the fake: constants, and the checks every method shares (chat
access, parsing text, uploads, storing and rendering the bot's messages).

Each handler runs with the world's lock held and returns the method's `result`, or raises
ApiError. getUpdates is the exception: it long-polls, so server.py implements it.
"""

from __future__ import annotations

import mimetypes
import re
import struct
from collections.abc import Callable
from typing import Any

from .markup import MarkupError, ParsedText, parse_text, utf16_len
from .models import ApiError, FakeFile, FakeGroup, FakeMessage, Upload, bad_request
from .state import PRESENT_STATUSES, TelegramWorld
from .validation import Params

Handler = Callable[[Params, dict[str, Upload]], Any]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Real Bot API methods the fake does not emulate: a clear 400 beats PTB's InvalidToken (404).
KNOWN_UNIMPLEMENTED = frozenset(
    {
        "forwardMessages",
        "copyMessages",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendPaidMedia",
        "sendMediaGroup",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendSticker",
        "sendInvoice",
        "editMessageMedia",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "stopPoll",
        "banChatMember",
        "unbanChatMember",
        "restrictChatMember",
        "promoteChatMember",
        "exportChatInviteLink",
        "createChatInviteLink",
        "setChatTitle",
        "setChatDescription",
        "setChatPhoto",
        "answerInlineQuery",
        "setMessageReaction",
        "getUserProfilePhotos",
        "getChatMenuButton",
        "setMyDefaultAdministratorRights",
        "getMyDefaultAdministratorRights",
    }
)
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG/JPEG/GIF/WEBP/BMP image; None if it is not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        return 512, 512
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return width, abs(height)
    return None


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup is not None and "inline_keyboard" in markup else None


class ApiCore(TelegramWorld):
    """The world plus the checks and helpers the Bot API methods share."""

    def _chat_id(self, p: Params, name: str = "chat_id") -> int:
        value = p.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and not re.fullmatch(r"-?\d+", value.strip()):
            by_name = [g for g in self._groups.values() if g.username and f"@{g.username}" == value]
            if not by_name:
                raise bad_request("chat not found")
            return by_name[0].id
        return int(value)

    def _chat_access(self, chat_id: int, *, sending: bool) -> FakeGroup | None:
        """Check the bot may use the chat; returns the group, or None for a private chat."""
        if chat_id == self.bot.id:
            raise ApiError(403, "Forbidden: bots can't send messages to bots")
        if chat_id in self._users:
            if sending and chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self._started and chat_id not in self._blocked:
                if sending:
                    raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
                raise bad_request("chat not found")
            return None
        group = self._groups.get(chat_id)
        if group is None or (
            group.bot_status not in PRESENT_STATUSES and chat_id not in self._groups_bot_was_in
        ):
            raise bad_request("chat not found")
        kind = "supergroup" if group.type == "supergroup" else "group"
        if group.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if group.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return group

    def _parse(
        self,
        p: Params,
        name: str,
        limit: int,
        *,
        entities_name: str,
        empty: str | None,
        too_long: str,
    ) -> ParsedText | None:
        """Parse text/caption per parse_mode; None for an absent optional caption."""
        raw = p.get_str(name)
        if not raw:
            if empty is not None:
                raise bad_request(empty)
            return None
        entities = p.get_json(entities_name)
        if entities is not None:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
            ):
                raise bad_request(f"can't parse {entities_name} JSON object")
            parsed = ParsedText(raw, entities)
        else:
            mode = p.get_str("parse_mode") or ""
            if mode and mode.lower() not in ("html", "markdown", "markdownv2"):
                raise bad_request("unsupported parse_mode")
            try:
                parsed = parse_text(raw, mode, strict_ampersand=self.strict_html_ampersand)
            except MarkupError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        if not parsed.text:
            if empty is not None:
                raise bad_request(empty)
            return None
        if utf16_len(parsed.text) > limit:
            raise bad_request(too_long)
        return parsed

    def _parse_message_text(self, p: Params) -> ParsedText:
        parsed = self._parse(
            p,
            "text",
            4096,
            entities_name="entities",
            empty="message text is empty",
            too_long="message is too long",
        )
        assert parsed is not None
        return parsed

    def _parse_caption(self, p: Params) -> ParsedText | None:
        return self._parse(
            p,
            "caption",
            1024,
            entities_name="caption_entities",
            empty=None,
            too_long="message caption is too long",
        )

    def _reply_to(self, p: Params, chat_id: int) -> int | None:
        reply = p.get_json("reply_parameters")
        message_id = p.get_int("reply_to_message_id")
        allow_missing = p.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        target = self._find_message(chat_id, int(message_id))
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    def _upload(
        self, p: Params, files: dict[str, Upload], name: str, folder: str
    ) -> tuple[FakeFile, bool]:
        """The file of a send method: a multipart upload, attach://, or a known file_id;
        the flag tells whether the file was uploaded in this request."""
        value = p.values.get(name)
        upload = files.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(upload.filename or "")[0] or mime
            file = self._register_file(
                upload.content, folder, filename=upload.filename, mime_type=mime
            )
            return file, True
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value], False
            if re.match(r"https?://", value):
                # Telegram would download it; the fake stores the URL as the content.
                name_in_url = value.rsplit("/", 1)[-1]
                return self._register_file(value.encode(), folder, filename=name_in_url), False
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {name} in the request")

    def _render(self, message: FakeMessage) -> dict[str, Any]:
        """The Message object Telegram returns for a bot message."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot.to_api(),
            "chat": self._chat_api(message.chat_id),
            "date": message.date,
        }
        if message.edits:
            data["edit_date"] = int(message.updated_at)
        if message.reply_to_message_id is not None:
            replied = self._find_message(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self._shallow_api(replied)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.document is not None:
            doc = message.document
            data["document"] = {
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_size": doc.size,
            }
            if doc.filename:
                data["document"]["file_name"] = doc.filename
            if doc.mime_type:
                data["document"]["mime_type"] = doc.mime_type
        if message.photo is not None:
            width, height = _image_size(message.photo.content) or (512, 512)
            data["photo"] = [
                {
                    "file_id": message.photo.file_id,
                    "file_unique_id": message.photo.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": message.photo.size,
                }
            ]
        if message.location is not None:
            data["location"] = {"latitude": message.location[0], "longitude": message.location[1]}
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        data.update(message.extra)
        inline = _inline(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        return data

    def _store_bot_message(
        self,
        p: Params,
        chat_id: int,
        method: str,
        *,
        text: ParsedText | None = None,
        caption: ParsedText | None = None,
        markup: dict[str, Any] | None = None,
        reply_to: int | None = None,
        **media: Any,
    ) -> dict[str, Any]:
        self._check_rate(chat_id)
        message = self._new_message(chat_id, from_bot=True, sender_id=self.bot.id, method=method)
        message.parse_mode = p.get_str("parse_mode")
        if text is not None:
            message.text, message.entities = text.text, text.entities
            message.raw_text = p.get_str("text", text.text)
        if caption is not None:
            message.caption, message.entities = caption.text, caption.entities
            message.raw_caption = p.get_str("caption", caption.text)
        message.reply_markup = markup
        message.reply_to_message_id = reply_to
        for key, value in media.items():
            setattr(message, key, value)
        message.api = self._render(message)
        self._record_send(chat_id)
        self._changed()
        return message.api
