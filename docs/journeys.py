"""The main journeys through the bot, driven offline as a Polish-speaking person would.

    uv run python docs/journeys.py                  # writes docs/journeys/*.md, prints the table
    uv run python docs/journeys.py --verbose        # also prints every step as it happens
    uv run python docs/journeys.py --counts a.json  # also saves the counts (for a before/after)
    uv run python docs/journeys.py --before a.json  # the table gets a "before" column

The bot runs for real (tests/harness.py: the Application with an offline recording request,
a fresh SQLite database in a temporary folder); only Telegram is simulated. Each journey
counts what the person does: taps (an inline button, or a button of the keyboard under the
text field) and typed messages (commands included), and writes a transcript in Polish to
docs/journeys/<journey>.md: what the person sends or taps, what the bot answers (text and
button labels).

The journeys are driven by the labels of the buttons and the words of the prompts, not by
callback data or a fixed number of steps: when a flow gains or loses a step, the script
follows it. A step it cannot follow stops the journey with the screen it was on.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

import models  # noqa: E402, F401  (every table registered)
from bot import i18n  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from models import Group, Member, Role  # noqa: E402
from tests.harness import Call, Harness, User, start_harness  # noqa: E402

OUT = ROOT / "docs" / "journeys"
TOKEN = "123456:JOURNEYS-fake-token"
COORDINATOR_ID = 900001

ANNA = User(501, first_name="Anna", last_name="Nowak", language_code="pl")  # a resident
LENA = User(502, first_name="Lena", last_name="Wiśniewska", language_code="pl")  # a group lead
EWA = User(COORDINATOR_ID, first_name="Ewa", last_name="Kowalczyk", language_code="pl")
NAMES = {ANNA.id: "Anna", LENA.id: "Lena", EWA.id: "Ewa"}

SCREENS = ("sendMessage", "editMessageText", "sendPhoto", "editMessageCaption")


class Stuck(Exception):
    """The journey cannot go on: no rule fits the screen, or the bot said nothing."""


@dataclass
class Reply:
    to: int
    kind: str  # "new", "edit", "alert", "file", "keyboard-off"
    text: str
    buttons: list[str]
    keyboard: list[str] = field(default_factory=list)  # buttons under the text field
    keyboard_removed: bool = False


@dataclass
class Step:
    who: int
    action: str  # "type", "tap", "share"
    content: str
    replies: list[Reply]


@dataclass
class Screen:
    """What the person sees last: the newest message (or edited message) and its buttons."""

    text: str
    inline: list[tuple[str, str]]
    keyboard: list[dict[str, Any]]  # the reply keyboard under the text field, if any
    recent: str = ""  # everything the bot sent this person in answer to the last action

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.inline] + [b["text"] for b in self.keyboard]

    def has_label(self, label: str) -> bool:
        return label in self.labels

    def find(self, label: str) -> str | None:
        for text in self.labels:
            if label.lower() in text.lower():
                return text
        return None


def _reply_keyboard(call: Call) -> list[dict[str, Any]] | None:
    markup = call.params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict) and "keyboard" in markup:
        return [
            b if isinstance(b, dict) else {"text": b} for row in markup["keyboard"] for b in row
        ]
    if isinstance(markup, dict) and markup.get("remove_keyboard"):
        return []
    return None


class Bot:
    """The running bot and the people talking to it."""

    def __init__(self, harness: Harness, verbose: bool) -> None:
        self.h = harness
        self.verbose = verbose
        self.keyboards: dict[int, list[dict[str, Any]]] = {}

    def screen(self, who: User, last: Step | None = None) -> Screen:
        recent = "\n".join(r.text for r in last.replies if r.to in (who.id, 0)) if last else ""
        for call in reversed(self.h.calls):
            if call.chat_id == who.id and call.method in SCREENS:
                return Screen(call.text, call.buttons, self.keyboards.get(who.id, []), recent)
        return Screen("", [], self.keyboards.get(who.id, []), recent)

    def replies(self, calls: list[Call]) -> list[Reply]:
        out = []
        for call in calls:
            keyboard = _reply_keyboard(call)
            if keyboard is not None and call.chat_id is not None:
                self.keyboards[call.chat_id] = keyboard
            labels = [label for label, _ in call.buttons]
            under = [b["text"] for b in keyboard or []]
            to = call.chat_id or 0
            if call.method == "answerCallbackQuery":
                if call.params.get("text"):
                    out.append(Reply(0, "alert", str(call.params["text"]), []))
                continue
            if call.files and call.method != "sendPhoto":
                reply = Reply(to, "file", f"{', '.join(call.files)}\n{call.text}".strip(), labels)
            elif call.method.startswith("send") and call.method != "sendChatAction":
                reply = Reply(to, "new", call.text, labels)
            elif call.method in ("editMessageText", "editMessageCaption"):
                reply = Reply(to, "edit", call.text, labels)
            elif call.method == "editMessageReplyMarkup" and not call.buttons:
                reply = Reply(to, "keyboard-off", "", [])
            else:
                continue
            reply.keyboard = under
            reply.keyboard_removed = keyboard == []
            out.append(reply)
        return out


class Journey:
    def __init__(self, bot: Bot, slug: str, title: str, intro: str) -> None:
        self.bot = bot
        self.slug, self.title, self.intro = slug, title, intro
        self.steps: list[Step] = []
        self.taps = 0
        self.typed = 0
        self.problems: list[str] = []

    # --- what the person does -------------------------------------------------------------
    async def type(self, who: User, text: str) -> list[Reply]:
        self.typed += 1
        return await self._record(who, "type", text, self.bot.h.send(who, text))

    async def tap(self, who: User, *labels: str) -> list[Reply]:
        """Press the first of `labels` found on the person's screen (a substring of a button)."""
        screen = self.bot.screen(who)
        for wanted in labels:
            for label, data in screen.inline:
                if wanted.lower() in label.lower():
                    self.taps += 1
                    return await self._record(who, "tap", label, self.bot.h.press(who, data))
            for button in screen.keyboard:
                if wanted.lower() in button["text"].lower():
                    self.taps += 1
                    if button.get("request_contact"):
                        contact = {
                            "phone_number": "+48600100200",
                            "first_name": who.first_name,
                            "user_id": who.id,
                        }
                        sent = self.bot.h.send_message(who, contact=contact)
                        return await self._record(who, "share", button["text"], sent)
                    return await self._record(
                        who, "tap", button["text"], self.bot.h.send(who, button["text"])
                    )
        raise Stuck(f"no button {labels} on the screen: {screen.text[:200]!r} {screen.labels}")

    async def _record(
        self, who: User, action: str, content: str, doing: Awaitable[list[Call]]
    ) -> list[Reply]:
        replies = self.bot.replies(await doing)
        self.steps.append(Step(who.id, action, content, replies))
        if self.bot.verbose:
            print(f"  {NAMES[who.id]} {action}: {content!r}")
            for r in replies:
                print(f"    [{r.kind} -> {NAMES.get(r.to, r.to)}] {r.text[:150]!r} {r.buttons}")
        if not [r for r in replies if r.kind != "keyboard-off"]:
            self.problems.append(f"no answer to {action} {content!r}")
        return replies

    def add_late(self, calls: list[Call]) -> None:
        """What the bot sent later on its own (a broadcast's report): added to the last step."""
        if self.steps:
            self.steps[-1].replies += self.bot.replies(calls)

    # --- following a flow by its prompts and labels --------------------------------------
    async def follow(
        self, who: User, rules: list[Rule], *, until: Callable[[Screen], bool], limit: int = 25
    ) -> None:
        """Apply the first fitting rule to the person's screen until `until` holds. A rule
        fires at most `times` times, so a flow that asks something unexpected stops here."""
        for _ in range(limit):
            screen = self.bot.screen(who, self.steps[-1] if self.steps else None)
            if until(screen):
                return
            for rule in rules:
                if rule.used < rule.times and rule.fits(screen):
                    rule.used += 1
                    await rule.act(self, who, screen)
                    break
            else:
                raise Stuck(f"no rule for the screen: {screen.text[:300]!r} {screen.labels}")
        raise Stuck("too many steps")


