"""The real bot process: a coordinator invites the volunteers of one street to a group's
meeting (opening it to them explicitly), and two of them answer "I'll come"."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.services import meetings as meetings_service
from models import Answer, Group, Meeting, Member, Membership, Role, Rsvp, Volunteer, utcnow
from tests.e2e.conftest import BotProcess
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e
STREET = "Mickiewicza"


async def _world(url: str, boss: int, lead: int, people: list[tuple[int, str | None]]) -> int:
    """A coordinator, a group with its lead and a meeting only for the group, in two days;
    volunteers (telegram id, street). Returns the meeting's id."""
    database = Database(url)
    async with database.session() as session:

        def member(tid: int, name: str, role: str) -> Member:
            return Member(
                telegram_id=tid, display_name=name, language="en", role=role, consent_at=utcnow()
            )

        cora, lena = member(boss, "Cora", Role.COORDINATOR), member(lead, "Lena", Role.LEAD)
        session.add_all([cora, lena])
        await session.flush()
        group = Group(slug="yard", name="Yard group", lead_id=lena.id)
        session.add(group)
        await session.flush()
        session.add(Membership(member_id=lena.id, group_id=group.id))  # type: ignore[arg-type]
        for tid, street in people:
            person = member(tid, f"Volunteer {tid}", Role.RESIDENT)
            session.add(person)
            await session.flush()
            session.add(Volunteer(member_id=person.id, name=person.display_name, street=street))  # type: ignore[arg-type]
        draft = meetings_service.MeetingDraft(
            group_id=group.id,  # type: ignore[arg-type]
            topic="Benches for the yard",
            place="Hallera 2",
            starts_at=utcnow() + timedelta(days=2),
        )
        meeting = await meetings_service.create_meeting(session, lena, draft, now=utcnow())
        meeting_id = meeting.id
    await database.dispose()
    assert meeting_id is not None
    return meeting_id


async def _answers(url: str, meeting_id: int) -> dict[int, str]:
    database = Database(url)
    async with database.session() as session:
        rows = await session.exec(
            select(Member.telegram_id, Rsvp.answer)
            .join(Rsvp, Rsvp.member_id == Member.id)  # type: ignore[arg-type]
            .where(Rsvp.meeting_id == meeting_id)
        )
        found = dict(rows.all())
        assert (await session.get(Meeting, meeting_id)) is not None
    await database.dispose()
    return found


def test_coordinator_invites_a_streets_volunteers_and_two_come(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    url = bot.env["DATABASE_URL"]
    cora, lena = (
        fake.new_user("Cora", language_code="en"),
        fake.new_user("Lena", language_code="en"),
    )
    street = [fake.new_user(f"S{i}", language_code="en") for i in range(3)]
    elsewhere = fake.new_user("Other", language_code="en")
    meeting_id = asyncio.run(
        _world(
            url,
            cora.id,
            lena.id,
            [(u.id, STREET) for u in street] + [(elsewhere.id, "Paderewskiego")],
        )
    )
    fake.send_text(cora, "/menu")
    menu = fake.wait_for_message(cora, predicate=lambda m: bool(m.buttons))
    seen = time.time()
    fake.press_raw(cora, menu.message_id, cora.id, f"mt:v:{meeting_id}")
    card = fake.wait_for_message(cora, contains="Benches for the yard", after=seen)
    fake.press(cora, card, callback_data=f"mi:new:{meeting_id}")
    audiences = fake.wait_for_message(cora, contains="Invite more people", after=seen)
    fake.press(cora, audiences, text="Volunteers by street")
    streets = fake.wait_for_message(cora, contains="Volunteers from which street?", after=seen)
    fake.press(cora, streets, text=STREET)
    chosen = fake.wait_for_message(cora, contains="Chosen:", after=seen)
    seen = time.time()
    fake.press(cora, chosen, text="👀 Preview")
    summary = fake.wait_for_message(cora, contains="It will go to", after=seen)
    # The meeting is only for its group: nobody from the street until Cora allows it.
    assert "It will go to 0 people." in summary.text
    assert "3 people outside the group are left out" in summary.text
    seen = time.time()
    fake.press(cora, summary, text="⬜ Outsiders may come")
    summary = fake.wait_for_message(cora, contains="It will go to 3 people.", after=seen)
    seen = time.time()
    fake.press(cora, summary, text="📨 Send now")
    fake.wait_for_message(cora, contains="Delivered: 3 of 3", after=seen, timeout=30)

    cards = [fake.wait_for_message(u, contains="You are invited") for u in street]
    assert all("Benches for the yard" in c.text for c in cards)
    assert fake.messages(elsewhere) == [] and fake.messages(lena) == []
    for user, card in zip(street[:2], cards[:2], strict=True):
        seen = time.time()
        fake.press(user, card, text="✅ I'll come")
        fake.wait_for_message(user, contains="Your answer: I'll come", after=seen)
    answers = asyncio.run(_answers(url, meeting_id))
    assert answers == {street[0].id: Answer.YES, street[1].id: Answer.YES}
