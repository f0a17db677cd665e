"""Links between contributions and programme actions on the real database; the programme
tables in the export, /mydata and /forget."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.db import Database
from bot.i18n import use_language
from bot.services import contributions as contributions_service
from bot.services import export as export_service
from bot.services import links as service
from bot.services import privacy
from bot.services import programme as programme_service
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from models import ActionNote, Contribution, ContributionLink, Member, ProgrammeAction
from tests.meeting_support import NOW
from tests.programme_support import world

# --- links ---------------------------------------------------------------------------------


async def test_authors_either_side_their_leads_and_coordinators_may_link(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        with pytest.raises(NotAllowed):
            await service.link(session, w.outsider, w.cause.id, w.resource.id)  # type: ignore[arg-type]
        # Łucja wrote the cause, Grzegorz the resource: either may link them.
        await service.link(session, w.alice, w.cause.id, w.resource.id)  # type: ignore[arg-type]
        await service.link(session, w.bob, w.barrier.id, w.idea.id)  # type: ignore[arg-type]
        # The Diagnosticians' lead, for a contribution of the group; a coordinator, anything.
        await service.link(session, w.lead, w.cause.id, w.experience.id)  # type: ignore[arg-type]
        await service.link(session, w.coordinator, w.idea.id, w.far_resource.id)  # type: ignore[arg-type]
        assert not await service.may_link_from(session, w.outsider, w.cause)
        with pytest.raises(NotAllowed):
            await service.unlink(session, w.outsider, w.cause.id, w.resource.id)  # type: ignore[arg-type]
        await service.unlink(session, w.bob, w.resource.id, w.cause.id)  # type: ignore[arg-type]
        assert [c.id for c in await service.linked(session, w.cause.id)] == [w.experience.id]  # type: ignore[arg-type]


async def test_no_self_duplicate_or_same_kind_links(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        with pytest.raises(InvalidInput):
            await service.link(session, w.alice, w.cause.id, w.cause.id)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):  # two resources
            await service.link(session, w.coordinator, w.resource.id, w.far_resource.id)  # type: ignore[arg-type]
        await service.link(session, w.alice, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):  # the same pair, the other way round
            await service.link(session, w.alice, w.cause.id, w.idea.id)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            await service.unlink(session, w.alice, w.cause.id, w.barrier.id)  # type: ignore[arg-type]
    async with db.session() as session:
        rows = (await session.exec(select(ContributionLink))).all()
    assert len(rows) == 1 and rows[0].first_id < rows[0].second_id


async def test_both_authors_are_told_once_and_never_the_one_who_linked(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        # Łucja wrote both the idea and the cause: told once.
        result = await service.link(session, w.coordinator, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        assert [m.id for m in result.notify] == [w.alice.id]
        result = await service.link(session, w.alice, w.idea.id, w.resource.id)  # type: ignore[arg-type]
        assert [m.id for m in result.notify] == [w.bob.id]
        result = await service.link(session, w.lead, w.barrier.id, w.cause.id)  # type: ignore[arg-type]
        assert sorted(m.id for m in result.notify) == sorted([w.alice.id, w.bob.id])  # type: ignore[type-var]


async def test_links_survive_status_changes_and_an_erased_author(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        await service.link(session, w.alice, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        await contributions_service.set_status(session, w.coordinator, w.idea.id, "in_progress")  # type: ignore[arg-type]
    async with db.session() as session:
        alice = await session.get(Member, w.alice.id)
        assert alice is not None
        await privacy.forget(session, alice)
    async with db.session() as session:
        idea = await session.get(Contribution, w.idea.id)
        assert idea is not None and idea.author_id is None and idea.status == "in_progress"
        assert [c.id for c in await service.linked(session, w.idea.id)] == [w.cause.id]  # type: ignore[arg-type]
        with use_language("pl"):
            section = await service.links_section(session, w.idea.id)  # type: ignore[arg-type]
        # Nobody is the author any more: a coordinator can still unlink.
        await service.unlink(session, w.coordinator, w.idea.id, w.cause.id)  # type: ignore[arg-type]
    assert f"odpowiada na przyczynę #{w.cause.id}" in section
    assert "Brak pracy dla młodzieży po szkole" in section


async def test_suggestions_put_the_same_area_first_and_search_folds_polish_letters(
    db: Database,
) -> None:
    w = await world(db)
    async with db.session() as session:
        suggestions = await service.candidates(session, w.idea)
        ids = [c.id for c in suggestions]
        assert w.idea.id not in ids
        assert ids[-1] == w.far_resource.id  # another area comes last
        assert set(ids[:-1]) == {w.cause.id, w.barrier.id, w.resource.id, w.experience.id}
        resources = await service.candidates(session, w.idea, kind="resource")
        assert [c.id for c in resources] == [w.resource.id, w.far_resource.id]
        found = await service.candidates(session, w.idea, "mlodziezy")
        assert [c.id for c in found] == [w.cause.id]
        await service.link(session, w.alice, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        assert w.cause.id not in [c.id for c in await service.candidates(session, w.idea)]


# --- programme actions ---------------------------------------------------------------------


async def test_only_an_accepted_idea_becomes_an_action_by_a_coordinator_or_its_lead(
    db: Database,
) -> None:
    w = await world(db)
    async with db.session() as session:
        with pytest.raises(InvalidInput):  # a cause is not an idea
            await programme_service.create_action(session, w.coordinator, w.cause.id, goal="x")  # type: ignore[arg-type]
        with pytest.raises(NotAllowed):  # the author, not a lead
            await programme_service.create_action(session, w.alice, w.idea.id, goal="x")  # type: ignore[arg-type]
        with pytest.raises(NotAllowed):  # leads another group
            await programme_service.create_action(session, w.lead, w.idea.id, goal="x")  # type: ignore[arg-type]
        fresh = Contribution(kind="idea", title="Nowy", status="new", group_id=w.team.id)
        session.add(fresh)
        await session.flush()
        with pytest.raises(InvalidInput):  # not accepted yet
            await programme_service.create_action(session, w.lead, fresh.id, goal="x")  # type: ignore[arg-type]
        assert [c.id for c in await programme_service.actionable_ideas(session, w.coordinator)] == [
            w.idea.id
        ]
        with pytest.raises(InvalidInput):
            await programme_service.create_action(
                session,
                w.coordinator,
                w.idea.id,  # type: ignore[arg-type]
                goal="x",
                start_month="2027-05",
                end_month="2027-01",
            )
        action = await programme_service.create_action(
            session,
            w.coordinator,
            w.idea.id,
            goal="Praca dla młodych",  # type: ignore[arg-type]
        )
        with pytest.raises(InvalidInput):
            await programme_service.create_action(session, w.coordinator, w.idea.id, goal="x")  # type: ignore[arg-type]
        assert await programme_service.actionable_ideas(session, w.coordinator) == []
        # The author of the idea may not steer the action either.
        with pytest.raises(NotAllowed):
            await programme_service.add_note(session, w.alice, action.id, "x", on=NOW.date())  # type: ignore[arg-type]


async def test_an_action_keeps_indicators_progress_resources_and_a_timeline(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        action = await programme_service.create_action(
            session,
            w.coordinator,
            w.idea.id,  # type: ignore[arg-type]
            goal="Więcej młodych w pracy",
            target_group="młodzież 18–25",
            responsible="Powiatowy Urząd Pracy (PUP)",
            partners=["Szkoła", "Parafia", "Szkoła"],
            start_month="3/2027",
            end_month="12.2027",
            resource_ids=[w.resource.id],  # type: ignore[list-item]
        )
        assert action.partners == ["Szkoła", "Parafia"]
        assert (action.start_month, action.end_month) == ("2027-03", "2027-12")
        with pytest.raises(InvalidInput):  # only resources are an action's resources
            await programme_service.create_action(
                session,
                w.coordinator,
                w.idea.id,
                goal="x",
                resource_ids=[w.cause.id],  # type: ignore[arg-type, list-item]
            )
        name, target, unit = programme_service.parse_indicator("uczestnicy; 40; osób")
        indicator = await programme_service.add_indicator(
            session,
            w.coordinator,
            action.id,
            name,
            target,
            unit,  # type: ignore[arg-type]
        )
        await programme_service.set_achieved(session, w.coordinator, indicator.id, 12)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await programme_service.set_progress(
                session,
                w.coordinator,
                action.id,
                status="in_progress",
                progress=120,  # type: ignore[arg-type]
            )
        await programme_service.set_progress(
            session,
            w.coordinator,
            action.id,
            status="in_progress",
            progress=30,  # type: ignore[arg-type]
        )
        later = NOW.date().replace(day=28)
        await programme_service.add_note(session, w.coordinator, action.id, "Druga", on=later)  # type: ignore[arg-type]
        await programme_service.add_note(
            session, w.coordinator, action.id, "Pierwsza", on=NOW.date()
        )  # type: ignore[arg-type]
        detail = await programme_service.action_detail(session, action.id)  # type: ignore[arg-type]
    assert detail.action.status == "in_progress" and detail.action.progress == 30
    assert [(i.name, i.target, i.unit, i.achieved) for i in detail.indicators] == [
        ("uczestnicy", 40.0, "osób", 12.0)
    ]
    assert [n.text for n in detail.notes] == ["Pierwsza", "Druga"]
    assert [c.id for c in detail.linked["resource"]] == [w.resource.id]


def test_months_and_indicators_are_read_leniently() -> None:
    assert programme_service.parse_month("03.2027") == "2027-03"
    assert programme_service.parse_month("2027-11") == "2027-11"
    assert programme_service.parse_month("") is None
    with pytest.raises(InvalidInput):
        programme_service.parse_month("13.2027")
    assert programme_service.parse_indicator("warsztaty - 12 spotkań") == (
        "warsztaty",
        12.0,
        "spotkań",
    )
    assert programme_service.parse_indicator("osoby; 7,5; h") == ("osoby", 7.5, "h")
    with pytest.raises(InvalidInput):
        programme_service.parse_indicator("bez liczby")


# --- export, /mydata, /forget --------------------------------------------------------------


async def _planned(db: Database):  # type: ignore[no-untyped-def]
    w = await world(db)
    async with db.session() as session:
        await service.link(session, w.coordinator, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        action = await programme_service.create_action(
            session,
            w.coordinator,
            w.idea.id,
            goal="Cel",  # type: ignore[arg-type]
        )
        await programme_service.add_indicator(session, w.coordinator, action.id, "osoby", 10)  # type: ignore[arg-type]
        await programme_service.add_note(session, w.coordinator, action.id, "Start", on=NOW.date())  # type: ignore[arg-type]
    return w, action


async def test_the_export_has_links_actions_indicators_and_the_timeline(
    db: Database, tmp_path: Path
) -> None:
    await _planned(db)
    out = tmp_path / "export.xlsx"
    result = await export_service.write_export(db, out, "xlsx", language="pl")
    from openpyxl import load_workbook

    book = load_workbook(out, read_only=True)
    headers = {
        "Powiązania zgłoszeń": "Nr",
        "Działania programu": "Nr",
        "Wskaźniki działań": "Nr działania",
        "Przebieg działań": "Nr działania",
    }
    for title, first in headers.items():
        assert result.rows[title] == 1, title
        assert next(book[title].iter_rows(max_row=1, values_only=True))[0] == first


async def test_mydata_shows_and_forget_anonymises_programme_rows(db: Database) -> None:
    w, action = await _planned(db)
    async with db.session() as session:
        coordinator = await session.get(Member, w.coordinator.id)
        assert coordinator is not None
        data = await privacy.personal_data(session, coordinator)
        assert "contribution_links.created_by_id" in data.tables
        assert "programme_actions.created_by_id" in data.tables
        assert "programme_action_notes.author_id" in data.tables
        await privacy.forget(session, coordinator)
    async with db.session() as session:
        kept = await session.get(ProgrammeAction, action.id)
        assert kept is not None and kept.created_by_id is None
        notes = (await session.exec(select(ActionNote))).all()
        assert [n.author_id for n in notes] == [None]
        links = (await session.exec(select(ContributionLink))).all()
        assert len(links) == 1 and links[0].created_by_id is None
