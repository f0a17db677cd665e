"""The panel in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium), served by uvicorn on 127.0.0.1 from an application built on the recording
request: what a coordinator, a lead and a resident see; a card moved by a lead reaches its
author; a coordinator's downloads arrive as files; forged or expired initData gets nothing.

PANEL_SCREENSHOTS=docs also saves docs/panel-<page>.png at 390 px width.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest

from bot.db import Database
from tests.harness import Harness
from tests.panel.support import (
    COORDINATOR,
    LEAD,
    LEADER,
    RESIDENT,
    World,
    build_programme,
    init_data,
)

CHROMIUM = shutil.which("chromium")
DRIVER = "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not os.path.exists(DRIVER),
    reason="needs Debian's chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver; .ci/run installs them)",
)
THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "hint_color": "#708499",
    "secondary_bg_color": "#232e3c",
}
T = TypeVar("T")


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Selenium blocks: run it in a thread so that the loop keeps serving the panel."""
    return await asyncio.to_thread(function, *args)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM or ""
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_window_size(390, 844)
    yield driver
    driver.quit()


@pytest.fixture
async def served(panel_harness: Harness) -> AsyncIterator[str]:
    from bot.panel.app import create_app
    from bot.panel.server import bind, make_server

    sock = bind("127.0.0.1", 0)
    server, _ = make_server(create_app(panel_harness.app, telegram_js=False), sock)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server.should_exit = True
    await task
    sock.close()


