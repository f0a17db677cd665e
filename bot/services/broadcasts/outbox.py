"""The outbox: the recipient rows of a started broadcast and their state changes.

The delivery loop (bot/broadcasting.py) drives the state machine of each recipient row::

    pending -> sending -> sent | blocked | failed
                      \\-> pending      (429, or a connection refused: Telegram got nothing)
                      \\-> uncertain    (the process died or the answer was lost mid-send)

Every change is its own committed transaction, so the table is the truth after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.rows import save
from models import Broadcast, BroadcastRecipient, BroadcastStatus, Member, RecipientState, utcnow

__all__ = [
    "FINAL_STATES",
    "Progress",
    "claim",
    "finish",
    "is_running",
    "pending_batch",
    "progress",
    "recipient_languages",
    "recover_in_flight",
    "settle",
    "uncertain_members",
    "unfinished_ids",
]

FINAL_STATES = (
    RecipientState.SENT,
    RecipientState.BLOCKED,
    RecipientState.FAILED,
    RecipientState.UNCERTAIN,
)


async def pending_batch(
    session: AsyncSession, broadcast_id: int, limit: int
) -> list[tuple[int, int]]:
    """(recipient id, chat id) of the next recipients not tried yet."""
    rows = await session.exec(
        select(BroadcastRecipient.id, BroadcastRecipient.chat_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.PENDING,
        )
        .order_by(col(BroadcastRecipient.id))
        .limit(limit)
    )
    return [(rid, chat) for rid, chat in rows.all() if rid is not None]


async def recipient_languages(session: AsyncSession, chat_ids: list[int]) -> dict[int, str]:
    """chat id -> the stored language of the member behind it (linked chats: none)."""
    if not chat_ids:
        return {}
    rows = await session.exec(
        select(Member.telegram_id, Member.language).where(
            col(Member.telegram_id).in_(chat_ids), col(Member.language).is_not(None)
        )
    )
    return {telegram_id: language for telegram_id, language in rows.all() if language}


async def claim(session: AsyncSession, recipient_id: int) -> bool:
    """pending -> sending; False if someone (or something) else already took the row."""
    result = await session.exec(
        update(BroadcastRecipient)
        .where(
            col(BroadcastRecipient.id) == recipient_id,
            col(BroadcastRecipient.state) == RecipientState.PENDING,
        )
        .values(
            state=RecipientState.SENDING,
            attempts=BroadcastRecipient.attempts + 1,
            claimed_at=utcnow(),
        )
    )
    return bool(result.rowcount)


async def settle(
    session: AsyncSession,
    recipient_id: int,
    state: RecipientState,
    *,
    error: str | None = None,
    message_id: int | None = None,
) -> None:
    """sending -> a final state, or back to pending when Telegram certainly got nothing."""
    values: dict[str, Any] = {"state": state, "error": error[:200] if error else None}
    if message_id is not None:
        values["message_id"] = message_id
    if state != RecipientState.PENDING:
        values["finished_at"] = utcnow()
    await session.exec(
        update(BroadcastRecipient)
        .where(
            col(BroadcastRecipient.id) == recipient_id,
            col(BroadcastRecipient.state) == RecipientState.SENDING,
        )
        .values(**values)
    )


async def recover_in_flight(session: AsyncSession) -> dict[int, int]:
    """At start-up: rows left `sending` by a dead process become `uncertain`, never resent.

    Returns {broadcast id: rows marked}. Only call this when no delivery loop is running.
    """
    rows = await session.exec(
        select(BroadcastRecipient.broadcast_id, func.count())
        .where(BroadcastRecipient.state == RecipientState.SENDING)
        .group_by(col(BroadcastRecipient.broadcast_id))
    )
    found = {bid: n for bid, n in rows.all()}
    if found:
        await session.exec(
            update(BroadcastRecipient)
            .where(col(BroadcastRecipient.state) == RecipientState.SENDING)
            .values(
                state=RecipientState.UNCERTAIN,
                error="in flight when the bot stopped",
                finished_at=utcnow(),
            )
        )
    return found


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sending: int
    sent: int
    blocked: int
    failed: int
    uncertain: int

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.uncertain


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    rows = await session.exec(
        select(BroadcastRecipient.state, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(col(BroadcastRecipient.state))
    )
    counts = {state: n for state, n in rows.all()}
    return Progress(
        total=sum(counts.values()),
        pending=counts.get(RecipientState.PENDING, 0),
        sending=counts.get(RecipientState.SENDING, 0),
        sent=counts.get(RecipientState.SENT, 0),
        blocked=counts.get(RecipientState.BLOCKED, 0),
        failed=counts.get(RecipientState.FAILED, 0),
        uncertain=counts.get(RecipientState.UNCERTAIN, 0),
    )


async def unfinished_ids(session: AsyncSession) -> list[int]:
    """Broadcasts running, or stopped without a report yet (the process died first)."""
    rows = await session.exec(
        select(Broadcast.id).where(
            or_(
                col(Broadcast.status) == BroadcastStatus.RUNNING,
                and_(
                    col(Broadcast.status) == BroadcastStatus.STOPPED,
                    col(Broadcast.reported_at).is_(None),
                ),
            )
        )
    )
    return [bid for bid in rows.all() if bid is not None]


async def is_running(session: AsyncSession, broadcast_id: int) -> bool:
    status = (
        await session.exec(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    ).first()
    return status == BroadcastStatus.RUNNING


async def finish(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Close a broadcast with nothing left to send; returns it once, for the one report.

    A running broadcast becomes done when no row is pending or sending; a stopped one
    when no row is sending. `reported_at` is set here so the report goes out only once.
    """
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.reported_at is not None:
        return None
    counts = await progress(session, broadcast_id)
    if counts.sending or (broadcast.status == BroadcastStatus.RUNNING and counts.pending):
        return None
    if broadcast.status == BroadcastStatus.RUNNING:
        broadcast.status = BroadcastStatus.DONE
    elif broadcast.status != BroadcastStatus.STOPPED:
        return None
    broadcast.sent, broadcast.blocked = counts.sent, counts.blocked
    broadcast.failed, broadcast.uncertain = counts.failed, counts.uncertain
    broadcast.finished_at = broadcast.reported_at = utcnow()
    return await save(session, broadcast)


async def uncertain_members(session: AsyncSession, broadcast_id: int) -> list[Member]:
    """Members the broadcast may or may not have reached: its author's report names them."""
    uncertain = select(BroadcastRecipient.member_id).where(
        BroadcastRecipient.broadcast_id == broadcast_id,
        BroadcastRecipient.state == RecipientState.UNCERTAIN,
    )
    query = select(Member).where(col(Member.id).in_(uncertain))
    return list((await session.exec(query.order_by(col(Member.display_name)))).all())
