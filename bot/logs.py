"""Logging that never prints the bot token."""

from __future__ import annotations

import logging
import sys


class RedactToken(logging.Filter):
    """Replace the token wherever it would appear (httpx logs request URLs with it)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, "<token>")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if self.secret in text:
                record.exc_text = (
                    logging.Formatter()
                    .formatException(record.exc_info)
                    .replace(self.secret, "<token>")
                )
        return True


class OneLineTelegramErrors(logging.Filter):
    """PTB's own log lines about a 409 Conflict or a network failure (e.g. its last
    getUpdates at shutdown) without their traceback: the cause in one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.name.startswith("telegram") and error is not None:
            from telegram.error import BadRequest, Conflict, NetworkError

            if isinstance(error, Conflict | NetworkError) and not isinstance(error, BadRequest):
                record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
                record.args = None
                record.exc_info = None
                record.exc_text = None
        return True


def setup_logging(token: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OneLineTelegramErrors())
    handler.addFilter(RedactToken(token))  # last: also sees what the filter above wrote
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, which contains the token, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
