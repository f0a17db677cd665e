"""The programme profile: groups, problem areas, streets and institutions, as data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Group, GroupKind, ProblemArea

DEFAULT_PROFILE = Path(__file__).resolve().parent / "profiles" / "chelmza.toml"
CONTRIBUTION_KINDS = ("resource", "barrier", "experience", "idea", "cause")
# The funder's line printed on attendance lists and the programme document.
DEFAULT_FUNDER = (
    "Projekt współfinansowany ze środków Unii Europejskiej "
    "w ramach Europejskiego Funduszu Społecznego"
)


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class AreaSpec:
    slug: str
    names: dict[str, str]


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    names: dict[str, str]
    purposes: dict[str, str]
    contribution: str | None


@dataclass(frozen=True)
class Profile:
    name: str
    town: str
    default_place: str
    areas: tuple[AreaSpec, ...]
    teams: tuple[TeamSpec, ...]
    streets: tuple[str, ...] = ()
    institutions: tuple[str, ...] = field(default_factory=tuple)
    # Volunteers' skill suggestions per language: {"pl": ("gotowanie", ...), ...}
    skills: dict[str, tuple[str, ...]] = field(default_factory=dict)
    funder: str = DEFAULT_FUNDER

    def skill_suggestions(self, language: str) -> tuple[str, ...]:
        return self.skills.get(language) or self.skills.get("pl") or ()


def _names(raw: dict[str, object], where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"{where}: names must be a table of language = text")
    return {str(k): str(v) for k, v in raw.items()}


def load_profile(path: Path | None = None) -> Profile:
    path = path or DEFAULT_PROFILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    programme = data.get("programme", {})
    areas = tuple(
        AreaSpec(slug=a["slug"], names=_names(a.get("names"), f"area {a.get('slug')}"))
        for a in data.get("areas", [])
    )
    teams = []
    for t in data.get("teams", []):
        contribution = t.get("contribution")
        if contribution is not None and contribution not in CONTRIBUTION_KINDS:
            raise ProfileError(f"team {t['slug']}: unknown contribution kind {contribution!r}")
        teams.append(
            TeamSpec(
                slug=t["slug"],
                names=_names(t.get("names"), f"team {t['slug']}"),
                purposes={str(k): str(v) for k, v in t.get("purposes", {}).items()},
                contribution=contribution,
            )
        )
    if not areas or not teams:
        raise ProfileError(f"profile {path} needs at least one area and one team")
    area = data.get("area", {})
    return Profile(
        name=str(programme.get("name", "")),
        town=str(programme.get("town", "")),
        default_place=str(programme.get("default_place", "")),
        funder=str(programme.get("funder") or DEFAULT_FUNDER),
        areas=areas,
        teams=tuple(teams),
        streets=tuple(str(s) for s in area.get("streets", [])),
        institutions=tuple(str(i) for i in area.get("institutions", data.get("institutions", []))),
        skills={
            str(language): tuple(str(s) for s in items)
            for language, items in data.get("volunteers", {}).get("skills", {}).items()
        },
    )


async def apply_profile(session: AsyncSession, profile: Profile) -> int:
    """Create what the profile has and the database lacks; refresh names. Returns new rows."""
    created = 0
    existing_areas = {a.slug: a for a in (await session.exec(select(ProblemArea))).all()}
    for position, spec in enumerate(profile.areas):
        area = existing_areas.get(spec.slug)
        if area is None:
            session.add(ProblemArea(slug=spec.slug, names=spec.names, position=position))
            created += 1
        else:
            area.names, area.position = dict(spec.names), position
            session.add(area)
    slugs = [t.slug for t in profile.teams]
    existing_groups = {
        g.slug: g
        for g in (await session.exec(select(Group).where(col(Group.slug).in_(slugs)))).all()
    }
    for position, team in enumerate(profile.teams):
        group = existing_groups.get(team.slug)
        default_name = team.names.get("pl") or next(iter(team.names.values()))
        if group is None:
            session.add(
                Group(
                    slug=team.slug,
                    kind=GroupKind.TEAM,
                    name=default_name,
                    names=team.names,
                    purposes=team.purposes,
                    purpose=team.purposes.get("pl"),
                    contribution_kind=team.contribution,
                    is_open=True,
                    position=position,
                )
            )
            created += 1
        else:
            group.names, group.purposes = dict(team.names), dict(team.purposes)
            group.contribution_kind, group.position = team.contribution, position
            session.add(group)
    await session.flush()
    return created
