"""/invite: a printable poster (PDF) next to the QR code, Polish unless chosen otherwise."""

from __future__ import annotations

from sqlmodel import select

from models import Invite, Role
from tests.handlers.test_groups import register, runtime
from tests.harness import Call, Harness, User
from tests.unit.test_posters import one_line, pdf_text, qr_links


def documents(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendDocument"]


async def test_coordinator_gets_a_polish_poster_and_then_an_english_one(harness: Harness) -> None:
    user = User(901, language_code="pl")
    await register(harness, user, Role.COORDINATOR)
    calls = await harness.send(user, "/invite")
    calls = await harness.press(user, calls[-1].button("lider"))
    calls = await harness.press(user, calls[-1].button("Bez grupy"))
    calls = await harness.press(user, calls[-1].button("5"))
    calls = await harness.press(user, calls[-1].button("7"))
    link = next(c.text for c in calls if "https://t.me/" in c.text).split("\n")[1]
    card = next(c for c in calls if "Plakat" in str(c.buttons))
    assert any(c.method == "sendPhoto" for c in calls)  # the QR code, as before

    calls = await harness.press(user, card.button("Plakat (PDF)"))
    (sent,) = documents(calls)
    assert sent.params.get("caption", "").startswith("Plakat na tablicę ogłoszeń")
    (pdf,) = sent.files.values()
    text = one_line(pdf_text(pdf))
    assert runtime(harness).profile.name in text
    assert "Zainstaluj Telegram na telefonie" in text and link in text
    assert qr_links(pdf) == [link]

    calls = await harness.press(user, sent.button("English"))
    (sent,) = documents(calls)
    (pdf,) = sent.files.values()
    assert "Never used Telegram? Three steps:" in one_line(pdf_text(pdf))
    assert qr_links(pdf) == [link]


async def test_a_withdrawn_invite_gets_no_poster(harness: Harness) -> None:
    user = User(902, language_code="en")
    await register(harness, user, Role.COORDINATOR)
    calls = await harness.send(user, "/invite")
    calls = await harness.press(user, calls[-1].button("coordinator"))
    calls = await harness.press(user, calls[-1].button("1"))
    calls = await harness.press(user, calls[-1].button("7"))
    card = next(c for c in calls if "Poster" in str(c.buttons))
    async with runtime(harness).db.session() as session:
        invite = (await session.exec(select(Invite))).one()
    confirm = await harness.press(user, f"iv:rv:{invite.id}")
    await harness.press(user, confirm[-1].button("Yes, withdraw"))
    calls = await harness.press(user, card.button("Poster (PDF)"))
    assert not documents(calls)
    assert "can no longer be used" in harness.texts(calls)
