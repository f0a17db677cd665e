"""Links between contributions of different kinds: "idea #3 addresses cause #12",
"uses resource #31", "overcomes barrier #7", "builds on experience #4".

A link is stored once per pair (the smaller id first) and reads both ways. The author of
either side, the lead of either side's group and coordinators may link and unlink. Links do
not depend on statuses, and a contribution whose author erased their data stays linked
(its author is simply gone).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy import case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import contributions as contributions_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.permissions import has_role
from models import Contribution, ContributionKind, ContributionLink, Group, Member, Role

SEARCH_LIMIT = 8
NOT_ALLOWED = N_("Only the authors, their groups' leads and coordinators can link these.")
SECTION_LIMIT = 10

# How a contribution of each kind reads when it is on the other side of a link.
RELATION: dict[str, str] = {
    ContributionKind.CAUSE: N_("addresses cause #{id}"),
    ContributionKind.BARRIER: N_("overcomes barrier #{id}"),
    ContributionKind.RESOURCE: N_("uses resource #{id}"),
    ContributionKind.EXPERIENCE: N_("builds on experience #{id}"),
    ContributionKind.IDEA: N_("idea #{id}"),
}


def relation(kind: str, contribution_id: int | None) -> str:
    template = RELATION.get(kind)
    return (_(template) if template else "#{id}").format(id=contribution_id)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def _lead_ids(session: AsyncSession, *contributions: Contribution) -> set[int]:
    ids = {c.group_id for c in contributions if c.group_id}
    if not ids:
        return set()
    rows = await session.exec(select(Group).where(col(Group.id).in_(ids)))
    return {g.lead_id for g in rows.all() if g.lead_id and g.archived_at is None}


async def may_link(
    session: AsyncSession, member: Member | None, first: Contribution, second: Contribution
) -> bool:
    """The author of either side, the lead of either side's group, or a coordinator."""
    if member is None or not member.is_registered:
        return False
    if has_role(member, Role.COORDINATOR):
        return True
    if member.id is not None and member.id in {first.author_id, second.author_id}:
        return True
    return member.id in await _lead_ids(session, first, second)


async def may_link_from(session: AsyncSession, member: Member | None, c: Contribution) -> bool:
    """May this member start linking from `c` (the 🔗 button on its card)?"""
    return await may_link(session, member, c, c)


async def require_link_from(
    session: AsyncSession, member: Member | None, contribution_id: int
) -> Contribution:
    c = await contributions_service.get(session, contribution_id)
    if not await may_link_from(session, member, c):
        raise NotAllowed(NOT_ALLOWED)
    return c


@dataclass(frozen=True)
class LinkResult:
    link: ContributionLink
    first: Contribution
    second: Contribution
    # Authors to tell (each once, never the one who linked).
    notify: list[Member]


async def _load_pair(
    session: AsyncSession, a_id: int, b_id: int
) -> tuple[Contribution, Contribution]:
    if a_id == b_id:
        raise InvalidInput(N_("A contribution cannot be linked to itself."))
    a = await contributions_service.get(session, a_id)
    b = await contributions_service.get(session, b_id)
    return a, b


async def _authors_to_tell(
    session: AsyncSession, actor: Member, *contributions: Contribution
) -> list[Member]:
    ids = {c.author_id for c in contributions if c.author_id and c.author_id != actor.id}
    people = []
    for member_id in sorted(ids):
        person = await session.get(Member, member_id)
        if person is not None and person.is_registered:
            people.append(person)
    return people


async def find(session: AsyncSession, a_id: int, b_id: int) -> ContributionLink | None:
    first, second = _pair(a_id, b_id)
    row = await session.exec(
        select(ContributionLink).where(
            ContributionLink.first_id == first, ContributionLink.second_id == second
        )
    )
    return row.first()


async def link(session: AsyncSession, actor: Member, a_id: int, b_id: int) -> LinkResult:
    a, b = await _load_pair(session, a_id, b_id)
    if a.kind == b.kind:
        raise InvalidInput(N_("Only contributions of different kinds can be linked."))
    if not await may_link(session, actor, a, b):
        raise NotAllowed(NOT_ALLOWED)
    if await find(session, a_id, b_id) is not None:
        raise InvalidInput(N_("These contributions are already linked."))
    first, second = _pair(a_id, b_id)
    created = ContributionLink(first_id=first, second_id=second, created_by_id=actor.id)
    session.add(created)
    await session.flush()
    await record(session, actor, "contribution.link", f"contribution:{first}", other=second)
    return LinkResult(created, a, b, await _authors_to_tell(session, actor, a, b))


