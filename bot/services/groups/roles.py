"""Coordinators grant and take back the lead and coordinator roles."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import members as members_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.permissions import Action, can
from models import Member, Role

# Roles a coordinator grants and revokes by hand (leaders come through invites).
GRANTABLE_ROLES = (Role.LEAD, Role.COORDINATOR)


def _role_target(actor: Member, person: Member, role: Role | str) -> Role:
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    if role not in GRANTABLE_ROLES:
        raise InvalidInput(N_("This role cannot be changed here."))
    if person.id == actor.id:
        raise NotAllowed(N_("You cannot change your own role."))
    if not person.is_registered:
        raise NotFound(N_("This person is no longer signed up."))
    return Role(role)


async def grant_role(
    session: AsyncSession, actor: Member, member_id: int | None, role: Role | str
) -> Member:
    person = await members_service.get(session, member_id or 0)
    target = _role_target(actor, person, role)
    if Role(person.role).at_least(target):
        raise InvalidInput(N_("{name} already has this role."), name=person.display_name)
    await members_service.set_role(session, person, target, actor=actor)
    return person


async def revoke_role(
    session: AsyncSession, actor: Member, member_id: int | None, role: Role | str
) -> Member:
    """Take a role back: a coordinator becomes a lead (or leader), a lead a leader."""
    person = await members_service.get(session, member_id or 0)
    target = _role_target(actor, person, role)
    if person.role != target:
        raise InvalidInput(N_("{name} does not have this role."), name=person.display_name)
    led = await members_service.led_groups(session, person)
    if target == Role.COORDINATOR and led:
        new_role = Role.LEAD
    else:
        new_role = Role.LEADER
        for group in led:  # a lead no more: their groups wait for a new lead
            group.lead_id = None
            session.add(group)
            await record(session, actor, "group.lead", f"group:{group.id}", old=person.id, new=None)
    await members_service.set_role(session, person, new_role, actor=actor)
    return person
