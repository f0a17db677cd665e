"""What every page uses: who is asking and with what, the words the templates show, the tabs,
and the names of kinds, statuses and groups in the current language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.i18n import current_language
from bot.i18n import gettext as _
from bot.panel.cache import Caches
from bot.profile import Profile
from bot.services import contributions as contributions_service
from bot.services.permissions import Action, can, has_role
from models import Answer, ContributionKind, ContributionStatus, Group, Member, Role


class Forbidden(Exception):
    """The viewer may not see this page (the panel answers 403 with the message)."""


@dataclass
class Viewer:
    member: Member
    language: str

    @property
    def is_coordinator(self) -> bool:
        return has_role(self.member, Role.COORDINATOR)


@dataclass
class PageRequest:
    """What a page is built from besides the session: who asks, the query's parameters,
    what the panel keeps between requests, and the profile (areas, streets)."""

    viewer: Viewer
    params: Mapping[str, str]
    caches: Caches
    profile: Profile

    def number(self, key: str) -> int | None:
        value = self.params.get(key, "")
        return int(value) if value.isdigit() and len(value) < 10 else None


_LABELS: dict[str, dict[str, str]] = {}


def labels() -> dict[str, str]:
    """Every word the templates show, in the current language (built once per language)."""
    language = current_language()
    if language not in _LABELS:
        _LABELS[language] = _labels()
    return _LABELS[language]


def _labels() -> dict[str, str]:
    return {
        "panel": _("Leaders' panel"),
        "overview": _("Overview"),
        "board": _("Board"),
        "groups": _("Groups"),
        "meetings": _("Meetings"),
        "map": _("Problem map"),
        "actions": _("Programme actions"),
        "volunteers": _("Volunteers"),
        "all_kinds": _("All kinds"),
        "all_areas": _("All areas"),
        "all_groups": _("All groups"),
        "search": _("Search"),
        "search_hint": _("Search titles"),
        "filter": _("Show"),
        "reject": _("Reject"),
        "reason": _("Reason for the author"),
        "confirm_reject": _("Reject it"),
        "empty": _("Nothing here yet."),
        "more": _("Newer cards first; use the filters to find older ones."),
        "members": _("Members"),
        "lead": _("Lead"),
        "no_lead": _("no lead yet"),
        "upcoming": _("Upcoming meetings"),
        "latest": _("Latest contributions"),
        "members_hidden": _("Only members of the group and coordinators see who is in it."),
        "open_group": _("open to residents"),
        "closed_group": _("closed group"),
        "your_group": _("your group"),
        "previous": _("Previous"),
        "next": _("Next"),
        "cancelled": _("cancelled"),
        "present": _("present"),
        "your_answer": _("Your answer"),
        "yes": _("coming"),
        "maybe": _("maybe"),
        "no": _("not coming"),
        "waiting": _("waiting list"),
        "area": _("Area"),
        "street": _("Street"),
        "other_street": _("other street"),
        "availability": _("Availability"),
        "skill": _("Skill"),
        "skills": _("Skills"),
        "phone": _("Phone"),
        "any": _("any"),
        "stats_hidden": _("Statistics are for coordinators and group leads."),
        "my_contributions": _("My contributions"),
        "my_groups": _("My groups"),
        "back": _("Back"),
        "by": _("by"),
        "former_member": _("former member"),
        "loading": _("Loading…"),
        "narrow": _("Only the first 100 are shown: narrow the list with the filters."),
        "denied": _("Open this panel from the bot in Telegram: send /panel."),
        "failed": _("Something went wrong. Please try again."),
        "orphan_causes": _("Causes no idea addresses"),
        "without_resource": _("Ideas with no resource"),
        "chains": _("Strongest chains"),
        "nothing_yet": _("Nothing contributed yet."),
        "no_actions": _("No programme actions planned yet."),
        "ready_ideas": _("Accepted ideas that can become actions:"),
        "goal": _("Goal"),
        "target_group": _("Target group"),
        "responsible": _("Responsible institution"),
        "partners": _("Partners"),
        "schedule": _("Schedule"),
        "status": _("Status"),
        "indicators": _("Indicators"),
        "indicator": _("Indicator"),
        "target": _("Target"),
        "achieved": _("Achieved"),
        "timeline": _("Timeline"),
        "linked": _("Linked:"),
    }


def nav(viewer: Viewer) -> list[tuple[str, str]]:
    """The tabs this viewer has: as the chat's commands (/actions for leads and up,
    volunteers for coordinators)."""
    t = labels()
    pages = ["overview", "board", "groups", "meetings", "map"]
    if has_role(viewer.member, Role.LEAD):
        pages.append("actions")
    if can(viewer.member, Action.SEE_VOLUNTEERS):
        pages.append("volunteers")
    return [(page, t[page]) for page in pages]


def kind_name(kind: str) -> str:
    return _(contributions_service.KIND_NAMES[ContributionKind(kind)])


def status_name(status: str) -> str:
    return _(contributions_service.STATUS_NAMES[ContributionStatus(status)])


def group_name(group: Group | None) -> str:
    return group.display_name(current_language()) if group is not None else "—"


def answer_names() -> dict[str, str]:
    t = labels()
    return {
        Answer.YES: t["yes"],
        Answer.MAYBE: t["maybe"],
        Answer.NO: t["no"],
        Answer.WAITING: t["waiting"],
    }
