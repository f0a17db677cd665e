"""Lists of contributions: /browse with filters and sorting, /mine, paged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services import groups as groups_service
from bot.services.contributions import Filters
from handlers import keyboards as kb
from handlers.common import Context, answer, esc, pressed_args, reply, requires
from handlers.contributions import routes as r
from handlers.contributions.cards import (
    ICONS,
    area_name,
    card_text,
    group_name,
    kind_name,
    picker_rows,
    status_name,
)
from models import ContributionKind, ContributionStatus, Member

LAST_LIST = "ct_list"


def filters_from(args: tuple[Any, ...]) -> tuple[Filters, int]:
    """Filters (and the page, when given) from a list route's arguments."""

    def part(index: int) -> str:
        return str(args[index]) if index < len(args) else r.NONE

    def number(index: int) -> int | None:
        try:
            return int(part(index))
        except ValueError:
            return None

    kind = r.KIND_CODE.get(part(0))
    status = r.STATUS_CODE.get(part(3))
    filters_ = Filters(
        kind=kind.value if kind else None,
        area_id=number(1),
        group_id=number(2),
        status=status.value if status else None,
        by_support=part(4) == "s",
    )
    return filters_, max(number(5) or 0, 0)


def filter_args(f: Filters) -> list[object]:
    return [
        r.CODE_OF_KIND[ContributionKind(f.kind)] if f.kind else r.NONE,
        f.area_id or r.NONE,
        f.group_id or r.NONE,
        r.CODE_OF_STATUS[ContributionStatus(f.status)] if f.status else r.NONE,
        "s" if f.by_support else "n",
    ]


def browse_button(label: str, filters_: Filters) -> InlineKeyboardButton:
    """A button that opens /browse with these filters (used by other screens)."""
    return r.BROWSE_PAGE.button(label, *filter_args(filters_), 0)


def with_changes(f: Filters, **changes: Any) -> Filters:
    return Filters(**{**f.__dict__, **changes})


async def _filter_labels(session: Any, f: Filters) -> str:
    parts = [
        _("kind: {value}").format(value=kind_name(f.kind) if f.kind else _("all")),
    ]
    area = await groups_service.area_by_id(session, f.area_id)
    group = await groups_service.group_for_display(session, f.group_id)
    parts.append(_("area: {value}").format(value=esc(area_name(area)) if area else _("all")))
    parts.append(_("group: {value}").format(value=esc(group_name(group)) if group else _("all")))
    parts.append(_("status: {value}").format(value=status_name(f.status) if f.status else _("all")))
    parts.append(_("most supported first") if f.by_support else _("newest first"))
    return "<i>" + " · ".join(parts) + "</i>"


def keyset_pager(result: service.Page, args: Sequence[object]) -> list[InlineKeyboardButton]:
    """« page »: the arrows carry where the shown page starts and ends (a keyset), or only
    the page number when ids are too long for Telegram's 64 bytes."""
    row: list[InlineKeyboardButton] = []
    if result.page > 0:
        start = result.prev_cursor
        row.append(
            _arrow("«", r.BROWSE_BEFORE, args, result.page - 1, start)
            if start is not None
            else r.BROWSE_PAGE.button("«", *args, result.page - 1)
        )
    row.append(kb.button(str(result.page + 1), kb.NOOP))
    if result.has_next:
        end = result.next_cursor
        row.append(
            _arrow("»", r.BROWSE_AFTER, args, result.page + 1, end)
            if end is not None
            else r.BROWSE_PAGE.button("»", *args, result.page + 1)
        )
    return row if len(row) > 1 else []


def _arrow(
    label: str, route: kb.Route, args: Sequence[object], page: int, cursor: service.Cursor
) -> InlineKeyboardButton:
    try:
        return route.button(label, *args, page, cursor.id, cursor.support_count or 0)
    except kb.CallbackDataTooLong:
        return r.BROWSE_PAGE.button(label, *args, page)


