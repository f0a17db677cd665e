"""Printable invitation posters: an A4 PDF for a notice board, with the invite's QR code.

A pure function (bytes out) that runs in a worker thread (bot/offload.py): the QR code
and the PDF are CPU work. The font is DejaVu Sans as shipped inside matplotlib (already a
dependency), so every machine that installs the bot has a font with Polish and Ukrainian
letters; fpdf2 embeds only the glyphs the poster uses.
"""

from __future__ import annotations

import io
from importlib.util import find_spec
from pathlib import Path

from bot.i18n import gettext as _
from bot.i18n import use_language

FONT = "DejaVu"
INK = (33, 37, 41)
ACCENT = (0, 104, 180)  # Telegram-ish blue, prints fine in grey too
QR_SIZE = 130.0  # mm: scannable from a few steps away


def font_dir() -> Path:
    """matplotlib's bundled fonts, found without importing matplotlib (numpy and all)."""
    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the poster font comes with it")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def steps() -> list[str]:
    """Three steps for someone who has never used Telegram, in the current language."""
    return [
        _(
            "Install Telegram on your phone: find “Telegram” in Google Play or the App Store "
            "and sign up with your phone number."
        ),
        _(
            "Point your phone's camera at the code above and tap the link that appears "
            "(or type the address written under the code into the phone's browser)."
        ),
        _("In the chat that opens, tap “Start”. The bot asks for your name and shows you around."),
    ]


def poster_pdf(link: str, programme: str, *, language: str = "pl") -> bytes:
    """The poster for `link` as PDF bytes: programme name, what joining means, the QR code,
    the link written out, and three steps; texts in `language` (Polish by default)."""
    from fpdf import FPDF

    from bot.services.invites import qr_png

    with use_language(language):
        title = programme or _("Local Development Leaders Team")
        lead = _(
            "Join us on Telegram: working groups, meetings with reminders, and ideas for our "
            "neighbourhood, all in one chat with our bot."
        )
        how = _("Never used Telegram? Three steps:")
        numbered = steps()

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.set_creator("leaders-bot")
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 16, 18)
    fonts = font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    width = pdf.epw

    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "B", 30)
    pdf.multi_cell(width, 13, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", 15)
    pdf.multi_cell(width, 7.5, lead, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(4)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(link)), x=(pdf.w - QR_SIZE) / 2, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_y(top + QR_SIZE + 1)
    size = 16.0  # the link as large as fits on one line, for typing it by hand
    pdf.set_font(FONT, "B", size)
    while size > 8 and pdf.get_string_width(link) > width:
        size -= 0.5
        pdf.set_font(FONT, "B", size)
    pdf.cell(width, 8, link, align="C", link=link, new_x="LMARGIN", new_y="NEXT")

    pdf.ln(5)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(width, 8, how, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    for number, step in enumerate(numbered, start=1):
        pdf.set_font(FONT, "B", 13)
        pdf.cell(9, 6.5, f"{number}.")
        pdf.set_font(FONT, "", 13)
        pdf.multi_cell(width - 9, 6.5, step, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    return bytes(pdf.output())
