"""Meetings through process_update: scheduling, answers, waiting list, move, cancel, polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot import reminders
from bot.db import Database
from handlers.meetings import refresh
from models import Answer, Meeting, Rsvp
from models.meetings import MeetingCard
from tests.harness import Call, Harness, User
from tests.meeting_support import NOW, WARSAW, Team, meeting, team


@pytest.fixture
async def t(harness: Harness, db: Database) -> Team:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    return await team(db, chat_id=-100777)


def user(member: object, language: str = "en") -> User:
    return User(member.telegram_id, first_name="X", language_code=language)  # type: ignore[attr-defined]


async def only_meeting(db: Database) -> Meeting:
    async with db.session() as session:
        rows = (await session.exec(select(Meeting))).all()
    assert len(rows) == 1
    return rows[0]


async def schedule_by_buttons(harness: Harness, t: Team) -> int:
    """The lead's whole journey with buttons; returns how many taps and messages it took."""
    lead = user(t.lead)
    await harness.send(lead, "/meeting")  # one group: straight to the topic
    await harness.send(lead, "Benches for the yard")
    calls = await harness.press(lead, harness.last(lead.id).button("Tomorrow"))
    review = await harness.press(lead, calls[-1].button("17:00"))
    assert "Please check" in review[-1].text and "Benches for the yard" in review[-1].text
    await harness.press(lead, review[-1].button("Schedule"))
    return 5


async def test_lead_schedules_with_buttons_and_members_are_invited(
    harness: Harness, db: Database, t: Team
) -> None:
    await schedule_by_buttons(harness, t)
    m = await only_meeting(db)
    assert m.starts_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M") == "2026-11-27 17:00"
    assert "Fri 27 Nov, 17:00–18:30" in harness.last(t.members[0].telegram_id).text
    assert m.ends_at - m.starts_at == timedelta(minutes=90)
    for member in t.members:
        card = harness.last(member.telegram_id)
        assert "Benches for the yard" in card.text
        assert card.button("I'll come") and card.button("Maybe") and card.button("I can't")
    chat_card = harness.last(-100777)
    assert "Benches for the yard" in chat_card.text
    assert "went to 3 people" in harness.texts(harness.sent_to(t.lead.telegram_id))
    hour, day = timedelta(hours=1), timedelta(days=1)
    assert await reminders.due(harness.app, now=m.starts_at - hour) == [(m.id, 1, 3600)]
    assert await reminders.due(harness.app, now=m.starts_at - day) == [(m.id, 1, 86400)]

    anna = user(t.members[0])
    card_id = await sent_card(db, anna.id)
    calls = await harness.press(anna, harness.last(anna.id).button("I'll come"), card_id)
    assert any("Your answer: I'll come" in c.params.get("text", "") for c in calls)  # the toast
    calls = await refreshed(harness)
    edited = next(c for c in calls if c.chat_id == anna.id)
    assert edited.params["message_id"] == card_id
    assert "✅ 1" in edited.text and "Your answer: I'll come" in edited.text
    # The card in the group's chat follows the counts (in the programme's language).
    chat_edit = next(c for c in calls if c.chat_id == -100777)
    assert "✅ 1" in chat_edit.text and "Przyjdę" in str(chat_edit.buttons)
    await harness.press(anna, edited.button("I can't"), card_id)
    edited = next(c for c in await refreshed(harness) if c.chat_id == anna.id)
    assert "✅ 0" in edited.text and "❌ 1" in edited.text
    # From the group chat's card, too.
    bob = user(t.members[1])
    chat = {"id": -100777, "type": "supergroup", "title": "Playground"}
    calls = await harness.press(bob, chat_card.button("❔"), chat=chat)
    assert any(
        c.method == "answerCallbackQuery" and "Maybe" in c.params.get("text", "") for c in calls
    )
    assert "❔ 1" in next(c for c in await refreshed(harness) if c.chat_id == -100777).text


async def sent_card(db: Database, chat_id: int) -> int:
    """The message id of the invitation card the bot sent to `chat_id`."""
    async with db.session() as session:
        found = await session.exec(select(MeetingCard).where(MeetingCard.chat_id == chat_id))
        return found.one().message_id


async def refreshed(harness: Harness) -> list[Call]:
    """One round of the cards job: the edits it made."""
    before = len(harness.calls)
    await refresh.refresh_dirty(harness.app)
    return [c for c in harness.calls[before:] if c.method == "editMessageText"]


