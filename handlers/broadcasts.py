"""/broadcast: audience, text (or photo), preview with the count, send; progress and stop."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot import reminders
from bot.broadcasting import engine, render
from bot.i18n import N_, current_language, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.services import broadcasts as service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import (
    END,
    App,
    Context,
    answer,
    ask_to_confirm,
    clip_label,
    domain_message,
    esc,
    pressed,
    private_only,
    refuse,
    reply,
    requires,
)
from handlers.registry import CommandSpec, MenuEntry
from models import Broadcast, BroadcastStatus, Member, Role

F = "bc"
TEXT, PREVIEW = range(2)
PREVIEW_KEY = "broadcast_preview"

# Every button of this feature, declared once (data, handler pattern and parsing).
OVERVIEW = kb.route(F)
NEW = kb.route(F, "new")
STOP = kb.route(F, "stop", int)
STOP_CONFIRM = kb.route(F, "stopc", int, kb.YES_NO)
UNREACHABLE = kb.route(F, "unr", int)
PICK_GROUP = kb.route(F, "grp")
PICK_MEETING = kb.route(F, "mtg")
PICK_AREA = kb.route(F, "var")
PICK_STREET = kb.route(F, "vst")
AUDIENCE = kb.route(F, "aud", ("all", "ldr", "vol"))
AUDIENCE_GROUP = kb.route(F, "aud", ("grp",), int)
AUDIENCE_MEETING = kb.route(F, "aud", ("mtg",), int)
AUDIENCE_AREA = kb.route(F, "aud", ("area",), int)
AUDIENCE_STREET = kb.route(F, "aud", ("st",), str)  # an index, or "-" for other streets
AUDIENCES = (AUDIENCE, AUDIENCE_GROUP, AUDIENCE_MEETING, AUDIENCE_AREA, AUDIENCE_STREET)
SEND = kb.route(F, "go", int)
REDO = kb.route(F, "redo", int)
DROP = kb.route(F, "drop", int)
AUDIENCE_KEY = "broadcast_audience"
MEETINGS_LOOKBACK = timedelta(days=30)
MEETINGS_LISTED = 15
PAGE = 15  # lines of the unreachable list: stays well under 4096 characters
COMMANDS = [CommandSpec("broadcast", N_("Send a message to many people"), Role.LEAD)]
MENU = [MenuEntry(N_("Broadcasts"), F, Role.LEAD, order=70)]


def _is_coordinator(member: Member) -> bool:
    return member.role == Role.COORDINATOR


# A meeting's attendees, or its card sent to many (handlers/meetings/inviting.py): the words
# while the meeting exists, and once it is gone.
_MEETING_AUDIENCES = {
    "meeting": (
        N_("the attendees of {topic} ({when})"),
        N_("the attendees of a meeting that no longer exists"),
    ),
    "invitation": (
        N_("the invitation to {topic} ({when})"),
        N_("the invitation to a meeting that no longer exists"),
    ),
}


async def _audience_name(session: Any, audience: dict[str, Any]) -> str | None:
    """The words for a group or a meeting audience, looked up; None for any other."""
    kind = audience.get("kind")
    if kind == "group":
        try:
            group = await groups_service.get_active(session, audience.get("group_id"))
        except DomainError:
            return _("a group that no longer exists")
        return _("the group {name}").format(name=esc(group.display_name(current_language())))
    if kind in _MEETING_AUDIENCES:
        words, gone = _MEETING_AUDIENCES[kind]
        try:
            meeting = await meetings_service.get(session, audience.get("meeting_id"))
        except DomainError:
            return _(gone)
        return _(words).format(
            topic=esc(meeting.topic), when=format_datetime(meeting.starts_at, "short")
        )
    return None


async def audience_label(session: Any, audience: dict[str, Any]) -> str:
    kind = audience.get("kind")
    name = None if kind in ("everyone", "leaders") else await _audience_name(session, audience)
    area = None
    if name is None and audience.get("area"):
        names = {a.slug: a.names for a in await groups_service.areas(session)}
        area = esc(names.get(audience["area"], {}).get(current_language()) or audience["area"])
    named = {str(kind): name} if name is not None else {}
    return service.audience_words(audience, named, area=area, escape=esc)


def progress_line(broadcast: Broadcast, label: str, counts: service.Progress) -> str:
    return _(
        "#{id} to {audience}: {done} of {total} done (delivered {sent}, blocked {blocked}, "
        "failed {failed})"
    ).format(
        id=broadcast.id,
        audience=label,
        done=counts.done,
        total=counts.total,
        sent=counts.sent,
        blocked=counts.blocked,
        failed=counts.failed,
    )


def finished_line(broadcast: Broadcast, label: str) -> str:
    text = _(
        "#{id} to {audience}, {when}: delivered {sent} of {total}, blocked {blocked}, "
        "failed {failed}, uncertain {uncertain}"
    ).format(
        id=broadcast.id,
        audience=label,
        when=format_datetime(broadcast.finished_at or broadcast.created_at, "short_day"),
        sent=broadcast.sent,
        total=broadcast.total,
        blocked=broadcast.blocked,
        failed=broadcast.failed,
        uncertain=broadcast.uncertain,
    )
    if broadcast.status == BroadcastStatus.STOPPED:
        text += " " + _("(stopped)")
    return text


# --- overview, progress, stop ------------------------------------------------------------


@requires(Role.LEAD)
async def overview(update: Update, context: Context) -> int:
    await answer(update)
    member = context.me
    lines = ["<b>" + _("Broadcasts") + "</b>"]
    rows = []
    async with context.runtime.db.session() as session:
        running = await service.visible_running(session, member)
        for broadcast in running:
            counts = await service.progress(session, broadcast.id)  # type: ignore[arg-type]
            label = await audience_label(session, broadcast.audience)
            lines.append(progress_line(broadcast, label, counts))
            rows.append([STOP.button(_("Stop #{id}").format(id=broadcast.id), broadcast.id)])
        if not running:
            lines.append(_("No broadcast is being sent now."))
        finished = await service.recent_finished(session, member)
        if finished:
            lines += ["", "<b>" + _("Recently sent") + "</b>"]
        for broadcast in finished:
            label = await audience_label(session, broadcast.audience)
            lines.append(finished_line(broadcast, label))
    if running:
        rows.append([OVERVIEW.button(_("Refresh"))])
    rows.insert(0, [NEW.button(_("New broadcast"))])
    if _is_coordinator(member):
        rows.append([UNREACHABLE.button(_("Who blocked the bot"), 0)])
    await reply(update, "\n".join(lines), kb.with_menu(rows))
    return END


@requires(Role.LEAD)
async def ask_stop(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    broadcast_id = data.int_arg(0) or 0
    try:  # a forged or foreign id is refused before asking, not only at the confirmation
        async with context.runtime.db.session() as session:
            await service.may_stop(session, broadcast_id, context.me)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    question = _("Stop broadcast #{id}? Those not reached yet will not get it.")
    await ask_to_confirm(
        update,
        question.format(id=broadcast_id),
        STOP_CONFIRM,
        broadcast_id,
        yes=_("Yes, stop it"),
        no=_("No, keep sending"),
    )


@requires(Role.LEAD)
async def confirm_stop(update: Update, context: Context) -> None:
    data = await pressed(update)
    broadcast_id = data.int_arg(0) or 0
    if data.arg(1) != "y":
        await overview(update, context)
        return
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.stop(session, broadcast_id, actor)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return
    engine(context.application).stop(broadcast_id)
    await reply(
        update,
        _("Broadcast #{id} is stopping. You will get a report in a moment.").format(
            id=broadcast_id
        ),
        kb.with_menu([[OVERVIEW.button(_("Broadcasts"))]]),
    )


@requires(Role.COORDINATOR)
async def unreachable(update: Update, context: Context) -> None:
    data = await pressed(update)
    page = max(data.int_arg(0) or 0, 0)
    async with context.runtime.db.session() as session:
        people = await service.unreachable_members(session)
    if not people:
        await reply(
            update,
            _("Nobody has blocked the bot."),
            kb.with_menu([[OVERVIEW.button(_("Broadcasts"))]]),
        )
        return
    pages = (len(people) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    lines = [
        "<b>"
        + ngettext(
            "{n} person blocked the bot; call them:",
            "{n} people blocked the bot; call them:",
            len(people),
        ).format(n=len(people))
        + "</b>"
    ]
    for member, phone in people[page * PAGE : (page + 1) * PAGE]:
        name = esc(member.display_name or "?")
        line = f'• <a href="tg://user?id={member.telegram_id}">{name}</a>'
        if member.institution:
            line += f" ({esc(member.institution[:40])})"
        line += " — " + (esc(phone) if phone else _("no phone number"))
        lines.append(line)
    rows = [kb.pager(F, "unr", page, pages), [OVERVIEW.button(_("Broadcasts"))]]
    await reply(update, "\n".join(lines), kb.with_menu(rows))


# --- a new broadcast ------------------------------------------------------------------------


@requires(Role.LEAD)
async def new(update: Update, context: Context) -> int:
    await answer(update)
    member = context.me
    if _is_coordinator(member):
        rows = [
            [AUDIENCE.button(_("Everyone"), "all")],
            [AUDIENCE.button(_("All leaders"), "ldr")],
            [PICK_GROUP.button(_("A group"))],
            [PICK_MEETING.button(_("A meeting's attendees"))],
            [AUDIENCE.button(_("All volunteers"), "vol")],
            [PICK_AREA.button(_("Volunteers by interest"))],
            [PICK_STREET.button(_("Volunteers by street"))],
        ]
        await reply(update, _("Who should get the message?"), kb.with_menu(rows))
        return END
    await choose_group(update, context)
    return END


@requires(Role.LEAD)
async def choose_group(update: Update, context: Context) -> None:
    await answer(update)
    member = context.me
    async with context.runtime.db.session() as session:
        if _is_coordinator(member):
            groups = await groups_service.active_groups(session)
        else:
            groups = await members_service.led_groups(session, member)
    rows = [
        [AUDIENCE_GROUP.button(g.display_name(current_language()), "grp", g.id)] for g in groups
    ]
    text = _("Which group?") if rows else _("You don't lead any group.")
    await reply(update, text, kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_meeting(update: Update, context: Context) -> None:
    """Meetings of the last month and the coming ones, newest first."""
    await answer(update)
    since = reminders.clock(context.application) - MEETINGS_LOOKBACK
    async with context.runtime.db.session() as session:
        meetings = await meetings_service.scheduled_after(session, since)
    meetings.sort(key=lambda m: m.starts_at, reverse=True)
    rows = [
        [
            AUDIENCE_MEETING.button(
                f"{format_datetime(m.starts_at, 'short')} · {clip_label(m.topic, 40)}", "mtg", m.id
            )
        ]
        for m in meetings[:MEETINGS_LISTED]
    ]
    text = _("The attendees of which meeting?") if rows else _("There are no meetings to choose.")
    await reply(update, text, kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_area(update: Update, context: Context) -> None:
    await answer(update)
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [
        [AUDIENCE_AREA.button(a.names.get(current_language()) or a.slug, "area", a.id)]
        for a in areas
    ]
    await reply(update, _("Volunteers interested in which problem area?"), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_street(update: Update, context: Context) -> None:
    await answer(update)
    streets = context.runtime.profile.streets
    buttons = [AUDIENCE_STREET.button(street, "st", index) for index, street in enumerate(streets)]
    buttons.append(AUDIENCE_STREET.button(_("Other streets"), "st", "-"))
    await reply(update, _("Volunteers from which street?"), kb.with_menu(kb.grid(buttons, 2)))


# The audiences a button names with no more than its choice.
_PLAIN_AUDIENCES = {"all": "everyone", "ldr": "leaders", "vol": "volunteers"}
NOT_AVAILABLE = N_("This choice is not available.")


def _number(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


async def audience_of_choice(context: Context, choice: str, arg: object) -> dict[str, Any]:
    """The audience a pressed button stands for: `choice` ("all", "ldr", "vol"; "grp" or
    "mtg" with its id; "area" with the area's id; "st" with a street's index or "-") and its
    argument, checked against what exists; InvalidInput for anything else."""
    if choice in _PLAIN_AUDIENCES:
        return service.audience_spec(_PLAIN_AUDIENCES[choice])
    number = _number(arg)
    if choice == "grp":
        return service.audience_spec("group", group_id=number)
    if choice == "mtg":
        return service.audience_spec("meeting", meeting_id=number)
    if choice == "area":
        async with context.db.session() as session:
            areas = {a.id: a.slug for a in await groups_service.areas(session)}
        if number not in areas:
            raise InvalidInput(NOT_AVAILABLE)
        return service.audience_spec("volunteers", area=areas[number])
    if choice == "st":
        streets = context.runtime.profile.streets
        if arg == "-":
            return service.audience_spec("volunteers", street="-")
        if number is None or not 0 <= number < len(streets):
            raise InvalidInput(NOT_AVAILABLE)
        return service.audience_spec("volunteers", street=streets[number])
    raise InvalidInput(NOT_AVAILABLE)


def _text_prompt() -> str:
    return "\n\n".join(
        [
            _("Send the message as you want people to see it."),
            _("To add a picture, send it as a photo with the text as its caption."),
            _("Send /cancel to stop."),
        ]
    )


def _formatting_help() -> str:
    return _(
        "Bold, italics and links made in Telegram are kept; you may also type HTML tags "
        'such as <b>, <i> and <a href="…">.'
    )


FORMATTING = kb.route(F, "fmt")


def _prompt_keyboard() -> kb.InlineKeyboardMarkup:
    return kb.markup([[FORMATTING.button(_("Formatting help"))]])


@requires(Role.LEAD)
async def formatting_help(update: Update, context: Context) -> int | None:
    """Formatting help only on request: town-hall staff need no HTML lesson."""
    await answer(update)
    assert update.effective_chat is not None
    await update.effective_chat.send_message(html.escape(_formatting_help(), quote=False))
    return None


@requires(Role.LEAD)
async def audience_chosen(update: Update, context: Context) -> int:
    data = await pressed(update)
    assert context.user_data is not None
    try:
        audience = await audience_of_choice(context, data.arg(0), data.arg(1, ""))
        async with context.runtime.db.session() as session:
            member = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.check_allowed(session, member, audience)
            targets, _blocked = await service.recipients(session, audience)
            label = await audience_label(session, audience)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return END
    context.user_data[AUDIENCE_KEY] = audience
    count = ngettext("{n} person", "{n} people", len(targets)).format(n=len(targets))
    head = _("To: {audience} ({count}).").format(audience=label, count=count)
    await reply(
        update, head + "\n\n" + html.escape(_text_prompt(), quote=False), _prompt_keyboard()
    )
    return TEXT


async def text_received(update: Update, context: Context) -> int:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None and context.user_data is not None
    member = context.member
    audience = context.user_data.get(AUDIENCE_KEY)
    if member is None or audience is None:
        await chat.send_message(_("Please start again: /broadcast."))
        return END
    photo = message.photo[-1].file_id if message.photo else None
    raw = message.caption if photo else message.text
    formatted = message.caption_html if photo else message.text_html
    if raw is None:
        await chat.send_message(_("Please send the text of the message (and /cancel to stop)."))
        return TEXT
    text = service.as_html(raw, formatted)
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            author = await members_service.get(session, member.id)  # type: ignore[arg-type]
            broadcast = await service.create_draft(session, author, audience, text, photo)
            targets, blocked = await service.recipients(session, audience)
            label = await audience_label(session, audience)
            group = await service.audience_group(session, broadcast)
    except DomainError as error:
        await chat.send_message(esc(domain_message(error)) + "\n" + esc(_("Please send it again.")))
        return TEXT
    # The preview is the real message: if Telegram refuses it, nobody else gets it either.
    shown, menu_row = render(broadcast, context.language, group)
    try:
        if photo:
            await chat.send_photo(photo, caption=shown, reply_markup=menu_row)
        else:
            await chat.send_message(shown, reply_markup=menu_row)
    except BadRequest as error:
        async with runtime.db.session() as session:
            await service.discard(session, broadcast.id, author)  # type: ignore[arg-type]
        await chat.send_message(
            esc(_("Telegram refused this message: {reason}").format(reason=error.message))
            + "\n"
            + esc(_("Please send it again."))
        )
        return TEXT
    lines = [
        _("This is how it will look. Audience: {audience}.").format(audience=label),
        "<b>"
        + ngettext("It will go to {n} person.", "It will go to {n} people.", len(targets)).format(
            n=len(targets)
        )
        + "</b>",
    ]
    if blocked:
        lines.append(
            ngettext(
                "{n} more person blocked the bot and will not get it.",
                "{n} more people blocked the bot and will not get it.",
                blocked,
            ).format(n=blocked)
        )
    context.user_data[PREVIEW_KEY] = broadcast.id
    await chat.send_message("\n".join(lines), reply_markup=preview_keyboard(broadcast.id or 0))
    return PREVIEW


def preview_keyboard(broadcast_id: int) -> kb.InlineKeyboardMarkup:
    return kb.markup(
        [
            [SEND.button(_("Send now"), broadcast_id)],
            [REDO.button(_("Change the text"), broadcast_id)],
            [DROP.button(_("Cancel"), broadcast_id)],
        ]
    )


async def text_at_preview(update: Update, context: Context) -> int:
    """Typing while the preview waits: point at its buttons (and show them again)."""
    assert update.effective_chat is not None and context.user_data is not None
    broadcast_id = context.user_data.get(PREVIEW_KEY) or 0
    await update.effective_chat.send_message(
        _("The message is waiting for your decision: send it now, change the text, or cancel it."),
        reply_markup=preview_keyboard(broadcast_id),
    )
    return PREVIEW


async def not_a_message(update: Update, context: Context) -> int:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please send the text of the message (and /cancel to stop).")
    )
    return TEXT


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(AUDIENCE_KEY, None)
    await update.effective_chat.send_message(_("The broadcast was not sent."))
    return END


@requires(Role.LEAD)
async def draft_action(update: Update, context: Context) -> int:
    """go: confirmed, send; redo: new text for the same audience; drop: throw away."""
    data = await pressed(update)
    assert context.user_data is not None
    broadcast_id = data.int_arg(0) or 0
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            author = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            if data.action == "go":
                broadcast = await service.start(session, broadcast_id, author)
            else:
                broadcast = await service.get(session, broadcast_id)
                audience = broadcast.audience
                await service.discard(session, broadcast_id, author)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return END
    if data.action == "go":
        engine(context.application).start(broadcast_id)
        await reply(
            update,
            ngettext(
                "Sending to {n} person in the background. You will get a report at the end.",
                "Sending to {n} people in the background. You will get a report at the end.",
                broadcast.total,
            ).format(n=broadcast.total),
            kb.with_menu([[OVERVIEW.button(_("Progress"))]]),
        )
        return END
    if data.action == "redo":
        context.user_data[AUDIENCE_KEY] = audience
        await reply(update, html.escape(_text_prompt(), quote=False), _prompt_keyboard())
        return TEXT
    await reply(update, _("The broadcast was not sent."), kb.with_menu([]))
    return END


def register(application: App) -> None:
    text = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO
    anything_else = ~filters.COMMAND & ~filters.StatusUpdate.ALL
    conversation = ConversationHandler(
        entry_points=[
            kb.callback_handler(audience_chosen, *AUDIENCES),
            kb.callback_handler(draft_action, REDO),
        ],
        states={
            TEXT: [
                MessageHandler(text, text_received),
                kb.callback_handler(formatting_help, FORMATTING),
                MessageHandler(anything_else, not_a_message),
            ],
            PREVIEW: [
                kb.callback_handler(draft_action, SEND, DROP),
                MessageHandler(anything_else, text_at_preview),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("broadcast", private_only(overview)),
            kb.callback_handler(audience_chosen, *AUDIENCES),
        ],
        name="broadcast",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(conversation)
    application.add_handler(CommandHandler("broadcast", private_only(overview)))
    routes: list[tuple[Any, tuple[kb.Route, ...]]] = [
        (overview, (OVERVIEW,)),
        (new, (NEW,)),
        (choose_group, (PICK_GROUP,)),
        (choose_meeting, (PICK_MEETING,)),
        (choose_area, (PICK_AREA,)),
        (choose_street, (PICK_STREET,)),
        (ask_stop, (STOP,)),
        (confirm_stop, (STOP_CONFIRM,)),
        (unreachable, (UNREACHABLE,)),
        (draft_action, (SEND, DROP)),
        (formatting_help, (FORMATTING,)),
    ]
    for callback, handled in routes:
        application.add_handler(kb.callback_handler(callback, *handled))
