"""Telling many people: the message is built once per language, each still gets it in theirs."""

from __future__ import annotations

from typing import Any

from bot import notify
from bot.i18n import current_language
from bot.i18n import gettext as _
from models import Member, utcnow


class FakeBot:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_kwargs: Any) -> object:
        self.sent.append((chat_id, text))
        return object()


def person(telegram_id: int, language: str) -> Member:
    return Member(id=telegram_id, telegram_id=telegram_id, language=language, consent_at=utcnow())


async def test_twenty_people_in_two_languages_cost_two_renders() -> None:
    people = [person(100 + i, "pl" if i % 2 else "en") for i in range(20)]
    renders: list[str] = []

    def render() -> tuple[str, None]:
        renders.append(current_language())
        return _("Cancel") + f" ({current_language()})", None

    bot = FakeBot()
    delivered = await notify.notify_members(bot, None, people, render)  # type: ignore[arg-type]
    assert delivered == 20
    assert sorted(renders) == ["en", "pl"], "built once per language, not once per person"
    by_id = dict(bot.sent)
    assert by_id[101].endswith("(pl)") and by_id[100].endswith("(en)")
    assert by_id[101] != by_id[100], "each in their own language"
