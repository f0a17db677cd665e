"""Inviting more people to a meeting: any audience, the answer buttons, the broadcast outbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import reminders
from bot.broadcasting import engine, resume_broadcasts
from bot.config import Settings
from bot.db import Database
from bot.services import invitations as service
from bot.services import volunteers as volunteers_service
from models import (
    Answer,
    Broadcast,
    BroadcastRecipient,
    MeetingInvitation,
    Member,
    RecipientState,
    Role,
    Rsvp,
)
from tests.harness import Call, Harness, User, start_harness
from tests.meeting_support import NOW, Team, meeting, person, team

STREET_PEOPLE = (8001, 8002)  # residents who volunteer on the first street


@pytest.fixture
async def h(settings: Settings, db: Database) -> AsyncIterator[Harness]:
    fast = settings.model_copy(update={"broadcast_rate": 5000.0})
    running = await start_harness(fast, db)
    running.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    yield running
    await engine(running.app).wait()
    await running.app.shutdown()


@pytest.fixture
async def t(h: Harness, db: Database) -> Team:
    found = await team(db)
    streets = h.app.bot_data["runtime"].profile.streets
    volunteers = [await person(db, tid, f"Street {tid}", Role.RESIDENT) for tid in STREET_PEOPLE]
    async with db.session() as session:
        # Otto (a lead elsewhere, outside the group) volunteers on the same street: he is in
        # "all leaders" and in "volunteers from the street".
        for member in [*volunteers, found.outsider]:
            draft = volunteers_service.Draft(name=member.display_name or "", street=streets[0])
            await volunteers_service.save(session, member, draft, streets)
    return found


def user(member: Member) -> User:
    return User(member.telegram_id, first_name="X", language_code="en")


def cards_to(h: Harness, telegram_id: int) -> list[Call]:
    """Invitation cards a person got: the answer buttons under the meeting."""
    return [
        c
        for c in h.sent_to(telegram_id)
        if c.method == "sendMessage" and "You are invited" in c.text
    ]


async def open_invitation(h: Harness, who: Member, meeting_id: int) -> list[Call]:
    """From the meeting's card: "Invite more people"."""
    calls = await h.press(user(who), f"mt:v:{meeting_id}")
    return await h.press(user(who), calls[-1].button("Invite more people"))


async def invitations(db: Database) -> list[MeetingInvitation]:
    async with db.session() as session:
        return list((await session.exec(select(MeetingInvitation))).all())


async def test_one_person_in_two_audiences_gets_one_invitation(
    h: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, is_open=True)
    cora = user(t.coordinator)
    calls = await open_invitation(h, t.coordinator, m.id)  # type: ignore[arg-type]
    assert "Invite more people" in calls[-1].text
    await h.press(cora, calls[-1].button("All leaders"))
    await h.press(cora, h.last(cora.id).button("Volunteers by street"))
    streets = h.app.bot_data["runtime"].profile.streets
    calls = await h.press(cora, h.last(cora.id).button(streets[0]))
    assert "☑️ All leaders" in str(calls[-1].buttons)
    calls = await h.press(cora, calls[-1].button("Preview"))
    card, summary = calls[-2], calls[-1]
    # The preview is the real invitation: the card with the answer buttons.
    assert "You are invited" in card.text and "Playground repairs" in card.text
    assert card.button("I'll come") and card.button("Maybe") and card.button("I can't")
    # Otto and the two street volunteers; the group's lead and members were invited with the
    # group, the coordinator is the author.
    assert "It will go to 3 people." in summary.text
    assert "already invited, in the group, or answered" in summary.text
    await h.press(cora, summary.button("Send now"))
    await engine(h.app).wait()

    for tid in (t.outsider.telegram_id, *STREET_PEOPLE):
        got = cards_to(h, tid)
        assert len(got) == 1, f"{tid} got {len(got)} invitations"
        assert got[0].button("I'll come").startswith(f"mt:a:{m.id}:")
    assert not any(cards_to(h, p.telegram_id) for p in [t.lead, *t.members])
    rows = await invitations(db)
    assert sorted(r.member_id for r in rows) == sorted(
        [t.outsider.id, *[(await _id(db, tid)) for tid in STREET_PEOPLE]]
    )
    by_audience = Counter(service.spec_of(r.audience)["kind"] for r in rows)
    assert by_audience == {"leaders": 1, "volunteers": 2}  # Otto counted once, first audience
    assert "Delivered: 3 of 3" in h.last(cora.id).text  # the broadcast's report

    # A second round with the same audiences reaches nobody new.
    calls = await open_invitation(h, t.coordinator, m.id)  # type: ignore[arg-type]
    calls = await h.press(cora, calls[-1].button("All leaders"))
    calls = await h.press(cora, calls[-1].button("Preview"))
    assert "It will go to 0 people." in calls[-1].text
    assert "Send now" not in str(calls[-1].buttons)

    # The card counts them, by audience, for the lead and coordinators.
    await h.press(user(t.outsider), cards_to(h, t.outsider.telegram_id)[0].button("I'll come"))
    calls = await h.press(user(t.lead), f"mt:v:{m.id}")
    assert "More people invited: 3 (" in calls[-1].text
    assert "all leaders 1" in calls[-1].text and "answered: 1" in calls[-1].text


