"""Every button of the meetings feature, declared once.

The prefixes and actions are those of the first release, so buttons in old messages keep
working: ``mt`` a meeting (by id), ``mp`` a date poll (by poll or option id), ``mc`` a step of
the /meeting draft, ``mf`` a step of the follow-up conversation. Data only names things: every
press loads the meeting again and checks the presser.
"""

from __future__ import annotations

from handlers import keyboards as kb

F = "mt"  # a meeting: the list, its card, answers, attendance, changes, follow-up
P = "mp"  # a date poll
C = "mc"  # the /meeting draft
FU = "mf"  # the follow-up conversation

HOURS = (9, 10, 12, 14, 16, 17, 18, 19)  # the quick buttons of the hour step
HOUR_CODES = tuple(f"{hour:02d}00" for hour in HOURS)
ANSWERS = ("y", "m", "n")  # I'll come / maybe / I can't
OPENNESS = ("1", "0")  # open to residents / only the group's members

# /meetings and a meeting's card
LIST = kb.route(F, "ls")
LIST_PAGE = kb.route(F, "ls", int)  # a page of /meetings
NEW = kb.route(F, "new")
VIEW = kb.route(F, "v", int)
ANSWER = kb.route(F, "a", int, ANSWERS)
ICS = kb.route(F, "ics", int)
CHECK_IN = kb.route(F, "here", int)

# attendance
ATTENDANCE = kb.route(F, "att", int)
MARK = kb.route(F, "mk", int, int)  # meeting, member
ATTENDANCE_FILE = kb.route(F, "xl", int)

# moving and cancelling
MOVE = kb.route(F, "mv", int)
CANCEL = kb.route(F, "cx", int)
CANCEL_CONFIRM = kb.route(F, "cxc", int, kb.YES_NO)

# changing the details
EDIT = kb.route(F, "ed", int)  # what to change
EDIT_FIELD = kb.route(F, "ef", int, ("topic", "place", "agenda", "capacity"))
EDIT_CLEAR = kb.route(F, "ex", int)  # no agenda / no limit, while the new value is asked
EDIT_CONFIRM = kb.route(F, "ec", int, kb.YES_NO)

# follow-up
FOLLOW_UP = kb.route(F, "fu", int)
SUMMARY = kb.route(F, "sum", int)
ADD_ITEM = kb.route(F, "ai", int)
PUBLISH = kb.route(F, "pub", int)
ITEM_DONE = kb.route(F, "done", int)
ITEM_OWNER = kb.route(FU, "o", int)  # member
ITEM_DUE = kb.route(FU, "d", int)  # days from today

# date polls
POLL_VIEW = kb.route(P, "v", int)
POLL_TICK = kb.route(P, "t", int)  # option
POLL_PICK = kb.route(P, "pick", int)  # poll
POLL_WIN = kb.route(P, "win", int)  # option
POLL_WIN_CONFIRM = kb.route(P, "winc", int, kb.YES_NO)

# the /meeting draft
DRAFT_GROUP = kb.route(C, "g", int)
DRAFT_AREA = kb.route(C, "a", int)  # 0: the group's own area
DRAFT_DAY = kb.route(C, "d", str)  # an ISO date
DRAFT_POLL = kb.route(C, "poll")
DRAFT_HOUR = kb.route(C, "h", HOUR_CODES)
DRAFT_OTHER_DAY = kb.route(C, "back")
DRAFT_CANDIDATES_DONE = kb.route(C, "pd")
DRAFT_DURATION = kb.route(C, "du", int)
DRAFT_USUAL_PLACE = kb.route(C, "pl")
DRAFT_CAPACITY = kb.route(C, "c", int)  # 0: no limit
DRAFT_OPENNESS = kb.route(C, "o", OPENNESS)
DRAFT_SKIP_AGENDA = kb.route(C, "ag")
DRAFT_SEND = kb.route(C, "send")
DRAFT_EDIT = kb.route(C, "e", ("place", "cap", "agenda", "dur", "area"))  # a change from the review
STOP = kb.route(C, "x")  # Cancel, in every step of both conversations
