"""Every button of the volunteers feature, declared once.

The data strings are those the bot has always sent (``vo`` the sign-up, ``vs`` the
coordinators' search), so buttons in old messages keep working. Data only names things:
every press loads the profile again and checks the presser.
"""

from __future__ import annotations

from handlers import keyboards as kb

F = "vo"  # sign-up
B = "vs"  # browse
# The states of the two (persistent) conversations: the numbers are stored.
NAME, PHONE, STREET, SKILLS, AREAS, AVAIL, REVIEW, SKILL_WORD = range(8)
DRAFT_KEY = "volunteer_draft"  # user_data: the profile being written
EDITING_KEY = "volunteer_editing"  # user_data: one field is changed from the review
FILTER_KEY = "volunteer_filter"  # user_data: the coordinator's filters

# /volunteer: one's own profile
SIGN_UP = kb.route(F)
EDIT = kb.route(F, "edit")
WITHDRAW = kb.route(F, "wd")
WITHDRAW_CONFIRM = kb.route(F, "wdc", kb.YES_NO)

# the sign-up's steps
KEEP_NAME = kb.route(F, "name")
STREET_PICK = kb.route(F, "st", str)  # an index, or "-" for another street
SKILL = kb.route(F, "sk", str)  # a suggestion's index, "clr" or "ok"
AREA = kb.route(F, "ar", str)  # an area's id, or "ok"
AVAILABILITY = kb.route(F, "av", str)  # a models.AVAILABILITY code, or "ok"
SAVE = kb.route(F, "save")
CHANGE = kb.route(F, "ch", int)  # the step to answer again
QUIT = kb.route(F, "quit")

# /volunteers: the coordinators' search
FILTERS = kb.route(B)
FILTER_AREA = kb.route(B, "fa")
FILTER_STREET = kb.route(B, "fs")
FILTER_TIME = kb.route(B, "fv")
FILTER_SKILL = kb.route(B, "fk")  # a word is asked
FILTER_SET = kb.route(B, "set", ("fa", "fs", "fv", "fk"), str)  # a choice, or "x": any
SKILL_ANY = kb.route(B, "set", ("fk",), ("x",))
CLEAR = kb.route(B, "clr")
LIST = kb.route(B, "ls", int)  # page
PROFILE = kb.route(B, "p", int, int)  # volunteer, page of the list