async def _id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).one()
        return found.id  # type: ignore[return-value]


async def test_crash_mid_delivery_resumes_without_duplicates(
    h: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, is_open=True)
    everyone = [await person(db, 8100 + i, f"Resident {i}", Role.RESIDENT) for i in range(12)]
    async with db.session() as session:
        cora = await session.get(Member, t.coordinator.id)
        assert cora is not None
        draft = await service.new_draft(
            session,
            cora,
            m.id,
            now=NOW,
            preselect={"kind": "everyone"},  # type: ignore[arg-type]
        )
        await service.start(session, cora, draft.id, now=NOW)  # type: ignore[arg-type]
    async with db.session() as session:
        rows = list(
            (
                await session.exec(
                    select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == draft.id)
                )
            ).all()
        )
        # The 12 residents, Otto, the street volunteers...: everyone outside the group.
        assert len(rows) >= 15
        done, in_flight = rows[:5], rows[5:7]
        for row in done:  # delivered and recorded before the crash
            row.state, row.message_id, row.attempts = RecipientState.SENT, 1, 1
            session.add(row)
        for row in in_flight:  # claimed, never settled
            row.state, row.attempts = RecipientState.SENDING, 1
            session.add(row)
    await resume_broadcasts(h.app)
    await engine(h.app).wait()

    untouched = {r.chat_id for r in done + in_flight}
    assert not any(cards_to(h, chat) for chat in untouched), "nothing sent twice"
    for row in rows[7:]:
        assert len(cards_to(h, row.chat_id)) == 1
    async with db.session() as session:
        final = Counter(
            r.state
            for r in (
                await session.exec(
                    select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == draft.id)
                )
            ).all()
        )
    assert final == {RecipientState.SENT: len(rows) - 2, RecipientState.UNCERTAIN: 2}
    assert "Uncertain: 2" in h.last(t.coordinator.telegram_id).text
    assert {p.telegram_id for p in everyone} <= {r.chat_id for r in rows}
    # Everybody invited is recorded once, whatever happened to the message.
    assert len(await invitations(db)) == len(rows)


async def test_outsider_answer_counts_against_capacity_and_gets_reminders(
    h: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, is_open=True, capacity=1)
    cora = user(t.coordinator)
    calls = await open_invitation(h, t.coordinator, m.id)  # type: ignore[arg-type]
    await h.press(cora, calls[-1].button("Volunteers by street"))
    streets = h.app.bot_data["runtime"].profile.streets
    calls = await h.press(cora, h.last(cora.id).button(streets[0]))
    calls = await h.press(cora, calls[-1].button("Preview"))
    await h.press(cora, calls[-1].button("Send now"))
    await engine(h.app).wait()

    street = await _member(db, STREET_PEOPLE[0])
    card = cards_to(h, street.telegram_id)[0]
    calls = await h.press(user(street), card.button("I'll come"))
    assert any("Your answer: I'll come" in c.text for c in calls)
    # The last place went to the outsider: the group's member waits.
    anna = user(t.members[0])
    calls = await h.press(anna, f"mt:a:{m.id}:y")
    assert any("waiting list" in str(c.params.get("text", "")) for c in calls)
    async with db.session() as session:
        answers = {
            r.member_id: r.answer
            for r in (await session.exec(select(Rsvp).where(Rsvp.meeting_id == m.id))).all()
        }
    assert answers == {street.id: Answer.YES, t.members[0].id: Answer.WAITING}
    # Reminders reach the outsider like a member.
    sent = await reminders.send_due_reminders(h.app, now=m.starts_at - timedelta(minutes=50))
    assert sent >= 1
    assert any("Reminder" in c.text for c in h.sent_to(street.telegram_id))


async def _member(db: Database, telegram_id: int) -> Member:
    async with db.session() as session:
        return (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).one()


async def test_closed_meeting_refuses_outsiders_unless_a_coordinator_allows(
    h: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t)  # only for the group
    street = await _member(db, STREET_PEOPLE[0])
    # Not invited: a forged answer from outside the group is refused.
    calls = await h.press(user(street), f"mt:a:{m.id}:y")
    assert "only for members of its group" in str([c.params for c in calls])

    cora = user(t.coordinator)
    calls = await open_invitation(h, t.coordinator, m.id)  # type: ignore[arg-type]
    await h.press(cora, calls[-1].button("Volunteers by street"))
    streets = h.app.bot_data["runtime"].profile.streets
    calls = await h.press(cora, h.last(cora.id).button(streets[0]))
    calls = await h.press(cora, calls[-1].button("Preview"))
    summary = calls[-1]
    assert "It will go to 0 people." in summary.text
    assert "3 people outside the group are left out" in summary.text
    toggle = summary.button("Outsiders may come")
    # A lead cannot open a closed meeting to outsiders, even with a forged press.
    calls = await h.press(user(t.lead), toggle)
    assert "Only a coordinator can invite people from outside the group." in str(
        [c.params for c in calls]
    )
    calls = await h.press(cora, toggle)
    summary = calls[-1]
    assert "It will go to 3 people." in summary.text
    assert "People outside the group may come" in summary.text
    await h.press(cora, summary.button("Send now"))
    await engine(h.app).wait()
    async with db.session() as session:
        broadcast = (await session.exec(select(Broadcast))).one()
    assert broadcast.outsiders_allowed and broadcast.meeting_id == m.id
    calls = await h.press(user(street), cards_to(h, street.telegram_id)[0].button("I'll come"))
    assert any("Your answer: I'll come" in c.text for c in calls)
    # The attendance list has the invited outsider who answered.
    calls = await h.press(user(t.lead), f"mt:att:{m.id}")
    assert street.display_name in str(calls[-1].buttons)


