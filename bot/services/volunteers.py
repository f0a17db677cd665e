"""Volunteers: a resident's offer of help, and the coordinators' search through them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import members as members_service
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.members import clean_name, clean_text
from bot.services.rows import get_or_gone
from bot.services.rows import save as save_row
from models import AVAILABILITY, BroadcastRecipient, Member, OpportunitySignup, Volunteer, utcnow

SKILLS_MAX = 500
PHONE_MAX = 32
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,}$")


@dataclass
class Draft:
    """What the sign-up conversation collects (kept in user_data between steps)."""

    name: str = ""
    phone: str | None = None
    street: str | None = None
    skills: str = ""
    areas: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Draft:
        draft = cls()
        for key, value in (data or {}).items():
            if hasattr(draft, key):
                setattr(draft, key, value)
        return draft

    @classmethod
    def from_volunteer(cls, volunteer: Volunteer) -> Draft:
        return cls(
            name=volunteer.name,
            phone=volunteer.phone,
            street=volunteer.street,
            skills=volunteer.skills,
            areas=list(volunteer.areas),
            availability=list(volunteer.availability),
        )


def clean_phone(text: str | None, region: str = "PL") -> str:
    """A typed or shared number, validated and normalised to the international form
    (+48600100200): "600 100 200", "+48 600100200" and "0048 600-100-200" are one number."""
    import phonenumbers  # only the volunteer sign-up needs its metadata

    phone = clean_text(text, PHONE_MAX, field="phone")
    if not _PHONE.match(phone):
        raise InvalidInput(N_("That does not look like a phone number."))
    candidate = "+" + phone[2:] if phone.startswith("00") else phone
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(N_("That does not look like a phone number.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            N_(
                "That number does not look complete. Please type it with all its digits, "
                "for example 600 100 200 or +48 600 100 200."
            )
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def clean_skills(text: str | None) -> str:
    return clean_text(text, SKILLS_MAX, field="skills")


def toggle(values: list[str], value: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    """Add or remove one choice of a multi-select, keeping the allowed order."""
    if value not in allowed:
        raise InvalidInput(N_("This choice is not available."))
    chosen = set(values) ^ {value}
    return [v for v in allowed if v in chosen]


async def get_for_member(session: AsyncSession, member_id: int) -> Volunteer | None:
    return (await session.exec(select(Volunteer).where(Volunteer.member_id == member_id))).first()


async def get(session: AsyncSession, volunteer_id: int | None) -> Volunteer:
    return await get_or_gone(session, Volunteer, volunteer_id, N_("This volunteer has withdrawn."))


async def with_member(session: AsyncSession, volunteer_id: int | None) -> tuple[Volunteer, Member]:
    """A volunteer's profile and the member behind it (to write to them)."""
    volunteer = await get(session, volunteer_id)
    return volunteer, await members_service.get(session, volunteer.member_id)


async def save(
    session: AsyncSession, member: Member, draft: Draft, streets: tuple[str, ...]
) -> Volunteer:
    """Create or update the member's volunteer profile from a reviewed draft."""
    if not member.is_registered:
        raise NotAllowed(N_("Please accept the privacy terms first: send /start."))
    name = clean_name(draft.name)
    if draft.street is not None and draft.street not in streets:
        raise InvalidInput(N_("This choice is not available."))
    if any(a not in AVAILABILITY for a in draft.availability):
        raise InvalidInput(N_("This choice is not available."))
    volunteer = await get_for_member(session, member.id)  # type: ignore[arg-type]
    if volunteer is None:
        volunteer = Volunteer(member_id=member.id, name=name)  # type: ignore[arg-type]
    volunteer.name = name
    volunteer.phone = clean_phone(draft.phone) if draft.phone else None
    volunteer.street = draft.street
    volunteer.skills = clean_skills(draft.skills) if draft.skills.strip() else ""
    volunteer.areas = list(draft.areas)
    volunteer.availability = list(draft.availability)
    volunteer.updated_at = utcnow()
    return await save_row(session, volunteer)


async def withdraw(session: AsyncSession, member: Member) -> bool:
    volunteer = await get_for_member(session, member.id)  # type: ignore[arg-type]
    if volunteer is None:
        return False
    await session.delete(volunteer)
    await session.flush()
    return True


@dataclass(frozen=True)
class Filter:
    area: str | None = None
    street: str | None = None  # a street name, or "-" for "other"
    availability: str | None = None
    skill: str | None = None


async def search(session: AsyncSession, wanted: Filter) -> list[tuple[Volunteer, Member]]:
    """Volunteers matching every given criterion, by name. JSON lists are filtered here
    rather than in SQL: the same code on SQLite and PostgreSQL, and the lists are short."""
    query = (
        select(Volunteer, Member)
        .join(Member, col(Member.id) == col(Volunteer.member_id))
        .where(*street_condition(wanted))
    )
    rows = (await session.exec(query.order_by(col(Volunteer.name)))).all()
    return [(volunteer, member) for volunteer, member in rows if matches(volunteer, wanted)]


def street_condition(wanted: Filter) -> list[Any]:
    """The street criterion of `wanted`, for SQL's WHERE (none when any street will do)."""
    if wanted.street == "-":
        return [col(Volunteer.street).is_(None)]
    if wanted.street:
        return [Volunteer.street == wanted.street]
    return []


def matches(volunteer: Volunteer, wanted: Filter) -> bool:
    """The criteria of `wanted` checked in Python: the JSON lists and a word of the skills."""
    skill = (wanted.skill or "").casefold()
    if wanted.area and wanted.area not in volunteer.areas:
        return False
    if wanted.availability and wanted.availability not in volunteer.availability:
        return False
    return not (skill and skill not in volunteer.skills.casefold())


async def forget(session: AsyncSession, member: Member) -> None:
    """For /forget: the volunteer profile, sign-ups and broadcast delivery rows go.

    (Deleting the member row cascades the first two; delivery rows keep the Telegram
    chat id, so they are deleted here explicitly.)
    """
    await session.exec(delete(Volunteer).where(col(Volunteer.member_id) == member.id))
    await session.exec(
        delete(OpportunitySignup).where(col(OpportunitySignup.member_id) == member.id)
    )
    await session.exec(
        delete(BroadcastRecipient).where(col(BroadcastRecipient.member_id) == member.id)
    )
    await session.flush()
