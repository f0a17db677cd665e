"""People and roles: coordinators find a person (by page or by a few letters of the name)
and grant or take back the roles of lead and coordinator, with a confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from handlers import keyboards as kb
from handlers.commands import refresh_member_commands
from handlers.common import Context, answer, esc, in_session, refuse, reply, requires, stale_text
from handlers.groups import routes as r
from handlers.groups.pages import tell
from handlers.start import role_name
from models import Member, Role


async def people_screen(update: Update, context: Context, page: int, search: str | None) -> None:
    async with context.db.session() as session:
        if search:
            persons, pages = await groups_service.search_people(session, search, page)
        else:
            persons, pages = await groups_service.people(session, page)
    await answer(update)
    page = max(0, min(page, pages - 1))
    rows = [
        [r.PERSON.button(f"{p.display_name} · {role_name(p.role)}"[:60], p.id)] for p in persons
    ]
    rows.append(r.pager(r.PEOPLE_FOUND if search else r.PEOPLE, page, pages))
    rows.append([r.PEOPLE_SEARCH.button("🔎 " + _("Search"))])
    text = _("Choose a person to change their role:")
    if search:
        found = _("Names with “{letters}”:").format(letters=esc(search))
        text = found + "\n" + (text if persons else _("Nobody's name has these letters."))
    await reply(update, text, kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def people(update: Update, context: Context) -> None:
    pressed, (page,) = r.pressed(update, r.PEOPLE, r.PEOPLE_FOUND)
    search = None
    if pressed == r.PEOPLE_FOUND and context.user_data is not None:
        found = context.user_data.get(r.SEARCHING) or {}
        search = found.get("text") if found.get("group") is None else None
    await people_screen(update, context, page, search)


def _person_card(person: Member) -> tuple[str, InlineKeyboardMarkup]:
    role = Role(person.role)
    lines = [f"<b>{esc(person.display_name)}</b>"]
    if person.institution:
        lines.append(esc(person.institution))
    lines.append(_("Role: {role}").format(role=role_name(person.role)))
    rows = []
    for target in groups_service.GRANTABLE_ROLES:
        if role == target:
            label = _("Take back: {role}").format(role=role_name(target))
            rows.append([r.REVOKE.button(label, person.id, target.value)])
        elif not role.at_least(target):
            label = _("Make {role}").format(role=role_name(target))
            rows.append([r.GRANT.button(label, person.id, target.value)])
    rows.append([r.PEOPLE.button("« " + _("People"), 0)])
    return "\n".join(lines), kb.with_menu(rows)


@requires(Role.COORDINATOR)
async def person(update: Update, context: Context) -> None:
    (person_id,) = r.args(update, r.PERSON)
    found = await in_session(context, members_service.get, person_id)
    await answer(update)
    await reply(update, *_person_card(found))


@requires(Role.COORDINATOR)
async def role_question(update: Update, context: Context) -> None:
    pressed, (person_id, role_value) = r.pressed(update, r.GRANT, r.REVOKE)
    if role_value not in groups_service.GRANTABLE_ROLES:
        await refuse(update, stale_text())
        return
    grant = pressed == r.GRANT
    found = await in_session(context, members_service.get, person_id)
    await answer(update)
    question = (
        _("Make {name} a {role}?") if grant else _("Take the role of {role} from {name}?")
    ).format(name=esc(found.display_name), role=role_name(role_value))
    confirm = r.GRANT_CONFIRM if grant else r.REVOKE_CONFIRM
    await reply(
        update, question, kb.confirmation(confirm, person_id, role_value, yes=_("Yes"), no=_("No"))
    )


@requires(Role.COORDINATOR)
async def role_change(update: Update, context: Context) -> None:
    pressed, (person_id, role_value, choice) = r.pressed(update, r.GRANT_CONFIRM, r.REVOKE_CONFIRM)
    if role_value not in groups_service.GRANTABLE_ROLES:
        await refuse(update, stale_text())
        return
    if choice != "y":
        await people_screen(update, context, 0, None)
        return
    grant = pressed == r.GRANT_CONFIRM
    async with context.db.session() as session:
        change = groups_service.grant_role if grant else groups_service.revoke_role
        changed = await change(session, context.me, person_id, role_value)

    def told() -> str:
        if grant:
            return _(
                "A coordinator made you a {role}. Send /help to see what you can do now."
            ).format(role=role_name(role_value))
        return _("A coordinator took back your role of {role}. You are now a {new}.").format(
            role=role_name(role_value), new=role_name(changed.role)
        )

    await tell(context, changed, told)
    await refresh_member_commands(context.application, changed)
    await answer(update, _("Done."))
    await reply(update, *_person_card(changed))
