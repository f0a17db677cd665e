"""Every button of /broadcast, declared once (callback prefix ``bc``): data, handler
pattern and parsing. The data strings are those the bot has always sent."""

from __future__ import annotations

from handlers import keyboards as kb

F = "bc"
# The states of the composing conversation: the numbers are stored.
TEXT, PREVIEW = range(2)
AUDIENCE_KEY = "broadcast_audience"  # user_data: who the message is for
PREVIEW_KEY = "broadcast_preview"  # user_data: the draft whose preview waits

OVERVIEW = kb.route(F)
STOP = kb.route(F, "stop", int)
STOP_CONFIRM = kb.route(F, "stopc", int, kb.YES_NO)
UNREACHABLE = kb.route(F, "unr", int)  # page

# a new broadcast: the audience
NEW = kb.route(F, "new")
PICK_GROUP = kb.route(F, "grp")
PICK_MEETING = kb.route(F, "mtg")
PICK_AREA = kb.route(F, "var")
PICK_STREET = kb.route(F, "vst")
AUDIENCE = kb.route(F, "aud", ("all", "ldr", "vol"))
AUDIENCE_GROUP = kb.route(F, "aud", ("grp",), int)
AUDIENCE_MEETING = kb.route(F, "aud", ("mtg",), int)
AUDIENCE_AREA = kb.route(F, "aud", ("area",), int)
AUDIENCE_STREET = kb.route(F, "aud", ("st",), str)  # an index, or "-" for other streets
AUDIENCES = (AUDIENCE, AUDIENCE_GROUP, AUDIENCE_MEETING, AUDIENCE_AREA, AUDIENCE_STREET)

# the text and its preview
FORMATTING = kb.route(F, "fmt")
SEND = kb.route(F, "go", int)
REDO = kb.route(F, "redo", int)
DROP = kb.route(F, "drop", int)
