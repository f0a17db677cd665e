"""Volunteering opportunities: posting, matching volunteers, places, sign-ups, reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.members import clean_text
from bot.services.permissions import Action, can
from models import Member, Opportunity, OpportunitySignup, ProblemArea, Volunteer, utcnow

TITLE_MAX = 120
PLACE_MAX = 200
PLACES_MAX = 500


@dataclass(frozen=True)
class SignupResult:
    opportunity: Opportunity
    taken: int  # places taken after this sign-up
    already: bool = False


async def get(
    session: AsyncSession, opportunity_id: int | None, *, lock: bool = False
) -> Opportunity:
    query = select(Opportunity).where(Opportunity.id == (opportunity_id or 0))
    if lock:  # PostgreSQL: serialise sign-ups for the last place; SQLite writes are serial anyway
        query = query.with_for_update()
    opportunity = (await session.exec(query)).first()
    if opportunity is None or opportunity.cancelled_at is not None:
        raise NotFound(N_("This opportunity no longer exists."))
    return opportunity


def clean_places(text: str | int | None) -> int:
    try:
        places = int(str(text).strip())
    except (TypeError, ValueError):
        raise InvalidInput(N_("Please send a number of places, for example 5.")) from None
    if not 1 <= places <= PLACES_MAX:
        raise InvalidInput(N_("The number of places must be between 1 and {max}."), max=PLACES_MAX)
    return places


async def create(
    session: AsyncSession,
    poster: Member,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    places: int,
    area_id: int | None,
    now: datetime | None = None,
) -> Opportunity:
    if not can(poster, Action.POST_OPPORTUNITY):
        raise NotAllowed(N_("Sorry, only coordinators can do this."))
    if starts_at <= (now or utcnow()):
        raise InvalidInput(N_("That time has already passed. Please give a time in the future."))
    if area_id is not None and await session.get(ProblemArea, area_id) is None:
        raise InvalidInput(N_("This choice is not available."))
    opportunity = Opportunity(
        title=clean_text(title, TITLE_MAX, field="title"),
        starts_at=starts_at,
        place=clean_text(place, PLACE_MAX, field="place"),
        places=clean_places(places),
        area_id=area_id,
        posted_by_id=poster.id,
    )
    session.add(opportunity)
    await session.flush()
    await record(session, poster, "opportunity.post", f"opportunity:{opportunity.id}")
    return opportunity


async def matching_members(session: AsyncSession, opportunity: Opportunity) -> list[Member]:
    """Reachable volunteers interested in the opportunity's area (all, if it has none)."""
    rows = await session.exec(
        select(Member, Volunteer.areas)
        .join(Volunteer, col(Volunteer.member_id) == col(Member.id))
        .where(Member.reachable == True)  # noqa: E712
        .order_by(col(Member.id))
    )
    slug = None
    if opportunity.area_id is not None:
        area = await session.get(ProblemArea, opportunity.area_id)
        slug = area.slug if area else None
    return [m for m, areas in rows.all() if slug is None or slug in areas]


async def taken(session: AsyncSession, opportunity_id: int) -> int:
    return (
        await session.exec(
            select(func.count()).where(OpportunitySignup.opportunity_id == opportunity_id)
        )
    ).one()


async def _signup(
    session: AsyncSession, opportunity_id: int, member: Member
) -> OpportunitySignup | None:
    return (
        await session.exec(
            select(OpportunitySignup).where(
                OpportunitySignup.opportunity_id == opportunity_id,
                OpportunitySignup.member_id == member.id,
            )
        )
    ).first()


async def sign_up(
    session: AsyncSession, opportunity_id: int, member: Member, now: datetime | None = None
) -> SignupResult:
    opportunity = await get(session, opportunity_id, lock=True)
    if opportunity.starts_at <= (now or utcnow()):
        raise InvalidInput(N_("This has already started."))
    existing = await _signup(session, opportunity_id, member)
    count = await taken(session, opportunity_id)
    if existing is not None:
        return SignupResult(opportunity, count, already=True)
    if count >= opportunity.places:
        raise InvalidInput(N_("Sorry, all places are taken. Thank you for wanting to help!"))
    session.add(OpportunitySignup(opportunity_id=opportunity_id, member_id=member.id))  # type: ignore[arg-type]
    await session.flush()
    return SignupResult(opportunity, count + 1)


async def withdraw(session: AsyncSession, opportunity_id: int, member: Member) -> bool:
    signup = await _signup(session, opportunity_id, member)
    if signup is None:
        return False
    await session.delete(signup)
    await session.flush()
    return True


async def helpers(session: AsyncSession, opportunity_id: int) -> list[tuple[Member, str | None]]:
    """Who signed up, in order, with their volunteer phone if they gave one."""
    rows = await session.exec(
        select(Member, Volunteer.phone)
        .join(OpportunitySignup, col(OpportunitySignup.member_id) == col(Member.id))
        .join(Volunteer, col(Volunteer.member_id) == col(Member.id), isouter=True)
        .where(OpportunitySignup.opportunity_id == opportunity_id)
        .order_by(col(OpportunitySignup.id))
    )
    return [(m, phone) for m, phone in rows.all()]


async def cancel(
    session: AsyncSession, opportunity_id: int, actor: Member
) -> tuple[Opportunity, list[Member]]:
    """Cancel it (no reminders any more); returns those to tell."""
    if not can(actor, Action.POST_OPPORTUNITY):
        raise NotAllowed(N_("Sorry, only coordinators can do this."))
    opportunity = await get(session, opportunity_id, lock=True)
    people = [m for m, _phone in await helpers(session, opportunity_id) if m.reachable]
    opportunity.cancelled_at = utcnow()
    session.add(opportunity)
    await record(session, actor, "opportunity.cancel", f"opportunity:{opportunity_id}")
    await session.flush()
    return opportunity, people


async def signed_up_ids(session: AsyncSession, member_id: int) -> set[int]:
    rows = await session.exec(
        select(OpportunitySignup.opportunity_id).where(OpportunitySignup.member_id == member_id)
    )
    return set(rows.all())


async def upcoming(session: AsyncSession, now: datetime | None = None) -> list[Opportunity]:
    rows = await session.exec(
        select(Opportunity)
        .where(Opportunity.starts_at > (now or utcnow()), col(Opportunity.cancelled_at).is_(None))
        .order_by(col(Opportunity.starts_at))
    )
    return list(rows.all())


async def claim_due_reminders(
    session: AsyncSession, offsets: tuple[timedelta, ...], now: datetime | None = None
) -> list[tuple[Opportunity, list[Member]]]:
    """Opportunities whose reminder is due, with those to remind; marked sent here.

    After downtime only the latest due reminder goes out (once); nothing is sent for an
    opportunity that has started. Marking before sending: a crash loses a reminder
    rather than sending it twice.
    """
    now = now or utcnow()
    due = []
    for opportunity in await upcoming(session, now):
        passed = [o for o in offsets if now >= opportunity.starts_at - o]
        fresh = [o for o in passed if int(o.total_seconds()) not in opportunity.reminders_sent]
        if not fresh:
            continue
        opportunity.reminders_sent = sorted(
            {*opportunity.reminders_sent, *(int(o.total_seconds()) for o in passed)}
        )
        session.add(opportunity)
        people = [m for m, _phone in await helpers(session, opportunity.id) if m.reachable]  # type: ignore[arg-type]
        due.append((opportunity, people))
    await session.flush()
    return due
