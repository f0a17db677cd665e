"""A meeting's attendance list as a spreadsheet (XLSX): who was there and when they came.

The chat sends it from the lead's roster (handlers/meetings/attendance.py) and the panel
offers it on the meeting's page (bot/panel/downloads.py). openpyxl is imported where the list
is written: at module level it would load numpy, PIL and lxml before the first update.
Writing cells is CPU work: callers run it through `bot.offload.run_blocking`.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from bot.i18n import current_language
from bot.i18n import gettext as _
from models import Group, Meeting, Member, Rsvp


def attendance_xlsx(
    meeting: Meeting, group: Group, rows: list[tuple[Member, Rsvp]], tz: ZoneInfo
) -> bytes:
    """The list the programme reports to its funder: who was there and when they came."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Attendance")[:31]
    sheet.append([_("Meeting"), meeting.topic])
    sheet.append([_("Group"), group.display_name(current_language())])
    sheet.append([_("Date"), meeting.starts_at.astimezone(tz).replace(tzinfo=None)])
    sheet.append([_("Place"), meeting.place])
    sheet.append([])
    header = [_("No."), _("Name"), _("Institution"), _("Check-in time")]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for number, (person, rsvp) in enumerate(rows, start=1):
        checked = (
            rsvp.checked_in_at.astimezone(tz).replace(tzinfo=None) if rsvp.checked_in_at else None
        )
        sheet.append([number, person.display_name or "", person.institution or "", checked])
        if checked is not None:
            sheet.cell(sheet.max_row, 4).number_format = "yyyy-mm-dd hh:mm"
    sheet["B3"].number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip("ABCD", (8, 32, 40, 18), strict=True):
        sheet.column_dimensions[column].width = width
    # Names, institutions, topic and place are user text: a leading "=" must stay text,
    # never become a formula (OWASP "CSV injection").
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
