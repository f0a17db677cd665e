"""Steps that many end-to-end tests share, done as a person would in Telegram."""

from __future__ import annotations

from typing import Any

from tests.fake_telegram import FakeTelegram

AGREE = {"pl": "Zgadzam się", "en": "I agree", "uk": "Погоджуюся"}
SKIP = {"pl": "Pomiń", "en": "Skip", "uk": "Пропустити"}


def mark(fake: FakeTelegram, user: Any) -> int:
    """How many bot messages the chat has now: wait for the ones after this."""
    return len(fake.messages(user))


def onboard(fake: FakeTelegram, user: Any, name: str, start: str = "/start") -> Any:
    """/start, consent, a typed name, no institution; returns the main-menu message."""
    language = user.language_code if user.language_code in AGREE else "pl"
    seen = mark(fake, user)
    fake.send_text(user, start)
    consent = fake.wait_for_message(user, predicate=lambda m: bool(m.buttons), after=seen)
    seen = mark(fake, user)
    fake.press(user, consent, text=AGREE[language])
    fake.wait_for_message(user, after=seen)
    seen = mark(fake, user)
    fake.send_text(user, name)
    institution = fake.wait_for_message(user, contains=name, after=seen)
    seen = mark(fake, user)
    fake.press(user, institution, text=SKIP[language])
    return fake.wait_for_message(
        user, predicate=lambda m: any(d == "hp" for _, d in m.buttons), after=seen
    )