@dataclass
class Rule:
    """If the screen has a button containing `button` (or its text contains `prompt`), tap
    the button (or type `answer`). `taps` overrides which button to press."""

    button: str | None = None
    prompt: str | None = None
    answer: str | None = None
    taps: tuple[str, ...] = ()
    times: int = 1
    used: int = field(default=0)

    def fits(self, screen: Screen) -> bool:
        wanted = self.taps or ((self.button,) if self.button is not None else ())
        if wanted and not any(screen.find(label) for label in wanted):
            return False
        if self.prompt is not None and self.prompt.lower() not in screen.text.lower():
            return False
        return True

    async def act(self, journey: Journey, who: User, screen: Screen) -> None:
        if self.answer is not None:
            await journey.type(who, self.answer)
        else:
            await journey.tap(who, *(self.taps or (self.button or "",)))


def tap(
    label: str, *, prompt: str | None = None, times: int = 1, also: tuple[str, ...] = ()
) -> Rule:
    return Rule(button=label, prompt=prompt, taps=(label, *also), times=times)


def say(prompt: str, answer: str, *, button: str | None = None) -> Rule:
    return Rule(button=button, prompt=prompt, answer=answer)


def has(*words: str) -> Callable[[Screen], bool]:
    """The bot's answer to the last action (or the screen) says one of `words`."""

    def said(screen: Screen) -> bool:
        seen = f"{screen.recent}\n{screen.text}".lower()
        return any(w.lower() in seen for w in words)

    return said


