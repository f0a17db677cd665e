"""Bot API methods on the bot, its commands, chats, members and files."""

from __future__ import annotations

from typing import Any

from .api_core import MAX_DOWNLOAD, SCOPE_TYPES, ApiCore, Handler
from .models import FakeFile, FakeGroup, Upload, bad_request
from .state import PRESENT_STATUSES, scope_key
from .validation import Params, validate_commands, validate_language_code


class ChatsApi(ApiCore):
    """getMe, setWebhook, setMyCommands, getChat, getChatMember, pinChatMessage, getFile..."""

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
