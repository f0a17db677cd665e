"""Programme actions: a coordinator (or the lead of the idea's group) turns an accepted idea
into an action — goal, target group, responsible institution, partners (from the profile),
start and end month — then keeps its status, progress %, indicators and dated notes."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update

from bot import reminders as jobs
from bot.i18n import N_, format_date
from bot.i18n import gettext as _
from bot.services import links as links_service
from bot.services import programme as service
from bot.services.errors import InvalidInput
from handlers import keyboards as kb
from handlers.common import END, Context, answer, clip, clip_label, esc, reply, requires
from handlers.contributions import routes as contribution_routes
from handlers.programme import routes as r
from models import ProgrammeAction, Role

STATUS_NAMES = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}
NOTES_SHOWN = 5


def _step(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(r.KEY, {})  # type: ignore[no-any-return]


def _arg(update: Update, route: kb.Route) -> tuple[Any, ...]:
    assert update.callback_query is not None
    return route.parse(update.callback_query.data)


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else ""


Row = list[InlineKeyboardButton]


async def _question(
    update: Update, text: str, *rows: Row, skip: bool = False, edit: bool = True
) -> None:
    """A step of the conversation: `text` with its `rows` of buttons, Skip when the step may be
    skipped, and Cancel."""
    skip_row = [r.SKIP.button(_("Skip"))] if skip else []
    cancel_row = [r.STOP.button(_("Cancel"))]
    await reply(update, text, kb.markup([*rows, skip_row, cancel_row]), edit=edit)


def action_text(detail: service.ActionDetail) -> str:
    a = detail.action
    lines = [
        "<b>🎯 " + esc(a.title) + "</b>",
        _("Goal: {text}").format(text=esc(a.goal)),
    ]
    if a.target_group:
        lines.append(_("Target group: {text}").format(text=esc(a.target_group)))
    if a.responsible:
        lines.append(_("Responsible: {text}").format(text=esc(a.responsible)))
    if a.partners:
        lines.append(_("Partners: {text}").format(text=esc(", ".join(a.partners))))
    schedule = " – ".join(m for m in (a.start_month, a.end_month) if m)
    if schedule:
        lines.append(_("Schedule: {text}").format(text=schedule))
    lines.append(
        _("Status: {status}, {progress}%").format(
            status=_(STATUS_NAMES.get(a.status, a.status)), progress=a.progress
        )
    )
    for kind, items in sorted(detail.linked.items()):
        for item in items:
            lines.append(
                f"• {esc(links_service.relation(kind, item.id))}: {esc(clip_label(item.title, 60))}"
            )
    if detail.indicators:
        lines += ["", "<b>" + _("Indicators") + "</b>"]
        for i in detail.indicators:
            done = "?" if i.achieved is None else f"{i.achieved:g}"
            lines.append(f"• {esc(i.name)}: {done} / {i.target:g} {esc(i.unit)}")
    if detail.notes:
        lines += ["", "<b>" + _("Timeline") + "</b>"]
        for note in detail.notes[-NOTES_SHOWN:]:
            lines.append(f"• {format_date(note.noted_on)}: {esc(note.text)}")
    return clip("\n".join(lines), 4000)


async def show_action(
    update: Update, context: Context, action_id: int, *, edit: bool = True
) -> None:
    async with context.db.session() as session:
        detail = await service.action_detail(session, action_id)
        may = await service.may_manage_action(session, context.member, detail.action)
    rows: list[list[InlineKeyboardButton]] = []
    if may:
        rows.append(
            [
                r.PROGRESS.button("📈 " + _("Status and progress"), action_id),
                r.ADD_INDICATOR.button("➕ " + _("Indicator"), action_id),
                r.ADD_NOTE.button("📝 " + _("Note"), action_id),
            ]
        )
        rows += kb.grid(
            [
                r.ACHIEVED.button("🎯 " + clip_label(i.name, 18), i.id)
                for i in detail.indicators[:6]
            ],
            2,
        )
    if detail.action.contribution_id:
        rows.append(
            [
                r.LINKS.button("🔗 " + _("Links"), detail.action.contribution_id),
                contribution_routes.OPEN.button(
                    "« " + _("The idea"), detail.action.contribution_id
                ),
            ]
        )
    rows.append([r.ACTIONS.button("« " + _("All actions"))])
    await reply(update, action_text(detail), kb.with_menu(rows), edit=edit)


@requires(Role.RESIDENT)
async def view(update: Update, context: Context) -> None:
    await answer(update)
    (action_id,) = _arg(update, r.ACTION)
    await show_action(update, context, action_id)


@requires(Role.LEAD)
async def list_actions(update: Update, context: Context) -> None:
    await answer(update)
    async with context.db.session() as session:
        actions = await service.all_actions(session)
        ready = await service.actionable_ideas(session, context.me)
    lines = ["<b>" + _("🎯 Programme actions") + "</b>"]
    rows: list[list[InlineKeyboardButton]] = []
    for action in actions[:20]:
        lines.append(
            f"• {esc(action.title)} — {_(STATUS_NAMES.get(action.status, action.status))}, "
            f"{action.progress}%"
        )
        rows.append([r.ACTION.button(clip_label(action.title, 30), action.id)])
    if not actions:
        lines.append(_("No programme actions planned yet."))
    if ready:
        lines += ["", _("Accepted ideas that can become actions:")]
        for idea in ready[:8]:
            lines.append(f"• #{idea.id} {esc(clip_label(idea.title, 70))}")
            rows.append(
                [r.NEW_ACTION.button("➕ " + clip_label(f"#{idea.id} {idea.title}", 28), idea.id)]
            )
    await reply(update, clip("\n".join(lines), 4000), kb.with_menu(rows))


# --- turning an idea into an action --------------------------------------------------------


@requires(Role.RESIDENT)
async def new_start(update: Update, context: Context) -> object:
    (idea_id,) = _arg(update, r.NEW_ACTION)
    async with context.db.session() as session:
        idea = await service.plannable_idea(session, context.me, idea_id)
    await answer(update)
    assert context.user_data is not None
    context.user_data[r.KEY] = {"idea": idea_id, "partners": []}
    await _question(
        update,
        _("🎯 “{title}” as a programme action.\n\nWhat is its goal? One or two sentences.").format(
            title=esc(idea.title)
        ),
    )
    return r.GOAL


@requires(Role.RESIDENT)
async def goal_received(update: Update, context: Context) -> object:
    text = _text(update)
    if not text or len(text) > service.GOAL_MAX:
        await _question(update, _("Please write a few words."))
        return r.GOAL
    _step(context)["goal"] = text
    await _question(update, _("Who is it for (the target group)?"), skip=True)
    return r.TARGET


async def _ask_responsible(update: Update, context: Context) -> object:
    institutions = context.runtime.profile.institutions
    buttons = [r.RESPONSIBLE.button(clip_label(name, 30), i) for i, name in enumerate(institutions)]
    question = _("Which institution is responsible?")
    await _question(update, question, *kb.grid(buttons, 1), skip=True, edit=False)
    return r.RESPONSIBLE_STATE


@requires(Role.RESIDENT)
async def target_received(update: Update, context: Context) -> object:
    text = _text(update)
    if len(text) > service.SHORT_MAX:
        await _question(update, _("Please keep it shorter."))
        return r.TARGET
    _step(context)["target"] = text
    return await _ask_responsible(update, context)


@requires(Role.RESIDENT)
async def target_skipped(update: Update, context: Context) -> object:
    await answer(update)
    _step(context)["target"] = ""
    return await _ask_responsible(update, context)


async def _ask_partners(update: Update, context: Context) -> object:
    chosen = set(_step(context).get("partners", []))
    institutions = context.runtime.profile.institutions
    buttons = [
        r.PARTNER.button(("✅ " if i in chosen else "▫️ ") + clip_label(name, 28), i)
        for i, name in enumerate(institutions)
    ]
    done = [r.PARTNERS_DONE.button(_("Done"))]
    question = _("Partners: press the institutions that take part, then Done.")
    await _question(update, question, *kb.grid(buttons, 1), done)
    return r.PARTNERS_STATE


@requires(Role.RESIDENT)
async def responsible_chosen(update: Update, context: Context) -> object:
    await answer(update)
    step = _step(context)
    if update.callback_query is not None and r.RESPONSIBLE.matches(update.callback_query.data):
        (index,) = _arg(update, r.RESPONSIBLE)
        institutions = context.runtime.profile.institutions
        step["responsible"] = institutions[index] if index < len(institutions) else ""
    else:
        step["responsible"] = ""
    return await _ask_partners(update, context)


@requires(Role.RESIDENT)
async def partner_toggled(update: Update, context: Context) -> object:
    await answer(update)
    (index,) = _arg(update, r.PARTNER)
    step = _step(context)
    chosen = list(step.get("partners", []))
    if index in chosen:
        chosen.remove(index)
    elif index < len(context.runtime.profile.institutions):
        chosen.append(index)
    step["partners"] = chosen
    return await _ask_partners(update, context)


@requires(Role.RESIDENT)
async def partners_done(update: Update, context: Context) -> object:
    await answer(update)
    await _question(update, _("When does it start? A month like 03.2027."), skip=True)
    return r.START


@requires(Role.RESIDENT)
async def start_received(update: Update, context: Context) -> object:
    step = _step(context)
    if update.callback_query is not None:
        await answer(update)
        step["start"] = None
    else:
        try:
            step["start"] = service.parse_month(_text(update))
        except InvalidInput:
            await _question(update, _("Please give a month like 03.2027."))
            return r.START
    question = _("When does it end? A month like 12.2027.")
    await _question(update, question, skip=True, edit=update.callback_query is not None)
    return r.END


@requires(Role.RESIDENT)
async def end_received(update: Update, context: Context) -> object:
    assert context.user_data is not None
    step = _step(context)
    end = None
    if update.callback_query is not None:
        await answer(update)
    else:
        try:
            end = service.parse_month(_text(update))
        except InvalidInput:
            await _question(update, _("Please give a month like 03.2027."))
            return r.END
    institutions = context.runtime.profile.institutions
    partners = [institutions[i] for i in step.get("partners", []) if i < len(institutions)]
    try:
        async with context.db.session() as session:
            action = await service.create_action(
                session,
                context.me,
                int(step["idea"]),
                goal=step.get("goal", ""),
                target_group=step.get("target", ""),
                responsible=step.get("responsible", ""),
                partners=partners,
                start_month=step.get("start"),
                end_month=end,
            )
    finally:
        context.user_data.pop(r.KEY, None)
    await show_action(update, context, action.id, edit=False)  # type: ignore[arg-type]
    return END


# --- keeping an action up to date ----------------------------------------------------------


async def _managed(context: Context, action_id: int) -> ProgrammeAction:
    async with context.db.session() as session:
        return await service.managed_action(session, context.me, action_id)


@requires(Role.RESIDENT)
async def progress_menu(update: Update, context: Context) -> None:
    (action_id,) = _arg(update, r.PROGRESS)
    action = await _managed(context, action_id)
    await answer(update)
    status_buttons = [
        r.SET_STATUS.button(("• " if action.status == s else "") + _(STATUS_NAMES[s]), action_id, s)
        for s in r.STATUSES
    ]
    percent_buttons = [
        r.SET_PERCENT.button(("• " if action.progress == p else "") + f"{p}%", action_id, p)
        for p in r.PERCENTS
    ]
    await reply(
        update,
        _("Status and progress of “{title}”:").format(title=esc(action.title)),
        kb.with_menu(
            [
                *kb.grid(status_buttons, 2),
                *kb.grid(percent_buttons, 4),
                [r.ACTION.button("« " + _("Back"), action_id)],
            ]
        ),
    )


@requires(Role.RESIDENT)
async def set_status(update: Update, context: Context) -> None:
    action_id, status = _arg(update, r.SET_STATUS)
    async with context.db.session() as session:
        current = await service.get_action(session, action_id)
        await service.set_progress(
            session, context.me, action_id, status=status, progress=current.progress
        )
    await answer(update, _("Saved."))
    await show_action(update, context, action_id)


@requires(Role.RESIDENT)
async def set_percent(update: Update, context: Context) -> None:
    action_id, percent = _arg(update, r.SET_PERCENT)
    async with context.db.session() as session:
        current = await service.get_action(session, action_id)
        status = current.status
        if percent > 0 and status == "planned":
            status = "in_progress"
        await service.set_progress(session, context.me, action_id, status=status, progress=percent)
    await answer(update, _("Saved."))
    await show_action(update, context, action_id)


# The questions answered by typing: the conversation's state while waiting, the question.
_QUESTIONS = {
    "indicator": (
        r.INDICATOR,
        N_("Write the indicator as: name; target; unit\nFor example: participants; 40; people"),
    ),
    "achieved": (r.VALUE, N_("How much has been achieved so far? Write a number.")),
    "note": (r.NOTE, N_("What happened? Write a short note.")),
}


async def _ask(update: Update, context: Context, key: str, value: int) -> object:
    """Ask the question `key` about `value` (an id); its answer finds the id with _asked."""
    state, question = _QUESTIONS[key]
    await answer(update)
    assert context.user_data is not None
    context.user_data[r.KEY] = {key: value}
    await _question(update, _(question))
    return state


def _asked(context: Context, key: str) -> int:
    """The id the question `key` was asked about (see _ask)."""
    return int(_step(context).get(key, 0))


async def _finish(update: Update, context: Context, action_id: int) -> object:
    """The answer is saved: the action's card again, below the answer; the question is over."""
    assert context.user_data is not None
    context.user_data.pop(r.KEY, None)
    await show_action(update, context, action_id, edit=False)
    return END


