"""Every message built from people's text fits Telegram's 4,096 characters (UTF-16 units):
a long summary goes out in parts, /meetings is paged, labels are cut with "…"."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import reminders
from bot.db import Database
from bot.services import meetings as service
from handlers.common import split_message, tg_len
from models import ActionItem, DatePoll, Meeting
from tests.harness import Call, Harness, User
from tests.meeting_support import NOW, Team, meeting, team

LIMIT = 4096


@pytest.fixture
async def t(harness: Harness, db: Database) -> Team:
    harness.app.bot_data[reminders.CLOCK_KEY] = lambda: NOW
    like_telegram(harness)
    return await team(db, chat_id=-100777)


def like_telegram(harness: Harness) -> None:
    """Answer a text over 4,096 characters as Telegram does: 400, nothing sent."""
    original = harness.request.do_request

    async def do_request(url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        params = request_data.parameters if request_data is not None else {}
        if tg_len(str(params.get("text") or "")) > LIMIT:
            error = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message is too long",
            }
            harness.request.calls.append(Call(url.rsplit("/", 1)[-1], dict(params)))
            return 400, json.dumps(error).encode()
        return await original(url, method, request_data, **kw)

    harness.request.do_request = do_request  # type: ignore[method-assign]


def user(member: object) -> User:
    return User(member.telegram_id, first_name="X", language_code="en")  # type: ignore[attr-defined]


def longest(calls: list[Call]) -> int:
    return max((tg_len(c.text) for c in calls), default=0)


def sentence(length: int, word: str = "żółw") -> str:
    text = " ".join([word] * (length // (len(word) + 1) + 1))
    return text[:length]


def test_split_message_cuts_at_lines_and_keeps_everything() -> None:
    text = "\n".join(["🙂 " + sentence(1000)] * 9)
    parts = split_message(text)
    assert len(parts) > 1 and all(tg_len(p) <= LIMIT for p in parts)
    assert "\n".join(parts) == text
    assert split_message("short") == ["short"]
    one_line = "&amp;" * 2000  # never cut inside an HTML entity
    assert all(p.endswith(";") for p in split_message(one_line))


async def test_a_long_summary_is_shown_and_sent_in_parts(
    harness: Harness, db: Database, t: Team
) -> None:
    m = await meeting(db, t, starts_in=timedelta(hours=1))
    summary = sentence(2940)
    async with db.session() as session:
        stored = await session.get(Meeting, m.id)
        assert stored is not None
        stored.summary, stored.topic = summary, sentence(service.TOPIC_MAX, "Ą")
        session.add(stored)
        for number in range(5):
            session.add(
                ActionItem(
                    meeting_id=m.id,  # type: ignore[arg-type]
                    text=f"{number} " + sentence(278),
                    owner_id=t.members[number % 3].id,
                    due_on=date(2026, 12, 10),
                )
            )
    lead = user(t.lead)
    calls = await harness.press(lead, f"mt:fu:{m.id}")
    assert longest(calls) <= LIMIT
    assert "something went wrong" not in harness.texts(calls).lower()
    shown = harness.texts(calls)
    assert summary in shown and "4 żółw" in shown  # the summary and the last item
    publish = next(d for c in calls for label, d in c.buttons if "Send the summary" in label)
    calls = await harness.press(lead, publish)
    assert longest(calls) <= LIMIT
    assert "The summary went to 3 people." in harness.texts(calls)
    for member in t.members:
        received = harness.texts(harness.sent_to(member.telegram_id))
        assert summary in received and "4 żółw" in received
    assert summary in harness.texts(harness.sent_to(-100777))


async def test_meetings_is_paged_and_its_buttons_are_cut_with_an_ellipsis(
    harness: Harness, db: Database, t: Team
) -> None:
    anna = t.members[0]
    async with db.session() as session:
        for number in range(12):
            draft = service.MeetingDraft(
                group_id=t.group.id,  # type: ignore[arg-type]
                topic=f"{number} " + sentence(service.TOPIC_MAX - 3),
                place="Hall",
                starts_at=NOW + timedelta(days=1, hours=number),
            )
            created = await service.create_meeting(session, t.lead, draft, now=NOW)
            session.add(
                ActionItem(
                    meeting_id=created.id,  # type: ignore[arg-type]
                    text=sentence(service.ITEM_MAX),
                    owner_id=anna.id,
                    due_on=date(2026, 12, 10),
                )
            )
        for _number in range(10):
            session.add(DatePoll(group_id=t.group.id, topic=sentence(200), place="Hall"))  # type: ignore[arg-type]
    calls = await harness.send(user(anna), "/meetings")
    page = calls[-1]
    assert tg_len(page.text) <= LIMIT
    assert "1. " in page.text and "Your upcoming meetings" in page.text
    labels = [label for label, _data in page.buttons]
    assert all(len(label) <= 23 for label in labels), labels
    assert any(label.startswith("1. 0 ") and label.endswith("…") for label in labels)
    seen = page.text
    pages = 1
    while (more := [d for label, d in page.buttons if label == "»"]) and pages < 10:
        page = (await harness.press(user(anna), more[0]))[-1]
        assert tg_len(page.text) <= LIMIT
        assert all(len(label) <= 23 for label, _data in page.buttons)
        seen += page.text
        pages += 1
    assert pages >= 4
    assert "12. " in seen and "Date polls" in seen and "Your tasks" in seen
    async with db.session() as session:
        assert len((await session.exec(select(ActionItem))).all()) == 12
