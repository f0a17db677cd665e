"""Contributions: /idea /resource /barrier /experience /cause, /browse, /mine, supports, statuses.

Callback data (prefix ``ct``) carries ids and one-letter codes only, so it stays under 64
bytes whatever the ids; every press loads the contribution again and checks the presser.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import notify
from bot.i18n import N_, format_date, ngettext
from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services.contributions import Card, Filters
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    clip,
    domain_message,
    esc,
    private_only,
    refuse,
    reply,
    requires,
)
from handlers.registry import CommandSpec, MenuEntry
from models import ContributionKind, ContributionStatus, Group, Member, ProblemArea

log = logging.getLogger(__name__)

F = "ct"
DRAFT = "ct_draft"
REJECTING = "ct_reject"
LAST_LIST = "ct_list"
ASK, AREA, GROUP, ATTACH, REVIEW = range(5)
REASON = 10
# What we show back of a too-long answer (the message limit is 4096 UTF-16 code units).
ECHO_MAX = 3000

COMMANDS = [
    CommandSpec("idea", N_("Share an idea")),
    CommandSpec("resource", N_("Point to a local resource")),
    CommandSpec("barrier", N_("Name a barrier")),
    CommandSpec("experience", N_("Share an experience")),
    CommandSpec("cause", N_("Name a cause of poverty")),
    CommandSpec("browse", N_("Browse contributions")),
    CommandSpec("mine", N_("My contributions")),
]
MENU = [
    MenuEntry(N_("Contribute"), F, order=30),
    MenuEntry(N_("Browse contributions"), f"{F}:b", order=31),
    MenuEntry(N_("My contributions"), f"{F}:m", order=32),
]

ICONS = {
    ContributionKind.IDEA: "💡",
    ContributionKind.RESOURCE: "🧰",
    ContributionKind.BARRIER: "🚧",
    ContributionKind.EXPERIENCE: "📖",
    ContributionKind.CAUSE: "🔍",
}
# One-letter codes keep browse callbacks short.
KIND_CODE = {
    "i": ContributionKind.IDEA,
    "r": ContributionKind.RESOURCE,
    "b": ContributionKind.BARRIER,
    "e": ContributionKind.EXPERIENCE,
    "c": ContributionKind.CAUSE,
}
STATUS_CODE = {
    "n": ContributionStatus.NEW,
    "d": ContributionStatus.DISCUSSION,
    "a": ContributionStatus.ACCEPTED,
    "p": ContributionStatus.IN_PROGRESS,
    "o": ContributionStatus.DONE,
    "r": ContributionStatus.REJECTED,
}
CODE_OF_KIND = {v: k for k, v in KIND_CODE.items()}
CODE_OF_STATUS = {v: k for k, v in STATUS_CODE.items()}
NONE = "-"


def kind_name(kind: str) -> str:
    return _(service.KIND_NAMES[ContributionKind(kind)])


def status_name(status: str) -> str:
    return _(service.STATUS_NAMES[ContributionStatus(status)])


def _language() -> str:
    from bot.i18n import current_language

    return current_language()


def _area_name(area: ProblemArea | None) -> str:
    if area is None:
        return "—"
    return area.names.get(_language()) or area.names.get("pl") or area.slug


def _group_name(group: Group | None) -> str:
    return group.display_name(_language()) if group is not None else "—"


def _cancel_row() -> list[InlineKeyboardButton]:
    return [kb.button("✖ " + _("Cancel"), F, "x")]


def _draft(context: Context) -> dict[str, Any] | None:
    return context.user_data.get(DRAFT) if context.user_data is not None else None


def _data(update: Update) -> kb.Callback:
    return kb.parse(update.callback_query.data if update.callback_query else None)


# --- cards -----------------------------------------------------------------------------


def card_text(card: Card, *, full: bool = True) -> str:
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
            area=esc(_area_name(card.area)), group=esc(_group_name(card.group))
        )
    )
    lines.append(
        _("By {author}, {date}").format(author=esc(author), date=format_date(c.created_at))
    )
    supports = ngettext("{n} support", "{n} supports", c.support_count).format(n=c.support_count)
    lines.append(f"👍 {supports} · " + _("Status: {status}").format(status=status_name(c.status)))
    if c.status == ContributionStatus.REJECTED and c.rejection_reason:
        lines.append(_("Reason: {reason}").format(reason=esc(c.rejection_reason)))
    return "\n".join(lines)


def status_buttons(card: Card) -> list[InlineKeyboardButton]:
    c = card.contribution
    current = ContributionStatus(c.status)
    row = []
    following = service.NEXT_STATUS.get(current)
    if following is not None:
        row.append(
            kb.button("→ " + status_name(following), F, "st", c.id, CODE_OF_STATUS[following])
        )
    if current in service.REJECTABLE:
        row.append(kb.button("✖ " + _("Reject"), F, "rj", c.id))
    return row


def card_keyboard(
    card: Card, viewer: Member | None, *, may_set_status: bool, back: bool = True
) -> InlineKeyboardMarkup:
    c = card.contribution
    label = ("✅ " if card.supported else "👍 ") + (
        _("Withdraw support ({n})") if card.supported else _("Support ({n})")
    ).format(n=c.support_count)
    rows: list[list[InlineKeyboardButton]] = [[kb.button(label, F, "sp", c.id)]]
    if may_set_status:
        rows.append(status_buttons(card))
    if viewer is not None and c.author_id == viewer.id and c.status == ContributionStatus.NEW:
        rows.append(
            [
                kb.button("✏️ " + _("Edit"), F, "e", c.id),
                kb.button("🗑 " + _("Withdraw"), F, "w", c.id),
            ]
        )
    if c.photo_file_id or c.latitude is not None:
        rows.append([kb.button("📷 " + _("Show photo and place"), F, "ph", c.id)])
    if back:
        rows.append([kb.button("« " + _("Back to the list"), F, "bl")])
    return kb.with_menu(rows)


# --- the draft conversation ------------------------------------------------------------


async def ask_field(
    update: Update, context: Context, draft: dict[str, Any], key: str | None = None
) -> int:
    spec = service.field_spec(draft["kind"], key) if key else service.next_missing_field(draft)
    if spec is None:
        return await show_areas(update, context, draft)
    draft["asking"] = spec.key
    rows = []
    if spec.optional:
        rows.append([kb.button(_("Skip this question"), F, "sk")])
    rows.append(_cancel_row())
    text = _(spec.prompt)
    if spec.key == service.TITLE and not draft.get("editing"):
        text = (
            _("New {kind}. You can stop at any moment with /cancel.").format(
                kind=kind_name(draft["kind"])
            )
            + "\n\n"
            + text
        )
    await reply(update, text, kb.markup(rows))
    return ASK


async def start_kind(update: Update, context: Context, kind: str) -> int:
    assert context.user_data is not None
    draft = service.new_draft(kind)
    context.user_data[DRAFT] = draft
    return await ask_field(update, context, draft)


def _kind_command(kind: str) -> Any:
    @private_only
    @requires()
    async def command(update: Update, context: Context) -> int:
        return await start_kind(update, context, kind)

    return command


@private_only
@requires()
async def kind_button(update: Update, context: Context) -> int:
    await answer(update)
    kind = _data(update).arg(0)
    if kind not in service.kinds():
        await reply(update, _("That choice is no longer offered."), kb.with_menu([]))
        return END
    return await start_kind(update, context, kind)


@requires()
async def choose_kind(update: Update, context: Context) -> None:
    await answer(update)
    rows = [
        [kb.button(f"{ICONS[kind]} {kind_name(kind).capitalize()}", F, "k", kind.value)]
        for kind in ContributionKind
    ]
    await reply(update, _("What would you like to share?"), kb.with_menu(rows))


async def _after_answer(update: Update, context: Context, draft: dict[str, Any]) -> int:
    if draft.pop("editing", None):
        return await show_review(update, context, draft)
    if service.next_missing_field(draft) is not None:
        return await ask_field(update, context, draft)
    return await show_areas(update, context, draft)


async def field_typed(update: Update, context: Context) -> int:
    draft = _draft(context)
    message = update.effective_message
    if draft is None or message is None:
        return END
    key = draft.get("asking") or service.TITLE
    try:
        value = service.clean_field(draft["kind"], key, message.text)
    except InvalidInput as error:
        text = domain_message(error)
        if "length" in error.params:
            # Keep what was typed: show it back to copy and shorten.
            text += "\n\n" + _("Here is what you wrote:") + "\n"
            text += f"<blockquote expandable>{esc(clip(message.text or '', ECHO_MAX))}</blockquote>"
        await message.reply_text(text, reply_markup=kb.markup([_cancel_row()]))
        return ASK
    draft["fields"][key] = value
    if key in draft.get("skipped", []):
        draft["skipped"].remove(key)
    return await _after_answer(update, context, draft)


async def field_skipped(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    key = draft.get("asking")
    if key is None or not service.field_spec(draft["kind"], key).optional:
        return ASK
    draft["fields"].pop(key, None)
    draft.setdefault("skipped", []).append(key)
    return await _after_answer(update, context, draft)


async def not_text(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "I can only read text for this question. Please type your answer, "
            "or send /cancel to stop."
        )
    )


async def press_a_button(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("Please choose with the buttons above, or send /cancel to stop.")
    )


async def show_areas(update: Update, context: Context, draft: dict[str, Any]) -> int:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [[kb.button(_area_name(a), F, "a", a.id)] for a in areas]
    rows.append(_cancel_row())
    await reply(update, _("Which problem area does it concern?"), kb.markup(rows))
    return AREA


async def area_chosen(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    draft["area_id"] = _data(update).int_arg(0)
    if draft.pop("editing", None):
        return await show_review(update, context, draft)
    return await show_groups(update, context, draft)


async def show_groups(update: Update, context: Context, draft: dict[str, Any]) -> int:
    async with context.runtime.db.session() as session:
        groups = await groups_service.active_groups(session)
    # The team that collects this kind comes first.
    groups.sort(key=lambda g: g.contribution_kind != draft["kind"])
    rows = [[kb.button(_group_name(g), F, "g", g.id)] for g in groups[:40]]
    rows.append(_cancel_row())
    await reply(update, _("Which group should take it up?"), kb.markup(rows))
    return GROUP


async def group_chosen(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    draft["group_id"] = _data(update).int_arg(0)
    if draft.pop("editing", None):
        return await show_review(update, context, draft)
    return await ask_attachment(update, draft)


async def ask_attachment(update: Update, draft: dict[str, Any]) -> int:
    rows = [[kb.button(_("Skip, no photo"), F, "ns")], _cancel_row()]
    await reply(
        update,
        _("You can add a photo or a location (📎 → Location). Send one, or press Skip."),
        kb.markup(rows),
    )
    return ATTACH


async def photo_sent(update: Update, context: Context) -> int:
    draft = _draft(context)
    message = update.effective_message
    if draft is None or message is None or not message.photo:
        return END
    draft["photo"] = message.photo[-1].file_id
    draft.pop("editing", None)
    return await show_review(update, context, draft)


async def location_sent(update: Update, context: Context) -> int:
    draft = _draft(context)
    message = update.effective_message
    if draft is None or message is None or message.location is None:
        return END
    draft["latitude"] = message.location.latitude
    draft["longitude"] = message.location.longitude
    draft.pop("editing", None)
    return await show_review(update, context, draft)


async def attachment_skipped(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    draft.pop("editing", None)
    return await show_review(update, context, draft)


async def attachment_hint(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("Please send a photo or a location, or press Skip.")
    )


def review_text(draft: dict[str, Any], area: ProblemArea | None, group: Group | None) -> str:
    kind = draft["kind"]
    lines = [
        "<b>" + _("Please check your {kind} before sending:").format(kind=kind_name(kind)) + "</b>",
        "",
    ]
    for spec in service.FIELDS[kind]:
        value = draft["fields"].get(spec.key)
        lines.append(f"<i>{esc(_(spec.label))}:</i> {esc(value) if value else '—'}")
    lines.append(f"<i>{esc(_('Problem area'))}:</i> {esc(_area_name(area))}")
    lines.append(f"<i>{esc(_('Group'))}:</i> {esc(_group_name(group))}")
    extras = []
    if draft.get("photo"):
        extras.append("📷 " + _("photo"))
    if draft.get("latitude") is not None:
        extras.append("📍 " + _("location"))
    if extras:
        lines.append(" · ".join(extras))
    return "\n".join(lines)


async def show_review(update: Update, context: Context, draft: dict[str, Any]) -> int:
    async with context.runtime.db.session() as session:
        area = await session.get(ProblemArea, draft["area_id"]) if draft.get("area_id") else None
        group = await session.get(Group, draft["group_id"]) if draft.get("group_id") else None
    keyboard = kb.markup(
        [
            [kb.button("✏️ " + _("Edit a field"), F, "ed")],
            [kb.button("✅ " + _("Send"), F, "send"), kb.button("✖ " + _("Cancel"), F, "x")],
        ]
    )
    await reply(update, review_text(draft, area, group), keyboard)
    return REVIEW


async def edit_menu(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    buttons = [
        kb.button(_(spec.label), F, "ef", spec.key) for spec in service.FIELDS[draft["kind"]]
    ]
    buttons += [
        kb.button(_("Problem area"), F, "ef", "area"),
        kb.button(_("Group"), F, "ef", "group"),
        kb.button(_("Photo or location"), F, "ef", "att"),
    ]
    rows = [*kb.grid(buttons, 2), [kb.button("« " + _("Back"), F, "rv"), *_cancel_row()]]
    await reply(update, _("Which field would you like to change?"), kb.markup(rows))
    return REVIEW


async def edit_field(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    key = _data(update).arg(0)
    draft["editing"] = True
    if key == "area":
        return await show_areas(update, context, draft)
    if key == "group":
        return await show_groups(update, context, draft)
    if key == "att":
        for name in ("photo", "latitude", "longitude"):
            draft.pop(name, None)
        return await ask_attachment(update, draft)
    try:
        service.field_spec(draft["kind"], key)
    except InvalidInput:
        draft.pop("editing", None)
        return await show_review(update, context, draft)
    return await ask_field(update, context, draft, key)


async def back_to_review(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    if draft is None:
        return END
    return await show_review(update, context, draft)


async def send(update: Update, context: Context) -> int:
    await answer(update)
    draft = _draft(context)
    member = context.member
    if draft is None or member is None:
        return END
    runtime = context.runtime
    editing_existing = bool(draft.get("id"))
    try:
        async with runtime.db.session() as session:
            author = await members_service.get(session, member.id)  # type: ignore[arg-type]
            # Already saved (a crash before the conversation moved on): don't tell twice.
            again = await service.submitted(session, author, draft) is not None
            contribution = await service.submit(session, author, dict(draft))
            saved = await service.card(session, contribution.id, author)
            quiet = editing_existing or again
            reviewers = [] if quiet else await service.reviewers(session, contribution)
    except DomainError as error:
        await reply(update, domain_message(error), kb.markup([_cancel_row()]), edit=False)
        return REVIEW
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    if editing_existing:
        text = _("Saved. Your changes to #{number} are in.").format(number=saved.contribution.id)
    else:
        text = _("Thank you! Your {kind} is number #{number}. I have passed it on to the group.")
        text = text.format(kind=kind_name(saved.contribution.kind), number=saved.contribution.id)
    await reply(
        update,
        text + "\n\n" + card_text(saved),
        card_keyboard(saved, author, may_set_status=False, back=False),
    )
    if not quiet:
        await _tell_reviewers(context, saved, reviewers)
    return END


async def _tell_reviewers(context: Context, saved: Card, reviewers: list[Member]) -> None:
    runtime = context.runtime
    bot = context.bot

    def render() -> tuple[str, InlineKeyboardMarkup]:
        intro = _("A new contribution for {group}:").format(group=esc(_group_name(saved.group)))
        rows = [status_buttons(saved), [kb.button(_("Open"), F, "o", saved.contribution.id)]]
        return intro + "\n\n" + card_text(saved), kb.markup(rows)

    await notify.notify_members(bot, runtime.db, reviewers, render)
    if saved.group is not None:
        await notify.post_to_group_chat(
            bot, saved.group, render, runtime.settings.bot_default_language
        )


async def cancel(update: Update, context: Context) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(REJECTING, None)
    await reply(
        update,
        _("Stopped. Nothing was saved."),
        kb.with_menu([]),
    )
    return END


@private_only
@requires()
async def edit_existing(update: Update, context: Context) -> int:
    """The author reopens a contribution that is still new."""
    await answer(update)
    member = context.member
    assert member is not None and context.user_data is not None
    try:
        async with context.runtime.db.session() as session:
            contribution = await service.get_own_new(session, member, _data(update).int_arg(0) or 0)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return END
    draft = service.draft_of(contribution)
    context.user_data[DRAFT] = draft
    return await show_review(update, context, draft)


# --- browsing --------------------------------------------------------------------------


def _filters_from(args: tuple[str, ...]) -> tuple[Filters, int]:
    def part(index: int) -> str:
        return args[index] if index < len(args) else NONE

    def number(index: int) -> int | None:
        try:
            return int(part(index))
        except ValueError:
            return None

    kind = KIND_CODE.get(part(0))
    status = STATUS_CODE.get(part(3))
    filters_ = Filters(
        kind=kind.value if kind else None,
        area_id=number(1),
        group_id=number(2),
        status=status.value if status else None,
        by_support=part(4) == "s",
    )
    return filters_, max(number(5) or 0, 0)


def _filter_args(f: Filters) -> list[object]:
    return [
        CODE_OF_KIND[ContributionKind(f.kind)] if f.kind else NONE,
        f.area_id or NONE,
        f.group_id or NONE,
        CODE_OF_STATUS[ContributionStatus(f.status)] if f.status else NONE,
        "s" if f.by_support else "n",
    ]


def browse_button(label: str, filters_: Filters) -> InlineKeyboardButton:
    """A button that opens /browse with these filters (used by other screens)."""
    return kb.button(label, F, "b", *_filter_args(filters_), 0)


def _with(f: Filters, **changes: Any) -> Filters:
    return Filters(**{**f.__dict__, **changes})


async def render_list(
    context: Context, filters_: Filters, page: int, viewer: Member | None
) -> tuple[str, InlineKeyboardMarkup]:
    async with context.runtime.db.session() as session:
        result = await service.browse(session, filters_, page, viewer)
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
    rows: list[list[InlineKeyboardButton]] = []
    rows += kb.grid(
        [
            kb.button(
                f"{ICONS[ContributionKind(c.contribution.kind)]} #{c.contribution.id}",
                F,
                "o",
                c.contribution.id,
            )
            for c in result.cards
        ],
        5,
    )
    if mine:
        rows.append(kb.next_prev(F, "m", result.page, result.has_next))
    else:
        args = _filter_args(filters_)
        rows.append(kb.next_prev(F, "b", result.page, result.has_next, *args))
        rows.append(
            [
                kb.button(_("Kind"), F, "bf", "k", *args),
                kb.button(_("Area"), F, "bf", "a", *args),
                kb.button(_("Group"), F, "bf", "g", *args),
                kb.button(_("Status"), F, "bf", "s", *args),
            ]
        )
        other = _with(filters_, by_support=not filters_.by_support)
        rows.append(
            [
                kb.button(
                    _("Sort: most supported") if other.by_support else _("Sort: newest"),
                    F,
                    "b",
                    *_filter_args(other),
                    0,
                )
            ]
        )
    return "\n".join(lines).strip(), kb.with_menu(rows)


async def _filter_labels(session: Any, f: Filters) -> str:
    parts = [
        _("kind: {value}").format(value=kind_name(f.kind) if f.kind else _("all")),
    ]
    area = await session.get(ProblemArea, f.area_id) if f.area_id else None
    group = await session.get(Group, f.group_id) if f.group_id else None
    parts.append(_("area: {value}").format(value=esc(_area_name(area)) if area else _("all")))
    parts.append(_("group: {value}").format(value=esc(_group_name(group)) if group else _("all")))
    parts.append(_("status: {value}").format(value=status_name(f.status) if f.status else _("all")))
    parts.append(_("most supported first") if f.by_support else _("newest first"))
    return "<i>" + " · ".join(parts) + "</i>"


async def _show_list(update: Update, context: Context, filters_: Filters, page: int) -> None:
    assert context.user_data is not None
    member = context.member
    # Remembered for "back to the list" and for re-rendering after a support.
    context.user_data[LAST_LIST] = [*_filter_args(filters_), page, filters_.author_id]
    text, keyboard = await render_list(context, filters_, page, member)
    await reply(update, text, keyboard)


@requires()
async def browse_command(update: Update, context: Context) -> None:
    await _show_list(update, context, Filters(), 0)


@requires()
async def browse_page(update: Update, context: Context) -> None:
    await answer(update)
    filters_, page = _filters_from(_data(update).args)
    await _show_list(update, context, filters_, page)


@requires()
async def filter_choice(update: Update, context: Context) -> None:
    await answer(update)
    data = _data(update)
    dimension = data.arg(0)
    current, _page = _filters_from(data.args[1:])
    options: list[tuple[str, Filters]] = [(_("All"), current)]
    if dimension == "k":
        options = [(_("All kinds"), _with(current, kind=None))] + [
            (f"{ICONS[k]} {kind_name(k)}", _with(current, kind=k.value)) for k in ContributionKind
        ]
    elif dimension == "s":
        options = [(_("All statuses"), _with(current, status=None))] + [
            (status_name(s), _with(current, status=s.value)) for s in ContributionStatus
        ]
    elif dimension == "a":
        async with context.runtime.db.session() as session:
            areas = await groups_service.areas(session)
        options = [(_("All areas"), _with(current, area_id=None))] + [
            (_area_name(a), _with(current, area_id=a.id)) for a in areas
        ]
    elif dimension == "g":
        async with context.runtime.db.session() as session:
            groups = await groups_service.active_groups(session)
        options = [(_("All groups"), _with(current, group_id=None))] + [
            (_group_name(g), _with(current, group_id=g.id)) for g in groups[:40]
        ]
    rows = [[kb.button(label, F, "b", *_filter_args(f), 0)] for label, f in options]
    await reply(update, _("Show which?"), kb.with_menu(rows))


def _last_list(context: Context) -> tuple[Filters, int]:
    stored = (context.user_data or {}).get(LAST_LIST) or []
    filters_, page = _filters_from(tuple(str(x) for x in stored[:6]))
    author_id = stored[6] if len(stored) > 6 else None
    return _with(filters_, author_id=author_id), page


@requires()
async def back_to_list(update: Update, context: Context) -> None:
    await answer(update)
    filters_, page = _last_list(context)
    await _show_list(update, context, filters_, page)


@requires()
async def mine(update: Update, context: Context) -> None:
    await answer(update)
    member = context.member
    assert member is not None
    page = _data(update).int_arg(0) or 0 if update.callback_query else 0
    await _show_list(update, context, Filters(author_id=member.id), page)


# --- one card: open, support, photo, status --------------------------------------------


async def _render_card(update: Update, context: Context, contribution_id: int) -> None:
    member = context.member
    async with context.runtime.db.session() as session:
        card = await service.card(session, contribution_id, member)
        may = await service.may_set_status(session, member, card.contribution)
    await reply(update, card_text(card), card_keyboard(card, member, may_set_status=may))


@requires()
async def open_card(update: Update, context: Context) -> None:
    await answer(update)
    try:
        await _render_card(update, context, _data(update).int_arg(0) or 0)
    except DomainError as error:
        await refuse(update, domain_message(error))


@requires()
async def support(update: Update, context: Context) -> None:
    member = context.member
    assert member is not None
    contribution_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            supported, _count = await service.toggle_support(session, member, contribution_id)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update, _("Thank you for your support!") if supported else _("Support withdrawn."))
    await _render_card(update, context, contribution_id)


@requires()
async def show_media(update: Update, context: Context) -> None:
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    try:
        async with context.runtime.db.session() as session:
            contribution = await service.get(session, _data(update).int_arg(0))
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    if contribution.photo_file_id:
        await chat.send_photo(contribution.photo_file_id, caption=f"#{contribution.id}")
    if contribution.latitude is not None and contribution.longitude is not None:
        await chat.send_location(contribution.latitude, contribution.longitude)


async def _tell_author(context: Context, contribution_id: int) -> None:
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
        return text, kb.markup([[kb.button(_("Open"), F, "o", c.id)]])

    await notify.notify_member(context.bot, runtime.db, author, render)


@requires()
async def change_status(update: Update, context: Context) -> None:
    member = context.member
    assert member is not None
    data = _data(update)
    contribution_id = data.int_arg(0) or 0
    status = STATUS_CODE.get(data.arg(1))
    if status is None or status == ContributionStatus.REJECTED:
        await answer(update, _("That choice is no longer offered."))
        return
    try:
        async with context.runtime.db.session() as session:
            await service.set_status(session, member, contribution_id, status)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update, _("Status: {status}").format(status=status_name(status)))
    await _render_card(update, context, contribution_id)
    await _tell_author(context, contribution_id)


@requires()
async def reject_start(update: Update, context: Context) -> int:
    member = context.member
    assert context.user_data is not None
    contribution_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            contribution = await service.get(session, contribution_id)
            allowed = await service.may_set_status(session, member, contribution)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return END
    if not allowed:
        await refuse(update, _("Only coordinators and the group's lead can change the status."))
        return END
    await answer(update)
    context.user_data[REJECTING] = contribution_id
    await reply(
        update,
        _("Why is #{number} “{title}” rejected? Type the reason; the author will read it.").format(
            number=contribution.id, title=esc(contribution.title)
        ),
        kb.markup([_cancel_row()]),
        edit=False,
    )
    return REASON


async def reason_typed(update: Update, context: Context) -> int:
    member = context.member
    message = update.effective_message
    assert context.user_data is not None and message is not None and member is not None
    contribution_id = context.user_data.get(REJECTING)
    if contribution_id is None:
        return END
    try:
        async with context.runtime.db.session() as session:
            await service.set_status(
                session, member, contribution_id, ContributionStatus.REJECTED, message.text
            )
    except InvalidInput as error:
        await message.reply_text(domain_message(error), reply_markup=kb.markup([_cancel_row()]))
        return REASON
    except DomainError as error:
        context.user_data.pop(REJECTING, None)
        await message.reply_text(domain_message(error))
        return END
    context.user_data.pop(REJECTING, None)
    await message.reply_text(_("Rejected. I have told the author."))
    await _render_card(update, context, contribution_id)
    await _tell_author(context, contribution_id)
    return END


@requires()
async def withdraw(update: Update, context: Context) -> None:
    member = context.member
    assert member is not None
    data = _data(update)
    contribution_id = data.int_arg(0) or 0
    choice = data.arg(1)
    if choice == "":
        await answer(update)
        await reply(
            update,
            _("Withdraw #{number}? It will be deleted.").format(number=contribution_id),
            kb.yes_no(
                F, "w", contribution_id, yes=_("Yes, withdraw it"), no=_("No, keep it as it is")
            ),
        )
        return
    if choice != "y":
        await answer(update)
        await _render_card(update, context, contribution_id)
        return
    try:
        async with context.runtime.db.session() as session:
            await service.withdraw(session, member, contribution_id)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update)
    await reply(update, _("Withdrawn. It is gone."), kb.with_menu([]))


def register(application: Application) -> None:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    cancel_handlers: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(cancel, pattern=rf"^{F}:x$"),
    ]
    # Registered first: a lead typing a reason while a draft of their own is open.
    rejecting = ConversationHandler(
        entry_points=[CallbackQueryHandler(reject_start, pattern=rf"^{F}:rj:\d+$")],
        states={
            REASON: [MessageHandler(text, reason_typed), MessageHandler(other, not_text)],
        },
        fallbacks=cancel_handlers,
        name="contribution_reject",
        persistent=True,
        allow_reentry=True,
    )
    entry_points: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler(kind.value, _kind_command(kind.value)) for kind in ContributionKind
    ]
    entry_points += [
        CallbackQueryHandler(kind_button, pattern=rf"^{F}:k:\w+$"),
        CallbackQueryHandler(edit_existing, pattern=rf"^{F}:e:\d+$"),
    ]
    drafting = ConversationHandler(
        entry_points=entry_points,
        states={
            ASK: [
                MessageHandler(text, field_typed),
                CallbackQueryHandler(field_skipped, pattern=rf"^{F}:sk$"),
                MessageHandler(other, not_text),
            ],
            AREA: [
                CallbackQueryHandler(area_chosen, pattern=rf"^{F}:a:\d+$"),
                MessageHandler(~filters.COMMAND, press_a_button),
            ],
            GROUP: [
                CallbackQueryHandler(group_chosen, pattern=rf"^{F}:g:\d+$"),
                MessageHandler(~filters.COMMAND, press_a_button),
            ],
            ATTACH: [
                MessageHandler(filters.PHOTO, photo_sent),
                MessageHandler(filters.LOCATION, location_sent),
                CallbackQueryHandler(attachment_skipped, pattern=rf"^{F}:ns$"),
                MessageHandler(~filters.COMMAND, attachment_hint),
            ],
            REVIEW: [
                CallbackQueryHandler(edit_menu, pattern=rf"^{F}:ed$"),
                CallbackQueryHandler(edit_field, pattern=rf"^{F}:ef:\w+$"),
                CallbackQueryHandler(back_to_review, pattern=rf"^{F}:rv$"),
                CallbackQueryHandler(send, pattern=rf"^{F}:send$"),
                MessageHandler(~filters.COMMAND, press_a_button),
            ],
        },
        fallbacks=cancel_handlers,
        name="contribution_draft",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(rejecting)
    application.add_handler(drafting)
    application.add_handler(CallbackQueryHandler(choose_kind, pattern=rf"^{F}$"))
    application.add_handler(CommandHandler("browse", private_only(browse_command)))
    application.add_handler(CommandHandler("mine", private_only(mine)))
    application.add_handler(CallbackQueryHandler(browse_page, pattern=rf"^{F}:b(:|$)"))
    application.add_handler(CallbackQueryHandler(filter_choice, pattern=rf"^{F}:bf:"))
    application.add_handler(CallbackQueryHandler(back_to_list, pattern=rf"^{F}:bl$"))
    application.add_handler(CallbackQueryHandler(mine, pattern=rf"^{F}:m(:\d+)?$"))
    application.add_handler(CallbackQueryHandler(open_card, pattern=rf"^{F}:o:\d+$"))
    application.add_handler(CallbackQueryHandler(support, pattern=rf"^{F}:sp:\d+$"))
    application.add_handler(CallbackQueryHandler(show_media, pattern=rf"^{F}:ph:\d+$"))
    application.add_handler(CallbackQueryHandler(change_status, pattern=rf"^{F}:st:\d+:\w$"))
    application.add_handler(CallbackQueryHandler(withdraw, pattern=rf"^{F}:w:\d+(:[yn])?$"))