async def test_typed_dates_in_three_languages(harness: Harness, db: Database, t: Team) -> None:
    expected = {"pl": "jutro 18:30", "en": "next Tuesday 5pm", "uk": "завтра 17:00"}
    results = {}
    for language, typed in expected.items():
        t.lead.language = language
        async with db.session() as session:
            session.add(t.lead)
        lead = user(t.lead, language)
        await harness.send(lead, "/meeting")
        await harness.send(lead, f"Topic {language}")
        calls = await harness.send(lead, "banana")
        assert calls[-1].method == "sendMessage" and "17:00" in calls[-1].text  # examples
        calls = await harness.send(lead, typed)
        assert f"Topic {language}" in calls[-1].text  # the review
        results[language] = calls[-1].text
        await harness.send(lead, "/cancel")
    assert "Fri 27 Nov, 18:30" in results["pl"] or "27 lis" in results["pl"]
    assert "Tue 1 Dec, 17:00" in results["en"]
    assert "17:00" in results["uk"]


async def test_a_leader_who_is_not_the_lead_cannot_schedule(
    harness: Harness, db: Database, t: Team
) -> None:
    calls = await harness.send(user(t.outsider), "/meeting")
    assert "only coordinators and group leads" in harness.texts(calls)
    # Nor with a forged button of that group.
    calls = await harness.press(user(t.outsider), f"mc:g:{t.group.id}")
    assert all("topic" not in c.text for c in calls)
    async with db.session() as session:
        assert (await session.exec(select(Meeting))).all() == []


async def test_waiting_list_promotes_and_tells(harness: Harness, db: Database, t: Team) -> None:
    m = await meeting(db, t, capacity=1)
    a, b, _c = (user(x) for x in t.members)
    await harness.press(a, f"mt:a:{m.id}:y")
    calls = await harness.press(b, f"mt:a:{m.id}:y")
    assert "number 1 on the waiting list" in harness.texts(calls)
    calls = await harness.press(a, f"mt:a:{m.id}:n")
    told = harness.last(b.id)
    assert "A place freed up" in told.text
    async with db.session() as session:
        rsvp = (await session.exec(select(Rsvp).where(Rsvp.member_id == t.members[1].id))).one()
    assert rsvp.answer == Answer.YES


async def test_move_tells_attendees_and_cancel_stops_all(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t)
    await harness.press(user(t.members[0]), f"mt:a:{m.id}:y")
    await harness.press(user(t.members[1]), f"mt:a:{m.id}:n")
    lead = user(t.lead)
    calls = await harness.press(lead, f"mt:v:{m.id}")
    assert calls[-1].button("Move") and calls[-1].button("Cancel meeting")
    await harness.press(lead, f"mt:mv:{m.id}")
    calls = await harness.send(lead, "5.12 10:00")
    assert "people were told" in harness.texts(calls) or "person was told" in harness.texts(calls)
    moved = harness.last(t.members[0].telegram_id)
    assert "has moved" in moved.text and "5 Dec" in moved.text
    assert all("has moved" not in c.text for c in harness.sent_to(t.members[1].telegram_id))
    stored = await only_meeting(db)
    assert stored.revision == 2
    hour = timedelta(hours=1)
    assert await reminders.due(harness.app, now=stored.starts_at - hour) == [(m.id, 2, 3600)]
    assert await reminders.due(harness.app, now=m.starts_at - hour) == []  # the old time

    # Someone else cannot cancel it.
    calls = await harness.press(user(t.outsider), f"mt:cxc:{m.id}:y")
    assert "Only a coordinator" in harness.texts(calls)
    calls = await harness.press(lead, f"mt:cx:{m.id}")
    await harness.press(lead, calls[-1].button("Yes, cancel"))
    assert "is cancelled" in harness.last(t.members[0].telegram_id).text
    assert await reminders.due(harness.app, now=stored.starts_at - hour) == []
    calls = await harness.press(user(t.members[0]), f"mt:a:{m.id}:y")
    assert "cancelled" in harness.texts(calls)


async def test_date_poll_with_three_candidates_turns_into_a_meeting(
    harness: Harness, db: Database, t: Team
) -> None:
    lead = user(t.lead)
    await harness.send(lead, "/meeting")
    await harness.send(lead, "When shall we meet?")
    await harness.press(lead, harness.last(lead.id).button("vote"))
    for typed in ("jutro 17:00", "next Monday 18:00", "3.12 17:30"):
        calls = await harness.send(lead, typed)
    review = await harness.press(lead, calls[-1].button("Done"))
    calls = await harness.press(lead, review[-1].button("Duration"))
    review = await harness.press(lead, calls[-1].button("2 hours"))
    calls = await harness.press(lead, review[-1].button("Place"))
    review = await harness.send(lead, "Library, Hallera 2")
    assert "Where: Library, Hallera 2" in review[-1].text
    review = await harness.press(lead, review[-1].button("Open to all"))
    calls = await harness.press(lead, review[-1].button("Send the poll"))
    assert "went to 3 people" in harness.texts(calls)

    card = harness.last(t.members[0].telegram_id)
    assert "When shall we meet?" in card.text and len(card.buttons) == 3
    monday = card.buttons[1][1]
    for member in t.members[:2]:
        calls = await harness.press(user(member), monday)
    assert "☑️" in calls[-1].buttons[1][0] and "(2)" in calls[-1].buttons[1][0]
    # Lost the card? /meetings lists the open poll.
    calls = await harness.send(user(t.members[2]), "/meetings")
    poll_button = calls[-1].button("When shall we meet?")
    calls = await harness.press(user(t.members[2]), poll_button)
    assert "(2)" in calls[-1].buttons[1][0] and "Pick the time" not in str(calls[-1].buttons)
    calls = await harness.press(user(t.outsider), "mp:v:999")
    assert "no longer exists" in harness.texts(calls)
    # A member cannot pick the winner; the lead can.
    poll_id = next(d for _t, d in harness.last(lead.id).buttons if d.startswith("mp:pick"))
    calls = await harness.press(user(t.members[0]), poll_id)
    assert "Only a coordinator" in harness.texts(calls)
    calls = await harness.press(lead, poll_id)
    calls = await harness.press(lead, calls[-1].button("(2)"))
    await harness.press(lead, calls[-1].button("Yes, schedule"))
    m = await only_meeting(db)
    assert m.starts_at.astimezone(WARSAW).strftime("%a %H:%M") == "Mon 18:00"
    assert m.is_open and m.place == "Library, Hallera 2"
    assert "I'll come" in str(harness.last(t.members[2].telegram_id).buttons)