async def render_list(
    context: Context,
    filters_: Filters,
    page: int,
    viewer: Member | None,
    *,
    after: service.Cursor | None = None,
    before: service.Cursor | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of a list (the filtered /browse, or the viewer's own with /mine): short cards,
    a button to open each, the pager, and for /browse the filter and sort buttons."""
    async with context.db.session() as session:
        result = await service.browse(session, filters_, page, viewer, after=after, before=before)
        labels = await _filter_labels(session, filters_)
    mine = filters_.author_id is not None
    title = _("My contributions") if mine else _("Contributions")
    lines = [f"<b>{title}</b>"]
    if not mine:
        lines.append(labels)
    lines.append("")
    if not result.cards:
        lines.append(_("Nothing here yet."))
    for card in result.cards:
        lines += [card_text(card, full=False), ""]
    opens = [
        r.OPEN.button(
            f"{ICONS[ContributionKind(c.contribution.kind)]} #{c.contribution.id}",
            c.contribution.id,
        )
        for c in result.cards
    ]
    rows: list[list[InlineKeyboardButton]] = kb.grid(opens, 5)
    if mine:
        rows.append(kb.route_next_prev(r.MINE_PAGE, result.page, result.has_next))
    else:
        args = filter_args(filters_)
        rows.append(keyset_pager(result, args))
        rows.append(
            [
                r.FILTER.button(_("Kind"), "k", *args),
                r.FILTER.button(_("Area"), "a", *args),
                r.FILTER.button(_("Group"), "g", *args),
                r.FILTER.button(_("Status"), "s", *args),
            ]
        )
        other = with_changes(filters_, by_support=not filters_.by_support)
        label = _("Sort: most supported") if other.by_support else _("Sort: newest")
        rows.append([r.BROWSE_PAGE.button(label, *filter_args(other), 0)])
    return "\n".join(lines).strip(), kb.with_menu(rows)


async def show_list(
    update: Update,
    context: Context,
    filters_: Filters,
    page: int,
    *,
    after: service.Cursor | None = None,
    before: service.Cursor | None = None,
) -> None:
    assert context.user_data is not None
    # Remembered for "back to the list".
    context.user_data[LAST_LIST] = [*filter_args(filters_), page, filters_.author_id]
    text, keyboard = await render_list(
        context, filters_, page, context.member, after=after, before=before
    )
    await reply(update, text, keyboard)


@requires()
async def browse_command(update: Update, context: Context) -> None:
    await answer(update)
    await show_list(update, context, Filters(), 0)


@requires()
async def browse_page(update: Update, context: Context) -> None:
    """A page of the list (the menu's "ct:b" is the first, unfiltered one)."""
    filters_, page = filters_from(await pressed_args(update, r.BROWSE_PAGE))
    await show_list(update, context, filters_, page)


@requires()
async def browse_from(update: Update, context: Context) -> None:
    """The next or previous page, read from where the shown one ends or starts."""
    await answer(update)
    data = update.callback_query.data if update.callback_query else None
    forward = r.BROWSE_AFTER.matches(data)
    *args, card_id, support = (r.BROWSE_AFTER if forward else r.BROWSE_BEFORE).parse(data)
    filters_, page = filters_from(tuple(args))
    cursor = service.Cursor(card_id, support if filters_.by_support else None)
    if forward:
        await show_list(update, context, filters_, page, after=cursor)
    else:
        await show_list(update, context, filters_, page, before=cursor)


@requires()
async def filter_choice(update: Update, context: Context) -> None:
    """The choices of one filter (kind, area, group or status), each opening the list."""
    await answer(update)
    data = update.callback_query.data if update.callback_query else None
    route = r.FILTER if r.FILTER.matches(data) else r.FILTER_WITH_PAGE
    dimension, *args = route.parse(data)
    current, _page = filters_from(tuple(args[:5]))

    def choice(label: str, **change: Any) -> InlineKeyboardButton:
        return browse_button(label, with_changes(current, **change))

    if dimension in ("a", "g"):  # an area or a group, "all" first
        what, key = ("area", "area_id") if dimension == "a" else ("group", "group_id")
        everything = _("All areas") if dimension == "a" else _("All groups")
        rows = [[choice(everything, **{key: None})]]
        rows += await picker_rows(context, what, lambda label, id_: choice(label, **{key: id_}))
    elif dimension == "k":
        rows = [[choice(_("All kinds"), kind=None)]] + [
            [choice(f"{ICONS[k]} {kind_name(k)}", kind=k.value)] for k in ContributionKind
        ]
    else:
        rows = [[choice(_("All statuses"), status=None)]] + [
            [choice(status_name(s), status=s.value)] for s in ContributionStatus
        ]
    await reply(update, _("Show which?"), kb.with_menu(rows))


def _last_list(context: Context) -> tuple[Filters, int]:
    stored = (context.user_data or {}).get(LAST_LIST) or []
    filters_, page = filters_from(tuple(str(x) for x in stored[:6]))
    author_id = stored[6] if len(stored) > 6 else None
    return with_changes(filters_, author_id=author_id), page


@requires()
async def back_to_list(update: Update, context: Context) -> None:
    await answer(update)
    filters_, page = _last_list(context)
    await show_list(update, context, filters_, page)


@requires()
async def mine(update: Update, context: Context) -> None:
    (page,) = await pressed_args(update, r.MINE_PAGE, (0,))
    await show_list(update, context, Filters(author_id=context.me.id), page)
