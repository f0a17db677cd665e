"""The real bot process: onboarding in Polish and English, invites, language, restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import COORDINATOR_ID, ROOT, TOKEN, BotProcess
from tests.e2e.flows import mark, onboard
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def test_polish_onboarding_and_commands(fake: FakeTelegram, bot: BotProcess) -> None:
    anna = fake.new_user("Anna", "Kowalska", language_code="pl")
    fake.send_text(anna, "/start")
    consent = fake.wait_for_message(anna, contains="Czy się zgadzasz?")
    assert [t for t, _ in consent.buttons][:2] == ["Zgadzam się", "Nie zgadzam się"]
    seen = mark(fake, anna)
    fake.press(anna, consent, text="Zgadzam się")
    prompt = fake.wait_for_message(anna, contains="imię", after=seen)
    fake.press(anna, prompt, callback_data="ob:tgname")
    institution = fake.wait_for_message(anna, contains="Miło")
    fake.press(anna, institution, text="Parafia")
    menu = fake.wait_for_message(anna, contains="Co chcesz zrobić?")
    assert "Anna Kowalska" in menu.text
    assert ("Pomoc", "hp") in menu.buttons
    # Commands were published per language (Polish descriptions for Polish clients).
    fake.wait_for_call("setMyCommands", lambda r: r.params.get("language_code") == "pl")
    polish = dict(fake.commands_for({"type": "all_private_chats"}, language_code="pl"))
    assert polish["language"] == "Zmień język"
    assert "invite" not in polish  # residents don't see coordinators' commands


def test_english_onboarding_and_language_change(fake: FakeTelegram, bot: BotProcess) -> None:
    john = fake.new_user("John", language_code="en")
    menu = onboard(fake, john, "John Smith")
    assert "What would you like to do?" in menu.text
    fake.press(john, menu, text="Language")
    choice = fake.wait_for_message(john, contains="Choose your language")
    fake.press(john, choice, text="Українська")
    fake.wait_for_message(john, contains="Мову змінено на українську")
    count = len(fake.messages(john))
    fake.send_text(john, "/help")
    help_message = fake.wait_for_message(john, contains="/language", after=count)
    assert "Змінити мову" in help_message.text or "мов" in help_message.text


def test_invite_link_from_the_coordinator(fake: FakeTelegram, bot: BotProcess) -> None:
    boss = fake.new_user("Beata", language_code="pl")
    boss_id_check = boss.id
    # BOT_COORDINATORS holds a fixed id; the fake assigns its own, so use the CLI invite.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "invite", "--role", "coordinator", "--uses", "1"],
        env=bot.env,
        cwd=bot.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://t.me/leaders_test_bot?start=i-")
    payload = link.split("start=")[1]
    menu = onboard(fake, boss, "Beata", start=f"/start {payload}")
    fake.wait_for_message(boss, contains="koordynator")
    assert "Co chcesz zrobić?" in menu.text
    invite_button = next(t for t, d in menu.buttons if d == "iv")
    # The coordinator makes a leader invite for the Treasurers, valid 7 days, 5 uses.
    fake.press(boss, menu, text=invite_button)
    step = fake.wait_for_message(boss, contains="Dla kogo", after=time.time() - 5)
    fake.press(boss, step, callback_data="iv:r:leader")
    step = fake.wait_for_message(boss, contains="Do której grupy", after=time.time() - 5)
    fake.press(boss, step, text="Skarbnicy")
    step = fake.wait_for_message(boss, contains="Ile osób", after=time.time() - 5)
    fake.press(boss, step, text="5")
    step = fake.wait_for_message(boss, contains="Jak długo", after=time.time() - 5)
    fake.press(boss, step, text="7 dni")
    card = fake.wait_for_message(
        boss, contains="https://t.me/leaders_test_bot?start=i-", after=time.time() - 5
    )
    qr = fake.wait_for_message(boss, predicate=lambda m: m.photo is not None)
    assert qr.photo is not None and qr.photo.content.startswith(b"\x89PNG")
    leader_payload = card.text.split("start=")[1].split()[0]
    ola = fake.new_user("Ola", language_code="en")
    onboard(fake, ola, "Ola", start=f"/start {leader_payload}")
    welcome = fake.wait_for_message(ola, contains="Treasurers")
    assert "leader" in welcome.text
    assert boss_id_check != COORDINATOR_ID


def test_restart_mid_conversation_continues(fake: FakeTelegram, bot: BotProcess) -> None:
    marta = fake.new_user("Marta", language_code="en")
    fake.send_text(marta, "/start")
    consent = fake.wait_for_message(marta, contains="Do you agree?")
    seen = mark(fake, marta)
    fake.press(marta, consent, text="I agree")
    fake.wait_for_message(marta, contains="name", after=seen)
    bot.kill()  # no graceful shutdown: state must already be in the database
    bot.start()
    count = len(fake.messages(marta))
    fake.send_text(marta, "Marta W.")
    institution = fake.wait_for_message(marta, contains="Nice to meet you, Marta W.", after=count)
    assert any("Skip" in text for text, _ in institution.buttons)


def test_bad_input_and_stale_buttons(fake: FakeTelegram, bot: BotProcess) -> None:
    piotr = fake.new_user("Piotr", language_code="en")
    fake.send_text(piotr, "/start i-this-is-not-a-code")
    fake.wait_for_message(piotr, contains="not valid")
    consent = fake.wait_for_message(piotr, contains="Do you agree?")
    seen = mark(fake, piotr)
    fake.press(piotr, consent, text="I agree")
    fake.wait_for_message(piotr, contains="name", after=seen)
    fake.send_sticker(piotr)
    fake.wait_for_message(piotr, contains="only read text", after=seen)
    fake.send_text(piotr, "x" * 5000)
    fake.wait_for_message(piotr, contains="too long", after=seen)
    before = len(fake.answered_callbacks)
    fake.press_raw(piotr, consent.message_id, piotr.id, "iv:rvc:1:y")
    deadline = time.time() + 10
    while len(fake.answered_callbacks) == before and time.time() < deadline:
        time.sleep(0.05)
    assert len(fake.answered_callbacks) > before


def test_429_is_retried_and_403_marks_unreachable(fake: FakeTelegram, bot: BotProcess) -> None:
    kasia = fake.new_user("Kasia", language_code="en")
    fake.fail_next("sendMessage", count=1, error_code=429, retry_after=1)
    fake.send_text(kasia, "/start")
    fake.wait_for_message(kasia, contains="Do you agree?", timeout=15)
    assert "Traceback" not in bot.log()


def test_token_never_logged_and_webhook_needs_secret(
    fake: FakeTelegram, tmp_path, e2e_database: str
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = BotProcess(fake, tmp_path, e2e_database)
    process.start(
        "--webhook",
        "https://bot.example.org/telegram",
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--secret-token",
        "s3cret-value",
        wait=False,
    )
    try:
        fake.wait_for_call("setWebhook", timeout=30)
        update = json.dumps(
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": False, "first_name": "X"},
                    "text": "/help",
                },
            }
        ).encode()
        url = f"http://127.0.0.1:{port}/telegram"
        request = urllib.request.Request(
            url, data=update, headers={"Content-Type": "application/json"}
        )
        deadline = time.time() + 15
        while True:  # the webhook server may come up a moment after setWebhook
            try:
                urllib.request.urlopen(request, timeout=5)
                raise AssertionError("a request without the secret token was accepted")
            except urllib.error.HTTPError as refused:
                assert refused.code == 403
                break
            except urllib.error.URLError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        request.add_header("X-Telegram-Bot-Api-Secret-Token", "s3cret-value")
        with urllib.request.urlopen(request, timeout=5) as accepted:
            assert accepted.status == 200
    finally:
        process.stop()
    assert TOKEN not in process.log()
    assert str(ROOT)  # keep import used for PYTHONPATH in BotProcess
