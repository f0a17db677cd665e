"""Volunteers, opportunities and broadcasts: domain rules on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dateparse import parse_when
from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import broadcasts as broadcasts_service
from bot.services import members as members_service
from bot.services import opportunities as opportunities_service
from bot.services import volunteers as volunteers_service
from bot.services.errors import InvalidInput, NotAllowed
from bot.telegram_html import check_html
from models import Member, ProblemArea, RecipientState, Role

STREETS = load_profile().streets


async def registered(db: Database, telegram_id: int, role: Role = Role.RESIDENT) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "en")
        await members_service.set_profile(session, member, display_name=f"M{telegram_id}")
        await members_service.set_role(session, member, role)
    return member


@pytest.mark.parametrize(
    "source",
    [
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>x</code> <pre>y</pre>",
        '<a href="https://example.org/?a=1&amp;b=2">link</a> &lt;3 &gt; &quot;&#128512;',
        '<span class="tg-spoiler">x</span> <tg-spoiler>y</tg-spoiler> <blockquote expandable>q'
        "</blockquote>",
        '<pre><code class="language-python">print()</code></pre> 2 > 1',
    ],
)
def test_telegram_html_accepted(source: str) -> None:
    check_html(source)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<b>open", "never closed"),
        ("<b><i>x</b></i>", "not open"),
        ("<div>x</div>", "not support"),
        ("a < b", "&lt;"),
        ("fish & chips", "&amp;"),
        ("<a>x</a>", "address"),
        ('<b style="x">y</b>', "does not allow"),
        ("<span>x</span>", "spoiler"),
    ],
)
def test_telegram_html_refused(source: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_html(source)
    assert fragment in caught.value.message


def test_visible_length_counts_against_the_caption_limit() -> None:
    limit = broadcasts_service.CAPTION_MAX  # Telegram's 1024 less the header's room
    text = "<b>" + "x" * limit + "</b>"  # 7 characters of HTML more than visible
    assert broadcasts_service.check_text(text, with_photo=True) == text
    with pytest.raises(InvalidInput):
        broadcasts_service.check_text("y" * (limit + 1), with_photo=True)
    assert broadcasts_service.as_html("Tom & Jerry <3") == "Tom &amp; Jerry &lt;3"
    assert broadcasts_service.as_html("<b>hi</b>") == "<b>hi</b>"


def test_parse_when_reads_polish_and_english() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    assert parse_when("15.05 18:30", "pl", now=now) == datetime(2026, 5, 15, 16, 30, tzinfo=UTC)
    assert parse_when("jutro 17:00", "pl", now=now) == datetime(2026, 5, 11, 15, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        parse_when("no idea", "en", now=now)


async def test_volunteer_search_and_audiences(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    members = [await registered(db, 100 + i) for i in range(4)]
    specs = [
        ("Paderewskiego", ["youth"], ["weekend"], "cooking, repairs"),
        ("Paderewskiego", ["family"], ["evening"], "gardening"),
        (None, ["youth", "family"], ["weekday", "weekend"], "Cooking for seniors"),
        ("Mickiewicza", [], [], ""),
    ]
    async with db.session() as session:
        for member, (street, areas, availability, skills) in zip(members, specs, strict=True):
            draft = volunteers_service.Draft(
                name=member.display_name or "",
                street=street,
                areas=areas,
                availability=availability,
                skills=skills,
            )
            await volunteers_service.save(session, member, draft, STREETS)
        with pytest.raises(InvalidInput):
            await volunteers_service.save(
                session, members[0], volunteers_service.Draft(name="X", street="Nowhere"), STREETS
            )

        async def names(**wanted: str) -> list[str]:
            found = await volunteers_service.search(session, volunteers_service.Filter(**wanted))
            return sorted(v.name for v, _m in found)

        assert await names(street="Paderewskiego") == ["M100", "M101"]
        assert await names(street="-") == ["M102"]
        assert await names(area="youth", availability="weekend") == ["M100", "M102"]
        assert await names(skill="COOK") == ["M100", "M102"]
        by_street, _ = await broadcasts_service.recipients(
            session, broadcasts_service.audience_spec("volunteers", street="Paderewskiego")
        )
        assert sorted(chat for _m, chat in by_street) == [100, 101]
        by_area, _ = await broadcasts_service.recipients(
            session, broadcasts_service.audience_spec("volunteers", area="family")
        )
        assert sorted(chat for _m, chat in by_area) == [101, 102]
        members[1].reachable = False
        session.add(members[1])
        await session.flush()
        by_area, unreachable = await broadcasts_service.recipients(
            session, broadcasts_service.audience_spec("volunteers", area="family")
        )
        assert [chat for _m, chat in by_area] == [102] and unreachable == 1
        assert await volunteers_service.withdraw(session, members[3])
        assert await names() == ["M100", "M101", "M102"]


async def test_claim_is_exclusive_and_recovery_marks_uncertain(db: Database) -> None:
    boss = await registered(db, 1, Role.COORDINATOR)
    for i in range(3):
        await registered(db, 200 + i)
    async with db.session() as session:
        draft = await broadcasts_service.create_draft(
            session, boss, broadcasts_service.audience_spec("everyone"), "Hi"
        )
        broadcast = await broadcasts_service.start(session, draft.id, boss)  # type: ignore[arg-type]
        assert broadcast.total == 4
        with pytest.raises(InvalidInput):
            await broadcasts_service.start(session, draft.id, boss)  # type: ignore[arg-type]
        batch = await broadcasts_service.pending_batch(session, broadcast.id, 10)  # type: ignore[arg-type]
    first, second = batch[0][0], batch[1][0]
    async with db.session() as session:
        assert await broadcasts_service.claim(session, first)
    async with db.session() as session:
        assert not await broadcasts_service.claim(session, first)  # nobody claims twice
        assert await broadcasts_service.claim(session, second)
        await broadcasts_service.settle(session, second, RecipientState.SENT, message_id=5)
    async with db.session() as session:
        assert await broadcasts_service.finish(session, broadcast.id) is None  # still pending
        assert await broadcasts_service.recover_in_flight(session) == {broadcast.id: 1}
        counts = await broadcasts_service.progress(session, broadcast.id)  # type: ignore[arg-type]
    assert (counts.uncertain, counts.sent, counts.pending, counts.sending) == (1, 1, 2, 0)


async def test_only_coordinators_and_own_group_leads_broadcast(db: Database) -> None:
    from models import Group

    lead = await registered(db, 2, Role.LEAD)
    async with db.session() as session:
        mine = Group(slug="mine", name="Mine", lead_id=lead.id)
        theirs = Group(slug="theirs", name="Theirs")
        session.add_all([mine, theirs])
        await session.flush()
        await broadcasts_service.check_allowed(
            session, lead, broadcasts_service.audience_spec("group", group_id=mine.id)
        )
        for audience in (
            broadcasts_service.audience_spec("group", group_id=theirs.id),
            broadcasts_service.audience_spec("everyone"),
        ):
            with pytest.raises(NotAllowed):
                await broadcasts_service.check_allowed(session, lead, audience)


async def test_places_are_enforced_and_reminders_go_once(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    boss = await registered(db, 1, Role.COORDINATOR)
    helpers = [await registered(db, 300 + i) for i in range(3)]
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    starts = now + timedelta(days=3)
    async with db.session() as session:
        area = (await session.exec(ProblemArea.__table__.select().limit(1))).first()  # type: ignore[attr-defined]
        with pytest.raises(NotAllowed):
            await opportunities_service.create(
                session,
                helpers[0],
                title="x",
                starts_at=starts,
                place="p",
                places=1,
                area_id=None,
                now=now,
            )
        opportunity = await opportunities_service.create(
            session,
            boss,
            title="Fence",
            starts_at=starts,
            place="Park",
            places=2,
            area_id=area.id,
            now=now,
        )
    oid = opportunity.id
    assert oid is not None
    async with db.session() as session:
        assert (await opportunities_service.sign_up(session, oid, helpers[0], now)).taken == 1
        again = await opportunities_service.sign_up(session, oid, helpers[0], now)
        assert again.already and again.taken == 1
        assert (await opportunities_service.sign_up(session, oid, helpers[1], now)).taken == 2
        with pytest.raises(InvalidInput):
            await opportunities_service.sign_up(session, oid, helpers[2], now)
    offsets = (timedelta(hours=24), timedelta(hours=1))
    async with db.session() as session:
        assert await opportunities_service.claim_due_reminders(session, offsets, now) == []
    # After downtime past both offsets: one reminder, not two.
    late = starts - timedelta(minutes=30)
    async with db.session() as session:
        due = await opportunities_service.claim_due_reminders(session, offsets, late)
        assert [(o.id, len(people)) for o, people in due] == [(oid, 2)]
    async with db.session() as session:
        assert await opportunities_service.claim_due_reminders(session, offsets, late) == []
        assert (
            await opportunities_service.claim_due_reminders(
                session, offsets, starts + timedelta(minutes=1)
            )
            == []
        )


async def test_forget_removes_volunteer_traces(db: Database) -> None:
    from sqlmodel import select

    from models import BroadcastRecipient, OpportunitySignup, Volunteer

    boss = await registered(db, 1, Role.COORDINATOR)
    anna = await registered(db, 400)
    async with db.session() as session:
        await volunteers_service.save(session, anna, volunteers_service.Draft(name="Anna"), STREETS)
        opportunity = await opportunities_service.create(
            session,
            boss,
            title="T",
            starts_at=datetime.now(UTC) + timedelta(days=1),
            place="P",
            places=3,
            area_id=None,
        )
        await opportunities_service.sign_up(session, opportunity.id, anna)  # type: ignore[arg-type]
        draft = await broadcasts_service.create_draft(
            session, boss, broadcasts_service.audience_spec("everyone"), "Hi"
        )
        await broadcasts_service.start(session, draft.id, boss)  # type: ignore[arg-type]
    async with db.session() as session:
        await volunteers_service.forget(session, anna)
    async with db.session() as session:
        assert (await session.exec(select(Volunteer))).all() == []
        assert (await session.exec(select(OpportunitySignup))).all() == []
        chats = (await session.exec(select(BroadcastRecipient.chat_id))).all()
        assert list(chats) == [1]


async def test_group_audience_includes_lead_members_and_linked_chat(db: Database) -> None:
    from models import Group, Membership, MembershipStatus

    lead = await registered(db, 10, Role.LEAD)
    member = await registered(db, 11)
    pending = await registered(db, 12)
    await registered(db, 13)  # not in the group
    async with db.session() as session:
        group = Group(slug="g", name="G", lead_id=lead.id, chat_id=-100500)
        session.add(group)
        await session.flush()
        session.add(Membership(member_id=member.id, group_id=group.id))  # type: ignore[arg-type]
        session.add(
            Membership(member_id=pending.id, group_id=group.id, status=MembershipStatus.PENDING)  # type: ignore[arg-type]
        )
        await session.flush()
        targets, _ = await broadcasts_service.recipients(
            session, broadcasts_service.audience_spec("group", group_id=group.id)
        )
    assert sorted(chat for _m, chat in targets) == [-100500, 10, 11]
    assert [m for m, chat in targets if chat < 0] == [None]
