"""A small world for the panel's tests: a coordinator, a lead, a leader and a resident,
contributions in two groups, a meeting with answers, a volunteer; a programme (linked
contributions and an action) around it; and signed initData."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from bot.panel.auth import sign
from models import (
    ActionIndicator,
    ActionNote,
    Answer,
    Contribution,
    ContributionLink,
    Group,
    Meeting,
    Member,
    Membership,
    ProblemArea,
    ProgrammeAction,
    Role,
    Rsvp,
    Volunteer,
    utcnow,
)
from tests.conftest import TOKEN

COORDINATOR, LEAD, LEADER, RESIDENT, STRANGER = 700001, 700002, 700003, 700004, 700005
PANEL_URL = "https://panel.example.org/"


def init_data(telegram_id: int, *, token: str = TOKEN, age: int = 0, language: str = "en") -> str:
    import time

    user = {"id": telegram_id, "first_name": "Test", "language_code": language}
    return sign(user, token, auth_date=int(time.time()) - age)


def auth(telegram_id: int, **options: Any) -> dict[str, str]:
    return {"Authorization": "tma " + init_data(telegram_id, **options)}


@dataclass
class World:
    coordinator: Member
    lead: Member
    leader: Member
    resident: Member
    own_group: Group  # led by `lead`
    other_group: Group
    idea: Contribution  # by `leader`, in own_group, new
    barrier: Contribution  # by `leader`, in other_group, new
    meeting: Meeting


async def build_world(db: Any) -> World:
    now = utcnow()
    async with db.session() as session:

        def person(telegram_id: int, name: str, role: Role) -> Member:
            member = Member(
                telegram_id=telegram_id,
                display_name=name,
                role=role,
                language="en",
                consent_at=now,
                onboarded_at=now,
            )
            session.add(member)
            return member

        coordinator = person(COORDINATOR, "Clara Coordinator", Role.COORDINATOR)
        lead = person(LEAD, "Leon Lead", Role.LEAD)
        leader = person(LEADER, "Lena Leader", Role.LEADER)
        resident = person(RESIDENT, "Rita Resident", Role.RESIDENT)
        session.add(Member(telegram_id=STRANGER))  # started the bot, never consented
        await session.flush()
        own = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        other = (await session.exec(select(Group).where(Group.slug == "mediators"))).one()
        area = (await session.exec(select(ProblemArea))).first()
        assert area is not None
        own.lead_id = lead.id
        session.add(own)
        session.add(Membership(member_id=leader.id, group_id=own.id))  # type: ignore[arg-type]
        session.add(Membership(member_id=lead.id, group_id=own.id))  # type: ignore[arg-type]
        idea = Contribution(
            kind="idea",
            title="Seniors' café in the library",
            details={"for_whom": "seniors", "first_step": "ask the library"},
            area_id=area.id,
            group_id=own.id,
            author_id=leader.id,
        )
        barrier = Contribution(
            kind="barrier",
            title="No ramp at the clinic",
            details={"where": "clinic", "remover": "the town"},
            area_id=area.id,
            group_id=other.id,
            author_id=leader.id,
        )
        session.add_all([idea, barrier])
        starts = (now + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
        meeting = Meeting(
            group_id=own.id,  # type: ignore[arg-type]
            topic="Planning the café",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            place="Library, room 2",
        )
        session.add(meeting)
        await session.flush()
        session.add(Rsvp(meeting_id=meeting.id, member_id=leader.id, answer=Answer.YES))  # type: ignore[arg-type]
        session.add(
            Volunteer(
                member_id=resident.id,  # type: ignore[arg-type]
                name="Rita Resident",
                phone="+48 600 100 200",
                street=None,
                skills="cooking, tutoring",
                areas=[area.slug],
                availability=["evening"],
            )
        )
        await session.flush()
        return World(coordinator, lead, leader, resident, own, other, idea, barrier, meeting)


@dataclass
class Programme:
    """Around `World`: causes, barriers, ideas and resources in two areas (and none), some
    linked, one rejected; an accepted idea turned into an action, two more waiting."""

    cause: Contribution  # addressed by `idea`
    lonely_cause: Contribution  # no idea addresses it
    idea: Contribution  # accepted, own group: the action's idea
    ready: Contribution  # accepted, own group, no action yet
    elsewhere: Contribution  # accepted, other group, no action yet
    action: ProgrammeAction


async def build_programme(db: Any, world: World) -> Programme:
    async with db.session() as session:
        areas = list((await session.exec(select(ProblemArea).order_by(ProblemArea.id))).all())
        first, second = areas[0].id, areas[1].id
        own, other = world.own_group.id, world.other_group.id
        author = world.leader.id

        def made(kind: str, title: str, area: int | None, **fields: Any) -> Contribution:
            c = Contribution(
                kind=kind, title=title, details={}, area_id=area, author_id=author, **fields
            )
            session.add(c)
            return c

        cause = made("cause", "Few jobs for young people", first, support_count=7)
        lonely = made("cause", "Long commutes to the town", first, support_count=2)
        made("cause", "Rejected cause", first, status="rejected", support_count=50)
        barrier = made("barrier", "No bus in the evening", first, support_count=1)
        idea = made("idea", "Job fair at the school", first, status="accepted", group_id=own)
        ready = made(
            "idea", "Evening bus line", first, status="accepted", group_id=own, support_count=3
        )
        elsewhere = made("idea", "Repair café", second, status="accepted", group_id=other)
        resource = made("resource", "The school's gym", first, support_count=4)
        made("experience", "A fair in 2019", None)
        await session.flush()
        links = [(cause, idea), (barrier, idea), (barrier, cause), (resource, idea)]
        rejected = (
            await session.exec(select(Contribution).where(Contribution.status == "rejected"))
        ).one()
        links.append((rejected, ready))
        for a, b in links:
            low, high = sorted((a.id, b.id))  # type: ignore[type-var]
            session.add(ContributionLink(first_id=low, second_id=high))
        action = ProgrammeAction(
            contribution_id=idea.id,
            group_id=own,
            title=idea.title,
            goal="Forty young people meet employers",
            partners=["Labour office", "School"],
            start_month="2027-03",
            status="in_progress",
            progress=40,
        )
        session.add(action)
        await session.flush()
        session.add(
            ActionIndicator(
                action_id=action.id, name="participants", target=40, unit="people", achieved=12
            )
        )  # type: ignore[arg-type]
        session.add(
            ActionNote(action_id=action.id, noted_on=date(2027, 3, 2), text="Booked the hall")
        )  # type: ignore[arg-type]
        await session.flush()
        return Programme(cause, lonely, idea, ready, elsewhere, action)


async def add_titles(db: Any, *titles: str) -> list[int]:
    """New ideas with these titles (for the search), their ids in order."""
    async with db.session() as session:
        rows = [Contribution(kind="idea", title=t, details={}) for t in titles]
        session.add_all(rows)
        await session.flush()
        return [c.id for c in rows if c.id is not None]


async def map_checked_against_rules(db: Any) -> list[Any]:
    """The problem map (the panel's page and the chat's /map), after checking it against the
    map's rules written plainly (tests/map_rules.py) area by area: the counts, the listed
    loose ends with their totals, the chains in order, and each area's picture (the most
    supported of each kind drawn and the links between them)."""
    from bot.documents.map_picture import COLUMNS, PER_COLUMN
    from bot.i18n import use_language
    from bot.services import problem_map as map_service
    from tests.map_rules import plain_map

    def ids(nodes: list[Any]) -> list[int]:
        return [n.id for n in nodes]

    def chain(c: Any) -> list[int | None]:
        return [n.id if n else None for n in (c.cause, c.barrier, c.idea, c.resource)]

    with use_language("en"):
        async with db.session() as session:
            rules = await plain_map(session, language="en")
            found = await map_service.problem_map(session, "en")
            pictures = [
                await map_service.area_picture(session, a.area_id, COLUMNS, PER_COLUMN, "en")
                for a in found
            ]
    assert [a.name for a in found] == [a.name for a in rules]
    for ours, theirs, picture in zip(found, rules, pictures, strict=True):
        assert ours.counts == theirs.counts
        for listed, full in (
            (ours.orphan_causes, theirs.orphan_causes),
            (ours.ideas_without_resource, theirs.ideas_without_resource),
        ):
            assert listed.total == len(full)
            assert ids(listed.nodes) == ids(full[: map_service.LIST_LIMIT])
        assert [chain(c) for c in ours.chains] == [chain(c) for c in theirs.chains]
        assert [c.support for c in ours.chains] == [c.support for c in theirs.chains]
        assert picture is not None and picture.counts == theirs.counts
        drawn = [n for n in theirs.nodes if n.kind in COLUMNS]
        drawn = [n for k in COLUMNS for n in [d for d in drawn if d.kind == k][:PER_COLUMN]]
        assert sorted(ids(picture.nodes)) == sorted(ids(drawn))
        assert picture.edges == [(a, b) for a, b in theirs.edges if {a, b} <= set(ids(drawn))]
    return found


async def demote(db: Any, telegram_id: int, world: World) -> None:
    """The member becomes a plain leader; the world's own group loses its lead."""
    from bot.services import members as members_service

    async with db.session() as session:
        member = await members_service.get_by_telegram_id(session, telegram_id)
        assert member is not None
        await members_service.set_role(session, member, Role.LEADER)
        group = world.own_group
        group.lead_id = None
        session.add(group)


async def speaks(db: Any, telegram_id: int, language: str) -> None:
    """The member chose `language` in the bot."""
    from bot.services import members as members_service

    async with db.session() as session:
        member = await members_service.get_by_telegram_id(session, telegram_id)
        assert member is not None
        await members_service.set_language(session, member, language)
