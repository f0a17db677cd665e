"""Who may do what: every command and button of the bot × every role, as PRODUCT.md says.

One row per command or callback action; a feature adds its rows to MATRIX (one line each:
what the user sends, who may do it, and for actions that change something, how to tell it
happened). For each role the row is sent by a member holding that role: allowed ones must not
be refused; refused ones must be refused with a message and leave the database as it was.
Placeholders in the action: {group} (the group of the leads' check), {other} (another group),
{invite} (an active invite created by a coordinator), {me} (the member's own database id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import select

from bot.i18n import use_language
from bot.services import invites as invites_service
from bot.services import members as members_service
from handlers.common import not_registered_text, role_refusal
from models import Group, Invite, Member, Membership, Role, utcnow
from tests.harness import Call, Harness, User
from tests.invariants import snapshot

ROLES = ("stranger", "resident", "leader", "lead_here", "lead_elsewhere", "coordinator")
EVERYONE = frozenset(ROLES)
REGISTERED = EVERYONE - {"stranger"}
LEADERS = REGISTERED - {"resident"}
LEADS = frozenset({"lead_here", "lead_elsewhere", "coordinator"})
LEAD_HERE = frozenset({"lead_here", "coordinator"})  # the group's own lead, and coordinators
COORDINATOR = frozenset({"coordinator"})
NOBODY: frozenset[str] = frozenset()  # an action no role may take


@dataclass
class World:
    """The objects a row's action may point at, fresh for every role."""

    harness: Harness
    group: int
    other: int
    invite: int
    me: int | None  # the member's database id (None: never seen)
    telegram_id: int

    async def query(self, fn: Callable[[Any], Awaitable[Any]]) -> Any:
        async with self.harness.app.bot_data["runtime"].db.session() as session:
            return await fn(session)


Effect = Callable[[World], Awaitable[bool]]


async def invite_created(world: World) -> bool:
    invites = await world.query(lambda s: s.exec(select(Invite).where(Invite.id != world.invite)))
    return len(invites.all()) == 1


async def invite_revoked(world: World) -> bool:
    invite = await world.query(lambda s: s.get(Invite, world.invite))
    return invite is not None and invite.revoked_at is not None


async def language_changed(world: World) -> bool:
    if world.me is None:  # before consent only the conversation keeps it
        return True
    member = await world.query(lambda s: s.get(Member, world.me))
    return member is not None and member.language == "uk"


async def consented(world: World) -> bool:
    member = await world.query(lambda s: members_service.get_by_telegram_id(s, world.telegram_id))
    return member is not None and member.has_consented


async def institution_set(world: World) -> bool:
    member = await world.query(lambda s: s.get(Member, world.me))
    return member is not None and member.institution is not None


@dataclass(frozen=True)
class Row:
    action: str  # "/command args" or callback data, with placeholders
    allowed: frozenset[str]
    effect: Effect | None = None  # for allowed actions that change something

    def __str__(self) -> str:
        return self.action


MATRIX: list[Row] = [
    # onboarding, menu, help, language (handlers/start.py)
    Row("/start", EVERYONE),
    Row("/help", EVERYONE),
    Row("/language", EVERYONE),
    Row("/cancel", EVERYONE),
    Row("mn", REGISTERED),
    Row("hp", EVERYONE),
    Row("lg", EVERYONE),
    Row("lg:set:uk", EVERYONE, language_changed),
    # Onboarding buttons also work outside their step (after a crash): by the database's
    # progress; a button of a step already done is stale.
    Row("ob:consent:y", frozenset({"stranger"}), consented),
    Row("ob:tgname", REGISTERED),  # no institution yet: the institution question again
    Row("ob:inst:0", REGISTERED, institution_set),
    # invites (handlers/invites.py): coordinators only
    Row("/invite", COORDINATOR),
    Row("iv", COORDINATOR),
    Row("iv:ls", COORDINATOR),
    Row("iv:r:leader", COORDINATOR),
    Row("iv:r:lead", COORDINATOR),
    Row("iv:r:coordinator", COORDINATOR),
    Row("iv:g:lead:{group}", COORDINATOR),
    Row("iv:u:leader:{group}:5", COORDINATOR),
    Row("iv:d:leader:{group}:5:7", COORDINATOR, invite_created),
    Row("iv:d:coordinator:0:1:1", COORDINATOR, invite_created),
    Row("iv:rv:{invite}", COORDINATOR),
    Row("iv:rvc:{invite}:y", COORDINATOR, invite_revoked),
    Row("iv:rvc:{invite}:n", COORDINATOR),
    # meetings (handlers/meetings.py): a coordinator or a group's lead schedules
    Row("/meeting", LEADS),
    Row("mt:new", LEADS),
    Row("/meetings", REGISTERED),
    Row("mt:ls", REGISTERED),
]


