"""The problem map: per problem area, how many causes, barriers, experiences, ideas and
resources there are; causes no idea addresses; ideas with no resource; and the most
supported chains cause → barrier → idea → resource, built from links between contributions.

In a few queries however many contributions there are (the chat's /map and the panel's map
page; 100,000 contributions read into Python took seconds on the event loop): the counts come
from `contribution_counts` (a few rows kept by triggers), the chains from the linked
contributions only (links are few, read as plain rows), and each list's first few, and a
picture's most supported per kind, from the (area, kind, support, id) index. The rules,
written plainly over every contribution, are in tests/map_rules.py; the tests check that
both give the same map.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, Integer, all_, any_, bindparam, literal_column, union, union_all
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services.contributions import counts as contribution_counts
from models import Contribution, ContributionKind, ContributionLink, ContributionStatus, ProblemArea

KINDS = ("cause", "barrier", "experience", "idea", "resource")
TOP_CHAINS = 3
LIST_LIMIT = 5
NO_AREA = N_("No problem area")  # the name of what has none
CAUSE, IDEA = ContributionKind.CAUSE.value, ContributionKind.IDEA.value
BARRIER, RESOURCE = ContributionKind.BARRIER.value, ContributionKind.RESOURCE.value
LISTS = {CAUSE: IDEA, IDEA: RESOURCE}
_REJECTED = ContributionStatus.REJECTED.value
_SHOWN = col(Contribution.status) != _REJECTED


@dataclass(frozen=True)
class Node:
    id: int
    kind: str
    title: str
    support: int


@dataclass
class Chain:
    cause: Node
    idea: Node
    barrier: Node | None = None
    resource: Node | None = None

    @property
    def support(self) -> int:
        return sum(n.support for n in (self.cause, self.barrier, self.idea, self.resource) if n)


@dataclass
class Listed:
    nodes: list[Node] = field(default_factory=list)  # the first LIST_LIMIT, most supported first
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


Row = tuple[str, str, int, int | None]  # kind, title, support, area


@dataclass
class Graph:
    """The linked contributions (not rejected) and, per contribution and kind, those of that
    kind linked to it. Plain rows by id: a Node is made only for what the page shows (a map
    has a thousand linked contributions)."""

    rows: dict[int, Row]
    links: dict[tuple[int, str], list[int]]
    _sorted: set[tuple[int, str]] = field(default_factory=set)

    def node(self, node_id: int) -> Node:
        kind, title, support, _area = self.rows[node_id]
        return Node(node_id, kind, title, support)

    def support(self, node_id: int) -> int:
        return self.rows[node_id][2]

    def linked(self, node_id: int, kind: str) -> list[int]:
        """Its linked contributions of `kind`, most supported first (sorted when asked)."""
        key = (node_id, kind)
        found = self.links.get(key)
        if found is None:
            return []
        if key not in self._sorted:
            rows = self.rows
            found.sort(key=lambda o: (-rows[o][2], o))
            self._sorted.add(key)
        return found

    def has_linked(self, node_id: int, kind: str) -> bool:
        return (node_id, kind) in self.links


def _rank(node: Node) -> tuple[int, int]:
    return (-node.support, node.id)


_C = SQLModel.metadata.tables["contributions"].c  # plain rows: no ORM layer for a thousand
_L = SQLModel.metadata.tables["contribution_links"].c
_LINKS = select(_L.first_id, _L.second_id)
_NODE = select(_C.id, _C.kind, _C.title, _C.support_count, _C.area_id).where(  # type: ignore[call-overload]
    _C.status != _REJECTED
)
# PostgreSQL: the ids as one array (a list of a thousand parameters takes longer to send and
# plan than the rows to read). SQLite: the linked ids read by the query itself, which looks
# each one up by primary key.
_NODES_PG = _NODE.where(_C.id == any_(bindparam("ids", type_=ARRAY(Integer))))
_NODES_SQLITE = _NODE.where(_C.id.in_(union(select(_L.first_id), select(_L.second_id))))


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def _graph(session: AsyncSession) -> Graph:
    """The links first, then their ends by primary key: a plan that does not depend on the
    database's statistics (a join may start from the 100,000 contributions without them)."""
    links = (await session.exec(_LINKS)).all()
    if _is_postgresql(session):
        ids = sorted({i for pair in links for i in pair})
        found = await session.exec(_NODES_PG, params={"ids": ids})
    else:
        found = await session.exec(_NODES_SQLITE)
    rows: dict[int, Row] = {i: (kind, title, n, area) for i, kind, title, n, area in found.all()}
    linked: dict[tuple[int, str], list[int]] = defaultdict(list)
    for a, b in links:
        first, second = rows.get(a), rows.get(b)
        if first is not None and second is not None:
            linked[(a, second[0])].append(b)
            linked[(b, first[0])].append(a)
    return Graph(rows, dict(linked))


def _chains(graph: Graph, ideas: list[int]) -> list[Chain]:
    """As /map: each idea with each cause it addresses, a barrier on the way (linked to the
    idea, preferably to the cause too) and its best resource; the most supported first."""
    found = []
    for idea in ideas:
        causes = graph.linked(idea, CAUSE)
        if not causes:
            continue
        barriers = graph.linked(idea, BARRIER)
        resources = graph.linked(idea, RESOURCE)
        resource = resources[0] if resources else None
        for cause in causes:
            barrier = None
            if barriers:
                with_cause = graph.links.get((cause, BARRIER), ())
                barrier = next((b for b in barriers if b in with_cause), barriers[0])
            steps = (cause, barrier, idea, resource)
            support = sum(graph.support(n) for n in steps if n is not None)
            found.append((-support, idea, cause, barrier, resource))
    found.sort(key=lambda chain: chain[:3])

    def node(node_id: int | None) -> Node | None:
        return None if node_id is None else graph.node(node_id)

    return [
        Chain(graph.node(cause), graph.node(idea), node(barrier), node(resource))
        for _s, idea, cause, barrier, resource in found[:TOP_CHAINS]
    ]


