"""Fixtures: the bot with the panel enabled (BOT_WEBAPP_URL set), its world and the panel
app on an in-process HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import Settings
from bot.db import Database
from tests.harness import Harness, start_harness
from tests.panel.support import PANEL_URL, World, build_world


@pytest.fixture
def panel_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"bot_webapp_url": PANEL_URL})


@pytest.fixture
async def panel_harness(panel_settings: Settings, db: Database) -> AsyncIterator[Harness]:
    from handlers import panel

    running = await start_harness(panel_settings, db)
    yield running
    await running.app.shutdown()
    panel.COMMANDS.clear()  # as an application without the panel would leave it


@pytest.fixture
async def world(panel_harness: Harness, db: Database) -> World:
    return await build_world(db)


@pytest.fixture
async def client(panel_harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    from bot.panel.app import create_app

    app = create_app(panel_harness.app, telegram_js=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://panel.test") as http:
        yield http
