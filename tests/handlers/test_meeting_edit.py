"""Changing a meeting after it was scheduled: the lead or a coordinator changes the place,
the limit, the agenda or the topic, confirms, and the people coming are told."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot import reminders
from bot.db import Database
from models import Answer, AuditEntry, Meeting, Rsvp
from tests.harness import Harness, User
from tests.meeting_support import NOW, Team, meeting, team


@pytest.fixture
async def t(harness: Harness, db: Database) -> Team:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    return await team(db, size=4, chat_id=-100777)


def user(member: object) -> User:
    return User(member.telegram_id, first_name="X", language_code="en")  # type: ignore[attr-defined]


async def stored(db: Database, meeting_id: int) -> Meeting:
    async with db.session() as session:
        found = await session.get(Meeting, meeting_id)
        assert found is not None
        return found


async def test_the_lead_changes_the_place_and_attendees_are_told_in_their_language(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t)
    anna, bob, cleo, _dan = t.members
    anna.language = "pl"
    async with db.session() as session:
        session.add(anna)
    await harness.press(user(anna), f"mt:a:{m.id}:y")
    await harness.press(user(bob), f"mt:a:{m.id}:m")
    await harness.press(user(cleo), f"mt:a:{m.id}:n")
    lead = user(t.lead)
    card = (await harness.press(lead, f"mt:v:{m.id}"))[-1]
    menu = (await harness.press(lead, card.button("Change")))[-1]
    question = (await harness.press(lead, menu.button("Place")))[-1]
    assert "City Hall, room 12" in question.text
    confirm = (await harness.send(lead, "Library, Hallera 2"))[-1]
    assert "Library, Hallera 2" in confirm.text
    assert (await stored(db, m.id)).place == "City Hall, room 12"  # not before the confirmation
    calls = await harness.press(lead, confirm.button("Yes, change it"))
    assert "2 people were told" in harness.texts(calls)
    assert (await stored(db, m.id)).place == "Library, Hallera 2"
    told_pl = harness.last(anna.telegram_id).text
    assert "Library, Hallera 2" in told_pl and "City Hall, room 12" in told_pl
    assert "zmieni" in told_pl  # Polish
    assert "has changed" in harness.last(bob.telegram_id).text
    assert all("has changed" not in c.text for c in harness.sent_to(cleo.telegram_id))
    async with db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    assert any(e.action == "meeting.edit" for e in entries)
    assert (await stored(db, m.id)).cards_dirty_at is not None  # the cards follow


async def test_the_limit_cannot_drop_below_the_people_coming_and_a_larger_one_lets_in(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, capacity=2)
    anna, bob, cleo, dan = t.members
    for person in (anna, bob, cleo, dan):
        await harness.press(user(person), f"mt:a:{m.id}:y")
    lead = user(t.lead)
    await harness.press(lead, f"mt:ef:{m.id}:capacity")
    calls = await harness.send(lead, "1")
    assert "People already coming: 2" in harness.texts(calls)
    confirm = (await harness.send(lead, "3"))[-1]
    await harness.press(lead, confirm.button("Yes, change it"))
    assert (await stored(db, m.id)).capacity == 3
    assert "A place freed up" in harness.last(cleo.telegram_id).text
    assert "A place freed up" not in harness.last(dan.telegram_id).text
    assert "has changed" in harness.last(dan.telegram_id).text  # still waiting: told
    async with db.session() as session:
        answers = {r.member_id: r.answer for r in (await session.exec(select(Rsvp))).all()}
    assert answers[cleo.id] == Answer.YES and answers[dan.id] == Answer.WAITING
    # No limit: everyone waiting comes.
    await harness.press(lead, f"mt:ef:{m.id}:capacity")
    confirm = (await harness.press(lead, f"mt:ex:{m.id}"))[-1]
    await harness.press(lead, confirm.button("Yes, change it"))
    assert (await stored(db, m.id)).capacity is None
    assert "A place freed up" in harness.last(dan.telegram_id).text


async def test_a_coordinator_changes_the_topic_and_agenda_others_cannot(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t)
    member = user(t.members[0])
    for forged in (f"mt:ed:{m.id}", f"mt:ef:{m.id}:topic", f"mt:ec:{m.id}:y"):
        calls = await harness.press(member, forged)
        assert "Only a coordinator" in harness.texts(calls)
    coordinator = user(t.coordinator)
    await harness.press(coordinator, f"mt:ef:{m.id}:topic")
    confirm = (await harness.send(coordinator, "New benches"))[-1]
    await harness.press(coordinator, confirm.button("Yes, change it"))
    await harness.press(coordinator, f"mt:ef:{m.id}:agenda")
    confirm = (await harness.send(coordinator, "1. Quotes"))[-1]
    calls = await harness.press(coordinator, confirm.button("No"))
    assert "New benches" in calls[-1].text  # back to the card
    changed = await stored(db, m.id)
    assert changed.topic == "New benches" and changed.agenda is None
