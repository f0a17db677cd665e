"""What the throughput benchmark sends: the one place to add a feature's steps and data.

A `Scenario` is what one user does in a row (each `Step` feeds exactly one update and is
timed on its own); `SCENARIOS` is the mix, weighted. `PREFILL` functions fill the database
before the run (members first; a feature appends its own: contributions, meetings...).

To add a feature, e.g. browsing:

    SCENARIOS.append(Scenario("browse", (
        Step("/browse", lambda b, u: b.send(u, "/browse")),
        Step("browse page", lambda b, u: b.press(u, "br:p:idea:0:1")),
    ), weight=3))
    PREFILL.append(prefill_contributions)   # async (session, rng, members) -> None
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Contribution,
    Group,
    Meeting,
    Member,
    Membership,
    ProblemArea,
    Role,
    Rsvp,
    utcnow,
)
from tests.harness import User

if TYPE_CHECKING:
    from benchmarks.throughput import Bench

Who = Literal["newcomer", "member", "coordinator"]


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Bench, User], Awaitable[Any]]


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    weight: int = 1
    who: Who = "member"  # newcomer: a Telegram user the bot has never seen


@dataclass
class Population:
    """Who is in the pre-filled database, by role: Telegram ids to pick users from."""

    members: list[int] = field(default_factory=list)
    coordinators: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)  # database ids, for feature prefills
    group_ids: list[int] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    idea_ids: list[int] = field(default_factory=list)  # a sample, to support
    meeting_ids: list[int] = field(default_factory=list)  # open, in the future: to answer


Prefill = Callable[[AsyncSession, random.Random, Population], Awaitable[None]]

MEMBERS = 10_000
FIRST_TELEGRAM_ID = 10_000_000


async def prefill_members(session: AsyncSession, rng: random.Random, people: Population) -> None:
    """10,000 registered members (a few coordinators and leads) and their team memberships."""
    now = utcnow()
    rows = []
    for i in range(MEMBERS):
        role = (
            Role.COORDINATOR
            if i < 20
            else Role.LEAD
            if i < 100
            else Role.LEADER
            if i < 2_000
            else Role.RESIDENT
        )
        rows.append(
            {
                "telegram_id": FIRST_TELEGRAM_ID + i,
                "display_name": f"Member {i}",
                "institution": rng.choice([None, "MOPS", "PUP", "Biblioteka"]),
                "language": rng.choice(["pl", "pl", "pl", "en", "uk"]),
                "role": role.value,
                "consent_at": now - timedelta(days=rng.randint(0, 300)),
                "reachable": True,
                "created_at": now - timedelta(days=300),
            }
        )
        (people.coordinators if role == Role.COORDINATOR else people.members).append(
            FIRST_TELEGRAM_ID + i
        )
    await (await session.connection()).execute(insert(Member), rows)
    people.member_ids = list((await session.exec(select(Member.id))).all())  # type: ignore[arg-type]
    groups = list((await session.exec(select(Group.id))).all())
    if groups:
        memberships = [
            {"member_id": member_id, "group_id": group_id, "status": "member", "joined_at": now}
            for member_id in people.member_ids[: MEMBERS // 2]
            for group_id in rng.sample(groups, k=min(2, len(groups)))
        ]
        await (await session.connection()).execute(insert(Membership), memberships)


CONTRIBUTIONS = 100_000


async def prefill_contributions(
    session: AsyncSession, rng: random.Random, people: Population
) -> None:
    """100,000 contributions over two years (the bulk filler of benchmarks/browse.py)."""
    from benchmarks.browse import insert_contributions

    conn = await session.connection()
    await insert_contributions(conn, rng, CONTRIBUTIONS, people.member_ids)
    people.group_ids = list((await session.exec(select(Group.id))).all())  # type: ignore[arg-type]
    people.area_ids = list((await session.exec(select(ProblemArea.id))).all())  # type: ignore[arg-type]
    ideas = select(Contribution.id).where(Contribution.kind == "idea").limit(5_000)
    people.idea_ids = list((await session.exec(ideas)).all())  # type: ignore[arg-type]


MEETINGS = 2_000
ANSWERS_PER_MEETING = 10


async def prefill_meetings(session: AsyncSession, rng: random.Random, people: Population) -> None:
    """2,000 meetings over the next months (open to everyone), with 10 answers each."""
    now = utcnow()
    rows = []
    for i in range(MEETINGS):
        starts = now + timedelta(days=1 + i % 180, hours=rng.randint(8, 18))
        rows.append(
            {
                "group_id": rng.choice(people.group_ids),
                "topic": f"Meeting {i} about the neighbourhood",
                "area_id": rng.choice(people.area_ids),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=90),
                "place": "Community centre, room 2",
                "capacity": None if i % 4 else 40,
                "is_open": True,
                "status": "scheduled",
                "revision": 1,
                "scheduled_at": now,
                "created_by_id": rng.choice(people.member_ids[:100]),
                "created_at": now,
            }
        )
    await (await session.connection()).execute(insert(Meeting), rows)
    people.meeting_ids = list((await session.exec(select(Meeting.id))).all())  # type: ignore[arg-type]
    answers = [
        {
            "meeting_id": meeting_id,
            "member_id": member_id,
            "answer": rng.choice(["yes", "yes", "maybe", "no"]),
            "answered_at": now,
        }
        for meeting_id in people.meeting_ids
        for member_id in rng.sample(people.member_ids, ANSWERS_PER_MEETING)
    ]
    await (await session.connection()).execute(insert(Rsvp), answers)


PREFILL: list[Prefill] = [prefill_members, prefill_contributions, prefill_meetings]
# What the pre-fill left for the steps to point at: the benchmark's Population of the run.
FILLED = Population()


def _language(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"lg:set:{b.rng.choice(['pl', 'en', 'uk'])}")


def _browse_filter(b: Bench, u: User) -> Awaitable[Any]:
    """Ideas in one problem area, most supported first (kind:area:group:status:sort:page)."""
    return b.press(u, f"ct:b:i:{b.rng.choice(FILLED.area_ids)}:-:-:s:0")


def _group_page(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"gr:p:{b.rng.choice(FILLED.group_ids)}:0")


_joined: dict[int, int] = {}  # user -> the group they just joined, to leave it again


def _join(b: Bench, u: User) -> Awaitable[Any]:
    _joined[u.id] = b.rng.choice(FILLED.group_ids)
    return b.press(u, f"gr:j:{_joined[u.id]}")


def _leave(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"gr:l:{_joined.pop(u.id)}")


def _support(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"ct:sp:{b.rng.choice(FILLED.idea_ids)}")


def _invitation_answer(b: Bench, u: User) -> Awaitable[Any]:
    choice = b.rng.choice(["y", "y", "m", "n"])
    return b.press(u, f"mt:a:{b.rng.choice(FILLED.meeting_ids)}:{choice}")


def _idea_area(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"ct:a:{b.rng.choice(FILLED.area_ids)}")


def _idea_group(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"ct:g:{b.rng.choice(FILLED.group_ids)}")


SCENARIOS: list[Scenario] = [
    Scenario(
        "onboarding",
        (
            Step("/start (newcomer)", lambda b, u: b.send(u, "/start")),
            Step("consent", lambda b, u: b.press(u, "ob:consent:y")),
            Step("name", lambda b, u: b.send(u, "Anna Kowalska")),
            Step("institution", lambda b, u: b.press(u, "ob:inst:0")),
        ),
        weight=2,
        who="newcomer",
    ),
    Scenario("menu", (Step("/start (member)", lambda b, u: b.send(u, "/start")),), weight=4),
    Scenario("help", (Step("/help", lambda b, u: b.send(u, "/help")),), weight=2),
    Scenario(
        "language",
        (
            Step("/language", lambda b, u: b.send(u, "/language")),
            Step("language choice", _language),
        ),
    ),
    Scenario("stale", (Step("stale button", lambda b, u: b.press(u, "zz:gone:12345")),)),
    Scenario(
        "invites",
        (
            Step("/invite (coordinator)", lambda b, u: b.send(u, "/invite")),
            Step("active invites", lambda b, u: b.press(u, "iv:ls")),
        ),
        who="coordinator",
    ),
    Scenario(
        "browse",
        (
            Step("/browse", lambda b, u: b.send(u, "/browse")),
            Step("browse next page", lambda b, u: b.press(u, "ct:b:-:-:-:-:n:1")),
            Step("browse filter", _browse_filter),
        ),
        weight=3,
    ),
    Scenario(
        "support",
        (Step("support idea", _support),),
        weight=2,
    ),
    Scenario(
        "group page",
        (Step("group page", _group_page),),
        weight=2,
    ),
    Scenario(
        "idea",
        (
            Step("/idea", lambda b, u: b.send(u, "/idea")),
            Step("idea: title", lambda b, u: b.send(u, "A bench by the bus stop")),
            Step("idea: for whom", lambda b, u: b.send(u, "Older people waiting for the bus")),
            Step("idea: first step", lambda b, u: b.send(u, "Ask the district office")),
            Step("idea: area", _idea_area),
            Step("idea: group", _idea_group),
            Step("idea: no attachment", lambda b, u: b.press(u, "ct:ns")),
            Step("idea: send", lambda b, u: b.press(u, "ct:send")),
        ),
    ),
    Scenario(
        "invitation answers",
        (
            Step("invitation answer", _invitation_answer),
            Step("invitation answer again", _invitation_answer),
        ),
        weight=2,
    ),
    Scenario(
        "join and leave",
        (
            Step("join group", _join),
            Step("leave group", _leave),
        ),
    ),
]
