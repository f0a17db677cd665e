"""Who may do what: the one place that answers, for handlers and tests alike."""

from __future__ import annotations

from enum import StrEnum

from models import Group, Member, Role


class Action(StrEnum):
    USE_BOT = "use_bot"  # any registered member (consented and named)
    INVITE = "invite"
    MANAGE_ROLES = "manage_roles"
    CREATE_GROUP = "create_group"
    EDIT_GROUP = "edit_group"  # coordinator, or the lead of that group
    ARCHIVE_GROUP = "archive_group"
    DECIDE_JOIN_REQUEST = "decide_join_request"  # coordinator, or the lead of that group
    LINK_CHAT = "link_chat"  # coordinator, or the lead of that group
    SEE_MEMBERS = "see_members"  # coordinator, or a member of that group
    SCHEDULE_MEETING = "schedule_meeting"  # coordinator, or the lead of that group
    MANAGE_MEETING = "manage_meeting"  # move, cancel, attendance, summary: same people
    SUBMIT_CONTRIBUTION = "submit_contribution"  # anyone registered
    SUPPORT_CONTRIBUTION = "support_contribution"  # anyone registered
    SET_CONTRIBUTION_STATUS = "set_contribution_status"  # coordinator, or the group's lead
    BROADCAST = "broadcast"  # coordinator, or the lead of that group (to that group only)
    POST_OPPORTUNITY = "post_opportunity"
    SEE_VOLUNTEERS = "see_volunteers"
    EXPORT = "export"  # the whole database as a workbook
    SEE_STATS = "see_stats"  # coordinators and group leads
    SEE_AUDIT = "see_audit"


# The lowest role that may do an action anywhere.
_MINIMUM = {
    Action.USE_BOT: Role.RESIDENT,
    Action.INVITE: Role.COORDINATOR,
    Action.MANAGE_ROLES: Role.COORDINATOR,
    Action.CREATE_GROUP: Role.COORDINATOR,
    Action.EDIT_GROUP: Role.COORDINATOR,
    Action.ARCHIVE_GROUP: Role.COORDINATOR,
    Action.DECIDE_JOIN_REQUEST: Role.COORDINATOR,
    Action.LINK_CHAT: Role.COORDINATOR,
    Action.SEE_MEMBERS: Role.COORDINATOR,
    Action.SCHEDULE_MEETING: Role.COORDINATOR,
    Action.MANAGE_MEETING: Role.COORDINATOR,
    Action.SUBMIT_CONTRIBUTION: Role.RESIDENT,
    Action.SUPPORT_CONTRIBUTION: Role.RESIDENT,
    Action.SET_CONTRIBUTION_STATUS: Role.COORDINATOR,
    Action.BROADCAST: Role.COORDINATOR,
    Action.POST_OPPORTUNITY: Role.COORDINATOR,
    Action.SEE_VOLUNTEERS: Role.COORDINATOR,
    Action.EXPORT: Role.COORDINATOR,
    Action.SEE_STATS: Role.LEAD,
    Action.SEE_AUDIT: Role.COORDINATOR,
}
# Actions the lead of the group in question may do too.
_LEAD_MAY = {
    Action.EDIT_GROUP,
    Action.DECIDE_JOIN_REQUEST,
    Action.LINK_CHAT,
    Action.SEE_MEMBERS,
    Action.SCHEDULE_MEETING,
    Action.MANAGE_MEETING,
    Action.SET_CONTRIBUTION_STATUS,
    Action.BROADCAST,
}


def can(
    member: Member | None, action: Action, group: Group | None = None, *, is_member: bool = False
) -> bool:
    if member is None or not member.is_registered:
        return False
    role = Role(member.role)
    if role.at_least(_MINIMUM[action]):
        return True
    if group is None or group.archived_at is not None:
        return False
    if action in _LEAD_MAY and group.lead_id is not None and group.lead_id == member.id:
        return True
    return action == Action.SEE_MEMBERS and is_member


def has_role(member: Member | None, role: Role) -> bool:
    return member is not None and member.is_registered and Role(member.role).at_least(role)
