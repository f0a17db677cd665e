"""Printable invitation posters (bot/posters.py, `leaders-bot invite --poster`): the text is
real text in the PDF (Polish letters included), and the QR code opens the invite link."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from bot import i18n
from bot.posters import poster_pdf
from tests.unit.test_settings_and_cli import ROOT, STARTS_THE_BOT, run_cli

LINK = "https://t.me/chelmza_bot?start=i-Zx9_kQ2mLw8vT3rYbN4cHd"
PROGRAMME = "Strefa Miejskich Inspiracji"


@pytest.fixture(autouse=True)
def _catalogs() -> None:
    i18n.setup("pl", "Europe/Warsaw")


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def one_line(text: str) -> str:
    return " ".join(text.split())


def qr_links(pdf: bytes) -> list[str]:
    """Every QR code in the PDF's images, decoded."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            found += [b.text for b in zxingcpp.read_barcodes(image.image)]
    return found


def test_a_polish_poster_has_the_programme_the_steps_and_the_link() -> None:
    pdf = poster_pdf(LINK, PROGRAMME)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = one_line(pdf_text(pdf))
    assert PROGRAMME in text
    assert "Dołącz do nas w Telegramie" in text
    assert "Nie używasz jeszcze Telegrama? Trzy kroki:" in text
    assert "Zainstaluj Telegram na telefonie" in text
    assert "zapyta, jak się nazywasz" in text
    assert LINK in text


def test_the_qr_code_on_the_poster_opens_the_invite_link() -> None:
    assert qr_links(poster_pdf(LINK, PROGRAMME)) == [LINK]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_printed_page_scans(tmp_path: Path) -> None:
    """The page as a printer would render it (150 dpi), not just the embedded image."""
    source = tmp_path / "poster.pdf"
    source.write_bytes(poster_pdf(LINK, PROGRAMME))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "page")], check=True
    )
    (page,) = tmp_path.glob("page*.png")
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(page))] == [LINK]


def test_the_poster_speaks_the_chosen_language() -> None:
    english = one_line(pdf_text(poster_pdf(LINK, PROGRAMME, language="en")))
    assert "Never used Telegram? Three steps:" in english and LINK in english
    ukrainian = one_line(pdf_text(poster_pdf(LINK, PROGRAMME, language="uk")))
    assert "Ще не користуєтеся Telegram? Три кроки:" in ukrainian
    assert "Встановіть Telegram на телефон" in ukrainian


@STARTS_THE_BOT
def test_invite_command_writes_a_poster(tmp_path: Path) -> None:
    import asyncio

    from bot.db import Database
    from bot.services.state import remember

    db = tmp_path / "cli.db"
    env = {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{db}"}
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0

    async def learn() -> None:
        database = Database(f"sqlite:///{db}")
        async with database.session() as session:
            await remember(session, "bot", "username", "chelmza_bot")
        await database.dispose()

    asyncio.run(learn())
    poster = tmp_path / "plakat.pdf"
    result = run_cli("invite", "--role", "leader", "--poster", str(poster), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    pdf = poster.read_bytes()
    assert "Zainstaluj Telegram" in one_line(pdf_text(pdf))
    assert qr_links(pdf) == [link]
    english = tmp_path / "poster.pdf"
    result = run_cli(
        "invite", "--role", "leader", "--poster", str(english), "--language", "en",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Three steps" in one_line(pdf_text(english.read_bytes()))
