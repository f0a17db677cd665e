"""Working groups' domain rules on the real database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import groups as groups_service
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from models import AuditEntry, Group, Member, Membership, MembershipStatus, Role, utcnow

_ids = itertools.count(7000)


async def person(
    db: Database, name: str, role: Role = Role.LEADER, institution: str | None = None
) -> Member:
    async with db.session() as session:
        member = Member(
            telegram_id=next(_ids),
            display_name=name,
            role=role,
            consent_at=utcnow(),
            institution=institution,
        )
        session.add(member)
    return member


@pytest.fixture
async def seeded(db: Database) -> Database:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    return db


async def team(db: Database, slug: str = "treasurers") -> Group:
    async with db.session() as session:
        return (await session.exec(select(Group).where(Group.slug == slug))).one()


async def small_group(
    db: Database, coordinator: Member, *, is_open: bool, lead: Member | None = None
) -> Group:
    async with db.session() as session:
        area = (await groups_service.areas(session))[0]
        return await groups_service.create_group(
            session,
            coordinator,
            name="Świetlica po lekcjach",
            area_id=area.id,
            parent_id=None,
            is_open=is_open,
            lead_id=lead.id if lead else None,
        )


async def test_list_counts_members_in_one_query(seeded: Database) -> None:
    treasurers = await team(seeded)
    people = [await person(seeded, f"P{i}") for i in range(3)]
    async with seeded.session() as session:
        for p in people:
            await groups_service.join(session, treasurers.id, p)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(seeded.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with seeded.session() as session:
            summaries = await groups_service.list_groups(session)
    finally:
        event.remove(seeded.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1
    counts = {s.group.slug: s.member_count for s in summaries}
    assert counts["treasurers"] == 3 and counts["mediators"] == 0
    assert len(summaries) == 5


async def test_join_leave_open_team_and_my_groups(seeded: Database) -> None:
    treasurers = await team(seeded)
    ewa = await person(seeded, "Ewa")
    async with seeded.session() as session:
        joined = await groups_service.join(session, treasurers.id, ewa)
        assert joined.status == MembershipStatus.MEMBER
        mine = await groups_service.my_groups(session, ewa)
        assert [s.group.slug for s in mine] == ["treasurers"] and mine[0].member_count == 1
        await groups_service.leave(session, treasurers.id, ewa)
        assert await groups_service.my_groups(session, ewa) == []
        with pytest.raises(NotFound):
            await groups_service.leave(session, treasurers.id, ewa)


async def test_closed_group_request_is_decided_by_lead_only(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    resident = await person(seeded, "Rysiek", Role.RESIDENT)
    stranger = await person(seeded, "Stefan")
    group = await small_group(seeded, boss, is_open=False, lead=lead)
    async with seeded.session() as session:
        request = await groups_service.join(session, group.id, resident)
        assert request.status == MembershipStatus.PENDING
        assert [m.id for m in await groups_service.deciders(session, group)] == [lead.id]
        with pytest.raises(NotAllowed):
            await groups_service.decide_request(session, group.id, resident.id, stranger, True)
        _, requester = await groups_service.decide_request(
            session, group.id, resident.id, lead, True
        )
        assert requester.id == resident.id
        assert await groups_service.is_member(session, group, resident)
        with pytest.raises(NotFound):  # a second press on the same button
            await groups_service.decide_request(session, group.id, resident.id, lead, False)
    # The lead was raised to the lead role when appointed.
    async with seeded.session() as session:
        assert (await session.get(Member, lead.id)).role == Role.LEAD  # type: ignore[union-attr]


async def test_members_visible_to_members_and_coordinators_only(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    insider = await person(seeded, "Iza", institution="MOPS")
    outsider = await person(seeded, "Olek")
    treasurers = await team(seeded)
    async with seeded.session() as session:
        await groups_service.join(session, treasurers.id, insider)
        inside = await groups_service.group_page(session, treasurers.id, insider)
        outside = await groups_service.group_page(session, treasurers.id, outsider)
        coordinator = await groups_service.group_page(session, treasurers.id, boss)
    assert inside.may_see_members and [m.display_name for m in inside.members] == ["Iza"]
    assert not outside.may_see_members and outside.members == []
    assert outside.member_count == 1
    assert coordinator.may_see_members and coordinator.members


async def test_page_of_300_members_is_paged(seeded: Database) -> None:
    treasurers = await team(seeded)
    async with seeded.session() as session:
        people = [
            Member(telegram_id=next(_ids), display_name=f"Osoba {i:03}", consent_at=utcnow())
            for i in range(300)
        ]
        session.add_all(people)
        await session.flush()
        session.add_all(Membership(member_id=p.id, group_id=treasurers.id) for p in people)  # type: ignore[arg-type]
    viewer = people[0]
    async with seeded.session() as session:
        first = await groups_service.group_page(session, treasurers.id, viewer)
        last = await groups_service.group_page(session, treasurers.id, viewer, page=999)
    assert first.member_count == 300
    assert first.pages == 20 and len(first.members) == groups_service.MEMBERS_PER_PAGE
    assert last.page == 19 and last.members[-1].display_name == "Osoba 299"


async def test_create_edit_archive_and_forged_archive(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    resident = await person(seeded, "Rysiek", Role.RESIDENT)
    treasurers = await team(seeded)
    async with seeded.session() as session:
        area = (await groups_service.areas(session))[1]
        group = await groups_service.create_group(
            session,
            boss,
            name="  Zasoby   szkoły ",
            area_id=area.id,
            parent_id=treasurers.id,
            is_open=True,
            lead_id=None,
        )
        assert group.name == "Zasoby szkoły" and group.parent_id == treasurers.id
        with pytest.raises(NotAllowed):
            await groups_service.create_group(
                session,
                resident,
                name="x",
                area_id=area.id,
                parent_id=None,
                is_open=True,
                lead_id=None,
            )
        with pytest.raises(InvalidInput):
            await groups_service.create_group(
                session,
                boss,
                name="y",
                area_id=area.id,
                parent_id=group.id,
                is_open=True,
                lead_id=None,
            )
        await groups_service.update_group(
            session, boss, group.id, purpose="Sale po południu", is_open=False
        )
        with pytest.raises(NotAllowed):
            await groups_service.archive_group(session, resident, group.id)
        with pytest.raises(NotAllowed):
            await groups_service.archive_group(session, boss, treasurers.id)
    async with seeded.session() as session:
        assert (await session.get(Group, group.id)).archived_at is None  # type: ignore[union-attr]
        await groups_service.archive_group(session, boss, group.id)
    async with seeded.session() as session:
        listed = [s.group.id for s in await groups_service.list_groups(session)]
        assert group.id not in listed
        stored = await session.get(Group, group.id)
        assert stored is not None and stored.purpose == "Sale po południu" and not stored.is_open
        with pytest.raises(NotFound):
            await groups_service.join(session, group.id, resident)
        actions = (await session.exec(select(AuditEntry.action))).all()
        assert {"group.create", "group.edit", "group.archive"} <= set(actions)


async def test_grant_and_revoke_roles(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    ola = await person(seeded, "Ola")
    async with seeded.session() as session:
        await groups_service.grant_role(session, boss, ola.id, Role.COORDINATOR)
        with pytest.raises(InvalidInput):
            await groups_service.grant_role(session, boss, ola.id, Role.LEAD)
        with pytest.raises(NotAllowed):
            await groups_service.revoke_role(session, boss, boss.id, Role.COORDINATOR)
        with pytest.raises(NotAllowed):
            await groups_service.grant_role(session, ola, ola.id, Role.LEADER)
        changed = await groups_service.revoke_role(session, boss, ola.id, Role.COORDINATOR)
        assert changed.role == Role.LEADER


async def test_revoking_lead_frees_their_groups(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    group = await small_group(seeded, boss, is_open=True, lead=lead)
    async with seeded.session() as session:
        lead = await session.get(Member, lead.id)  # type: ignore[assignment]
        assert lead is not None and lead.role == Role.LEAD
        await groups_service.revoke_role(session, boss, lead.id, Role.LEAD)
    async with seeded.session() as session:
        stored = await session.get(Group, group.id)
        assert stored is not None and stored.lead_id is None


async def test_link_and_unlink_chat(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    other = await person(seeded, "Olek")
    group = await small_group(seeded, boss, is_open=True, lead=lead)
    treasurers = await team(seeded)
    async with seeded.session() as session:
        lead = await session.get(Member, lead.id)  # type: ignore[assignment]
        assert [g.id for g in await groups_service.linkable_groups(session, lead)] == [group.id]
        assert await groups_service.linkable_groups(session, other) == []
        with pytest.raises(NotAllowed):
            await groups_service.link_chat(session, other, group.id, -100123)
        await groups_service.link_chat(session, lead, group.id, -100123)
        # One chat, one group: linking it elsewhere moves it.
        await groups_service.link_chat(session, boss, treasurers.id, -100123)
        assert (await groups_service.group_for_chat(session, -100123)).id == treasurers.id  # type: ignore[union-attr]
        assert (await session.get(Group, group.id)).chat_id is None  # type: ignore[union-attr]
        unlinked = await groups_service.unlink_chat(session, -100123)
        assert unlinked is not None and unlinked.id == treasurers.id
        assert await groups_service.unlink_chat(session, -100123) is None


async def test_lead_cannot_leave_own_group(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    group = await small_group(seeded, boss, is_open=True, lead=lead)
    async with seeded.session() as session:
        with pytest.raises(NotAllowed):
            await groups_service.leave(session, group.id, lead)


def test_fold_drops_polish_and_other_marks() -> None:
    assert groups_service.fold("Anna ŁĘCKA-Żółć") == "anna lecka-zolc"
    assert groups_service.fold("  Олена   Ковальчук ") == "олена ковальчук"
    with pytest.raises(InvalidInput):
        groups_service.clean_search(" ł ")


async def test_search_finds_folded_names_page_by_page(seeded: Database) -> None:
    for i in range(12):
        await person(seeded, f"Łęcka {i:02}")
    await person(seeded, "Nowak")
    async with seeded.session() as session:
        first, pages = await groups_service.search_people(session, "lecka", 0)
        second, _ = await groups_service.search_people(session, "lecka", 1)
        none, _ = await groups_service.search_people(session, "zzz", 0)
    assert pages == 2 and len(first) == groups_service.PEOPLE_PER_PAGE
    assert [m.display_name for m in first + second] == [f"Łęcka {i:02}" for i in range(12)]
    assert none == []


async def test_request_card_once_and_join_leave_loop_is_slowed(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    asker = await person(seeded, "Rysiek", Role.RESIDENT)
    group = await small_group(seeded, boss, is_open=False, lead=lead)
    told = []
    with pytest.raises(NotAllowed):
        for _ in range(10):
            async with seeded.session() as session:
                outcome = await groups_service.ask_to_join(session, group.id, asker)
                told.append([m.id for m in outcome.tell])
                again = await groups_service.ask_to_join(session, group.id, asker)
                assert again.tell == []  # still waiting: nobody is told twice
            async with seeded.session() as session:
                await groups_service.leave(session, group.id, asker)
    assert told[0] == [lead.id] and all(t == [] for t in told[1:])
    assert len(told) == groups_service.TOGGLES_ALLOWED


async def test_remove_member_rules(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    other = await person(seeded, "Olek")
    member = await person(seeded, "Rysiek", Role.RESIDENT)
    group = await small_group(seeded, boss, is_open=True, lead=lead)
    async with seeded.session() as session:
        await groups_service.join(session, group.id, member)
        await groups_service.join(session, group.id, other)
    async with seeded.session() as session:
        with pytest.raises(NotAllowed):
            await groups_service.remove_member(session, other, group.id, member.id)
        with pytest.raises(NotAllowed):  # the lead is handed over, not removed
            await groups_service.remove_member(session, boss, group.id, lead.id)
        await groups_service.remove_member(session, lead, group.id, member.id)
    async with seeded.session() as session:
        assert not await groups_service.is_member(session, group, member)
        with pytest.raises(NotFound):
            await groups_service.remove_member(session, lead, group.id, member.id)


async def test_set_parent_is_for_coordinators_and_teams_only(seeded: Database) -> None:
    boss = await person(seeded, "Boss", Role.COORDINATOR)
    lead = await person(seeded, "Lena")
    group = await small_group(seeded, boss, is_open=True, lead=lead)
    treasurers = await team(seeded)
    async with seeded.session() as session:
        with pytest.raises(NotAllowed):
            await groups_service.set_parent(session, lead, group.id, treasurers.id)
        with pytest.raises(InvalidInput):
            await groups_service.set_parent(session, boss, treasurers.id, None)
        moved = await groups_service.set_parent(session, boss, group.id, treasurers.id)
        assert moved.parent_id == treasurers.id
        moved = await groups_service.set_parent(session, boss, group.id, 0)
        assert moved.parent_id is None