# --- the journeys -----------------------------------------------------------------------


async def onboarding(
    bot: Bot, who: User, institution: str = "Pomiń", j: Journey | None = None
) -> Journey:
    j = j or Journey(bot, "_", "", "")
    await j.type(who, "/start")
    await j.follow(
        who,
        [
            tap("Zgadzam"),
            tap("Użyj"),  # the name from Telegram
            say("imię", f"{who.first_name} {who.last_name}"),
            tap(institution, prompt="instytucj"),
        ],
        until=lambda s: s.has_label("Pomoc"),  # the main menu
    )
    return j


async def journey_onboarding(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "onboarding",
        "Pierwsze kroki: /start, zgoda, imię, instytucja",
        "Anna mieszka przy ul. Sienkiewicza. Dostała link do bota na plakacie i pisze do niego "
        "pierwszy raz. Nie reprezentuje żadnej instytucji.",
    )
    return await onboarding(bot, ANNA, "Pomiń", j)


async def journey_idea(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "idea",
        "Zgłoszenie pomysłu: /idea … Wyślij",
        "Anna ma pomysł na ławki na podwórku i zgłasza go grupie Wynalazców.",
    )
    await j.type(ANNA, "/idea")
    await j.follow(
        ANNA,
        [
            tap("Wyślij"),
            say("tytuł", "Ławki i stoliki na podwórku przy Sienkiewicza"),
            say("dla kogo", "Dla seniorów i rodzin z dziećmi z naszego bloku"),
            say("pierwszy krok", "Zapytać ZGM, czy możemy je postawić"),
            tap("relacje społeczne", prompt="obszar"),
            tap("Wynalazcy", prompt="grup"),
            tap("Pomiń", prompt="zdjęci"),
        ],
        until=has("ma numer", "numer #"),
    )
    return j


async def journey_join(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "join-group",
        "Dołączenie do grupy: /groups … Dołącz",
        "Anna chce działać z Wynalazcami, do których trafił jej pomysł.",
    )
    await j.type(ANNA, "/groups")
    await j.follow(
        ANNA,
        [tap("Dołącz"), tap("Wynalazcy")],
        until=lambda s: s.find("Opuść") is not None,
    )
    return j


