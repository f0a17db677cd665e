"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.base import UTCDateTime, utcnow
from models.broadcasts import Broadcast, BroadcastRecipient, BroadcastStatus, RecipientState
from models.contributions import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Support,
)
from models.groups import Group, GroupKind, Membership, MembershipStatus, ProblemArea
from models.invites import Invite, InviteUse
from models.members import AuditEntry, Member, Role
from models.reports import DigestSend
from models.state import BotState
from models.volunteers import AVAILABILITY, Opportunity, OpportunitySignup, Volunteer

__all__ = [
    "AVAILABILITY",
    "AuditEntry",
    "BotState",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastStatus",
    "Contribution",
    "ContributionKind",
    "ContributionStatus",
    "DigestSend",
    "Group",
    "GroupKind",
    "Invite",
    "InviteUse",
    "Member",
    "Membership",
    "MembershipStatus",
    "Opportunity",
    "OpportunitySignup",
    "ProblemArea",
    "RecipientState",
    "Role",
    "Support",
    "UTCDateTime",
    "Volunteer",
    "utcnow",
]
