# PTB types most Update/Message fields as optional; these tests know which are set.
# mypy: disable-error-code="union-attr, operator, arg-type, index"
"""The test-facing side: acting as users, reading and waiting, and the guard rails that make
a wrong test fail loudly."""

from __future__ import annotations

import threading
import time

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden

from tests.fake_telegram import FakeTelegram

from .conftest import TOKEN


def menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Tak", callback_data="yes")],
            [InlineKeyboardButton("Strona", url="https://example.org")],
        ]
    )


async def test_press_requires_a_button_on_the_current_keyboard(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna, bartek = server.new_user("Anna"), server.new_user("Bartek")
    sent = await bot.send_message(anna.id, "Pytanie", reply_markup=menu())
    message = server.last_message(anna)
    assert message is not None and message.buttons == [
        ("Tak", "yes"),
        ("Strona", "https://example.org"),
    ]

    with pytest.raises(AssertionError, match="no button"):
        server.press(anna, message, callback_data="no")
    with pytest.raises(AssertionError, match="no button"):
        server.press(anna, message, text="Nie")
    with pytest.raises(AssertionError, match="sends no callback query"):
        server.press(anna, message, text="Strona")
    with pytest.raises(AssertionError, match="can't see"):
        server.press(bartek, message, callback_data="yes")

    update_id = server.press(anna, message, text="Tak")
    (update,) = await bot.get_updates()
    assert update.update_id == update_id
    assert update.callback_query.data == "yes"
    assert update.callback_query.message.text == "Pytanie"

    # The keyboard is gone after an edit without reply_markup: the old snapshot can't be used.
    await bot.edit_message_text("Dziękuję", anna.id, sent.message_id)
    with pytest.raises(AssertionError, match="no button"):
        server.press(anna, message, callback_data="yes")
    await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(AssertionError, match="does not exist"):
        server.press(anna, sent.message_id, callback_data="yes")

    # Forged data and stale messages still reach the bot through press_raw.
    server.press_raw(anna, sent.message_id, anna.id, "forged:1")
    server.press_raw(anna, 999, anna.id, "ghost")
    updates = await bot.get_updates(offset=update_id + 1)
    assert [u.callback_query.data for u in updates] == ["forged:1", "ghost"]
    assert updates[1].callback_query.message.date.timestamp() == 0  # InaccessibleMessage


async def test_user_message_kinds_parse_in_ptb(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna, other = server.new_user("Anna", "Nowak", "anna_n"), server.new_user("Olek")
    first = server.send_text(anna, "/start ref123")
    server.send_sticker(anna)
    server.send_document(anna, "lista.xlsx", b"PK\x03\x04", caption="lista")
    server.send_voice(anna, duration=3)
    server.send_location(anna, 53.0, 18.6)
    server.share_contact(anna, "+48600100200")
    server.share_contact(anna, "+48600999999", own=False)
    server.forward_text(anna, "przekazane", from_user=other)
    edited = server.edited_message(first, "/start ref456")

    updates = await bot.get_updates()
    assert len(updates) == 9
    start = updates[0].message
    assert start.text == "/start ref123" and start.from_user.username == "anna_n"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert updates[1].message.sticker.emoji == "👍"
    assert updates[2].message.document.file_name == "lista.xlsx"
    assert updates[2].message.document.mime_type.endswith("spreadsheetml.sheet")
    assert updates[3].message.voice.to_dict()["duration"] == 3
    assert (updates[4].message.location.latitude, updates[4].message.location.longitude) == (
        53.0,
        18.6,
    )
    assert updates[5].message.contact.user_id == anna.id
    assert updates[6].message.contact.user_id != anna.id
    assert updates[7].message.forward_origin.sender_user.id == other.id
    assert updates[8].update_id == edited
    assert updates[8].edited_message.text == "/start ref456"
    assert updates[8].edited_message.message_id == start.message_id

    file = await bot.get_file(updates[2].message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04"


async def test_groups_commands_and_privacy_mode(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna, bartek, outsider = server.new_user("Anna"), server.new_user("Bartek"), server.new_user()
    group = server.new_group("Liderzy", admins=[anna], members=[bartek])
    with pytest.raises(AssertionError, match="add_bot_to_group"):
        server.send_text(anna, "/help", chat=group)
    server.add_bot_to_group(group, by=anna)
    with pytest.raises(AssertionError, match="not a member"):
        server.send_text(outsider, "/help", chat=group)

    # With privacy mode on (the default) plain chatter never reaches the bot.
    assert server.send_text(bartek, "zwykła rozmowa", chat=group) is None
    assert server.send_text(bartek, "/help@other_bot", chat=group) is None
    command = server.send_text(bartek, "/help@leaders_test_bot", chat=group)
    mention = server.send_text(bartek, "hej @leaders_test_bot", chat=group)
    sent = await bot.send_message(group.id, "Pytanie?")
    reply = server.send_text(anna, "odpowiedź", chat=group, reply_to=sent.message_id)

    updates = await bot.get_updates()
    by_id = {u.update_id: u for u in updates}
    assert by_id[command].message.text == "/help@leaders_test_bot"
    assert by_id[command].message.chat.id == group.id
    assert by_id[mention].message.entities[0].type == "mention"
    assert by_id[reply].message.reply_to_message.message_id == sent.message_id
    texts = [m.text for m in server.messages(group, include_user_messages=True)]
    assert "zwykła rozmowa" in texts  # stored, just not delivered


async def test_wait_for_message_sees_new_messages_and_edits(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna = server.new_user("Anna")
    sent = await bot.send_message(anna.id, "Ładowanie…")
    count = len(server.messages(anna))
    mark = time.time()
    await bot.edit_message_text("Gotowe: 3 zadania", anna.id, sent.message_id)
    edited = server.wait_for_message(anna, contains="Gotowe", after=mark, timeout=2)
    assert edited.message_id == sent.message_id and edited.edits[0].text == "Ładowanie…"
    with pytest.raises(AssertionError, match=r"within 0\.2s"):
        server.wait_for_message(anna, contains="Gotowe", after=count, timeout=0.2)

    await bot.send_message(anna.id, "Następna")
    assert server.wait_for_message(anna, after=count, timeout=2).text == "Następna"
    found = server.wait_for_message(anna, predicate=lambda m: m.text.startswith("Nast"))
    assert found.text == "Następna"
    assert server.wait_for_call("editMessageText", lambda r: r.ok).params["text"] == (
        "Gotowe: 3 zadania"
    )


async def test_timeout_message_lists_what_the_chat_got(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna = server.new_user("Anna")
    server.send_text(anna, "/start")
    await bot.send_message(anna.id, "Witaj")
    with pytest.raises(telegram.error.BadRequest):
        await bot.send_message(anna.id, "<b>zepsute", parse_mode="HTML")
    with pytest.raises(AssertionError) as caught:
        server.wait_for_message(anna, contains="Menu", timeout=0.1)
    report = str(caught.value)
    assert "'Witaj'" in report and "'/start'" in report
    assert "sendMessage: 400 Bad Request: can't parse entities" in report


async def test_user_who_never_started_the_bot(server: FakeTelegram, bot: telegram.Bot) -> None:
    stranger = server.new_user("Obcy", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    server.send_text(stranger, "/start")
    await bot.send_message(stranger.id, "hi")
    server.block_user(stranger)
    with pytest.raises(AssertionError, match="unblock_user"):
        server.send_text(stranger, "hello?")


def test_stop_is_quick_while_a_long_poll_is_pending() -> None:
    import asyncio

    server = FakeTelegram(token=TOKEN).start()
    result: list[object] = []

    async def poll() -> None:
        async with telegram.Bot(TOKEN, base_url=server.url + "/bot") as client:
            result.append(await client.get_updates(timeout=30, read_timeout=40))

    poller = threading.Thread(target=asyncio.run, args=(poll(),))
    poller.start()
    server.wait_until_polling(timeout=5)
    started = time.monotonic()
    server.stop()
    poller.join(5)
    assert time.monotonic() - started < 5
    assert result == [()]


def test_wait_until_polling_fails_clearly() -> None:
    with FakeTelegram(token=TOKEN) as server, pytest.raises(AssertionError, match="getUpdates"):
        server.wait_until_polling(timeout=0.1)