async def journey_meeting(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "meeting",
        "Planowanie spotkania: /meeting … zaplanowane",
        "Lena prowadzi grupę Wynalazców. Planuje spotkanie w sprawie ławek na jutro o 17:00 "
        "w zwykłym miejscu, bez limitu miejsc i bez programu.",
    )
    await j.type(LENA, "/meeting")
    await j.follow(
        LENA,
        [
            tap("Zaplanuj", prompt="sprawdź", also=("Wyślij",)),
            tap("Wynalazcy", prompt="grup"),
            say("temat", "Ławki na podwórku przy Sienkiewicza"),
            tap("Obszar grupy", prompt="obszar"),
            tap("Jutro"),
            tap("17:00"),
            tap("Pomiń", prompt="program", also=("Bez programu",)),
            tap("Bez limitu", prompt="ile"),
            tap("Pomiń", prompt="ile"),
            tap("Hallera", prompt="gdzie"),
            say("gdzie", "Urząd Miasta Chełmży, ul. Hallera 2"),
            say("miejsc", "Urząd Miasta Chełmży, ul. Hallera 2"),
            tap("Nie", prompt="otwarte"),
            tap("Tylko", prompt="kto"),
            tap("90"),
            tap("1,5"),
        ],
        until=has("zaplanowan"),
    )
    return j


async def journey_invitation(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "invitation",
        "Odpowiedź na zaproszenie na spotkanie",
        "Anna należy do Wynalazców, więc dostała zaproszenie na spotkanie zaplanowane przez "
        "Lenę. Odpowiada, że przyjdzie.",
    )
    cards = [c for c in bot.h.calls if c.chat_id == ANNA.id and "📅" in c.text and c.buttons]
    if not cards:
        raise Stuck("Anna got no invitation")
    card = cards[-1]
    j.steps.append(Step(0, "invite", "", bot.replies([card])))
    await j.tap(ANNA, "Przyjdę", "Będę", "Tak")
    return j


async def journey_volunteer(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "volunteer",
        "Zgłoszenie na wolontariusza: /volunteer … Wyślij",
        "Anna chce pomagać sąsiadom: dobrze gotuje i zna się na drobnych naprawach, "
        "najłatwiej jej wieczorami. Mieszka przy ul. Sienkiewicza. Numer telefonu "
        "udostępnia przyciskiem.",
    )
    await j.type(ANNA, "/volunteer")
    await j.follow(
        ANNA,
        [
            tap("Wyślij"),
            tap("Użyj"),
            say("imię", "Anna Nowak"),
            tap("Udostępnij"),
            tap("Sienkiewicza"),
            tap("gotowanie"),
            tap("drobne naprawy"),
            tap("rodzinne"),
            tap("wieczor"),
            tap("Dalej", times=5),
        ],
        until=has("Dziękujemy za zgłoszenie", "Dziękuję za zgłoszenie"),
    )
    return j


CLEAN_UP = (
    "W sobotę o 10:00 sprzątamy podwórko przy ul. Sienkiewicza. Rękawice i worki będą na "
    "miejscu. Zapraszamy!"
)


async def journey_broadcast(bot: Bot) -> Journey:
    j = Journey(
        bot,
        "broadcast",
        "Ogłoszenie koordynatorki: /broadcast … Wyślij",
        "Ewa, koordynatorka programu, zaprasza wszystkich na sobotnie sprzątanie podwórka.",
    )
    await j.type(EWA, "/broadcast")
    await j.follow(
        EWA,
        [
            tap("Wyślij teraz"),
            tap("Nowe ogłoszenie", also=("Nowa wysyłka",)),
            tap("Nowa wysyłka"),
            tap("Wszyscy", prompt="kto"),
            tap("Wszyscy"),
            say("wyślij wiadomość", CLEAN_UP),
            say("treść", CLEAN_UP),
            say("napisz", CLEAN_UP),
        ],
        until=lambda s: j.steps != [] and j.steps[-1].content.startswith("Wyślij"),
    )
    try:  # the delivery runs in the background; its report comes when it ends
        from bot.broadcasting import engine

        before = len(bot.h.calls)
        await engine(bot.h.app).wait()
        for _ in range(50):
            await asyncio.sleep(0.05)
        j.add_late(bot.h.calls[before:])
    except ImportError:
        pass
    return j