class Page:
    def __init__(self, driver: Any, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, data: str, theme: dict[str, str] | None = None) -> None:
        fragment = "tgWebAppData=" + quote(data, safe="")
        if theme:
            fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
        self.driver.get("about:blank")  # a new document: the hash alone would not reload
        self.driver.get(self.base + "#" + fragment)

    def wait(self, condition: Callable[[Any], Any], timeout: float = 10) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(condition)

    def state(self) -> str:
        return str(self.driver.execute_script("return document.body.dataset.state || ''"))

    def loads(self) -> int:
        return int(self.driver.execute_script("return document.body.dataset.loads || '0'"))

    def wait_ready(self, after: int = 0) -> None:
        self.wait(
            lambda d: (
                (self.state() in ("ready", "forbidden") and self.loads() > after)
                or self.state() == "denied"
            )
        )

    def go(self, tab: str) -> None:
        before = self.loads()
        self.driver.find_element("css selector", f'nav [data-view="{tab}"]').click()
        self.wait_ready(before)

    def text(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    def html(self) -> str:
        return str(self.driver.find_element("id", "app").get_attribute("innerHTML"))

    def csp_errors(self) -> list[str]:
        return [
            e["message"]
            for e in self.driver.get_log("browser")
            if "Content Security Policy" in e["message"] or e["level"] == "SEVERE"
        ]


@pytest.fixture
async def page(browser: Any, served: str) -> Page:
    return Page(browser, served)


async def open_as(page: Page, telegram_id: int, **options: Any) -> None:
    await off_loop(page.open, init_data(telegram_id), options.get("theme"))
    await off_loop(page.wait_ready)


def show_month(page: Page, month: str) -> None:
    """The calendar of `month` (YYYY-MM), one month before or after the one shown."""
    buttons = page.driver.find_elements("css selector", f'[data-month="{month}"]')
    if buttons:
        before = page.loads()
        buttons[0].click()
        page.wait_ready(before)


async def test_a_coordinator_sees_every_page(page: Page, world: World, db: Database) -> None:
    programme = await build_programme(db, world)
    await open_as(page, COORDINATOR, theme=THEME)
    assert page.state() == "ready"
    assert "Members per role" in page.text()  # the overview's charts
    # themeParams become the page's colours
    background = page.driver.execute_script(
        "return getComputedStyle(document.body).backgroundColor"
    )
    assert background == "rgb(23, 33, 43)"
    tabs = [e.text for e in page.driver.find_elements("css selector", "nav [data-view]")]
    assert tabs == [
        "Overview",
        "Board",
        "Groups",
        "Meetings",
        "Problem map",
        "Programme actions",
        "Volunteers",
    ]
    await off_loop(page.go, "board")
    html = page.html()
    assert f'data-move="{world.idea.id}"' in html and f'data-move="{world.barrier.id}"' in html
    await off_loop(page.go, "volunteers")
    assert "+48 600 100 200" in page.text()
    await off_loop(page.go, "meetings")
    await off_loop(show_month, page, world.meeting.starts_at.strftime("%Y-%m"))
    assert "Planning the café" in page.text()
    assert page.driver.find_elements("css selector", ".calendar .chip")
    await off_loop(page.go, "map")
    assert "Causes no idea addresses" in page.text() and "Job fair at the school" in page.text()
    await off_loop(page.go, "actions")
    before = page.loads()
    page.driver.find_element(
        "css selector", f'[data-view="action"][data-id="{programme.action.id}"]'
    ).click()
    await off_loop(page.wait_ready, before)
    assert "Forty young people meet employers" in page.text() and "12 / 40 people" in page.text()
    assert page.csp_errors() == []


async def test_a_resident_sees_what_a_resident_may(page: Page, world: World) -> None:
    await open_as(page, RESIDENT)
    assert "Statistics are for coordinators and group leads." in page.text()
    tabs = [e.text for e in page.driver.find_elements("css selector", "nav [data-view]")]
    assert "Volunteers" not in tabs and "Programme actions" not in tabs
    assert "Problem map" in tabs
    await off_loop(page.go, "board")
    assert "Seniors' café in the library" in page.text()
    assert page.driver.find_elements("css selector", "[data-move], [data-reject]") == []
    await off_loop(page.go, "groups")
    before = page.loads()
    page.driver.find_element(
        "css selector", f'[data-view="group"][data-id="{world.own_group.id}"]'
    ).click()
    await off_loop(page.wait_ready, before)
    assert "Only members of the group and coordinators see who is in it." in page.text()


async def test_a_lead_moves_a_card_and_the_author_is_told(
    page: Page, world: World, panel_harness: Harness, db: Database
) -> None:
    await open_as(page, LEAD)
    await off_loop(page.go, "board")
    assert page.driver.find_elements("css selector", f'[data-move="{world.barrier.id}"]') == []
    panel_harness.calls.clear()
    before = page.loads()
    button = page.driver.find_element("css selector", f'[data-move="{world.idea.id}"]')
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    await off_loop(page.wait_ready, before)
    toast = page.driver.find_element("id", "toast")
    assert toast.is_displayed() and "under discussion" in toast.text
    column = page.driver.find_element("css selector", '.column[data-status="discussion"]')
    assert "Seniors' café in the library" in column.get_attribute("textContent")
    told = panel_harness.sent_to(LEADER)
    assert told and "is now: under discussion" in told[-1].text


async def test_a_coordinator_rejects_with_a_reason(
    page: Page, world: World, panel_harness: Harness
) -> None:
    await open_as(page, COORDINATOR)
    await off_loop(page.go, "board")
    card = page.driver.find_element("css selector", f'[data-card="{world.barrier.id}"]')
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    card.find_element("css selector", "details summary").click()
    card.find_element("css selector", "input[name=reason]").send_keys("Already planned")
    before = page.loads()
    card.find_element("css selector", "form button").click()
    await off_loop(page.wait_ready, before)
    assert "Already planned" in panel_harness.sent_to(LEADER)[-1].text


def downloaded(folder: Path, pattern: str) -> Path | None:
    """The finished file matching `pattern` in `folder` (Chromium writes .crdownload first)."""
    found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
    return found[0] if found else None


def open_meeting(page: Page, world: World) -> None:
    page.go("meetings")
    show_month(page, world.meeting.starts_at.strftime("%Y-%m"))
    before = page.loads()
    page.driver.find_element(
        "css selector", f'[data-view="meeting"][data-id="{world.meeting.id}"]'
    ).click()
    page.wait_ready(before)


async def test_a_coordinator_downloads_files_a_leader_sees_no_button(
    page: Page, world: World, tmp_path: Path
) -> None:
    """Outside Telegram the script opens the signed link: the browser saves the file."""
    from openpyxl import load_workbook

    page.driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    await open_as(page, COORDINATOR)
    await off_loop(page.go, "volunteers")
    page.driver.find_element("css selector", '[data-download="volunteers"]').click()
    saved = await off_loop(page.wait, lambda d: downloaded(tmp_path, "Volunteers-*.xlsx"))
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[1][1:3] == ("Rita Resident", "+48 600 100 200")
    await off_loop(open_meeting, page, world)
    page.driver.find_element("css selector", '[data-download="attendance"]').click()
    saved = await off_loop(page.wait, lambda d: downloaded(tmp_path, "attendance-*.xlsx"))
    assert load_workbook(saved).active["B1"].value == "Planning the café"
    assert page.state() == "ready" and page.csp_errors() == []
    await open_as(page, LEADER)  # sees the meeting, may not manage it
    await off_loop(open_meeting, page, world)
    assert "Planning the café" in page.text()
    assert page.driver.find_elements("css selector", "[data-download]") == []


@pytest.mark.parametrize(
    "age, token", [(25 * 3600, None), (0, "654321:someone-else")], ids=["expired", "forged"]
)
async def test_forged_or_expired_init_data_gets_nothing(
    page: Page, world: World, age: int, token: str | None
) -> None:
    data = init_data(COORDINATOR, age=age, **({"token": token} if token else {}))
    await off_loop(page.open, data, None)
    await off_loop(page.wait, lambda d: page.state() == "denied")
    assert "Open this panel from the bot in Telegram" in page.text()
    assert "Seniors" not in page.driver.page_source


async def test_screenshots(page: Page, world: World, db: Database) -> None:
    """Saved only with PANEL_SCREENSHOTS=<folder> (docs/panel-*.png in the repository)."""
    folder = os.environ.get("PANEL_SCREENSHOTS")
    if not folder:
        pytest.skip("set PANEL_SCREENSHOTS=docs to write the screenshots")
    await off_loop(lambda: Path(folder).mkdir(parents=True, exist_ok=True))
    await open_as(page, COORDINATOR, theme=THEME)
    for tab in ("overview", "board", "groups", "meetings", "map", "actions", "volunteers"):
        if tab == "map":  # the board above shows the small world alone
            await build_programme(db, world)
        await off_loop(page.go, tab)
        if tab == "meetings":
            await off_loop(show_month, page, world.meeting.starts_at.strftime("%Y-%m"))
        page.driver.save_screenshot(str(Path(folder) / f"panel-{tab}.png"))
        if tab == "meetings":  # and one meeting's page, with its attendance-list downloads
            await off_loop(open_meeting, page, world)
            page.driver.save_screenshot(str(Path(folder) / "panel-meeting.png"))
