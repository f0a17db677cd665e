"""Every message in a private chat gets an answer.

Registered after every feature (handlers/system.py), so it only sees what no conversation
and no command claimed: free text, stickers, voice notes, unknown commands. It guesses the
few things people most often mean ("help", "I want to volunteer", "meetings") and otherwise
says it did not understand, always with the main-menu buttons.
"""

from __future__ import annotations

import unicodedata

from telegram import Chat, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.i18n import gettext as _
from handlers import keyboards as kb
from handlers.common import App, Context, not_registered_text
from models import Member

# Words (folded: lower case, no diacritics) that point at one feature, per supported language.
# Not user-visible, so not in the catalogs.
GUESSES: dict[str, tuple[str, ...]] = {
    "help": ("pomoc", "pomocy", "nie wiem", "help", "допомог", "не знаю", "jak ", "how "),
    "volunteer": (
        "wolontari",
        "pomoc inn",
        "chce pomoc",
        "chcialabym pomoc",
        "chcialbym pomoc",
        "volunteer",
        "волонтер",
    ),
    "meetings": ("spotkan", "zebran", "meeting", "зустріч", "збори"),
    "idea": ("pomysl", "idea", "ідея", "пропоз"),
    "groups": ("grup", "zespol", "group", "team", "груп", "команд"),
}
# Callback data of the screen each guess opens (the same as the main-menu buttons).
GUESS_TARGETS = {
    "volunteer": "vo",
    "meetings": "mt:ls",
    "idea": "ct",
    "groups": "gr",
}


def fold(text: str) -> str:
    """Lower case without Polish or other diacritics: "Chciałabym" -> "chcialabym"."""
    text = text.lower().replace("ł", "l")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def guess(text: str) -> str | None:
    folded = fold(text)
    for topic, words in GUESSES.items():
        if any(word in folded for word in words):
            return topic
    return None


def _guess_button(topic: str) -> list[kb.InlineKeyboardButton]:
    labels = {
        "volunteer": _("Volunteer"),
        "meetings": _("Meetings"),
        "idea": _("Contribute"),
        "groups": _("Groups"),
        "help": _("Help"),
    }
    if topic == "help":
        return [kb.button(labels[topic], "hp")]
    return [kb.button(labels[topic], *GUESS_TARGETS[topic].split(kb.SEP))]


def _menu_keyboard(member: Member) -> kb.InlineKeyboardMarkup:
    from handlers.start import main_menu

    return main_menu(member)[1]


async def _answer_stranger(update: Update) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        not_registered_text(),
        reply_markup=kb.markup([[kb.button(_("Start"), "ob", "go")]]),
    )


async def _registered(update: Update, context: Context) -> tuple[Chat, Member] | None:
    """The chat and the registered member who wrote in it; None (a stranger is answered)."""
    chat = update.effective_chat
    if chat is None:
        return None
    member = context.member
    if member is None or not member.is_registered:
        await _answer_stranger(update)
        return None
    return chat, member


async def not_understood(update: Update, context: Context) -> None:
    """Free text or anything else no handler took, in a private chat."""
    message = update.effective_message
    if message is None:
        return
    found = await _registered(update, context)
    if found is None:
        return
    chat, member = found
    topic = guess(message.text or message.caption or "")
    keyboard = _menu_keyboard(member)
    if topic is not None:
        text = _("Is this what you are looking for? Tap the button, or choose from the menu.")
        rows = [_guess_button(topic), *[list(row) for row in keyboard.inline_keyboard]]
        await chat.send_message(text, reply_markup=kb.markup(rows))
        return
    await chat.send_message(
        _(
            "Sorry, I did not understand that. I work best with buttons: choose what you "
            "would like to do."
        ),
        reply_markup=keyboard,
    )


async def unknown_command(update: Update, context: Context) -> None:
    found = await _registered(update, context)
    if found is None:
        return
    chat, member = found
    await chat.send_message(
        _("I don't know this command. Here is what you can do:"),
        reply_markup=_menu_keyboard(member),
    )


async def menu_command(update: Update, context: Context) -> None:
    from handlers.start import main_menu

    found = await _registered(update, context)
    if found is None:
        return
    chat, member = found
    text, keyboard = main_menu(member)
    await chat.send_message(text, reply_markup=keyboard)


def register(application: App) -> None:
    """After every feature and before the stale-button handler."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("menu", menu_command, filters=private))
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(
            private & ~filters.COMMAND & ~filters.StatusUpdate.ALL & ~filters.UpdateType.EDITED,
            not_understood,
        )
    )
