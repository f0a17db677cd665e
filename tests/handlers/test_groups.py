"""Working groups through process_update: browsing, joining, requests, creation, roles, chats."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import select

from bot import notify
from bot.services import groups as groups_service
from models import Group, Member, Role
from tests.harness import BOT_USER, Call, Harness, User

COORDINATOR = 900001  # a coordinator from the settings
CHAT_ID = -1001234
CHAT: dict[str, Any] = {"id": CHAT_ID, "type": "supergroup", "title": "Skarbnicy"}


def runtime(harness: Harness) -> Any:
    return harness.app.bot_data["runtime"]


async def register(
    harness: Harness, user: User, role: Role | None = None, institution: str | None = None
) -> Member:
    """Onboard through the bot, then (for the test's set-up only) give a role."""
    await harness.send(user, "/start")
    await harness.press(user, "ob:consent:y")
    await harness.send(user, user.first_name)
    if institution:
        await harness.send(user, institution)
    else:
        await harness.press(user, "ob:inst:skip")
    async with runtime(harness).db.session() as session:
        member = (await session.exec(select(Member).where(Member.telegram_id == user.id))).one()
        if role is not None:
            member.role = role
            session.add(member)
    return member


async def stored_group(harness: Harness, **where: Any) -> Group:
    async with runtime(harness).db.session() as session:
        query = select(Group)
        for key, value in where.items():
            query = query.where(getattr(Group, key) == value)
        return (await session.exec(query)).one()


async def closed_group_led_by(harness: Harness, lead: Member) -> Group:
    async with runtime(harness).db.session() as session:
        boss = (await session.exec(select(Member).where(Member.telegram_id == COORDINATOR))).first()
        if boss is None:
            boss = Member(telegram_id=COORDINATOR, role=Role.COORDINATOR)
            boss.display_name, boss.consent_at = "Boss", lead.consent_at
            session.add(boss)
            await session.flush()
        area = (await groups_service.areas(session))[0]
        return await groups_service.create_group(
            session,
            boss,
            name="Homework club",
            area_id=area.id,
            parent_id=None,
            is_open=False,
            lead_id=lead.id,
        )


def answered(calls: list[Call]) -> str:
    return " ".join(
        str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"
    )


async def test_leader_joins_and_leaves_a_team(harness: Harness) -> None:
    ewa = User(601, "Ewa", language_code="en")
    await register(harness, ewa, Role.LEADER)
    calls = await harness.send(ewa, "/groups")
    listing = calls[-1]
    assert "Treasurers" in listing.text and "0 members" in listing.text
    page = (await harness.press(ewa, listing.button("Treasurers")))[-1]
    assert "Look for local resources" in page.text
    calls = await harness.press(ewa, page.button("Join"))
    assert "You joined Treasurers" in answered(calls)
    assert "You are a member" in calls[-1].text and "1 member" in calls[-1].text
    mine = (await harness.press(ewa, "gr:my"))[-1]
    assert "Treasurers" in mine.text
    calls = await harness.press(ewa, calls[-1].button("Leave"))
    assert "You left Treasurers" in answered(calls)
    mine = (await harness.press(ewa, "gr:my"))[-1]
    assert "not in any group" in mine.text


async def test_coordinator_creates_small_group_and_appoints_lead(harness: Harness) -> None:
    boss = User(COORDINATOR, "Boss", language_code="en")
    lena = User(602, "Lena", language_code="en")
    await register(harness, boss)
    lena_member = await register(harness, lena, Role.LEADER)
    listing = (await harness.press(boss, "gr"))[-1]
    prompt = (await harness.press(boss, listing.button("New small group")))[-1]
    assert "name" in prompt.text
    areas = (await harness.send(boss, "Homework club for Skargi street"))[-1]
    parents = (await harness.press(boss, areas.button("children and youth")))[-1]
    openness = (await harness.press(boss, parents.button("No parent team")))[-1]
    leads = (await harness.press(boss, openness.button("approves")))[-1]
    summary = (await harness.press(boss, leads.button("Lena")))[-1]
    assert "Homework club" in summary.text and "Lena" in summary.text
    calls = await harness.press(boss, summary.button("Create"))
    page = calls[-1]
    assert "Homework club for Skargi street" in page.text and "Lead: Lena" in page.text
    told = harness.last(lena.id)
    assert "made you the lead of Homework club" in told.text
    assert any(c.method == "setMyCommands" and c.params.get("scope") for c in calls)
    group = await stored_group(harness, name="Homework club for Skargi street")
    assert group.lead_id == lena_member.id and not group.is_open
    async with runtime(harness).db.session() as session:
        assert (await session.get(Member, lena_member.id)).role == Role.LEAD  # type: ignore[union-attr]


async def test_resident_asks_to_join_closed_group_and_lead_approves(harness: Harness) -> None:
    lena = User(603, "Lena", language_code="en")
    rysiek = User(604, "Rysiek", language_code="uk")
    lead = await register(harness, lena, Role.LEADER)
    await register(harness, rysiek)
    group = await closed_group_led_by(harness, lead)
    page = (await harness.press(rysiek, f"gr:p:{group.id}:0"))[-1]
    calls = await harness.press(rysiek, page.button("Попросити"))
    assert "запит" in answered(calls).lower()
    request = harness.last(lena.id)
    assert "Rysiek asks to join Homework club" in request.text
    calls = await harness.press(lena, request.button("Approve"))
    assert "Rysiek is now a member" in calls[-1].text
    assert "Homework club" in harness.last(rysiek.id).text
    assert "учасник" in harness.last(rysiek.id).text.lower()
    # The same button pressed again changes nothing and says so.
    calls = await harness.press(lena, request.button("Decline"))
    assert "already decided" in answered(calls)
    async with runtime(harness).db.session() as session:
        resident = (await session.exec(select(Member).where(Member.telegram_id == 604))).one()
        assert await groups_service.is_member(session, group, resident)


def chat_admins(harness: Harness, admins: set[int]) -> None:
    """Answer getChatMember like Telegram: `admins` own the chat, others are plain members."""
    original = harness.request.do_request

    async def do_request(url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        if url.endswith("/getChatMember"):
            params = dict(request_data.parameters)
            harness.request.calls.append(Call("getChatMember", params))
            user_id = int(params["user_id"])
            user = {"id": user_id, "is_bot": False, "first_name": "X"}
            result = (
                {"status": "creator", "user": user, "is_anonymous": False}
                if user_id in admins
                else {"status": "member", "user": user}
            )
            return 200, json.dumps({"ok": True, "result": result}).encode()
        return await original(url, method, request_data, **kw)

    harness.request.do_request = do_request  # type: ignore[method-assign]


async def test_group_chat_is_linked_and_receives_a_post(harness: Harness) -> None:
    lena = User(605, "Lena", language_code="en")
    olek = User(606, "Olek", language_code="en")
    lead = await register(harness, lena, Role.LEADER)
    await register(harness, olek, Role.COORDINATOR)
    group = await closed_group_led_by(harness, lead)
    chat_admins(harness, {lena.id})

    calls = await harness.send(olek, "/link", chat=CHAT)
    assert "administrator" in harness.texts(calls)  # a coordinator, but not the chat's admin
    assert (await stored_group(harness, id=group.id)).chat_id is None

    picker = (await harness.send(lena, "/link", chat=CHAT))[-1]
    assert picker.chat_id == CHAT_ID
    calls = await harness.press(lena, picker.button("Homework club"), chat=CHAT)
    # The announcement is posted in the programme's language (Polish by default).
    post = harness.last(CHAT_ID, "sendMessage")
    assert "podłączony do grupy Homework club" in post.text
    linked = await stored_group(harness, id=group.id)
    assert linked.chat_id == CHAT_ID

    await notify.post_to_group_chat(
        harness.app.bot, linked, lambda: ("Meeting on Friday at 17:00", None), "en"
    )
    assert harness.last(CHAT_ID).text == "Meeting on Friday at 17:00"

    calls = await harness.send(lena, "/unlink", chat=CHAT)
    assert "no longer linked" in harness.texts(calls)
    assert (await stored_group(harness, id=group.id)).chat_id is None


async def test_removing_the_bot_from_the_chat_unlinks_it(harness: Harness) -> None:
    lena = User(607, "Lena", language_code="en")
    lead = await register(harness, lena, Role.LEADER)
    group = await closed_group_led_by(harness, lead)
    chat_admins(harness, {lena.id})
    picker = (await harness.send(lena, "/link", chat=CHAT))[-1]
    await harness.press(lena, picker.button("Homework club"), chat=CHAT)
    assert (await stored_group(harness, id=group.id)).chat_id == CHAT_ID
    await harness.feed(
        {
            "my_chat_member": {
                "chat": CHAT,
                "from": lena.as_dict(),
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": BOT_USER},
                "new_chat_member": {"status": "left", "user": BOT_USER},
            }
        }
    )
    assert (await stored_group(harness, id=group.id)).chat_id is None


async def test_non_admin_and_plain_leader_cannot_link(harness: Harness) -> None:
    ewa = User(608, "Ewa", language_code="en")
    await register(harness, ewa, Role.LEADER)
    chat_admins(harness, {ewa.id})
    calls = await harness.send(ewa, "/link", chat=CHAT)
    assert "Only a coordinator or a group's lead" in harness.texts(calls)
    calls = await harness.press(ewa, "gr:lk:1", chat=CHAT)
    assert "Only the group's lead or a coordinator" in answered(calls)
    assert (await stored_group(harness, slug="treasurers")).chat_id is None


async def test_forged_archive_by_resident_is_refused_and_changes_nothing(
    harness: Harness,
) -> None:
    lena = User(609, "Lena", language_code="en")
    rysiek = User(610, "Rysiek", language_code="en")
    lead = await register(harness, lena, Role.LEADER)
    await register(harness, rysiek)
    group = await closed_group_led_by(harness, lead)
    for user in (rysiek, lena):  # a resident, and even the group's own lead
        calls = await harness.press(user, f"gr:arc:{group.id}:y")
        assert "only coordinators" in answered(calls)
    calls = await harness.press(rysiek, f"gr:ok:{group.id}:{lead.id}")
    assert "Only the group's lead or a coordinator" in answered(calls)
    stored = await stored_group(harness, id=group.id)
    assert stored.archived_at is None


async def test_coordinator_archives_with_confirmation_and_buttons_go_stale(
    harness: Harness,
) -> None:
    boss = User(COORDINATOR, "Boss", language_code="en")
    lena = User(611, "Lena", language_code="en")
    await register(harness, boss)
    lead = await register(harness, lena, Role.LEADER)
    group = await closed_group_led_by(harness, lead)
    page = (await harness.press(boss, f"gr:p:{group.id}:0"))[-1]
    question = (await harness.press(boss, page.button("Archive")))[-1]
    assert "Archive Homework club?" in question.text
    await harness.press(boss, question.button("No"))
    assert (await stored_group(harness, id=group.id)).archived_at is None
    calls = await harness.press(boss, question.button("Yes"))
    assert "was archived" in calls[-1].text
    assert (await stored_group(harness, id=group.id)).archived_at is not None
    listing = (await harness.send(boss, "/groups"))[-1]
    assert "Homework club" not in listing.text
    calls = await harness.press(lena, f"gr:j:{group.id}")
    assert "no longer exists" in answered(calls)


async def test_member_list_is_private_to_members_and_coordinators(harness: Harness) -> None:
    iza = User(612, "Iza", language_code="en")
    olek = User(613, "Olek", language_code="en")
    boss = User(COORDINATOR, "Boss", language_code="en")
    await register(harness, iza, Role.LEADER, institution="Library PiMBP")
    await register(harness, olek, Role.LEADER)
    await register(harness, boss)
    treasurers = await stored_group(harness, slug="treasurers")
    await harness.press(iza, f"gr:j:{treasurers.id}")
    inside = (await harness.press(iza, f"gr:p:{treasurers.id}:0"))[-1]
    assert "Iza — Library PiMBP" in inside.text
    outside = (await harness.press(olek, f"gr:p:{treasurers.id}:0"))[-1]
    assert "Iza" not in outside.text and "Library" not in outside.text
    assert "Only members of this group and coordinators" in outside.text
    coordinator = (await harness.press(boss, f"gr:p:{treasurers.id}:0"))[-1]
    assert "Iza — Library PiMBP" in coordinator.text


async def test_coordinator_grants_and_revokes_roles_with_confirmation(harness: Harness) -> None:
    boss = User(COORDINATOR, "Boss", language_code="en")
    ola = User(614, "Ola", language_code="pl")
    await register(harness, boss)
    await register(harness, ola, Role.LEADER)
    people = (await harness.press(boss, "gr:ppl:0"))[-1]
    card = (await harness.press(boss, people.button("Ola")))[-1]
    question = (await harness.press(boss, card.button("coordinator")))[-1]
    assert "Make Ola a coordinator?" in question.text
    calls = await harness.press(boss, question.button("Yes"))
    assert any(c.method == "setMyCommands" and c.params.get("scope") for c in calls)
    assert "nadał" in harness.last(ola.id, "sendMessage").text
    async with runtime(harness).db.session() as session:
        stored = (await session.exec(select(Member).where(Member.telegram_id == 614))).one()
        assert stored.role == Role.COORDINATOR
    card = calls[-1]
    question = (await harness.press(boss, card.button("Take back")))[-1]
    await harness.press(boss, question.button("Yes"))
    async with runtime(harness).db.session() as session:
        stored = (await session.exec(select(Member).where(Member.telegram_id == 614))).one()
        assert stored.role == Role.LEADER
    # A leader's forged grant changes nothing.
    calls = await harness.press(ola, f"gr:rgc:{stored.id}:coordinator:y")
    assert "tylko koordynatorzy" in answered(calls)


async def test_lead_renames_group_and_coordinator_hands_it_over(harness: Harness) -> None:
    boss = User(COORDINATOR, "Boss", language_code="en")
    lena = User(615, "Lena", language_code="en")
    iza = User(616, "Iza", language_code="en")
    await register(harness, boss)
    lead = await register(harness, lena, Role.LEADER)
    await register(harness, iza, Role.LEADER)
    group = await closed_group_led_by(harness, lead)
    page = (await harness.press(lena, f"gr:p:{group.id}:0"))[-1]
    edit = (await harness.press(lena, page.button("Edit")))[-1]
    prompt = (await harness.press(lena, edit.button("Rename")))[-1]
    assert "new name" in prompt.text
    calls = await harness.send(lena, "Homework club at the library")
    assert "Saved" in calls[-1].text
    assert (await stored_group(harness, id=group.id)).name == "Homework club at the library"
    calls = await harness.press(lena, edit.button("Open to everyone"))
    assert (await stored_group(harness, id=group.id)).is_open
    # Iza joins the now open group; the coordinator makes her the lead.
    await harness.press(iza, f"gr:j:{group.id}")
    picker = (await harness.press(boss, f"gr:ld:{group.id}:0"))[-1]
    question = (await harness.press(boss, picker.button("Iza")))[-1]
    assert "Make Iza the lead" in question.text
    await harness.press(boss, question.button("Yes"))
    assert (await stored_group(harness, id=group.id)).lead_id != lead.id
    assert "made you the lead" in harness.last(iza.id).text
    # Lena's edit buttons went stale with her lead; they now change nothing.
    calls = await harness.press(lena, f"gr:eo:{group.id}")
    assert "Only the group's lead or a coordinator" in answered(calls)
    assert (await stored_group(harness, id=group.id)).is_open


async def test_group_page_shows_its_latest_contributions(harness: Harness) -> None:
    from bot.services import contributions as contributions_service

    anna = User(7301, "Anna", language_code="en")
    member = await register(harness, anna, Role.LEADER)
    team = await stored_group(harness, slug="inventors")
    async with runtime(harness).db.session() as session:
        area = (await groups_service.areas(session))[0]
        for title in ("Homework café", "Tool library"):
            draft = contributions_service.new_draft("idea")
            draft["fields"] = {"title": title, "for_whom": "kids", "first_step": "ask"}
            draft["area_id"], draft["group_id"] = area.id, team.id
            await contributions_service.submit(session, member, draft)
    calls = await harness.press(anna, f"gr:p:{team.id}:0")
    page = calls[-1]
    assert "Latest contributions" in page.text
    assert page.text.index("Tool library") < page.text.index("Homework café")
    browse = page.button("Group contributions")
    calls = await harness.press(anna, browse)
    assert "Tool library" in harness.texts(calls)


async def test_lead_removes_a_member_after_confirming_and_they_are_told(harness: Harness) -> None:
    from models import AuditEntry

    lena = User(620, "Lena", language_code="en")
    rysiek = User(621, "Rysiek", language_code="pl")
    olek = User(622, "Olek", language_code="en")
    lead = await register(harness, lena, Role.LEADER)
    resident = await register(harness, rysiek)
    await register(harness, olek, Role.LEADER)
    group = await closed_group_led_by(harness, lead)
    await harness.press(rysiek, f"gr:j:{group.id}")
    await harness.press(lena, f"gr:ok:{group.id}:{resident.id}")
    # A member who does not lead the group cannot remove anyone, even with forged data.
    calls = await harness.press(olek, f"gr:rmc:{group.id}:{resident.id}:y")
    assert "Only the group's lead or a coordinator" in answered(calls)
    page = (await harness.press(lena, f"gr:p:{group.id}:0"))[-1]
    listing = (await harness.press(lena, page.button("Manage members")))[-1]
    assert "Lena" not in " ".join(label for label, _data in listing.buttons)  # the lead stays
    question = (await harness.press(lena, listing.button("Rysiek")))[-1]
    assert "Remove Rysiek from Homework club?" in question.text
    await harness.press(lena, question.button("No"))
    async with runtime(harness).db.session() as session:
        assert await groups_service.is_member(session, group, resident)
    calls = await harness.press(lena, question.button("Yes"))
    assert "Rysiek was removed" in answered(calls)
    assert "Homework club" in harness.last(rysiek.id).text
    assert "nie należysz już" in harness.last(rysiek.id).text.lower()  # in Polish
    async with runtime(harness).db.session() as session:
        assert not await groups_service.is_member(session, group, resident)
        audit = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "group.member.remove"))
        ).one()
        assert audit.target == f"group:{group.id}" and audit.details["member"] == resident.id
    # The same confirmation pressed again changes nothing and says so.
    calls = await harness.press(lena, question.button("Yes"))
    assert "no longer a member" in answered(calls)


