"""The real bot process: volunteer sign-up, filters, opportunities, and a broadcast that
survives SIGKILL halfway without anyone receiving it twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from bot.broadcasting import CONCURRENCY
from bot.db import Database
from models import BroadcastRecipient, Member, RecipientState, Role, Volunteer, utcnow
from tests.e2e.conftest import BotProcess
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e
MARK = "Sprzątanie"


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


async def _add_members(url: str, people: list[tuple[int, str, str]]) -> None:
    """(telegram id, name, role) as if each had gone through /start."""
    database = Database(url)
    async with database.session() as session:
        session.add_all(
            Member(
                telegram_id=tid, display_name=name, language="en", role=role, consent_at=utcnow()
            )
            for tid, name, role in people
        )
    await database.dispose()


async def _recipients(url: str) -> dict[int, tuple[str, int | None]]:
    database = Database(url)
    async with database.session() as session:
        rows = await session.exec(
            select(
                BroadcastRecipient.chat_id, BroadcastRecipient.state, BroadcastRecipient.message_id
            )
        )
        result = {chat: (state, message_id) for chat, state, message_id in rows.all()}
    await database.dispose()
    return result


def _broadcasts_received(fake: FakeTelegram) -> Counter[int]:
    """Per chat, how many copies of the broadcast the fake server accepted."""
    return Counter(
        int(r.params["chat_id"])
        for r in fake.calls("sendMessage", ok=True)
        if MARK in str(r.params.get("text")) and "chat_id" in r.params
    )


def test_broadcast_survives_sigkill_halfway(
    fake: FakeTelegram, tmp_path: Path, e2e_database: str
) -> None:
    # ~40/s from the engine, 30/s from PTB's limiter: 200 messages take several seconds.
    bot = BotProcess(fake, tmp_path, e2e_database, BROADCAST_RATE="40").start()
    try:
        boss = fake.new_user("Beata", language_code="en")
        residents = [fake.new_user(f"R{i}", language_code="en") for i in range(199)]
        run(
            _add_members(
                e2e_database,
                [(boss.id, "Beata", Role.COORDINATOR)]
                + [(u.id, f"Resident {i}", Role.RESIDENT) for i, u in enumerate(residents)],
            )
        )
        fake.send_text(boss, "/broadcast")
        screen = fake.wait_for_message(boss, contains="Broadcasts")
        fake.press(boss, screen, text="New broadcast")
        audience = fake.wait_for_message(boss, contains="Who should get", after=time.time() - 5)
        fake.press(boss, audience, text="Everyone")
        fake.wait_for_message(boss, contains="200 people", after=time.time() - 5)
        seen = len(fake.messages(boss))
        fake.send_text(boss, f"<b>{MARK}</b> w sobotę o 10:00 &amp; grill!")
        summary = fake.wait_for_message(boss, contains="It will go to 200 people", after=seen)
        blocked = residents[:10]
        fake.press(boss, summary, text="Send now")
        for user in blocked:  # they block the bot while it is sending
            fake.block_user(user)
        fake.fail_next("sendMessage", count=3, error_code=429, retry_after=1)

        deadline = time.time() + 60
        while sum(_broadcasts_received(fake).values()) < 100:
            assert time.time() < deadline, bot.log()[-3000:]
            time.sleep(0.02)
        bot.kill()
        at_kill = _broadcasts_received(fake)
        assert 100 <= sum(at_kill.values()) < 190, "the kill must land halfway"
        bot.start()
        report = fake.wait_for_message(boss, contains="is finished", timeout=60)
    finally:
        bot.stop()

    received = _broadcasts_received(fake)
    received[boss.id] -= 1  # the author's preview
    rows = run(_recipients(e2e_database))
    assert len(rows) == 200
    assert max(received.values()) == 1, "somebody received it twice"
    states = Counter(state for state, _ in rows.values())
    final = {RecipientState.SENT, RecipientState.BLOCKED, RecipientState.UNCERTAIN}
    assert set(states) <= final, states
    for chat, (state, message_id) in rows.items():
        if state == RecipientState.SENT:
            assert received[chat] == 1 and message_id, f"{chat} recorded sent, never received"
        if state == RecipientState.BLOCKED:
            assert received[chat] == 0
    # Only sends in flight at the kill can be uncertain; blocked ones got 403s.
    assert states[RecipientState.UNCERTAIN] <= CONCURRENCY
    assert states[RecipientState.BLOCKED] + states[RecipientState.UNCERTAIN] >= 10
    assert {u.id for u in blocked} >= {c for c, (s, _) in rows.items() if s == "blocked"}
    assert "Blocked the bot" in report.text
    assert f"Delivered: {states[RecipientState.SENT]} of 200" in report.text
    if states[RecipientState.UNCERTAIN]:
        assert "Uncertain" in report.text and "check with them" in report.text


def test_signup_with_shared_contact_and_street_filter(fake: FakeTelegram, bot: BotProcess) -> None:
    boss = fake.new_user("Beata", language_code="en")
    anna = fake.new_user("Anna", language_code="en")
    run(
        _add_members(
            bot.env["DATABASE_URL"],
            [(boss.id, "Beata", Role.COORDINATOR), (anna.id, "Anna Nowak", Role.RESIDENT)],
        )
    )
    fake.send_text(anna, "/volunteer")
    name = fake.wait_for_message(anna, contains="What name")
    fake.press(anna, name, text="Use “Anna Nowak”")
    phone = fake.wait_for_message(anna, contains="Share your number")
    assert "Share my phone number" in fake.current_keyboard(anna)
    seen = len(fake.messages(anna))
    fake.share_contact(anna, "+48600100200", own=False)
    fake.wait_for_message(anna, contains="someone else's contact", after=seen)
    fake.share_contact(anna, "+48600100200")
    street = fake.wait_for_message(anna, contains="Which street")
    assert fake.current_keyboard(anna) == []  # the contact keyboard is gone
    fake.press(anna, street, text="Mickiewicza")
    skills = fake.wait_for_message(anna, contains="What can you do")
    fake.press(anna, skills, text="cooking")
    fake.press(anna, skills, callback_data="vo:sk:ok")
    areas = fake.wait_for_message(anna, contains="Which problems", after=time.time() - 5)
    fake.press(anna, areas, callback_data="vo:ar:ok")
    when = fake.wait_for_message(anna, contains="When can you", after=time.time() - 5)
    fake.press(anna, when, text="weekends")
    fake.press(anna, when, callback_data="vo:av:ok")
    review = fake.wait_for_message(anna, contains="Please check", after=time.time() - 5)
    assert "+48600100200" in review.text and phone is not None
    fake.press(anna, review, text="Send")
    fake.wait_for_message(anna, contains="Thank you for offering", after=time.time() - 5)

    fake.send_text(boss, "/volunteers")
    filters = fake.wait_for_message(boss, contains="Choose filters")
    fake.press(boss, filters, callback_data="vs:fs")
    streets = fake.wait_for_message(boss, contains="Choose:", after=time.time() - 5)
    fake.press(boss, streets, text="Paderewskiego")
    empty = fake.wait_for_message(boss, contains="Choose filters", after=time.time() - 5)
    assert ("Show 0 volunteers", "vs:ls:0") in empty.buttons
    fake.press(boss, empty, callback_data="vs:fs")
    streets = fake.wait_for_message(boss, contains="Choose:", after=time.time() - 5)
    fake.press(boss, streets, text="Mickiewicza")
    one = fake.wait_for_message(boss, contains="Choose filters", after=time.time() - 5)
    fake.press(boss, one, text="Show 1 volunteer")
    listing = fake.wait_for_message(boss, contains="Anna Nowak", after=time.time() - 5)
    fake.press(boss, listing, text="Anna Nowak")
    card = fake.wait_for_message(boss, contains="+48600100200", after=time.time() - 5)
    mentions = [e for e in card.entities if e["type"] == "text_mention"]
    assert [e["user"]["id"] for e in mentions] == [anna.id]  # "write to them" link

    async def stored() -> Volunteer | None:
        database = Database(bot.env["DATABASE_URL"])
        async with database.session() as session:
            found = (await session.exec(select(Volunteer))).first()
        await database.dispose()
        return found

    volunteer = run(stored())
    assert volunteer is not None and volunteer.street == "Mickiewicza"


async def _add_volunteers(url: str, people: list[tuple[int, str]]) -> None:
    database = Database(url)
    async with database.session() as session:
        for tid, name in people:
            member = Member(telegram_id=tid, display_name=name, language="en", consent_at=utcnow())
            session.add(member)
            await session.flush()
            session.add(Volunteer(member_id=member.id, name=name, areas=["youth"]))  # type: ignore[arg-type]
    await database.dispose()


def test_opportunity_fills_up(fake: FakeTelegram, bot: BotProcess) -> None:
    url = bot.env["DATABASE_URL"]
    boss = fake.new_user("Beata", language_code="en")
    ela, olek = fake.new_user("Ela", language_code="en"), fake.new_user("Olek", language_code="en")
    run(_add_members(url, [(boss.id, "Beata", Role.COORDINATOR)]))
    run(_add_volunteers(url, [(ela.id, "Ela"), (olek.id, "Olek")]))
    fake.send_text(boss, "/start")
    menu = fake.wait_for_message(boss, contains="What would you like to do?")
    fake.press(boss, menu, callback_data="op")
    screen = fake.wait_for_message(
        boss, contains="Volunteering opportunities", after=time.time() - 5
    )
    fake.press(boss, screen, text="New opportunity")
    fake.wait_for_message(boss, contains="What is the help needed", after=time.time() - 5)
    seen = len(fake.messages(boss))
    fake.send_text(boss, "Painting the fence")
    when = fake.wait_for_message(boss, contains="When?", after=seen)
    fake.press(boss, when, callback_data="op:qd:1")  # tomorrow 17:00
    where = fake.wait_for_message(boss, contains="Where?", after=seen)
    fake.press(boss, where, callback_data="op:dp")
    places = fake.wait_for_message(boss, contains="How many volunteers", after=time.time() - 5)
    fake.press(boss, places, text="1")
    area = fake.wait_for_message(boss, contains="Which problem area", after=time.time() - 5)
    fake.press(boss, area, callback_data="op:ar:0")
    fake.wait_for_message(boss, contains="Telling 2 matching volunteers", after=time.time() - 5)
    offer_ela = fake.wait_for_message(ela, contains="Volunteers needed")
    offer_olek = fake.wait_for_message(olek, contains="Volunteers needed")
    fake.press(ela, offer_ela, text="I'll help")
    fake.wait_for_message(ela, contains="You are signed up", after=time.time() - 5)
    fake.wait_for_message(boss, contains="All places are taken", after=time.time() - 5)
    before = len(fake.answered_callbacks)
    fake.press(olek, offer_olek, text="I'll help")
    deadline = time.time() + 10
    while len(fake.answered_callbacks) == before:
        assert time.time() < deadline
        time.sleep(0.05)
    refusal = fake.answered_callbacks[-1]
    assert refusal.show_alert and "all places are taken" in (refusal.text or "")
