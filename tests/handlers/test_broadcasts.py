"""Broadcasts through process_update: audience, preview, delivery at the ceiling, restarts."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from telegram.error import Forbidden, RetryAfter
from telegram.request import RequestData

from bot.broadcasting import engine, resume_broadcasts
from bot.config import Settings
from bot.db import Database
from bot.services import broadcasts as service
from models import Broadcast, BroadcastRecipient, Member, RecipientState, Role
from tests.harness import Harness, RecordingRequest, User, start_harness
from tests.helpers_volunteers import add_members, member_by_tid, register

BOSS = User(900001, first_name="Boss", language_code="en")
BLOCKED = set(range(20000, 20010))
THROTTLED = {20050, 20100, 20150}
MARK = "Saturday"  # every broadcast text of these tests has it; delivered counts those


class FlakyRequest(RecordingRequest):
    """Blocked users answer 403; a few chats answer 429 once. `delivered` counts successes."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: Counter[int] = Counter()
        self.throttled: set[int] = set()

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **kw: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        chat = int(params.get("chat_id", 0) or 0)
        if name in ("sendMessage", "sendPhoto"):
            if chat in BLOCKED:
                raise Forbidden("Forbidden: bot was blocked by the user")
            if chat in THROTTLED and chat not in self.throttled:
                self.throttled.add(chat)
                with warnings.catch_warnings():  # PTB 22 warns about the int/timedelta switch
                    warnings.simplefilter("ignore")
                    raise RetryAfter(timedelta(milliseconds=20))
        result = await super().do_request(url, method, request_data, **kw)
        if name in ("sendMessage", "sendPhoto") and MARK in str(
            params.get("text") or params.get("caption")
        ):
            self.delivered[chat] += 1
        return result


@pytest.fixture
async def flaky(settings: Settings, db: Database) -> AsyncIterator[Harness]:
    fast = settings.model_copy(update={"broadcast_rate": 5000.0})
    running = await start_harness(fast, db, FlakyRequest())
    yield running
    await engine(running.app).wait()
    await running.app.shutdown()


async def _compose(h: Harness, text: str, audience_button: str = "Everyone") -> list[Any]:
    await h.send(BOSS, "/broadcast")
    await h.press(BOSS, h.last(BOSS.id).button("New broadcast"))
    await h.press(BOSS, h.last(BOSS.id).button(audience_button))
    return await h.send(BOSS, text)


