"""Hostile input: generated updates of every kind, in every onboarding and conversation state.

Whatever arrives — text of any length with emoji, right-to-left, zero-width and control
characters, media, contacts, locations, edited and forwarded messages, channel posts, forged,
truncated, stale or someone else's button data — the bot must not fail (the error handler is
never reached), must answer with valid Telegram HTML within the limits or stay silent, and
must leave the database consistent: no orphan rows, and nothing changed unless the update was
a legitimate answer (a name, an institution, a first /start).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.broadcasting import engine
from bot.services import invites as invites_service
from bot.services import members as members_service
from handlers.reports import wait_for_exports
from models import (
    Broadcast,
    Contribution,
    ContributionKind,
    Group,
    Membership,
    Opportunity,
    Role,
    Volunteer,
    utcnow,
)
from tests.fake_telegram.markup import parse_text, utf16_len
from tests.harness import BOT_USER, STICKER, Harness, User
from tests.invariants import changed, orphans, snapshot

STATES = (
    "stranger",
    "declined",
    "consent",
    "name",
    "institution",
    "resident",
    "coordinator",
    # inside the features' conversations
    "contribution_draft",  # /idea, title typed: the next field is asked
    "volunteer_signup",  # /volunteer: the name is asked
    "broadcast_composer",  # a coordinator chose "everyone": the text is asked
    "group_creation",  # a coordinator pressed "new group": the name is asked
)
REGISTERED_STATES = frozenset(STATES) - {"stranger", "declined", "consent", "name", "institution"}
# Answers the bot may store: which tables an update may change in a given state.
TEXT_KINDS = ("text", "edited", "forwarded")

SPECIAL = [
    "🙂",
    "👨‍👩‍👧‍👦",
    "🇵🇱",
    "\u202e",  # right-to-left override
    "\u200f",
    "\u200b",  # zero-width space
    "\u200d",
    "\ufeff",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\u0085",
    "\u2028",
    "שלום",
    "مرحبا",
    "ąęłżźćńóśĄŚ",
    "<b>",
    "</i>",
    "&",
    "&amp;",
    "\n",
    " ",
    "a",
]
texts = st.one_of(
    st.text(min_size=1, max_size=60),
    st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=200).map("".join),
    # Long ones up to Telegram's 4,096 characters, built by repetition (cheap to generate).
    st.builds(
        lambda parts, n: ("".join(parts) * n)[:4096] or "x",
        st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=5),
        st.integers(1, 4096),
    ),
)
COMMANDS = [
    "/start",
    "/help",
    "/language",
    "/cancel",
    "/invite",
    "/nope",
    "/start@leaders_test_bot",
    "/groups",
    "/idea",
    "/resource",
    "/barrier",
    "/experience",
    "/cause",
    "/browse",
    "/mine",
    "/volunteer",
    "/volunteers",
    "/broadcast",
    "/export",
    "/stats",
    "/mydata",
    "/forget",
    "/audit",
    "/settings",
    "/link",
    "/unlink",
]
commands = st.one_of(
    st.sampled_from(COMMANDS),
    st.builds(lambda c, arg: f"{c} {arg}", st.sampled_from(COMMANDS), texts),
)

# Real callback data of this bot (truncated below) and data that points at nothing.
VALID = [
    "ob:consent:y",
    "ob:consent:n",
    "ob:lang:en",
    "ob:tgname",
    "ob:inst:0",
    "ob:inst:skip",
    "lg:set:uk",
    "mn",
    "hp",
    "lg",
    "iv",
    "iv:ls",
    "iv:r:leader",
    "iv:g:leader:1",
    "iv:u:leader:1:5",
    "iv:d:leader:1:5:7",
    "iv:rv:1",
    "iv:rvc:1:y",
    # Features; ids 1 point at the other member's objects the stage fixture creates (see
    # OTHERS): a forged press on them must not change them.
    "gr",
    "gr:my",
    "gr:ls:0",
    "gr:p:1:0",
    "gr:j:1",
    "gr:l:1",
    "gr:rq:1",
    "gr:ok:1:1",
    "gr:no:1:1",
    "gr:ed:1",
    "gr:eo:1",
    "gr:ren:1",
    "gr:new",
    "gr:ca:1",
    "gr:cp:0",
    "gr:co:1",
    "gr:cl:0",
    "gr:clp:1",
    "gr:cc:y",
    "gr:cx",
    "gr:ppl:0",
    "gr:pp:1",
    "gr:rg:1:lead",
    "gr:lk:1",
    "ct",
    "ct:k:idea",
    "ct:sk",
    "ct:a:1",
    "ct:g:1",
    "ct:ns",
    "ct:ed",
    "ct:ef:title",
    "ct:rv",
    "ct:send",
    "ct:x",
    "ct:b",
    "ct:b:i:1:1:n:s:0",
    "ct:bf:k:-:-:-:-:n:0",
    "ct:bl",
    "ct:m",
    "ct:o:1",
    "ct:sp:1",
    "ct:ph:1",
    "ct:st:1:d",
    "ct:rj:1",
    "ct:e:1",
    "ct:w:1",
    "ct:w:1:y",
    "vo",
    "vo:edit",
    "vo:name",
    "vo:st:0",
    "vo:st:-",
    "vo:sk:0",
    "vo:sk:ok",
    "vo:sk:clr",
    "vo:ar:1",
    "vo:ar:ok",
    "vo:av:weekday",
    "vo:av:ok",
    "vo:save",
    "vo:ch:1",
    "vo:quit",
    "vo:wd",
    "vo:wdc:y",
    "vs",
    "vs:fa",
    "vs:set:fs:0",
    "vs:fk",
    "vs:set:fk:x",
    "vs:clr",
    "vs:ls:0",
    "vs:p:1:0",
    "op",
    "op:new",
    "op:qd:1",
    "op:dp",
    "op:pl:5",
    "op:ar:1",
    "op:in:1",
    "op:out:1",
    "op:v:1",
    "op:cx:1",
    "op:cxc:1:y",
    "bc",
    "bc:new",
    "bc:grp",
    "bc:var",
    "bc:vst",
    "bc:aud:all",
    "bc:aud:grp:1",
    "bc:aud:area:1",
    "bc:aud:st:0",
    "bc:aud:st:-",
    "bc:go:1",
    "bc:redo:1",
    "bc:drop:1",
    "bc:stop:1",
    "bc:stopc:1:y",
    "bc:unr:0",
    "rp:ex",
    "rp:ex:csv",
    "rp:st",
    "rp:md",
    "rp:au",
    "rp:au:1",
    "rp:fgq",
    "rp:fg:n",
    "dg",
    "dg:off",
    "dg:on",
]
STALE = [
    "ob:inst:999",
    "ob:inst:-1",
    "ob:inst:x",
    "ob:consent:maybe",
    "lg:set:xx",
    "lg:set:",
    "iv:rv:999999",
    "iv:rvc:999999:y",
    "iv:g:leader:999999",
    "iv:u:coordinator:0:7",
    "iv:d:leader:999999:1:7",
    "iv:d:leader:0:3:7",
    "iv:d:leader:0:1:8",
    "iv:r:admin",
    "iv:r:",
    "nop",
    "zz:1:2",
    ":::",
    "gr:p:999999:0",
    "gr:p:1:-5",
    "gr:j:999999",
    "gr:ok:1:999999",
    "gr:ldc:1:999999:y",
    "gr:arc:1:y",  # a team: never archived
    "gr:rgc:1:admin:y",
    "gr:eas:1:999999",
    "gr:ca:999999",
    "gr:co:2",
    "gr:cl:999999",
    "ct:k:nothing",
    "ct:a:999999",
    "ct:g:999999",
    "ct:ef:nothing",
    "ct:b:x:y:z:q:w:-3",
    "ct:b:i:999999:999999:z:s:99999999",
    "ct:bf:zz",
    "ct:m:-1",
    "ct:o:999999",
    "ct:sp:999999",
    "ct:st:1:z",
    "ct:st:1:o",
    "ct:st:999999:d",
    "ct:rj:999999",
    "ct:e:999999",
    "ct:w:999999:y",
    "vo:st:999",
    "vo:st:x",
    "vo:sk:999",
    "vo:ar:999999",
    "vo:av:never",
    "vs:set:fs:999",
    "vs:set:fa:999999",
    "vs:set:fv:never",
    "vs:ls:999999",
    "vs:p:999999:0",
    "op:qd:9",
    "op:pl:0",
    "op:pl:99999999999999999999",
    "op:in:999999",
    "op:cxc:999999:y",
    "op:ar:999999",
    "bc:aud:grp:999999",
    "bc:aud:area:999999",
    "bc:aud:st:999",
    "bc:aud:nobody",
    "bc:go:999999",
    "bc:stop:999999",
    "bc:stopc:999999:y",
    "bc:unr:-1",
    "rp:ex:pdf",
    "rp:au:999999",
    "rp:fg:maybe",
    "dg:offf",
]


def fits(data: str) -> bool:
    return 0 < len(data.encode()) <= 64


callback_data = st.one_of(
    st.text(min_size=1, max_size=64).filter(fits),
    st.from_regex(r"\A[a-z]{1,3}(:[a-z0-9-]{0,8}){0,4}\Z").filter(fits),
    st.builds(
        lambda data, cut: data[: max(1, int(len(data) * cut))][:-1] or data[0],
        st.sampled_from(VALID),
        st.floats(0.0, 1.0),
    ),
    st.sampled_from(STALE),
)

_ids = itertools.count(3_000_000)


def now() -> int:
    return int(time.time())


def message(user: User, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
    return {
        "message_id": next(_ids),
        "date": now(),
        "chat": chat,
        "from": user.as_dict(),
        **content,
    }


def private(user: User) -> dict[str, Any]:
    return {"id": user.id, "type": "private", "first_name": user.first_name}


def text_message(user: User, text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0] if text.split() else text
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message(user, chat or private(user), **content)


@st.composite
def hostile_messages(draw: st.DrawFn) -> tuple[str, Any]:
    """(kind, builder): the builder makes the update for a given user."""
    kind = draw(
        st.sampled_from(
            [
                "text",
                "command",
                "sticker",
                "photo",
                "document",
                "voice",
                "location",
                "contact",
                "edited",
                "forwarded",
                "channel",
                "group",
            ]
        )
    )
    text = draw(commands if kind in ("command", "group") and draw(st.booleans()) else texts)
    caption = draw(st.text(max_size=1024))
    number = draw(st.floats(-90, 90))

    def build(user: User) -> dict[str, Any]:
        chat = private(user)
        media: dict[str, Any] = {
            "sticker": {"sticker": STICKER},
            "photo": {
                "photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}],
                "caption": caption,
            },
            "document": {
                "document": {"file_id": "d", "file_unique_id": "d", "file_name": caption[:60]},
                "caption": caption,
            },
            "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
            "location": {"location": {"latitude": number, "longitude": number / 2}},
            "contact": {
                "contact": {"phone_number": "+48 600 000 000", "first_name": text[:64] or "x"}
            },
        }
        if kind in media:
            return {"message": message(user, chat, **media[kind])}
        if kind == "edited":
            return {"edited_message": {**text_message(user, text), "edit_date": now()}}
        if kind == "forwarded":
            origin = {"type": "hidden_user", "date": now(), "sender_user_name": "Someone"}
            return {"message": {**text_message(user, text), "forward_origin": origin}}
        if kind == "channel":
            channel = {"id": -1001234567890, "type": "channel", "title": "Kanał"}
            return {"channel_post": {"message_id": 7, "date": now(), "chat": channel, "text": text}}
        if kind == "group":
            group = {"id": -4001, "type": "group", "title": "Grupa"}
            return {"message": text_message(user, text, group)}
        return {"message": text_message(user, text)}

    return kind, build


@st.composite
def hostile_presses(draw: st.DrawFn) -> tuple[str, Any]:
    data = draw(callback_data)
    where = draw(st.sampled_from(["own", "own", "inline", "inaccessible", "group"]))

    def build(user: User) -> dict[str, Any]:
        query: dict[str, Any] = {
            "id": str(next(_ids)),
            "from": user.as_dict(),
            "chat_instance": "ci",
            "data": data,
        }
        if where == "inline":
            query["inline_message_id"] = "AAAA"
        else:
            chat = private(user)
            if where == "group":
                chat = {"id": -4001, "type": "group", "title": "Grupa"}
            query["message"] = {
                "message_id": 5,
                "date": 0 if where == "inaccessible" else now(),
                "chat": chat,
                "from": BOT_USER,
                "text": "…",
            }
        return {"callback_query": query}

    return "callback", build


class Stage:
    """Users brought to each state, and what the bot did with the hostile update."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.errors: list[BaseException | None] = []

        async def record(update: object, context: Any) -> None:
            self.errors.append(context.error)

        harness.app.error_handlers.clear()
        harness.app.add_error_handler(record)

    async def user_in(self, state: str) -> User:
        h = self.harness
        user = User(next(_ids), language_code="en")
        if state == "stranger":
            return user
        await h.send(user, "/start")
        if state == "consent":
            return user
        if state == "declined":
            await h.press(user, "ob:consent:n")
            return user
        await h.press(user, "ob:consent:y")
        if state == "name":
            return user
        await h.send(user, "Anna Nowak")
        if state == "institution":
            return user
        await h.press(user, "ob:inst:skip")
        if state in ("coordinator", "broadcast_composer", "group_creation"):
            async with h.app.bot_data["runtime"].db.session() as session:
                member = await members_service.get_by_telegram_id(session, user.id)
                assert member is not None
                await members_service.set_role(session, member, Role.COORDINATOR)
        if state == "contribution_draft":
            await h.send(user, "/idea")
            await h.send(user, "A bench by the bus stop")
        elif state == "volunteer_signup":
            await h.send(user, "/volunteer")
        elif state == "broadcast_composer":
            await h.send(user, "/broadcast")
            await h.press(user, "bc:new")
            await h.press(user, "bc:aud:all")
        elif state == "group_creation":
            await h.press(user, "gr:new")
        return user


