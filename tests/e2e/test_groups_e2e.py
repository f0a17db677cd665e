"""The real bot process and working groups: joining a team, a linked group chat, forgery."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import BotProcess
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def invite_payload(bot: BotProcess, role: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "invite", "--role", role, "--uses", "1"],
        env=bot.env,
        cwd=bot.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("start=")[1]


def sign_up(fake: FakeTelegram, user, name: str, payload: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """English onboarding, through an invite when a payload is given; ends at the menu."""
    fake.send_text(user, f"/start {payload}" if payload else "/start")
    consent = fake.wait_for_message(user, contains="Do you agree?")
    seen = len(fake.messages(user))
    fake.press(user, consent, text="I agree")
    fake.wait_for_message(user, contains="name", after=seen)
    seen = len(fake.messages(user))
    fake.send_text(user, name)
    institution = fake.wait_for_message(user, contains=name, after=seen)
    fake.press(user, institution, text="Skip")
    fake.wait_for_message(user, contains="What would you like to do?")


def test_leader_joins_and_leaves_a_team(fake: FakeTelegram, bot: BotProcess) -> None:
    ewa = fake.new_user("Ewa", language_code="en")
    sign_up(fake, ewa, "Ewa", invite_payload(bot, "leader"))
    menu = fake.wait_for_message(ewa, contains="What would you like to do?")
    since = time.time()
    fake.press(ewa, menu, text="Groups")
    listing = fake.wait_for_message(ewa, contains="Working groups", after=since)
    assert "Mediators" in listing.text
    since = time.time()
    fake.press(ewa, listing, text="Mediators")
    page = fake.wait_for_message(ewa, contains="barriers", after=since)
    since = time.time()
    fake.press(ewa, page, text="Join")
    page = fake.wait_for_message(ewa, contains="You are a member of this group", after=since)
    assert "1 member" in page.text
    since = time.time()
    fake.press(ewa, page, text="Leave the group")
    page = fake.wait_for_message(ewa, contains="0 members", after=since)
    assert "You are a member" not in page.text and any(t == "Join" for t, _ in page.buttons)


def test_group_chat_is_linked_and_receives_a_post(fake: FakeTelegram, bot: BotProcess) -> None:
    beata = fake.new_user("Beata", language_code="en")
    rysiek = fake.new_user("Rysiek", language_code="en")
    sign_up(fake, beata, "Beata", invite_payload(bot, "coordinator"))
    sign_up(fake, rysiek, "Rysiek")
    chat = fake.new_group("Skarbnicy", admins=[beata], members=[rysiek])
    fake.add_bot_to_group(chat, beata)
    # A resident who is no admin is refused.
    fake.send_text(rysiek, "/link", chat=chat)
    refusal = fake.wait_for_message(chat, contains="administrator")
    assert refusal.buttons == []
    fake.send_text(beata, "/link", chat=chat)
    picker = fake.wait_for_message(chat, contains="Which working group")
    fake.press(beata, picker, text="Treasurers", chat=chat)
    # The announcement is posted in the programme's language (Polish by default).
    fake.wait_for_message(chat, contains="podłączony do grupy Skarbnicy")
    since = time.time()
    fake.send_text(beata, "/unlink", chat=chat)
    fake.wait_for_message(chat, contains="no longer linked with Treasurers", after=since)


def test_forged_archive_callback_is_refused(fake: FakeTelegram, bot: BotProcess) -> None:
    rysiek = fake.new_user("Rysiek", language_code="en")
    sign_up(fake, rysiek, "Rysiek")
    menu = fake.wait_for_message(rysiek, contains="What would you like to do?")
    before = len(fake.answered_callbacks)
    fake.press_raw(rysiek, menu.message_id, rysiek.id, "gr:arc:1:y")
    deadline = time.time() + 10
    while len(fake.answered_callbacks) == before and time.time() < deadline:
        time.sleep(0.05)
    answer = fake.answered_callbacks[-1]
    assert answer.show_alert and "only coordinators" in (answer.text or "")
    since = time.time()
    fake.send_text(rysiek, "/groups")
    listing = fake.wait_for_message(rysiek, contains="Working groups", after=since)
    assert "Treasurers" in listing.text  # nothing was archived
