"""Every button of the programme feature, declared once (callback prefix ``pg``).

Data only names things (ids, a code); every press loads the objects again and the services
check the presser.
"""

from __future__ import annotations

from handlers import keyboards as kb

F = "pg"

KIND_FILTERS = ("c", "b", "r", "e", "i", "-")  # cause, barrier, resource, experience, idea, any
KIND_OF = {"c": "cause", "b": "barrier", "r": "resource", "e": "experience", "i": "idea"}
CODE_OF = {v: k for k, v in KIND_OF.items()}
STATUSES = ("planned", "in_progress", "done", "dropped")
PERCENTS = (0, 10, 25, 50, 75, 90, 100)

# /map
MAP = kb.route(F, "map")
MAP_AREA = kb.route(F, "ma", int)  # 0: contributions with no area

# Links from a contribution's card.
LINKS = kb.route(F, "ln", int)
LINK_KIND = kb.route(F, "lk", int, KIND_FILTERS)  # suggestions of one kind
LINK_ADD = kb.route(F, "la", int, int)  # from, to
LINK_DEL = kb.route(F, "ld", int, int)
LINK_SEARCH = kb.route(F, "ls", int)

# The attendance list of a meeting.
ATTENDANCE_PDF = kb.route(F, "ap", int)

# The programme document and actions.
DOCUMENT = kb.route(F, "doc")
ACTIONS = kb.route(F, "acts")
ACTION = kb.route(F, "a", int)
NEW_ACTION = kb.route(F, "na", int)  # from an idea
RESPONSIBLE = kb.route(F, "rs", int)  # index in the profile's institutions
PARTNER = kb.route(F, "pt", int)  # toggle, index in the profile's institutions
PARTNERS_DONE = kb.route(F, "pd")
SKIP = kb.route(F, "sk")
PROGRESS = kb.route(F, "pr", int)
SET_STATUS = kb.route(F, "st", int, STATUSES)
SET_PERCENT = kb.route(F, "pc", int, int)
ADD_INDICATOR = kb.route(F, "ai", int)
ACHIEVED = kb.route(F, "ac", int)  # indicator
ADD_NOTE = kb.route(F, "an", int)
STOP = kb.route(F, "x")

# Conversation states (persistent: never renumber).
SEARCH, GOAL, TARGET, RESPONSIBLE_STATE, PARTNERS_STATE, START, END, INDICATOR, NOTE, VALUE = range(
    40, 50
)
KEY = "programme"  # user_data key of the step in progress