async def test_join_leave_loop_sends_the_lead_one_request_card(harness: Harness) -> None:
    lena = User(623, "Lena", language_code="en")
    rysiek = User(624, "Rysiek", language_code="en")
    lead = await register(harness, lena, Role.LEADER)
    await register(harness, rysiek)
    group = await closed_group_led_by(harness, lead)
    harness.request.calls.clear()
    refusals = []
    for _ in range(25):
        calls = await harness.press(rysiek, f"gr:j:{group.id}")
        refusals.append(answered(calls))
        await harness.press(rysiek, f"gr:l:{group.id}")
    cards = [
        c
        for c in harness.request.calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == lena.id
        and "asks to join" in str(c.params.get("text"))
    ]
    assert len(cards) == 1
    assert any("wait a few minutes" in text for text in refusals)


async def test_coordinator_searches_people_by_letters_without_polish_marks(
    harness: Harness,
) -> None:
    boss = User(COORDINATOR, "Boss", language_code="en")
    await register(harness, boss)
    await register(harness, User(625, "Anna Łęcka", language_code="pl"), Role.LEADER)
    await register(harness, User(626, "Ola Nowak", language_code="pl"), Role.LEADER)
    people = (await harness.press(boss, "gr:ppl:0"))[-1]
    prompt = (await harness.press(boss, people.button("Search")))[-1]
    assert "letters" in prompt.text
    calls = await harness.send(boss, "l")
    assert "at least 2 letters" in harness.texts(calls)
    found = (await harness.send(boss, "lecka"))[-1]
    assert "Anna Łęcka" in " ".join(b[0] for b in found.buttons)
    assert "Ola" not in " ".join(b[0] for b in found.buttons)
    card = (await harness.press(boss, found.button("Łęcka")))[-1]
    assert "Role:" in card.text


