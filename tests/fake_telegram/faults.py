"""Fault injection and rate limits: fail_next() and Telegram-like 429 ceilings."""

from __future__ import annotations

import math
import time
from collections import deque

from .models import ApiError
from .world import WorldCore


class FaultsMixin(WorldCore):
    """Injected failures and the sliding-window send ceilings."""

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