@pytest.fixture
async def stage(harness: Harness) -> AsyncIterator[Stage]:
    # Something to point forged buttons at: an invite of another coordinator, and another
    # member's objects, each with id 1 (see OTHERS).
    async with harness.app.bot_data["runtime"].db.session() as session:
        await invites_service.create_invite(session, role=Role.LEADER, group=None, days=7)
        other = await members_service.ensure_member(session, 2_999_999)
        other.consent_at, other.display_name, other.language = utcnow(), "Other", "en"
        other.role = Role.LEAD.value
        session.add(other)
        await session.flush()
        group = (await session.exec(select(Group).order_by(Group.id))).first()
        assert other.id is not None and group is not None and group.id is not None
        session.add(Membership(member_id=other.id, group_id=group.id))
        audience = {"kind": "group", "group_id": group.id}
        session.add_all(
            [
                Contribution(
                    kind=ContributionKind.IDEA,
                    title="Theirs",
                    details={"for_whom": "all", "first_step": "ask"},
                    group_id=group.id,
                    author_id=other.id,
                ),
                Broadcast(author_id=other.id, audience=audience, text="Theirs"),
                Volunteer(member_id=other.id, name="Other", skills="painting"),
                Opportunity(
                    title="Theirs",
                    starts_at=utcnow() + timedelta(days=2),
                    place="School",
                    places=1,
                    posted_by_id=other.id,
                ),
            ]
        )
    yield Stage(harness)


