"""How a contribution looks: names, the card, its buttons, and the area and group pickers."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import notify
from bot.i18n import current_language, format_date, ngettext
from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services import groups as groups_service
from bot.services import links as links_service
from bot.services.contributions import Card
from handlers import keyboards as kb
from handlers.common import Context, esc, reply
from handlers.contributions import routes as r
from handlers.programme import routes as programme_routes
from models import ContributionKind, ContributionStatus, Group, Member, ProblemArea

ICONS = {
    ContributionKind.IDEA: "💡",
    ContributionKind.RESOURCE: "🧰",
    ContributionKind.BARRIER: "🚧",
    ContributionKind.EXPERIENCE: "📖",
    ContributionKind.CAUSE: "🔍",
}
# The most groups a picker offers (the team of the kind first).
MAX_GROUPS = 40


def kind_name(kind: str) -> str:
    return _(service.KIND_NAMES[ContributionKind(kind)])


def status_name(status: str) -> str:
    return _(service.STATUS_NAMES[ContributionStatus(status)])


# In the language being answered in (a notification renders once per recipient's language).
def area_name(area: ProblemArea | None) -> str:
    if area is None:
        return "—"
    return area.display_name(current_language())


def group_name(group: Group | None) -> str:
    return group.display_name(current_language()) if group is not None else "—"


def cancel_row() -> list[InlineKeyboardButton]:
    return [r.CANCEL.button("✖ " + _("Cancel"))]


# --- the area and group pickers (the draft's question and the list's filter) ---------------

PickButton = Callable[[str, int], InlineKeyboardButton]


async def picker_rows(
    context: Context, what: str, button: PickButton, *, kind_first: str | None = None
) -> list[list[InlineKeyboardButton]]:
    """One button a row for each problem area (`what` "area") or active group ("group"),
    built by `button(label, id)`."""
    options: list[tuple[str, int]]
    async with context.db.session() as session:
        if what == "area":
            areas = await groups_service.areas(session)
            options = [(area_name(a), a.id) for a in areas if a.id is not None]
        else:
            groups = await groups_service.cached_active_groups(session)
            if kind_first is not None:  # the team that collects this kind comes first
                groups.sort(key=lambda g: g.contribution_kind != kind_first)
            options = [(group_name(g), g.id) for g in groups[:MAX_GROUPS] if g.id is not None]
    return [[button(label, option_id)] for label, option_id in options]


# --- the card --------------------------------------------------------------------------


def card_text(card: Card, *, full: bool = True, links: str = "") -> str:
    c = card.contribution
    author = card.author_name or _("former member")
    lines = [
        f"{ICONS[ContributionKind(c.kind)]} <b>{esc(kind_name(c.kind).capitalize())} "
        f"#{c.id}: {esc(c.title)}</b>"
    ]
    if full:
        for spec in service.FIELDS[c.kind][1:]:
            value = c.details.get(spec.key)
            if value:
                lines.append(f"<i>{esc(_(spec.label))}:</i> {esc(value)}")
        extras = []
        if c.photo_file_id:
            extras.append("📷 " + _("photo"))
        if c.latitude is not None:
            extras.append("📍 " + _("location"))
        if extras:
            lines.append(" · ".join(extras))
    lines.append(
        _("Area: {area} · Group: {group}").format(
            area=esc(area_name(card.area)), group=esc(group_name(card.group))
        )
    )
    lines.append(
        _("By {author}, {date}").format(author=esc(author), date=format_date(c.created_at))
    )
    supports = ngettext("{n} support", "{n} supports", c.support_count).format(n=c.support_count)
    lines.append(f"👍 {supports} · " + _("Status: {status}").format(status=status_name(c.status)))
    if c.status == ContributionStatus.REJECTED and c.rejection_reason:
        lines.append(_("Reason: {reason}").format(reason=esc(c.rejection_reason)))
    if links:  # "Linked:" lines from bot/services/links.py, already escaped
        lines += ["", links]
    return "\n".join(lines)


def status_buttons(card: Card) -> list[InlineKeyboardButton]:
    c = card.contribution
    current = ContributionStatus(c.status)
    row = []
    following = service.NEXT_STATUS.get(current)
    if following is not None:
        row.append(
            r.STATUS.button("→ " + status_name(following), c.id, r.CODE_OF_STATUS[following])
        )
    if current in service.REJECTABLE:
        row.append(r.REJECT.button("✖ " + _("Reject"), c.id))
    return row


def support_button(card: Card) -> InlineKeyboardButton:
    """What a press does is what the label says: support, or take one's support back."""
    c = card.contribution
    if card.supported:
        return r.UNSUPPORT.button(
            "✅ " + _("Undo my support ({n})").format(n=c.support_count), c.id
        )
    return r.SUPPORT.button("👍 " + _("Support ({n})").format(n=c.support_count), c.id)


def card_keyboard(
    card: Card, viewer: Member | None, *, may_set_status: bool, back: bool = True
) -> InlineKeyboardMarkup:
    c = card.contribution
    rows: list[list[InlineKeyboardButton]] = [[support_button(card)]]
    if may_set_status:
        rows.append(status_buttons(card))
    if viewer is not None and c.author_id == viewer.id and c.status == ContributionStatus.NEW:
        rows.append(
            [
                r.EDIT_EXISTING.button("✏️ " + _("Edit"), c.id),
                r.DELETE.button(_("Delete the contribution"), c.id),
            ]
        )
    if c.photo_file_id or c.latitude is not None:
        rows.append([r.MEDIA.button("📷 " + _("Show photo and place"), c.id)])
    rows.append([programme_routes.LINKS.button("🔗 " + _("Links"), c.id)])
    if back:
        rows.append([r.BACK_TO_LIST.button("« " + _("Back to the list"))])
    return kb.with_menu(rows)


async def load_card(context: Context, contribution_id: int) -> tuple[Card, bool, str]:
    """The card as the member sees it, whether they may move its status, and its links."""
    async with context.db.session() as session:
        card = await service.card(session, contribution_id, context.member)
        may = await service.may_set_status(session, context.member, card.contribution)
        links = await links_service.links_section(session, contribution_id)
    return card, may, links


async def show_card(
    update: Update, context: Context, card: Card, may_set_status: bool, links: str = ""
) -> None:
    keyboard = card_keyboard(card, context.member, may_set_status=may_set_status)
    await reply(update, card_text(card, links=links), keyboard)


async def render_card(update: Update, context: Context, contribution_id: int) -> None:
    await show_card(update, context, *await load_card(context, contribution_id))


async def tell_author(context: Context, contribution_id: int) -> None:
    runtime = context.runtime
    async with runtime.db.session() as session:
        card = await service.card(session, contribution_id)
        author = (
            await session.get(Member, card.contribution.author_id)
            if card.contribution.author_id
            else None
        )
    if author is None:
        return
    c = card.contribution

    def render() -> tuple[str, InlineKeyboardMarkup | None]:
        text = _("Your {kind} #{number} “{title}” is now: {status}.").format(
            kind=kind_name(c.kind), number=c.id, title=esc(c.title), status=status_name(c.status)
        )
        if c.status == ContributionStatus.REJECTED and c.rejection_reason:
            text += "\n" + _("Reason: {reason}").format(reason=esc(c.rejection_reason))
        return text, kb.markup([[r.OPEN.button(_("Open"), c.id)]])

    await notify.notify_member(context.bot, runtime.db, author, render)
