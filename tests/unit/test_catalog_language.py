"""The bot's wording stays plain and polite for older residents.

- Polish is gender-neutral: no "zapisany(-a)", "wysłałeś(-aś)", "Utworzył(a)" forms.
- Ukrainian speaks to the resident with the polite "ви": no "ти", "тобі", "твій", no
  second-person-singular imperatives such as "надішли", "обери", "натисни".
- Every button label fits on a phone: at most 24 characters in every language.

Button labels are found in the code itself (ast): the first argument of ``kb.button(``,
``R.button(``, ``InlineKeyboardButton(``, ``KeyboardButton(``, ``MenuEntry(`` and the
``yes=``/``no=`` of ``kb.yes_no``/``kb.confirmation`` (and of helpers named ``*_button``),
when it is a literal ``_("…")``, ``N_("…")`` or ``ngettext(…)`` (also through ``.format(…)``,
``"« " + …``, ``a if c else b``, a ``{…: _("…")}[key]`` and a local variable assigned one of
these). Placeholders count as a typical value: 3 characters for a
number ({n}, {count}, {id}, {number}, {used}), 10 for anything else (a name, a title).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
LABEL_LIMIT = 24
BUTTON_CALLS = {"button", "url_button", "InlineKeyboardButton", "KeyboardButton", "MenuEntry"}
LABEL_KEYWORDS = {"yes", "no", "text"}
GETTEXT = {"_", "gettext", "N_"}
NUMBER_PLACEHOLDERS = {"n", "count", "id", "number", "used", "taken", "total"}

# Labels allowed to stay too long (none today): a (language, msgid) pair, with the reason.
KNOWN_LONG_LABELS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Label:
    msgid: str
    plural: str | None
    where: str


def _message_ids(node: ast.expr | None, names: dict[str, list[ast.expr]]) -> Iterator[Label]:
    """The catalog messages an expression may show (no location yet)."""
    if node is None:
        return
    if isinstance(node, ast.IfExp):
        yield from _message_ids(node.body, names)
        yield from _message_ids(node.orelse, names)
    elif isinstance(node, ast.BinOp):  # "« " + _("Back to the list")
        yield from _message_ids(node.left, names)
        yield from _message_ids(node.right, names)
    elif isinstance(node, ast.Dict):  # labels = {"help": _("Help"), ...}; labels[topic]
        for value in node.values:
            yield from _message_ids(value, names)
    elif isinstance(node, ast.Subscript):
        yield from _message_ids(node.value, names)
    elif isinstance(node, ast.Name) and node.id in names:
        for value in names[node.id]:
            yield from _message_ids(value, names)
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if isinstance(func, ast.Attribute) and func.attr == "format":
            yield from _message_ids(func.value, names)
        elif name in GETTEXT and node.args and _is_str(node.args[0]):
            yield Label(node.args[0].value, None, "")  # type: ignore[attr-defined]
        elif name == "ngettext" and len(node.args) >= 2 and _is_str(node.args[0]):
            yield Label(node.args[0].value, node.args[1].value, "")  # type: ignore[attr-defined]


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _assignments(scope: ast.AST) -> dict[str, list[ast.expr]]:
    names: dict[str, list[ast.expr]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node.value)
    return names


def button_labels(root: Path = ROOT) -> list[Label]:
    """Every catalog message the code uses as a button label."""
    found: dict[tuple[str, str | None], Label] = {}
    for folder in ("bot", "handlers"):
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            scopes = [
                n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            module_names = _assignments(tree)
            for scope in [tree, *scopes]:
                names = module_names if scope is tree else _assignments(scope)
                for node in ast.walk(scope):
                    if not isinstance(node, ast.Call):
                        continue
                    func = node.func
                    callee = func.attr if isinstance(func, ast.Attribute) else None
                    callee = func.id if isinstance(func, ast.Name) else callee
                    exprs: list[ast.expr] = []
                    if (callee in BUTTON_CALLS or str(callee).endswith("_button")) and node.args:
                        exprs.append(node.args[0])
                    if callee in BUTTON_CALLS | {"yes_no", "confirmation"}:
                        exprs += [k.value for k in node.keywords if k.arg in LABEL_KEYWORDS]
                    for expr in exprs:
                        for label in _message_ids(expr, names):
                            where = f"{path.relative_to(root)}:{node.lineno}"
                            found.setdefault(
                                (label.msgid, label.plural),
                                Label(label.msgid, label.plural, where),
                            )
    return sorted(found.values(), key=lambda label: label.msgid)


def shown_length(text: str) -> int:
    """Length on screen, a placeholder counted as a typical value."""

    def typical(match: re.Match[str]) -> str:
        return "9" * 3 if match.group(1) in NUMBER_PLACEHOLDERS else "x" * 10

    return len(re.sub(r"\{(\w*)[^{}]*\}", typical, text))


def catalog(language: str) -> dict[str, tuple[str, ...]]:
    """msgid (singular) -> its translated forms, over every part of the language."""
    strings: dict[str, tuple[str, ...]] = {}
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string
                forms = tuple(string) if isinstance(string, tuple | list) else (string,)
                strings[key] = tuple(str(form) for form in forms if form)
    return strings


# "(a)", "(-a)", "(-aś)", "(-eś)", "(ła)", "(-na)": a gendered ending offered in brackets.
POLISH_GENDER_FORM = re.compile(r"\w\((?:-?\w{1,4})\)|\(-\w{1,4}\)")
UKRAINIAN_INFORMAL = re.compile(
    r"(?<![\w'ʼ])(?:ти|тебе|тобі|тобою|твій|твоя|твоє|твої|твого|твоєї|твоїх|твоїм|твоєму|"
    r"твою|твоїми|надішли|обери|вибери|натисни|напиши|введи|прийми|попроси|спробуй|"
    r"скороти|роздрукуй|зміни мову|скасуй|почни|відкрий|пропусти|зачекай|перевір|"
    r"можеш|хочеш|маєш|погоджуєшся|передумаєш|побачиш|видалиш|надсилаєш|"
    r"представляєш)(?![\w'ʼ])",
    re.IGNORECASE,
)


def test_polish_has_no_bracketed_gender_forms() -> None:
    bad = [
        f"{msgid!r}: {form!r}"
        for msgid, forms in catalog("pl").items()
        for form in forms
        if POLISH_GENDER_FORM.search(form)
    ]
    assert bad == [], "Rephrase without “(-a)”-style endings:\n" + "\n".join(bad)


def test_ukrainian_uses_the_polite_form() -> None:
    bad = [
        f"{msgid!r}: {form!r}"
        for msgid, forms in catalog("uk").items()
        for form in forms
        if UKRAINIAN_INFORMAL.search(form)
    ]
    assert bad == [], "Use the polite “ви” forms:\n" + "\n".join(bad)


def test_the_extractor_finds_button_labels() -> None:
    labels = {label.msgid for label in button_labels()}
    # A menu entry, a kb.button, a Route.button, a yes= keyword and an ngettext label.
    assert {"Settings", "Clear the filters", "Yes, withdraw"} <= labels
    assert "Show {n} volunteer" in labels


@pytest.mark.parametrize("language", ["en", "pl", "uk"])
def test_button_labels_fit_on_a_phone(language: str) -> None:
    strings = catalog(language)
    too_long = []
    for label in button_labels():
        forms = strings.get(label.msgid) or ()
        if language == "en":
            forms = (*forms, label.msgid, *([label.plural] if label.plural else []))
        for form in forms:
            known = (language, label.msgid) in KNOWN_LONG_LABELS
            if shown_length(form) > LABEL_LIMIT and not known:
                too_long.append(f"{label.where}: {form!r} ({shown_length(form)})")
    assert too_long == [], f"Button labels over {LABEL_LIMIT} characters:\n" + "\n".join(
        sorted(set(too_long))
    )