async def others(db: Any) -> tuple[Any, ...]:
    """What only the other member may change: their contribution's text, their broadcast
    draft, their volunteer profile."""
    async with db.session() as session:
        contribution = await session.get(Contribution, 1)
        broadcast = await session.get(Broadcast, 1)
        volunteer = await session.get(Volunteer, 1)
        return (
            contribution and (contribution.title, contribution.details),
            broadcast and (broadcast.status, broadcast.text),
            volunteer and (volunteer.name, volunteer.skills),
        )


def check_sent(calls: list[Any]) -> None:
    for call in calls:
        if call.method in ("sendMessage", "editMessageText"):
            text = call.params["text"]
            parsed = parse_text(text, call.params.get("parse_mode"))  # raises on bad HTML
            assert 0 < utf16_len(parsed.text) <= 4096, call
        if call.method == "answerCallbackQuery":
            assert len(call.params.get("text") or "") <= 200
        if call.method in ("sendPhoto", "sendDocument"):
            caption = call.params.get("caption") or ""
            assert utf16_len(parse_text(caption, call.params.get("parse_mode")).text) <= 1024


# What a registered member's press of a feature's button may legitimately change (joining a
# group, supporting, signing up...): the feature's own tables and the audit log. The
# authorization matrix checks who may do what; here the point is consistency.
FEATURE_TABLES = {
    "gr": {"groups", "memberships", "members", "audit_log"},
    "ct": {"contributions", "supports", "audit_log"},
    "vo": {"volunteers"},
    "op": {"opportunities", "opportunity_signups", "audit_log"},
    "bc": {"broadcasts", "broadcast_recipients", "audit_log"},
    "dg": {"members"},
    "rp": {"audit_log"},  # an export is recorded
    "iv": {"invites", "audit_log"},
}


