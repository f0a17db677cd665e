"""The end of the draft conversation: edit a field from the review, send, tell the reviewers;
and reopening one's own contribution while it is new."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import notify
from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services.contributions import Card
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, private_only, reply, requires
from handlers.contributions import routes as r
from handlers.contributions.cards import (
    cancel_row,
    card_keyboard,
    card_text,
    group_name,
    kind_name,
    status_buttons,
)
from handlers.contributions.draft import (
    DRAFT,
    REVIEW,
    Draft,
    ask_attachment,
    ask_field,
    draft_of,
    review_again,
    show_areas,
    show_groups,
    show_review,
    with_draft,
)
from models import Member


@with_draft
async def edit_menu(update: Update, context: Context, draft: Draft) -> int:
    buttons = [
        r.EDIT_FIELD.button(_(spec.label), spec.key) for spec in service.FIELDS[draft["kind"]]
    ]
    buttons += [
        r.EDIT_FIELD.button(_("Problem area"), "area"),
        r.EDIT_FIELD.button(_("Group"), "group"),
        r.EDIT_FIELD.button(_("Photo or location"), "att"),
    ]
    rows = [*kb.grid(buttons, 2), [r.BACK_TO_REVIEW.button("« " + _("Back")), *cancel_row()]]
    await reply(update, _("Which field would you like to change?"), kb.markup(rows))
    return REVIEW


@with_draft
async def edit_field(update: Update, context: Context, draft: Draft) -> int:
    (key,) = r.EDIT_FIELD.parse(update.callback_query.data if update.callback_query else "")
    draft["editing"] = True
    if key == "area":
        return await show_areas(update, context, draft)
    if key == "group":
        return await show_groups(update, context, draft)
    if key == "att":
        for name in ("photo", "latitude", "longitude"):
            draft.pop(name, None)
        return await ask_attachment(update, context, draft)
    try:
        spec = service.field_spec(draft["kind"], key)
    except InvalidInput:
        return await review_again(update, context, draft)
    return await ask_field(update, context, draft, spec)


@with_draft
async def back_to_review(update: Update, context: Context, draft: Draft) -> int:
    return await show_review(update, context, draft)


async def send(update: Update, context: Context) -> int:
    await answer(update)
    draft = draft_of(context)
    member = context.member
    if draft is None or member is None:
        return END
    editing_existing = bool(draft.get("id"))
    try:
        # The member was loaded for this very update (handlers/system.py): no second read.
        author = member
        async with context.db.session() as session:
            _held = await service.draft_group(session, draft)  # read once for the whole block
            # Already saved (a crash before the conversation moved on): don't tell twice.
            earlier = await service.submitted(session, author, draft)
            again = earlier is not None
            contribution = await service.submit(session, author, dict(draft), earlier=earlier)
            quiet = editing_existing or again
            if quiet:
                saved = await service.card(session, contribution.id, author)
            else:  # just inserted: nothing to read back
                saved = await service.card_of_new(session, contribution, author)
            reviewers = [] if quiet else await service.reviewers(session, contribution)
    except DomainError as error:
        # The draft stays: the review comes back with the reason, to fix and send again.
        return await show_review(update, context, draft, hint=domain_message(error))
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
        await tell_reviewers(context, saved, reviewers)
    return END


async def tell_reviewers(context: Context, saved: Card, reviewers: list[Member]) -> None:
    runtime = context.runtime
    bot = context.bot

    def render() -> tuple[str, InlineKeyboardMarkup]:
        intro = _("A new contribution for {group}:").format(group=esc(group_name(saved.group)))
        rows = [status_buttons(saved), [r.OPEN.button(_("Open"), saved.contribution.id)]]
        return intro + "\n\n" + card_text(saved), kb.markup(rows)

    await notify.notify_members(bot, runtime.db, reviewers, render)
    if saved.group is not None:
        await notify.post_to_group_chat(
            bot, saved.group, render, runtime.settings.bot_default_language, db=runtime.db
        )


@private_only
@requires()
async def edit_existing(update: Update, context: Context) -> int:
    """The author reopens a contribution that is still new (refused otherwise)."""
    await answer(update)
    assert context.user_data is not None
    (contribution_id,) = r.EDIT_EXISTING.parse(
        update.callback_query.data if update.callback_query else ""
    )
    async with context.db.session() as session:
        contribution = await service.get_own_new(session, context.me, contribution_id)
    draft = service.draft_of(contribution)
    context.user_data[DRAFT] = draft
    return await show_review(update, context, draft)
