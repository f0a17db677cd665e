"""The draft conversation: the kind's questions, area, group, photo or place, review, send.

Every step can be shown again with a hint in front (`hint=`): whatever the user types or sends
that the step cannot take gets that step's question and buttons back, never silence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services import groups as groups_service
from bot.services.contributions import FieldSpec
from bot.services.errors import InvalidInput
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    clip,
    domain_message,
    esc,
    is_skip_word,
    private_only,
    reply,
    requires,
)
from handlers.contributions import routes as r
from handlers.contributions.cards import (
    ICONS,
    area_name,
    cancel_row,
    group_name,
    kind_name,
    picker_rows,
)
from models import ContributionKind

DRAFT = "ct_draft"
REJECTING = "ct_reject"  # the contribution whose rejection reason is asked
ASK, AREA, GROUP, ATTACH, REVIEW = range(5)
# What we show back of a too-long answer (the message limit is 4096 UTF-16 code units).
ECHO_MAX = 3000

Draft = dict[str, Any]
Step = Callable[..., Awaitable[int]]


def draft_of(context: Context) -> Draft | None:
    return context.user_data.get(DRAFT) if context.user_data is not None else None


def with_draft(
    step: Callable[[Update, Context, Draft], Awaitable[int]],
) -> Callable[[Update, Context], Awaitable[int]]:
    """A button of the draft conversation: the press is answered, then `step` goes on with the
    draft; without one (gone after a restart, say) the conversation ends."""

    @wraps(step)
    async def handler(update: Update, context: Context) -> int:
        await answer(update)
        draft = draft_of(context)
        if draft is None:
            return END
        return await step(update, context, draft)

    return handler


def with_message(
    step: Callable[[Update, Context, Draft, Message], Awaitable[int]],
) -> Callable[[Update, Context], Coroutine[Any, Any, int]]:
    """Something sent in the draft conversation: `step` goes on with the draft and the message;
    without a draft the conversation ends."""

    @wraps(step)
    async def handler(update: Update, context: Context) -> int:
        draft = draft_of(context)
        message = update.effective_message
        if draft is None or message is None:
            return END
        return await step(update, context, draft, message)

    return handler


async def _show(update: Update, text: str, markup: InlineKeyboardMarkup, hint: str | None) -> None:
    """A step's question and buttons in place of the pressed message; shown again with a
    `hint` in front, it comes as a new message (under what the user sent)."""
    shown = f"{hint}\n\n{text}" if hint else text
    await reply(update, shown, markup, edit=hint is None)


# --- hints: the same step again, its buttons included -----------------------------------


def not_text_hint() -> str:
    return _(
        "I can only read text for this question. Please type your answer, or send /cancel to stop."
    )


def press_hint() -> str:
    return _("Please choose with a button, or send /cancel to stop.")


def unknown_command_hint() -> str:
    return _("I don't know that command.")


def attachment_skip_label() -> str:
    return _("Skip, no photo")


def attachment_hint() -> str:
    return _("Please send a photo or a location, or press “{skip}”.").format(
        skip=attachment_skip_label()
    )


def again(
    step: Step, hint: Callable[[], str]
) -> Callable[[Update, Context], Coroutine[Any, Any, int]]:
    """A handler that shows the draft's current `step` again, with `hint` in front."""

    async def handler(update: Update, context: Context) -> int:
        draft = draft_of(context)
        if draft is None:
            return END
        return await step(update, context, draft, hint=hint())

    return handler


# --- the questions ---------------------------------------------------------------------


def field_keyboard(spec: FieldSpec) -> InlineKeyboardMarkup:
    rows = []
    if spec.optional:
        rows.append([r.SKIP_FIELD.button(_("Skip this question"))])
    rows.append(cancel_row())
    return kb.markup(rows)


async def ask_field(
    update: Update, context: Context, draft: Draft, spec: FieldSpec, *, hint: str | None = None
) -> int:
    """The question of one field (the first one's with a word on the kind and /cancel)."""
    draft["asking"] = spec.key
    text = _(spec.prompt)
    if spec.key == service.TITLE and not draft.get("editing") and hint is None:
        intro = _("New {kind}. You can stop at any moment with /cancel.")
        text = intro.format(kind=kind_name(draft["kind"])) + "\n\n" + text
    await _show(update, text, field_keyboard(spec), hint)
    return ASK


