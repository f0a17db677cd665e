"""The problem map and programme actions in the panel: the chat's content and permissions
(/map for everyone, /actions for leads and coordinators, an action for anyone)."""

from __future__ import annotations

import httpx

from bot.db import Database
from bot.panel import programme
from bot.services import members as members_service
from bot.services import problem_map as map_service
from bot.services import programme as programme_service
from tests.panel.support import (
    COORDINATOR,
    LEAD,
    LEADER,
    RESIDENT,
    Programme,
    World,
    auth,
    build_programme,
    map_checked_against_rules,
)


def _chain(chain: map_service.Chain) -> list[int | None]:
    steps = (chain.cause, chain.barrier, chain.idea, chain.resource)
    return [n.id if n else None for n in steps]


async def test_the_map_is_the_chats_map(world: World, db: Database) -> None:
    await build_programme(db, world)
    panel = await map_checked_against_rules(db)
    first = panel[0]
    assert first.chains and _chain(first.chains[0])[0] is not None  # cause → … → idea


async def test_everyone_sees_the_map(client: httpx.AsyncClient, world: World, db: Database) -> None:
    found = await build_programme(db, world)
    page = await client.get("/api/view/map", headers=auth(RESIDENT))
    assert page.status_code == 200
    assert "Causes no idea addresses" in page.text
    assert f"#{found.lonely_cause.id} Long commutes to the town" in page.text
    assert "Job fair at the school" in page.text and "The school&#39;s gym" in page.text
    assert "Rejected cause" not in page.text
    assert 'data-view="map"' in page.text


async def test_actions_for_leads_and_coordinators_as_in_the_chat(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    found = await build_programme(db, world)
    for who in (RESIDENT, LEADER):
        refused = await client.get("/api/view/actions", headers=auth(who))
        assert refused.status_code == 403 and "Job fair" not in refused.text
        assert "only coordinators and group leads" in refused.text
    lead = await client.get("/api/view/actions", headers=auth(LEAD))
    coordinator = await client.get("/api/view/actions", headers=auth(COORDINATOR))
    for page in (lead, coordinator):
        assert page.status_code == 200
        assert f'data-view="action" data-id="{found.action.id}"' in page.text
        assert "in progress · 40%" in page.text and 'data-view="actions"' in page.text
    # Ideas that can become actions: those the viewer may plan (the lead: their group's).
    assert f"#{found.ready.id} Evening bus line" in lead.text
    assert "Repair café" not in lead.text
    assert "Repair café" in coordinator.text
    assert (
        'data-view="actions"' not in (await client.get("/api/view/map", headers=auth(LEADER))).text
    )


async def test_ready_ideas_are_the_chats_actionable_ideas(world: World, db: Database) -> None:
    await build_programme(db, world)
    async with db.session() as session:
        for telegram_id in (COORDINATOR, LEAD, LEADER):
            member = await members_service.get_by_telegram_id(session, telegram_id)
            assert member is not None
            chat = await programme_service.actionable_ideas(session, member)
            panel = await programme.ready_ideas(session, member, 10)
            assert [n.id for n in panel] == [c.id for c in chat[:10]]


async def test_an_action_for_anyone_and_a_missing_one(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    found: Programme = await build_programme(db, world)
    page = await client.get(f"/api/view/action?id={found.action.id}", headers=auth(RESIDENT))
    assert page.status_code == 200
    for text in (
        "Forty young people meet employers",
        "Labour office, School",
        "participants",
        "12 / 40 people",
        "Booked the hall",
        f"addresses cause #{found.cause.id}",
    ):
        assert text in page.text, text
    gone = await client.get("/api/view/action?id=9999", headers=auth(RESIDENT))
    assert gone.status_code == 403 and "no longer exists" in gone.text
