"""The panel's HTTP side: who sees what, card moves as in the chat, and the refusals."""

from __future__ import annotations

import httpx
from sqlmodel import select

from bot.config import Settings
from bot.db import Database
from models import AuditEntry, Contribution
from tests.harness import Harness, User, start_harness
from tests.panel.support import (
    COORDINATOR,
    LEAD,
    LEADER,
    PANEL_URL,
    RESIDENT,
    STRANGER,
    World,
    auth,
    demote,
    speaks,
)

PAGES = (
    "overview",
    "board",
    "groups",
    "group",
    "meetings",
    "meeting",
    "map",
    "actions",
    "action",
    "volunteers",
)


async def status_of(db: Database, contribution_id: int) -> str:
    async with db.session() as session:
        found = await session.get(Contribution, contribution_id)
        assert found is not None
        return found.status


async def test_every_data_request_without_valid_init_data_gets_401_and_nothing_else(
    client: httpx.AsyncClient, world: World
) -> None:
    forged = auth(COORDINATOR, token="654321:not-our-token")
    expired = auth(COORDINATOR, age=25 * 3600)
    for headers in ({}, forged, expired, {"Authorization": "Bearer x"}):
        for page in PAGES:
            response = await client.get(f"/api/view/{page}", headers=headers)
            assert (response.status_code, response.content) == (401, b"")
        moved = await client.post(
            f"/api/contributions/{world.idea.id}/status",
            json={"status": "discussion"},
            headers=headers,
        )
        assert (moved.status_code, moved.content) == (401, b"")


async def test_the_shell_is_public_but_holds_no_data(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get("/", headers={"accept-language": "pl-PL,pl;q=0.9"})
    assert page.status_code == 200
    assert "Seniors" not in page.text and "Clara" not in page.text
    assert "Otwórz ten panel z bota" in page.text  # told in the browser's language
    assert "<script>" not in page.text  # scripts only from files (CSP)


async def test_security_headers_on_every_response(client: httpx.AsyncClient, world: World) -> None:
    for response in (
        await client.get("/"),
        await client.get("/static/panel.js"),
        await client.get("/api/view/board", headers=auth(LEAD)),
        await client.get("/api/view/board"),
    ):
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy
        assert "script-src 'self';" in policy  # no telegram.org when its script is off
        assert response.headers["cache-control"] == "no-store"


async def test_someone_who_never_signed_up_is_sent_to_the_bot(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get("/api/view/board", headers=auth(STRANGER))
    assert response.status_code == 403
    assert "send /start" in response.text and "Seniors" not in response.text


async def test_what_each_role_sees(client: httpx.AsyncClient, world: World) -> None:
    coordinator = (await client.get("/api/view/board", headers=auth(COORDINATOR))).text
    lead = (await client.get("/api/view/board", headers=auth(LEAD))).text
    resident = (await client.get("/api/view/board", headers=auth(RESIDENT))).text
    # Everyone registered browses the contributions, as with /browse.
    for text in (coordinator, lead, resident):
        assert "Seniors&#39; café in the library" in text and "No ramp at the clinic" in text
    # Moves: coordinators everywhere, the lead in their own group, residents nowhere.
    assert f'data-move="{world.idea.id}"' in coordinator
    assert f'data-move="{world.barrier.id}"' in coordinator
    assert f'data-move="{world.idea.id}"' in lead
    assert f'data-move="{world.barrier.id}"' not in lead
    assert "data-move" not in resident and "data-reject" not in resident
    # Statistics for leads and coordinators; volunteers (personal data) for coordinators.
    assert "Members per role" in (await client.get("/api/view/overview", headers=auth(LEAD))).text
    overview = (await client.get("/api/view/overview", headers=auth(RESIDENT))).text
    assert "Members per role" not in overview and "Statistics are for" in overview
    volunteers = await client.get("/api/view/volunteers", headers=auth(COORDINATOR))
    assert "+48 600 100 200" in volunteers.text
    for who in (LEAD, RESIDENT):
        refused = await client.get("/api/view/volunteers", headers=auth(who))
        assert refused.status_code == 403 and "+48" not in refused.text
        assert 'data-view="volunteers"' not in lead


async def test_group_members_are_shown_as_in_the_chat(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"/api/view/group?id={world.own_group.id}"
    member_view = (await client.get(url, headers=auth(LEADER))).text
    outsider_view = (await client.get(url, headers=auth(RESIDENT))).text
    assert "Leon Lead" in member_view and "Lena Leader" in member_view
    assert "data-members-hidden" in outsider_view and "<li>Lena Leader</li>" not in outsider_view
    assert "<li>Lena Leader</li>" in member_view
    assert "Planning the café" in member_view  # upcoming meeting of the group


async def test_meeting_answers_names_only_for_those_who_manage_it(
    client: httpx.AsyncClient, world: World
) -> None:
    month = world.meeting.starts_at.strftime("%Y-%m")
    calendar = f"/api/view/meetings?month={month}"
    assert "Planning the café" in (await client.get(calendar, headers=auth(LEAD))).text
    assert "Planning the café" in (await client.get(calendar, headers=auth(LEADER))).text
    # A closed group's meeting: not in a resident's calendar, nor reachable by its id.
    assert "Planning the café" not in (await client.get(calendar, headers=auth(RESIDENT))).text
    one = f"/api/view/meeting?id={world.meeting.id}"
    lead = (await client.get(one, headers=auth(LEAD))).text
    leader = (await client.get(one, headers=auth(LEADER))).text
    resident = await client.get(one, headers=auth(RESIDENT))
    assert "Lena Leader" in lead and "coming: <b>1</b>" in lead
    assert "Lena Leader" not in leader and "coming: <b>1</b>" in leader
    assert resident.status_code == 403 and "Planning" not in resident.text


async def test_a_lead_moves_a_card_and_the_author_is_told(
    client: httpx.AsyncClient, world: World, panel_harness: Harness, db: Database
) -> None:
    panel_harness.calls.clear()
    response = await client.post(
        f"/api/contributions/{world.idea.id}/status",
        json={"status": "discussion"},
        headers=auth(LEAD),
    )
    assert response.status_code == 200 and response.json()["ok"]
    assert await status_of(db, world.idea.id) == "discussion"  # type: ignore[arg-type]
    told = panel_harness.sent_to(LEADER)
    assert told and "is now: under discussion" in told[-1].text
    async with db.session() as session:
        entry = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "contribution.status"))
        ).one()
    assert entry.actor_id == world.lead.id and entry.details["new"] == "discussion"


