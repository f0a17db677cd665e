"""Invitation cards show the current answers: every card sent (privately and to the group's
chat) is edited in place, at most once a round however many answers came in, with the final
counts; a 429 pauses the rounds, "message is not modified" is ignored."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import reminders
from bot.db import Database
from handlers.meetings import refresh
from models import Meeting
from models.meetings import MeetingCard
from tests.harness import Call, Harness, User
from tests.meeting_support import NOW, Team, team

CHAT = -100777


@pytest.fixture
async def t(harness: Harness, db: Database) -> Team:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    return await team(db, size=10, chat_id=CHAT)


def user(member: object) -> User:
    return User(member.telegram_id, first_name="X", language_code="en")  # type: ignore[attr-defined]


async def schedule(harness: Harness, db: Database, t: Team) -> dict[int, int]:
    """The lead schedules a meeting; returns the card sent to each chat (chat -> message)."""
    lead = user(t.lead)
    await harness.send(lead, "/meeting")
    await harness.send(lead, "Benches for the yard")
    calls = await harness.press(lead, harness.last(lead.id).button("Tomorrow"))
    review = await harness.press(lead, calls[-1].button("17:00"))
    await harness.press(lead, review[-1].button("Schedule"))
    async with db.session() as session:
        sent = (await session.exec(select(MeetingCard))).all()
    return {card.chat_id: card.message_id for card in sent}


async def a_round(harness: Harness) -> list[Call]:
    before = len(harness.calls)
    await refresh.refresh_dirty(harness.app)
    return [c for c in harness.calls[before:] if c.method == "editMessageText"]


async def test_a_burst_of_answers_makes_one_edit_per_card_with_the_final_counts(
    harness: Harness, db: Database, t: Team
) -> None:
    cards = await schedule(harness, db, t)
    assert set(cards) == {m.telegram_id for m in t.members} | {CHAT}
    burst: list[Call] = []
    for member in t.members:
        anyone = user(member)
        data = harness.last(anyone.id).button("I'll come")
        burst += await harness.press(anyone, data, cards[anyone.id])
    assert not [c for c in burst if c.method == "editMessageText"]  # nothing edited yet
    edits = await a_round(harness)
    per_card = Counter((c.chat_id, c.params["message_id"]) for c in edits)
    assert set(per_card) == {(chat, message) for chat, message in cards.items()}
    assert max(per_card.values()) == 1
    assert all("✅ 10 · ❔ 0 · ❌ 0" in c.text for c in edits)
    mine = next(c for c in edits if c.chat_id == t.members[0].telegram_id)
    assert "Your answer: I'll come" in mine.text and mine.button("I can't")
    assert await a_round(harness) == []  # nothing changed since


async def test_a_429_pauses_the_rounds_and_the_cards_follow_later(
    harness: Harness, db: Database, t: Team
) -> None:
    cards = await schedule(harness, db, t)
    async with db.session() as session:
        meeting = (await session.exec(select(Meeting))).one()
    await harness.press(user(t.members[0]), f"mt:a:{meeting.id}:y", cards[t.members[0].telegram_id])
    harness.request.fail["editMessageText"] = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    first = await a_round(harness)
    assert len(first) == 1  # the refused edit; the round stopped there
    assert await a_round(harness) == []  # paused: no call at all
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW + timedelta(seconds=6)
    later = await a_round(harness)
    assert len(later) == len(cards) and all("✅ 1" in c.text for c in later)


async def test_not_modified_is_ignored(harness: Harness, db: Database, t: Team) -> None:
    cards = await schedule(harness, db, t)
    async with db.session() as session:
        meeting = (await session.exec(select(Meeting))).one()
    await harness.press(user(t.members[1]), f"mt:a:{meeting.id}:m")
    harness.request.fail[f"editMessageText:{t.members[0].telegram_id}"] = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is not modified",
    }
    edits = await a_round(harness)
    assert len(edits) == len(cards) and all("❔ 1" in c.text for c in edits)
    assert await a_round(harness) == []
