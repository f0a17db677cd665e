"""Telegram group chats linked to working groups: one chat serves one group."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import members as members_service
from bot.services.audit import record
from bot.services.errors import NotAllowed
from bot.services.groups.lookups import active_groups, get_active
from bot.services.permissions import Action, can
from models import Group, Member


async def linkable_groups(session: AsyncSession, member: Member) -> list[Group]:
    if can(member, Action.LINK_CHAT):
        return await active_groups(session)
    return [
        g
        for g in await members_service.led_groups(session, member)
        if can(member, Action.LINK_CHAT, g)
    ]


async def group_for_chat(session: AsyncSession, chat_id: int) -> Group | None:
    return (
        await session.exec(
            select(Group).where(Group.chat_id == chat_id, col(Group.archived_at).is_(None))
        )
    ).first()


async def link_chat(
    session: AsyncSession, actor: Member, group_id: int | None, chat_id: int
) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.LINK_CHAT, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can link its chat."))
    # One chat serves one group: a chat linked elsewhere moves here.
    previous = (await session.exec(select(Group).where(Group.chat_id == chat_id))).first()
    if previous is not None and previous.id != group.id:
        previous.chat_id = None
        session.add(previous)
        await session.flush()
    return await _set_chat(session, actor, group, chat_id, "group.link", chat=chat_id)


async def unlink_chat(
    session: AsyncSession, chat_id: int, actor: Member | None = None
) -> Group | None:
    """Unlink whatever group the chat serves; with an actor, only if they may."""
    group = (await session.exec(select(Group).where(Group.chat_id == chat_id))).first()
    if group is None:
        return None
    if actor is not None and not can(actor, Action.LINK_CHAT, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can link its chat."))
    return await _set_chat(session, actor, group, None, "group.unlink", chat=chat_id)


async def move_linked_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int
) -> Group | None:
    """Telegram upgraded a linked group chat to a supergroup, which has a new id: the link
    follows it. If the new chat already serves a group (linked again by hand before the
    upgrade was noticed), that link stays and the old one is dropped. Returns the group that
    now uses `new_chat_id`, if any."""
    if old_chat_id == new_chat_id:
        return await group_for_chat(session, new_chat_id)
    group = (await session.exec(select(Group).where(Group.chat_id == old_chat_id))).first()
    current = (await session.exec(select(Group).where(Group.chat_id == new_chat_id))).first()
    if group is None:
        return current
    if current is not None:
        group.chat_id = None
        session.add(group)
        await session.flush()
        return current
    return await _set_chat(
        session, None, group, new_chat_id, "group.chat_migrated", old=old_chat_id, new=new_chat_id
    )


async def _set_chat(
    session: AsyncSession,
    actor: Member | None,
    group: Group,
    chat_id: int | None,
    action: str,
    **details: object,
) -> Group:
    """The group's linked chat is now `chat_id` (None: none); the audit log says so."""
    group.chat_id = chat_id
    session.add(group)
    await record(session, actor, action, f"group:{group.id}", **details)
    await session.flush()
    return group
