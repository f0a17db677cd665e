"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.base import UTCDateTime, utcnow
from models.contributions import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Support,
)
from models.groups import Group, GroupKind, Membership, MembershipStatus, ProblemArea
from models.invites import Invite, InviteUse
from models.meetings import (
    ActionItem,
    Answer,
    DatePoll,
    DatePollOption,
    DatePollVote,
    Meeting,
    MeetingStatus,
    PollStatus,
    ReminderSent,
    Rsvp,
)
from models.members import AuditEntry, Member, Role
from models.state import BotState

__all__ = [
    "ActionItem",
    "Answer",
    "AuditEntry",
    "BotState",
    "Contribution",
    "ContributionKind",
    "ContributionStatus",
    "DatePoll",
    "DatePollOption",
    "DatePollVote",
    "Group",
    "GroupKind",
    "Invite",
    "InviteUse",
    "Meeting",
    "MeetingStatus",
    "Member",
    "Membership",
    "MembershipStatus",
    "PollStatus",
    "ProblemArea",
    "ReminderSent",
    "Role",
    "Rsvp",
    "Support",
    "UTCDateTime",
    "utcnow",
]
