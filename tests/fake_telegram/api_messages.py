"""Bot API methods on messages: sending, copying, forwarding, editing, deleting, and
answering callback queries."""

from __future__ import annotations

import time
from typing import Any

from .api_core import CHAT_ACTIONS, NOT_MODIFIED, ApiCore, _image_size, _inline
from .markup import ParsedText, utf16_len
from .models import CallbackAnswer, FakeMessage, MessageVersion, Upload, bad_request
from .validation import Params, validate_reply_markup


class MessagesApi(ApiCore):
    """sendMessage, sendPhoto, editMessageText, deleteMessage, answerCallbackQuery..."""

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
