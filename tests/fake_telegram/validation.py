"""Validation of Bot API parameters with Telegram's own error descriptions."""

from __future__ import annotations

import json
import re
from typing import Any

from .models import bad_request

__all__ = [
    "Params",
    "normalize_params",
    "validate_commands",
    "validate_language_code",
    "validate_reply_markup",
]

# Parameters that arrive as JSON text in form-encoded / multipart requests.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
        "rights",
        "permissions",
    }
)
INT_FIELDS = frozenset(
    {
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "from_chat_id",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "max_connections",
        "until_date",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "only_if_banned",
        "revoke_messages",
        "allow_paid_broadcast",
    }
)


def _coerce(name: str, value: Any) -> Any:
    """Turn a form field (always a string) into what the same field would be in JSON."""
    if not isinstance(value, str):
        return value
    try:
        if name in JSON_FIELDS:
            return json.loads(value)
        if name in INT_FIELDS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
            return int(value)
        if name in FLOAT_FIELDS:
            return float(value)
        if name in BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
    except ValueError:
        return value  # left as text; the typed accessors report the error
    return value


def normalize_params(raw: dict[str, Any], *, from_form: bool) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in raw.items()} if from_form else dict(raw)


class Params:
    """Typed access to a method's parameters, with Telegram-like errors."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')
        return value

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def required_int(self, name: str, missing: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(missing)
        return value

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Float') from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value


# --------------------------------------------------------------------------------------------
# reply_markup

_INLINE_BUTTON_KINDS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "login_url",
    "web_app",
)
_URL_RE = re.compile(r"(?:(?:https?|tg)://)?[\w.-]+\.[a-z]{2,}(?:[/?#]\S*)?|tg://\S+", re.I)


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    kinds = [k for k in _INLINE_BUTTON_KINDS if button.get(k) is not None]
    if not kinds:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(kinds) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {', '.join(kinds)}"
        )
    if "callback_data" in kinds:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in kinds:
        url = button["url"]
        if not isinstance(url, str) or not _URL_RE.fullmatch(url.strip()):
            raise bad_request("BUTTON_URL_INVALID")
    return button


def _keyboard_button(button: Any) -> Any:
    if isinstance(button, str):
        if not button:
            raise bad_request("BUTTON_TEXT_INVALID")
        return button
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    return button


def _rows(markup: dict[str, Any], key: str, kind: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the {kind} should be an Array of Arrays')
    return rows


def validate_reply_markup(value: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a reply_markup parameter (dict or JSON text) and return it as a dict."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        rows = _rows(value, "inline_keyboard", "InlineKeyboardMarkup")
        count = 0
        for row in rows:
            for button in row:
                _inline_button(button)
                count += 1
        if count > 100:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        return value
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        rows = _rows(value, "keyboard", "ReplyKeyboardMarkup")
        for row in rows:
            for button in row:
                _keyboard_button(button)
        placeholder = value.get("input_field_placeholder")
        if placeholder is not None and len(str(placeholder)) > 64:
            raise bad_request("input field placeholder is too long")
        return value
    if "remove_keyboard" in value:
        if value["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
        return value
    if "force_reply" in value:
        if value["force_reply"] is not True:
            raise bad_request('field "force_reply" of the ForceReply must be true')
        return value
    raise bad_request("can't parse reply keyboard markup JSON object")


# --------------------------------------------------------------------------------------------
# bot commands

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


def validate_commands(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("can't parse commands JSON object")
    if len(value) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        if "command" not in item:
            raise bad_request("can't parse BotCommand: Can't find field \"command\"")
        if "description" not in item:
            raise bad_request("can't parse BotCommand: Can't find field \"description\"")
        command = str(item["command"]).strip().removeprefix("/")
        description = str(item["description"]).strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        result.append({"command": command, "description": description})
    return result


def validate_language_code(value: str | None) -> str:
    code = value or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code
