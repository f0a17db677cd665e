"""Reports and privacy through process_update: /export, /stats, /mydata, /forget, digest."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import JSON, BigInteger, String, Text, select
from sqlmodel import SQLModel

from bot.services import broadcasts as broadcasts_service
from bot.services import meetings as meetings_service
from bot.services import members as members_service
from bot.services import opportunities as opportunities_service
from bot.services import volunteers as volunteers_service
from handlers.digest import JOB_NAME, schedule_digest, send_weekly_digest
from handlers.reports import wait_for_exports
from models import (
    ActionItem,
    Answer,
    Broadcast,
    BroadcastRecipient,
    Contribution,
    DatePollVote,
    Group,
    Meeting,
    Member,
    Membership,
    OpportunitySignup,
    Role,
    Rsvp,
    Support,
    Volunteer,
    utcnow,
)
from tests.harness import Harness, User

# The harness initialises the application without starting it; exports run as tasks anyway.
pytestmark = pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task`")
COORDINATOR = User(900001, "Ewa", "Szef", language_code="pl")
NAME = "Zażółć Gęślą-Jaźń"
PHONE = "+48 600 700 800"
# Monday 30 November 2026, 08:00 in Warsaw (CET, UTC+1).
MONDAY_8 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def runtime(harness: Harness) -> Any:
    return harness.app.bot_data["runtime"]


async def signup(harness: Harness, user: User, name: str, role: Role = Role.RESIDENT) -> Member:
    calls = await harness.send(user, "/start")
    assert any(data == "ob:consent:y" for _text, data in calls[-1].buttons)
    await harness.press(user, "ob:consent:y")
    await harness.send(user, name)
    await harness.send(user, "Szkoła Podstawowa nr 2 w Chełmży")
    async with runtime(harness).db.session() as session:
        member = await members_service.get_by_telegram_id(session, user.id)
        assert member is not None and member.is_registered
        await members_service.raise_role(session, member, role)
    return member


async def join(harness: Harness, member: Member, slug: str, when: datetime | None = None) -> None:
    async with runtime(harness).db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == slug))).scalars().one()
        membership = Membership(member_id=member.id, group_id=group.id)  # type: ignore[arg-type]
        if when is not None:
            membership.joined_at = when
        session.add(membership)


async def contribute(
    harness: Harness, author: Member, slug: str, title: str, when: datetime | None = None
) -> int:
    async with runtime(harness).db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == slug))).scalars().one()
        contribution = Contribution(
            kind="idea",
            title=title,
            details={"title": title, "for_whom": "dzieci z ul. Hallera"},
            group_id=group.id,
            author_id=author.id,
        )
        if when is not None:
            contribution.created_at = when
        session.add(contribution)
        await session.flush()
        return contribution.id  # type: ignore[return-value]


def document(calls: list[Any]) -> tuple[str, bytes]:
    docs = [c for c in calls if c.method == "sendDocument"]
    assert docs, [c.method for c in calls]
    ((filename, content),) = docs[-1].files.items()
    return filename, content


# --- export -----------------------------------------------------------------------------


async def test_coordinator_gets_a_workbook_with_polish_letters(harness: Harness) -> None:
    anna = await signup(harness, User(601, language_code="pl"), NAME)
    await join(harness, anna, "treasurers")
    await contribute(harness, anna, "inventors", "Świetlica w bibliotece")
    await signup(harness, COORDINATOR, "Ewa Szef")
    calls = await harness.send(COORDINATOR, "/export")
    calls = await harness.press(COORDINATOR, calls[-1].button("XLSX"))
    assert any("Przygotowuję eksport" in c.text for c in calls)
    before = len(harness.calls)
    await wait_for_exports()
    calls = harness.calls[before - len(calls) :]
    assert any("Przygotowuję eksport" in c.text for c in calls)
    filename, content = document(calls)
    assert filename.startswith("raport-") and filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    for title in ("Grupy", "Członkowie", "Członkostwo w grupach", "Zaproszenia", "Dziennik zmian"):
        assert title in workbook.sheetnames
    members = list(workbook["Członkowie"].iter_rows(values_only=True))
    assert members[0][:3] == ("Nr", "Imię i nazwisko", "Instytucja")
    assert any(NAME in row for row in members[1:])
    memberships = list(workbook["Członkostwo w grupach"].iter_rows(values_only=True))
    assert ("Skarbnicy", NAME) in [row[:2] for row in memberships]
    ideas = list(workbook["Zgłoszenia"].iter_rows(values_only=True))
    assert ideas[1][1:3] == ("pomysł", "Świetlica w bibliotece")
    assert NAME in ideas[1] and "Wynalazcy" in ideas[1]
    assert any("gotowy" in c.text for c in calls)
    async with runtime(harness).db.session() as session:
        from models import AuditEntry

        actions = (await session.exec(select(AuditEntry.action))).scalars().all()
    assert "export" in actions


async def test_csv_zip_round_trips(harness: Harness) -> None:
    anna = await signup(harness, User(602, language_code="pl"), NAME)
    await join(harness, anna, "mediators")
    await signup(harness, COORDINATOR, "Ewa Szef")
    calls = await harness.send(COORDINATOR, "/export")
    await harness.press(COORDINATOR, calls[-1].button("CSV"))
    before = len(harness.calls)
    await wait_for_exports()
    calls = harness.calls[before:]
    filename, content = document(calls)
    assert filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert "Członkowie.csv" in names
        raw = archive.read("Członkowie.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "Instytucja" in rows[0]
    assert any(NAME in row for row in rows[1:])


async def test_a_leader_cannot_export(harness: Harness) -> None:
    leader = User(603, language_code="en")
    await signup(harness, leader, "Olek Lider", Role.LEADER)
    calls = await harness.send(leader, "/export")
    assert "only coordinators" in harness.texts(calls)
    calls = await harness.press(leader, "rp:ex:xlsx")  # a forged button
    await wait_for_exports()
    calls = harness.sent_to(leader.id)
    assert not [c for c in calls if c.method == "sendDocument"]
    assert "only coordinators" in harness.texts(calls)


# --- stats ------------------------------------------------------------------------------


async def test_lead_gets_stats_with_a_chart_and_a_leader_does_not(harness: Harness) -> None:
    lead = User(604, language_code="en")
    member = await signup(harness, lead, "Lena Lead", Role.LEAD)
    await join(harness, member, "inventors")
    await contribute(harness, member, "inventors", "Idea")
    calls = await harness.send(lead, "/stats")
    summary = calls[-1]
    # The summary first: a few numbers on a phone's screen, details and chart on request.
    assert "People in the team: <b>" in summary.text and "Contributions: <b>1</b>" in summary.text
    assert len(summary.text.splitlines()) <= 12
    assert not [c for c in calls if c.method == "sendPhoto"]
    calls = await harness.press(lead, summary.button("Details"))
    text = harness.texts(calls)
    assert "Members per role" in text and "group leads: 1" in text and "Inventors: 1" in text
    assert "Contributions per kind" in text and "idea: 1" in text
    assert ": 0\n" not in text + "\n", "rows of zeros are left out"
    calls = await harness.press(lead, summary.button("Chart"))
    photo = next(c for c in calls if c.method == "sendPhoto")
    (png,) = photo.files.values()
    assert png.startswith(b"\x89PNG")
    leader = User(605, language_code="en")
    await signup(harness, leader, "Olek", Role.LEADER)
    calls = await harness.send(leader, "/stats")
    assert not [c for c in calls if c.method == "sendPhoto"]
    assert "coordinators and group leads" in harness.texts(calls)
    calls = await harness.press(leader, "rp:sc")
    assert not [c for c in calls if c.method == "sendPhoto"]


# --- mydata and forget ------------------------------------------------------------------


async def test_mydata_sends_a_summary_and_a_json_file(harness: Harness) -> None:
    user = User(606, language_code="en")
    member = await signup(harness, user, NAME, Role.LEADER)
    await join(harness, member, "auditors")
    calls = await harness.send(user, "/mydata")
    assert NAME in harness.texts(calls)
    assert "Memberships: 1" in harness.texts(calls)
    filename, content = document(calls)
    assert filename.endswith(".json")
    data = json.loads(content)
    assert data["member"]["display_name"] == NAME
    assert len(data["tables"]["memberships"]) == 1


def _text_columns(table: Any) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


async def test_forget_leaves_no_trace_of_name_or_phone(harness: Harness) -> None:
    user = User(607, first_name="Zażółć", last_name="Jaźń", language_code="pl")
    member = await signup(harness, user, NAME, Role.COORDINATOR)
    await join(harness, member, "diagnosticians")
    idea = await contribute(
        harness, member, "diagnosticians", "Dlaczego dzieci nie chodzą do szkoły"
    )
    async with runtime(harness).db.session() as session:
        session.add(Support(contribution_id=idea, member_id=member.id))  # type: ignore[arg-type]
    # A volunteer profile, a sign-up, and a broadcast that reached her.
    async with runtime(harness).db.session() as session:
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        draft = volunteers_service.Draft(NAME, PHONE, "Św. Jana", "szycie", ["youth"], ["weekend"])
        await volunteers_service.save(session, fresh, draft, runtime(harness).profile.streets)
        opportunity = await opportunities_service.create(
            session,
            fresh,
            title="Sprzątanie",
            starts_at=utcnow() + timedelta(days=3),
            place="Świetlica",
            places=4,
            area_id=None,
        )
        await opportunities_service.sign_up(session, opportunity.id, fresh)  # type: ignore[arg-type]
        broadcast = await broadcasts_service.create_draft(
            session, fresh, broadcasts_service.audience_spec("everyone"), "Dzień dobry"
        )
        await broadcasts_service.start(session, broadcast.id, fresh)  # type: ignore[arg-type]
    # Meetings: her answer and check-in, a task she owes, her vote in a date poll.
    async with runtime(harness).db.session() as session:
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        group = (
            (await session.exec(select(Group).where(Group.slug == "diagnosticians")))
            .scalars()
            .one()
        )
        now = utcnow()
        draft = meetings_service.MeetingDraft(
            group_id=group.id,  # type: ignore[arg-type]
            topic="Frekwencja w szkole",
            place="Świetlica",
            starts_at=now + timedelta(minutes=10),
        )
        meeting = await meetings_service.create_meeting(session, fresh, draft, now=now)
        await meetings_service.answer(session, fresh, meeting.id, Answer.YES, now=now)  # type: ignore[arg-type]
        await meetings_service.check_in(session, fresh, meeting.id, now=now)  # type: ignore[arg-type]
        await meetings_service.add_action_item(
            session,
            fresh,
            meeting.id,  # type: ignore[arg-type]
            text="Porozmawiać z pedagogiem",
            owner_id=fresh.id,  # type: ignore[arg-type]
            due_on=now.date() + timedelta(days=7),
            today=now.date(),
        )
        draft.candidates = [now + timedelta(days=3), now + timedelta(days=4)]
        poll = await meetings_service.create_poll(session, fresh, draft, now=now)
        (option, _voters), *_rest = await meetings_service.poll_tallies(session, poll.id)  # type: ignore[arg-type]
        await meetings_service.toggle_vote(session, fresh, option.id)  # type: ignore[arg-type]
    # A draft holding a phone number, as the volunteer conversation would keep it.
    harness.app.user_data[user.id]["draft"] = {"phone": PHONE, "name": NAME}
    # Something she did as a coordinator: an invite and its audit entry.
    calls = await harness.send(user, "/invite")
    calls = await harness.press(user, calls[-1].button("koordynator"))
    calls = await harness.press(user, calls[-1].button("1"))
    await harness.press(user, calls[-1].button("7"))

    calls = await harness.send(user, "/forget")
    assert "Tego nie da się cofnąć" in calls[-1].text
    await harness.press(user, calls[-1].button("Nie"))
    async with runtime(harness).db.session() as session:
        assert await members_service.get_by_telegram_id(session, user.id) is not None
    await harness.send(user, "/idea")  # a draft in a conversation, left open
    async with runtime(harness).db.session() as session:
        from models import BotState

        rows = (await session.exec(select(BotState))).scalars().all()
        assert [r for r in rows if r.kind.startswith("conv:") and str(user.id) in r.key]
    calls = await harness.send(user, "/forget")
    calls = await harness.press(user, calls[-1].button("Tak"))
    assert "usunięte" in harness.texts(calls)
    for handlers in harness.app.handlers.values():
        for handler in handlers:
            conversations = getattr(handler, "_conversations", {})
            assert not [key for key in conversations if user.id in key]

    async with runtime(harness).db.session() as session:
        assert await members_service.get_by_telegram_id(session, user.id) is None
        for table in SQLModel.metadata.sorted_tables:
            # Telegram ids are numbers too (a broadcast's delivery row keeps the chat id).
            for column in (c for c in table.columns if isinstance(c.type, BigInteger)):
                values = (await session.exec(select(column))).scalars().all()
                assert user.id not in values, (table.name, column.name)
            columns = _text_columns(table)
            if not columns:
                continue
            for row in (await session.exec(select(*columns))).all():
                for value in row:
                    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
                    for needle in (NAME, "Zażółć", PHONE, str(user.id)):
                        assert needle not in text, (table.name, text)
        from models import AuditEntry, Invite

        states = (await session.exec(select(BotState))).scalars().all()
        assert not [s for s in states if str(user.id) in s.key], states

        forget = (
            (await session.exec(select(AuditEntry).where(AuditEntry.action == "member.forget")))
            .scalars()
            .one()
        )
        assert forget.actor_id is None and NAME not in json.dumps(forget.details)
        invite = (await session.exec(select(Invite))).scalars().one()
        assert invite.created_by_id is None  # authored content stays, anonymised
        kept = await session.get(Contribution, idea)
        assert kept is not None and kept.author_id is None
        assert not (await session.exec(select(Support))).all()
        for table in (Volunteer, OpportunitySignup, BroadcastRecipient, Rsvp, DatePollVote):
            assert not (await session.exec(select(table))).all(), table
        task = (await session.exec(select(ActionItem))).scalars().one()
        assert task.owner_id is None and task.text == "Porozmawiać z pedagogiem"
        kept_meeting = await session.get(Meeting, meeting.id)
        assert kept_meeting is not None and kept_meeting.created_by_id is None
        kept_broadcast = await session.get(Broadcast, broadcast.id)
        assert kept_broadcast is not None and kept_broadcast.author_id is None
    assert user.id not in harness.app.user_data or not harness.app.user_data[user.id]


# --- weekly digest ----------------------------------------------------------------------


async def test_digest_goes_to_leaders_once_and_respects_opt_out(harness: Harness) -> None:
    anna_user = User(611, language_code="pl")
    anna = await signup(harness, anna_user, "Anna Liderka", Role.LEADER)
    await join(harness, anna, "treasurers", MONDAY_8 - timedelta(days=30))
    newbie = await signup(harness, User(612, language_code="pl"), "Bartek Nowy")
    await join(harness, newbie, "treasurers", MONDAY_8 - timedelta(days=2))
    old = await signup(harness, User(613, language_code="pl"), "Celina Dawna")
    await join(harness, old, "treasurers", MONDAY_8 - timedelta(days=20))
    john_user = User(614, language_code="en")
    john = await signup(harness, john_user, "John Leader", Role.LEADER)
    await join(harness, john, "treasurers", MONDAY_8 - timedelta(days=30))
    await contribute(
        harness, newbie, "treasurers", "Sala w MOPS po 16:00", MONDAY_8 - timedelta(days=1)
    )
    await contribute(harness, old, "treasurers", "Stary pomysł", MONDAY_8 - timedelta(days=9))
    await contribute(harness, old, "mediators", "Nie nasza grupa", MONDAY_8 - timedelta(days=1))
    quiet_user = User(615, language_code="en")
    quiet = await signup(harness, quiet_user, "Quiet Leader", Role.LEADER)
    await join(harness, quiet, "treasurers", MONDAY_8 - timedelta(days=30))
    calls = await harness.send(quiet_user, "/settings")
    await harness.press(quiet_user, calls[-1].button("off"))
    harness.calls.clear()

    assert await send_weekly_digest(harness.app, now=MONDAY_8 - timedelta(minutes=1)) == 0
    assert await send_weekly_digest(harness.app, now=MONDAY_8 + timedelta(hours=2)) == 2
    to_anna = harness.last(anna_user.id)
    assert "Podsumowanie tygodnia" in to_anna.text and "Skarbnicy" in to_anna.text
    assert "Bartek Nowy" in to_anna.text and "Celina Dawna" not in to_anna.text
    assert "Nowe zgłoszenia w Twoich grupach" in to_anna.text
    assert "pomysł: Sala w MOPS po 16:00" in to_anna.text
    assert "Stary pomysł" not in to_anna.text and "Nie nasza grupa" not in to_anna.text
    to_john = harness.last(john_user.id)
    assert "Your weekly digest" in to_john.text and "Treasurers — 5 members" in to_john.text
    assert not harness.sent_to(quiet_user.id)
    assert not harness.sent_to(612)  # residents get no digest

    # A restart later the same Monday sends nothing twice; Tuesday sends nothing at all.
    assert await send_weekly_digest(harness.app, now=MONDAY_8 + timedelta(hours=5)) == 0
    assert await send_weekly_digest(harness.app, now=MONDAY_8 + timedelta(days=1)) == 0

    # The button under the digest turns it off.
    await harness.press(john_user, to_john.button("Stop"))
    async with runtime(harness).db.session() as session:
        stored = await members_service.get_by_telegram_id(session, john_user.id)
    assert stored is not None and stored.digest_opt_out
    next_week = MONDAY_8 + timedelta(days=7, hours=1)
    harness.calls.clear()
    assert await send_weekly_digest(harness.app, now=next_week) == 1
    assert harness.sent_to(anna_user.id) and not harness.sent_to(john_user.id)


async def test_digest_is_scheduled_for_monday_eight_local_time(harness: Harness) -> None:
    schedule_digest(harness.app, now=MONDAY_8 - timedelta(days=3))
    (job,) = harness.app.job_queue.get_jobs_by_name(JOB_NAME)
    trigger = job.job.trigger
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert first is not None
    local = first.astimezone(runtime(harness).settings.timezone)
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
    assert local.date().isoformat() == "2026-11-30"


async def test_audit_log_shows_who_did_what_to_coordinators_only(harness: Harness) -> None:
    boss = User(900001, "Ewa", "Szef", language_code="en")
    await signup(harness, boss, "Ewa Szef")
    calls = await harness.send(boss, "/invite")
    calls = await harness.press(boss, calls[-1].button("leader"))
    calls = await harness.press(boss, calls[-1].button("No group"))
    calls = await harness.press(boss, calls[-1].button("5"))
    await harness.press(boss, calls[-1].button("7"))
    calls = await harness.send(boss, "/audit")
    text = harness.texts(calls)
    assert "Audit log" in text and "Ewa Szef · invite created" in text
    leader = User(620, language_code="en")
    await signup(harness, leader, "Olek", Role.LEADER)
    calls = await harness.send(leader, "/audit")
    assert "only coordinators" in harness.texts(calls)


async def test_a_digest_missed_during_downtime_is_caught_up_the_same_monday(
    harness: Harness,
) -> None:
    from handlers.digest import CATCH_UP_JOB

    schedule_digest(harness.app, now=MONDAY_8 + timedelta(hours=3))
    assert harness.app.job_queue.get_jobs_by_name(CATCH_UP_JOB)
    schedule_digest(harness.app, now=MONDAY_8 + timedelta(days=1))  # Tuesday: too late
    assert not [
        job for job in harness.app.job_queue.get_jobs_by_name(CATCH_UP_JOB) if not job.removed
    ]
