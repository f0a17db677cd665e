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

from models import Group, Member, Membership, Role, utcnow
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


PREFILL: list[Prefill] = [prefill_members]


def _language(b: Bench, u: User) -> Awaitable[Any]:
    return b.press(u, f"lg:set:{b.rng.choice(['pl', 'en', 'uk'])}")


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
]
