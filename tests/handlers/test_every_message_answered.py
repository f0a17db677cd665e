"""Nothing a person writes in a private chat is met with silence, and every hint keeps its
buttons; old onboarding buttons change nothing once onboarding is finished."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.services import members as members_service
from models import BotState, Member
from tests.handlers.test_hostile_input import STATES, Stage
from tests.harness import STICKER, Harness, User

_next_id = iter(range(7_100_000, 7_200_000))


async def registered(harness: Harness, language: str = "pl") -> User:
    user = User(next(_next_id), language_code=language)
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")
    await harness.send(user, "Anna Łęcka")
    await harness.press(user, "ob:inst:skip")
    return user


async def stored(harness: Harness, telegram_id: int) -> Member | None:
    async with harness.app.bot_data["runtime"].db.session() as session:
        return await members_service.get_by_telegram_id(session, telegram_id)


def replies(calls: list, chat_id: int) -> list:  # type: ignore[type-arg]
    return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id]


@pytest.mark.parametrize(
    ("text", "expected_button"),
    [
        ("dzień dobry, chciałabym pomóc", "Wolontariat"),
        ("Pomocy, nie wiem co robić", "Pomoc"),
        ("Kiedy jest następne spotkanie?", "Spotkania"),
        ("asdfgh", "Grupy"),  # not understood: the main menu
    ],
)
async def test_free_text_outside_a_conversation_gets_buttons(
    harness: Harness, text: str, expected_button: str
) -> None:
    user = await registered(harness)
    calls = replies(await harness.send(user, text), user.id)
    assert len(calls) == 1
    assert any(expected_button in label for label, _ in calls[0].buttons), calls[0].buttons


async def test_menu_and_unknown_commands_answer_with_the_menu(harness: Harness) -> None:
    user = await registered(harness)
    menu = replies(await harness.send(user, "/menu"), user.id)
    assert menu and "Twoja rola" in menu[-1].text and menu[-1].buttons
    unknown = replies(await harness.send(user, "/nieznane"), user.id)
    assert unknown and "Nie znam tego polecenia" in unknown[-1].text and unknown[-1].buttons


async def test_a_stranger_typing_gets_a_start_button_that_starts(harness: Harness) -> None:
    stranger = User(next(_next_id), language_code="pl")
    calls = replies(await harness.send(stranger, "dzień dobry"), stranger.id)
    assert calls, "a stranger's message got no reply"
    start = calls[-1].button("Zaczynamy")
    calls = await harness.press(stranger, start)
    assert "Czy się zgadzasz" in harness.texts(calls)


async def test_a_sticker_outside_a_conversation_is_answered(harness: Harness) -> None:
    user = await registered(harness)
    calls = replies(await harness.send_message(user, sticker=STICKER), user.id)
    assert calls and calls[-1].buttons


async def test_idle_cancel_says_there_was_nothing_to_stop(harness: Harness) -> None:
    user = await registered(harness)
    calls = replies(await harness.send(user, "/cancel"), user.id)
    assert "Nie było nic do przerwania" in calls[-1].text
    assert "zapisane" not in calls[-1].text
    assert calls[-1].buttons


@pytest.mark.parametrize("state", STATES)
async def test_text_and_unknown_commands_are_answered_in_every_state(
    harness: Harness, state: str
) -> None:
    stage = Stage(harness)
    for typed in ("dzień dobry", "/nieznane_polecenie"):
        user = await stage.user_in(state)
        calls = replies(await harness.send(user, typed), user.id)
        assert calls, f"{typed!r} in state {state} got no reply"
        assert calls[-1].params.get("reply_markup"), (
            f"{typed!r} in state {state}: the reply has no buttons: {calls[-1].text!r}"
        )
    assert not [e for e in stage.errors if e is not None]


async def test_typing_at_the_consent_screen_shows_the_consent_buttons_again(
    harness: Harness,
) -> None:
    user = User(next(_next_id), language_code="pl")
    await harness.send(user, "/start")
    calls = replies(await harness.send(user, "tak"), user.id)
    assert calls[-1].button("Zgadzam")


async def test_a_rejected_name_offers_the_telegram_name_again(harness: Harness) -> None:
    user = User(next(_next_id), language_code="pl", first_name="Olena")
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")
    calls = replies(await harness.send(user, "x" * 200), user.id)
    assert calls[-1].button("Olena")


async def test_old_onboarding_buttons_change_nothing_after_onboarding(
    harness: Harness,
) -> None:
    user = User(next(_next_id), language_code="pl", first_name="Olena")
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")
    await harness.send(user, "Olena Kowal")
    await harness.press(user, "ob:inst:skip")
    for data in ("ob:tgname", "ob:inst:0", "ob:consent:y"):
        calls = await harness.press(user, data)
        assert not replies(calls, user.id), f"{data} reopened onboarding"
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answers and "nic nie zosta" in answers[-1].params.get("text", "").lower()
    member = await stored(harness, user.id)
    assert member is not None and member.institution is None
    assert member.display_name == "Olena Kowal"


async def test_declining_consent_keeps_no_language_or_state(harness: Harness) -> None:
    user = User(next(_next_id), language_code="pl")
    await harness.send(user, "/start")
    await harness.press(user, "ob:lang:uk")
    await harness.press(user, "ob:consent:n")
    async with harness.app.bot_data["runtime"].db.session() as session:
        rows = (await session.exec(select(BotState))).all()
    mine = [r for r in rows if str(user.id) in r.key]
    assert all(not r.data for r in mine), [(r.kind, r.key, r.data) for r in mine]
    member = await stored(harness, user.id)
    assert member is not None and member.language is None and member.display_name is None
