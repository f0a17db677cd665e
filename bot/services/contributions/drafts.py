"""Drafts (plain dicts: they live in the persisted user_data) checked and saved, an existing
contribution as a draft for its author's edit, and the author's withdrawal."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.audit import record
from bot.services.contributions.questions import FIELDS, TITLE, FieldSpec, clean_field, kinds
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.permissions import Action, can
from bot.services.rows import get_or_gone, save
from models import Contribution, ContributionStatus, Group, Member, utcnow


def new_draft(kind: str) -> dict[str, Any]:
    if kind not in kinds():
        raise InvalidInput(N_("This kind of contribution does not exist."))
    return {
        "kind": kind,
        "fields": {},
        "area_id": None,
        "group_id": None,
        "id": None,
        "key": uuid.uuid4().hex,
    }


def next_missing_field(draft: dict[str, Any]) -> FieldSpec | None:
    answered = draft["fields"]
    skipped = draft.get("skipped", [])
    for spec in FIELDS[draft["kind"]]:
        if spec.key not in answered and spec.key not in skipped:
            return spec
    return None


async def _check_draft(session: AsyncSession, draft: dict[str, Any]) -> tuple[str, Group]:
    kind = draft.get("kind")
    if kind not in kinds():
        raise InvalidInput(N_("This kind of contribution does not exist."))
    fields = dict(draft.get("fields") or {})
    for spec in FIELDS[kind]:
        value = fields.get(spec.key)
        if value is None:
            if spec.optional:
                continue
            raise InvalidInput(N_("An answer is missing: {field}."), field=spec.label)
        fields[spec.key] = clean_field(kind, spec.key, value)
    draft["fields"] = fields
    area_id = draft.get("area_id")
    if area_id is None or await groups_service.area_by_id(session, area_id) is None:
        raise InvalidInput(N_("Please choose a problem area."))
    group = await groups_service.get_active(session, draft.get("group_id"))
    return kind, group


def _apply(contribution: Contribution, draft: dict[str, Any]) -> None:
    fields = dict(draft["fields"])
    contribution.title = fields.pop(TITLE)
    contribution.details = fields
    contribution.area_id = draft["area_id"]
    contribution.group_id = draft["group_id"]
    contribution.photo_file_id = draft.get("photo")
    contribution.latitude = draft.get("latitude")
    contribution.longitude = draft.get("longitude")


async def submitted(
    session: AsyncSession, author: Member, draft: dict[str, Any]
) -> Contribution | None:
    """The contribution this new draft already became: its send was handled, but the
    process died before the conversation moved on, and the press comes again."""
    if draft.get("id") or not draft.get("key"):
        return None
    params = {"key": draft["key"], "author_id": author.id}
    return (await session.exec(_SUBMITTED, params=params)).first()


_SUBMITTED = select(Contribution).where(
    Contribution.submission_key == bindparam("key"),
    Contribution.author_id == bindparam("author_id"),
)


_UNKNOWN: Any = object()


async def submit(
    session: AsyncSession,
    author: Member,
    draft: dict[str, Any],
    *,
    earlier: Contribution | None = _UNKNOWN,
) -> Contribution:
    """Save a finished draft (new, or the author's edit of one still new). `earlier`: what
    `submitted` already returned in this transaction (not looked up again)."""
    if not can(author, Action.SUBMIT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))
    kind, _group = await _check_draft(session, draft)
    if earlier is _UNKNOWN:
        earlier = await submitted(session, author, draft)
    if earlier is not None:
        return earlier
    if draft.get("id"):
        contribution = await get_own_new(session, author, draft["id"])
        _apply(contribution, draft)
        contribution.updated_at = utcnow()
    else:
        contribution = Contribution(
            kind=kind, title="", author_id=author.id, submission_key=draft.get("key")
        )
        _apply(contribution, draft)
    return await save(session, contribution)


def draft_of(contribution: Contribution) -> dict[str, Any]:
    """An existing contribution as a draft, for the author's edit."""
    return {
        "kind": contribution.kind,
        "fields": {TITLE: contribution.title, **contribution.details},
        "area_id": contribution.area_id,
        "group_id": contribution.group_id,
        "photo": contribution.photo_file_id,
        "latitude": contribution.latitude,
        "longitude": contribution.longitude,
        "id": contribution.id,
    }


async def draft_group(session: AsyncSession, draft: dict[str, Any]) -> Group | None:
    """The draft's group, loaded in the session. Keep it while the transaction runs: the
    session holds rows weakly, and the checks, the card and the reviewers then find it."""
    group_id = draft.get("group_id")
    return await session.get(Group, group_id) if group_id else None


async def get(session: AsyncSession, contribution_id: int | None) -> Contribution:
    return await get_or_gone(
        session, Contribution, contribution_id, N_("This contribution no longer exists.")
    )


async def get_own_new(session: AsyncSession, member: Member, contribution_id: int) -> Contribution:
    contribution = await get(session, contribution_id)
    if contribution.author_id is None or contribution.author_id != member.id:
        raise NotAllowed(N_("Only the author can change this contribution."))
    if contribution.status != ContributionStatus.NEW:
        raise NotAllowed(
            N_("This contribution is already being worked on, so it can no longer be changed.")
        )
    return contribution


async def withdraw(session: AsyncSession, member: Member, contribution_id: int) -> None:
    contribution = await get_own_new(session, member, contribution_id)
    await session.delete(contribution)
    await record(session, member, "contribution.withdraw", f"contribution:{contribution_id}")
    await session.flush()
