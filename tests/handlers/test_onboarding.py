"""Onboarding through process_update: consent, name, institution, invites, language."""

from __future__ import annotations

from sqlmodel import select

from bot.services import invites as invites_service
from models import Member, Role
from tests.harness import STICKER, Harness, User


async def member(harness: Harness, telegram_id: int) -> Member | None:
    async with harness.app.bot_data["runtime"].db.session() as session:
        return (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).first()


async def test_polish_onboarding_to_main_menu(harness: Harness) -> None:
    anna = User(501, language_code="pl")
    calls = await harness.send(anna, "/start")
    consent = calls[-1]
    assert "Czy się zgadzasz" in consent.text
    stored = await member(harness, 501)
    assert stored is not None and stored.display_name is None and stored.consent_at is None

    await harness.press(anna, consent.button("Zgadzam"))
    prompt = harness.last(501, "sendMessage")
    assert "imię" in prompt.text.lower()

    await harness.send(anna, "Anna Kowalska")
    institution = harness.last(501)
    await harness.press(anna, institution.button("MOPS"))
    menu = harness.last(501)
    assert "Anna Kowalska" in menu.text
    assert any("Pomoc" in text for text, _ in menu.buttons)
    stored = await member(harness, 501)
    assert stored is not None
    assert stored.display_name == "Anna Kowalska"
    assert stored.institution and "MOPS" in stored.institution
    assert stored.consent_at is not None and stored.language == "pl"


async def test_declining_keeps_only_the_telegram_id(harness: Harness) -> None:
    olek = User(502, language_code="en")
    calls = await harness.send(olek, "/start")
    assert "Do you agree?" in calls[-1].text
    calls = await harness.press(olek, calls[-1].button("don't agree"))
    assert "change your mind" in harness.texts(calls)
    stored = await member(harness, 502)
    assert stored is not None
    assert (stored.display_name, stored.institution, stored.consent_at, stored.language) == (
        None,
        None,
        None,
        None,
    )


async def test_bad_names_are_refused_kindly_and_change_nothing(harness: Harness) -> None:
    user = User(503, language_code="en")
    calls = await harness.send(user, "/start")
    await harness.press(user, calls[-1].button("I agree"))
    calls = await harness.send(user, "x" * 5000)
    assert "too long" in harness.texts(calls)
    calls = await harness.send(user, "🙂🙂🙂")
    assert "at least one letter" in harness.texts(calls)
    calls = await harness.send_message(user, sticker=STICKER)
    assert "only read text" in harness.texts(calls)
    stored = await member(harness, 503)
    assert stored is not None and stored.display_name is None
    calls = await harness.send(user, "  Olek  ")
    assert "Olek" in harness.texts(calls)


async def test_commands_before_consent_ask_to_start(harness: Harness) -> None:
    calls = await harness.send(User(504, language_code="en"), "/invite")
    assert "/start" in harness.texts(calls)


async def test_invite_link_makes_a_leader_of_a_team(harness: Harness) -> None:
    runtime = harness.app.bot_data["runtime"]
    async with runtime.db.session() as session:
        group = await invites_service.group_by_slug(session, "treasurers")
        invite = await invites_service.create_invite(session, role=Role.LEADER, group=group)
    user = User(505, language_code="en")
    calls = await harness.send(user, f"/start {invites_service.payload_for(invite)}")
    await harness.press(user, calls[-1].button("I agree"))
    await harness.send(user, "Ewa")
    calls = await harness.press(user, harness.last(505).button("Skip"))
    text = harness.texts(calls)
    assert "leader" in text and "Treasurers" in text
    stored = await member(harness, 505)
    assert stored is not None and stored.role == Role.LEADER


async def test_garbled_invite_gets_a_clear_reply(harness: Harness) -> None:
    calls = await harness.send(User(506, language_code="en"), "/start i-garbled!!")
    assert "not valid" in harness.texts(calls)


async def test_language_change_switches_replies(harness: Harness) -> None:
    user = User(507, language_code="pl")
    calls = await harness.send(user, "/start")
    await harness.press(user, calls[-1].button("Zgadzam"))
    await harness.send(user, "Iryna")
    await harness.press(user, harness.last(507).button("Pomiń"))
    await harness.send(user, "/language")
    calls = await harness.press(user, "lg:set:uk")
    assert "українськ" in harness.texts(calls).lower()
    stored = await member(harness, 507)
    assert stored is not None and stored.language == "uk"
    calls = await harness.send(user, "/help")
    assert "/start" in calls[-1].text and "/invite" not in calls[-1].text


async def test_stale_button_answers_and_changes_nothing(harness: Harness) -> None:
    calls = await harness.press(User(508, language_code="en"), "zz:gone:1")
    assert calls[-1].method == "answerCallbackQuery"
    assert "no longer available" in calls[-1].params.get("text", "")


async def test_coordinator_from_settings_gets_invite_menu(harness: Harness) -> None:
    boss = User(900001, language_code="en")
    calls = await harness.send(boss, "/start")
    await harness.press(boss, calls[-1].button("I agree"))
    await harness.send(boss, "Coordinator")
    await harness.press(boss, harness.last(900001).button("Skip"))
    assert any("Invite" in t for t, _ in harness.last(900001).buttons)
    commands = [c for c in harness.calls if c.method == "setMyCommands"]
    assert commands and "invite" in str(commands[-1].params["commands"])
    calls = await harness.send(boss, "/help")
    assert "/invite" in calls[-1].text
