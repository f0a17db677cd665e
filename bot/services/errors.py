"""Domain refusals. Each carries a message id that the handler translates for the user."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no; `message` is a gettext msgid, `params` fill its placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotAllowed(DomainError):
    pass


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass
