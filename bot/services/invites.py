"""Invite deep links: creation, redemption, revocation."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotFound
from bot.services.rows import get_or_gone
from models import Group, Invite, InviteUse, Member, Role, utcnow

PAYLOAD_PREFIX = "i-"
# 16 random bytes = 128 bits, 22 URL-safe characters: with the prefix, far under 64.
_CODE_BYTES = 16
_PAYLOAD = re.compile(r"^i-([A-Za-z0-9_-]{22})$")
INVITABLE_ROLES = (Role.LEADER, Role.LEAD, Role.COORDINATOR)


def new_code() -> str:
    return secrets.token_urlsafe(_CODE_BYTES)


def payload_for(invite: Invite) -> str:
    return f"{PAYLOAD_PREFIX}{invite.code}"


def link_for(invite: Invite, bot_username: str) -> str:
    return f"https://t.me/{bot_username}?start={payload_for(invite)}"


def code_from_payload(payload: str) -> str | None:
    match = _PAYLOAD.match(payload.strip())
    return match.group(1) if match else None


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    group: Group | None = None,
    max_uses: int | None = None,
    days: int | None = 14,
    created_by: Member | None = None,
) -> Invite:
    if role not in INVITABLE_ROLES:
        raise InvalidInput(N_("Invites are for leaders, group leads and coordinators."))
    if role == Role.LEAD and group is None:
        raise InvalidInput(N_("An invite for a group lead needs a group."))
    if max_uses is not None and max_uses < 1:
        raise InvalidInput(N_("The number of uses must be at least 1."))
    if days is not None and days < 1:
        raise InvalidInput(N_("The number of days must be at least 1."))
    invite = Invite(
        code=new_code(),
        role=role,
        group_id=group.id if group else None,
        max_uses=max_uses,
        expires_at=utcnow() + timedelta(days=days) if days else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(invite)
    await session.flush()
    await record(
        session,
        created_by,
        "invite.create",
        f"invite:{invite.id}",
        role=role.value,
        group=group.slug if group else None,
        max_uses=max_uses,
        days=days,
    )
    return invite


@dataclass(frozen=True)
class Redemption:
    invite: Invite
    role: Role
    group: Group | None
    already_used: bool


async def redeem(session: AsyncSession, member: Member, code: str) -> Redemption:
    """Apply an invite to a consenting member. Raises InvalidInput for a dead code."""
    invite = (await session.exec(select(Invite).where(Invite.code == code))).first()
    if invite is None:
        raise NotFound(N_("This invite link is not valid. Ask the coordinator for a new one."))
    used = (
        await session.exec(
            select(InviteUse).where(
                InviteUse.invite_id == invite.id, InviteUse.member_id == member.id
            )
        )
    ).first()
    group = await session.get(Group, invite.group_id) if invite.group_id else None
    if used is not None:
        return Redemption(invite, Role(invite.role), group, already_used=True)
    if invite.revoked_at is not None:
        raise InvalidInput(N_("This invite link was withdrawn. Ask the coordinator for a new one."))
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        raise InvalidInput(N_("This invite link has expired. Ask the coordinator for a new one."))
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InvalidInput(
            N_("This invite link has been used up. Ask the coordinator for a new one.")
        )
    if group is not None and group.archived_at is not None:
        raise InvalidInput(N_("The group of this invite no longer exists."))
    invite.uses += 1
    session.add(invite)
    session.add(InviteUse(invite_id=invite.id, member_id=member.id))  # type: ignore[arg-type]
    role = Role(invite.role)
    await members_service.raise_role(session, member, role)
    if group is not None:
        await groups_service.ensure_member(session, group, member)
        if role == Role.LEAD:
            group.lead_id = member.id
            session.add(group)
    await record(session, member, "invite.redeem", f"invite:{invite.id}", role=role.value)
    await session.flush()
    return Redemption(invite, role, group, already_used=False)


async def revoke(session: AsyncSession, invite_id: int, actor: Member | None = None) -> Invite:
    invite = await get_or_gone(session, Invite, invite_id, N_("This invite no longer exists."))
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        session.add(invite)
        await record(session, actor, "invite.revoke", f"invite:{invite.id}")
        await session.flush()
    return invite


async def active_invites(session: AsyncSession, limit: int = 20) -> list[Invite]:
    now = utcnow()
    rows = await session.exec(
        select(Invite)
        .where(col(Invite.revoked_at).is_(None))
        .where((col(Invite.expires_at).is_(None)) | (col(Invite.expires_at) > now))
        .order_by(col(Invite.created_at).desc())
        .limit(limit)
    )
    return [i for i in rows.all() if i.max_uses is None or i.uses < i.max_uses]


async def get_usable(session: AsyncSession, invite_id: int | None) -> Invite:
    """An invite that can still be redeemed (not withdrawn, expired or used up)."""
    invite = await get_or_gone(session, Invite, invite_id, N_("This invite no longer exists."))
    used_up = invite.max_uses is not None and invite.uses >= invite.max_uses
    expired = invite.expires_at is not None and invite.expires_at <= utcnow()
    if invite.revoked_at is not None or expired or used_up:
        raise NotFound(N_("This invite can no longer be used."))
    return invite


async def group_by_slug(session: AsyncSession, slug: str) -> Group:
    group = (await session.exec(select(Group).where(Group.slug == slug))).first()
    if group is None or group.archived_at is not None:
        raise NotFound(N_("There is no active group {slug}."), slug=slug)
    return group


def qr_png(link: str) -> bytes:
    """The invite link as a QR code PNG, big enough to print on a poster."""
    import qrcode

    image = qrcode.make(link, box_size=12, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
