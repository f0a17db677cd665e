"""The problem map's rules written plainly, over every contribution read into Python: what
bot/services/problem_map.py was before it read only what a map shows. The tests build
tangled programmes and check that the service gives the same counts, lists, chains and
pictures as these rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import links as links_service
from bot.services.problem_map import TOP_CHAINS, Chain, Node
from models import Contribution, ContributionKind, ContributionStatus, ProblemArea


@dataclass
class AreaMap:
    area_id: int | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    orphan_causes: list[Node] = field(default_factory=list)  # no idea addresses them
    ideas_without_resource: list[Node] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def plain_map(session: AsyncSession, *, language: str) -> list[AreaMap]:
    areas = (await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all()
    maps: dict[int | None, AreaMap] = {
        a.id: AreaMap(a.id, a.names.get(language) or a.names.get("pl") or a.slug) for a in areas
    }
    rows = (
        await session.exec(
            select(Contribution).where(col(Contribution.status) != ContributionStatus.REJECTED)
        )
    ).all()
    nodes = {
        c.id: Node(c.id or 0, c.kind, c.title, c.support_count) for c in rows if c.id is not None
    }
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in await links_service.all_links(session):
        if a in nodes and b in nodes:
            neighbours[a].add(b)
            neighbours[b].add(a)
    for c in rows:
        area = maps.get(c.area_id)
        if area is None:
            area = maps.setdefault(None, AreaMap(None, _(N_("No problem area"))))
        area.counts[c.kind] = area.counts.get(c.kind, 0) + 1
        area.nodes.append(nodes[c.id or 0])

    def linked(node_id: int, kind: str) -> list[Node]:
        found = [nodes[o] for o in neighbours.get(node_id, ()) if nodes[o].kind == kind]
        return sorted(found, key=_rank)

    for area in maps.values():
        ids = {n.id for n in area.nodes}
        area.nodes.sort(key=_rank)
        area.edges = sorted(
            {(min(a, b), max(a, b)) for a in ids for b in neighbours.get(a, ()) if b in ids}
        )

        causes = [n for n in area.nodes if n.kind == ContributionKind.CAUSE]
        ideas = [n for n in area.nodes if n.kind == ContributionKind.IDEA]
        area.orphan_causes = [c for c in causes if not linked(c.id, "idea")]
        area.ideas_without_resource = [i for i in ideas if not linked(i.id, "resource")]
        chains = []
        for idea in ideas:
            barriers = linked(idea.id, "barrier")
            resources = linked(idea.id, "resource")
            for cause in linked(idea.id, "cause"):
                # A barrier on the way: linked to the idea, preferably to the cause too.
                cause_barriers = [b for b in barriers if b.id in neighbours.get(cause.id, ())]
                on_the_way = cause_barriers or barriers
                barrier = on_the_way[0] if on_the_way else None
                chains.append(Chain(cause, idea, barrier, resources[0] if resources else None))
        chains.sort(key=lambda ch: (-ch.support, ch.idea.id, ch.cause.id))
        area.chains = chains[:TOP_CHAINS]
    result = [maps[a.id] for a in areas]
    if None in maps:
        result.append(maps[None])
    return result


def _rank(node: Node) -> tuple[int, int]:
    return (-node.support, node.id)
