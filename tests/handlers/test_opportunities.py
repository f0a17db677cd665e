"""Opportunities through process_update: posting, matching, places, helpers, reminders."""

from __future__ import annotations

from datetime import timedelta

from bot.db import Database
from bot.services import opportunities as opportunities_service
from bot.services import volunteers as volunteers_service
from handlers.opportunities import send_due_reminders, wait_for_notifications
from models import utcnow
from tests.harness import Harness, User
from tests.helpers_volunteers import add_members, register

BOSS = User(900001, first_name="Boss", language_code="en")


async def test_opportunity_reaches_matching_volunteers_and_fills_up(
    harness: Harness, db: Database
) -> None:
    await register(harness, BOSS, "Boss")
    people = await add_members(db, range(800, 805))
    streets = harness.app.bot_data["runtime"].profile.streets
    async with db.session() as session:
        for index, member in enumerate(people):
            areas = ["youth"] if index < 4 else ["employment"]
            draft = volunteers_service.Draft(name=f"V{index}", areas=areas)
            await volunteers_service.save(session, member, draft, streets)

    calls = await harness.press(BOSS, "op")
    calls = await harness.press(BOSS, calls[-1].button("New opportunity"))
    calls = await harness.send(BOSS, "Painting the school fence")
    assert len(calls[-1].buttons) == 4  # quick times: tomorrow 10/17, Saturday, Sunday
    calls = await harness.send(BOSS, "next Saturday 10:00")
    calls = await harness.press(BOSS, calls[-1].button("Hallera"))
    calls = await harness.press(BOSS, calls[-1].button("2"))
    calls = await harness.press(BOSS, calls[-1].button("children and youth"))
    assert "Telling 4 matching volunteers now" in harness.texts(calls)
    await wait_for_notifications(harness.app)
    invitations = {c.chat_id: c for c in harness.calls if "Volunteers needed" in c.text}
    assert set(invitations) == {800, 801, 802, 803}  # 804 is interested in employment only

    first, second, third = (User(tid, language_code="en") for tid in (800, 801, 802))
    calls = await harness.press(first, invitations[800].button("I'll help"))
    assert "You are signed up" in harness.texts(calls)
    calls = await harness.press(first, "op")
    assert "✅ Painting the school fence" in calls[-1].text and "(1/2)" in calls[-1].text
    assert "I can't come" in str(calls[-1].buttons)
    assert (
        "V0 signed up" in harness.last(BOSS.id).text or "Person 800" in harness.last(BOSS.id).text
    )
    await harness.press(second, invitations[801].button("I'll help"))
    assert "All places are taken" in harness.last(BOSS.id).text
    calls = await harness.press(third, invitations[802].button("I'll help"))
    assert calls[-1].method == "answerCallbackQuery"
    assert "all places are taken" in calls[-1].params["text"]

    calls = await harness.press(BOSS, harness.last(BOSS.id).button("Helpers"))
    helpers = calls[-1].text
    assert "Person 800" in helpers and "Person 801" in helpers and "Person 802" not in helpers
    assert "Places taken: 2 of 2" in helpers

    # Reminders: the 1 h one goes out once, to the two who signed up.
    async with db.session() as session:
        opportunity = (await opportunities_service.upcoming(session))[0]
    before = opportunity.starts_at - timedelta(minutes=30)
    assert await send_due_reminders(harness.app, now=before) == 2
    assert await send_due_reminders(harness.app, now=before + timedelta(minutes=1)) == 0
    assert "Reminder" in harness.last(801).text
    assert await send_due_reminders(harness.app, now=utcnow()) == 0

    # Cancelled: the two helpers are told, and nobody can sign up any more.
    calls = await harness.press(BOSS, f"op:v:{opportunity.id}")
    calls = await harness.press(BOSS, calls[-1].button("Cancel this opportunity"))
    await harness.press(BOSS, calls[-1].button("Yes, cancel"))
    assert "2 helpers are being told" in harness.last(BOSS.id).text
    await wait_for_notifications(harness.app)
    assert "will not take place" in harness.last(800).text
    assert "will not take place" in harness.last(801).text
    calls = await harness.press(third, invitations[802].button("I'll help"))
    assert "no longer exists" in calls[-1].params["text"]


async def test_residents_cannot_post_and_past_dates_are_refused(harness: Harness) -> None:
    resident = User(810, language_code="en")
    await register(harness, resident, "Res")
    calls = await harness.press(resident, "op:new")
    assert "only coordinators" in str(calls[-1].params)
    await register(harness, BOSS, "Boss")
    await harness.press(BOSS, "op:new")
    await harness.send(BOSS, "Help")
    calls = await harness.send(BOSS, "1.01.2020 10:00")
    assert "already passed" in calls[-2].text
    assert calls[-1].button("10:00")  # the quick times again under the hint
    calls = await harness.send(BOSS, "whenever you like")
    assert "could not read that date" in calls[-2].text and calls[-1].button("10:00")


def test_quick_times_are_the_next_days_in_local_time() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from handlers.opportunities.posting import _quick_times

    zone = ZoneInfo("Europe/Warsaw")
    thursday = datetime(2026, 11, 26, 13, 0, tzinfo=zone)
    assert _quick_times(zone, thursday) == [
        datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    ]
    saturday = datetime(2026, 11, 28, 8, 0, tzinfo=zone)
    assert _quick_times(zone, saturday)[2] == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


async def test_signing_up_and_withdrawing_25_times_tells_the_poster_once(
    harness: Harness, db: Database
) -> None:
    await register(harness, BOSS, "Boss")
    await add_members(db, [870])
    async with db.session() as session:
        from bot.services import members as members_service

        boss = await members_service.get_by_telegram_id(session, BOSS.id)
        assert boss is not None
        opportunity = await opportunities_service.create(
            session,
            boss,
            title="Festyn",
            starts_at=utcnow() + timedelta(days=3),
            place="Park",
            places=5,
            area_id=None,
        )
    user = User(870, language_code="en")
    before = len(harness.sent_to(BOSS.id))
    for _ in range(25):
        await harness.press(user, f"op:in:{opportunity.id}")
        await harness.press(user, f"op:out:{opportunity.id}")
    cards = [c for c in harness.sent_to(BOSS.id)[before:] if "signed up for" in c.text]
    assert len(cards) == 1, f"the poster got {len(cards)} notifications"