async def _recipients(db: Database, broadcast_id: int) -> list[BroadcastRecipient]:
    async with db.session() as session:
        rows = await session.exec(
            select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        return list(rows.all())


async def test_broadcast_to_200_with_blocked_and_throttled(flaky: Harness, db: Database) -> None:
    await register(flaky, BOSS, "Boss")
    await add_members(db, range(20000, 20200))
    calls = await _compose(flaky, "<b>Clean-up</b> on Saturday at 10, bring gloves!")
    preview, summary = calls[-2], calls[-1]
    # The real message, as preview: who speaks, the text, and a way back to the menu.
    assert preview.params["text"].startswith("<b>📢 Announcement of the programme coordinators")
    assert preview.params["text"].endswith("<b>Clean-up</b> on Saturday at 10, bring gloves!")
    assert preview.buttons == [("« Menu", "mn")]
    assert "201 people" in summary.text  # 200 residents and the coordinator
    assert flaky.request.delivered[BOSS.id] == 1  # the preview; no one else got anything yet
    await flaky.press(BOSS, summary.button("Send now"))
    await engine(flaky.app).wait()

    delivered: Counter[int] = flaky.request.delivered  # type: ignore[attr-defined]
    assert all(delivered[tid] == 1 for tid in range(20010, 20200)), "nobody twice, nobody missed"
    assert not any(delivered[tid] for tid in BLOCKED)
    assert delivered[BOSS.id] == 2  # the preview and the broadcast
    async with db.session() as session:
        broadcast = (await session.exec(select(Broadcast))).one()
    rows = await _recipients(db, broadcast.id)  # type: ignore[arg-type]
    states = Counter(r.state for r in rows)
    assert states == {RecipientState.SENT: 191, RecipientState.BLOCKED: 10}
    assert all(r.message_id for r in rows if r.state == RecipientState.SENT)
    assert {r.attempts for r in rows if r.chat_id in THROTTLED} == {2}
    assert broadcast.status == "done" and (broadcast.sent, broadcast.blocked) == (191, 10)
    assert not (await member_by_tid(db, 20003)).reachable
    report = flaky.last(BOSS.id).text
    assert "Delivered: 191 of 201" in report and "Blocked the bot: 10" in report

    calls = await flaky.send(BOSS, "/broadcast")
    assert "delivered 191 of 201, blocked 10, failed 0, uncertain 0" in calls[-1].text
    calls = await flaky.press(BOSS, flaky.last(BOSS.id).button("blocked the bot"))
    assert "10 people blocked the bot" in calls[-1].text and "Person 20003" in calls[-1].text


async def test_restart_marks_in_flight_uncertain_and_resends_nothing(
    flaky: Harness, db: Database
) -> None:
    await register(flaky, BOSS, "Boss")
    await add_members(db, range(30000, 30040))
    async with db.session() as session:
        boss = await member_by_tid(db, BOSS.id)
        draft = await service.create_draft(
            session, boss, service.audience_spec("everyone"), "Meeting moved to Saturday"
        )
        await service.start(session, draft.id, boss)  # type: ignore[arg-type]
    rows = await _recipients(db, draft.id)  # type: ignore[arg-type]
    # The crash: 15 were delivered and recorded, 3 were claimed but never settled.
    done, in_flight = rows[:15], rows[15:18]
    async with db.session() as session:
        for row in done:
            row.state, row.message_id, row.attempts = RecipientState.SENT, 1, 1
            session.add(row)
        for row in in_flight:
            row.state, row.attempts = RecipientState.SENDING, 1
            session.add(row)
    await resume_broadcasts(flaky.app)
    await engine(flaky.app).wait()

    delivered: Counter[int] = flaky.request.delivered  # type: ignore[attr-defined]
    resent = [r.chat_id for r in done + in_flight if r.chat_id != BOSS.id and delivered[r.chat_id]]
    assert resent == []
    final = {r.id: r.state for r in await _recipients(db, draft.id)}  # type: ignore[arg-type]
    assert {final[r.id] for r in in_flight} == {RecipientState.UNCERTAIN}
    assert Counter(final.values())[RecipientState.SENT] == 41 - 3
    report = flaky.last(BOSS.id).text
    assert "Uncertain: 3" in report
    names = {(await _member_name(db, r.member_id)) for r in in_flight}
    assert all(name in report for name in names)


async def _member_name(db: Database, member_id: int | None) -> str:
    async with db.session() as session:
        member = await session.get(Member, member_id)
        assert member is not None and member.display_name
        return member.display_name


async def test_bad_html_is_refused_before_anything_is_stored(flaky: Harness, db: Database) -> None:
    await register(flaky, BOSS, "Boss")
    calls = await _compose(flaky, "<b>Unclosed bold and <blink>")
    assert "not support the tag &lt;blink&gt;" in calls[-1].text
    calls = await flaky.send(BOSS, "Fish & chips <i>tonight</i>")
    assert "&amp;amp;" in calls[-1].text  # told to write a lone & as &amp;
    calls = await flaky.send(BOSS, "Fish &amp; chips <i>tonight</i>")
    assert calls[-2].params["text"].endswith("\n\nFish &amp; chips <i>tonight</i>")
    calls = await flaky.send(BOSS, "plain text is fine")
    async with db.session() as session:
        assert len((await session.exec(select(Broadcast))).all()) == 1  # one draft, unsent


async def test_lead_broadcasts_only_to_own_group_and_stop_works(
    flaky: Harness, db: Database
) -> None:
    from models import Group, Membership

    lead_user = User(700, first_name="Lena", language_code="en")
    await register(flaky, lead_user, "Lena")
    members = await add_members(db, range(40000, 40030))
    async with db.session() as session:
        lead = await member_by_tid(db, 700)
        lead.role = Role.LEAD
        session.add(lead)
        group = Group(slug="park", name="Park", lead_id=lead.id)
        other = Group(slug="other", name="Other")
        session.add_all([group, other])
        await session.flush()
        session.add_all([Membership(member_id=m.id, group_id=group.id) for m in members])  # type: ignore[arg-type]
    await flaky.send(lead_user, "/broadcast")
    calls = await flaky.press(lead_user, flaky.last(700).button("New broadcast"))
    assert [t for t, _ in calls[-1].buttons if t != "« Menu"] == ["Park"]
    # A forged button for a group she does not lead is refused on the server.
    calls = await flaky.press(lead_user, f"bc:aud:grp:{other.id}")
    assert "only to the groups you lead" in flaky.texts(calls)

    await flaky.press(lead_user, f"bc:aud:grp:{group.id}")
    calls = await flaky.send(lead_user, "Park meeting on Saturday")
    assert "31 people" in calls[-1].text
    # Slow the engine down so that the stop lands mid-way.
    engine(flaky.app).pacer.interval = 0.05
    await flaky.press(lead_user, calls[-1].button("Send now"))
    import asyncio

    await asyncio.sleep(0.15)
    await flaky.send(lead_user, "/broadcast")
    progress = flaky.last(700)  # the background sends interleave with this reply
    assert "done (delivered" in progress.text
    await flaky.press(lead_user, progress.button("Stop #"))
    await flaky.press(lead_user, flaky.last(700).button("Yes, stop"))
    await engine(flaky.app).wait()
    delivered: Counter[int] = flaky.request.delivered  # type: ignore[attr-defined]
    got = sum(delivered[tid] for tid in range(40000, 40030))
    assert 0 < got < 30
    report = flaky.last(700).text
    assert "was stopped" in report and "Not sent because it was stopped" in report
    assert max(n for tid, n in delivered.items() if tid != 700) == 1


async def test_volunteers_by_street_and_forged_confirmations(flaky: Harness, db: Database) -> None:
    from bot.services import volunteers as volunteers_service

    await register(flaky, BOSS, "Boss")
    people = await add_members(db, range(50000, 50004))
    streets = flaky.app.bot_data["runtime"].profile.streets
    async with db.session() as session:
        for index, member in enumerate(people):
            street = streets[0] if index < 3 else None
            draft = volunteers_service.Draft(name=f"V{index}", street=street)
            await volunteers_service.save(session, member, draft, streets)
    await flaky.send(BOSS, "/broadcast")
    await flaky.press(BOSS, flaky.last(BOSS.id).button("New broadcast"))
    await flaky.press(BOSS, flaky.last(BOSS.id).button("by street"))
    calls = await flaky.press(BOSS, flaky.last(BOSS.id).button(streets[0]))
    assert "3 people" in calls[-1].text
    calls = await flaky.send(BOSS, "Street party on Saturday")
    summary = calls[-1]
    # Somebody else presses the author's confirmation: refused, nothing sent.
    intruder = User(50001, language_code="en")
    calls = await flaky.press(intruder, summary.button("Send now"))
    assert "only coordinators and group leads" in str(calls[-1].params).lower()
    await flaky.press(BOSS, summary.button("Send now"))
    await engine(flaky.app).wait()
    delivered: Counter[int] = flaky.request.delivered  # type: ignore[attr-defined]
    assert {tid for tid in range(50000, 50004) if delivered[tid]} == {50000, 50001, 50002}
    # Pressing Send again (a double tap, or an old message) sends nothing more.
    calls = await flaky.press(BOSS, summary.button("Send now"))
    assert "already been sent" in flaky.texts(calls)
    await engine(flaky.app).wait()
    assert sum(delivered[tid] for tid in range(50000, 50004)) == 3


async def test_photo_broadcast_with_caption(flaky: Harness, db: Database) -> None:
    await register(flaky, BOSS, "Boss")
    await add_members(db, range(60000, 60003))
    await flaky.send(BOSS, "/broadcast")
    await flaky.press(BOSS, flaky.last(BOSS.id).button("New broadcast"))
    await flaky.press(BOSS, flaky.last(BOSS.id).button("Everyone"))
    photo = [{"file_id": "PHOTO-1", "file_unique_id": "p1", "width": 90, "height": 90}]
    calls = await flaky.send_message(BOSS, photo=photo, caption="x" * 1100)
    assert "at most 904" in flaky.texts(calls)  # a caption's limit less the header
    calls = await flaky.send_message(BOSS, photo=photo, caption="Festyn on Saturday!")
    assert calls[-2].method == "sendPhoto" and calls[-2].params["photo"] == "PHOTO-1"
    await flaky.press(BOSS, calls[-1].button("Send now"))
    await engine(flaky.app).wait()
    photos = [
        c for c in flaky.calls if c.method == "sendPhoto" and c.chat_id in range(60000, 60003)
    ]
    assert sorted(c.chat_id for c in photos) == [60000, 60001, 60002]  # type: ignore[type-var]
    assert all(c.params["caption"].endswith("\n\nFestyn on Saturday!") for c in photos)
    # Each recipient reads who speaks in their own language (English here; the default is
    # Polish), and has a way to the menu.
    assert all("Announcement of the programme coordinators" in c.params["caption"] for c in photos)
    assert all("mn" in str(c.params.get("reply_markup")) for c in photos)


async def test_lost_answer_is_uncertain_and_refused_connection_is_retried(
    flaky: Harness, db: Database
) -> None:
    import httpx
    from telegram.error import NetworkError, TimedOut

    await register(flaky, BOSS, "Boss")
    await add_members(db, range(70000, 70004))
    request: FlakyRequest = flaky.request  # type: ignore[assignment]
    original = request.do_request
    failed: set[int] = set()

    async def do_request(url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        chat = int((request_data.parameters if request_data else {}).get("chat_id", 0) or 0)
        if url.endswith("/sendMessage") and chat in (70001, 70002) and chat not in failed:
            failed.add(chat)
            if chat == 70001:  # the request left; the answer never came
                raise TimedOut("Timed out")
            try:  # nothing left: the connection was refused
                raise httpx.ConnectError("refused")
            except httpx.ConnectError as exc:
                raise NetworkError("httpx.ConnectError: refused") from exc
        return await original(url, method, request_data, **kw)

    request.do_request = do_request  # type: ignore[method-assign]
    engine(flaky.app).pacer.pause(0)
    calls = await _compose(flaky, "Saturday picnic")
    await flaky.press(BOSS, calls[-1].button("Send now"))
    await engine(flaky.app).wait()
    async with db.session() as session:
        broadcast = (await session.exec(select(Broadcast))).one()
    rows = {r.chat_id: r for r in await _recipients(db, broadcast.id)}  # type: ignore[arg-type]
    assert rows[70001].state == RecipientState.UNCERTAIN and rows[70001].attempts == 1
    assert rows[70002].state == RecipientState.SENT and rows[70002].attempts == 2
    assert request.delivered[70001] == 0 and request.delivered[70002] == 1
    assert "Uncertain: 1" in flaky.last(BOSS.id).text


async def test_broadcast_to_a_meetings_attendees(flaky: Harness, db: Database) -> None:
    from datetime import UTC, datetime

    from bot.services import meetings as meetings_service
    from models import Answer, Group, Rsvp

    await register(flaky, BOSS, "Boss")
    await add_members(db, range(40000, 40004))
    now = datetime.now(UTC)
    async with db.session() as session:
        boss = await member_by_tid(db, BOSS.id)
        team = (await session.exec(select(Group).where(Group.slug == "mediators"))).one()
        meeting = await meetings_service.create_meeting(
            session,
            boss,
            meetings_service.MeetingDraft(
                group_id=team.id,  # type: ignore[arg-type]
                topic="Stairwell repairs",
                place="Hallera 2",
                starts_at=now + timedelta(days=2),
            ),
            now=now,
        )
        answers = {40000: Answer.YES, 40001: Answer.MAYBE, 40002: Answer.NO}
        for tid, said in answers.items():
            person = await member_by_tid(db, tid)
            session.add(Rsvp(meeting_id=meeting.id, member_id=person.id, answer=said))  # type: ignore[arg-type]
    await flaky.send(BOSS, "/broadcast")
    await flaky.press(BOSS, flaky.last(BOSS.id).button("New broadcast"))
    await flaky.press(BOSS, flaky.last(BOSS.id).button("A meeting's attendees"))
    await flaky.press(BOSS, flaky.last(BOSS.id).button("Stairwell repairs"))
    calls = await flaky.send(BOSS, "See you on Saturday, bring the keys.")
    summary = calls[-1]
    assert "Stairwell repairs" in summary.text and "2 people" in summary.text
    await flaky.press(BOSS, summary.button("Send now"))
    await engine(flaky.app).wait()
    delivered: Counter[int] = flaky.request.delivered  # type: ignore[attr-defined]
    assert delivered[40000] == 1 and delivered[40001] == 1
    assert delivered[40002] == 0 and delivered[40003] == 0


async def test_text_typed_at_the_preview_gets_the_preview_buttons_again(
    harness: Harness, db: Database
) -> None:
    await register(harness, BOSS, "Boss")
    await add_members(db, range(61000, 61002))
    calls = await _compose(harness, "Festyn w sobotę")
    assert calls[-1].button("Send now")
    calls = await harness.send(BOSS, "ok, wysyłaj")
    assert calls and calls[-1].button("Send now") and calls[-1].button("Cancel")
    calls = await harness.press(BOSS, calls[-1].button("Send now"))
    await engine(harness.app).wait()
    delivered = [c for c in harness.calls if c.chat_id in (61000, 61001)]
    assert len(delivered) == 2


async def test_formatting_help_is_given_only_on_request(harness: Harness) -> None:
    await register(harness, BOSS, "Boss")
    await harness.send(BOSS, "/broadcast")
    await harness.press(BOSS, harness.last(BOSS.id).button("New broadcast"))
    calls = await harness.press(BOSS, harness.last(BOSS.id).button("Everyone"))
    assert "HTML" not in harness.texts(calls)
    calls = await harness.press(BOSS, harness.last(BOSS.id).button("Formatting help"))
    assert "HTML" in harness.texts(calls)
