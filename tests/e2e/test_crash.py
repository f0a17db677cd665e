"""SIGKILL at random moments of onboarding, then a restart: nothing acknowledged is lost.

The user behaves like a person: after the restart they look at the bot's last message and do
what it asks (press "I agree", type the name, pick an institution), or send /start when the
bot seems stuck. What the bot acknowledged before the kill must be in the database, the
conversation must not go back to a question already answered, nobody gets an error message,
and in the end every user is registered with their own name.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from bot.db import Database
from models import Member
from tests.e2e.conftest import BotProcess
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e

# The bot's prompts (English), in onboarding order: how far a user has got.
CONSENT, NAME, INSTITUTION, MENU = (
    "Do you agree?",
    "How should others",
    "Which institution",
    ("What would you like to do?"),
)
PROMPTS = (CONSENT, NAME, INSTITUTION, MENU)
ERROR = "something went wrong"


@dataclass
class Person:
    user: object
    name: str
    reached: int = -1  # index in PROMPTS of the furthest prompt seen before the kill
    answered: int = -1  # index in PROMPTS of the last prompt they answered before the kill
    actions: list[str] = field(default_factory=list)


def stage(fake: FakeTelegram, person: Person) -> int:
    """The furthest onboarding prompt the bot has shown this person (-1: none)."""
    texts = [m.text or "" for m in fake.messages(person.user)]
    return max(
        (index for index, prompt in enumerate(PROMPTS) for t in texts if prompt in t), default=-1
    )


def last_prompt(fake: FakeTelegram, person: Person) -> object | None:
    for message in reversed(fake.messages(person.user)):
        if any(prompt in (message.text or "") for prompt in PROMPTS):
            return message
    return None


def act(fake: FakeTelegram, person: Person, rng: random.Random) -> bool:
    """One step of a person following the bot's last question; True once at the menu."""
    message = last_prompt(fake, person)
    text = (message.text or "") if message is not None else ""
    if MENU in text:
        return True
    stamp = time.time()
    if CONSENT in text:
        person.actions.append("agree")
        fake.press(person.user, message, text="I agree")
    elif INSTITUTION in text:
        choice = rng.choice([label for label, _ in message.buttons])  # type: ignore[union-attr]
        person.actions.append(f"institution {choice}")
        fake.press(person.user, message, text=choice)
    elif NAME in text and not text.startswith("Nice to meet you"):
        person.actions.append("name")
        fake.send_text(person.user, person.name)
    else:
        person.actions.append("/start")
        fake.send_text(person.user, "/start")
    try:
        fake.wait_for_message(
            person.user,
            predicate=lambda m: any(p in (m.text or "") for p in PROMPTS),
            after=stamp,
            timeout=5,
        )
    except AssertionError:
        person.actions.append("(no new question)")
    return False


def finish(fake: FakeTelegram, person: Person, rng: random.Random) -> None:
    for _ in range(8):
        if act(fake, person, rng):
            return
    raise AssertionError(f"{person.name} never reached the menu: {person.actions}")


def members(url: str) -> dict[int, Member]:
    async def load() -> dict[int, Member]:
        database = Database(url)
        try:
            async with database.session() as session:
                rows = (await session.exec(select(Member))).all()
            return {m.telegram_id: m for m in rows}
        finally:
            await database.dispose()

    return asyncio.run(load())


def restart_after_kill(fake: FakeTelegram, bot: BotProcess, people: list[Person]) -> None:
    """Kill, restart, and check that every answer sent before the kill was handled."""
    bot.kill()
    for person in people:
        person.reached = stage(fake, person)
    bot.start()
    # Updates are confirmed only once handled, so this means: all handled.
    fake.wait_for_updates_consumed(timeout=15)
    for person in people:
        if person.answered >= 0:
            # The answer arrives again after the restart and is handled without being resent.
            fake.wait_for_message(
                person.user,
                predicate=lambda m, p=person: stage(fake, p) > p.answered,
                timeout=10,
            )


def check(fake: FakeTelegram, bot: BotProcess, people: list[Person]) -> None:
    stored = members(bot.env["DATABASE_URL"])
    for person in people:
        user_id = person.user.id  # type: ignore[attr-defined]
        texts = [m.text or "" for m in fake.messages(person.user)]
        assert not any(ERROR in t for t in texts), f"{person.name}: {texts}"
        member = stored.get(user_id)
        assert member is not None and member.is_registered, f"{person.name}: {person.actions}"
        assert member.display_name == person.name  # their own name, never another text
        # Conversations resume: nobody is asked again what they had already answered.
        if person.reached >= PROMPTS.index(NAME):
            assert "agree" not in person.actions, f"{person.name}: {person.actions}"
        if person.reached >= PROMPTS.index(INSTITUTION):
            assert "name" not in person.actions, f"{person.name}: {person.actions}"
    assert bot.process is not None and bot.process.poll() is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_during_onboarding(fake: FakeTelegram, bot: BotProcess, seed: int) -> None:
    rng = random.Random(seed)
    person = Person(fake.new_user("Ola", language_code="en"), f"Ola Crash{seed}")
    steps = rng.randint(0, 3)  # how many questions they answer before the kill
    fake.send_text(person.user, "/start")
    fake.wait_for_message(person.user, contains=CONSENT)
    for _ in range(steps):
        act(fake, person, rng)
    # The kill comes while the next answer is on its way or being handled.
    message = last_prompt(fake, person)
    if message is not None and MENU not in (message.text or ""):
        person.answered = stage(fake, person)
        if CONSENT in (message.text or ""):
            fake.press(person.user, message, text="I agree")
        elif INSTITUTION in (message.text or ""):
            fake.press(person.user, message, text="Skip")
        else:
            fake.send_text(person.user, person.name)
    time.sleep(rng.uniform(0.0, 0.15))
    person.actions.clear()
    restart_after_kill(fake, bot, [person])
    finish(fake, person, rng)
    check(fake, bot, [person])


def test_kill_during_a_burst_of_twenty(fake: FakeTelegram, bot: BotProcess) -> None:
    rng = random.Random(20)
    people = [
        Person(fake.new_user(f"U{i}", language_code="en"), f"Burst Person {i}") for i in range(20)
    ]
    for person in people:
        fake.send_text(person.user, "/start")
    for person in people:
        fake.wait_for_message(person.user, contains=CONSENT)
    # Everyone answers as fast as the bot asks; the kill comes after a random number of the
    # 60 answers, so some people are mid-way and some updates are in flight.
    target = rng.randint(15, 45)
    sent = 0
    answered: dict[int, int] = {}
    while sent < target:
        for index, person in enumerate(people):
            reached = stage(fake, person)
            if reached > answered.get(index, -1) and reached < PROMPTS.index(MENU):
                answered[index] = reached
                message = last_prompt(fake, person)
                if reached == PROMPTS.index(CONSENT):
                    fake.press(person.user, message, text="I agree")
                elif reached == PROMPTS.index(NAME):
                    fake.send_text(person.user, person.name)
                else:
                    fake.press(person.user, message, text="Skip")
                sent += 1
        time.sleep(0.002)
    time.sleep(rng.uniform(0.0, 0.05))
    for index, person in enumerate(people):
        person.answered = answered.get(index, -1)
    restart_after_kill(fake, bot, people)
    for person in people:
        finish(fake, person, rng)
    check(fake, bot, people)