# The buttons of an action's card that ask a question about it, and the question each asks.
_ACTION_QUESTIONS = {r.ADD_INDICATOR: "indicator", r.ADD_NOTE: "note"}


@requires(Role.RESIDENT)
async def ask_about_action(update: Update, context: Context) -> object:
    """A new indicator or a note for the pressed action, if the member may manage it."""
    assert update.callback_query is not None
    data = update.callback_query.data
    route = next(route for route in _ACTION_QUESTIONS if route.matches(data))
    (action_id,) = route.parse(data)
    await _managed(context, action_id)
    return await _ask(update, context, _ACTION_QUESTIONS[route], action_id)


@requires(Role.RESIDENT)
async def indicator_received(update: Update, context: Context) -> object:
    action_id = _asked(context, "indicator")
    name, target, unit = service.parse_indicator(_text(update))
    async with context.db.session() as session:
        await service.add_indicator(session, context.me, action_id, name, target, unit)
    return await _finish(update, context, action_id)


@requires(Role.RESIDENT)
async def achieved_start(update: Update, context: Context) -> object:
    (indicator_id,) = _arg(update, r.ACHIEVED)
    async with context.db.session() as session:
        await service.managed_indicator(session, context.me, indicator_id)
    return await _ask(update, context, "achieved", indicator_id)


@requires(Role.RESIDENT)
async def achieved_received(update: Update, context: Context) -> object:
    indicator_id = _asked(context, "achieved")
    try:
        value = float(_text(update).replace(",", "."))
    except ValueError:
        await _question(update, _("Please write a number."))
        return r.VALUE
    async with context.db.session() as session:
        indicator = await service.set_achieved(session, context.me, indicator_id, value)
    return await _finish(update, context, indicator.action_id)


@requires(Role.RESIDENT)
async def note_received(update: Update, context: Context) -> object:
    action_id = _asked(context, "note")
    today = jobs.clock(context.application).astimezone(context.runtime.settings.timezone).date()  # type: ignore[arg-type]
    async with context.db.session() as session:
        await service.add_note(session, context.me, action_id, _text(update), on=today)
    return await _finish(update, context, action_id)


async def stop(update: Update, context: Context) -> object:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(r.KEY, None)
    await reply(update, _("Cancelled."), kb.with_menu([]))
    return END


async def not_text(update: Update, context: Context) -> object:
    await reply(update, _("Please answer with text, or press Cancel."), edit=False)
    return None