async def test_meetings_list_ics_and_attendance_xlsx(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, starts_in=timedelta(minutes=20))
    anna = user(t.members[0])
    await harness.press(anna, f"mt:a:{m.id}:y")
    calls = await harness.send(anna, "/meetings")
    assert "Playground repairs" in calls[-1].text and "I'll come" in calls[-1].text
    calls = await harness.press(anna, f"mt:ics:{m.id}")
    document = [c for c in calls if c.method == "sendDocument"][-1]
    assert document.chat_id == anna.id
    calls = await harness.press(anna, f"mt:v:{m.id}")
    calls = await harness.press(anna, calls[-1].button("I'm here"))
    assert "checked in" in harness.texts(calls)
    lead = user(t.lead)
    calls = await harness.press(lead, f"mt:att:{m.id}")
    assert "1 person present" in calls[-1].text
    calls = await harness.press(lead, calls[-1].button("Member 2"))
    assert "2 people present" in calls[-1].text
    calls = await harness.press(lead, calls[-1].button("XLSX"))
    assert [c for c in calls if c.method == "sendDocument"]
    calls = await harness.press(anna, f"mt:xl:{m.id}")
    assert "Only a coordinator" in harness.texts(calls)


async def test_followup_summary_and_action_item(harness: Harness, db: Database, t: Team) -> None:
    m = await meeting(db, t, starts_in=timedelta(hours=1))
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: m.ends_at + timedelta(minutes=5)
    assert await reminders.ask_followup(harness.app, m.id)  # type: ignore[arg-type]
    lead = user(t.lead)
    prompt = harness.last(lead.id)
    await harness.press(lead, prompt.button("summary"))
    await harness.send(lead, "We agreed on new benches.")
    calls = await harness.press(lead, f"mt:ai:{m.id}")
    await harness.send(lead, "Ask ZGM for a quote")
    calls = await harness.press(lead, harness.last(lead.id).button("Member 1"))
    calls = await harness.press(lead, calls[-1].button("7 days"))
    assigned = harness.last(t.members[0].telegram_id)
    assert "A new task for you" in assigned.text and assigned.button("Mark as done")
    screen = harness.last(lead.id)
    assert "Ask ZGM for a quote" in screen.text and "Member 1" in screen.text
    await harness.press(lead, screen.button("Send the summary"))
    assert "We agreed on new benches." in harness.last(t.members[1].telegram_id).text
    owner = user(t.members[0])
    calls = await harness.send(owner, "/meetings")
    calls = await harness.press(owner, calls[-1].button("Done: Ask ZGM"))
    assert "marked as done" in harness.texts(calls)


async def test_cancel_in_the_middle_keeps_nothing(harness: Harness, db: Database, t: Team) -> None:
    lead = user(t.lead)
    await harness.send(lead, "/meeting")
    await harness.send(lead, "Half-typed topic")
    calls = await harness.send(lead, "/cancel")
    assert "Nothing was sent" in harness.texts(calls)
    calls = await harness.send(lead, "some text afterwards")
    assert "When?" not in harness.texts(calls)  # the draft did not go on
    async with db.session() as session:
        assert (await session.exec(select(Meeting))).all() == []


async def test_group_page_lists_upcoming_meetings(harness: Harness, db: Database, t: Team) -> None:
    m = await meeting(db, t)
    calls = await harness.press(user(t.members[0]), f"gr:p:{t.group.id}:0")
    page = calls[-1]
    assert "Upcoming meetings" in page.text and "Playground repairs" in page.text
    calls = await harness.press(user(t.members[0]), page.button("Playground repairs"))
    assert calls[-1].button("I'll come") == f"mt:a:{m.id}:y"
