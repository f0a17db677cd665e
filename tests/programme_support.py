"""Shared set-up for the programme tests: the Chełmża profile's areas and teams, people with
Polish names, contributions of every kind in one area, and a meeting with answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import meetings as meetings_service
from models import (
    Answer,
    Contribution,
    Group,
    Meeting,
    Member,
    Membership,
    ProblemArea,
    Role,
)
from tests.meeting_support import NOW


async def person(
    db: Database,
    telegram_id: int,
    name: str,
    role: Role = Role.LEADER,
    institution: str = "MOPS",
    language: str = "pl",
) -> Member:
    async with db.session() as session:
        member = Member(
            telegram_id=telegram_id,
            display_name=name,
            institution=institution,
            language=language,
            role=role,
            consent_at=NOW - timedelta(days=30),
            onboarded_at=NOW - timedelta(days=30),
        )
        session.add(member)
        await session.flush()
        return member


@dataclass
class World:
    area: ProblemArea
    other_area: ProblemArea
    team: Group  # the Diagnosticians, led by `lead`
    inventors: Group
    lead: Member
    coordinator: Member
    alice: Member  # Łucja Żółkiewska, author of the cause and the idea
    bob: Member  # Grzegorz Brzęczyszczykiewicz, author of the resource
    outsider: Member
    cause: Contribution
    barrier: Contribution
    idea: Contribution
    resource: Contribution
    experience: Contribution
    far_resource: Contribution  # another area


async def world(db: Database) -> World:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    lead = await person(db, 8000, "Leokadia Lider", Role.LEAD, "Urząd Miasta Chełmży")
    coordinator = await person(db, 8001, "Kora Koordynator", Role.COORDINATOR, "CISTOR")
    alice = await person(db, 8002, "Łucja Żółkiewska", institution="Miejski Ośrodek Pomocy")
    bob = await person(db, 8003, "Grzegorz Brzęczyszczykiewicz", institution="Szkoła")
    outsider = await person(db, 8004, "Olgierd Obcy", institution="Parafia")
    async with db.session() as session:
        areas = {a.slug: a for a in (await session.exec(select(ProblemArea))).all()}
        groups = {g.slug: g for g in (await session.exec(select(Group))).all()}
        team, inventors = groups["diagnosticians"], groups["inventors"]
        team.lead_id = lead.id
        session.add(team)
        for member in (lead, alice, bob):
            session.add(Membership(member_id=member.id, group_id=team.id))
        area = areas["employment"]

        def make(kind: str, title: str, author: Member, support: int, **kw: object) -> Contribution:
            c = Contribution(
                kind=kind,
                title=title,
                author_id=author.id,
                area_id=kw.get("area_id", area.id),
                group_id=kw.get("group_id", team.id),
                support_count=support,
                status=str(kw.get("status", "new")),
            )
            session.add(c)
            return c

        cause = make("cause", "Brak pracy dla młodzieży po szkole", alice, 7)
        barrier = make("barrier", "Brak transportu do Torunia", bob, 4)
        idea = make(
            "idea", "Klub pracy w bibliotece", alice, 9, status="accepted", group_id=inventors.id
        )
        resource = make("resource", "Sala w bibliotece miejskiej", bob, 5)
        experience = make("experience", "Staże z PUP w 2023 r.", bob, 2)
        far = make("resource", "Boisko przy szkole", bob, 1, area_id=areas["youth"].id)
        await session.flush()
        return World(
            area,
            areas["youth"],
            team,
            inventors,
            lead,
            coordinator,
            alice,
            bob,
            outsider,
            cause,
            barrier,
            idea,
            resource,
            experience,
            far,
        )


async def meeting_with_answers(db: Database, w: World) -> Meeting:
    """A meeting of the Diagnosticians in three days: Łucja yes, Grzegorz maybe, Olgierd no."""
    async with db.session() as session:
        draft = meetings_service.MeetingDraft(
            group_id=w.team.id,  # type: ignore[arg-type]
            topic="Diagnoza: bezrobocie młodzieży",
            place="Biblioteka, ul. Hallera 12",
            starts_at=NOW + timedelta(days=3),
        )
        meeting = await meetings_service.create_meeting(session, w.lead, draft, now=NOW)
    async with db.session() as session:
        await meetings_service.answer(session, w.alice, meeting.id, Answer.YES, now=NOW)  # type: ignore[arg-type]
        await meetings_service.answer(session, w.bob, meeting.id, Answer.MAYBE, now=NOW)  # type: ignore[arg-type]
        # Olgierd is not in the group: his "no" goes straight into the table.
        from models import Rsvp

        session.add(Rsvp(meeting_id=meeting.id, member_id=w.outsider.id, answer=Answer.NO))
    return meeting
