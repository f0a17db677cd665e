"""The busiest presses read each row once: joining, leaving and viewing a group, supporting
an idea, answering an invitation. Counted in SQL statements per update (a statement costs
more than the rest of a press on SQLite); the numbers are ceilings, what the screens show
is checked too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot import reminders
from bot.db import Database
from models import Contribution, Role
from tests.handlers.test_groups import answered, register, runtime, stored_group
from tests.harness import Harness, User
from tests.meeting_support import NOW, meeting, team


@contextmanager
def statements(harness: Harness) -> Iterator[list[str]]:
    executed: list[str] = []
    engine = runtime(harness).db.engine.sync_engine

    def on(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", on)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", on)


async def test_joining_and_leaving_a_team_read_each_row_once(harness: Harness) -> None:
    ewa = User(651, "Ewa", language_code="en")
    await register(harness, ewa, Role.LEADER)
    treasurers = await stored_group(harness, slug="treasurers")
    await harness.press(ewa, f"gr:p:{treasurers.id}:0")  # warm: the areas are read once, then kept
    with statements(harness) as executed:
        page = (await harness.press(ewa, f"gr:p:{treasurers.id}:0"))[-1]
    assert "Treasurers" in page.text and "Join" in str(page.buttons)
    # the member, the group, its counts with the viewer's status, contributions, meetings
    assert len(executed) <= 5, executed
    with statements(harness) as executed:
        calls = await harness.press(ewa, f"gr:j:{treasurers.id}")
    assert "You joined Treasurers" in answered(calls)
    assert "You are a member" in calls[-1].text and "1 member" in calls[-1].text
    # before: 12 (the group and the membership read twice, the page in a second transaction)
    assert len(executed) <= 9, executed
    with statements(harness) as executed:
        calls = await harness.press(ewa, f"gr:l:{treasurers.id}")
    assert "You left Treasurers" in answered(calls)
    assert "Join" in str(calls[-1].buttons)
    assert len(executed) <= 8, executed


async def test_supporting_an_idea_reads_its_card_once(harness: Harness) -> None:
    ola = User(652, "Ola", language_code="en")
    piotr = User(653, "Piotr", language_code="en")
    author = await register(harness, ola, Role.LEADER)
    await register(harness, piotr, Role.LEADER)
    treasurers = await stored_group(harness, slug="treasurers")
    async with runtime(harness).db.session() as session:
        idea = Contribution(
            kind="idea",
            title="A bench",
            author_id=author.id,
            group_id=treasurers.id,
            area_id=treasurers.area_id,
        )
        session.add(idea)
    with statements(harness) as executed:
        calls = await harness.press(piotr, f"ct:sp:{idea.id}")
    assert "Thank you for your support" in answered(calls)
    assert "Undo my support (1)" in str(calls[-1].buttons)
    # before: 7 (the contribution read twice, the support looked up before the insert, the
    # count read back, the card in a second transaction)
    assert len(executed) <= 4, executed
    with statements(harness) as executed:
        calls = await harness.press(piotr, f"ct:sp:{idea.id}")  # an old button pressed again
    assert "You already support this" in answered(calls)
    assert "Undo my support (1)" in str(calls[-1].buttons)
    with statements(harness) as executed:
        calls = await harness.press(piotr, f"ct:us:{idea.id}")
    assert "Support taken back" in answered(calls)
    assert "Support (0)" in str(calls[-1].buttons)


async def test_answering_an_invitation_shows_the_card_from_one_transaction(
    harness: Harness, db: Database
) -> None:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    t = await team(db, size=2)
    m = await meeting(db, t)
    anna = User(t.members[0].telegram_id, first_name="Anna", language_code="en")
    await harness.press(anna, f"mt:v:{m.id}")  # warm: the areas are read once, then kept
    with statements(harness) as executed:
        calls = await harness.press(anna, f"mt:a:{m.id}:y")
    assert "Your answer" in answered(calls)
    assert "✅ 1 ·" in calls[-1].text and "Your answer: I'll come" in calls[-1].text
    # before: 16 (the meeting read three times, who may see it checked twice, the answers
    # counted twice, the answer read again, a second and a third transaction)
    assert len(executed) <= 11, executed
