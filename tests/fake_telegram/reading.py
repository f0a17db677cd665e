"""Reading what the bot did and waiting for it: messages, requests, commands, waits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .models import CallbackAnswer, FakeFile, FakeMessage, RequestRecord
from .world import ChatRef, WorldCore, _ref_id, scope_key


class ReadingMixin(WorldCore):
    """Snapshots for assertions and blocking waits with readable failures."""

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
