"""Steps that many end-to-end tests share, done as a person would in Telegram."""

from __future__ import annotations

import time
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


def press_label(fake: FakeTelegram, user: Any, message: Any, part: str) -> float:
    """Press the button whose label contains `part`; returns the time just before."""
    data = next((d for label, d in message.buttons if part in label), None)
    assert data is not None, f"no button with {part!r} in {message.buttons}"
    since = time.time()
    fake.press(user, message, callback_data=data)
    return since


def start_meeting(fake: FakeTelegram, user: Any, group: str, topic: str) -> Any:
    """/meeting by someone who schedules for several groups (a coordinator): the group, the
    topic; returns the "When?" question."""
    since = time.time()
    fake.send_text(user, "/meeting")
    step = fake.wait_for_message(user, contains="Which group", after=since)
    step = fake.wait_for_message(user, contains="topic", after=press_label(fake, user, step, group))
    since = time.time()
    fake.send_text(user, topic)
    return fake.wait_for_message(user, contains="When?", after=since)


def finish_meeting(fake: FakeTelegram, user: Any, when: str) -> Any:
    """From the "When?" question: type the time; returns the review (the defaults filled in:
    90 minutes, the usual place, no limit, the group's members only, no agenda)."""
    since = time.time()
    fake.send_text(user, when)
    return fake.wait_for_message(user, contains="Please check", after=since)
