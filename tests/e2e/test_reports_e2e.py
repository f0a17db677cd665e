"""The real bot process and reports: an export in Telegram and from the command line,
/mydata and /forget."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import BotProcess
from tests.e2e.flows import mark, onboard
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def cli(bot: BotProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=bot.env,
        cwd=bot.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_coordinator_exports_and_a_member_forgets(fake: FakeTelegram, bot: BotProcess) -> None:
    invite = cli(bot, "invite", "--role", "coordinator", "--uses", "1")
    assert invite.returncode == 0, invite.stderr
    boss = fake.new_user("Beata", language_code="pl")
    onboard(fake, boss, "Beata Koordynatorka", start=f"/start {invite.stdout.split('start=')[1]}")
    fake.wait_for_message(boss, contains="koordynator")
    zofia = fake.new_user("Zofia", language_code="pl")
    onboard(fake, zofia, "Zofia Żółkiewska")

    seen = mark(fake, boss)
    fake.send_text(boss, "/export")
    choice = fake.wait_for_message(boss, contains="W jakim formacie", after=seen)
    seen = mark(fake, boss)
    fake.press(boss, choice, text="Skoroszyt Excel (XLSX)")
    sent = fake.wait_for_message(boss, predicate=lambda m: m.document is not None, after=seen)
    assert sent.document is not None
    name, content = sent.document
    assert name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    members = [row[1] for row in workbook["Członkowie"].iter_rows(min_row=2, values_only=True)]
    assert "Zofia Żółkiewska" in members

    # /mydata, then /forget: the name disappears from a fresh export from the command line.
    seen = mark(fake, zofia)
    fake.send_text(zofia, "/mydata")
    mine = fake.wait_for_message(zofia, predicate=lambda m: m.document is not None, after=seen)
    assert mine.document is not None
    assert json.loads(mine.document.content)["member"]["display_name"] == "Zofia Żółkiewska"
    seen = mark(fake, zofia)
    fake.send_text(zofia, "/forget")
    question = fake.wait_for_message(zofia, contains="Usunąć Twoje dane?", after=seen)
    since = time.time()
    fake.press(zofia, question, text="Tak, usuń wszystko")
    fake.wait_for_message(zofia, contains="Twoje dane zostały usunięte", after=since)

    out = bot.workdir / "report.zip"
    result = cli(bot, "export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        everything = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    assert "Beata Koordynatorka" in everything
    assert "Żółkiewska" not in everything
