"""The kinds of contribution and the questions each asks, and how an answer is checked."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from bot.services.errors import InvalidInput
from bot.services.members import clean_text
from models import ContributionKind

TITLE_MAX = 120
TEXT_MAX = 2000
TITLE = "title"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # msgid: how the review card names it
    prompt: str  # msgid: the question
    limit: int = TEXT_MAX
    optional: bool = False


def _title(label: str, prompt: str) -> FieldSpec:
    """The first question of every kind: its short title."""
    return FieldSpec(TITLE, label, prompt, TITLE_MAX)


KIND_NAMES = {
    ContributionKind.IDEA: N_("idea"),
    ContributionKind.RESOURCE: N_("resource"),
    ContributionKind.BARRIER: N_("barrier"),
    ContributionKind.EXPERIENCE: N_("experience"),
    ContributionKind.CAUSE: N_("cause"),
}

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    ContributionKind.IDEA: (
        _title(N_("Idea"), N_("What is your idea? Give it a short title.")),
        FieldSpec("for_whom", N_("For whom"), N_("Who is it for? Who would gain from it?")),
        FieldSpec(
            "first_step", N_("First step"), N_("What would be the first step to make it happen?")
        ),
    ),
    ContributionKind.RESOURCE: (
        _title(
            N_("Resource"),
            N_("What is the resource? A room, equipment, a skill, money... Give a short title."),
        ),
        FieldSpec("owner", N_("Owner"), N_("Who owns it or looks after it?")),
        FieldSpec(
            "institution",
            N_("Institution"),
            N_("Which institution is it with? (You can skip this.)"),
            optional=True,
        ),
        FieldSpec("access", N_("How to reach it"), N_("How can one reach it or ask for it?")),
        FieldSpec("availability", N_("When available"), N_("When is it available?")),
    ),
    ContributionKind.BARRIER: (
        _title(N_("Barrier"), N_("What is the barrier? Give it a short title.")),
        FieldSpec(
            "where",
            N_("Where it stands"),
            N_("Where does it stand: in which place, office or procedure?"),
        ),
        FieldSpec("remover", N_("Who could remove it"), N_("Who could remove it?")),
    ),
    ContributionKind.EXPERIENCE: (
        _title(N_("What was tried"), N_("What was tried? Give it a short title.")),
        FieldSpec("tried", N_("How it went"), N_("Tell briefly what was done, by whom and when.")),
        FieldSpec("result", N_("Result"), N_("With what result? What would you do differently?")),
    ),
    ContributionKind.CAUSE: (
        _title(
            N_("Cause"), N_("Which cause of inherited poverty do you see? Give it a short title.")
        ),
        FieldSpec("mechanism", N_("Mechanism"), N_("How does it work: what leads to what?")),
        FieldSpec("evidence", N_("Evidence"), N_("What shows it: facts, figures, cases you know?")),
    ),
}


def kinds() -> tuple[str, ...]:
    return tuple(k.value for k in ContributionKind)


def field_spec(kind: str, key: str) -> FieldSpec:
    for spec in FIELDS[kind]:
        if spec.key == key:
            return spec
    raise InvalidInput(N_("This question is not part of this kind of contribution."))


def clean_field(kind: str, key: str, text: str | None) -> str:
    """Check one answer; the error says the limit of a title or of a text."""
    spec = field_spec(kind, key)
    try:
        return clean_text(text, spec.limit, field=key)
    except InvalidInput as error:
        if "length" not in error.params:
            raise
        if key == TITLE:
            raise InvalidInput(
                N_(
                    "That is a little too long for a title: {length} characters, and a title "
                    "can have at most {limit}. Could you say it more briefly?"
                ),
                **error.params,
            ) from None
        raise InvalidInput(
            N_(
                "That is a little too long: {length} characters, and an answer can have at "
                "most {limit}. Could you shorten it?"
            ),
            **error.params,
        ) from None