def allowed_changes(state: str, kind: str, update: dict[str, Any]) -> set[str]:
    message = update.get("message") or update.get("edited_message") or {}
    private_chat = message.get("chat", {}).get("type") == "private"
    text = message.get("text", "")
    if kind == "callback" and state in REGISTERED_STATES:
        data = update["callback_query"].get("data", "")
        return FEATURE_TABLES.get(data.split(":")[0], set())
    if state == "broadcast_composer" and private_chat:
        return {"broadcasts"}  # the text typed becomes a draft to preview
    if state in REGISTERED_STATES and private_chat and text.startswith("/start "):
        return {"members", "invite_uses", "memberships", "audit_log"}  # an invite's payload
    typed = kind in TEXT_KINDS or (kind == "command" and not text.startswith("/"))
    if state in ("name", "institution") and typed and private_chat:
        return {"members"}  # the answer to the question asked
    if state == "stranger" and private_chat and text.split()[:1] in (["/start"],):
        return {"members"}  # the Telegram id, before consent
    if state in ("name", "institution") and private_chat and text.startswith("/start"):
        return {"members"}  # /start again: the same member, role unchanged
    return set()


HYPOTHESIS = settings(
    max_examples=70,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def _check(stage: Stage, state: str, kind: str, build: Any) -> None:
    harness = stage.harness
    db = harness.app.bot_data["runtime"].db
    user = await stage.user_in(state)
    update = build(user)
    before, theirs = await snapshot(db), await others(db)
    stage.errors.clear()
    calls = await harness.feed(update)
    await engine(harness.app).wait()
    await wait_for_exports()
    assert stage.errors == [], f"{state} {kind} {update}: {stage.errors!r}"
    check_sent(calls)
    assert await orphans(db) == []
    unexpected = set(changed(before, await snapshot(db))) - allowed_changes(state, kind, update)
    assert not unexpected, f"{state} {kind} changed {unexpected}: {update}"
    assert await others(db) == theirs, f"{state} {kind} changed another's: {update}"


@HYPOTHESIS
@given(state=st.sampled_from(STATES), case=hostile_messages())
async def test_hostile_messages_in_every_state(
    stage: Stage, state: str, case: tuple[str, Any]
) -> None:
    await _check(stage, state, *case)


@HYPOTHESIS
@given(state=st.sampled_from(STATES), case=hostile_presses())
async def test_hostile_buttons_in_every_state(
    stage: Stage, state: str, case: tuple[str, Any]
) -> None:
    await _check(stage, state, *case)


@pytest.mark.parametrize("state", STATES)
async def test_the_longest_message_in_every_state(stage: Stage, state: str) -> None:
    """4,096 characters of everything at once, where a name or an institution is expected."""
    text = ("".join(SPECIAL) * 200)[:4096]
    await _check(stage, state, "text", lambda user: {"message": text_message(user, text)})


FEATURE_STATES = ("contribution_draft", "volunteer_signup", "broadcast_composer", "group_creation")


@pytest.mark.parametrize("state", FEATURE_STATES)
async def test_every_known_button_inside_each_conversation(stage: Stage, state: str) -> None:
    """Not left to chance: every valid, stale and forged button, pressed one after another
    by a user who is inside the feature's conversation (and, after the first ones end it,
    wherever the previous presses led)."""
    harness = stage.harness
    db = harness.app.bot_data["runtime"].db
    user = await stage.user_in(state)
    theirs = await others(db)
    for data in [*VALID, *STALE]:
        query = {"id": str(next(_ids)), "from": user.as_dict(), "chat_instance": "ci"}
        message = {"message_id": 5, "date": now(), "chat": private(user), "from": BOT_USER}
        stage.errors.clear()
        calls = await harness.feed({"callback_query": {**query, "data": data, "message": message}})
        assert stage.errors == [], f"{state} {data}: {stage.errors!r}"
        check_sent(calls)
    await engine(harness.app).wait()
    await wait_for_exports()
    assert await orphans(db) == []
    assert await others(db) == theirs


async def test_a_too_long_answer_of_emoji_is_shown_back_within_the_limit(stage: Stage) -> None:
    """2,048 emoji: the most Telegram lets a user send (4,096 UTF-16 units), over the answer
    limit of 2,000 characters; the echo of what was typed must still fit in one message."""
    text = "🙂" * 2048
    await _check(
        stage, "contribution_draft", "text", lambda user: {"message": text_message(user, text)}
    )