async def ask_next(update: Update, context: Context, draft: Draft) -> int:
    """The first question not answered (nor skipped) yet; when there is none, the area."""
    spec = service.next_missing_field(draft)
    if spec is None:
        return await show_areas(update, context, draft)
    return await ask_field(update, context, draft, spec)


async def ask_again(update: Update, context: Context, draft: Draft, *, hint: str) -> int:
    """The question being asked, again (also while a field of the review is edited)."""
    spec = service.field_spec(draft["kind"], draft.get("asking") or service.TITLE)
    return await ask_field(update, context, draft, spec, hint=hint)


async def start_kind(update: Update, context: Context, kind: str) -> int:
    assert context.user_data is not None
    draft = service.new_draft(kind)
    context.user_data[DRAFT] = draft
    return await ask_next(update, context, draft)


def kind_command(kind: str) -> Any:
    @private_only
    @requires()
    async def command(update: Update, context: Context) -> int:
        return await start_kind(update, context, kind)

    return command


@private_only
@requires()
async def kind_button(update: Update, context: Context) -> int:
    await answer(update)
    (kind,) = r.KIND.parse(update.callback_query.data if update.callback_query else None)
    if kind not in service.kinds():
        await reply(update, _("That choice is no longer offered."), kb.with_menu([]))
        return END
    return await start_kind(update, context, kind)


@requires()
async def choose_kind(update: Update, context: Context) -> None:
    await answer(update)
    rows = [
        [r.KIND.button(f"{ICONS[kind]} {kind_name(kind).capitalize()}", kind.value)]
        for kind in ContributionKind
    ]
    await reply(update, _("What would you like to share?"), kb.with_menu(rows))


async def after_answer(update: Update, context: Context, draft: Draft) -> int:
    if draft.pop("editing", None):
        return await show_review(update, context, draft)
    return await ask_next(update, context, draft)


async def _skip_field(update: Update, context: Context, draft: Draft) -> int:
    key = draft.get("asking")
    if key is None or not service.field_spec(draft["kind"], key).optional:
        return ASK
    draft["fields"].pop(key, None)
    draft.setdefault("skipped", []).append(key)
    return await after_answer(update, context, draft)


@with_message
async def field_typed(update: Update, context: Context, draft: Draft, message: Message) -> int:
    key = draft.get("asking") or service.TITLE
    spec = service.field_spec(draft["kind"], key)
    if spec.optional and is_skip_word(message.text):
        return await _skip_field(update, context, draft)
    try:
        value = service.clean_field(draft["kind"], key, message.text)
    except InvalidInput as error:
        text = domain_message(error)
        if "length" in error.params:
            # Keep what was typed: show it back to copy and shorten.
            text += "\n\n" + _("Here is what you wrote:") + "\n"
            text += f"<blockquote expandable>{esc(clip(message.text or '', ECHO_MAX))}</blockquote>"
        await message.reply_text(text, reply_markup=field_keyboard(spec))
        return ASK
    draft["fields"][key] = value
    if key in draft.get("skipped", []):
        draft["skipped"].remove(key)
    return await after_answer(update, context, draft)


@with_draft
async def field_skipped(update: Update, context: Context, draft: Draft) -> int:
    return await _skip_field(update, context, draft)


# --- area, group, photo or place -------------------------------------------------------


