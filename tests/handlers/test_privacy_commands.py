"""Anyone with any stored row may see (/mydata) and erase (/forget) it: also people who
consented but never gave a name, and people who declined."""

from __future__ import annotations

import json

from bot.services import members as members_service
from tests.harness import Harness, User


def _document(calls: list) -> dict:  # type: ignore[type-arg]
    sent = [c for c in calls if c.method == "sendDocument"]
    assert sent, "no file was sent"
    return json.loads(next(iter(sent[-1].files.values())))


async def _stored(harness: Harness, telegram_id: int) -> object:
    async with harness.app.bot_data["runtime"].db.session() as session:
        return await members_service.get_by_telegram_id(session, telegram_id)


async def test_consented_without_a_name_can_see_and_erase(harness: Harness) -> None:
    user = User(8201, language_code="en")
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")  # the name question is left unanswered
    calls = await harness.send(user, "/mydata")
    data = _document(calls)
    assert data["member"]["telegram_id"] == 8201 and data["member"]["consent_at"]
    assert "not a phone number" in harness.texts(calls)
    calls = await harness.send(user, "/forget")
    calls = await harness.press(user, calls[-1].button("Yes, erase"))
    assert "erased" in harness.texts(calls)
    assert await _stored(harness, 8201) is None


async def test_someone_who_declined_can_erase_the_telegram_number(harness: Harness) -> None:
    user = User(8202, language_code="en")
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:n")
    calls = await harness.send(user, "/mydata")
    assert _document(calls)["member"]["telegram_id"] == 8202
    calls = await harness.send(user, "/forget")
    await harness.press(user, calls[-1].button("Yes, erase"))
    assert await _stored(harness, 8202) is None


async def test_a_stranger_is_told_nothing_is_kept(harness: Harness) -> None:
    user = User(8203, language_code="en")
    calls = await harness.send(user, "/mydata")
    assert "I keep nothing about you" in harness.texts(calls)
    assert not [c for c in calls if c.method == "sendDocument"]
    assert await _stored(harness, 8203) is None


async def test_right_after_onboarding_no_drafts_are_reported(harness: Harness) -> None:
    user = User(8204, language_code="en")
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")
    await harness.send(user, "Ola Nowak")
    await harness.press(user, "ob:inst:skip")
    calls = await harness.send(user, "/mydata")
    assert "Unfinished conversations" not in harness.texts(calls)
