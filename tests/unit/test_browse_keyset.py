"""/browse pages read with a keyset (sort key + id) instead of an OFFSET."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from bot.db import Database
from bot.services import contributions as service
from models import Contribution, Member
from tests.unit.test_contributions_domain import registered, submit, world  # noqa: F401

SUPPORTS = [3, 0, 5, 3, 0, 1, 3, 5, 0, 2, 3, 1, 0]  # ties on purpose


async def fill(db: Database) -> tuple[Member, list[int]]:
    author = await registered(db, 1)
    ids = [(await submit(db, author, f"Pomysł {n}")).id for n in range(len(SUPPORTS))]
    async with db.session() as session:
        for contribution_id, count in zip(ids, SUPPORTS, strict=True):
            await session.exec(  # type: ignore[call-overload]
                update(Contribution)
                .where(col(Contribution.id) == contribution_id)
                .values(support_count=count)
            )
    return author, ids  # type: ignore[return-value]


def listed(page: service.Page) -> list[int]:
    return [card.contribution.id for card in page.cards]  # type: ignore[misc]


async def walk(db: Database, filters: service.Filters) -> tuple[list[list[int]], list[list[int]]]:
    """Every page, forwards with `after`, then backwards from the last with `before`."""
    forwards: list[service.Page] = []
    async with db.session() as session:
        page = await service.browse(session, filters, 0)
        forwards.append(page)
        while page.has_next:
            assert page.next_cursor is not None
            page = await service.browse(session, filters, page.page + 1, after=page.next_cursor)
            forwards.append(page)
        backwards = [page]
        while page.prev_cursor is not None:
            page = await service.browse(session, filters, page.page - 1, before=page.prev_cursor)
            backwards.append(page)
    assert [p.page for p in forwards] == list(range(len(forwards)))
    assert [p.page for p in backwards] == list(range(len(forwards)))[::-1]
    return [listed(p) for p in forwards], [listed(p) for p in backwards[::-1]]


async def test_keyset_pages_are_the_numbered_pages_both_ways(world: Database) -> None:  # noqa: F811
    _author, ids = await fill(world)
    for by_support in (False, True):
        filters = service.Filters(kind="idea", by_support=by_support)
        forwards, backwards = await walk(world, filters)
        numbered = []
        async with world.session() as session:
            for number in range(len(forwards)):
                numbered.append(listed(await service.browse(session, filters, number)))
        expected = (
            sorted(ids, key=lambda i: (SUPPORTS[ids.index(i)], i), reverse=True)
            if by_support
            else sorted(ids, reverse=True)
        )
        assert forwards == numbered == backwards
        assert [i for page in forwards for i in page] == expected
        assert all(len(page) == service.PAGE_SIZE for page in forwards[:-1])


async def test_a_new_contribution_does_not_shift_the_next_page(world: Database) -> None:  # noqa: F811
    """Someone adds an idea while you read page 1: page 2 goes on where page 1 ended
    (with a page number, the last card of page 1 would come again)."""
    author, ids = await fill(world)
    filters = service.Filters(kind="idea")
    async with world.session() as session:
        first = await service.browse(session, filters, 0)
    await submit(world, author, "Nowy pomysł")
    async with world.session() as session:
        second = await service.browse(session, filters, 1, after=first.next_cursor)
    assert listed(first) == sorted(ids, reverse=True)[:5]
    assert listed(second) == sorted(ids, reverse=True)[5:10]
    assert second.prev_cursor is not None and second.has_next