async def test_lead_invites_own_groups_and_announces_an_open_meeting(
    h: Harness, db: Database, t: Team
) -> None:
    closed = await meeting(db, t)
    lena = user(t.lead)
    calls = await h.press(lena, f"mt:v:{closed.id}")
    assert "Invite more people" in str(calls[-1].buttons)
    assert "Announce to residents" not in str(calls[-1].buttons)  # only open ones
    calls = await h.press(lena, calls[-1].button("Invite more people"))
    labels = [text for text, _data in calls[-1].buttons]
    assert "Everyone" not in labels and "All leaders" not in labels
    assert any("Playground group" in label for label in labels)
    draft_id = int(calls[-1].button("Cancel").split(":")[-1])
    # Forged audiences she may not choose are refused.
    for forged in (f"mi:add:{draft_id}:ldr", f"mi:add:{draft_id}:all", f"mi:all:{closed.id}"):
        calls = await h.press(lena, forged)
        assert any(c.method == "answerCallbackQuery" and c.params.get("show_alert") for c in calls)
    # A member of the group cannot use her draft or invite at all.
    calls = await h.press(user(t.members[0]), f"mi:m:{draft_id}")
    assert "only coordinators and group leads" in str([c.params for c in calls])

    open_one = await meeting(db, t, is_open=True, starts_in=timedelta(days=4))
    calls = await h.press(lena, f"mt:v:{open_one.id}")
    calls = await h.press(lena, calls[-1].button("Announce to residents"))
    summary = calls[-1]
    assert "You are invited" in calls[-2].text
    # Everyone registered outside the group: Otto, Cora and the two street volunteers.
    assert "It will go to 4 people." in summary.text
    assert "Outsiders may come" not in str(summary.buttons)  # open already
    await h.press(lena, summary.button("Send now"))
    await engine(h.app).wait()
    assert len(cards_to(h, STREET_PEOPLE[1])) == 1
    assert {service.spec_of(r.audience)["kind"] for r in await invitations(db)} == {"everyone"}


async def test_lead_invites_the_members_who_joined_after_the_meeting_was_scheduled(
    h: Harness, db: Database, t: Team
) -> None:
    from bot.services import meetings as meetings_service

    m = await meeting(db, t)  # only for the group
    early, late = t.members[:2], t.members[2]
    async with db.session() as session:  # the cards sent when it was scheduled
        await meetings_service.remember_cards(
            session,
            m.id,
            [(p.telegram_id, 500 + i, p.id) for i, p in enumerate(early)],  # type: ignore[arg-type]
        )
    lena = user(t.lead)
    calls = await open_invitation(h, t.lead, m.id)  # type: ignore[arg-type]
    calls = await h.press(lena, calls[-1].button("Playground group"))
    calls = await h.press(lena, calls[-1].button("Preview"))
    assert "It will go to 1 person." in calls[-1].text
    assert "Outsiders may come" not in str(calls[-1].buttons)  # not hers to decide
    await h.press(lena, calls[-1].button("Send now"))
    await engine(h.app).wait()
    assert len(cards_to(h, late.telegram_id)) == 1
    assert not any(cards_to(h, p.telegram_id) for p in early)


async def test_export_names_the_audience_of_invited_outsiders(
    h: Harness, db: Database, t: Team, tmp_path: Path
) -> None:
    from bot import i18n
    from bot.services.export import write_export
    from tests.unit.test_meeting_reports import rows_of

    m = await meeting(db, t, is_open=True)
    street = await _member(db, STREET_PEOPLE[0])
    async with db.session() as session:
        cora = await session.get(Member, t.coordinator.id)
        assert cora is not None
        streets = h.app.bot_data["runtime"].profile.streets
        spec = {"kind": "volunteers", "street": streets[0]}
        draft = await service.new_draft(session, cora, m.id, now=NOW, preselect=spec)  # type: ignore[arg-type]
        await service.start(session, cora, draft.id, now=NOW)  # type: ignore[arg-type]
    await engine(h.app).wait()
    await h.press(user(street), f"mt:a:{m.id}:y")
    path = tmp_path / "report.xlsx"
    with i18n.use_language("en"):
        await write_export(db, path, "xlsx", language="en")
    rows = {r["Full name"]: r for r in rows_of(path, "Answers and attendance")}
    assert rows[street.display_name]["Answer"] == "coming"
    assert rows[street.display_name]["Invitation sent to"] == (f"volunteers from {streets[0]}")
