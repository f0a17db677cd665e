"""🔗 Links from a contribution's card: what it is linked to, suggestions (same problem area
first, then the most supported), a kind filter, a search by words; link and unlink. Both
authors are told once."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import notify
from bot.i18n import gettext as _
from bot.services import contributions as contributions_service
from bot.services import links as service
from bot.services import programme as programme_service
from handlers import keyboards as kb
from handlers.common import END, Context, answer, clip, clip_label, esc, reply, requires
from handlers.contributions import routes as contribution_routes
from handlers.programme import routes as r
from models import Contribution, ContributionKind, Role

SUGGESTIONS = 6


def kind_name(kind: str) -> str:
    return _(contributions_service.KIND_NAMES[ContributionKind(kind)])


def _line(c: Contribution) -> str:
    return f"#{c.id} {esc(kind_name(c.kind))}: {esc(clip_label(c.title, 70))}"


@dataclass(frozen=True)
class Narrowing:
    """What the suggestions are narrowed to: a kind (its filter button) or typed words (the
    search); neither: the same problem area first, then the most supported."""

    kind: str | None = None
    words: str | None = None


async def links_screen(
    update: Update, context: Context, contribution_id: int, narrowing: Narrowing = Narrowing()
) -> None:
    kind, words = narrowing.kind, narrowing.words
    member = context.member
    async with context.db.session() as session:
        c = await contributions_service.get(session, contribution_id)
        linked = await service.linked(session, contribution_id)
        may = await service.may_link_from(session, member, c)
        suggestions = (
            await service.candidates(session, c, words, kind=kind, limit=SUGGESTIONS) if may else []
        )
        action = None
        may_plan = False
        if c.kind == ContributionKind.IDEA:
            action = await programme_service.action_of_idea(session, contribution_id)
            may_plan = (
                action is None
                and c.status in programme_service.ACTIONABLE
                and await programme_service.may_plan(session, member, c)
            )
    lines = [
        "<b>" + _("🔗 Links of {kind} #{id}").format(kind=esc(kind_name(c.kind)), id=c.id) + "</b>",
        esc(c.title),
        "",
    ]
    if linked:
        lines += [
            f"• {esc(service.relation(o.kind, o.id))}: {esc(clip_label(o.title, 70))}"
            for o in linked
        ]
    else:
        lines.append(_("Not linked to anything yet."))
    rows: list[list[InlineKeyboardButton]] = []
    if may:
        lines.append("")
        if words:
            lines.append(_("Found for “{words}”:").format(words=esc(words)))
        else:
            lines.append(_("Suggestions (the same problem area first):"))
        lines += [_line(s) for s in suggestions] or [_("Nothing found.")]
        rows += kb.grid([r.LINK_ADD.button(f"➕ #{s.id}", c.id, s.id) for s in suggestions], 3)
        rows += kb.grid([r.LINK_DEL.button(f"✂️ #{o.id}", c.id, o.id) for o in linked[:9]], 3)
        kinds = [k for k in r.KIND_OF.values() if k != c.kind]
        rows += kb.grid([r.LINK_KIND.button(kind_name(k), c.id, r.CODE_OF[k]) for k in kinds], 4)
        rows.append([r.LINK_SEARCH.button("🔎 " + _("Search by words"), c.id)])
    if action is not None:
        rows.append([r.ACTION.button("🎯 " + _("Programme action"), action.id)])
    elif may_plan:
        rows.append([r.NEW_ACTION.button("🎯 " + _("Make it an action"), c.id)])
    rows.append([contribution_routes.OPEN.button("« " + _("Back to the card"), c.id)])
    await reply(update, clip("\n".join(lines), 4000), kb.with_menu(rows))


@requires(Role.RESIDENT)
async def show(update: Update, context: Context) -> None:
    await answer(update)
    assert update.callback_query is not None
    (contribution_id,) = r.LINKS.parse(update.callback_query.data)
    await links_screen(update, context, contribution_id)


@requires(Role.RESIDENT)
async def by_kind(update: Update, context: Context) -> None:
    await answer(update)
    assert update.callback_query is not None
    contribution_id, code = r.LINK_KIND.parse(update.callback_query.data)
    await links_screen(update, context, contribution_id, Narrowing(kind=r.KIND_OF.get(code)))


def _told_text(result: service.LinkResult, *, linked: bool) -> tuple[str, InlineKeyboardMarkup]:
    a, b = result.first, result.second
    template = (
        _("🔗 #{a} “{ta}” and #{b} “{tb}” are now linked.")
        if linked
        else _("#{a} “{ta}” and #{b} “{tb}” are no longer linked.")
    )
    text = template.format(a=a.id, ta=esc(a.title), b=b.id, tb=esc(b.title))
    keyboard = kb.markup([[r.LINKS.button("🔗 " + _("Links"), a.id)]])
    return text, keyboard


async def _tell(context: Context, result: service.LinkResult, *, linked: bool) -> None:
    await notify.notify_members(
        context.bot,
        context.db,
        result.notify,
        lambda: _told_text(result, linked=linked),
    )


async def _change_link(update: Update, context: Context, *, linked: bool) -> None:
    """Link (or unlink) the pressed pair, tell the people concerned, show the links again."""
    assert update.callback_query is not None
    route, change = (r.LINK_ADD, service.link) if linked else (r.LINK_DEL, service.unlink)
    first, second = route.parse(update.callback_query.data)
    async with context.db.session() as session:
        result = await change(session, context.me, first, second)
    await answer(update, _("The link is saved.") if linked else _("The link is removed."))
    await _tell(context, result, linked=linked)
    await links_screen(update, context, first)


@requires(Role.RESIDENT)
async def add(update: Update, context: Context) -> None:
    await _change_link(update, context, linked=True)


@requires(Role.RESIDENT)
async def remove(update: Update, context: Context) -> None:
    await _change_link(update, context, linked=False)


@requires(Role.RESIDENT)
async def search_start(update: Update, context: Context) -> object:
    assert update.callback_query is not None and context.user_data is not None
    (contribution_id,) = r.LINK_SEARCH.parse(update.callback_query.data)
    async with context.db.session() as session:
        await service.require_link_from(session, context.me, contribution_id)
    await answer(update)
    context.user_data[r.KEY] = {"search": contribution_id}
    await reply(
        update,
        _("Type a few words of the title you are looking for."),
        kb.markup([[r.STOP.button(_("Cancel"))]]),
    )
    return r.SEARCH


@requires(Role.RESIDENT)
async def search_received(update: Update, context: Context) -> object:
    assert context.user_data is not None and update.effective_message is not None
    step = context.user_data.pop(r.KEY, {}) or {}
    contribution_id = step.get("search")
    if not contribution_id:
        return END
    words = (update.effective_message.text or "").strip()[:60]
    await links_screen(update, context, int(contribution_id), Narrowing(words=words))
    return END
