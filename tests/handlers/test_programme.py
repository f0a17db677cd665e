"""The programme feature through the bot: the attendance list button, 🔗 links from a card,
/map with its picture, /programme, and turning an accepted idea into an action."""

from __future__ import annotations

import io

from sqlmodel import select

from bot.db import Database
from bot.reminders import CLOCK_KEY
from handlers.programme import routes as r
from models import (
    ActionIndicator,
    ActionNote,
    Contribution,
    ContributionLink,
    ProblemArea,
    ProgrammeAction,
)
from tests.harness import Call, Harness, User
from tests.meeting_support import NOW
from tests.programme_support import World, meeting_with_answers, world
from tests.unit.test_programme_documents import pdf_text

LEAD, COORDINATOR, ALICE, BOB, OUTSIDER = (
    User(8000),
    User(8001),
    User(8002),
    User(8003),
    User(8004),
)


def documents(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendDocument"]


async def _world(harness: Harness, db: Database) -> World:
    harness.app.bot_data[CLOCK_KEY] = lambda: NOW
    return await world(db)


async def test_the_lead_prints_the_attendance_list_others_cannot(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    meeting = await meeting_with_answers(db, w)
    calls = await harness.press(ALICE, r.ATTENDANCE_PDF.data(meeting.id))
    assert not documents(calls)
    assert "koordynator" in harness.texts(calls)  # the refusal names who may
    calls = await harness.press(LEAD, r.ATTENDANCE_PDF.data(meeting.id))
    (sent,) = documents(calls)
    (payload,) = sent.files.values()
    text = pdf_text(payload)
    assert "Lista obecności" in text and "Podpis" in text
    assert "Łucja Żółkiewska" in text and "Grzegorz Brzęczyszczykiewicz" in text
    assert "Olgierd" not in text


async def test_linking_from_a_card_tells_the_other_author_once(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    calls = await harness.press(ALICE, r.LINKS.data(w.cause.id))
    screen = calls[-1]
    assert "Propozycje" in screen.text and "Jeszcze z niczym" in screen.text
    calls = await harness.press(ALICE, screen.button(f"➕ #{w.resource.id}"))
    told = [c for c in calls if c.chat_id == BOB.id and c.method == "sendMessage"]
    assert len(told) == 1 and "są teraz połączone" in told[0].text
    assert not [c for c in calls if c.chat_id == ALICE.id and "są teraz" in c.text]
    assert f"wykorzystuje zasób #{w.resource.id}" in calls[-1].text
    # The contribution's own card lists the link too.
    card = await harness.press(BOB, f"ct:o:{w.resource.id}")
    assert f"#{w.cause.id}" in card[-1].text and "Powiązania" in card[-1].text
    # Pressed again from an old message: no duplicate, a refusal.
    calls = await harness.press(ALICE, r.LINK_ADD.data(w.cause.id, w.resource.id))
    assert "już połączone" in harness.texts(calls)
    # Someone with no part in either cannot link or unlink.
    calls = await harness.press(OUTSIDER, r.LINK_DEL.data(w.cause.id, w.resource.id))
    assert "autorzy" in harness.texts(calls)
    calls = await harness.press(BOB, r.LINK_DEL.data(w.resource.id, w.cause.id))
    assert "Sala w bibliotece miejskiej" in calls[-1].text  # the resource's own screen
    assert "Jeszcze z niczym" in calls[-1].text
    async with db.session() as session:
        assert (await session.exec(select(ContributionLink))).all() == []


async def test_search_by_words_finds_a_title_typed_without_polish_letters(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    await harness.press(ALICE, r.LINK_SEARCH.data(w.idea.id))
    calls = await harness.send(ALICE, "mlodziezy")
    screen = calls[-1]
    assert "Znalezione" in screen.text and f"#{w.cause.id}" in screen.text
    assert [data for _label, data in screen.buttons if data.startswith("pg:la:")] == [
        r.LINK_ADD.data(w.idea.id, w.cause.id)
    ]


async def test_map_shows_counts_gaps_and_draws_an_area(harness: Harness, db: Database) -> None:
    w = await _world(harness, db)
    calls = await harness.send(ALICE, "/map")
    text = calls[-1].text
    assert "Mapa problemów" in text
    assert f"Przyczyny bez żadnego pomysłu: #{w.cause.id}" in text
    assert f"Pomysły bez zasobu: #{w.idea.id}" in text
    calls = await harness.press(ALICE, r.MAP_AREA.data(w.area.id))
    (photo,) = [c for c in calls if c.method == "sendPhoto"]
    (png,) = photo.files.values()
    assert png.startswith(b"\x89PNG")


async def test_a_long_list_on_the_map_shows_the_most_supported_and_how_many_more(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    async with db.session() as session:
        causes = [
            Contribution(
                kind="cause", title=f"Przyczyna {n}", details={}, area_id=w.area.id, support_count=n
            )
            for n in range(20, 26)
        ]
        session.add_all(causes)
    calls = await harness.send(ALICE, "/map")
    strongest = ", ".join(f"#{c.id}" for c in reversed(causes[2:]))  # 25, 24, 23, 22 supports
    assert f"Przyczyny bez żadnego pomysłu: {strongest} … i 3 więcej" in calls[-1].text
    async with db.session() as session:  # the area is deleted before its button is pressed
        await session.delete(await session.get(ProblemArea, w.area.id))
    calls = await harness.press(ALICE, r.MAP_AREA.data(w.area.id))
    assert not [c for c in calls if c.method == "sendPhoto"]
    assert "Ten obszar problemowy już nie istnieje." in calls[-1].text


async def test_programme_document_for_coordinators_only(harness: Harness, db: Database) -> None:
    await _world(harness, db)
    calls = await harness.send(LEAD, "/programme")
    assert not documents(calls)
    calls = await harness.send(COORDINATOR, "/programme")
    (sent,) = documents(calls)
    (payload,) = sent.files.values()
    from docx import Document

    document = Document(io.BytesIO(payload))
    assert document.paragraphs[0].text == "Strefa Miejskich Inspiracji"


async def test_a_coordinator_turns_an_accepted_idea_into_an_action(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    calls = await harness.press(COORDINATOR, r.LINKS.data(w.idea.id))
    calls = await harness.press(COORDINATOR, calls[-1].button("Zrób z tego działanie"))
    assert "Jaki jest jego cel" in calls[-1].text
    calls = await harness.send(COORDINATOR, "Więcej młodych osób w pracy")
    calls = await harness.send(COORDINATOR, "młodzież 18–25")
    calls = await harness.press(COORDINATOR, calls[-1].button("Powiatowy Urząd Pracy"))
    calls = await harness.press(COORDINATOR, calls[-1].button("Szkoła"))
    assert "✅ Szkoła" in str(calls[-1].buttons)
    calls = await harness.press(COORDINATOR, calls[-1].button("Gotowe"))
    calls = await harness.send(COORDINATOR, "03.2027")
    calls = await harness.send(COORDINATOR, "12.2027")
    card = calls[-1]
    assert "Cel: Więcej młodych osób w pracy" in card.text
    assert "Harmonogram: 2027-03 – 2027-12" in card.text
    calls = await harness.press(COORDINATOR, card.button("Wskaźnik"))
    calls = await harness.send(COORDINATOR, "uczestnicy; 40; osób")
    assert "uczestnicy: ? / 40 osób" in calls[-1].text
    calls = await harness.press(COORDINATOR, calls[-1].button("Notatka"))
    calls = await harness.send(COORDINATOR, "Umowa z biblioteką")
    assert "Umowa z biblioteką" in calls[-1].text
    calls = await harness.press(COORDINATOR, calls[-1].button("Status i postęp"))
    calls = await harness.press(COORDINATOR, calls[-1].button("50%"))
    assert "w realizacji, 50%" in calls[-1].text
    async with db.session() as session:
        action = (await session.exec(select(ProgrammeAction))).one()
        assert action.responsible == "Powiatowy Urząd Pracy (PUP)"
        assert action.partners == ["Szkoła"]
        assert len((await session.exec(select(ActionIndicator))).all()) == 1
        assert len((await session.exec(select(ActionNote))).all()) == 1
    # The idea's author is told nothing and may not steer it.
    calls = await harness.press(ALICE, r.PROGRESS.data(action.id))
    assert "koordynatorzy" in harness.texts(calls)


async def test_cards_carry_the_links_and_attendance_list_buttons(
    harness: Harness, db: Database
) -> None:
    w = await _world(harness, db)
    meeting = await meeting_with_answers(db, w)
    calls = await harness.press(LEAD, f"mt:v:{meeting.id}")
    assert calls[-1].button("Lista obecności (PDF)") == r.ATTENDANCE_PDF.data(meeting.id)
    calls = await harness.press(ALICE, f"mt:v:{meeting.id}")
    assert "Lista obecności" not in str(calls[-1].buttons)
    calls = await harness.press(ALICE, f"ct:o:{w.cause.id}")
    assert calls[-1].button("Powiązania") == r.LINKS.data(w.cause.id)
