"""Members: who they are, consent, names, languages, roles, reachability."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlalchemy.exc import InvalidRequestError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.errors import InvalidInput
from bot.services.rows import get_or_gone, save
from models import Group, Member, Membership, Role, utcnow

NAME_MAX = 64
INSTITUTION_MAX = 120


# Built once: it runs for every update (handlers/system.py), and building a statement costs
# about as much as running it on SQLite.
_BY_TELEGRAM_ID = select(Member).where(Member.telegram_id == bindparam("telegram_id"))


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    return (await session.exec(_BY_TELEGRAM_ID, params={"telegram_id": telegram_id})).first()


async def get(session: AsyncSession, member_id: int) -> Member:
    return await get_or_gone(session, Member, member_id, N_("This person is no longer in the bot."))


async def ensure_member(
    session: AsyncSession,
    telegram_id: int,
    coordinators: tuple[int, ...] = (),
    *,
    known: Member | None = None,
) -> Member:
    """The member row for a Telegram user, created with nothing but the id. `known`: the
    member already loaded for this update (handlers/system.py), taken into the session
    instead of being read a second time (a copy: a rollback leaves `known` as it was)."""
    if known is not None and known.id is not None and known.telegram_id == telegram_id:
        member: Member | None = await taken_in(session, known)
    else:
        member = await get_by_telegram_id(session, telegram_id)
    if member is None:
        member = Member(telegram_id=telegram_id)
        session.add(member)
    await session.flush()
    if telegram_id in coordinators:  # BOT_COORDINATORS: granted at registration
        await _grant_from_settings(session, member)
    return member


async def taken_in(session: AsyncSession, known: Member) -> Member:
    """`known` (loaded earlier in this update) as a row of `session`, not read again: a copy,
    so that a rollback of this block leaves `known` as it was."""
    try:
        return await session.merge(known, load=False)
    except InvalidRequestError:  # changed in memory since it was loaded: read the row again
        return await get(session, known.id or 0)


def clean_text(text: str | None, limit: int, *, field: str) -> str:
    """Strip control characters and check length; raise InvalidInput with a friendly msgid."""
    if text is None:
        raise InvalidInput(N_("Please send it as a text message."))
    cleaned = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n").strip()
    cleaned = " ".join(cleaned.split()) if field in ("name", "institution") else cleaned
    if not cleaned:
        raise InvalidInput(N_("That was empty. Please try again."))
    if len(cleaned) > limit:
        raise InvalidInput(
            N_("That is too long: {length} characters, at most {limit}. Please shorten it."),
            length=len(cleaned),
            limit=limit,
        )
    return cleaned


def clean_name(text: str | None) -> str:
    name = clean_text(text, NAME_MAX, field="name")
    if not any(ch.isalpha() for ch in name):
        raise InvalidInput(N_("A name needs at least one letter. How should others call you?"))
    return name


async def give_consent(session: AsyncSession, member: Member, language: str | None) -> Member:
    if member.consent_at is None:
        member.consent_at = utcnow()
    if language:
        member.language = language
    return await save(session, member)


async def set_profile(
    session: AsyncSession,
    member: Member,
    *,
    display_name: str | None = None,
    institution: str | None = None,
    clear_institution: bool = False,
    finish_onboarding: bool = False,
) -> Member:
    if member.consent_at is None:
        raise InvalidInput(N_("Please accept the privacy terms first: send /start."))
    if display_name is not None:
        member.display_name = clean_name(display_name)
    if institution is not None:
        member.institution = clean_text(institution, INSTITUTION_MAX, field="institution")
    elif clear_institution:
        member.institution = None
    if finish_onboarding and member.onboarded_at is None:
        member.onboarded_at = utcnow()
    return await save(session, member)


async def set_language(session: AsyncSession, member: Member, language: str) -> Member:
    member.language = language
    return await save(session, member)


async def set_reachable(session: AsyncSession, telegram_id: int, reachable: bool) -> bool:
    """Mark a member (un)reachable; returns whether anything changed."""
    member = await get_by_telegram_id(session, telegram_id)
    if member is None or member.reachable == reachable:
        return False
    member.reachable = reachable
    session.add(member)
    await session.flush()
    return True


async def set_role(
    session: AsyncSession, member: Member, role: Role, *, actor: Member | None = None, **audit: str
) -> Member:
    """Change the role; any change made in the bot ends the setting's claim on the person.
    `audit`: more for the audit record (source="settings": BOT_COORDINATORS made the change)."""
    if member.role != role:
        await record(
            session,
            actor,
            "role.change",
            f"member:{member.id}",
            old=member.role,
            new=role.value,
            **audit,
        )
        member.role = role
        member.coordinator_from_settings = False
        session.add(member)
        await session.flush()
    return member


# --- BOT_COORDINATORS: the source of the coordinator role for the people it lists ----------


@dataclass
class SettingsSync:
    granted: list[int] = field(default_factory=list)  # Telegram ids
    demoted: list[int] = field(default_factory=list)


async def _grant_from_settings(session: AsyncSession, member: Member) -> bool:
    """Make a listed person coordinator; a role granted in the bot stays the bot's."""
    if member.role == Role.COORDINATOR:
        return False
    await set_role(session, member, Role.COORDINATOR, source="settings")
    member.coordinator_from_settings = True
    session.add(member)
    await session.flush()
    return True


