"""A linked group chat upgraded to a supergroup keeps its link (its id changes)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot import notify, reminders
from bot.db import Database
from models import Group
from tests.harness import Harness
from tests.meeting_support import meeting, team

OLD_CHAT, NEW_CHAT = -500, -100123


def upgraded(new: int = NEW_CHAT) -> dict[str, Any]:
    """Telegram's answer to a send to the old group after the upgrade."""
    return {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new},
    }


async def linked_chat(db: Database, slug: str = "playground") -> int | None:
    async with db.session() as session:
        return (await session.exec(select(Group).where(Group.slug == slug))).one().chat_id


def chat_sends(harness: Harness) -> list[tuple[str, int | None]]:
    return [(c.method, c.chat_id) for c in harness.calls if c.chat_id in (OLD_CHAT, NEW_CHAT)]


async def test_a_reminder_to_an_upgraded_chat_arrives_in_the_supergroup_and_the_link_follows(
    harness: Harness, db: Database
) -> None:
    t = await team(db, chat_id=OLD_CHAT)
    m = await meeting(db, t, starts_in=timedelta(days=2))
    harness.request.fail[f"sendMessage:{OLD_CHAT}"] = upgraded()

    assert await reminders.send_due_reminders(harness.app, now=m.starts_at - timedelta(hours=1))

    # Tried the old id once, then the reminder went to the supergroup.
    assert chat_sends(harness) == [("sendMessage", OLD_CHAT), ("sendMessage", NEW_CHAT)]
    assert "⏰" in harness.last(NEW_CHAT).text
    assert await linked_chat(db) == NEW_CHAT
    # The next post goes straight to the new chat.
    async with db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == "playground"))).one()
    before = len(harness.calls)
    await notify.post_to_group_chat(
        harness.app.bot, group, lambda: ("Next week: planting", None), "en", db=db
    )
    assert [(c.method, c.chat_id) for c in harness.calls[before:]] == [("sendMessage", NEW_CHAT)]


async def test_a_photo_to_an_upgraded_chat_follows_it(harness: Harness, db: Database) -> None:
    await team(db, chat_id=OLD_CHAT)
    harness.request.fail[f"sendPhoto:{OLD_CHAT}"] = upgraded()
    message = await notify.send_to_chat(harness.app.bot, db, OLD_CHAT, "Photo", photo="file-1")
    assert message.chat_id == NEW_CHAT
    assert chat_sends(harness) == [("sendPhoto", OLD_CHAT), ("sendPhoto", NEW_CHAT)]
    assert await linked_chat(db) == NEW_CHAT


def service_message(chat: dict[str, Any], **migration: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": 77,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": 7000, "is_bot": False, "first_name": "Lena"},
            **migration,
        }
    }


async def test_the_upgrade_notice_in_the_old_group_moves_the_link(
    harness: Harness, db: Database
) -> None:
    await team(db, chat_id=OLD_CHAT)
    old = {"id": OLD_CHAT, "type": "group", "title": "Playground"}
    calls = await harness.feed(service_message(old, migrate_to_chat_id=NEW_CHAT))
    assert await linked_chat(db) == NEW_CHAT
    assert [c for c in calls if c.method.startswith("send")] == []  # nothing said in the chat


async def test_the_upgrade_notice_in_the_new_supergroup_moves_the_link(
    harness: Harness, db: Database
) -> None:
    await team(db, chat_id=OLD_CHAT)
    new = {"id": NEW_CHAT, "type": "supergroup", "title": "Playground"}
    await harness.feed(service_message(new, migrate_from_chat_id=OLD_CHAT))
    assert await linked_chat(db) == NEW_CHAT
    # The other notice, arriving second, changes nothing.
    old = {"id": OLD_CHAT, "type": "group", "title": "Playground"}
    await harness.feed(service_message(old, migrate_to_chat_id=NEW_CHAT))
    assert await linked_chat(db) == NEW_CHAT


async def test_an_unlinked_chat_upgrading_changes_no_group(harness: Harness, db: Database) -> None:
    await team(db, chat_id=None)
    old = {"id": OLD_CHAT, "type": "group", "title": "Elsewhere"}
    await harness.feed(service_message(old, migrate_to_chat_id=NEW_CHAT))
    async with db.session() as session:
        chats = (await session.exec(select(Group.chat_id))).all()
    assert NEW_CHAT not in chats
