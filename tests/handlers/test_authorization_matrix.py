"""Who may do what: every command and button of the bot × every role, as PRODUCT.md says.

One row per command or callback action; a feature adds its rows to MATRIX (one line each:
what the user sends, who may do it, and for actions that change something, how to tell it
happened). For each role the row is sent by a member holding that role: allowed ones must not
be refused; refused ones must be refused with a message and leave the database as it was.
Placeholders in the action: {group} (the group of the leads' check), {other} (another group),
{invite} (an active invite created by a coordinator), {me} (the member's own database id),
{person} (another registered leader, a member of {group}), {requester} (a resident whose request
to join {group} waits), {idea} (a new idea by {person} in {group}), {mine} (a new contribution by
the member: {idea} for a stranger), {opportunity} (an upcoming opportunity with free places),
{running} (a broadcast a coordinator is sending), {draft} (the member's own broadcast draft to
{group}: {person}'s for a stranger), {volunteer} ({person}'s volunteer profile), {meeting} (a
meeting of {group}, not open to residents, in three days), {item} (its action item for
{person}), {poll} (an open date poll of {group}, not open to residents) and {option} (its
first time).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.broadcasting import engine
from bot.i18n import use_language
from bot.services import invites as invites_service
from bot.services import members as members_service
from handlers.common import not_registered_text, role_refusal
from handlers.reports import wait_for_exports
from models import (
    ActionItem,
    Answer,
    Broadcast,
    BroadcastStatus,
    Contribution,
    ContributionKind,
    DatePoll,
    DatePollOption,
    Group,
    GroupKind,
    Invite,
    Meeting,
    MeetingStatus,
    Member,
    Membership,
    MembershipStatus,
    Opportunity,
    OpportunitySignup,
    PollStatus,
    ProblemArea,
    Role,
    Rsvp,
    Support,
    Volunteer,
    utcnow,
)
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
    ids: dict[str, int] = field(default_factory=dict)  # the other placeholders

    def format(self, action: str) -> str:
        return action.format(
            group=self.group, other=self.other, invite=self.invite, me=self.me, **self.ids
        )

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


async def _get(world: World, model: Any, key: str) -> Any:
    return await world.query(lambda s: s.get(model, world.ids[key]))


async def _membership(world: World, group: int) -> Membership | None:
    found = await world.query(
        lambda s: s.exec(
            select(Membership).where(Membership.member_id == world.me, Membership.group_id == group)
        )
    )
    return found.first()  # type: ignore[no-any-return]


async def joined(world: World) -> bool:
    return await _membership(world, world.group) is not None


async def request_approved(world: World) -> bool:
    found = await world.query(
        lambda s: s.exec(
            select(Membership).where(
                Membership.member_id == world.ids["requester"], Membership.group_id == world.group
            )
        )
    )
    return found.one().status == MembershipStatus.MEMBER  # type: ignore[no-any-return]


async def supported(world: World) -> bool:
    found = await world.query(
        lambda s: s.exec(
            select(Support).where(
                Support.member_id == world.me, Support.contribution_id == world.ids["idea"]
            )
        )
    )
    return found.first() is not None


async def under_discussion(world: World) -> bool:
    return (await _get(world, Contribution, "idea")).status == "discussion"  # type: ignore[no-any-return]


async def withdrawn(world: World) -> bool:
    return await _get(world, Contribution, "mine") is None


async def lead_set(world: World) -> bool:
    group = await world.query(lambda s: s.get(Group, world.group))
    return group is not None and group.lead_id == world.ids["person"]  # type: ignore[no-any-return]


async def person_removed(world: World) -> bool:
    found = await world.query(
        lambda s: s.exec(
            select(Membership).where(
                Membership.member_id == world.ids["person"], Membership.group_id == world.group
            )
        )
    )
    return found.first() is None


async def parent_moved(world: World) -> bool:
    return (await _get(world, Group, "small")).parent_id == world.group  # type: ignore[no-any-return]


async def archived(world: World) -> bool:
    return (await _get(world, Group, "small")).archived_at is not None  # type: ignore[no-any-return]


async def made_lead(world: World) -> bool:
    return (await _get(world, Member, "person")).role == Role.LEAD  # type: ignore[no-any-return]


async def signed_up(world: World) -> bool:
    found = await world.query(
        lambda s: s.exec(
            select(OpportunitySignup).where(
                OpportunitySignup.member_id == world.me,
                OpportunitySignup.opportunity_id == world.ids["opportunity"],
            )
        )
    )
    return found.first() is not None


async def opportunity_cancelled(world: World) -> bool:
    return (await _get(world, Opportunity, "opportunity")).cancelled_at is not None  # type: ignore[no-any-return]


async def broadcast_stopped(world: World) -> bool:
    return (await _get(world, Broadcast, "running")).status == BroadcastStatus.STOPPED  # type: ignore[no-any-return]


async def draft_sent(world: World) -> bool:
    return (await _get(world, Broadcast, "draft")).status != BroadcastStatus.DRAFT  # type: ignore[no-any-return]


async def forgotten(world: World) -> bool:
    member = await world.query(lambda s: s.get(Member, world.me))
    return member is None or member.consent_at is None


async def digest_off(world: World) -> bool:
    member = await world.query(lambda s: s.get(Member, world.me))
    return member is not None and member.digest_opt_out


async def meeting_answered(world: World) -> bool:
    found = await world.query(
        lambda s: s.exec(
            select(Rsvp).where(Rsvp.member_id == world.me, Rsvp.meeting_id == world.ids["meeting"])
        )
    )
    rsvp = found.first()
    return rsvp is not None and rsvp.answer == Answer.YES  # type: ignore[no-any-return]


async def meeting_cancelled(world: World) -> bool:
    return (await _get(world, Meeting, "meeting")).status == MeetingStatus.CANCELLED  # type: ignore[no-any-return]


async def invitation_sent(world: World) -> bool:
    return (await _get(world, Broadcast, "invitation")).status != BroadcastStatus.DRAFT  # type: ignore[no-any-return]


async def outsiders_refused(world: World) -> bool:
    return not (await _get(world, Broadcast, "invitation")).outsiders_allowed


async def poll_decided(world: World) -> bool:
    return (await _get(world, DatePoll, "poll")).status == PollStatus.DECIDED  # type: ignore[no-any-return]


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
    Row("/menu", REGISTERED),
    Row("ob:go", EVERYONE),
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
    Row("iv:ps:{invite}:pl", COORDINATOR),
    # groups (handlers/groups.py): members browse and join; leads decide for their group;
    # coordinators create, appoint leads, archive and grant roles
    Row("/groups", REGISTERED),
    Row("gr", REGISTERED),
    Row("gr:my", REGISTERED),
    Row("gr:ls:0", REGISTERED),
    Row("gr:p:{group}:0", REGISTERED),
    Row("gr:j:{group}", REGISTERED, joined),
    Row("gr:l:{group}", REGISTERED - {"lead_here"}),  # a lead hands the group over first
    Row("gr:rq:{group}", LEAD_HERE),
    Row("gr:ok:{group}:{requester}", LEAD_HERE, request_approved),
    Row("gr:no:{group}:{requester}", LEAD_HERE),
    Row("gr:mb:{group}:0", LEAD_HERE),
    Row("gr:mbf:{group}:0", LEAD_HERE),
    Row("gr:mbs:{group}", LEAD_HERE),
    Row("gr:rm:{group}:{person}", LEAD_HERE),
    Row("gr:rmc:{group}:{person}:y", LEAD_HERE, person_removed),
    Row("gr:rmc:{group}:{person}:n", LEAD_HERE),
    Row("gr:ed:{group}", LEAD_HERE),
    Row("gr:ea:{group}", LEAD_HERE),
    Row("gr:eas:{group}:{area}", LEAD_HERE),
    Row("gr:eo:{group}", LEAD_HERE),
    Row("gr:ren:{group}", LEAD_HERE),
    Row("gr:pur:{group}", LEAD_HERE),
    Row("gr:ld:{group}:0", COORDINATOR),
    Row("gr:lds:{group}:{person}", COORDINATOR),
    Row("gr:ldc:{group}:{person}:y", COORDINATOR, lead_set),
    Row("gr:ept:{small}", COORDINATOR),
    Row("gr:epts:{small}:{group}", COORDINATOR, parent_moved),
    Row("gr:ar:{small}", COORDINATOR),
    Row("gr:arc:{small}:y", COORDINATOR, archived),
    Row("gr:new", COORDINATOR),
    Row("gr:ppl:0", COORDINATOR),
    Row("gr:pplf:0", COORDINATOR),
    Row("gr:pps", COORDINATOR),
    Row("gr:pp:{person}", COORDINATOR),
    Row("gr:rg:{person}:lead", COORDINATOR),
    Row("gr:rgc:{person}:lead:y", COORDINATOR, made_lead),
    Row("gr:rrc:{person}:lead:y", COORDINATOR),
    # /link and /unlink belong in group chats (tests/handlers/test_groups.py); here, in a
    # private chat, they only explain that.
    Row("/link", NOBODY),
    Row("/unlink", NOBODY),
    Row("gr:lk:{group}", NOBODY),
    # contributions (handlers/contributions.py): anyone registered submits, browses and
    # supports; the group's lead and coordinators set statuses; the author edits or
    # withdraws while it is new
    *[Row(f"/{kind.value}", REGISTERED) for kind in ContributionKind],
    Row("/browse", REGISTERED),
    Row("/mine", REGISTERED),
    Row("ct", REGISTERED),
    Row("ct:k:idea", REGISTERED),
    Row("ct:b", REGISTERED),
    Row("ct:b:i:{area}:{group}:n:s:0", REGISTERED),
    Row("ct:bf:k:-:-:-:-:n:0", REGISTERED),
    Row("ct:ba:i:-:-:-:n:1:1:0", REGISTERED),
    Row("ct:bb:i:-:-:-:n:0:9:0", REGISTERED),
    Row("ct:bl", REGISTERED),
    Row("ct:m", REGISTERED),
    Row("ct:m:1", REGISTERED),
    Row("ct:o:{idea}", REGISTERED),
    Row("ct:sp:{idea}", REGISTERED, supported),
    Row("ct:st:{idea}:d", LEAD_HERE, under_discussion),
    Row("ct:st:{idea}:o", NOBODY),  # skipping statuses: refused for everyone
    Row("ct:rj:{idea}", LEAD_HERE),
    Row("ct:e:{mine}", REGISTERED),
    Row("ct:w:{mine}", REGISTERED),
    Row("ct:w:{mine}:y", REGISTERED, withdrawn),
    Row("ct:e:{idea}", NOBODY),  # somebody else's
    Row("ct:w:{idea}:y", NOBODY),
    # volunteers (handlers/volunteers.py): any resident signs up; coordinators browse
    Row("/volunteer", REGISTERED),
    Row("vo", REGISTERED),
    Row("vo:edit", REGISTERED),
    Row("vo:wd", REGISTERED),
    Row("vo:wdc:y", REGISTERED),
    Row("/volunteers", COORDINATOR),
    Row("vs", COORDINATOR),
    Row("vs:fa", COORDINATOR),
    Row("vs:set:fs:0", COORDINATOR),
    Row("vs:fk", COORDINATOR),
    Row("vs:clr", COORDINATOR),
    Row("vs:ls:0", COORDINATOR),
    Row("vs:p:{volunteer}:0", COORDINATOR),
    # opportunities (handlers/opportunities.py): residents sign up; coordinators post
    Row("op", REGISTERED),
    Row("op:in:{opportunity}", REGISTERED, signed_up),
    Row("op:out:{opportunity}", REGISTERED),
    Row("op:new", COORDINATOR),
    Row("op:ar:{area}", COORDINATOR),
    Row("op:v:{opportunity}", COORDINATOR),
    Row("op:cx:{opportunity}", COORDINATOR),
    Row("op:cxc:{opportunity}:y", COORDINATOR, opportunity_cancelled),
    # broadcasts (handlers/broadcasts.py): coordinators to any audience, a lead to the
    # group they lead only
    Row("/broadcast", LEADS),
    Row("bc", LEADS),
    Row("bc:new", LEADS),
    Row("bc:grp", LEADS),
    Row("bc:mtg", COORDINATOR),
    Row("bc:var", COORDINATOR),
    Row("bc:vst", COORDINATOR),
    Row("bc:aud:all", COORDINATOR),
    Row("bc:aud:ldr", COORDINATOR),
    Row("bc:aud:grp:{group}", LEAD_HERE),
    Row("bc:aud:grp:{other}", frozenset({"lead_elsewhere", "coordinator"})),
    Row("bc:go:{draft}", LEAD_HERE, draft_sent),
    Row("bc:drop:{draft}", LEADS),
    Row("bc:stop:{running}", COORDINATOR),
    Row("bc:stopc:{running}:y", COORDINATOR, broadcast_stopped),
    Row("bc:unr:0", COORDINATOR),
    Row("bc:fmt", LEADS),
    # reports (handlers/reports.py) and the digest settings (handlers/digest.py)
    Row("/export", COORDINATOR),
    Row("rp:ex", COORDINATOR),
    Row("rp:ex:csv", COORDINATOR),
    Row("/stats", LEADS),
    Row("rp:st", LEADS),
    Row("rp:sd", LEADS),
    Row("rp:sc", LEADS),
    Row("/audit", COORDINATOR),
    Row("rp:au", COORDINATOR),
    Row("rp:au:1", COORDINATOR),
    Row("/mydata", REGISTERED),
    Row("rp:md", REGISTERED),
    Row("/forget", REGISTERED),
    Row("rp:fgq", REGISTERED),
    Row("rp:fg:n", REGISTERED),
    Row("rp:fg:y", REGISTERED, forgotten),
    Row("/settings", REGISTERED),
    Row("dg", REGISTERED),
    Row("dg:off", REGISTERED, digest_off),
    Row("dg:on", REGISTERED),
    Row("bc:redo:{draft}", LEADS),
    Row("ct:us:{idea}", REGISTERED),  # take back a support (idempotent)
    Row("ct:ph:{idea}", REGISTERED),  # the photo and place of a card
    Row("vs:set:fk:x", COORDINATOR),  # clear the skill-word filter
    # Buttons of a conversation's steps: outside their own conversation (a forged or old
    # press) they are stale for everyone; inside it, the entry point checked the role.
    *[
        Row(step, NOBODY)
        for step in (
            "ob:lang:uk",
            "vo:name",
            "vo:st:0",
            "vo:sk:0",
            "vo:ar:0",
            "vo:av:0",
            "vo:save",
            "op:qd:1",
            "op:dp",
            "op:pl:2",
            "gr:ca:1",
            "gr:cp:1",
            "gr:co:1",
            "gr:cl:1",
            "gr:clp:1",
            "gr:cc:y",
            "gr:cx",
            "ct:a:1",
            "ct:g:1",
            "ct:ns",
            "ct:sk",
            "ct:rv",
            "ct:send",
            "ct:x",
            "ct:ed",
            "ct:ef:title",
        )
    ],
    # meetings (handlers/meetings/): a coordinator or a group's lead schedules and manages;
    # a meeting not open to residents is seen and answered only by its group's members, its
    # lead and coordinators (nobody of the other roles is a member of {group} here)
    Row("/meeting", LEADS),
    Row("mt:new", LEADS),
    Row("/meetings", REGISTERED),
    Row("mt:ls", REGISTERED),
    Row("mt:ls:1", REGISTERED),
    Row("mt:v:{meeting}", LEAD_HERE),
    Row("mt:a:{meeting}:y", LEAD_HERE, meeting_answered),
    Row("mt:a:{meeting}:n", LEAD_HERE),
    Row("mt:ics:{meeting}", LEAD_HERE),
    Row("mt:here:{meeting}", LEAD_HERE),  # allowed, but it opens 30 minutes before
    Row("mt:att:{meeting}", LEAD_HERE),
    Row("mt:mk:{meeting}:{person}", LEAD_HERE),
    Row("mt:xl:{meeting}", LEAD_HERE),
    Row("mt:mv:{meeting}", LEAD_HERE),
    Row("mt:cx:{meeting}", LEAD_HERE),
    Row("mt:cxc:{meeting}:n", LEAD_HERE),
    Row("mt:cxc:{meeting}:y", LEAD_HERE, meeting_cancelled),
    Row("mt:ed:{meeting}", LEAD_HERE),
    Row("mt:ef:{meeting}:place", LEAD_HERE),
    Row("mt:ec:{meeting}:n", LEAD_HERE),
    Row("mt:fu:{meeting}", LEAD_HERE),
    Row("mt:sum:{meeting}", LEAD_HERE),
    Row("mt:ai:{meeting}", LEAD_HERE),
    Row("mt:pub:{meeting}", LEAD_HERE),
    Row("mt:done:{item}", LEAD_HERE),  # the owner ({person}) too
    Row("mp:v:{poll}", LEAD_HERE),
    Row("mp:t:{option}", LEAD_HERE),
    Row("mp:pick:{poll}", LEAD_HERE),
    Row("mp:win:{option}", LEAD_HERE),
    Row("mp:winc:{option}:n", LEAD_HERE),
    Row("mp:winc:{option}:y", LEAD_HERE, poll_decided),
    # inviting more people to a meeting (handlers/meetings/inviting.py): its lead (the groups
    # they lead) and coordinators (any audience); {invitation} is the member's own unsent
    # invitation to {meeting} for everyone, outsiders allowed (which only a coordinator may
    # do: a lead may not send it)
    Row("mi:new:{meeting}", LEAD_HERE),
    Row("mi:all:{meeting}", NOBODY),  # a closed meeting is never announced to everyone
    Row("mi:m:{invitation}", LEAD_HERE),
    Row("mi:add:{invitation}:all", COORDINATOR),
    Row("mi:add:{invitation}:ldr", COORDINATOR),
    Row("mi:add:{invitation}:vol", COORDINATOR),
    Row("mi:add:{invitation}:grp:{group}", LEAD_HERE),
    Row("mi:add:{invitation}:grp:{other}", COORDINATOR),
    Row("mi:add:{invitation}:mtg:{meeting}", LEAD_HERE),
    Row("mi:add:{invitation}:area:{area}", COORDINATOR),
    Row("mi:add:{invitation}:st:0", COORDINATOR),
    Row("mi:pg:{invitation}", COORDINATOR),
    Row("mi:pm:{invitation}", COORDINATOR),
    Row("mi:pa:{invitation}", COORDINATOR),
    Row("mi:ps:{invitation}", COORDINATOR),
    Row("mi:pv:{invitation}", COORDINATOR),
    Row("mi:out:{invitation}:n", COORDINATOR, outsiders_refused),
    Row("mi:go:{invitation}", COORDINATOR, invitation_sent),
    Row("mi:x:{invitation}", LEADS),  # the author throws their own draft away
    # Steps of /meeting and of the follow-up: stale outside their conversation.
    *[
        Row(step, NOBODY)
        for step in (
            "mc:g:{group}",
            "mc:a:0",
            "mc:d:2026-11-27",
            "mc:poll",
            "mc:h:1700",
            "mc:back",
            "mc:pd",
            "mc:du:90",
            "mc:pl",
            "mc:c:0",
            "mc:o:1",
            "mc:ag",
            "mc:send",
            "mc:x",
            "mc:e:place",
            "mf:o:{person}",
            "mf:d:7",
            "mt:ex:{meeting}",
        )
    ],
    # programme (handlers/programme/): /map for everyone registered; links from a card by
    # the authors of either side, their groups' leads and coordinators ({idea}'s author is
    # {person}); actions by coordinators and the idea's group lead; the attendance list by
    # the meeting's lead and coordinators; /programme by coordinators
    Row("/map", REGISTERED),
    Row("pg:map", REGISTERED),
    Row("pg:ma:{area}", REGISTERED),
    Row("pg:ln:{idea}", REGISTERED),
    Row("pg:lk:{idea}:r", REGISTERED),
    Row("pg:ls:{idea}", LEAD_HERE),
    Row("pg:la:{idea}:{idea}", NOBODY),  # never to itself
    Row("pg:ld:{idea}:{mine}", NOBODY),  # not linked
    Row("pg:ap:{meeting}", LEAD_HERE),
    Row("/programme", COORDINATOR),
    Row("pg:doc", COORDINATOR),
    Row("/actions", LEADS),
    Row("pg:acts", LEADS),
    Row("pg:na:{idea}", NOBODY),  # {idea} is new, not accepted
    *[
        Row(action, NOBODY)  # no such action or indicator
        for action in (
            "pg:a:0",
            "pg:pr:0",
            "pg:st:0:done",
            "pg:pc:0:50",
            "pg:ai:0",
            "pg:ac:0",
            "pg:an:0",
        )
    ],
    # Steps of the programme conversation: stale outside it.
    *[Row(step, NOBODY) for step in ("pg:rs:0", "pg:pt:0", "pg:pd", "pg:sk", "pg:x")],
]


# The features' own refusals (domain NotAllowed messages and handler checks), as msgids.
FEATURE_REFUSALS = (
    # /mydata and /forget for someone with no stored row at all: there is nothing to show.
    "I keep nothing about you: you have not started the bot yet. To begin, send /start.",
    "Please finish signing up first: send /start.",
    "Only coordinators and the group's lead can change the status.",
    "Only the author can change this contribution.",
    "Only the author can send this broadcast.",
    "Only the author or a coordinator can stop this broadcast.",
    "Only the group's lead or a coordinator can change it.",
    "Only the group's lead or a coordinator can decide this.",
    "Only the group's lead or a coordinator can see this.",
    "Only the group's lead or a coordinator can remove members.",
    "Only the group's lead or a coordinator can link its chat.",
    "You may send messages only to the groups you lead.",
    "You lead this group. Ask a coordinator to hand it to someone else first.",
    "Send this command in the group chat you want to link.",
    "The status has changed in the meantime. Please look again.",
    "This meeting is only for members of its group.",
    "Only a coordinator or the lead of this group can do this.",
    "You may invite people only to the meetings of the groups you lead.",
    "You may invite only the groups you lead (and everyone to an open meeting).",
    "Only a coordinator can invite people from outside the group.",
    "Only an open meeting can be announced to all residents.",
    "Only the authors, their groups' leads and coordinators can link these.",
    "A contribution cannot be linked to itself.",
    "These contributions are no longer linked.",
    "Only coordinators and the group's lead can plan programme actions.",
    "Only an accepted idea can become a programme action.",
    "This programme action no longer exists.",
    "This indicator no longer exists.",
)


def refusals() -> set[str]:
    """Every text the bot refuses with (English), as a whole message or alert."""
    texts = set()
    with use_language("en"):
        texts.add(not_registered_text())
        texts.update(role_refusal(role) for role in Role)
        from bot.i18n import gettext as _

        texts.add(_("This button is no longer available."))
        texts.update(_(msgid) for msgid in FEATURE_REFUSALS)
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


async def world_for(
    harness: Harness, user: User, role: str, shared: dict[str, int] | None
) -> World:
    """The world of one role's turn. `shared`: the role-independent objects of the turn
    before, when that turn changed nothing in the database (they are then as fresh as new
    ones); None: create them again."""
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
    world = World(harness, groups[0].id, groups[1].id, invite.id, me, user.id)  # type: ignore[arg-type]
    world.ids = await world.query(lambda s: _feature_objects(s, world, shared))
    return world


async def _registered(session: Any, telegram_id: int, name: str, role: Role) -> Member:
    member = await members_service.ensure_member(session, telegram_id)
    member.consent_at, member.display_name, member.language = utcnow(), name, "en"
    member.role = role.value
    session.add(member)
    await session.flush()
    return member


async def _in_group(session: Any, member_id: int, group_id: int, status: str) -> None:
    found = await session.exec(
        select(Membership).where(Membership.member_id == member_id, Membership.group_id == group_id)
    )
    if found.first() is None:
        session.add(Membership(member_id=member_id, group_id=group_id, status=status))


def _idea(area: int, group: int, author: int) -> Contribution:
    return Contribution(
        kind=ContributionKind.IDEA,
        title="A bench by the bus stop",
        details={"for_whom": "older people", "first_step": "ask the council"},
        area_id=area,
        group_id=group,
        author_id=author,
    )


async def _feature_objects(
    session: Any, world: World, shared: dict[str, int] | None
) -> dict[str, int]:
    """Objects of the later features for one role's turn (ids for the placeholders): the
    member's own ({mine}, {draft}, {invitation}) always new, the rest new unless `shared`."""
    ids = dict(shared) if shared is not None else await _shared_objects(session, world.group)
    author = world.me or ids["person"]
    mine = _idea(ids["area"], world.group, author)
    draft = Broadcast(
        author_id=author, audience={"kind": "group", "group_id": world.group}, text="Hello"
    )
    invitation = Broadcast(
        author_id=author,
        meeting_id=ids["meeting"],
        audience={
            "kind": "invitation",
            "meeting_id": ids["meeting"],
            "audiences": [{"kind": "everyone"}],
        },
        text="Playground repairs",
        outsiders_allowed=True,
    )
    session.add_all([mine, draft, invitation])
    await session.flush()
    return {**ids, "mine": mine.id, "draft": draft.id, "invitation": invitation.id}


