"""Every button of the contributions feature, declared once (callback prefix ``ct``).

Callback data carries ids and one-letter codes only, so it stays under 64 bytes whatever the
ids; every press loads the contribution again and checks the presser.
"""

from __future__ import annotations

from handlers import keyboards as kb
from models import ContributionKind, ContributionStatus

F = "ct"

# One-letter codes keep browse callbacks short; "-" is "any".
KIND_CODE = {
    "i": ContributionKind.IDEA,
    "r": ContributionKind.RESOURCE,
    "b": ContributionKind.BARRIER,
    "e": ContributionKind.EXPERIENCE,
    "c": ContributionKind.CAUSE,
}
STATUS_CODE = {
    "n": ContributionStatus.NEW,
    "d": ContributionStatus.DISCUSSION,
    "a": ContributionStatus.ACCEPTED,
    "p": ContributionStatus.IN_PROGRESS,
    "o": ContributionStatus.DONE,
    "r": ContributionStatus.REJECTED,
}
CODE_OF_KIND = {v: k for k, v in KIND_CODE.items()}
CODE_OF_STATUS = {v: k for k, v in STATUS_CODE.items()}
NONE = "-"
KINDS = (*KIND_CODE, NONE)
STATUSES = (*STATUS_CODE, NONE)
SORTS = ("s", "n")  # most supported first / newest first
DIMENSIONS = ("k", "a", "g", "s")  # the filter being chosen: kind, area, group, status
# kind, area, group, status, sort: a list's filters
FILTER_ARGS: tuple[kb.ArgSpec, ...] = (KINDS, str, str, STATUSES, SORTS)

# The menu and the lists.
CHOOSE_KIND = kb.route(F)
BROWSE = kb.route(F, "b")
BROWSE_PAGE = kb.route(F, "b", *FILTER_ARGS, int)
# The next / previous page from where the shown one ends / starts (a keyset: page number,
# then the card's id and support count), so page 500 costs what page 1 does.
BROWSE_AFTER = kb.route(F, "ba", *FILTER_ARGS, int, int, int)
BROWSE_BEFORE = kb.route(F, "bb", *FILTER_ARGS, int, int, int)
FILTER = kb.route(F, "bf", DIMENSIONS, *FILTER_ARGS)
# Never built: data that also carries a page (accepted as before, the page is ignored).
FILTER_WITH_PAGE = kb.route(F, "bf", DIMENSIONS, *FILTER_ARGS, int)
BACK_TO_LIST = kb.route(F, "bl")
MINE = kb.route(F, "m")
MINE_PAGE = kb.route(F, "m", int)

# The draft conversation.
KIND = kb.route(F, "k", str)
EDIT_EXISTING = kb.route(F, "e", int)
SKIP_FIELD = kb.route(F, "sk")
AREA = kb.route(F, "a", int)
GROUP = kb.route(F, "g", int)
SKIP_ATTACHMENT = kb.route(F, "ns")
EDIT_MENU = kb.route(F, "ed")
EDIT_FIELD = kb.route(F, "ef", str)
BACK_TO_REVIEW = kb.route(F, "rv")
SEND = kb.route(F, "send")
CANCEL = kb.route(F, "x")

# One card.
OPEN = kb.route(F, "o", int)
# Support, and take one's support back: two routes, each idempotent. Messages sent when "sp"
# was a toggle still carry it under either label; the data cannot tell which, so it only ever
# supports (pressed when already supporting, it changes nothing and says so).
SUPPORT = kb.route(F, "sp", int)
UNSUPPORT = kb.route(F, "us", int)
MEDIA = kb.route(F, "ph", int)
STATUS = kb.route(F, "st", int, tuple(STATUS_CODE))
REJECT = kb.route(F, "rj", int)
DELETE = kb.route(F, "w", int)
DELETE_CONFIRM = kb.route(F, "w", int, kb.YES_NO)