async def test_rejecting_needs_a_reason_and_the_author_reads_it(
    client: httpx.AsyncClient, world: World, panel_harness: Harness, db: Database
) -> None:
    url = f"/api/contributions/{world.barrier.id}/status"
    empty = await client.post(
        url, json={"status": "rejected", "reason": " "}, headers=auth(COORDINATOR)
    )
    assert empty.status_code == 409 and await status_of(db, world.barrier.id) == "new"  # type: ignore[arg-type]
    done = await client.post(
        url,
        json={"status": "rejected", "reason": "Already planned by the town"},
        headers=auth(COORDINATOR),
    )
    assert done.status_code == 200
    assert "Already planned by the town" in panel_harness.sent_to(LEADER)[-1].text


async def test_a_move_is_checked_like_a_button_press(
    client: httpx.AsyncClient, world: World, panel_harness: Harness, db: Database
) -> None:
    url = f"/api/contributions/{world.barrier.id}/status"
    panel_harness.calls.clear()
    # Not the lead of that group; a resident; a skipped step; a card that is gone.
    for who, body, code in (
        (LEAD, {"status": "discussion"}, 403),
        (RESIDENT, {"status": "discussion"}, 403),
        (COORDINATOR, {"status": "accepted"}, 409),
    ):
        response = await client.post(url, json=body, headers=auth(who))
        assert response.status_code == code, (who, response.text)
    gone = await client.post(
        "/api/contributions/99999/status", json={"status": "discussion"}, headers=auth(COORDINATOR)
    )
    assert gone.status_code == 404
    assert await status_of(db, world.barrier.id) == "new"  # type: ignore[arg-type]
    assert not panel_harness.calls  # nobody was told anything
    # A role taken away counts at once: the role is read on every request.
    await demote(db, LEAD, world)
    response = await client.post(
        f"/api/contributions/{world.idea.id}/status",
        json={"status": "discussion"},
        headers=auth(LEAD),
    )
    assert response.status_code == 403


async def test_state_changes_only_by_post_with_json(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"/api/contributions/{world.idea.id}/status"
    assert (await client.get(url, headers=auth(COORDINATOR))).status_code == 405
    form = await client.post(url, data={"status": "discussion"}, headers=auth(COORDINATOR))
    assert form.status_code == 415  # what a cross-site form could send


async def test_requests_are_limited_per_member(panel_harness: Harness, world: World) -> None:
    from bot.panel.app import RateLimit, create_app

    app = create_app(panel_harness.app, telegram_js=False, rate_limit=RateLimit(0.01, 5))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://panel.test") as http:
        codes = [
            (await http.get("/api/view/groups", headers=auth(RESIDENT))).status_code
            for _ in range(8)
        ]
        assert codes == [200] * 5 + [429] * 3
        # Someone else is not slowed down by it.
        assert (await http.get("/api/view/groups", headers=auth(LEAD))).status_code == 200


def test_the_default_limit_is_ten_a_second_per_member() -> None:
    from bot.panel.app import RateLimit

    limit = RateLimit()
    assert all(limit.allow(1, now=100.0) for _ in range(20))  # a burst of 20
    assert not limit.allow(1, now=100.0)
    assert limit.allow(1, now=100.11)  # 0.1 s later: one more
    assert not limit.allow(1, now=100.11)
    assert limit.allow(2, now=100.11)


async def test_pages_speak_the_members_language(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await speaks(db, LEAD, "pl")
    text = (await client.get("/api/view/board", headers=auth(LEAD))).text
    assert "Tablica" in text or "w dyskusji" in text


async def test_the_panel_command_opens_the_mini_app_for_leads(
    panel_harness: Harness, world: World
) -> None:
    lead = User(LEAD, language_code="en")
    calls = await panel_harness.send(lead, "/panel")
    markup = calls[-1].params["reply_markup"]
    assert PANEL_URL in str(markup) and "web_app" in str(markup)
    refused = await panel_harness.send(User(RESIDENT, language_code="en"), "/panel")
    assert "web_app" not in str(refused[-1].params.get("reply_markup"))


async def test_without_bot_webapp_url_there_is_no_panel(settings: Settings, db: Database) -> None:
    from handlers import all_commands
    from handlers.commands import commands_for
    from models import Role

    assert settings.bot_webapp_url is None
    harness = await start_harness(settings, db)
    try:
        assert "panel" not in {spec.name for spec in all_commands()}
        assert "panel" not in {c.command for c in commands_for(Role.COORDINATOR)}
        calls = await harness.send(User(900001, language_code="en"), "/panel")
        assert "web_app" not in str([c.params for c in calls])
        assert harness.app.post_init is not None
        assert harness.app.post_init.__module__ == "bot.app"  # no server hooked in
    finally:
        await harness.app.shutdown()
