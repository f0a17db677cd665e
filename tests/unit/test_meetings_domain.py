"""Meetings on the real database: who may schedule, answers, waiting list, follow-up, polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.services import meetings as service
from bot.services.errors import InvalidInput, NotAllowed
from models import Answer, PollStatus
from tests.meeting_support import NOW, WARSAW, meeting, team


async def test_only_the_lead_or_a_coordinator_schedules(db: Database) -> None:
    t = await team(db)
    draft = service.MeetingDraft(
        group_id=t.group.id,  # type: ignore[arg-type]
        topic="Budget",
        place="Library",
        starts_at=NOW + timedelta(days=1),
    )
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.create_meeting(session, t.outsider, draft, now=NOW)
        with pytest.raises(NotAllowed):
            await service.create_meeting(session, t.members[0], draft, now=NOW)
        assert await service.schedulable_groups(session, t.outsider) == []
        by_coordinator = await service.create_meeting(session, t.coordinator, draft, now=NOW)
        assert by_coordinator.id is not None
        by_lead = await service.create_meeting(session, t.lead, draft, now=NOW)
        assert by_lead.ends_at - by_lead.starts_at == timedelta(minutes=90)


async def test_past_times_and_bad_details_are_refused(db: Database) -> None:
    t = await team(db)
    async with db.session() as session:
        with pytest.raises(InvalidInput):
            await service.create_meeting(
                session,
                t.lead,
                service.MeetingDraft(
                    group_id=t.group.id,  # type: ignore[arg-type]
                    topic="Late",
                    place="x",
                    starts_at=NOW - timedelta(minutes=1),
                ),
                now=NOW,
            )
        with pytest.raises(InvalidInput):
            await service.create_meeting(
                session,
                t.lead,
                service.MeetingDraft(
                    group_id=t.group.id,  # type: ignore[arg-type]
                    topic="Crowd",
                    place="x",
                    starts_at=NOW + timedelta(days=1),
                    capacity=0,
                ),
                now=NOW,
            )


async def test_waiting_list_is_promoted_in_order(db: Database) -> None:
    t = await team(db, size=4)
    m = await meeting(db, t, capacity=2)
    a, b, c, d = t.members
    async with db.session() as session:
        for who in (a, b):
            result = await service.answer(session, who, m.id, Answer.YES, now=NOW)
            assert result.rsvp.answer == Answer.YES
        waiting_c = await service.answer(session, c, m.id, Answer.YES, now=NOW)
        waiting_d = await service.answer(session, d, m.id, Answer.YES, now=NOW)
        assert waiting_c.rsvp.answer == Answer.WAITING
        assert await service.waiting_position(session, waiting_d.rsvp) == 2
        # Pressing "I'll come" again keeps the place in the queue.
        again = await service.answer(session, c, m.id, Answer.YES, now=NOW)
        assert again.rsvp.answer == Answer.WAITING and again.promoted == []
        freed = await service.answer(session, a, m.id, Answer.NO, now=NOW)
        assert [p.id for p in freed.promoted] == [c.id]
        counts = await service.counts(session, m.id)  # type: ignore[arg-type]
        assert counts[Answer.YES] == 2 and counts[Answer.WAITING] == 1
        d_now = await service.my_answer(session, m.id, d.id)  # type: ignore[arg-type]
        assert d_now is not None and await service.waiting_position(session, d_now) == 1
        # A "maybe" from someone with a place frees it too.
        freed = await service.answer(session, b, m.id, Answer.MAYBE, now=NOW)
        assert [p.id for p in freed.promoted] == [d.id]


async def test_answers_close_at_the_start_and_closed_groups_stay_closed(db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=2))
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.answer(session, t.outsider, m.id, Answer.YES, now=NOW)
        await service.answer(session, t.members[0], m.id, Answer.NO, now=NOW)
        with pytest.raises(InvalidInput):
            await service.answer(
                session, t.members[0], m.id, Answer.YES, now=NOW + timedelta(hours=2)
            )


async def test_open_meetings_are_listed_for_outsiders(db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, is_open=True)
    async with db.session() as session:
        assert [x.id for x in await service.open_meetings(session, t.outsider, now=NOW)] == [m.id]
        await service.answer(session, t.outsider, m.id, Answer.YES, now=NOW)
        assert await service.open_meetings(session, t.outsider, now=NOW) == []
        mine = await service.upcoming_for(session, t.outsider, now=NOW)
        assert [(x.id, r.answer if r else None) for x, r in mine] == [(m.id, Answer.YES)]


async def test_reminder_claims_are_unique(db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t)
    recipients = [(p.telegram_id, p.id) for p in t.members]
    async with db.session() as session:
        first = await service.claim_reminders(session, m, 3600, recipients, now=NOW)
    async with db.session() as session:
        second = await service.claim_reminders(session, m, 3600, recipients, now=NOW)
        other_offset = await service.claim_reminders(session, m, 86400, recipients[:1], now=NOW)
    assert first == {p.telegram_id for p in t.members}
    assert second == set()
    assert other_offset == {t.members[0].telegram_id}


async def test_check_in_window_and_attendance(db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=2))
    a, b, _c = t.members
    async with db.session() as session:
        with pytest.raises(InvalidInput):
            await service.check_in(session, a, m.id, now=NOW)  # two hours early
        start = m.starts_at
        rsvp = await service.check_in(session, a, m.id, now=start - timedelta(minutes=20))
        assert rsvp.checked_in_at == start - timedelta(minutes=20)
        with pytest.raises(NotAllowed):
            await service.mark_attendance(session, a, m.id, b.id, True, now=start)
        await service.mark_attendance(session, t.lead, m.id, b.id, True, now=start)
        present = await service.present(session, m.id)  # type: ignore[arg-type]
        assert [p.display_name for p, _r in present] == ["Member 1", "Member 2"]
        with pytest.raises(InvalidInput):
            await service.check_in(session, a, m.id, now=m.ends_at + timedelta(minutes=1))


async def test_followup_asked_once_and_items_need_a_group_owner(db: Database) -> None:
    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=1))
    after = m.ends_at + timedelta(minutes=5)
    async with db.session() as session:
        assert await service.claim_followup(session, m.id, now=after)  # type: ignore[arg-type]
        assert not await service.claim_followup(session, m.id, now=after)  # type: ignore[arg-type]
        await service.set_summary(session, t.lead, m.id, "We chose the benches.")  # type: ignore[arg-type]
        today = after.astimezone(WARSAW).date()
        with pytest.raises(InvalidInput):
            await service.add_action_item(
                session,
                t.lead,
                m.id,
                text="x",
                owner_id=t.outsider.id,
                due_on=today,
                today=today,  # type: ignore[arg-type]
            )
        item = await service.add_action_item(
            session,
            t.lead,
            m.id,  # type: ignore[arg-type]
            text="Ask ZGM for benches",
            owner_id=t.members[0].id,  # type: ignore[arg-type]
            due_on=today + timedelta(days=1),
            today=today,
        )
        due = await service.items_to_remind(session, today=today)
        assert [i.id for i in due] == [item.id]
        assert await service.claim_item_reminder(session, item.id, now=after)  # type: ignore[arg-type]
        assert not await service.claim_item_reminder(session, item.id, now=after)  # type: ignore[arg-type]
        with pytest.raises(NotAllowed):
            await service.mark_done(session, t.members[1], item.id, now=after)  # type: ignore[arg-type]
        done = await service.mark_done(session, t.members[0], item.id, now=after)  # type: ignore[arg-type]
        assert done.done_at == after


async def test_date_poll_with_three_candidates_becomes_a_meeting(db: Database) -> None:
    t = await team(db)
    times = [NOW + timedelta(days=d, hours=5) for d in (1, 2, 3)]
    draft = service.MeetingDraft(
        group_id=t.group.id,  # type: ignore[arg-type]
        topic="Which evening?",
        place="Library",
        candidates=times,
        capacity=10,
    )
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.create_poll(session, t.outsider, draft, now=NOW)
        poll = await service.create_poll(session, t.lead, draft, now=NOW)
        tallies = await service.poll_tallies(session, poll.id)  # type: ignore[arg-type]
        assert [o.starts_at for o, _v in tallies] == times
        second = tallies[1][0]
        for who in t.members:
            await service.toggle_vote(session, who, second.id)  # type: ignore[arg-type]
        _poll, ticked = await service.toggle_vote(session, t.members[0], second.id)  # type: ignore[arg-type]
        assert ticked is False  # pressing again unticks
        tallies = await service.poll_tallies(session, poll.id)  # type: ignore[arg-type]
        assert [len(v) for _o, v in tallies] == [0, 2, 0]
        created = await service.decide_poll(session, t.lead, second.id, now=NOW)  # type: ignore[arg-type]
        assert created.starts_at == times[1] and created.capacity == 10
        closed = await service.get_poll(session, poll.id)
        assert closed.status == PollStatus.DECIDED and closed.meeting_id == created.id
        with pytest.raises(InvalidInput):
            await service.toggle_vote(session, t.members[0], second.id)  # type: ignore[arg-type]


async def test_poll_needs_two_to_five_times(db: Database) -> None:
    t = await team(db)
    async with db.session() as session:
        for n in (1, 6):
            draft = service.MeetingDraft(
                group_id=t.group.id,  # type: ignore[arg-type]
                topic="t",
                place="p",
                candidates=[NOW + timedelta(days=i + 1) for i in range(n)],
            )
            with pytest.raises(InvalidInput):
                await service.create_poll(session, t.lead, draft, now=NOW)


async def test_meetings_at_0230_on_clock_change_sundays(db: Database) -> None:
    """Stored in UTC, shown back in Warsaw time; the .ics carries the zone."""
    from bot.dateparse import parse_when
    from handlers.meetings.files import ics_file

    t = await team(db)
    cases = [
        (datetime(2026, 3, 1, tzinfo=UTC), "29.03 2:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (
            datetime(2026, 10, 1, tzinfo=UTC),
            "25.10 2:30",
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
    ]
    for now, typed, expected in cases:
        starts = parse_when(typed, "pl", now=now, tz=WARSAW)
        async with db.session() as session:
            draft = service.MeetingDraft(
                group_id=t.group.id,  # type: ignore[arg-type]
                topic="Night walk",
                place="Park",
                starts_at=starts,
            )
            created = await service.create_meeting(session, t.lead, draft, now=now)
        async with db.session() as session:
            stored = await service.get(session, created.id)
        assert stored.starts_at == expected
        ics = ics_file(stored, t.group, WARSAW, "bot").decode()
        assert "TZID=Europe/Warsaw" in ics and "BEGIN:VTIMEZONE" in ics
        local = expected.astimezone(WARSAW)
        assert f"DTSTART;TZID=Europe/Warsaw:{local:%Y%m%dT%H%M%S}" in ics


async def test_attendance_xlsx_lists_names_institutions_and_local_check_in(db: Database) -> None:
    import io

    from openpyxl import load_workbook

    from bot.documents.attendance_xlsx import attendance_xlsx

    t = await team(db)
    m = await meeting(db, t, starts_in=timedelta(hours=1))
    async with db.session() as session:
        await service.check_in(session, t.members[0], m.id, now=m.starts_at)  # type: ignore[arg-type]
        rows = await service.present(session, m.id)  # type: ignore[arg-type]
    book = load_workbook(io.BytesIO(attendance_xlsx(m, t.group, rows, WARSAW)))
    values = [tuple(r) for r in book.active.iter_rows(values_only=True)]
    assert ("Spotkanie", "Playground repairs") in [v[:2] for v in values]  # default: Polish
    person = next(v for v in values if v[1] == "Member 1")
    assert person[2] == "MOPS"
    assert person[3] == m.starts_at.astimezone(WARSAW).replace(tzinfo=None)
