"""The lists of groups and a group's page (rendering is pure: handlers and the benchmark)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import notify, reminders
from bot.i18n import current_language, ngettext
from bot.i18n import gettext as _
from bot.services import contributions as contributions_service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services.contributions import Card, Filters
from bot.services.errors import DomainError, NotAllowed
from bot.services.groups import GroupPage, GroupSummary
from bot.services.permissions import Action, can
from handlers import keyboards as kb
from handlers.common import Context, answer, domain_message, esc, reply, requires, tg_len
from handlers.contributions import browse_button, kind_name
from handlers.groups import routes as r
from handlers.meetings import cards as meeting_cards
from handlers.meetings import routes as meeting_routes
from models import Group, GroupKind, Meeting, Member, MembershipStatus, ProblemArea

GROUPS_PER_PAGE = 10
LATEST_CONTRIBUTIONS = 3
TEXT_LIMIT = 4096


async def tell(context: Context, member: Member, render: Callable[[], str]) -> None:
    """A plain message to someone else, in their language."""
    await notify.notify_member(context.bot, context.db, member, lambda: (render(), None))


def area_name(area: ProblemArea | None) -> str:
    if area is None:
        return "—"
    return area.names.get(current_language()) or next(iter(area.names.values()), area.slug)


def member_count(n: int) -> str:
    return ngettext("{n} member", "{n} members", n).format(n=n)


def back_rows(group_id: int | None = None) -> list[list[InlineKeyboardButton]]:
    rows = []
    if group_id:
        rows.append([r.PAGE.button("« " + _("Back to the group"), group_id, 0)])
    rows.append([r.ALL_PAGE.button("« " + _("All groups"), 0)])
    return rows


def person_rows(
    persons: list[Member], choose: kb.Route, *ids: object, prefix: str = ""
) -> list[list[InlineKeyboardButton]]:
    """One button per person (a picker): `choose` takes `ids` and the person's id."""
    return [[choose.button(prefix + (p.display_name or "?")[:40], *ids, p.id)] for p in persons]