JOURNEYS: list[tuple[str, Callable[[Bot], Awaitable[Journey]]]] = [
    ("onboarding", journey_onboarding),
    ("idea", journey_idea),
    ("join-group", journey_join),
    ("meeting", journey_meeting),
    ("invitation", journey_invitation),
    ("volunteer", journey_volunteer),
    ("broadcast", journey_broadcast),
]
TITLES = {
    "onboarding": "onboarding (/start → consent → name → institution)",
    "idea": "submitting an idea (/idea … send)",
    "join-group": "joining a group (/groups … join)",
    "meeting": "scheduling a meeting (/meeting … scheduled)",
    "invitation": "answering a meeting invitation",
    "volunteer": "volunteering (/volunteer … send)",
    "broadcast": "a coordinator's broadcast (/broadcast … send)",
}


# --- set-up --------------------------------------------------------------------------------


async def make_lead(db: Database) -> None:
    """Lena leads the Inventors team (a coordinator would do this through "People and roles")."""
    async with db.session() as session:
        lena = (await session.exec(select(Member).where(Member.telegram_id == LENA.id))).one()
        group = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        lena.role = Role.LEAD
        group.lead_id = lena.id
        session.add(lena)
        session.add(group)


# --- the transcript ----------------------------------------------------------------------


def plain(text: str) -> str:
    text = re.sub(r"</?b>", "**", text)
    text = re.sub(r"</?i>", "_", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()


def quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in plain(text).splitlines())


def buttons(labels: list[str]) -> str:
    return " ".join(f"`[{label}]`" for label in labels)


def transcript(j: Journey) -> str:
    lines = [f"# {j.title}", "", j.intro, ""]
    lines += [
        f"**Dotknięcia przycisków: {j.taps} · wpisane wiadomości: {j.typed}**",
        "",
        "Zapis wygenerował skrypt `docs/journeys.py` (bot działa naprawdę, Telegram jest "
        "symulowany). 👆 — osoba naciska przycisk, ⌨️ — osoba pisze wiadomość, "
        "🤖 — odpowiedź bota.",
        "",
    ]
    number = 0
    for step in j.steps:
        who = NAMES.get(step.who, "")
        if step.action == "type":
            number += 1
            lines.append(f"### {number}. ⌨️ {who} pisze: `{step.content}`")
        elif step.action == "tap":
            number += 1
            lines.append(f"### {number}. 👆 {who} naciska `[{step.content}]`")
        elif step.action == "share":
            number += 1
            lines.append(
                f"### {number}. 👆 {who} naciska `[{step.content}]` (Telegram wysyła numer)"
            )
        else:
            lines.append("### Na początku")
        lines.append("")
        for reply in step.replies:
            target = "" if reply.to in (step.who, 0) else f" (do: {NAMES.get(reply.to, reply.to)})"
            if reply.kind == "alert":
                lines += [f"🤖 krótki komunikat na ekranie: _{plain(reply.text)}_", ""]
            elif reply.kind == "keyboard-off":
                lines += ["🤖 _przyciski poprzedniej wiadomości znikają_", ""]
            else:
                how = {
                    "new": "nowa wiadomość",
                    "edit": "wiadomość zmienia się na",
                    "file": "plik",
                }[reply.kind]
                lines += [f"🤖 {how}{target}:", "", quote(reply.text) or "> (bez tekstu)", ""]
                if reply.buttons:
                    lines += [f"Przyciski: {buttons(reply.buttons)}", ""]
                if reply.keyboard:
                    lines += [f"Przyciski pod polem pisania: {buttons(reply.keyboard)}", ""]
                if reply.keyboard_removed:
                    lines += ["_(przyciski pod polem pisania znikają)_", ""]
    if j.problems:
        lines += ["## Problemy", ""] + [f"- {p}" for p in j.problems] + [""]
    return "\n".join(lines)


