"""/map: per problem area, how many causes, barriers, experiences, ideas and resources;
causes no idea addresses; ideas with no resource; the most supported chain. A button per
area sends its picture (causes → barriers → ideas → resources), drawn off the event loop."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.documents.map_picture import COLUMNS, PER_COLUMN, map_png
from bot.i18n import current_language
from bot.i18n import gettext as _
from bot.offload import run_blocking
from bot.services import problem_map as service
from handlers import keyboards as kb
from handlers.common import Context, answer, clip, clip_label, esc, reply, requires
from handlers.programme import routes as r
from models import Role

SHOWN = 4


def _ids(listed: service.Listed) -> str:
    text = ", ".join(f"#{n.id}" for n in listed.nodes[:SHOWN])
    if listed.total > SHOWN:
        text += " " + _("… and {n} more").format(n=listed.total - SHOWN)
    return text


def map_text(areas: list[service.MapArea]) -> str:
    lines = ["<b>" + _("🗺 Problem map") + "</b>"]
    for area in areas:
        if area.area_id is None and not area.total:
            continue
        lines.append("")
        lines.append(f"<b>{esc(area.name)}</b>")
        counts = ", ".join(
            f"{service.kind_label(k)} {area.counts.get(k, 0)}" for k in service.KINDS
        )
        lines.append(counts)
        if area.orphan_causes.total:
            lines.append(_("Causes no idea addresses: {ids}").format(ids=_ids(area.orphan_causes)))
        if area.ideas_without_resource.total:
            lines.append(
                _("Ideas with no resource: {ids}").format(ids=_ids(area.ideas_without_resource))
            )
        for chain in area.chains[:1]:
            steps = [chain.cause, chain.barrier, chain.idea, chain.resource]
            path = " → ".join(f"#{n.id}" for n in steps if n is not None)
            lines.append(
                _("Strongest chain: {path} ({n} supports)").format(path=path, n=chain.support)
            )
            lines.append(f"<i>{esc(clip_label(chain.idea.title, 80))}</i>")
    lines += ["", _("Press an area for its picture.")]
    return clip("\n".join(lines), 4000)


@requires(Role.RESIDENT)
async def show_map(update: Update, context: Context) -> None:
    await answer(update)
    async with context.db.session() as session:
        areas = await service.problem_map(session, current_language())
    buttons = [
        r.MAP_AREA.button("🖼 " + clip_label(area.name, 22), area.area_id or 0)
        for area in areas
        if area.area_id is not None or area.total
    ]
    await reply(update, map_text(areas), kb.with_menu(kb.grid(buttons, 2)))


@requires(Role.RESIDENT)
async def area_picture(update: Update, context: Context) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    (area_id,) = r.MAP_AREA.parse(update.callback_query.data)
    async with context.db.session() as session:
        chosen = await service.area_picture(
            session, area_id or None, COLUMNS, PER_COLUMN, current_language()
        )
    if chosen is None:
        await answer(update, _("This problem area no longer exists."), alert=True)
        return
    await answer(update)
    # Drawing is CPU work: off the event loop (the language travels with the context).
    picture = await run_blocking(map_png, chosen)
    await update.effective_chat.send_photo(
        InputFile(picture, filename=f"map-{area_id}.png"),
        caption=clip(esc(chosen.name), 1000),
    )
