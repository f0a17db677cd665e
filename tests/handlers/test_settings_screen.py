"""/settings is no dead end: residents see why there is no digest switch; leaders switch it."""

from __future__ import annotations

from bot.services import members as members_service
from models import Role
from tests.handlers.test_every_message_answered import registered
from tests.harness import Harness


async def test_a_resident_sees_the_language_and_why_there_is_no_digest(harness: Harness) -> None:
    user = await registered(harness)
    calls = await harness.send(user, "/settings")
    text = harness.texts(calls)
    assert "Język: Polski" in text and "zespołu liderów" in text
    assert calls[-1].button("Język")
    assert not [b for b, _ in calls[-1].buttons if "Podsumowanie" in b]


async def test_a_leader_turns_the_digest_off_and_on(harness: Harness) -> None:
    user = await registered(harness)
    async with harness.app.bot_data["runtime"].db.session() as session:
        member = await members_service.get_by_telegram_id(session, user.id)
        assert member is not None
        await members_service.set_role(session, member, Role.LEADER)
    calls = await harness.send(user, "/settings")
    await harness.press(user, calls[-1].button("wyłącz"))
    screen = harness.last(user.id, "editMessageText")
    assert screen.button("Podsumowanie: włącz")
    assert not [b for b, _ in screen.buttons if "wyłącz" in b]
