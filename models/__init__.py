"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.base import UTCDateTime, utcnow
from models.broadcasts import Broadcast, BroadcastRecipient, BroadcastStatus, RecipientState
from models.contributions import (
    Contribution,
    ContributionCount,
    ContributionKind,
    ContributionStatus,
    Support,
)
from models.groups import Group, GroupKind, Membership, MembershipStatus, ProblemArea
from models.invitations import MeetingInvitation
from models.invites import Invite, InviteUse
from models.meetings import (
    ActionItem,
    AnonymousAttendance,
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
from models.programme import (
    ActionIndicator,
    ActionNote,
    ActionStatus,
    ContributionLink,
    ProgrammeAction,
)
from models.reports import DigestSend
from models.state import BotState
from models.volunteers import AVAILABILITY, Opportunity, OpportunitySignup, Volunteer

__all__ = [
    "AVAILABILITY",
    "ActionIndicator",
    "ActionItem",
    "ActionNote",
    "ActionStatus",
    "AnonymousAttendance",
    "Answer",
    "AuditEntry",
    "BotState",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastStatus",
    "Contribution",
    "ContributionCount",
    "ContributionKind",
    "ContributionLink",
    "ContributionStatus",
    "DatePoll",
    "DatePollOption",
    "DatePollVote",
    "DigestSend",
    "Group",
    "GroupKind",
    "Invite",
    "InviteUse",
    "Meeting",
    "MeetingInvitation",
    "MeetingStatus",
    "Member",
    "Membership",
    "MembershipStatus",
    "Opportunity",
    "OpportunitySignup",
    "PollStatus",
    "ProblemArea",
    "ProgrammeAction",
    "RecipientState",
    "ReminderSent",
    "Role",
    "Rsvp",
    "Support",
    "UTCDateTime",
    "Volunteer",
    "utcnow",
]