def _with_cancel(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return kb.markup([*rows, cancel_row()])


async def show_areas(
    update: Update, context: Context, draft: Draft, *, hint: str | None = None
) -> int:
    rows = await picker_rows(context, "area", r.AREA.button)
    await _show(update, _("Which problem area does it concern?"), _with_cancel(rows), hint)
    return AREA


async def show_groups(
    update: Update, context: Context, draft: Draft, *, hint: str | None = None
) -> int:
    rows = await picker_rows(context, "group", r.GROUP.button, kind_first=draft["kind"])
    await _show(update, _("Which group should take it up?"), _with_cancel(rows), hint)
    return GROUP


async def ask_attachment(
    update: Update, context: Context, draft: Draft, *, hint: str | None = None
) -> int:
    skip = attachment_skip_label()
    rows = [[r.SKIP_ATTACHMENT.button(skip)], cancel_row()]
    question = _(
        "You can add a photo or a location (📎 → Location). Send one, or press “{skip}”."
    ).format(skip=skip)
    await _show(update, question, kb.markup(rows), hint)
    return ATTACH


# A press at the area or the group step: where the draft keeps the choice, the step after it.
_CHOICES: dict[kb.Route, tuple[str, Step]] = {
    r.AREA: ("area_id", show_groups),
    r.GROUP: ("group_id", ask_attachment),
}


@with_draft
async def chosen(update: Update, context: Context, draft: Draft) -> int:
    """An area or a group is chosen: kept in the draft, then the next step (or the review, when
    it was changed from there)."""
    data = update.callback_query.data if update.callback_query else None
    route = next(route for route in _CHOICES if route.matches(data))
    key, following = _CHOICES[route]
    (draft[key],) = route.parse(data)
    if draft.pop("editing", None):
        return await show_review(update, context, draft)
    return await following(update, context, draft)


@with_message
async def photo_sent(update: Update, context: Context, draft: Draft, message: Message) -> int:
    if not message.photo:
        return END
    draft["photo"] = message.photo[-1].file_id
    return await review_again(update, context, draft)


@with_message
async def location_sent(update: Update, context: Context, draft: Draft, message: Message) -> int:
    if message.location is None:
        return END
    draft["latitude"] = message.location.latitude
    draft["longitude"] = message.location.longitude
    return await review_again(update, context, draft)


@with_draft
async def attachment_skipped(update: Update, context: Context, draft: Draft) -> int:
    return await review_again(update, context, draft)


@with_message
async def attachment_typed(update: Update, context: Context, draft: Draft, message: Message) -> int:
    """Text at the photo step: a skip word skips, anything else gets the hint."""
    if is_skip_word(message.text):
        return await review_again(update, context, draft)
    return await ask_attachment(update, context, draft, hint=attachment_hint())


# --- review ----------------------------------------------------------------------------


async def review_text(context: Context, draft: Draft) -> str:
    async with context.db.session() as session:
        area = await groups_service.area_by_id(session, draft.get("area_id"))
        group = await groups_service.group_for_display(session, draft.get("group_id"))
    kind = draft["kind"]
    lines = [
        "<b>" + _("Please check your {kind} before sending:").format(kind=kind_name(kind)) + "</b>",
        "",
    ]
    for spec in service.FIELDS[kind]:
        value = draft["fields"].get(spec.key)
        lines.append(f"<i>{esc(_(spec.label))}:</i> {esc(value) if value else '—'}")
    lines.append(f"<i>{esc(_('Problem area'))}:</i> {esc(area_name(area))}")
    lines.append(f"<i>{esc(_('Group'))}:</i> {esc(group_name(group))}")
    extras = []
    if draft.get("photo"):
        extras.append("📷 " + _("photo"))
    if draft.get("latitude") is not None:
        extras.append("📍 " + _("location"))
    if extras:
        lines.append(" · ".join(extras))
    return "\n".join(lines)


def review_keyboard() -> InlineKeyboardMarkup:
    return kb.markup(
        [
            [r.EDIT_MENU.button("✏️ " + _("Edit a field"))],
            [r.SEND.button("✅ " + _("Send")), *cancel_row()],
        ]
    )


async def show_review(
    update: Update, context: Context, draft: Draft, *, hint: str | None = None
) -> int:
    text = await review_text(context, draft)
    await _show(update, text, review_keyboard(), hint)
    return REVIEW


async def review_again(update: Update, context: Context, draft: Draft) -> int:
    """Back to the review, the field being edited (if any) done."""
    draft.pop("editing", None)
    return await show_review(update, context, draft)


async def cancel(update: Update, context: Context) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(REJECTING, None)
    await reply(update, _("Stopped. Nothing was saved."), kb.with_menu([]))
    return END


def cancel_handlers() -> list[BaseHandler[Update, Any, Any]]:
    return [CommandHandler("cancel", cancel), kb.callback_handler(cancel, r.CANCEL)]
