"""Contributions on a real database: drafts, supports, statuses, browsing, anonymisation."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import contributions as service
from bot.services import members as members_service
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from models import AuditEntry, Contribution, Group, Member, ProblemArea, Role, Support


async def registered(db: Database, telegram_id: int, role: Role = Role.LEADER) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "pl")
        await members_service.set_profile(session, member, display_name=f"M{telegram_id}")
        await members_service.set_role(session, member, role)
    return member


async def team(db: Database, slug: str) -> Group:
    async with db.session() as session:
        return (await session.exec(select(Group).where(Group.slug == slug))).one()


@pytest.fixture
async def world(db: Database) -> Database:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    return db


async def idea_draft(db: Database, title: str = "Kawiarenka") -> dict:
    async with db.session() as session:
        area = (await session.exec(select(ProblemArea))).first()
    inventors = await team(db, "inventors")
    draft = service.new_draft("idea")
    draft["fields"] = {"title": title, "for_whom": "seniorzy", "first_step": "rozmowa"}
    draft["area_id"], draft["group_id"] = area.id, inventors.id  # type: ignore[union-attr]
    return draft


async def submit(db: Database, author: Member, title: str = "Kawiarenka") -> Contribution:
    draft = await idea_draft(db, title)
    async with db.session() as session:
        return await service.submit(session, author, draft)


async def test_field_limits_speak_of_titles_and_texts() -> None:
    with pytest.raises(InvalidInput) as title_error:
        service.clean_field("idea", "title", "x" * 121)
    assert title_error.value.params == {"length": 121, "limit": 120}
    assert "title" in title_error.value.message
    with pytest.raises(InvalidInput) as text_error:
        service.clean_field("cause", "evidence", "y" * 2001)
    assert text_error.value.params["limit"] == 2000
    assert service.clean_field("idea", "title", "  Kawiarenka \x07 ") == "Kawiarenka"
    with pytest.raises(InvalidInput):
        service.clean_field("idea", "title", None)


async def test_submit_checks_the_whole_draft(world: Database) -> None:
    author = await registered(world, 1)
    draft = await idea_draft(world)
    del draft["fields"]["first_step"]
    async with world.session() as session:
        with pytest.raises(InvalidInput):
            await service.submit(session, author, draft)
    draft = await idea_draft(world)
    draft["group_id"] = 99999
    async with world.session() as session:
        with pytest.raises(NotFound):
            await service.submit(session, author, draft)
    saved = await submit(world, author)
    assert (saved.kind, saved.title, saved.details) == (
        "idea",
        "Kawiarenka",
        {"for_whom": "seniorzy", "first_step": "rozmowa"},
    )


async def test_one_support_per_person_and_withdrawal(world: Database) -> None:
    author, fan = await registered(world, 1), await registered(world, 2, Role.RESIDENT)
    idea = await submit(world, author)
    async with world.session() as session:
        assert await service.toggle_support(session, fan, idea.id) == (True, 1)  # type: ignore[arg-type]
    async with world.session() as session:
        assert await service.toggle_support(session, author, idea.id) == (True, 2)  # type: ignore[arg-type]
    async with world.session() as session:
        assert await service.toggle_support(session, fan, idea.id) == (False, 1)  # type: ignore[arg-type]
    # The database itself refuses a second row for the same person.
    with pytest.raises(IntegrityError):
        async with world.session() as session:
            session.add(Support(contribution_id=idea.id, member_id=author.id))  # type: ignore[arg-type]
            await session.flush()


async def test_status_rights_transitions_and_audit(world: Database) -> None:
    author = await registered(world, 1)
    lead = await registered(world, 2, Role.LEAD)
    other_lead = await registered(world, 3, Role.LEAD)
    coordinator = await registered(world, 4, Role.COORDINATOR)
    async with world.session() as session:
        inventors = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        inventors.lead_id = lead.id
        session.add(inventors)
    idea = await submit(world, author)
    for outsider in (author, other_lead):
        async with world.session() as session:
            with pytest.raises(NotAllowed):
                await service.set_status(session, outsider, idea.id, "discussion")  # type: ignore[arg-type]
    async with world.session() as session:
        with pytest.raises(InvalidInput):  # no skipping steps
            await service.set_status(session, lead, idea.id, "done")  # type: ignore[arg-type]
        await service.set_status(session, lead, idea.id, "discussion")  # type: ignore[arg-type]
    async with world.session() as session:
        with pytest.raises(InvalidInput):  # a reason is required
            await service.set_status(session, coordinator, idea.id, "rejected", "  ")  # type: ignore[arg-type]
    async with world.session() as session:
        rejected = await service.set_status(
            session,
            coordinator,
            idea.id,  # type: ignore[arg-type]
            "rejected",
            "Za drogo",
        )
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Za drogo")
    async with world.session() as session:
        entries = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "contribution.status"))
        ).all()
        reviewers = await service.reviewers(session, rejected)
    assert [(e.details["old"], e.details["new"]) for e in entries] == [
        ("new", "discussion"),
        ("discussion", "rejected"),
    ]
    assert {m.id for m in reviewers} == {lead.id, coordinator.id}


async def test_author_edits_and_withdraws_only_while_new(world: Database) -> None:
    author, stranger = await registered(world, 1), await registered(world, 2)
    coordinator = await registered(world, 3, Role.COORDINATOR)
    idea = await submit(world, author)
    draft = service.draft_of(idea)
    draft["fields"]["title"] = "Nowy tytuł"
    async with world.session() as session:
        with pytest.raises(NotAllowed):
            await service.submit(session, stranger, dict(draft))
        edited = await service.submit(session, author, dict(draft))
    assert (edited.id, edited.title) == (idea.id, "Nowy tytuł")
    async with world.session() as session:
        await service.set_status(session, coordinator, idea.id, "discussion")  # type: ignore[arg-type]
    async with world.session() as session:
        with pytest.raises(NotAllowed):
            await service.withdraw(session, author, idea.id)  # type: ignore[arg-type]
    second = await submit(world, author, "Drugi")
    async with world.session() as session:
        await service.withdraw(session, author, second.id)  # type: ignore[arg-type]
    async with world.session() as session:
        assert await session.get(Contribution, second.id) is None


async def test_browse_filters_sorts_pages_and_anonymises(world: Database) -> None:
    author, fan = await registered(world, 1), await registered(world, 2)
    ids = [(await submit(world, author, f"Pomysł {n}")).id for n in range(7)]
    async with world.session() as session:
        await service.toggle_support(session, fan, ids[2])  # type: ignore[arg-type]
    async with world.session() as session:
        first = await service.browse(session, service.Filters(kind="idea"), 0, fan)
        second = await service.browse(session, service.Filters(kind="idea"), 1)
        popular = await service.browse(session, service.Filters(by_support=True), 0, fan)
        none = await service.browse(session, service.Filters(kind="cause"))
        mine = await service.browse(session, service.Filters(author_id=fan.id))
    assert (first.has_next, second.has_next) == (True, False)
    assert [c.contribution.id for c in first.cards] == ids[::-1][:5]
    assert [c.contribution.id for c in second.cards] == ids[1::-1]
    assert popular.cards[0].contribution.id == ids[2] and popular.cards[0].supported
    assert first.cards[0].author_name == "M1" and first.cards[0].group is not None
    assert none.cards == [] and mine.cards == []
    # Erasing the author keeps the contribution, without a name.
    async with world.session() as session:
        await session.delete(await session.get(Member, author.id))
    async with world.session() as session:
        card = await service.card(session, ids[0])
    assert card.contribution.author_id is None and card.author_name is None


async def test_the_same_draft_sent_twice_is_saved_once(world: Database) -> None:
    """A send handled again after a crash (the conversation had not moved on) finds the row
    the first one made; a new draft with the same text is a new contribution."""
    author = await registered(world, 4101)
    draft = await idea_draft(world)
    async with world.session() as session:
        first = await service.submit(session, author, dict(draft))
    async with world.session() as session:
        assert (await service.submitted(session, author, draft)).id == first.id  # type: ignore[union-attr]
        again = await service.submit(session, author, dict(draft))
    assert again.id == first.id
    other = await submit(world, author)
    assert other.id != first.id
    async with world.session() as session:
        assert len((await session.exec(select(Contribution))).all()) == 2
