"""Every button of the opportunities feature, declared once (callback prefix ``op``).

The data strings are those the bot has always sent, so buttons in old messages keep
working. Data only names things: every press loads the opportunity again.
"""

from __future__ import annotations

from handlers import keyboards as kb

F = "op"
# The states of the posting conversation: the numbers are stored.
TITLE, WHEN, WHERE, PLACES = range(4)
DRAFT_KEY = "opportunity_draft"  # user_data: the opportunity being posted

LIST = kb.route(F)
HELPERS = kb.route(F, "v", int)
SIGN_UP = kb.route(F, "in", int)
SIGN_OUT = kb.route(F, "out", int)
CANCEL = kb.route(F, "cx", int)
CANCEL_CONFIRM = kb.route(F, "cxc", int, kb.YES_NO)

# posting (coordinators)
NEW = kb.route(F, "new")
QUICK_TIME = kb.route(F, "qd", int)  # one of the suggested times
DEFAULT_PLACE = kb.route(F, "dp")
PLACE_COUNT = kb.route(F, "pl", int)
AREA = kb.route(F, "ar", int)  # 0: all volunteers
