# PTB types most Update/Message fields as optional; these tests know which are set.
# mypy: disable-error-code="union-attr, operator, arg-type, index"
"""The fake server driven by python-telegram-bot's own Bot: responses parse, and errors
come out as the exceptions PTB raises against the real Telegram."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import urllib.error
import urllib.request

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from tests.fake_telegram import FakeTelegram, tiny_png

from .conftest import TOKEN


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.can_join_groups) == (
        100000,
        "leaders_test_bot",
        True,
        True,
    )


async def test_send_message_round_trip(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna", username="anna")
    sent = await bot.send_message(
        anna.id, "<b>Cześć</b> &amp; 👋", parse_mode="HTML", reply_markup=keyboard(("Tak", "yes"))
    )
    assert sent.text == "Cześć & 👋"
    assert sent.chat.id == anna.id and sent.from_user.id == 100000
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 5
    assert sent.reply_markup == keyboard(("Tak", "yes"))

    second = await bot.send_message(anna.id, "drugi")
    assert second.message_id == sent.message_id + 1

    stored = server.messages(anna)
    assert [m.text for m in stored] == ["Cześć & 👋", "drugi"]
    assert stored[0].raw_text == "<b>Cześć</b> &amp; 👋"
    assert stored[0].parse_mode == "HTML"
    assert stored[0].buttons == [("Tak", "yes")]
    assert server.last_message(anna).text == "drugi"


async def test_text_length_is_counted_after_html_in_utf16(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna = server.new_user("Anna")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(anna.id, "x" * 4097)
    await bot.send_message(anna.id, "x" * 4096)
    await bot.send_message(anna.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(anna.id, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(anna.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(anna.id, b"data", filename="a.txt", caption="c" * 1025)


async def test_callback_data_is_limited_to_64_utf8_bytes(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna = server.new_user("Anna")
    await bot.send_message(anna.id, "ok", reply_markup=keyboard(("a", "ż" * 32)))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(anna.id, "x", reply_markup=keyboard(("a", "ż" * 32 + "a")))


async def test_malformed_markup(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    cases = {
        "<b>unclosed": 'find end tag corresponding to start tag "b"',
        "<b><i>x</b></i>": 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        "<div>x</div>": 'unsupported start tag "div" at byte offset 0',
        "1 < 2": 'unsupported start tag "" at byte offset 2',
        "Q&A": 'unescaped "&"',
        '<span class="x">s</span>': 'tag "span" must have class',
    }
    for text, error in cases.items():
        with pytest.raises(BadRequest) as caught:
            await bot.send_message(anna.id, text, parse_mode="HTML")
        assert "can't parse entities" in str(caught.value).lower()
        assert error.lower() in str(caught.value).lower(), text
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(anna.id, "Koniec.", parse_mode="MarkdownV2")
    ok = await bot.send_message(
        anna.id,
        '<a href="https://example.org/?a=1&amp;b=2">link</a> <blockquote expandable>q</blockquote>'
        ' <tg-spoiler>s</tg-spoiler> <pre><code class="language-py">x</code></pre> &#128512;',
        parse_mode="HTML",
    )
    assert [e.type for e in ok.entities] == ["text_link", "expandable_blockquote", "spoiler", "pre"]
    assert ok.entities[0].url == "https://example.org/?a=1&b=2"
    assert ok.text.endswith("😀")


async def test_reply_markup_validation(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(anna.id, "x", reply_markup={"inline_keyboard": [[{"text": "a"}]]})
    with pytest.raises(BadRequest, match=r"(?i)array of arrays"):
        await bot.send_message(
            anna.id, "x", reply_markup={"inline_keyboard": [{"text": "a", "callback_data": "b"}]}
        )
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(
            anna.id, "x", reply_markup={"inline_keyboard": [[{"text": "a", "url": "not a url"}]]}
        )
    reply_keyboard = ReplyKeyboardMarkup(
        [
            [
                KeyboardButton("Telefon", request_contact=True),
                KeyboardButton("Gdzie", request_location=True),
            ]
        ],
        resize_keyboard=True,
    )
    sent = await bot.send_message(anna.id, "Podaj numer", reply_markup=reply_keyboard)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    assert server.current_keyboard(anna) == ["Telefon", "Gdzie"]
    await bot.send_message(anna.id, "Dzięki", reply_markup=telegram.ReplyKeyboardRemove())
    assert server.current_keyboard(anna) == []
    await bot.send_message(anna.id, "Odpowiedz", reply_markup=telegram.ForceReply())


async def test_unknown_chat_and_missing_messages(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.send_message(424242, "hi")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna.id, message_id=77)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(anna.id, 77)
    sent = await bot.send_message(anna.id, "hi")
    assert await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(anna.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna.id, message_id=sent.message_id)
    assert server.messages(anna)[0].deleted
    assert server.last_message(anna) is None


async def test_edits_are_recorded_and_not_modified_is_rejected(
    server: FakeTelegram, bot: telegram.Bot
) -> None:
    anna = server.new_user("Anna")
    markup = keyboard(("A", "a"))
    sent = await bot.send_message(anna.id, "<i>v1</i>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message"):
        await bot.edit_message_text(
            "<i>v1</i>", anna.id, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    edited = await bot.edit_message_text("v2", anna.id, sent.message_id, reply_markup=markup)
    assert edited.text == "v2" and edited.edit_date is not None
    # Like Telegram, an edit without reply_markup drops the inline keyboard.
    await bot.edit_message_text("v3", anna.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(anna.id, sent.message_id)
    await bot.edit_message_reply_markup(anna.id, sent.message_id, reply_markup=markup)

    current = server.messages(anna)[0]
    assert current.text == "v3" and current.buttons == [("A", "a")]
    assert [v.text for v in current.edits] == ["v1", "v2", "v3"]
    assert current.edits[0].reply_markup == markup.to_dict()


# PTB 22 warns about retry_after's future type whenever it builds a RetryAfter.
ignore_retry_after_warning = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@ignore_retry_after_warning
async def test_injected_429_raises_retry_after(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    server.fail_next("sendMessage", count=2, error_code=429, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(anna.id, "hi")
        assert caught.value.retry_after in (7, datetime.timedelta(seconds=7))
    await bot.send_message(anna.id, "hi")
    assert [r.status for r in server.calls("sendMessage")] == [429, 429, 200]
    assert server.calls("sendMessage")[0].response["parameters"] == {"retry_after": 7}


async def test_blocked_user_gets_forbidden(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    update_id = server.block_user(anna)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(anna.id, "typing")
    updates = await bot.get_updates()
    assert updates[0].update_id == update_id
    assert updates[0].my_chat_member.new_chat_member.status == "kicked"
    server.unblock_user(anna)
    await bot.send_message(anna.id, "welcome back")


async def test_get_updates_offset_and_long_poll(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    first = server.send_text(anna, "/start")
    second = server.send_text(anna, "hello")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message.entities[0].type == "bot_command"
    assert len(await bot.get_updates(limit=1)) == 1

    # An offset confirms everything below it: those updates are gone for good.
    updates = await bot.get_updates(offset=second)
    assert [u.update_id for u in updates] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert server.pending_updates() == []

    # A long poll with nothing to deliver waits for its timeout...
    started = time.monotonic()
    assert await bot.get_updates(offset=second + 1, timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3.5

    # ...and returns as soon as an update arrives.
    asyncio.get_running_loop().call_later(0.2, server.send_text, anna, "late")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    assert time.monotonic() - started < 5
    assert updates[0].message.text == "late"


async def test_allowed_updates_filter(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    server.send_text(anna, "text")
    sent = await bot.send_message(anna.id, "menu", reply_markup=keyboard(("A", "a")))
    server.press(anna, server.message(anna, sent.message_id), callback_data="a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["a"]


async def test_second_poller_terminates_the_first(server: FakeTelegram, bot: telegram.Bot) -> None:
    # Two bot instances polling at once: Telegram ends the older request with 409.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with telegram.Bot(TOKEN, base_url=server.url + "/bot") as other:
        await other.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_multipart_document_and_photo(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    sent = await bot.send_document(
        anna.id,
        "Zażółć gęślą jaźń\n".encode(),
        filename="raport.csv",
        caption="<b>Raport</b>",
        parse_mode="HTML",
        reply_markup=keyboard(("OK", "ok")),
    )
    assert sent.document.file_name == "raport.csv" and sent.caption == "Raport"
    stored = server.last_message(anna)
    assert stored is not None and stored.document is not None
    assert stored.document.filename == "raport.csv"
    assert stored.document.content == "Zażółć gęślą jaźń\n".encode()
    assert stored.document.mime_type == "text/csv"
    assert stored.buttons == [("OK", "ok")]
    assert server.calls("sendDocument")[0].files["document"].filename == "raport.csv"

    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == stored.document.content

    photo = await bot.send_photo(anna.id, tiny_png(30, 20), caption="QR")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (30, 20)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(anna.id, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(anna.id, "no-such-file-id")


async def test_copy_and_forward(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    group = server.new_group("Liderzy", admins=[anna], with_bot=True)
    server.send_text(anna, "Zgłoszenie: brak prądu")
    server.send_document(anna, "plan.pdf", b"%PDF plan", caption="plan")
    (text_update, doc_update) = await bot.get_updates()
    forwarded = await bot.forward_message(group.id, anna.id, text_update.message.message_id)
    assert forwarded.text == "Zgłoszenie: brak prądu"
    assert forwarded.forward_origin.sender_user.id == anna.id
    copied = await bot.copy_message(
        group.id, anna.id, doc_update.message.message_id, caption="<b>Plan</b>", parse_mode="HTML"
    )
    stored = server.message(group, copied.message_id)
    assert stored.caption == "Plan" and stored.document is not None
    name, content = stored.document
    assert (name, content) == ("plan.pdf", b"%PDF plan")
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(group.id, anna.id, 999)


async def test_user_photo_is_downloadable(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    server.send_photo(anna, caption="zdjęcie", content=tiny_png(2, 2))
    (update,) = await bot.get_updates()
    assert update.message.caption == "zdjęcie"
    file = await update.message.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()) == tiny_png(2, 2)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_commands_per_scope_and_language(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Pomoc")])
    await bot.set_my_commands(
        [BotCommand("admin", "Panel")], scope=BotCommandScopeChat(anna.id), language_code="pl"
    )
    assert server.commands_for() == [("start", "Start"), ("help", "Pomoc")]
    assert server.commands_for({"type": "chat", "chat_id": anna.id}, "pl") == [("admin", "Panel")]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert await bot.get_my_commands(language_code="en") == ()
    await bot.delete_my_commands()
    assert server.commands_for() == []

    for commands, error in [
        ([BotCommand("Start", "x")], "bot_command_invalid"),
        ([BotCommand("a" * 33, "x")], "command length must not exceed 32"),
        ([BotCommand("ok", " ")], "command description must be non-empty"),
        ([BotCommand("ok", "d" * 257)], "description length must not exceed 256"),
        ([BotCommand(f"c{i}", "x") for i in range(101)], "bot_commands_too_much"),
    ]:
        with pytest.raises(BadRequest, match=rf"(?i){error}"):
            await bot.set_my_commands(commands)


async def test_callback_answers(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna = server.new_user("Anna")
    sent = await bot.send_message(anna.id, "menu", reply_markup=keyboard(("Dalej", "next")))
    update_id = server.press(anna, server.last_message(anna), text="Dalej")
    (update,) = await bot.get_updates()
    assert (
        update.update_id == update_id
        and update.callback_query.message.message_id == sent.message_id
    )
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await update.callback_query.answer("x" * 201)
    await update.callback_query.answer("Gotowe", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer()
    (answer,) = server.answered_callbacks
    assert (answer.update_id, answer.data, answer.text, answer.show_alert) == (
        update_id,
        "next",
        "Gotowe",
        True,
    )


async def test_groups_members_and_pins(server: FakeTelegram, bot: telegram.Bot) -> None:
    anna, bartek = server.new_user("Anna"), server.new_user("Bartek")
    group = server.new_group("Liderzy", admins=[anna], members=[bartek])
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(group.id, "hi")
    server.add_bot_to_group(group, by=anna)
    updates = await bot.get_updates()
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[1].message.new_chat_members[0].id == 100000

    sent = await bot.send_message(group.id, "Witajcie")
    assert sent.chat.type == "supergroup" and sent.chat.title == "Liderzy"
    assert (await bot.get_chat_member(group.id, anna.id)).status == "creator"
    assert (await bot.get_chat_member(group.id, bartek.id)).status == "member"
    assert [m.user.id for m in await bot.get_chat_administrators(group.id)] == [anna.id]
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.pin_chat_message(group.id, sent.message_id)
    server.remove_bot_from_group(group, by=anna)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(group.id, "hi")


@ignore_retry_after_warning
async def test_rate_ceilings() -> None:
    with FakeTelegram(token=TOKEN, group_messages_per_minute=3) as limited:
        async with telegram.Bot(TOKEN, base_url=limited.url + "/bot") as client:
            anna = limited.new_user("Anna")
            group = limited.new_group("G", admins=[anna], with_bot=True)
            for _ in range(3):
                await client.send_message(group.id, "x")
            await client.send_message(anna.id, "private chats are not limited")
            with pytest.raises(RetryAfter) as caught:
                await client.send_message(group.id, "x")
            assert (
                50 <= limited.calls("sendMessage")[-1].response["parameters"]["retry_after"] <= 60
            )
            assert caught.value is not None

    with FakeTelegram(token=TOKEN, global_messages_per_second=2) as limited:
        async with telegram.Bot(TOKEN, base_url=limited.url + "/bot") as client:
            users = [limited.new_user(f"U{i}") for i in range(3)]
            await client.send_message(users[0].id, "1")
            await client.send_message(users[1].id, "2")
            with pytest.raises(RetryAfter):
                await client.send_message(users[2].id, "3")


def _raw_post(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_unknown_token_and_method(server: FakeTelegram) -> None:
    assert _raw_post(f"{server.url}/bot999:wrong/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert _raw_post(f"{server.url}/bot{TOKEN}/noSuchMethod") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = _raw_post(f"{server.url}/bot{TOKEN}/sendPoll")
    assert status == 400 and "not implemented by FakeTelegram" in str(body["description"])
    # Method names are case-insensitive, as in Telegram.
    assert _raw_post(f"{server.url}/bot{TOKEN}/GETME")[0] == 200