def render_list(
    summaries: list[GroupSummary], page: int, member: Member, *, mine: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(summaries) // GROUPS_PER_PAGE))
    page = max(0, min(page, pages - 1))
    shown = summaries[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
    title = _("My groups") if mine else _("Working groups")
    lines = ["<b>" + title + "</b>", ""]
    buttons = []
    for summary in shown:
        group = summary.group
        name = esc(group.display_name(current_language()))
        line = f"• <b>{name}</b> — {member_count(summary.member_count)}"
        if not group.is_open:
            line += " · " + _("closed")
        if summary.status == MembershipStatus.PENDING:
            line += " · " + _("request waiting")
        lines.append(line)
        buttons.append(r.PAGE.button(group.display_name(current_language())[:40], group.id, 0))
    if not summaries:
        lines.append(
            _("You are not in any group yet. Open one from the list and join it.")
            if mine
            else _("There are no groups yet.")
        )
    rows = kb.grid(buttons, 2)
    rows.append(r.pager(r.MINE_PAGE if mine else r.ALL_PAGE, page, pages))
    if mine:
        rows.append([r.ALL_PAGE.button(_("All groups"), 0)])
    else:
        rows.append([r.MINE.button(_("My groups"))])
    if can(member, Action.CREATE_GROUP):
        rows.append([r.NEW.button(_("New small group"))])
    return "\n".join(lines), kb.with_menu(rows)


def fit(head: list[str], tail: list[str]) -> str:
    """Join lines, dropping member lines from the end rather than exceeding Telegram's limit."""
    text = "\n".join(head + tail)
    while tg_len(text) > TEXT_LIMIT and tail:
        tail = [*tail[:-2], "…"]
        text = "\n".join(head + tail)
    return text[:TEXT_LIMIT]


def person_line(person: Member) -> str:
    line = "• " + esc(person.display_name or "?")
    if person.institution:
        line += " — " + esc(person.institution)
    return line


def _head(page: GroupPage) -> list[str]:
    group = page.group
    language = current_language()
    kind = _("Team") if group.kind == GroupKind.TEAM else _("Small group")
    openness = _("open to everyone") if group.is_open else _("joining needs the lead's approval")
    head = [f"<b>{esc(group.display_name(language))}</b>", f"<i>{kind} · {openness}</i>"]
    purpose = group.display_purpose(language)
    if purpose:
        head += ["", esc(purpose)]
    head.append("")
    if page.area is not None:
        head.append(_("Problem area: {area}").format(area=esc(area_name(page.area))))
    if page.parent is not None:
        head.append(_("Part of: {team}").format(team=esc(page.parent.display_name(language))))
    lead = esc(page.lead.display_name) if page.lead and page.lead.display_name else _("none yet")
    head.append(_("Lead: {name}").format(name=lead))
    head.append(member_count(page.member_count))
    if group.chat_id is not None:
        head.append(_("Has a linked group chat."))
    if page.viewer_status == MembershipStatus.MEMBER:
        head += ["", "✅ " + _("You are a member of this group.")]
    elif page.viewer_status == MembershipStatus.PENDING:
        head += ["", "⏳ " + _("Your request to join is waiting for the lead's answer.")]
    return head


def _tail(page: GroupPage, latest: list[Card] | None, upcoming: list[Meeting] | None) -> list[str]:
    tail: list[str] = []
    if upcoming:
        tail += meeting_cards.upcoming_lines(upcoming)
    if latest:
        tail += ["", "<b>" + _("Latest contributions") + "</b>"]
        for card in latest[:LATEST_CONTRIBUTIONS]:
            item = card.contribution
            tail.append(f"• #{item.id} {kind_name(item.kind)}: {esc(item.title)}")
    if page.may_see_members and page.members:
        tail += ["", "<b>" + _("Members") + "</b>"]
        tail += [person_line(person) for person in page.members]
    elif not page.may_see_members and page.member_count:
        tail += [
            "",
            "<i>" + _("Only members of this group and coordinators see who is in it.") + "</i>",
        ]
    return tail


def _page_rows(
    page: GroupPage, viewer: Member, latest: list[Card] | None, upcoming: list[Meeting] | None
) -> list[list[InlineKeyboardButton]]:
    group = page.group
    rows: list[list[InlineKeyboardButton]] = []
    if page.viewer_status is None:
        label = _("Join") if group.is_open or page.may_decide else _("Ask to join")
        rows.append([r.JOIN.button(label, group.id)])
    elif page.viewer_status == MembershipStatus.PENDING:
        rows.append([r.LEAVE.button(_("Withdraw my request"), group.id)])
    elif group.lead_id != viewer.id:
        rows.append([r.LEAVE.button(_("Leave the group"), group.id)])
    rows.append(r.pager(r.PAGE, page.page, page.pages, group.id))
    rows += kb.grid(
        [meeting_routes.VIEW.button(f"📅 {m.topic[:28]}", m.id) for m in upcoming or []], 2
    )
    if latest:
        rows.append([browse_button(_("Group contributions"), Filters(group_id=group.id))])
    if page.may_decide and page.pending_count:
        label = _("Join requests ({n})").format(n=page.pending_count)
        rows.append([r.REQUESTS.button(label, group.id)])
    if page.may_decide and page.member_count:
        rows.append([r.MEMBERS.button("👥 " + _("Manage members"), group.id, 0)])
    manage = []
    if page.may_edit:
        manage.append(r.EDIT.button(_("Edit"), group.id))
    if can(viewer, Action.MANAGE_ROLES):
        manage.append(r.LEAD_PICK.button(_("Change lead"), group.id, 0))
    if page.may_archive:
        manage.append(r.ARCHIVE.button(_("Archive"), group.id))
    rows.append(manage)
    rows.append([r.ALL_PAGE.button("« " + _("All groups"), 0)])
    return rows


def render_page(
    page: GroupPage,
    viewer: Member,
    latest: list[Card] | None = None,
    upcoming: list[Meeting] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    text = fit(_head(page), _tail(page, latest, upcoming))
    return text, kb.with_menu(_page_rows(page, viewer, latest, upcoming))


async def page_screen(
    session: AsyncSession, group_id: int | None, viewer: Member, page: int, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The whole group page: the group, its latest contributions, its upcoming meetings."""
    info = await groups_service.group_page(session, group_id, viewer, page)
    assert info.group.id is not None
    latest = await contributions_service.latest_in_group(
        session, info.group.id, LATEST_CONTRIBUTIONS
    )
    upcoming = await meetings_service.upcoming_in_group(session, info.group.id, now=now)
    return render_page(info, viewer, latest, upcoming)


async def show_page(update: Update, context: Context, group_id: int | None, page: int = 0) -> None:
    """The group's page, or why it cannot be shown (with the way back to the list)."""
    try:
        async with context.db.session() as session:
            text, keyboard = await page_screen(
                session, group_id, context.me, page, reminders.clock(context.application)
            )
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu(back_rows()))
        return
    await reply(update, text, keyboard)


async def back_to_page(update: Update, context: Context, group_id: int | None) -> None:
    """The "No" of a confirmation: nothing changes, the group's page again."""
    await answer(update)
    await show_page(update, context, group_id)


@requires()
async def list_groups(update: Update, context: Context) -> None:
    await answer(update)
    pressed = r.data_of(update)
    mine = r.MINE.matches(pressed) or r.MINE_PAGE.matches(pressed)
    async with context.db.session() as session:
        if mine:
            summaries = await groups_service.my_groups(session, context.me)
        else:
            summaries = await groups_service.list_groups(session)
    page = 0
    for paged in (r.ALL_PAGE, r.MINE_PAGE):
        if paged.matches(pressed):
            (page,) = paged.parse(pressed)
    text, keyboard = render_list(summaries, page, context.me, mine=mine)
    await reply(update, text, keyboard)


@requires()
async def group_page(update: Update, context: Context) -> None:
    group_id, page = r.args(update, r.PAGE)
    await answer(update)
    await show_page(update, context, group_id, page)


async def group_if(context: Context, group_id: int | None, action: Action, refusal: str) -> Group:
    """The active group, if the presser may do `action` to it; NotAllowed(`refusal`) if not."""
    async with context.db.session() as session:
        group = await groups_service.get_active(session, group_id)
    if not can(context.me, action, group):
        raise NotAllowed(refusal)
    return group