def refusals() -> set[str]:
    """Every text the bot refuses with (English), as a whole message or alert."""
    texts = set()
    with use_language("en"):
        texts.add(not_registered_text())
        texts.update(role_refusal(role) for role in Role)
        from bot.i18n import gettext as _

        texts.add(_("This button is no longer available."))
    return texts


def refused(calls: list[Call]) -> bool:
    known = refusals()
    for call in calls:
        text = str(call.params.get("text") or "")
        if text in known or text[:200] in {t[:200] for t in known}:
            return True
    return False


async def member_with(
    harness: Harness, user: User, role: str, group: int, other: int
) -> int | None:
    if role == "stranger":
        return None
    async with harness.app.bot_data["runtime"].db.session() as session:
        member = await members_service.ensure_member(session, user.id)
        member.consent_at, member.display_name, member.language = utcnow(), f"User {role}", "en"
        member.role = {
            "resident": Role.RESIDENT,
            "leader": Role.LEADER,
            "lead_here": Role.LEAD,
            "lead_elsewhere": Role.LEAD,
            "coordinator": Role.COORDINATOR,
        }[role].value
        session.add(member)
        await session.flush()
        assert member.id is not None
        led = {"lead_here": group, "lead_elsewhere": other}.get(role)
        if led is not None:
            led_group = await session.get(Group, led)
            assert led_group is not None
            led_group.lead_id = member.id
            session.add(led_group)
            session.add(Membership(member_id=member.id, group_id=led))
        return member.id


async def world_for(harness: Harness, user: User, role: str) -> World:
    async with harness.app.bot_data["runtime"].db.session() as session:
        groups = list((await session.exec(select(Group).order_by(Group.id))).all())
        for group in groups:  # nobody leads anything yet
            group.lead_id = None
            session.add(group)
        for invite in (await session.exec(select(Invite))).all():
            await session.delete(invite)
        await session.flush()
        invite = await invites_service.create_invite(session, role=Role.LEADER, days=7)
    me = await member_with(harness, user, role, groups[0].id, groups[1].id)  # type: ignore[arg-type]
    return World(harness, groups[0].id, groups[1].id, invite.id, me, user.id)  # type: ignore[arg-type]


async def perform(harness: Harness, user: User, action: str) -> list[Call]:
    if action.startswith("/"):
        return await harness.send(user, action)
    return await harness.press(user, action)


@pytest.mark.parametrize("row", MATRIX, ids=str)
async def test_authorization(harness: Harness, row: Row) -> None:
    db = harness.app.bot_data["runtime"].db
    for number, role in enumerate(ROLES):
        user = User(7_000_000 + number * 1000 + MATRIX.index(row), language_code="en")
        world = await world_for(harness, user, role)
        action = row.action.format(
            group=world.group, other=world.other, invite=world.invite, me=world.me
        )
        before = await snapshot(db)
        calls = await perform(harness, user, action)
        after = await snapshot(db)
        where = f"{action!r} by {role}"
        assert calls, f"{where}: no answer at all"
        if role in row.allowed:
            assert not refused(calls), f"{where} was refused: {[c.text for c in calls]}"
            if row.effect is not None:
                assert await row.effect(world), f"{where}: allowed but nothing happened"
        else:
            assert refused(calls), f"{where} was not refused: {[c.text for c in calls]}"
            assert before == after, f"{where} was refused but changed the database"


def test_every_command_has_a_row() -> None:
    """A new command without a row here fails: decide who may use it."""
    from handlers import all_commands

    covered = {row.action.split()[0][1:] for row in MATRIX if row.action.startswith("/")}
    assert {spec.name for spec in all_commands()} <= covered


def test_every_menu_button_has_a_row() -> None:
    from handlers import menu_entries

    covered = {row.action for row in MATRIX}
    assert {entry.callback_data for entry in menu_entries()} <= covered
