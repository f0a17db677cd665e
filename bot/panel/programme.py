"""What the map and programme-action pages read, in a few queries however many
contributions there are.

The problem map is the chat's /map (bot/services/problem_map.py: the same counts, lists and
chains, by the same rules, tested to agree); the service reads every contribution into
Python, which takes seconds on 100,000 of them. Here the counts come from one GROUP BY (kept
while nothing changes), the chains from the linked contributions only (links are few), and
each list's first few from the (area, support) index, however long the list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, literal_column, union_all
from sqlmodel import SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.panel.cache import KeptCounts
from bot.services import links as links_service
from bot.services import problem_map as map_service
from bot.services import programme as programme_service
from bot.services.permissions import Action, can
from models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Group,
    Member,
    ProblemArea,
    ProgrammeAction,
)

Node = map_service.Node
Chain = map_service.Chain
LISTED = map_service.LIST_LIMIT
CAUSE, IDEA = ContributionKind.CAUSE.value, ContributionKind.IDEA.value
LISTS = {CAUSE: ContributionKind.IDEA.value, IDEA: ContributionKind.RESOURCE.value}
_REJECTED = ContributionStatus.REJECTED.value
_SHOWN = col(Contribution.status) != _REJECTED


@dataclass
class Listed:
    nodes: list[Node] = field(default_factory=list)  # the first LISTED, most supported first
    total: int = 0


@dataclass
class MapArea:
    area_id: int | None
    name: str
    counts: dict[str, int]  # kind → contributions (not rejected)
    orphan_causes: Listed = field(default_factory=Listed)  # no idea addresses them
    ideas_without_resource: Listed = field(default_factory=Listed)
    chains: list[Chain] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def area_kind_counts(session: AsyncSession) -> dict[tuple[int | None, str], int]:
    rows = await session.exec(
        select(Contribution.area_id, Contribution.kind, func.count())
        .where(_SHOWN)
        .group_by(col(Contribution.area_id), col(Contribution.kind))
    )
    return {(area, kind): int(n) for area, kind, n in rows.all()}


@dataclass
class Graph:
    """The linked contributions (not rejected) and who is linked to whom."""

    nodes: dict[int, Node]
    area_of: dict[int, int | None]
    neighbours: dict[int, list[int]]
    _linked: dict[tuple[int, str], list[Node]] = field(default_factory=dict)

    def linked(self, node_id: int, kind: str) -> list[Node]:
        """Its linked contributions of `kind`, most supported first (sorted when asked)."""
        key = (node_id, kind)
        if key not in self._linked:
            found = (self.nodes[o] for o in self.neighbours.get(node_id, ()))
            self._linked[key] = sorted((n for n in found if n.kind == kind), key=_rank)
        return self._linked[key]

    def has_linked(self, node_id: int, kind: str) -> bool:
        return any(self.nodes[o].kind == kind for o in self.neighbours.get(node_id, ()))


def _rank(node: Node) -> tuple[int, int]:
    return (-node.support, node.id)


_C = SQLModel.metadata.tables["contributions"].c  # plain rows: no ORM layer for a thousand
_NODE = select(_C.id, _C.kind, _C.title, _C.support_count, _C.area_id).where(  # type: ignore[call-overload]
    _C.id.in_(bindparam("ids", expanding=True)), _C.status != _REJECTED
)
CHUNK = 5000  # ids per query (both databases take tens of thousands of parameters)


async def _graph(session: AsyncSession) -> Graph:
    """The links first, then their ends by primary key: a plan that does not depend on the
    database's statistics (a join may start from the 100,000 contributions without them)."""
    links = await links_service.all_links(session)
    ids = sorted({i for pair in links for i in pair})
    nodes: dict[int, Node] = {}
    area_of: dict[int, int | None] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.exec(_NODE, params={"ids": ids[start : start + CHUNK]})
        for node_id, kind, title, support, area_id in rows.all():
            nodes[node_id] = Node(node_id, kind, title, support)
            area_of[node_id] = area_id
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in links:
        if a in nodes and b in nodes:
            neighbours[a].append(b)
            neighbours[b].append(a)
    return Graph(nodes, area_of, neighbours)


def _chains(graph: Graph, ideas: list[Node]) -> list[Chain]:
    """As /map: each idea with each cause it addresses, a barrier on the way (linked to the
    idea, preferably to the cause too) and its best resource; the most supported first."""
    chains = []
    for idea in ideas:
        barriers = graph.linked(idea.id, ContributionKind.BARRIER)
        resources = graph.linked(idea.id, ContributionKind.RESOURCE)
        for cause in graph.linked(idea.id, CAUSE):
            with_cause = set(graph.neighbours[cause.id])
            on_the_way = [b for b in barriers if b.id in with_cause] or barriers
            barrier = on_the_way[0] if on_the_way else None
            chains.append(Chain(cause, idea, barrier, resources[0] if resources else None))
    chains.sort(key=lambda ch: (-ch.support, ch.idea.id, ch.cause.id))
    return chains[: map_service.TOP_CHAINS]


