"""The real bot process, from contributions to the programme: a leader links a resource to
an idea from the idea's card, a coordinator accepts the idea and makes it a programme action,
then downloads the programme document (DOCX) and a meeting's attendance list (PDF)."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from sqlmodel import select

from bot.db import Database
from bot.services import meetings as meetings_service
from models import Answer, Contribution, Group, Member, Membership, ProblemArea, Role, utcnow
from tests.e2e.conftest import BotProcess
from tests.e2e.flows import press_label
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e
WAIT = 60.0  # the machine is loaded: be generous
IDEA = "Job club in the library"
RESOURCE = "Room in the town library"
GOAL = "More young people find their first job"
TOPIC = "Youth unemployment: diagnosis"
PARTICIPANT = "Łucja Żółkiewska"


@dataclass
class Ids:
    idea: int
    resource: int
    meeting: int


async def _world(url: str, boss: int, leader: int, participant: int) -> Ids:
    """On top of the profile the bot applied at start: a coordinator, a leader with a new idea,
    a participant with a resource in the same problem area, and a meeting of the participant's
    group in two days that she will come to."""
    database = Database(url)
    now = utcnow()
    async with database.session() as session:

        def member(tid: int, name: str, role: str) -> Member:
            return Member(
                telegram_id=tid,
                display_name=name,
                institution="MOPS",
                language="en",
                role=role,
                consent_at=now - timedelta(days=30),
                onboarded_at=now - timedelta(days=30),
            )

        cora = member(boss, "Cora Coordinator", Role.COORDINATOR)
        leo = member(leader, "Leo Leader", Role.LEADER)
        lucja = member(participant, PARTICIPANT, Role.LEADER)
        session.add_all([cora, leo, lucja])
        await session.flush()
        areas = {a.slug: a for a in (await session.exec(select(ProblemArea))).all()}
        groups = {g.slug: g for g in (await session.exec(select(Group))).all()}
        team, inventors = groups["diagnosticians"], groups["inventors"]
        session.add(Membership(member_id=lucja.id, group_id=team.id))  # type: ignore[arg-type]
        session.add(Membership(member_id=leo.id, group_id=inventors.id))  # type: ignore[arg-type]
        area = areas["employment"]
        idea = Contribution(
            kind="idea", title=IDEA, author_id=leo.id, area_id=area.id, group_id=inventors.id
        )
        resource = Contribution(
            kind="resource", title=RESOURCE, author_id=lucja.id, area_id=area.id, group_id=team.id
        )
        session.add_all([idea, resource])
        await session.flush()
        draft = meetings_service.MeetingDraft(
            group_id=team.id,  # type: ignore[arg-type]
            topic=TOPIC,
            place="Library, Hallera 12",
            starts_at=now + timedelta(days=2),
        )
        meeting = await meetings_service.create_meeting(session, cora, draft, now=now)
        ids = Ids(idea.id, resource.id, meeting.id)  # type: ignore[arg-type]
    async with database.session() as session:
        await meetings_service.answer(session, lucja, ids.meeting, Answer.YES, now=now)
    await database.dispose()
    return ids


def _open(fake: FakeTelegram, user: Any, data: str, contains: str) -> Any:
    """Open a card from the user's menu, as a button on an older message would."""
    since = time.time()
    fake.send_text(user, "/menu")
    menu = fake.wait_for_message(
        user, predicate=lambda m: bool(m.buttons), after=since, timeout=WAIT
    )
    since = time.time()
    fake.press_raw(user, menu.message_id, user.id, data)
    return fake.wait_for_message(user, contains=contains, after=since, timeout=WAIT)


def _press(fake: FakeTelegram, user: Any, message: Any, label: str, contains: str) -> Any:
    since = press_label(fake, user, message, label)
    return fake.wait_for_message(user, contains=contains, after=since, timeout=WAIT)


def _send(fake: FakeTelegram, user: Any, text: str, contains: str) -> Any:
    since = time.time()
    fake.send_text(user, text)
    return fake.wait_for_message(user, contains=contains, after=since, timeout=WAIT)


def _document(fake: FakeTelegram, user: Any, since: float) -> tuple[str, bytes]:
    sent = fake.wait_for_message(
        user, predicate=lambda m: m.document is not None, after=since, timeout=WAIT
    )
    assert sent.document is not None
    name, content = sent.document
    return str(name), content


def _docx_text(payload: bytes) -> str:
    document = Document(io.BytesIO(payload))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_from_contributions_to_the_programme(fake: FakeTelegram, bot: BotProcess) -> None:
    cora = fake.new_user("Cora", language_code="en")
    leo = fake.new_user("Leo", language_code="en")
    lucja = fake.new_user("Łucja", language_code="en")
    ids = asyncio.run(_world(bot.env["DATABASE_URL"], cora.id, leo.id, lucja.id))

    # The leader links the resource to his idea from the idea's card.
    card = _open(fake, leo, f"ct:o:{ids.idea}", IDEA)
    links = _press(fake, leo, card, "🔗 Links", "🔗 Links of")
    assert "Not linked to anything yet." in links.text
    links = _press(fake, leo, links, f"➕ #{ids.resource}", f"uses resource #{ids.resource}")
    assert RESOURCE in links.text
    told = fake.wait_for_message(lucja, contains="are now linked", timeout=WAIT)
    assert IDEA in told.content and RESOURCE in told.content

    # The coordinator moves the idea: new → under discussion → accepted.
    card = _open(fake, cora, f"ct:o:{ids.idea}", IDEA)
    card = _press(fake, cora, card, "→ under discussion", "Status: under discussion")
    card = _press(fake, cora, card, "→ accepted", "Status: accepted")

    # ...and makes it a programme action from its Links screen.
    links = _press(fake, cora, card, "🔗 Links", "🔗 Links of")
    step = _press(fake, cora, links, "Make it an action", "What is its goal?")
    step = _send(fake, cora, GOAL, "Who is it for")
    step = _press(fake, cora, step, "Skip", "Which institution is responsible?")
    step = _press(fake, cora, step, "Skip", "Partners:")
    step = _press(fake, cora, step, "Done", "When does it start?")
    step = _send(fake, cora, "03.2027", "When does it end?")
    action = _send(fake, cora, "12.2027", f"Goal: {GOAL}")
    assert IDEA in action.text and "2027-03 – 2027-12" in action.text
    assert f"uses resource #{ids.resource}" in action.text

    # The programme document carries the action's goal and the linked resource.
    since = time.time()
    fake.send_text(cora, "/programme")
    name, payload = _document(fake, cora, since)
    assert name.endswith(".docx")
    text = _docx_text(payload)
    assert GOAL in text, text
    assert RESOURCE in text, text

    # The attendance list of the meeting, printed from its card (in the programme's Polish).
    card = _open(fake, cora, f"mt:v:{ids.meeting}", TOPIC)
    since = press_label(fake, cora, card, "🖨 Attendance list (PDF)")
    name, payload = _document(fake, cora, since)
    assert name.endswith(".pdf")
    pdf = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(payload)).pages)
    assert "Lista obecności" in pdf, pdf
    assert PARTICIPANT in pdf, pdf