async def sync_settings_coordinators(
    session: AsyncSession, coordinators: tuple[int, ...]
) -> SettingsSync:
    """At start: grant the role to the listed people the bot knows, and take it from those
    the setting made coordinators and no longer lists (they become what a revocation in the
    bot would make them: lead of the groups they lead, else leader)."""
    result = SettingsSync()
    listed = set(coordinators)
    for telegram_id in coordinators:
        member = await get_by_telegram_id(session, telegram_id)
        if member is not None and await _grant_from_settings(session, member):
            result.granted.append(telegram_id)
    query = select(Member).where(col(Member.coordinator_from_settings).is_(True))
    if listed:
        query = query.where(col(Member.telegram_id).not_in(listed))
    for member in list((await session.exec(query)).all()):
        if member.role == Role.COORDINATOR:
            new_role = Role.LEAD if await led_groups(session, member) else Role.LEADER
            await set_role(session, member, new_role, source="settings")
            result.demoted.append(member.telegram_id)
        else:
            member.coordinator_from_settings = False
            session.add(member)
    await session.flush()
    return result


async def raise_role(
    session: AsyncSession, member: Member, role: Role, *, actor: Member | None = None
) -> Member:
    """Give a role if it is higher than the current one; never demote."""
    if Role(member.role).rank < role.rank:
        await set_role(session, member, role, actor=actor)
    return member


async def with_roles(session: AsyncSession, roles: list[Role]) -> list[Member]:
    """Consenting members with one of these roles."""
    rows = await session.exec(
        select(Member).where(col(Member.role).in_(roles), col(Member.consent_at).is_not(None))
    )
    return list(rows.all())


async def privileged_members(session: AsyncSession) -> list[Member]:
    """Members whose command list differs from a resident's."""
    return await with_roles(session, [Role.LEADER, Role.LEAD, Role.COORDINATOR])


async def coordinators(session: AsyncSession) -> list[Member]:
    return await with_roles(session, [Role.COORDINATOR])


async def led_groups(session: AsyncSession, member: Member) -> list[Group]:
    return list(
        (
            await session.exec(
                select(Group).where(Group.lead_id == member.id, col(Group.archived_at).is_(None))
            )
        ).all()
    )


async def membership_count(session: AsyncSession, member: Member) -> int:
    rows = await session.exec(select(Membership.id).where(Membership.member_id == member.id))
    return len(rows.all())
