"""Every button of onboarding, the main menu, /help and /language, declared once.

The data strings are those the bot has always sent (``ob`` onboarding, ``mn`` the menu,
``hp`` help, ``lg`` the language), so buttons in old messages keep working.
"""

from __future__ import annotations

from handlers import keyboards as kb

F = "ob"  # onboarding
# The states of the onboarding conversation: the numbers are stored.
CONSENT, NAME, INSTITUTION = range(3)
INVITE_KEY = "pending_invite"  # user_data: the invite code of /start, kept until the end
LANGUAGE_KEY = "language"  # user_data: the language chosen before consent

START = kb.route(F, "go")  # "Start" under a reply to a stranger
# The steps' buttons. They also work outside their step, routed by the member's progress.
AGREE = kb.route(F, "consent", kb.YES_NO)
TELEGRAM_NAME = kb.route(F, "tgname")
PICK_INSTITUTION = kb.route(F, "inst", str)  # an index, or "skip"
ONBOARDING_LANGUAGE = kb.route(F, "lang", str)

MENU = kb.route(kb.MENU)
HELP = kb.route("hp")
LANGUAGE = kb.route("lg")
LANGUAGE_SET = kb.route("lg", "set", str)
