"""What onboarding and the menu look like: the consent screen, the name and institution
questions, the main menu and /help. Each returns its text (and keyboard)."""

from __future__ import annotations

from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from handlers import keyboards as kb
from handlers.common import esc, not_registered_text
from handlers.start import routes as r
from models import Member, Role

# A role as a person's title, by rank (models.Role.rank).
_ROLE_NAMES = (N_("resident"), N_("leader"), N_("group lead"), N_("coordinator"))


def role_name(role: str) -> str:
    return _(_ROLE_NAMES[Role(role).rank])


def consent_screen() -> tuple[str, kb.InlineKeyboardMarkup]:
    text = "\n\n".join(
        [
            _("Good morning! I am the bot of the Local Development Leaders Team."),
            _(
                "I help the team between meetings: working groups, meetings and reminders, "
                "ideas and local resources, volunteering."
            ),
            "<b>"
            + _("Privacy")
            + "</b>\n"
            + _(
                "To take part I need to store your name, optionally your institution, and what "
                "you send me. Only the programme's coordinators and members of your groups see "
                "it. You can see everything I keep with /mydata and erase it with /forget."
            )
            + " "
            + _(
                "If you erase your data, your attendance at meetings that took place stays "
                "in the programme's figures anonymously, without your name."
            ),
            _("Do you agree?"),
        ]
    )
    keyboard = kb.markup(
        [
            [r.AGREE.button(_("I agree"), "y"), r.AGREE.button(_("I don't agree"), "n")],
            kb.language_buttons(r.F, "lang"),
        ]
    )
    return text, keyboard


def name_prompt(suggestion: str | None) -> tuple[str, kb.InlineKeyboardMarkup | None]:
    text = _("How should others in the team see you? Send your name, for example: Anna Kowalska.")
    if suggestion:
        use = _("Use “{name}”").format(name=suggestion[:40])
        return text, kb.markup([[r.TELEGRAM_NAME.button(use)]])
    return text, None


def institution_prompt(institutions: tuple[str, ...]) -> tuple[str, kb.InlineKeyboardMarkup]:
    text = _(
        "Which institution or organisation do you represent? Pick one, type its name, "
        "or skip if you are here as a resident."
    )
    rows = [[r.PICK_INSTITUTION.button(name, index)] for index, name in enumerate(institutions)]
    rows.append([r.PICK_INSTITUTION.button(_("Skip"), "skip")])
    return text, kb.markup(rows)


# The main menu's keyboard by language and entries shown: the same for everyone with the
# same role, built once (a keyboard is immutable; building its buttons costs more than the
# database read of a /start).
_MENU_KEYBOARDS: dict[tuple[object, ...], kb.InlineKeyboardMarkup] = {}


def _menu_keyboard(role: Role) -> kb.InlineKeyboardMarkup:
    from handlers import menu_entries

    entries = [e for e in menu_entries() if role.at_least(e.min_role)]
    entries.sort(key=lambda e: e.order)
    key = (current_language(), *((e.label, e.callback_data) for e in entries))
    keyboard = _MENU_KEYBOARDS.get(key)
    if keyboard is None:
        buttons = [kb.button(_(e.label), *e.callback_data.split(kb.SEP)) for e in entries]
        keyboard = _MENU_KEYBOARDS[key] = kb.markup(kb.grid(buttons, 2))
    return keyboard


def main_menu(member: Member) -> tuple[str, kb.InlineKeyboardMarkup]:
    role = Role(member.role)
    text = _("Hello, {name}! Your role: {role}. What would you like to do?").format(
        name=esc(member.display_name or ""), role=role_name(member.role)
    )
    return text, _menu_keyboard(role)


_HELP_TEXTS: dict[tuple[str, bool, Role], str] = {}


def help_text(member: Member | None) -> str:
    """What /help says: the same for everyone with the same language, role and sign-up
    state, so it is put together once."""
    registered = member is not None and member.is_registered
    role = Role(member.role) if member is not None else Role.RESIDENT
    key = (current_language(), registered, role)
    text = _HELP_TEXTS.get(key)
    if text is None:
        text = _HELP_TEXTS[key] = _help_text(registered, role)
    return text


def _help_text(registered: bool, role: Role) -> str:
    from handlers import all_commands

    lines = ["<b>" + _("What I can do for you") + "</b>", ""]
    for spec in all_commands():
        if spec.scope != "private":
            continue
        if spec.min_role is not None and (not registered or not role.at_least(spec.min_role)):
            continue
        lines.append(f"/{spec.name} — {_(spec.description)}")
    if not registered:
        lines += ["", not_registered_text()]
    else:
        lines += ["", _("You can also use the buttons of the main menu: /start.")]
    return "\n".join(lines)