async def _shared_objects(session: Any, group: int) -> dict[str, int]:
    person = await _registered(session, 7_990_001, "Person", Role.LEADER)
    requester = await _registered(session, 7_990_002, "Requester", Role.RESIDENT)
    boss = await _registered(session, 7_990_003, "Boss", Role.COORDINATOR)
    assert person.id and requester.id and boss.id
    await _in_group(session, person.id, group, MembershipStatus.MEMBER)
    await _in_group(session, requester.id, group, MembershipStatus.PENDING)
    area = (await session.exec(select(ProblemArea).order_by(ProblemArea.id))).first()
    theirs = _idea(area.id, group, person.id)
    small = Group(slug=f"small-{utcnow().timestamp()}", kind=GroupKind.SMALL, name="Small")
    small.names = {"en": "Small"}
    opportunity = Opportunity(
        title="Paint the fence",
        starts_at=utcnow() + timedelta(days=3),
        place="School",
        places=5,
        area_id=area.id,
        posted_by_id=boss.id,
    )
    audience = {"kind": "group", "group_id": group}
    running = Broadcast(
        author_id=boss.id, audience=audience, text="Hello", status=BroadcastStatus.RUNNING
    )
    session.add_all([theirs, small, opportunity, running])
    volunteer = (
        await session.exec(select(Volunteer).where(Volunteer.member_id == person.id))
    ).first()
    if volunteer is None:
        volunteer = Volunteer(member_id=person.id, name="Person", skills="painting")
        session.add(volunteer)
    soon = utcnow() + timedelta(days=3)
    meeting = Meeting(
        group_id=group,
        topic="Playground repairs",
        starts_at=soon,
        ends_at=soon + timedelta(minutes=90),
        place="City Hall",
        created_by_id=boss.id,
    )
    poll = DatePoll(group_id=group, topic="When?", place="City Hall", created_by_id=boss.id)
    session.add_all([meeting, poll])
    await session.flush()
    item = ActionItem(
        meeting_id=meeting.id, text="Ask for a quote", owner_id=person.id, due_on=soon.date()
    )
    option = DatePollOption(poll_id=poll.id, starts_at=soon)
    session.add_all([item, option])
    await session.flush()
    return {
        "meeting": meeting.id,
        "item": item.id,
        "poll": poll.id,
        "option": option.id,
        "person": person.id,
        "requester": requester.id,
        "area": area.id,
        "idea": theirs.id,
        "small": small.id,
        "opportunity": opportunity.id,
        "running": running.id,
        "volunteer": volunteer.id,
    }


