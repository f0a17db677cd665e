"""Domain functions of the foundation on a real database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services.errors import InvalidInput, NotFound
from models import Group, InviteUse, Member, Membership, ProblemArea, Role


async def registered(db: Database, telegram_id: int, role: Role = Role.RESIDENT) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "pl")
        await members_service.set_profile(session, member, display_name=f"M{telegram_id}")
        await members_service.set_role(session, member, role)
    return member


async def test_profile_is_applied_idempotently(db: Database, tmp_path) -> None:
    profile = load_profile()
    async with db.session() as session:
        await apply_profile(session, profile)
    async with db.session() as session:
        assert await apply_profile(session, profile) == 0
        teams = (await session.exec(select(func.count()).select_from(Group))).one()
        areas = (await session.exec(select(func.count()).select_from(ProblemArea))).one()
    assert (teams, areas) == (5, 5)
    changed = tmp_path / "p.toml"
    text = (profile_path := __import__("bot.profile").profile.DEFAULT_PROFILE).read_text()
    changed.write_text(
        text + '\n[[teams]]\nslug = "connectors"\nnames = { pl = "Łącznicy", en = "Connectors" }\n'
    )
    assert profile_path.exists()
    async with db.session() as session:
        assert await apply_profile(session, load_profile(changed)) == 1
    async with db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == "connectors"))).one()
    assert group.display_name("en") == "Connectors" and group.display_name("uk") == "Łącznicy"


async def test_times_round_trip_as_aware_utc(db: Database) -> None:
    member = await registered(db, 42)
    async with db.session() as session:
        loaded = await session.get(Member, member.id)
    assert loaded is not None and loaded.consent_at is not None
    assert loaded.consent_at.tzinfo is not None
    assert abs(loaded.consent_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_invite_lifecycle(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
        team = await invites_service.group_by_slug(session, "auditors")
        invite = await invites_service.create_invite(
            session, role=Role.LEAD, group=team, max_uses=1, days=7
        )
    assert len(invites_service.payload_for(invite)) <= 64
    assert invites_service.code_from_payload(invites_service.payload_for(invite)) == invite.code
    first = await registered(db, 1)
    second = await registered(db, 2)
    async with db.session() as session:
        member = await session.get(Member, first.id)
        result = await invites_service.redeem(session, member, invite.code)  # type: ignore[arg-type]
        assert result.role == Role.LEAD and not result.already_used
    async with db.session() as session:
        member = await session.get(Member, first.id)
        again = await invites_service.redeem(session, member, invite.code)  # type: ignore[arg-type]
        assert again.already_used  # the same person twice uses nothing up
    with pytest.raises(InvalidInput, match="used up"):
        async with db.session() as session:
            other = await session.get(Member, second.id)
            await invites_service.redeem(session, other, invite.code)  # type: ignore[arg-type]
    async with db.session() as session:
        lead = await session.get(Member, first.id)
        group = await session.get(Group, team.id)
        uses = (await session.exec(select(func.count()).select_from(InviteUse))).one()
        memberships = (await session.exec(select(Membership))).all()
    assert lead is not None and lead.role == Role.LEAD
    assert group is not None and group.lead_id == first.id
    assert uses == 1 and [m.member_id for m in memberships] == [first.id]


async def test_dead_invites_are_refused(db: Database) -> None:
    member = await registered(db, 7)
    async with db.session() as session:
        expired = await invites_service.create_invite(session, role=Role.LEADER, days=1)
        expired.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(expired)
        revoked = await invites_service.create_invite(session, role=Role.COORDINATOR)
        await invites_service.revoke(session, revoked.id)  # type: ignore[arg-type]
    for code, reason in ((expired.code, "expired"), (revoked.code, "withdrawn")):
        with pytest.raises(InvalidInput, match=reason):
            async with db.session() as session:
                fresh = await session.get(Member, member.id)
                await invites_service.redeem(session, fresh, code)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        async with db.session() as session:
            fresh = await session.get(Member, member.id)
            await invites_service.redeem(session, fresh, "x" * 22)  # type: ignore[arg-type]
    async with db.session() as session:
        fresh = await session.get(Member, member.id)
    assert fresh is not None and fresh.role == Role.RESIDENT


async def test_roles_are_never_lowered_by_an_invite(db: Database) -> None:
    boss = await registered(db, 9, Role.COORDINATOR)
    async with db.session() as session:
        invite = await invites_service.create_invite(session, role=Role.LEADER)
        member = await session.get(Member, boss.id)
        await invites_service.redeem(session, member, invite.code)  # type: ignore[arg-type]
        assert member is not None and member.role == Role.COORDINATOR


def test_names_are_cleaned() -> None:
    assert members_service.clean_name("  Anna\u200b  Maria \x07 ") == "Anna Maria"
    with pytest.raises(InvalidInput):
        members_service.clean_name("🙂")
    with pytest.raises(InvalidInput):
        members_service.clean_name("a" * 65)
