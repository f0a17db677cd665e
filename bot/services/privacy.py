"""Each person's right to see (/mydata) and erase (/forget) what the bot keeps about them.

Data-driven on purpose: every table with a foreign key to ``members.id`` is personal data
of that member, so tables added by later features are covered without changes here.
Erasure deletes the member row and lets the foreign keys do the rest: CASCADE removes
personal rows, SET NULL keeps authored content anonymised. The one exception, rows
that hold the Telegram id itself (broadcast deliveries), is deleted explicitly.
Attendance is kept anonymously: before the answers go, each answer to a meeting that took
place (or a check-in) is copied to meeting_anonymous_attendance without any link to the
person, so the programme's attendance figures stay right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Table, delete, func
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.persistence import CONVERSATION, USER
from bot.services import volunteers as volunteers_service
from bot.services.audit import record
from models import AnonymousAttendance, BotState, Meeting, MeetingStatus, Member, Rsvp, utcnow

MEMBERS = "members"
# Persistence rows are handled by telegram id below, not by foreign key.
_SKIP = {BotState.__tablename__}
# Columns that record who did something to a row about someone else (a lead marking another
# person's attendance, a coordinator creating an invite): such rows are reduced to what
# concerns the requester.
ACTOR_COLUMNS = frozenset({"actor_id", "marked_by_id", "created_by_id"})
# What an actor row keeps besides ids and times: what was done, not to whom.
DESCRIPTIVE_COLUMNS = frozenset({"action", "role", "kind", "status"})
# Live secrets never leave the database, not even to the person who made them.
SECRET_COLUMNS = frozenset({("invites", "code")})


def member_foreign_keys(metadata: Any = None) -> list[tuple[Table, Column[Any], ForeignKey]]:
    """(table, column, foreign key) for every column that points at members.id."""
    metadata = metadata or SQLModel.metadata
    found = []
    for table in metadata.sorted_tables:
        if table.name in _SKIP:
            continue
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == MEMBERS and fk.column.name == "id":
                    found.append((table, column, fk))
    return found


def plain(value: Any) -> Any:
    """A database value as JSON: times in ISO 8601 (UTC), the rest as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _row(row: Any, table: Table | None = None) -> dict[str, Any]:
    name = table.name if table is not None else ""
    return {
        key: plain(value)
        for key, value in row._mapping.items()
        if (name, key) not in SECRET_COLUMNS
    }


def _actor_row(row: Any, table: Table, actor: Column[Any]) -> dict[str, Any]:
    """A row found through an actor column: what the requester did and when, without the
    other people it is about (their ids, answers, texts) and without secrets."""
    kept: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if (table.name, name) in SECRET_COLUMNS:
            continue
        points_at_member = any(fk.column.table.name == MEMBERS for fk in column.foreign_keys)
        is_reference = bool(column.foreign_keys) and not points_at_member
        described = name in DESCRIPTIVE_COLUMNS
        if (
            name == actor.name
            or column.primary_key
            or is_reference
            or described
            or name.endswith("_at")
        ):
            kept[name] = plain(row._mapping[name])
    return kept


def unfinished_drafts(data: PersonalData) -> int:
    """Conversations really under way (not the empty rows every chat leaves behind)."""
    count = 0
    for state in data.bot_state:
        if str(state["kind"]).startswith(CONVERSATION):
            count += state["data"] is not None
        elif isinstance(state["data"], dict):
            count += sum(1 for key, value in state["data"].items() if "draft" in key and value)
    return count


@dataclass
class PersonalData:
    member: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bot_state: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> bytes:
        data = {"member": self.member, "tables": self.tables, "bot_state": self.bot_state}
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _conversation_holds(key: str, telegram_id: int) -> bool:
    try:
        return telegram_id in json.loads(key)
    except (ValueError, TypeError):
        return False


async def _state_rows(session: AsyncSession, telegram_id: int) -> list[BotState]:
    users = await session.exec(
        select(BotState).where(col(BotState.kind) == USER, col(BotState.key) == str(telegram_id))
    )
    conversations = await session.exec(
        select(BotState).where(col(BotState.kind).startswith(CONVERSATION))
    )
    rows = list(users.all())
    rows += [r for r in conversations.all() if _conversation_holds(r.key, telegram_id)]
    return rows


async def personal_data(session: AsyncSession, member: Member) -> PersonalData:
    """Everything stored about a member: their row, rows that point at them, bot state."""
    member_table = Member.__table__  # type: ignore[attr-defined]
    own = (
        await session.exec(core_select(member_table).where(member_table.c.id == member.id))  # type: ignore[call-overload]
    ).one()
    data = PersonalData(member=_row(own, member_table))
    for table, column, _fk in member_foreign_keys():
        rows = (await session.exec(core_select(table).where(column == member.id))).all()  # type: ignore[call-overload]
        if rows:
            key = table.name if column.name == "member_id" else f"{table.name}.{column.name}"
            if column.name in ACTOR_COLUMNS:
                data.tables.setdefault(key, []).extend(_actor_row(r, table, column) for r in rows)
            else:
                data.tables.setdefault(key, []).extend(_row(r, table) for r in rows)
    for state in await _state_rows(session, member.telegram_id):
        data.bot_state.append(
            {
                "kind": state.kind,
                "key": state.key,
                "data": state.data,
                "updated_at": plain(state.updated_at),
            }
        )
    return data


async def forget(session: AsyncSession, member: Member) -> int:
    """Erase a member. Returns the number of rows that pointed at them (for the audit log).

    The audit entry names only the member's number, never their name.
    """
    counts = 0
    for _table, column, _fk in member_foreign_keys():
        query = core_select(func.count()).select_from(column.table).where(column == member.id)
        counts += (await session.exec(query)).scalar_one()  # type: ignore[call-overload]
    await record(session, None, "member.forget", f"member:{member.id}", rows=counts)
    await keep_attendance_anonymously(session, member)
    # Broadcast delivery rows keep the Telegram chat id, which SET NULL would leave behind.
    await volunteers_service.forget(session, member)
    member_table = Member.__table__  # type: ignore[attr-defined]
    await session.exec(delete(member_table).where(member_table.c.id == member.id))
    for state in await _state_rows(session, member.telegram_id):
        await session.delete(state)
    session.expunge_all()
    return counts


async def keep_attendance_anonymously(session: AsyncSession, member: Member) -> int:
    """Copy the member's answers to meetings that have started (and any check-in) into
    anonymous rows: the meeting, the answer, the check-in time, nobody's id or name.
    Answers to meetings still ahead are not kept: they report nothing. Returns the count."""
    rows = (
        await session.exec(
            select(Rsvp.meeting_id, Rsvp.answer, Rsvp.checked_in_at)
            .join(Meeting, col(Meeting.id) == col(Rsvp.meeting_id))
            .where(
                Rsvp.member_id == member.id,
                col(Meeting.status) != MeetingStatus.CANCELLED,
                (col(Meeting.starts_at) <= utcnow()) | col(Rsvp.checked_in_at).is_not(None),
            )
        )
    ).all()
    for meeting_id, answer, checked_in_at in rows:
        session.add(
            AnonymousAttendance(meeting_id=meeting_id, answer=answer, checked_in_at=checked_in_at)
        )
    await session.flush()
    return len(rows)
