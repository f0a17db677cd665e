"""/mydata holds only the requester's data: no other people behind actor columns, no live
invite codes; drafts are counted only when real."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.db import Database
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services import privacy
from models import Answer, Group, Meeting, Member, Role, Rsvp, utcnow


async def _person(session: object, telegram_id: int, name: str, role: Role) -> Member:
    member = await members_service.ensure_member(session, telegram_id)  # type: ignore[arg-type]
    member.consent_at, member.display_name, member.role = utcnow(), name, role.value
    session.add(member)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    return member


async def test_a_leads_file_has_no_other_members_attendance_and_no_invite_codes(
    db: Database,
) -> None:
    async with db.session() as session:
        lead = await _person(session, 1001, "Lea", Role.COORDINATOR)
        other = await _person(session, 1002, "Olga Ktoś", Role.RESIDENT)
        group = Group(slug="g-privacy", kind="small", name="Ławki", names={})
        session.add(group)
        await session.flush()
        meeting = Meeting(
            group_id=group.id,  # type: ignore[arg-type]
            topic="Ławki",
            starts_at=utcnow() + timedelta(days=1),
            ends_at=utcnow() + timedelta(days=1, hours=1),
            place="Świetlica",
            created_by_id=lead.id,
        )
        session.add(meeting)
        await session.flush()
        session.add(
            Rsvp(
                meeting_id=meeting.id,  # type: ignore[arg-type]
                member_id=other.id,  # type: ignore[arg-type]
                answer=Answer.YES,
                marked_by_id=lead.id,
                checked_in_at=utcnow(),
            )
        )
        invite = await invites_service.create_invite(session, role=Role.COORDINATOR)
        invite.created_by_id = lead.id
        session.add(invite)
        await session.flush()
        code = invite.code
        data = await privacy.personal_data(session, lead)
    dumped = data.as_json().decode()
    assert code not in dumped, "a live invite code left the database"
    marked = data.tables["meeting_answers.marked_by_id"]
    assert marked and all("member_id" not in row and "answer" not in row for row in marked)
    assert str(other.id) not in {str(v) for row in marked for v in row.values()} - {
        str(lead.id),
        str(meeting.id),
        str(marked[0]["id"]),
    }
    assert "Olga" not in dumped


async def test_drafts_are_counted_only_when_real(db: Database) -> None:
    data = privacy.PersonalData(
        member={},
        bot_state=[
            {"kind": "user", "key": "1", "data": {}, "updated_at": None},
            {"kind": "conv:onboarding", "key": "[1, 1]", "data": None, "updated_at": None},
        ],
    )
    assert privacy.unfinished_drafts(data) == 0
    data.bot_state.append(
        {"kind": "user", "key": "1", "data": {"contribution_draft": {"t": 1}}, "updated_at": None}
    )
    data.bot_state.append({"kind": "conv:idea", "key": "[1, 1]", "data": 2, "updated_at": None})
    assert privacy.unfinished_drafts(data) == 2
    async with db.session() as session:
        assert (await session.exec(select(Member))).all() == []
