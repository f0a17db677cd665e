"""/meeting in few steps: the group (only when there is a choice), the topic, the time; then
a review where place, capacity, agenda, openness and duration are changed with a button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot import reminders
from bot.db import Database
from models import Meeting
from tests.harness import Call, Harness, User
from tests.meeting_support import NOW, Team, meeting, team

LABEL_MAX = 23  # a phone shows about this many characters of a button


@pytest.fixture
async def t(harness: Harness, db: Database) -> Team:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    return await team(db, chat_id=-100777)


def user(member: object, language: str = "en") -> User:
    return User(member.telegram_id, first_name="X", language_code=language)  # type: ignore[attr-defined]


async def meetings_in(db: Database) -> list[Meeting]:
    async with db.session() as session:
        return list((await session.exec(select(Meeting).order_by(Meeting.id))).all())


def labels(calls: list[Call]) -> list[str]:
    return [label for call in calls for label, _data in call.buttons]


async def test_a_lead_of_one_group_schedules_in_five_actions_with_defaults(
    harness: Harness, db: Database, t: Team
) -> None:
    lead = user(t.lead)
    seen: list[Call] = []
    seen += await harness.send(lead, "/meeting")  # 1: no group question, they lead one
    assert "topic" in seen[-1].text
    seen += await harness.send(lead, "Benches for the yard")  # 2
    seen += await harness.press(lead, seen[-1].button("Tomorrow"))  # 3
    seen += await harness.press(lead, seen[-1].button("17:00"))  # 4
    review = seen[-1]
    assert "Please check" in review.text
    assert "Hallera" in review.text  # the programme's place: the group has met nowhere yet
    assert "no limit" in review.text and "Only the group's members" in review.text
    assert "17:00–18:30" in review.text  # 90 minutes
    seen += await harness.press(lead, review.button("Schedule"))  # 5
    assert "The meeting is scheduled" in harness.texts(seen)
    [m] = await meetings_in(db)
    assert m.ends_at - m.starts_at == timedelta(minutes=90)
    assert m.capacity is None and not m.is_open and m.agenda is None
    assert "Hallera" in m.place
    assert not [x for x in labels(seen) if len(x) > LABEL_MAX], labels(seen)


async def test_the_review_changes_each_detail_and_the_place_is_the_groups_usual_one(
    harness: Harness, db: Database, t: Team
) -> None:
    await meeting(db, t)  # the group met at "City Hall, room 12"
    lead = user(t.lead)
    await harness.send(lead, "/meeting")
    await harness.send(lead, "Autumn clean-up")
    calls = await harness.send(lead, "5.12 10:00")
    review = calls[-1]
    assert "Where: City Hall, room 12" in review.text
    calls = await harness.press(lead, review.button("How many"))
    assert "How many people can come?" in calls[-1].text
    review = (await harness.send(lead, "12"))[-1]
    assert "How many can come: 12" in review.text
    calls = await harness.press(lead, review.button("Agenda"))
    review = (await harness.send(lead, "1. Gloves\n2. Bags"))[-1]
    assert "1. Gloves" in review.text
    review = (await harness.press(lead, review.button("Open to all")))[-1]
    assert "everyone is welcome" in review.text
    calls = await harness.press(lead, review.button("Duration"))
    review = (await harness.press(lead, calls[-1].button("2 hours")))[-1]
    assert "10:00–12:00" in review.text
    calls = await harness.press(lead, review.button("Place"))
    review = (await harness.send(lead, "Park entrance"))[-1]
    await harness.press(lead, review.button("Schedule"))
    m = (await meetings_in(db))[-1]
    assert (m.topic, m.place, m.capacity, m.is_open) == (
        "Autumn clean-up",
        "Park entrance",
        12,
        True,
    )
    assert m.agenda == "1. Gloves\n2. Bags" and m.ends_at - m.starts_at == timedelta(hours=2)


@pytest.mark.parametrize("language", ["en", "pl", "uk"])
async def test_every_button_of_the_draft_fits_on_a_phone(
    harness: Harness, db: Database, t: Team, language: str
) -> None:
    coordinator = user(t.coordinator, language)  # a coordinator chooses among the groups
    t.coordinator.language = language
    async with db.session() as session:
        session.add(t.coordinator)
    seen = await harness.send(coordinator, "/meeting")
    seen += await harness.press(coordinator, seen[-1].buttons[0][1])
    seen += await harness.send(coordinator, "A topic")
    day = seen[-1].buttons[1][1]
    seen += await harness.press(coordinator, day)
    seen += await harness.press(coordinator, seen[-1].buttons[-3][1])  # an hour
    review = seen[-1]
    for data in [d for _label, d in review.buttons if d.startswith("mc:e:")]:
        seen += await harness.press(coordinator, data)
        seen += await harness.press(coordinator, seen[-1].buttons[0][1])  # back to the review
    long = [label for label in labels(seen) if len(label) > LABEL_MAX]
    assert not long, long


def test_the_reminders_keep_no_per_meeting_stubs() -> None:
    """Reminders are one periodic sweep (bot/reminders.py): nothing to schedule per meeting."""
    assert not hasattr(reminders, "schedule_meeting") and not hasattr(reminders, "unschedule")


async def test_a_date_that_cannot_be_read_is_explained_with_the_days_buttons_again(
    harness: Harness, db: Database, t: Team
) -> None:
    lead = user(t.lead, "pl")
    await harness.send(lead, "/meeting")
    calls = await harness.send(lead, "Ławki na podwórku")
    day_buttons = {label for label, _data in calls[-1].buttons}
    for typed in ("kiedyś", "32.13 25:99", "🙂"):
        calls = await harness.send(lead, typed)
        assert calls, f"{typed!r} got no reply"
        assert {label for label, _data in calls[-1].buttons} & day_buttons, calls[-1].params
    assert await meetings_in(db) == []