async def unlink(session: AsyncSession, actor: Member, a_id: int, b_id: int) -> LinkResult:
    a, b = await _load_pair(session, a_id, b_id)
    existing = await find(session, a_id, b_id)
    if existing is None:
        raise NotFound(N_("These contributions are no longer linked."))
    if not await may_link(session, actor, a, b):
        raise NotAllowed(NOT_ALLOWED)
    await session.delete(existing)
    await record(
        session,
        actor,
        "contribution.unlink",
        f"contribution:{existing.first_id}",
        other=existing.second_id,
    )
    await session.flush()
    return LinkResult(existing, a, b, await _authors_to_tell(session, actor, a, b))


async def linked(session: AsyncSession, contribution_id: int) -> list[Contribution]:
    """The contributions linked to this one, by kind then id."""
    other_ids = (
        select(ContributionLink.second_id)
        .where(ContributionLink.first_id == contribution_id)
        .union(
            select(ContributionLink.first_id).where(ContributionLink.second_id == contribution_id)
        )
    )
    rows = await session.exec(
        select(Contribution)
        .where(col(Contribution.id).in_(other_ids))
        .order_by(col(Contribution.kind), col(Contribution.id))
    )
    return list(rows.all())


async def all_links(session: AsyncSession) -> list[tuple[int, int]]:
    rows = await session.exec(select(ContributionLink.first_id, ContributionLink.second_id))
    return [(int(a), int(b)) for a, b in rows.all()]


async def candidates(
    session: AsyncSession,
    contribution: Contribution,
    words: str | None = None,
    *,
    kind: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Contribution]:
    """What `contribution` could be linked to: other kinds, not linked yet, not rejected;
    the same problem area first, then the most supported; `words` narrow by title."""
    already = {c.id for c in await linked(session, contribution.id)}  # type: ignore[arg-type]
    query = select(Contribution).where(
        col(Contribution.kind) != contribution.kind,
        col(Contribution.id) != contribution.id,
        col(Contribution.status) != "rejected",
    )
    if kind:
        query = query.where(Contribution.kind == kind)
    for word in (words or "").split()[:5]:
        pattern = f"%{word.lower()}%"
        query = query.where(func.lower(col(Contribution.title)).like(pattern))
    same_area = (
        col(Contribution.area_id) == contribution.area_id
        if contribution.area_id is not None
        else col(Contribution.area_id).is_(None)
    )
    query = query.order_by(
        case((same_area, 0), else_=1),
        col(Contribution.support_count).desc(),
        col(Contribution.id).desc(),
    ).limit(limit + len(already))
    rows = [c for c in (await session.exec(query)).all() if c.id not in already]
    if words and not rows:
        # Titles in the database may carry letters the user did not type (ł, ą ...): a
        # second pass compares folded forms in Python over the same area.
        folded = _fold(words)
        wide = select(Contribution).where(
            col(Contribution.kind) != contribution.kind,
            col(Contribution.id) != contribution.id,
            col(Contribution.status) != "rejected",
            or_(
                col(Contribution.area_id) == contribution.area_id,
                col(Contribution.area_id).is_(None),
            ),
        )
        if kind:
            wide = wide.where(Contribution.kind == kind)
        rows = [
            c
            for c in (await session.exec(wide.limit(500))).all()
            if c.id not in already and all(w in _fold(c.title) for w in folded.split())
        ]
    return rows[:limit]


_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def _fold(text: str) -> str:
    return text.translate(_FOLD).lower()


async def links_section(session: AsyncSession, contribution_id: int) -> str:
    """The card's "Linked" lines (HTML, escaped), or "" when there are none."""
    others = await linked(session, contribution_id)
    if not others:
        return ""
    heading = _("Linked:")
    lines = [f"<b>{html.escape(heading)}</b>"]
    for other in others[:SECTION_LIMIT]:
        lines.append(f"• {html.escape(relation(other.kind, other.id))}: {html.escape(other.title)}")
    if len(others) > SECTION_LIMIT:
        more = _("… and {n} more").format(n=len(others) - SECTION_LIMIT)
        lines.append(html.escape(more))
    return "\n".join(lines)