@cache
def _lists_statement(no_area: tuple[bool, ...]) -> Any:
    """`_first_listed`'s query for lists in these areas (True: contributions with none)."""
    parts = []
    for index, missing in enumerate(no_area):
        area = col(Contribution.area_id)
        part = (
            select(  # type: ignore[call-overload]
                literal_column(str(index), Integer).label("list"),
                Contribution.id,
                Contribution.kind,
                Contribution.title,
                Contribution.support_count,
            )
            .where(Contribution.kind == bindparam(f"kind_{index}"), _SHOWN)
            .where(area.is_(None) if missing else area == bindparam(f"area_{index}"))
            .where(col(Contribution.id).not_in(bindparam(f"out_{index}", expanding=True)))
            .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
            .limit(LISTED)
            .subquery()
        )
        parts.append(select(part))
    lists = union_all(*parts).subquery()
    return select(*lists.c)


async def _first_listed(
    session: AsyncSession, wanted: list[tuple[int | None, str, set[int]]]
) -> dict[tuple[int | None, str], list[Node]]:
    """For each (area, kind, ids left out): the most supported LISTED of that kind in that
    area, but those ids. One query: a part per list, each read in support order on the
    (area, kind, support) index. (The ids are given, not found with NOT EXISTS on the
    links: PostgreSQL would then read every contribution of the area.)"""
    if not wanted:
        return {}
    params: dict[str, Any] = {}
    for index, (area_id, kind, left_out) in enumerate(wanted):
        params |= {f"kind_{index}": kind, f"area_{index}": area_id, f"out_{index}": list(left_out)}
    statement = _lists_statement(tuple(area_id is None for area_id, _k, _o in wanted))
    found: dict[tuple[int | None, str], list[Node]] = defaultdict(list)
    for index, node_id, kind, title, support in (
        await session.exec(statement, params=params)
    ).all():
        found[(wanted[index][0], kind)].append(Node(node_id, kind, title, support))
    return {key: sorted(nodes, key=_rank) for key, nodes in found.items()}


async def problem_map(session: AsyncSession, kept: KeptCounts, language: str) -> list[MapArea]:
    """The problem areas in order (then contributions with no area, if any), as /map."""
    areas = (await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all()
    counts: dict[tuple[int | None, str], int] = await kept.get(session, "map", area_kind_counts)
    maps = {
        a.id: MapArea(a.id, a.names.get(language) or a.names.get("pl") or a.slug, {}) for a in areas
    }
    for (area_id, kind), n in counts.items():
        area = maps.get(area_id)
        if area is None:
            area = maps.setdefault(None, MapArea(None, _(N_("No problem area")), {}))
        area.counts[kind] = n
    graph = await _graph(session)
    # Per area and list: the linked causes (ideas) that an idea (a resource) answers.
    answered: dict[tuple[int | None, str], set[int]] = defaultdict(set)
    ideas: dict[int | None, list[Node]] = defaultdict(list)
    for node in graph.nodes.values():
        area_id = graph.area_of[node.id] if graph.area_of[node.id] in maps else None
        if node.kind in LISTS and graph.has_linked(node.id, LISTS[node.kind]):
            answered[(area_id, node.kind)].add(node.id)
        if node.kind == IDEA:
            ideas[area_id].append(node)
    wanted = [
        (area_id, kind, answered[(area_id, kind)])
        for area_id, area in maps.items()
        for kind in LISTS
        if area.counts.get(kind, 0) > len(answered[(area_id, kind)])
    ]
    first = await _first_listed(session, wanted)
    for area_id, area in maps.items():
        for kind, listed in ((CAUSE, area.orphan_causes), (IDEA, area.ideas_without_resource)):
            listed.total = area.counts.get(kind, 0) - len(answered[(area_id, kind)])
            listed.nodes = first.get((area_id, kind), [])
        area.chains = _chains(graph, ideas[area_id])
    return [maps[a.id] for a in areas] + ([maps[None]] if None in maps else [])


# --- programme actions ----------------------------------------------------------------


async def ready_ideas(session: AsyncSession, member: Member, limit: int) -> list[Node]:
    """The most supported accepted ideas with no action yet that `member` may turn into one
    (`programme.actionable_ideas`, first `limit`): the permission is decided per group by the
    chat's rule, the rest in one query on the (kind, support) index."""
    groups = (await session.exec(select(Group))).all()
    allowed = [g.id for g in groups if can(member, Action.SET_CONTRIBUTION_STATUS, g)]
    where: Any = col(Contribution.group_id).in_(allowed)
    if can(member, Action.SET_CONTRIBUTION_STATUS, None):
        where = where | col(Contribution.group_id).is_(None)
    taken = select(ProgrammeAction.contribution_id).where(
        col(ProgrammeAction.contribution_id).is_not(None)
    )
    rows = await session.exec(
        select(Contribution.id, Contribution.kind, Contribution.title, Contribution.support_count)
        .where(
            Contribution.kind == ContributionKind.IDEA,
            col(Contribution.status).in_(list(programme_service.ACTIONABLE)),
            col(Contribution.id).not_in(taken),
            where,
        )
        .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
        .limit(limit)
    )
    return [Node(*row) for row in rows.all()]
