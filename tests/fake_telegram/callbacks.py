"""Pressing inline buttons: callback queries, checked against the current keyboard."""

from __future__ import annotations

import copy
from typing import Any

from .models import FakeMessage, FakeUser
from .world import PRESENT_STATUSES, ChatRef, MessageRef, WorldCore, _ref_id


class CallbacksMixin(WorldCore):
    """press() and press_raw()."""

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
