"""A meeting as a file: the .ics invitation and the attendance list (XLSX).

(The attendance list is bot/services/attendance_files.py, shared with the panel.) Writing
the calendar is CPU work, so the handler runs it through `bot.offload.run_blocking`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.i18n import current_language
from models import Group, Meeting


def ics_file(meeting: Meeting, group: Group, tz: ZoneInfo, bot_username: str) -> bytes:
    """An iCalendar event in BOT_TIMEZONE (TZID plus a VTIMEZONE), stable UID per meeting."""
    from icalendar import Calendar, Event  # loaded when the first .ics file is made

    calendar = Calendar()
    calendar.add("prodid", "-//leaders-bot//meetings//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{bot_username}")
    event.add("sequence", meeting.revision - 1)
    event.add("dtstamp", meeting.scheduled_at)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting.topic)
    event.add("location", meeting.place)
    description = group.display_name(current_language())
    if meeting.agenda:
        description += "\n\n" + meeting.agenda
    event.add("description", description)
    if meeting.is_cancelled:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
