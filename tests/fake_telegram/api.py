"""The Bot API methods of the fake server, with Telegram's validation and error texts.

Each handler runs with the world's lock held and returns the method's `result`, or raises
ApiError. getUpdates is the exception: it long-polls, so server.py implements it.
"""

from __future__ import annotations

import mimetypes
import re
import struct
import time
from collections.abc import Callable
from typing import Any

from .markup import MarkupError, ParsedText, parse_text, utf16_len
from .models import (
    ApiError,
    CallbackAnswer,
    FakeFile,
    FakeGroup,
    FakeMessage,
    MessageVersion,
    Upload,
    bad_request,
)
from .state import PRESENT_STATUSES, TelegramWorld, scope_key
from .validation import (
    Params,
    validate_commands,
    validate_language_code,
    validate_reply_markup,
)

__all__ = ["KNOWN_UNIMPLEMENTED", "BotApi"]

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


class BotApi(TelegramWorld):
    """Adds the Bot API methods to the world."""

    def _handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendLocation": self._send_location,
            "sendChatAction": self._send_chat_action,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._profile_setter("description", 512),
            "getMyDescription": self._profile_getter("description"),
            "setMyShortDescription": self._profile_setter("short_description", 120),
            "getMyShortDescription": self._profile_getter("short_description"),
            "setMyName": self._profile_setter("name", 64),
            "getMyName": self._profile_getter("name"),
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "getFile": self._get_file,
            "leaveChat": self._leave_chat,
            "setChatMenuButton": self._set_chat_menu_button,
            "pinChatMessage": self._pin_chat_message,
            "unpinChatMessage": self._unpin_chat_message,
            "unpinAllChatMessages": self._unpin_all_chat_messages,
        }

    # ----------------------------------------------------------------------------------------
    # shared checks

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

    # ----------------------------------------------------------------------------------------
    # bot and webhook

    def _true(self, p: Params, files: dict[str, Upload]) -> bool:
        return True

    def _get_me(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, p: Params, files: dict[str, Upload]) -> bool:
        self.webhook_url = ""
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, p: Params, files: dict[str, Upload]) -> bool:
        url = p.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _profile_setter(self, name: str, limit: int) -> Handler:
        def handler(p: Params, files: dict[str, Upload]) -> bool:
            value = p.get_str(name) or ""
            if len(value) > limit:
                raise bad_request(f"{name.replace('_', ' ')} is too long")
            language = validate_language_code(p.get_str("language_code"))
            self.bot_profile[(name, language)] = value
            return True

        return handler

    def _profile_getter(self, name: str) -> Handler:
        def handler(p: Params, files: dict[str, Upload]) -> dict[str, str]:
            language = validate_language_code(p.get_str("language_code"))
            value = self.bot_profile.get((name, language))
            if value is None and name == "name":
                value = self.bot.first_name
            return {name: value or ""}

        return handler

    # ----------------------------------------------------------------------------------------
    # sending

    def _send_message(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        text = self._parse_message_text(p)
        markup = validate_reply_markup(p.values.get("reply_markup"))
        reply_to = self._reply_to(p, chat_id)
        return self._store_bot_message(
            p, chat_id, "sendMessage", text=text, markup=markup, reply_to=reply_to
        )

    def _send_document(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        caption = self._parse_caption(p)
        markup = validate_reply_markup(p.values.get("reply_markup"))
        reply_to = self._reply_to(p, chat_id)
        document, _ = self._upload(p, files, "document", "documents")
        return self._store_bot_message(
            p,
            chat_id,
            "sendDocument",
            caption=caption,
            markup=markup,
            reply_to=reply_to,
            document=document,
        )

    def _send_photo(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        caption = self._parse_caption(p)
        markup = validate_reply_markup(p.values.get("reply_markup"))
        reply_to = self._reply_to(p, chat_id)
        photo, uploaded = self._upload(p, files, "photo", "photos")
        if uploaded:
            size = _image_size(photo.content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return self._store_bot_message(
            p,
            chat_id,
            "sendPhoto",
            caption=caption,
            markup=markup,
            reply_to=reply_to,
            photo=photo,
        )

    def _send_location(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
        if latitude is None or longitude is None:
            raise bad_request("wrong latitude or longitude specified")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        markup = validate_reply_markup(p.values.get("reply_markup"))
        reply_to = self._reply_to(p, chat_id)
        return self._store_bot_message(
            p,
            chat_id,
            "sendLocation",
            markup=markup,
            reply_to=reply_to,
            location=(latitude, longitude),
        )

    def _send_chat_action(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        if p.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _source(self, p: Params, missing: str) -> FakeMessage:
        from_chat = self._chat_id(p, "from_chat_id")
        self._chat_access(from_chat, sending=False)
        message_id = p.required_int("message_id", "message identifier is not specified")
        source = self._find_message(from_chat, message_id)
        if source is None or source.deleted:
            raise bad_request(missing)
        if source.method == "service":
            raise bad_request("message can't be copied" if "copy" in missing else missing)
        return source

    def _copy_content(self, source: FakeMessage) -> dict[str, Any]:
        return {
            "document": source.document,
            "photo": source.photo,
            "location": source.location,
            "extra": {k: v for k, v in source.extra.items() if k != "forward_origin"},
        }

    def _copy_message(self, p: Params, files: dict[str, Upload]) -> dict[str, int]:
        source = self._source(p, "message to copy not found")
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        markup = validate_reply_markup(p.values.get("reply_markup"))
        reply_to = self._reply_to(p, chat_id)
        text = ParsedText(source.text, source.entities) if source.text is not None else None
        caption = None
        if source.text is None:
            if p.has("caption"):
                caption = self._parse_caption(p)
            elif source.caption is not None:
                caption = ParsedText(source.caption, source.entities)
        sent = self._store_bot_message(
            p,
            chat_id,
            "copyMessage",
            text=text,
            caption=caption,
            markup=markup,
            reply_to=reply_to,
            **self._copy_content(source),
        )
        return {"message_id": sent["message_id"]}

    def _forward_message(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        source = self._source(p, "message to forward not found")
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        sender = self.bot if source.from_bot else self._users[source.sender_id]
        content = self._copy_content(source)
        content["extra"]["forward_origin"] = source.extra.get(
            "forward_origin", {"type": "user", "sender_user": sender.to_api(), "date": source.date}
        )
        text = ParsedText(source.text, source.entities) if source.text is not None else None
        caption = ParsedText(source.caption, source.entities) if source.caption else None
        return self._store_bot_message(
            p, chat_id, "forwardMessage", text=text, caption=caption, **content
        )

    # ----------------------------------------------------------------------------------------
    # editing and deleting

    def _editable(self, p: Params) -> FakeMessage:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline mode
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=True)
        message_id = p.required_int("message_id", "message identifier is not specified")
        message = self._find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self,
        message: FakeMessage,
        method: str,
        *,
        text: ParsedText | None = None,
        raw_text: str | None = None,
        caption: ParsedText | None = None,
        raw_caption: str | None = None,
        markup: dict[str, Any] | None,
        parse_mode: str | None = None,
        edit_caption: bool = False,
    ) -> dict[str, Any]:
        new_text = text.text if text is not None else message.text
        new_caption = message.caption
        new_entities = text.entities if text is not None else message.entities
        if edit_caption:
            new_caption = caption.text if caption is not None else None
            new_entities = caption.entities if caption is not None else []
        unchanged = (
            new_text == message.text
            and new_caption == message.caption
            and new_entities == message.entities
            and _inline(markup) == _inline(message.reply_markup)
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        message.edits.append(
            MessageVersion(
                text=message.text,
                caption=message.caption,
                entities=message.entities,
                reply_markup=message.reply_markup,
                time=message.updated_at,
                method=message.method if not message.edits else method,
            )
        )
        if text is not None:
            message.text, message.raw_text = text.text, raw_text
            message.parse_mode = parse_mode
        if edit_caption:
            message.caption, message.raw_caption = new_caption, raw_caption
            message.parse_mode = parse_mode
        message.entities = new_entities
        if markup is not None or _inline(message.reply_markup) is not None:
            # Omitting reply_markup in an edit removes the inline keyboard, as in Telegram.
            message.reply_markup = markup
        message.updated_at = time.time()
        message.api = self._render(message)
        self._changed()
        return message.api

    def _edit_message_text(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text = self._parse_message_text(p)
        markup = validate_reply_markup(p.values.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            message,
            "editMessageText",
            text=text,
            raw_text=p.get_str("text"),
            markup=markup,
            parse_mode=p.get_str("parse_mode"),
        )

    def _edit_message_caption(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(p)
        if message.document is None and message.photo is None:
            raise bad_request("there is no caption in the message to edit")
        caption = self._parse_caption(p)
        markup = validate_reply_markup(p.values.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            message,
            "editMessageCaption",
            caption=caption,
            raw_caption=p.get_str("caption"),
            markup=markup,
            parse_mode=p.get_str("parse_mode"),
            edit_caption=True,
        )

    def _edit_message_reply_markup(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(p)
        markup = validate_reply_markup(p.values.get("reply_markup"), inline_only=True)
        return self._apply_edit(
            message, "editMessageReplyMarkup", markup=markup, parse_mode=message.parse_mode
        )

    def _deletable(self, chat_id: int, message_id: int) -> FakeMessage | None:
        message = self._find_message(chat_id, message_id)
        if message is None or message.deleted:
            return None
        group = self._groups.get(chat_id)
        if group is not None and not message.from_bot and group.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        return message

    def _delete_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=False)
        message_id = p.required_int("message_id", "message identifier is not specified")
        message = self._deletable(chat_id, message_id)
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        message.updated_at = time.time()
        self._changed()
        return True

    def _delete_messages(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=False)
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 integers")
        found = [m for m in (self._deletable(chat_id, int(i)) for i in ids) if m is not None]
        if not found:
            raise bad_request("message to delete not found")
        for message in found:
            message.deleted = True
            message.updated_at = time.time()
        self._changed()
        return True

    def _answer_callback_query(self, p: Params, files: dict[str, Upload]) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        text = p.get_str("text")
        if text is not None and utf16_len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query["answered"] = True
        self._answered_callbacks.append(
            CallbackAnswer(
                callback_query_id=query_id,
                update_id=query["update_id"],
                user_id=query["user_id"],
                data=query["data"],
                text=text,
                show_alert=p.get_bool("show_alert"),
                url=p.get_str("url"),
                time=time.time(),
            )
        )
        self._changed()
        return True

    # ----------------------------------------------------------------------------------------
    # commands

    def _scope(self, p: Params) -> str:
        scope = p.get_json("scope")
        if scope is None:
            return scope_key(None)
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope: unsupported type")
        canonical: dict[str, Any] = {"type": scope["type"]}
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            chat_id = self._chat_id(Params(scope))
            group = self._chat_access(chat_id, sending=False)
            if group is None and scope["type"] != "chat":
                raise bad_request("can't use specified scope in private chats")
            canonical["chat_id"] = chat_id
        if scope["type"] == "chat_member":
            user_id = Params(scope).get_int("user_id")
            if user_id is None or user_id not in self._users:
                raise bad_request("user not found")
            canonical["user_id"] = user_id
        return scope_key(canonical)

    def _set_my_commands(self, p: Params, files: dict[str, Upload]) -> bool:
        commands = validate_commands(p.get_json("commands"))
        key = (self._scope(p), validate_language_code(p.get_str("language_code")))
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        self._changed()
        return True

    def _get_my_commands(self, p: Params, files: dict[str, Upload]) -> list[dict[str, str]]:
        key = (self._scope(p), validate_language_code(p.get_str("language_code")))
        return list(self._commands.get(key, []))

    def _delete_my_commands(self, p: Params, files: dict[str, Upload]) -> bool:
        key = (self._scope(p), validate_language_code(p.get_str("language_code")))
        self._commands.pop(key, None)
        self._changed()
        return True

    # ----------------------------------------------------------------------------------------
    # chats and members

    def _get_chat(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        self._chat_access(chat_id, sending=False)
        data = {
            **self._chat_api(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        pinned = [m for m in self._messages.get(chat_id, []) if m.pinned and not m.deleted]
        if pinned:
            data["pinned_message"] = pinned[-1].api
        return data

    def _group_for_members(self, p: Params) -> tuple[int, FakeGroup | None]:
        chat_id = self._chat_id(p)
        return chat_id, self._chat_access(chat_id, sending=False)

    def _get_chat_member(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        chat_id, group = self._group_for_members(p)
        user_id = p.required_int("user_id", "user not found")
        if user_id == self.bot.id:
            if group is None:
                return self.member_api(self.bot, "kicked" if chat_id in self._blocked else "member")
            return self.member_api(self.bot, group.bot_status)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if group is None:
            return self.member_api(user, "member" if user_id == chat_id else "left")
        return self.member_api(user, group.statuses.get(user_id, "left"))

    def _get_chat_administrators(self, p: Params, files: dict[str, Upload]) -> list[dict[str, Any]]:
        _, group = self._group_for_members(p)
        if group is None:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self.member_api(self._users[uid], status)
            for uid, status in group.statuses.items()
            if status in ("creator", "administrator")
        ]
        if group.bot_status == "administrator":
            admins.append(self.member_api(self.bot, "administrator"))
        return admins

    def _get_chat_member_count(self, p: Params, files: dict[str, Upload]) -> int:
        _, group = self._group_for_members(p)
        if group is None:
            return 2
        present = [s for s in group.statuses.values() if s in PRESENT_STATUSES]
        return len(present) + (1 if group.bot_status in PRESENT_STATUSES else 0)

    def _leave_chat(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id, group = self._group_for_members(p)
        if group is None:
            raise bad_request("chat member status can't be changed in private chats")
        old = self.member_api(self.bot, group.bot_status)
        group.bot_status = "left"
        self._chat_member_update(chat_id, self.bot, old, self.member_api(self.bot, "left"))
        return True

    def _set_chat_menu_button(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id = self._chat_id(p) if p.has("chat_id") else None
        if chat_id is not None and chat_id not in self._users:
            raise bad_request("chat not found")
        button = p.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise bad_request("can't parse menu button: unsupported type")
        self.menu_buttons[chat_id] = button
        self._changed()
        return True

    def _pinnable(self, p: Params) -> tuple[int, FakeGroup | None]:
        chat_id = self._chat_id(p)
        group = self._chat_access(chat_id, sending=True)
        if group is not None and group.bot_status != "administrator":
            raise bad_request("not enough rights to manage pinned messages in the chat")
        return chat_id, group

    def _pin_chat_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id, _ = self._pinnable(p)
        message_id = p.required_int("message_id", "message identifier is not specified")
        message = self._find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to pin not found")
        message.pinned = True
        self._changed()
        return True

    def _unpin_chat_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id, _ = self._pinnable(p)
        pinned = [m for m in self._messages.get(chat_id, []) if m.pinned]
        message_id = p.get_int("message_id")
        targets = [m for m in pinned if message_id is None or m.message_id == message_id]
        if not targets:
            raise bad_request("message to unpin not found")
        targets[-1].pinned = False
        self._changed()
        return True

    def _unpin_all_chat_messages(self, p: Params, files: dict[str, Upload]) -> bool:
        chat_id, _ = self._pinnable(p)
        for message in self._messages.get(chat_id, []):
            message.pinned = False
        self._changed()
        return True

    # ----------------------------------------------------------------------------------------
    # files

    def _get_file(self, p: Params, files: dict[str, Upload]) -> dict[str, Any]:
        file = self._files.get(p.get_str("file_id") or "")
        if file is None:
            raise bad_request("invalid file_id")
        if file.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }

    def file_by_path(self, path: str) -> FakeFile | None:
        with self._cond:
            return self._files_by_path.get(path)