def index(results: list[Journey]) -> str:
    lines = [
        "# Ścieżki w bocie",
        "",
        "Zapisy rozmów z botem dla najważniejszych ścieżek, wygenerowane przez "
        "`uv run python docs/journeys.py`.",
        "",
        "| ścieżka | dotknięcia | wpisane wiadomości |",
        "| --- | --- | --- |",
    ]
    for j in results:
        lines.append(f"| [{j.title}]({j.slug}.md) | {j.taps} | {j.typed} |")
    return "\n".join(lines) + "\n"


def table(results: list[Journey], failed: dict[str, str], before: dict[str, Any] | None) -> str:
    if before:
        rows = ["| journey | taps (before → after) | typed messages (before → after) |"]
        rows.append("| --- | --- | --- |")
    else:
        rows = ["| journey | taps | typed messages |", "| --- | --- | --- |"]
    for j in results:
        if before and j.slug in before:
            b = before[j.slug]
            rows.append(f"| {TITLES[j.slug]} | {b['taps']} → {j.taps} | {b['typed']} → {j.typed} |")
        else:
            rows.append(f"| {TITLES[j.slug]} | {j.taps} | {j.typed} |")
    for slug, why in failed.items():
        rows.append(f"| {TITLES[slug]} | stuck: {why[:80]} | |")
    return "\n".join(rows)


# --- main ------------------------------------------------------------------------------------


async def run(verbose: bool) -> tuple[list[Journey], dict[str, str]]:
    """Every journey on one bot with a fresh database: the finished ones, and why others stuck."""
    folder = Path(tempfile.mkdtemp(prefix="journeys-"))
    url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    await asyncio.to_thread(migrate, url)
    i18n.setup("pl", "Europe/Warsaw")
    settings = Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=url,
        bot_coordinators=(COORDINATOR_ID,),
        telegram_api_url="http://127.0.0.1:9",
    )
    database = Database(url)
    harness = await start_harness(settings, database)
    bot = Bot(harness, verbose)
    results: list[Journey] = []
    failed: dict[str, str] = {}
    try:
        for slug, journey in JOURNEYS:
            if slug == "meeting":  # the people around the journeys, set up quietly
                await onboarding(bot, LENA, "Szkoła")
                await make_lead(database)
            if slug == "broadcast":
                await onboarding(bot, EWA, "CISTOR")
            if verbose:
                print(f"== {slug}")
            try:
                results.append(await journey(bot))
            except (Stuck, AssertionError) as error:
                failed[slug] = str(error) or type(error).__name__
    finally:
        await harness.app.shutdown()
        await database.dispose()
    return results, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", default=str(OUT), help="folder for the transcripts")
    parser.add_argument("--counts", help="also save the counts to this JSON file")
    parser.add_argument("--before", help="counts of an older version (JSON) for the table")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    results, failed = asyncio.run(run(args.verbose))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for j in results:
        (out / f"{j.slug}.md").write_text(transcript(j), encoding="utf-8")
        for problem in j.problems:
            print(f"{j.slug}: PROBLEM: {problem}", file=sys.stderr)
    for slug, why in failed.items():
        print(f"{slug}: STUCK: {why}", file=sys.stderr)
    (out / "README.md").write_text(index(results), encoding="utf-8")
    if args.counts:
        counts = {j.slug: {"taps": j.taps, "typed": j.typed} for j in results}
        Path(args.counts).write_text(json.dumps(counts, indent=2), encoding="utf-8")
    before = json.loads(Path(args.before).read_text()) if args.before else None
    print(table(results, failed, before))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
