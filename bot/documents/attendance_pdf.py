"""The printable attendance list ("Lista obecności") of a meeting, as funders of Polish social
projects require it: the funder's line, the programme, the meeting's topic, date, time and
place, and a table No. / Full name / Institution / Signature with the people who said they
would come and empty rows to fill in by hand. After the meeting the same list marks who
checked in.

The font is DejaVu Sans shipped inside matplotlib (found without importing matplotlib), so
Polish and Ukrainian letters render on any machine that installs the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.posters import font_dir

FONT = "DejaVu"
INK = (33, 37, 41)
GREY = (110, 110, 110)
ROW_HEIGHT = 10.0  # mm: room for a handwritten signature
MIN_BLANK_ROWS = 5


@dataclass(frozen=True)
class AttendanceRow:
    name: str
    institution: str
    present: bool = False


@dataclass(frozen=True)
class AttendanceSheet:
    programme: str
    funder: str
    topic: str
    group: str
    day: str  # already formatted in BOT_TIMEZONE and the document's language
    time: str
    place: str
    rows: list[AttendanceRow] = field(default_factory=list)
    after: bool = False  # the meeting has started: mark check-ins
    erased_present: int = 0  # people who checked in and later erased their data
    blank_rows: int = 10


def attendance_pdf(sheet: AttendanceSheet) -> bytes:
    """The list as A4 PDF bytes, in the current language."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    title = _("Attendance list")
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"{title}: {sheet.topic}")
    pdf.set_creator("leaders-bot")
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=16)
    fonts = font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    page_word = _("Page")

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*GREY)
        pdf.cell(0, 5, f"{page_word} {pdf.page_no()}/{{nb}}", align="C")

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    if sheet.funder:
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(width, 4.2, sheet.funder, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_text_color(*INK)
    if sheet.programme:
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(width, 6, sheet.programme, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, "B", 18)
    pdf.cell(width, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    label_width = 32.0
    for label, value in (
        (_("Meeting"), sheet.topic),
        (_("Group"), sheet.group),
        (_("Date"), sheet.day),
        (_("Hours"), sheet.time),
        (_("Place"), sheet.place),
    ):
        if not value:
            continue
        pdf.set_font(FONT, "B", 10.5)
        pdf.cell(label_width, 6, label + ":")
        pdf.set_font(FONT, "", 10.5)
        pdf.multi_cell(width - label_width, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    headings = [_("Row no."), _("Full name"), _("Institution")]
    widths: list[float] = [12, 56, 56]
    if sheet.after:
        headings.append(_("Present"))
        widths.append(25)
    headings.append(_("Signature"))
    widths.append(width - sum(widths))
    pdf.set_font(FONT, "", 10)
    heading_style = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    blank = max(sheet.blank_rows, MIN_BLANK_ROWS)
    with pdf.table(
        col_widths=widths,
        width=width,
        line_height=5,
        headings_style=heading_style,
        text_align=("CENTER", "LEFT", "LEFT", *(["CENTER"] if sheet.after else []), "LEFT"),
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        table.row(headings)
        number = 0
        for number, person in enumerate(sheet.rows, start=1):
            cells = [f"{number}.", person.name, person.institution]
            if sheet.after:
                cells.append("✓" if person.present else "")
            cells.append("")
            table.row(cells, min_height=ROW_HEIGHT)
        for extra in range(number + 1, number + 1 + blank):
            cells = [f"{extra}.", "", "", *([""] if sheet.after else []), ""]
            table.row(cells, min_height=ROW_HEIGHT)

    pdf.ln(4)
    pdf.set_font(FONT, "", 9.5)
    if sheet.after:
        present = sum(1 for person in sheet.rows if person.present) + sheet.erased_present
        pdf.multi_cell(
            width,
            5,
            ngettext(
                "{n} person checked in through the bot.",
                "{n} people checked in through the bot.",
                present,
            ).format(n=present),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if sheet.erased_present:
            pdf.multi_cell(
                width,
                5,
                ngettext(
                    "Including {n} person who has since erased their data (not listed).",
                    "Including {n} people who have since erased their data (not listed).",
                    sheet.erased_present,
                ).format(n=sheet.erased_present),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.ln(10)
    pdf.set_font(FONT, "", 9.5)
    half = width / 2
    pdf.cell(half, 5, "……………………………………")
    pdf.cell(half, 5, "……………………………………", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*GREY)
    pdf.cell(half, 5, _("place and date"))
    pdf.cell(half, 5, _("signature of the person in charge"), align="R")
    return bytes(pdf.output())