async def test_coordinator_moves_a_small_group_to_another_team(harness: Harness) -> None:
    from models import AuditEntry

    boss = User(COORDINATOR, "Boss", language_code="en")
    lena = User(627, "Lena", language_code="en")
    await register(harness, boss)
    lead = await register(harness, lena, Role.LEADER)
    group = await closed_group_led_by(harness, lead)
    team = await stored_group(harness, slug="treasurers")
    # The group's lead edits it, but only a coordinator moves it between teams.
    edit = (await harness.press(lena, f"gr:ed:{group.id}"))[-1]
    assert "Parent team" not in " ".join(b[0] for b in edit.buttons)
    calls = await harness.press(lena, f"gr:epts:{group.id}:{team.id}")
    assert "only coordinators" in answered(calls)
    edit = (await harness.press(boss, f"gr:ed:{group.id}"))[-1]
    picker = (await harness.press(boss, edit.button("Parent team")))[-1]
    calls = await harness.press(boss, picker.button("Treasurers"))
    assert "Saved" in answered(calls)
    assert (await stored_group(harness, id=group.id)).parent_id == team.id
    async with runtime(harness).db.session() as session:
        audit = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "group.parent"))
        ).one()
        assert audit.details == {"old": None, "new": team.id}
    page = (await harness.press(boss, f"gr:p:{group.id}:0"))[-1]
    assert "Part of: Treasurers" in page.text
