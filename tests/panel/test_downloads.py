"""Downloads from the panel: a meeting's attendance list (XLSX as the chat's roster, PDF as
its meeting card) and the volunteers (the Volunteers sheet of /export). A signed POST gets a
five-minute link; the link's GET checks the member again and sends the chat's own file."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from bot.db import Database
from bot.i18n import local
from bot.panel import downloads
from models import AuditEntry, Member, Rsvp, utcnow
from tests.conftest import TOKEN
from tests.harness import Harness
from tests.panel.support import COORDINATOR, LEAD, LEADER, RESIDENT, World, auth, demote, speaks

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def link(
    client: httpx.AsyncClient, telegram_id: int, path: str, **options: Any
) -> httpx.Response:
    return await client.post(
        f"/api/downloads/{path}", json={}, headers=auth(telegram_id, **options)
    )


async def fetched(client: httpx.AsyncClient, telegram_id: int, path: str) -> httpx.Response:
    """The POST for a link, then the GET of the link (as a browser would: no headers)."""
    response = await link(client, telegram_id, path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] and body["url"].startswith("download/")
    return await client.get("/" + body["url"])


def cells(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


async def check_in(db: Database, world: World) -> None:
    async with db.session() as session:
        rsvp = (
            await session.exec(
                select(Rsvp).where(
                    Rsvp.meeting_id == world.meeting.id, Rsvp.member_id == world.leader.id
                )
            )
        ).one()
        rsvp.checked_in_at = utcnow()
        session.add(rsvp)


async def test_a_coordinator_gets_the_attendance_list_the_chat_sends(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await check_in(db, world)
    response = await link(client, COORDINATOR, f"attendance/{world.meeting.id}")
    assert response.status_code == 200
    body = response.json()
    day = local(world.meeting.starts_at).date().isoformat()  # BOT_TIMEZONE's day
    assert body["file_name"] == f"attendance-{world.meeting.id}-{day}.xlsx"
    file = await client.get("/" + body["url"])  # no Authorization: the token is the proof
    assert file.status_code == 200
    assert file.headers["content-type"] == XLSX
    assert file.headers["content-disposition"].startswith(
        f'attachment; filename="{body["file_name"]}"'
    )
    assert file.headers["cache-control"] == "no-store"
    rows = cells(file.content)
    assert rows[0][:2] == ["Meeting", "Planning the café"]
    names = [row[1] for row in rows[6:]]
    assert names == ["Lena Leader"]  # who checked in, as in the chat's file
    assert isinstance(rows[6][3], datetime)  # the check-in time


async def test_the_lead_of_the_group_gets_the_printable_list_too(
    client: httpx.AsyncClient, world: World
) -> None:
    file = await fetched(client, LEAD, f"attendance-pdf/{world.meeting.id}")
    assert file.status_code == 200 and file.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(file.content)).pages)
    # In the programme's language (the funder's), with those who said they would come.
    assert "Lista obecności" in text and "Lena Leader" in text and "Planning the café" in text
    assert (
        f'filename="lista-obecnosci-{world.meeting.id}.pdf"' in file.headers["content-disposition"]
    )
    xlsx = await fetched(client, LEAD, f"attendance/{world.meeting.id}")
    assert xlsx.status_code == 200 and cells(xlsx.content)[0][1] == "Planning the café"


async def test_members_who_may_not_have_the_list_are_refused_at_the_post(
    client: httpx.AsyncClient, world: World
) -> None:
    for who in (LEADER, RESIDENT):  # a member of the group; a resident outside it
        for kind in ("attendance", "attendance-pdf"):
            response = await link(client, who, f"{kind}/{world.meeting.id}")
            assert response.status_code == 403, (who, kind)
            body = response.json()
            assert not body["ok"] and "url" not in body
            assert "Only a coordinator or the lead of this group" in body["message"]
    refused = await link(client, LEAD, "volunteers")  # coordinators only, as /export
    assert refused.status_code == 403 and "only coordinators" in refused.json()["message"]
    assert "url" not in refused.json()


async def test_the_refusal_is_in_the_members_language(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await speaks(db, LEADER, "pl")
    response = await link(client, LEADER, f"attendance/{world.meeting.id}")
    assert response.status_code == 403 and "koordynator" in response.json()["message"]


async def test_a_missing_meeting_is_404(client: httpx.AsyncClient, world: World) -> None:
    for kind in ("attendance", "attendance-pdf"):
        response = await link(client, COORDINATOR, f"{kind}/99999")
        assert response.status_code == 404 and "no longer exists" in response.json()["message"]
    # A link to a meeting deleted since it was made.
    token = downloads.sign(TOKEN, world.coordinator.id, "attendance", 99999)  # type: ignore[arg-type]
    assert (await client.get(f"/download/{token}")).status_code == 404
    assert (await link(client, COORDINATOR, "no-such-kind/1")).status_code == 404
    assert (await link(client, COORDINATOR, "volunteers/1")).status_code == 404
    assert (await link(client, COORDINATOR, "attendance")).status_code == 404


async def test_a_coordinator_exports_the_volunteers_as_in_the_chat(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    file = await fetched(client, COORDINATOR, "volunteers")
    assert file.status_code == 200 and file.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(file.content))
    assert book.sheetnames == ["Volunteers"]  # the /export sheet, alone
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("No.", "Full name", "Phone")
    assert [row[1:3] for row in rows[1:]] == [("Rita Resident", "+48 600 100 200")]
    assert "cooking, tutoring" in rows[1]
    async with db.session() as session:
        entry = (await session.exec(select(AuditEntry).where(AuditEntry.action == "export"))).one()
    assert entry.actor_id == world.coordinator.id and entry.details["sheet"] == "volunteers"
    # A client that looks first (HEAD) learns the type and name; nothing is built or logged.
    url = (await link(client, COORDINATOR, "volunteers")).json()["url"]
    head = await client.head("/" + url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == XLSX
    assert "Volunteers-" in head.headers["content-disposition"]
    async with db.session() as session:
        logged = await session.exec(select(AuditEntry).where(AuditEntry.action == "export"))
        assert len(logged.all()) == 1


async def test_the_buttons_are_shown_only_to_those_who_may_download(
    client: httpx.AsyncClient, world: World
) -> None:
    page = f"/api/view/meeting?id={world.meeting.id}"
    for who in (COORDINATOR, LEAD):
        html = (await client.get(page, headers=auth(who))).text
        assert f'data-download="attendance" data-id="{world.meeting.id}"' in html
        assert 'data-download="attendance-pdf"' in html and "Attendance list (XLSX)" in html
    assert "data-download" not in (await client.get(page, headers=auth(LEADER))).text
    volunteers = (await client.get("/api/view/volunteers", headers=auth(COORDINATOR))).text
    assert 'data-download="volunteers"' in volunteers
    assert "the filters apply here only" in volunteers  # the file is the whole sheet


async def test_a_forged_or_tampered_link_gets_401(client: httpx.AsyncClient, world: World) -> None:
    assert world.coordinator.id is not None
    other_bot = downloads.sign("654321:someone-else", world.coordinator.id, "volunteers", None)
    genuine = downloads.sign(TOKEN, world.lead.id, "attendance", world.meeting.id)  # type: ignore[arg-type]
    body, _dot, signature = genuine.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"] = "volunteers"  # the lead's link turned into the volunteers export
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    for token in (other_bot, f"{forged_body}.{signature}", "garbage", genuine + "x", "a.b"):
        response = await client.get(f"/download/{token}")
        assert (response.status_code, response.content) == (401, b""), token
    assert TOKEN not in genuine and TOKEN.split(":")[1] not in genuine


async def test_an_expired_link_is_refused(client: httpx.AsyncClient, world: World) -> None:
    assert world.coordinator.id is not None
    made = time.time() - downloads.TTL - 1
    token = downloads.sign(TOKEN, world.coordinator.id, "volunteers", None, now=made)
    response = await client.get(f"/download/{token}")
    assert response.status_code == 410
    assert "expired" in response.text and "+48" not in response.text
    # Four minutes old: still good.
    fresh = downloads.sign(TOKEN, world.coordinator.id, "volunteers", None, now=time.time() - 240)
    assert (await client.get(f"/download/{fresh}")).status_code == 200


async def test_a_member_demoted_after_getting_the_link_is_refused(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    volunteers = (await link(client, COORDINATOR, "volunteers")).json()["url"]
    attendance = (await link(client, LEAD, f"attendance/{world.meeting.id}")).json()["url"]
    await demote(db, COORDINATOR, world)
    await demote(db, LEAD, world)
    refused = await client.get("/" + volunteers)
    assert refused.status_code == 403 and "+48" not in refused.text
    assert "only coordinators" in refused.text
    refused = await client.get("/" + attendance)
    assert refused.status_code == 403 and "Lena" not in refused.text
    async with db.session() as session:
        assert (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "export"))
        ).all() == []


async def test_a_member_gone_since_is_refused(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    url = (await link(client, COORDINATOR, "volunteers")).json()["url"]
    async with db.session() as session:
        member = await session.get(Member, world.coordinator.id)
        assert member is not None
        member.consent_at = None  # no longer registered
        session.add(member)
    assert (await client.get("/" + url)).status_code == 403


async def test_the_post_is_checked_like_every_api_request(
    client: httpx.AsyncClient, world: World, panel_harness: Harness
) -> None:
    path = f"/api/downloads/attendance/{world.meeting.id}"
    forged = auth(COORDINATOR, token="654321:not-our-token")
    for headers in ({}, forged, auth(COORDINATOR, age=25 * 3600)):
        response = await client.post(path, json={}, headers=headers)
        assert (response.status_code, response.content) == (401, b"")
    form = await client.post(path, data={"a": "b"}, headers=auth(COORDINATOR))
    assert form.status_code == 415
    assert (await client.get(path, headers=auth(COORDINATOR))).status_code == 405
    # The member's request limit applies to asking for links.
    from bot.panel.app import RateLimit, create_app

    app = create_app(panel_harness.app, telegram_js=False, rate_limit=RateLimit(0.01, 2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://panel.test") as http:
        codes = [
            (await http.post(path, json={}, headers=auth(COORDINATOR))).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]


def test_the_file_name_header_has_an_ascii_name_and_the_real_one() -> None:
    header = downloads.content_disposition("Wolontariusze-łódź.xlsx", "volunteers")
    assert header.startswith('attachment; filename="Wolontariusze-lodz.xlsx"; filename*=UTF-8')
    assert unquote(header.split("''", 1)[1]) == "Wolontariusze-łódź.xlsx"
    ukrainian = downloads.content_disposition("Волонтери-2026-05-01.xlsx", "volunteers")
    assert 'filename="volunteers-2026-05-01.xlsx"' in ukrainian
    assert unquote(ukrainian.split("''", 1)[1]) == "Волонтери-2026-05-01.xlsx"
    quoted = downloads.content_disposition('a"b;c\r\n.xlsx', "file")
    assert 'filename="a_b_c_.xlsx"' in quoted and "\r" not in quoted and "\n" not in quoted
