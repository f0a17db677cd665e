"""The programme document (DOCX): 1. diagnosis per problem area, 2. local resources,
3. experience so far, 4. goals and actions, 5. how it was made. Headings, a table of
contents field (Word fills it in when the file is opened: "update fields"), tables and page
numbers in the footer. People appear only as institutions or teams, never by name.
"""

from __future__ import annotations

import io

from bot.i18n import N_, format_date, ngettext
from bot.i18n import gettext as _
from bot.services.programme import ActionSection, Item, ProgrammeData

STATUS = {
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}


def _field(paragraph: object, instruction: str, placeholder: str = "") -> None:
    """A Word field (TOC, PAGE, NUMPAGES) as begin / instruction / separate / end runs."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> object:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")  # ask Word to refresh it on opening
        return element

    run = paragraph.add_run()  # type: ignore[attr-defined]
    run._r.append(char("begin"))
    run = paragraph.add_run()  # type: ignore[attr-defined]
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    run._r.append(text)
    run = paragraph.add_run()  # type: ignore[attr-defined]
    run._r.append(char("separate"))
    paragraph.add_run(placeholder)  # type: ignore[attr-defined]
    run = paragraph.add_run()  # type: ignore[attr-defined]
    run._r.append(char("end"))


def _table(document: object, headings: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headings))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(heading).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value


def _items_table(document: object, items: list[Item]) -> None:
    _table(
        document,
        ["#", _("Title"), _("Support"), _("Team")],
        [[str(i.id), i.title, str(i.support), i.team] for i in items],
    )


def _action(document: object, number: int, action: ActionSection) -> None:
    document.add_heading(f"4.{number}. {action.title}", level=2)  # type: ignore[attr-defined]
    facts = [
        (_("Goal"), action.goal),
        (_("Target group"), action.target_group),
        (_("Responsible institution"), action.responsible),
        (_("Partners"), ", ".join(action.partners)),
        (_("Schedule"), action.schedule),
        (_("Status"), f"{_(STATUS.get(action.status, action.status))}, {action.progress}%"),
        (_("Causes addressed"), "; ".join(action.causes)),
        (_("Barriers overcome"), "; ".join(action.barriers)),
        (_("Resources used"), "; ".join(action.resources)),
        (_("Experience built on"), "; ".join(action.experiences)),
    ]
    _table(document, [_("Item"), _("Details")], [[k, v or "—"] for k, v in facts])
    if action.indicators:
        document.add_paragraph()  # type: ignore[attr-defined]
        document.add_paragraph(_("Indicators"), style="Heading 3")  # type: ignore[attr-defined]
        _table(
            document,
            [_("Indicator"), _("Target"), _("Unit"), _("Achieved")],
            [
                [name, f"{target:g}", unit, "" if achieved is None else f"{achieved:g}"]
                for name, target, unit, achieved in action.indicators
            ],
        )
    if action.notes:
        document.add_paragraph(_("Timeline"), style="Heading 3")  # type: ignore[attr-defined]
        for day, text in action.notes:
            document.add_paragraph(f"{format_date(day, 'medium')}: {text}", style="List Bullet")  # type: ignore[attr-defined]


def programme_docx(data: ProgrammeData) -> bytes:
    """The document as DOCX bytes, in the current language."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = Document()
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    document.core_properties.title = data.name
    document.core_properties.author = "leaders-bot"

    section = document.sections[0]
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(_("Page") + " ")
    _field(footer, "PAGE", "1")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES", "1")
    if data.funder:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = header.add_run(data.funder)
        run.font.size = Pt(8)

    document.add_heading(data.name or _("Local development programme"), level=0)
    subtitle = _("Local development programme")
    if data.town:
        subtitle += f" · {data.town}"
    document.add_paragraph(subtitle)
    document.add_paragraph(
        _("Prepared on {date} from the contributions of the leaders' team.").format(
            date=format_date(data.generated_on, "long")
        )
    )
    document.add_heading(_("Contents"), level=1)
    _field(
        document.add_paragraph(),
        'TOC \\o "1-2" \\h \\z \\u',
        _("Right-click and choose “Update field” to show the table of contents."),
    )

    document.add_heading("1. " + _("Diagnosis"), level=1)
    document.add_paragraph(
        _(
            "Causes and barriers named by the leaders, per problem area; the number is how "
            "many people support each one."
        )
    )
    for number, area in enumerate(data.areas, start=1):
        document.add_heading(f"1.{number}. {area.name}", level=2)
        if not area.causes and not area.barriers:
            document.add_paragraph(_("Nothing contributed yet."))
            continue
        if area.causes:
            document.add_paragraph(_("Causes"), style="Heading 3")
            _items_table(document, area.causes)
        if area.barriers:
            document.add_paragraph(_("Barriers"), style="Heading 3")
            _items_table(document, area.barriers)

    sections = [
        ("2. " + _("Local resources"), _("Resource"), data.resources),
        ("3. " + _("Experience so far"), _("Experience"), data.experiences),
    ]
    for heading, what, items in sections:
        document.add_heading(heading, level=1)
        if not items:
            document.add_paragraph(_("Nothing contributed yet."))
            continue
        _table(
            document,
            ["#", what, _("Problem area"), _("Support"), _("Team")],
            [[str(i.id), i.title, area, str(i.support), i.team] for area, i in items],
        )

    document.add_heading("4. " + _("Goals and actions"), level=1)
    if not data.actions:
        document.add_paragraph(_("No programme actions planned yet."))
    for number, action in enumerate(data.actions, start=1):
        _action(document, number, action)

    document.add_heading("5. " + _("How the programme was made"), level=1)
    document.add_paragraph(
        ngettext(
            "{n} meeting of the working groups was held.",
            "{n} meetings of the working groups were held.",
            data.meetings_held,
        ).format(n=data.meetings_held)
        + " "
        + ngettext(
            "{n} attendance was recorded.", "{n} attendances were recorded.", data.participants
        ).format(n=data.participants)
    )
    counts = [
        (
            _("Participants per institution"),
            _("Institution"),
            _("Attendances"),
            data.by_institution,
        ),
        (_("Contributions per team"), _("Team"), _("Contributions"), data.by_team),
    ]
    for heading, who, what, rows in counts:
        document.add_paragraph(heading, style="Heading 3")
        if rows:
            _table(document, [who, what], [[name, str(n)] for name, n in rows])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
