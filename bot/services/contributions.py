"""Contributions: the questions of each kind, drafts checked and saved, browsing, supports
and statuses. Drafts are plain dicts (they live in the persisted user_data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, delete, literal, or_, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.members import clean_text
from bot.services.permissions import Action, can
from bot.services.rows import get_or_gone, save
from models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Group,
    Member,
    ProblemArea,
    Role,
    Support,
    utcnow,
)

TITLE_MAX = 120
TEXT_MAX = 2000
PAGE_SIZE = 5
TITLE = "title"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # msgid: how the review card names it
    prompt: str  # msgid: the question
    limit: int = TEXT_MAX
    optional: bool = False


KIND_NAMES = {
    ContributionKind.IDEA: N_("idea"),
    ContributionKind.RESOURCE: N_("resource"),
    ContributionKind.BARRIER: N_("barrier"),
    ContributionKind.EXPERIENCE: N_("experience"),
    ContributionKind.CAUSE: N_("cause"),
}
STATUS_NAMES = {
    ContributionStatus.NEW: N_("new"),
    ContributionStatus.DISCUSSION: N_("under discussion"),
    ContributionStatus.ACCEPTED: N_("accepted"),
    ContributionStatus.IN_PROGRESS: N_("in progress"),
    ContributionStatus.DONE: N_("done"),
    ContributionStatus.REJECTED: N_("rejected"),
}
# The way forward; rejection is possible from any step before done.
NEXT_STATUS = {
    ContributionStatus.NEW: ContributionStatus.DISCUSSION,
    ContributionStatus.DISCUSSION: ContributionStatus.ACCEPTED,
    ContributionStatus.ACCEPTED: ContributionStatus.IN_PROGRESS,
    ContributionStatus.IN_PROGRESS: ContributionStatus.DONE,
}
REJECTABLE = set(NEXT_STATUS)

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    ContributionKind.IDEA: (
        FieldSpec(TITLE, N_("Idea"), N_("What is your idea? Give it a short title."), TITLE_MAX),
        FieldSpec("for_whom", N_("For whom"), N_("Who is it for? Who would gain from it?")),
        FieldSpec(
            "first_step", N_("First step"), N_("What would be the first step to make it happen?")
        ),
    ),
    ContributionKind.RESOURCE: (
        FieldSpec(
            TITLE,
            N_("Resource"),
            N_("What is the resource? A room, equipment, a skill, money... Give a short title."),
            TITLE_MAX,
        ),
        FieldSpec("owner", N_("Owner"), N_("Who owns it or looks after it?")),
        FieldSpec(
            "institution",
            N_("Institution"),
            N_("Which institution is it with? (You can skip this.)"),
            optional=True,
        ),
        FieldSpec("access", N_("How to reach it"), N_("How can one reach it or ask for it?")),
        FieldSpec("availability", N_("When available"), N_("When is it available?")),
    ),
    ContributionKind.BARRIER: (
        FieldSpec(
            TITLE, N_("Barrier"), N_("What is the barrier? Give it a short title."), TITLE_MAX
        ),
        FieldSpec(
            "where",
            N_("Where it stands"),
            N_("Where does it stand: in which place, office or procedure?"),
        ),
        FieldSpec("remover", N_("Who could remove it"), N_("Who could remove it?")),
    ),
    ContributionKind.EXPERIENCE: (
        FieldSpec(
            TITLE,
            N_("What was tried"),
            N_("What was tried? Give it a short title."),
            TITLE_MAX,
        ),
        FieldSpec("tried", N_("How it went"), N_("Tell briefly what was done, by whom and when.")),
        FieldSpec("result", N_("Result"), N_("With what result? What would you do differently?")),
    ),
    ContributionKind.CAUSE: (
        FieldSpec(
            TITLE,
            N_("Cause"),
            N_("Which cause of inherited poverty do you see? Give it a short title."),
            TITLE_MAX,
        ),
        FieldSpec("mechanism", N_("Mechanism"), N_("How does it work: what leads to what?")),
        FieldSpec("evidence", N_("Evidence"), N_("What shows it: facts, figures, cases you know?")),
    ),
}


def kinds() -> tuple[str, ...]:
    return tuple(k.value for k in ContributionKind)


def field_spec(kind: str, key: str) -> FieldSpec:
    for spec in FIELDS[kind]:
        if spec.key == key:
            return spec
    raise InvalidInput(N_("This question is not part of this kind of contribution."))


def clean_field(kind: str, key: str, text: str | None) -> str:
    """Check one answer; the error says the limit of a title or of a text."""
    spec = field_spec(kind, key)
    try:
        return clean_text(text, spec.limit, field=key)
    except InvalidInput as error:
        if "length" not in error.params:
            raise
        if key == TITLE:
            raise InvalidInput(
                N_(
                    "That is a little too long for a title: {length} characters, and a title "
                    "can have at most {limit}. Could you say it more briefly?"
                ),
                **error.params,
            ) from None
        raise InvalidInput(
            N_(
                "That is a little too long: {length} characters, and an answer can have at "
                "most {limit}. Could you shorten it?"
            ),
            **error.params,
        ) from None


# --- drafts ----------------------------------------------------------------------------


def new_draft(kind: str) -> dict[str, Any]:
    if kind not in kinds():
        raise InvalidInput(N_("This kind of contribution does not exist."))
    return {
        "kind": kind,
        "fields": {},
        "area_id": None,
        "group_id": None,
        "id": None,
        "key": uuid.uuid4().hex,
    }


def next_missing_field(draft: dict[str, Any]) -> FieldSpec | None:
    answered = draft["fields"]
    skipped = draft.get("skipped", [])
    for spec in FIELDS[draft["kind"]]:
        if spec.key not in answered and spec.key not in skipped:
            return spec
    return None


async def _check_draft(session: AsyncSession, draft: dict[str, Any]) -> tuple[str, Group]:
    kind = draft.get("kind")
    if kind not in kinds():
        raise InvalidInput(N_("This kind of contribution does not exist."))
    fields = dict(draft.get("fields") or {})
    for spec in FIELDS[kind]:
        value = fields.get(spec.key)
        if value is None:
            if spec.optional:
                continue
            raise InvalidInput(N_("An answer is missing: {field}."), field=spec.label)
        fields[spec.key] = clean_field(kind, spec.key, value)
    draft["fields"] = fields
    area_id = draft.get("area_id")
    if area_id is None or await groups_service.area_by_id(session, area_id) is None:
        raise InvalidInput(N_("Please choose a problem area."))
    group = await groups_service.get_active(session, draft.get("group_id"))
    return kind, group


def _apply(contribution: Contribution, draft: dict[str, Any]) -> None:
    fields = dict(draft["fields"])
    contribution.title = fields.pop(TITLE)
    contribution.details = fields
    contribution.area_id = draft["area_id"]
    contribution.group_id = draft["group_id"]
    contribution.photo_file_id = draft.get("photo")
    contribution.latitude = draft.get("latitude")
    contribution.longitude = draft.get("longitude")


async def submitted(
    session: AsyncSession, author: Member, draft: dict[str, Any]
) -> Contribution | None:
    """The contribution this new draft already became: its send was handled, but the
    process died before the conversation moved on, and the press comes again."""
    if draft.get("id") or not draft.get("key"):
        return None
    params = {"key": draft["key"], "author_id": author.id}
    return (await session.exec(_SUBMITTED, params=params)).first()


_SUBMITTED = select(Contribution).where(
    Contribution.submission_key == bindparam("key"),
    Contribution.author_id == bindparam("author_id"),
)


_UNKNOWN: Any = object()


async def submit(
    session: AsyncSession,
    author: Member,
    draft: dict[str, Any],
    *,
    earlier: Contribution | None = _UNKNOWN,
) -> Contribution:
    """Save a finished draft (new, or the author's edit of one still new). `earlier`: what
    `submitted` already returned in this transaction (not looked up again)."""
    if not can(author, Action.SUBMIT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))
    kind, _group = await _check_draft(session, draft)
    if earlier is _UNKNOWN:
        earlier = await submitted(session, author, draft)
    if earlier is not None:
        return earlier
    if draft.get("id"):
        contribution = await get_own_new(session, author, draft["id"])
        _apply(contribution, draft)
        contribution.updated_at = utcnow()
    else:
        contribution = Contribution(
            kind=kind, title="", author_id=author.id, submission_key=draft.get("key")
        )
        _apply(contribution, draft)
    return await save(session, contribution)


def draft_of(contribution: Contribution) -> dict[str, Any]:
    """An existing contribution as a draft, for the author's edit."""
    return {
        "kind": contribution.kind,
        "fields": {TITLE: contribution.title, **contribution.details},
        "area_id": contribution.area_id,
        "group_id": contribution.group_id,
        "photo": contribution.photo_file_id,
        "latitude": contribution.latitude,
        "longitude": contribution.longitude,
        "id": contribution.id,
    }


async def get(session: AsyncSession, contribution_id: int | None) -> Contribution:
    return await get_or_gone(
        session, Contribution, contribution_id, N_("This contribution no longer exists.")
    )


async def get_own_new(session: AsyncSession, member: Member, contribution_id: int) -> Contribution:
    contribution = await get(session, contribution_id)
    if contribution.author_id is None or contribution.author_id != member.id:
        raise NotAllowed(N_("Only the author can change this contribution."))
    if contribution.status != ContributionStatus.NEW:
        raise NotAllowed(
            N_("This contribution is already being worked on, so it can no longer be changed.")
        )
    return contribution


async def withdraw(session: AsyncSession, member: Member, contribution_id: int) -> None:
    contribution = await get_own_new(session, member, contribution_id)
    await session.delete(contribution)
    await record(session, member, "contribution.withdraw", f"contribution:{contribution_id}")
    await session.flush()


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What a card shows: the contribution with its author's name, group and area."""

    contribution: Contribution
    author_name: str | None
    group: Group | None
    area: ProblemArea | None
    supported: bool = False


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    area_id: int | None = None
    group_id: int | None = None
    status: str | None = None
    author_id: int | None = None
    by_support: bool = False


@dataclass(frozen=True)
class Cursor:
    """A place in a list: the card's sort key (its support count when sorted by support)
    and id. Pages after it (or before it) are read with a keyset, not an OFFSET: page 500
    costs what page 1 does."""

    id: int
    support_count: int | None = None

    @classmethod
    def of(cls, contribution: Contribution, filters: Filters) -> Cursor:
        assert contribution.id is not None
        support = contribution.support_count if filters.by_support else None
        return cls(contribution.id, support)


@dataclass(frozen=True)
class Page:
    cards: list[Card]
    page: int
    has_next: bool
    # Where the page starts and ends: pass `next_cursor` as `after` for the next page and
    # `prev_cursor` as `before` for the previous one (None: no such page, or page 0).
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None


def conditions_of(filters: Filters) -> list[Any]:
    """The WHERE conditions of `filters` (the sort order apart)."""
    conditions: list[Any] = []
    if filters.kind:
        conditions.append(col(Contribution.kind) == filters.kind)
    if filters.area_id:
        conditions.append(col(Contribution.area_id) == filters.area_id)
    if filters.group_id:
        conditions.append(col(Contribution.group_id) == filters.group_id)
    if filters.status:
        conditions.append(col(Contribution.status) == filters.status)
    if filters.author_id:
        conditions.append(col(Contribution.author_id) == filters.author_id)
    return conditions


def _card_query(viewer: Member | None) -> Any:
    """Cards with author name, group, area and whether the viewer supports each: one query."""
    viewer_id = viewer.id if viewer is not None else None
    return (
        select(Contribution, Member.display_name, Group, ProblemArea, Support.id)  # type: ignore[call-overload]
        .outerjoin(Member, col(Member.id) == col(Contribution.author_id))
        .outerjoin(Group, col(Group.id) == col(Contribution.group_id))
        .outerjoin(ProblemArea, col(ProblemArea.id) == col(Contribution.area_id))
        .outerjoin(
            Support,
            (col(Support.contribution_id) == col(Contribution.id))
            & (col(Support.member_id) == viewer_id),
        )
    )


def _order(filters: Filters, *, backwards: bool = False) -> list[Any]:
    keys = [col(Contribution.support_count), col(Contribution.id)]
    if not filters.by_support:
        keys = keys[1:]
    return [key.asc() if backwards else key.desc() for key in keys]


def _keyset(filters: Filters, cursor: Cursor, *, backwards: bool = False) -> Any:
    """Rows after `cursor` in the list's order (before it when `backwards`)."""
    key: Any
    value: Any
    if filters.by_support:
        key = tuple_(col(Contribution.support_count), col(Contribution.id))
        value = tuple_(literal(cursor.support_count or 0), literal(cursor.id))
    else:
        key, value = col(Contribution.id), literal(cursor.id)
    return key > value if backwards else key < value


async def browse(
    session: AsyncSession,
    filters: Filters,
    page: int = 0,
    viewer: Member | None = None,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> Page:
    """One page of cards, newest (or most supported) first.

    With `after` (the shown page's `next_cursor`) or `before` (its `prev_cursor`) the page
    is found with a keyset on the sort key and id, and `page` only numbers it (pass the
    number of the page wanted). Without either, `page` is counted from the start as before:
    an OFFSET, but over ids alone, so the cards are built for the page's rows only.
    """
    # No total count: counting a combined filter scans every match (tens of ms on 100k
    # rows); one extra row tells whether there is a next page.
    conditions = conditions_of(filters)
    page = max(page, 0)
    backwards = before is not None and after is None
    if after is not None:
        conditions.append(_keyset(filters, after))
    elif before is not None:
        conditions.append(_keyset(filters, before, backwards=True))
    elif page > 0:
        skipped = (
            select(Contribution.id)
            .where(*conditions)
            .order_by(*_order(filters))
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
        conditions = [col(Contribution.id).in_(skipped.scalar_subquery())]
    rows = list(
        (
            await session.exec(
                _card_query(viewer)
                .where(*conditions)
                .order_by(*_order(filters, backwards=backwards))
                .limit(PAGE_SIZE + 1)
            )
        ).all()
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    cards = [Card(c, name, g, a, support is not None) for c, name, g, a, support in rows]
    # Read backwards, `more` tells of a page before this one; forwards, of one after it.
    has_next = True if backwards else more
    has_prev = more if backwards else (page > 0 or after is not None)
    if backwards and not more:
        page = 0
    return Page(
        cards,
        page,
        has_next,
        next_cursor=Cursor.of(cards[-1].contribution, filters) if cards and has_next else None,
        prev_cursor=Cursor.of(cards[0].contribution, filters) if cards and has_prev else None,
    )


# One card seen by a member: built once, the ids bound at each execution.
_CARD_FOR_VIEWER = (
    select(Contribution, Member.display_name, Group, ProblemArea, Support.id)  # type: ignore[call-overload]
    .outerjoin(Member, col(Member.id) == col(Contribution.author_id))
    .outerjoin(Group, col(Group.id) == col(Contribution.group_id))
    .outerjoin(ProblemArea, col(ProblemArea.id) == col(Contribution.area_id))
    .outerjoin(
        Support,
        (col(Support.contribution_id) == col(Contribution.id))
        & (col(Support.member_id) == bindparam("viewer_id")),
    )
    .where(col(Contribution.id) == bindparam("contribution_id"))
)


async def card(
    session: AsyncSession, contribution_id: int | None, viewer: Member | None = None
) -> Card:
    if viewer is not None and viewer.id is not None:
        params = {"viewer_id": viewer.id, "contribution_id": contribution_id}
        row = (await session.exec(_CARD_FOR_VIEWER, params=params)).first()
    else:
        query = _card_query(viewer).where(col(Contribution.id) == contribution_id)
        row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(N_("This contribution no longer exists."))
    contribution, name, group, area, support = row
    return Card(contribution, name, group, area, support is not None)


_LATEST_IN_GROUP: dict[int, Any] = {}


async def latest_in_group(session: AsyncSession, group_id: int, limit: int) -> list[Card]:
    """A group's newest contributions, for its page: only what a line shows (the kind, the
    number and the title; no author, area or support), in one small query."""
    statement = _LATEST_IN_GROUP.get(limit)
    if statement is None:
        statement = _LATEST_IN_GROUP[limit] = (
            select(Contribution)
            .where(col(Contribution.group_id) == bindparam("group_id"))
            .order_by(col(Contribution.id).desc())
            .limit(limit)
        )
    rows = await session.exec(statement, params={"group_id": group_id})
    return [Card(c, None, None, None) for c in rows.all()]


async def draft_group(session: AsyncSession, draft: dict[str, Any]) -> Group | None:
    """The draft's group, loaded in the session. Keep it while the transaction runs: the
    session holds rows weakly, and the checks, the card and the reviewers then find it."""
    group_id = draft.get("group_id")
    return await session.get(Group, group_id) if group_id else None


async def card_of_new(session: AsyncSession, contribution: Contribution, author: Member) -> Card:
    """The card of a contribution `author` has just saved in this transaction: built from
    what is loaded (its group is in the session, areas in memory), not read again."""
    group = await session.get(Group, contribution.group_id) if contribution.group_id else None
    area = await groups_service.area_by_id(session, contribution.area_id)
    return Card(contribution, author.display_name, group, area, False)


# --- supports --------------------------------------------------------------------------


async def toggle_support(
    session: AsyncSession, member: Member, contribution_id: int
) -> tuple[bool, int]:
    """Support, or withdraw one's support; returns (supported now, new count)."""
    if not can(member, Action.SUPPORT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))
    contribution = await get(session, contribution_id)
    existing = (
        await session.exec(
            select(Support).where(
                Support.member_id == member.id, Support.contribution_id == contribution.id
            )
        )
    ).first()
    # The count changes in SQL, so two people pressing at once both count.
    if existing is None:
        session.add(Support(contribution_id=contribution.id, member_id=member.id))  # type: ignore[arg-type]
        delta = 1
    else:
        await session.exec(delete(Support).where(col(Support.id) == existing.id))
        delta = -1
    await session.exec(
        update(Contribution)
        .where(col(Contribution.id) == contribution.id)
        .values(support_count=Contribution.support_count + delta)
    )
    await session.flush()
    await session.refresh(contribution)
    return existing is None, contribution.support_count


# --- statuses --------------------------------------------------------------------------


async def set_support(
    session: AsyncSession, member: Member, contribution_id: int, supported: bool
) -> tuple[bool, int]:
    """Support (`supported`) or take one's support back; idempotent: supporting twice keeps
    one support, taking back when not supporting changes nothing. Returns (changed, count)."""
    if not can(member, Action.SUPPORT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))
    contribution = await get(session, contribution_id)
    changed = await _change_support(session, member, contribution, supported)
    return changed, contribution.support_count


async def support_card(
    session: AsyncSession, member: Member, contribution_id: int, supported: bool
) -> tuple[bool, Card]:
    """`set_support`, returning whether it changed anything and the card as `member` now
    sees it (the card is read first, then changed in place: no second read)."""
    if not can(member, Action.SUPPORT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))
    found = await card(session, contribution_id, member)
    changed = await _change_support(session, member, found.contribution, supported)
    return changed, replace(found, supported=supported)


def _support_insert(dialect: str) -> Any:
    """INSERT of one support that does nothing when the member already supports it."""
    statement = _SUPPORT_INSERTS.get(dialect)
    if statement is None:
        insert: Any = sqlite_insert
        if dialect == "postgresql":  # not loaded at all on SQLite
            from sqlalchemy.dialects.postgresql import insert
        statement = _SUPPORT_INSERTS[dialect] = insert(Support).on_conflict_do_nothing(
            index_elements=["member_id", "contribution_id"]
        )
    return statement


_SUPPORT_INSERTS: dict[str, Any] = {}


async def _change_support(
    session: AsyncSession, member: Member, contribution: Contribution, supported: bool
) -> bool:
    mine = (
        col(Support.member_id) == member.id,
        col(Support.contribution_id) == contribution.id,
    )
    if supported:
        values = {
            "contribution_id": contribution.id,
            "member_id": member.id,
            "created_at": utcnow(),
        }
        connection = await session.connection()  # Core: the row count says if it was new
        result: Any = await connection.execute(_support_insert(connection.dialect.name), values)
        if not result.rowcount:  # already supported (a double press)
            return False
        delta = 1
    else:
        result = await session.exec(delete(Support).where(*mine))
        delta = -result.rowcount
        if not delta:
            return False
    # The count changes in SQL, so two people pressing at once both count.
    await _add_to_count(session, contribution, delta)
    return True


_COUNT_CHANGE = (
    update(Contribution)
    .where(col(Contribution.id) == bindparam("contribution_id"))
    .values(support_count=Contribution.support_count + bindparam("delta"))
)
_COUNT_CHANGE_RETURNING = _COUNT_CHANGE.returning(col(Contribution.support_count))


async def _add_to_count(session: AsyncSession, contribution: Contribution, delta: int) -> int:
    """Add `delta` to the support count in SQL; the new count is read back (RETURNING where
    the database has it) and set on the loaded contribution."""
    params = {"contribution_id": contribution.id, "delta": delta}
    await session.flush()  # anything pending goes first (Core below bypasses autoflush)
    connection = await session.connection()
    if connection.dialect.update_returning:
        result = await connection.execute(_COUNT_CHANGE_RETURNING, params)
        count: int = result.scalar_one()
        set_committed_value(contribution, "support_count", count)
        return count
    await connection.execute(_COUNT_CHANGE, params)
    await session.refresh(contribution)
    return contribution.support_count


async def may_set_status(session: AsyncSession, member: Member | None, c: Contribution) -> bool:
    group = await session.get(Group, c.group_id) if c.group_id else None
    return can(member, Action.SET_CONTRIBUTION_STATUS, group)


async def set_status(
    session: AsyncSession,
    actor: Member,
    contribution_id: int,
    status: str,
    reason: str | None = None,
) -> Contribution:
    contribution = await get(session, contribution_id)
    if not await may_set_status(session, actor, contribution):
        raise NotAllowed(N_("Only coordinators and the group's lead can change the status."))
    current = ContributionStatus(contribution.status)
    if status == ContributionStatus.REJECTED:
        if current not in REJECTABLE:
            raise InvalidInput(N_("This contribution can no longer be rejected."))
        reason = clean_text(reason, TEXT_MAX, field="reason")
    elif NEXT_STATUS.get(current) != status:
        raise InvalidInput(N_("The status has changed in the meantime. Please look again."))
    await record(
        session,
        actor,
        "contribution.status",
        f"contribution:{contribution.id}",
        old=current.value,
        new=status,
        reason=reason,
    )
    contribution.status = status
    contribution.rejection_reason = reason if status == ContributionStatus.REJECTED else None
    contribution.updated_at = utcnow()
    return await save(session, contribution)


async def reviewers(session: AsyncSession, contribution: Contribution) -> list[Member]:
    """Who is told of a new contribution: the group's lead and the coordinators."""
    group = await session.get(Group, contribution.group_id) if contribution.group_id else None
    who = col(Member.role) == Role.COORDINATOR
    if group is not None and group.lead_id is not None:
        who = or_(who, col(Member.id) == group.lead_id)
    rows = await session.exec(select(Member).where(col(Member.consent_at).is_not(None), who))
    return [m for m in rows.all() if m.id != contribution.author_id]