@cache
def _lists_statement(no_area: tuple[bool, ...], arrays: bool) -> Any:
    """`_first_listed`'s query for lists in these areas (True: contributions with none). The
    ids left out as arrays (PostgreSQL: the statement's text, and so its prepared plan, stay
    the same however many there are) or as lists of parameters."""
    parts = []
    for index, missing in enumerate(no_area):
        area = col(Contribution.area_id)
        out = (
            col(Contribution.id) != all_(bindparam(f"out_{index}", type_=ARRAY(Integer)))
            if arrays
            else col(Contribution.id).not_in(bindparam(f"out_{index}", expanding=True))
        )
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
            .where(out)
            .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
            .limit(LIST_LIMIT)
            .subquery()
        )
        parts.append(select(part))
    lists = union_all(*parts).subquery()
    return select(*lists.c)


async def _first_listed(
    session: AsyncSession, wanted: list[tuple[int | None, str, set[int]]]
) -> dict[tuple[int | None, str], list[Node]]:
    """For each (area, kind, ids left out): the most supported LIST_LIMIT of that kind in that
    area, but those ids. One query: a part per list, each read in support order on the
    (area, kind, support) index. (The ids are given, not found with NOT EXISTS on the
    links: PostgreSQL would then read every contribution of the area.)"""
    if not wanted:
        return {}
    params: dict[str, Any] = {}
    for index, (area_id, kind, left_out) in enumerate(wanted):
        params |= {f"kind_{index}": kind, f"area_{index}": area_id, f"out_{index}": list(left_out)}
    no_area = tuple(area_id is None for area_id, _k, _o in wanted)
    statement = _lists_statement(no_area, _is_postgresql(session))
    found: dict[tuple[int | None, str], list[Node]] = defaultdict(list)
    for index, node_id, kind, title, support in (
        await session.exec(statement, params=params)
    ).all():
        found[(wanted[index][0], kind)].append(Node(node_id, kind, title, support))
    return {key: sorted(nodes, key=_rank) for key, nodes in found.items()}


async def problem_map(session: AsyncSession, language: str) -> list[MapArea]:
    """The problem areas in order (then contributions with no area, if any), as /map."""
    areas = (await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all()
    counts = await contribution_counts.per_area_and_kind(session)
    maps = {a.id: MapArea(a.id, a.display_name(language), {}) for a in areas}
    for (area_id, kind), n in counts.items():
        area = maps.get(area_id)
        if area is None:
            area = maps.setdefault(None, MapArea(None, _(NO_AREA), {}))
        area.counts[kind] = n
    graph = await _graph(session)
    # Per area and list: the linked causes (ideas) that an idea (a resource) answers.
    answered: dict[tuple[int | None, str], set[int]] = defaultdict(set)
    ideas: dict[int | None, list[int]] = defaultdict(list)
    for node_id, (kind, _title, _support, area_id) in graph.rows.items():
        if area_id not in maps:
            area_id = None
        if kind in LISTS and graph.has_linked(node_id, LISTS[kind]):
            answered[(area_id, kind)].add(node_id)
        if kind == IDEA:
            ideas[area_id].append(node_id)
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


@dataclass
class AreaPicture:
    """What the picture of one area shows: its counts, the most supported contributions of
    each kind drawn (not rejected) and the links between them."""

    area_id: int | None
    name: str
    counts: dict[str, int]
    nodes: list[Node]
    edges: list[tuple[int, int]]


async def area_picture(
    session: AsyncSession, area_id: int | None, kinds: tuple[str, ...], per_kind: int, language: str
) -> AreaPicture | None:
    """The picture of a problem area (None: contributions with no area), or None if the area
    no longer exists. Each kind's first `per_kind` read in support order from the index."""
    name = _(NO_AREA)
    if area_id is not None:
        area = await session.get(ProblemArea, area_id)
        if area is None:
            return None
        name = area.display_name(language)
    counts = {
        kind: n
        for (area_key, kind), n in (await contribution_counts.per_area_and_kind(session)).items()
        if area_key == area_id
    }
    where = (
        col(Contribution.area_id).is_(None)
        if area_id is None
        else col(Contribution.area_id) == area_id
    )
    parts = [
        select(Contribution.id, Contribution.kind, Contribution.title, Contribution.support_count)
        .where(where, Contribution.kind == kind, _SHOWN)
        .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
        .limit(per_kind)
        .subquery()
        for kind in kinds
    ]
    rows = (await session.exec(union_all(*(select(part) for part in parts)))).all()  # type: ignore[call-overload]
    nodes = sorted((Node(*row) for row in rows), key=_rank)
    ids = [n.id for n in nodes]
    links = await session.exec(
        select(ContributionLink.first_id, ContributionLink.second_id).where(
            col(ContributionLink.first_id).in_(ids), col(ContributionLink.second_id).in_(ids)
        )
    )
    return AreaPicture(area_id, name, counts, nodes, sorted((a, b) for a, b in links.all()))


def kind_label(kind: str) -> str:
    return _(
        {
            "cause": N_("causes"),
            "barrier": N_("barriers"),
            "experience": N_("experiences"),
            "idea": N_("ideas"),
            "resource": N_("resources"),
        }[kind]
    )
