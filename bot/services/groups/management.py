"""A group's settings: coordinators create small groups, hand them to a lead, place them
under a team and archive them; the lead or a coordinator edits a group."""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import members as members_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.groups.lookups import get_active
from bot.services.groups.membership import ensure_member
from bot.services.groups.profile_cache import get_area
from bot.services.permissions import Action, can
from bot.services.rows import save
from models import Group, GroupKind, Member, Role, utcnow

GROUP_NAME_MAX = 120
PURPOSE_MAX = 600


def clean_group_name(text: str | None) -> str:
    return members_service.clean_text(text, GROUP_NAME_MAX, field="name")


def clean_purpose(text: str | None) -> str:
    return members_service.clean_text(text, PURPOSE_MAX, field="purpose")


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40] or "group"
    return f"{base}-{secrets.token_hex(3)}"


async def create_group(
    session: AsyncSession,
    actor: Member,
    *,
    name: str,
    area_id: int | None,
    parent_id: int | None,
    is_open: bool,
    lead_id: int | None,
) -> Group:
    if not can(actor, Action.CREATE_GROUP):
        raise NotAllowed(N_("Only coordinators can do this."))
    name = clean_group_name(name)
    area = await get_area(session, area_id)
    parent = await get_active(session, parent_id) if parent_id else None
    if parent is not None and parent.kind != GroupKind.TEAM:
        raise InvalidInput(N_("A small group can only belong to one of the teams."))
    group = Group(
        slug=_slugify(name),
        kind=GroupKind.SMALL,
        name=name,
        area_id=area.id,
        parent_id=parent.id if parent else None,
        is_open=is_open,
    )
    session.add(group)
    await session.flush()
    await record(session, actor, "group.create", f"group:{group.id}", name=name)
    if lead_id:
        await set_lead(session, actor, group.id, lead_id)
    return group


async def update_group(
    session: AsyncSession,
    actor: Member,
    group_id: int | None,
    *,
    name: str | None = None,
    purpose: str | None = None,
    area_id: int | None = None,
    is_open: bool | None = None,
) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.EDIT_GROUP, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can change it."))
    changes: dict[str, object] = {}
    if name is not None:
        if group.kind == GroupKind.TEAM:
            raise InvalidInput(N_("The teams' names come from the programme profile."))
        group.name = changes["name"] = clean_group_name(name)
    if purpose is not None:
        group.purpose = changes["purpose"] = clean_purpose(purpose)
        group.purposes = {}  # a typed purpose replaces the profile's translations
    if area_id is not None:
        group.area_id = changes["area"] = (await get_area(session, area_id)).id
    if is_open is not None:
        group.is_open = changes["is_open"] = is_open
    session.add(group)
    await record(session, actor, "group.edit", f"group:{group.id}", **changes)
    await session.flush()
    return group


async def set_lead(
    session: AsyncSession, actor: Member, group_id: int | None, member_id: int | None
) -> tuple[Group, Member]:
    """Hand a group to a new lead: they join it and get at least the lead role."""
    group = await get_active(session, group_id)
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    lead = await members_service.get(session, member_id or 0)
    if not lead.is_registered:
        raise NotFound(N_("This person is no longer signed up."))
    await ensure_member(session, group, lead)
    await record(session, actor, "group.lead", f"group:{group.id}", old=group.lead_id, new=lead.id)
    group.lead_id = lead.id
    session.add(group)
    await members_service.raise_role(session, lead, Role.LEAD, actor=actor)
    await session.flush()
    return group, lead


async def archive_group(session: AsyncSession, actor: Member, group_id: int | None) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.ARCHIVE_GROUP, group):
        raise NotAllowed(N_("Only coordinators can do this."))
    if group.kind == GroupKind.TEAM:
        raise NotAllowed(N_("The programme's teams cannot be archived."))
    group.archived_at = utcnow()
    group.chat_id = None  # the chat may be linked to another group later
    session.add(group)
    await record(session, actor, "group.archive", f"group:{group.id}")
    await session.flush()
    return group


async def set_parent(
    session: AsyncSession, actor: Member, group_id: int | None, parent_id: int | None
) -> Group:
    """Move a small group under another team (or under none): coordinators only."""
    group = await get_active(session, group_id)
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    if group.kind != GroupKind.SMALL:
        raise InvalidInput(N_("Only a small group belongs to a team."))
    parent = await get_active(session, parent_id) if parent_id else None
    if parent is not None and parent.kind != GroupKind.TEAM:
        raise InvalidInput(N_("A small group can only belong to one of the teams."))
    new = parent.id if parent else None
    await record(session, actor, "group.parent", f"group:{group.id}", old=group.parent_id, new=new)
    group.parent_id = new
    return await save(session, group)
