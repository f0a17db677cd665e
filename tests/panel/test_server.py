"""`leaders-bot run --web-port PORT`: the panel served by the bot's own process and loop,
only when BOT_WEBAPP_URL is set."""

from __future__ import annotations

import gc

import httpx
import pytest

from bot.cli import main
from bot.config import Settings
from bot.db import Database
from tests.conftest import TOKEN
from tests.harness import build_app
from tests.panel.support import PANEL_URL


async def test_the_panel_runs_beside_the_bot_and_stops_with_it(
    panel_settings: Settings, db: Database
) -> None:
    from bot.panel.server import serve_panel
    from handlers import panel

    application = build_app(panel_settings, db)
    host, port = serve_panel(application, port=0, host="127.0.0.1")
    await application.initialize()
    try:
        assert application.post_init is not None and application.post_stop is not None
        await application.post_init(application)  # what run_polling/run_webhook call
        await application.bot_data["commands_task"]
        await application.bot_data["panel_warm_task"]  # warmed beside the bot's start
        assert gc.get_freeze_count() > 0
        gc.unfreeze()  # the rest of the tests as before
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            shell = await http.get("/")
            assert shell.status_code == 200 and "static/panel.js" in shell.text
            assert (await http.get("/api/view/board")).status_code == 401
        await application.post_stop(application)
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
                await http.get("/")
    finally:
        await application.shutdown()
        panel.COMMANDS.clear()


@pytest.mark.parametrize(
    "url, args, problem",
    [
        (PANEL_URL, [], "needs both BOT_WEBAPP_URL and --web-port"),
        (None, ["--web-port", "8081"], "needs both BOT_WEBAPP_URL and --web-port"),
        ("http://panel.example.org", ["--web-port", "8081"], "BOT_WEBAPP_URL is invalid"),
    ],
    ids=["url-without-port", "port-without-url", "not-https"],
)
def test_half_a_panel_setting_is_a_clear_settings_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    url: str | None,
    args: list[str],
    problem: str,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    if url is None:
        monkeypatch.delenv("BOT_WEBAPP_URL", raising=False)
    else:
        monkeypatch.setenv("BOT_WEBAPP_URL", url)
    assert main(["run", *args]) == 2
    err = capsys.readouterr().err
    assert problem in err and TOKEN not in err and len(err.strip().splitlines()) == 1