def _shared_part(ids: dict[str, int]) -> dict[str, int]:
    return {key: value for key, value in ids.items() if key not in OWN_OBJECTS}


OWN_OBJECTS = frozenset({"mine", "draft", "invitation"})


async def perform(harness: Harness, user: User, action: str) -> list[Call]:
    if action.startswith("/"):
        return await harness.send(user, action)
    return await harness.press(user, action)


async def settle(harness: Harness) -> None:
    """Let background work started by the action end (deliveries, exports)."""
    await engine(harness.app).wait()
    await wait_for_exports()


@pytest.mark.parametrize("row", MATRIX, ids=str)
async def test_authorization(harness: Harness, row: Row) -> None:
    db = harness.app.bot_data["runtime"].db
    shared: dict[str, int] | None = None
    for number, role in enumerate(ROLES):
        user = User(7_000_000 + number * 1000 + MATRIX.index(row), language_code="en")
        world = await world_for(harness, user, role, shared)
        action = world.format(row.action)
        before = await snapshot(db)
        calls = await perform(harness, user, action)
        await settle(harness)
        after = await snapshot(db)
        # Objects nothing changed serve the next role as they are; else they are made anew.
        shared = _shared_part(world.ids) if before == after else None
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


def _callback_patterns(application: Any) -> set[str]:
    """Every pattern a CallbackQueryHandler of the application answers, also inside
    conversations (entry points, states and fallbacks)."""
    from telegram.ext import CallbackQueryHandler, ConversationHandler

    found: set[str] = set()

    def visit(handler: Any) -> None:
        if isinstance(handler, ConversationHandler):
            for inner in handler.entry_points + handler.fallbacks:
                visit(inner)
            for state_handlers in handler.states.values():
                for inner in state_handlers:
                    visit(inner)
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            pattern = handler.pattern
            found.add(pattern if isinstance(pattern, str) else pattern.pattern)

    for handlers in application.handlers.values():
        for handler in handlers:
            visit(handler)
    return found


async def test_every_button_pattern_has_a_row(harness: Harness) -> None:
    """A new button (a CallbackQueryHandler pattern) without a row here fails: decide who
    may press it. Forged presses are then tried by every role in test_authorization."""
    import re

    ids = {
        name: 1
        for name in (
            "group",
            "other",
            "invite",
            "me",
            "person",
            "requester",
            "idea",
            "mine",
            "opportunity",
            "running",
            "draft",
            "volunteer",
            "area",
            "small",
            "meeting",
            "poll",
            "option",
            "item",
            "action",
            "link",
            "contribution",
        )
    }
    actions = [row.action.format_map(_Defaulting(ids)) for row in MATRIX]
    uncovered = sorted(
        pattern
        for pattern in _callback_patterns(harness.app)
        if not any(re.match(pattern, action) for action in actions)
    )
    assert not uncovered, f"button patterns with no row in MATRIX: {uncovered}"


class _Defaulting(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "1"
