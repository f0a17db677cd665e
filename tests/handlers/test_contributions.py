"""Contributions through process_update: drafting, review, sending, browsing, supports, statuses."""

from __future__ import annotations

from sqlmodel import select

from bot.config import Settings
from bot.db import Database
from bot.services import members as members_service
from models import Contribution, Group, Member, Role, Support
from tests.harness import STICKER, Harness, User, start_harness

PHOTO = [{"file_id": "photo-big", "file_unique_id": "p1", "width": 800, "height": 600}]
LOCATION = {"latitude": 53.18, "longitude": 18.61}


async def sign_up(
    harness: Harness, user: User, name: str, role: Role = Role.LEADER, lead_of: str | None = None
) -> Member:
    """The real onboarding, then the role (as an invite would give it)."""
    calls = await harness.send(user, "/start")
    await harness.press(
        user, calls[-1].button("agree" if user.language_code == "en" else "Zgadzam")
    )
    await harness.send(user, name)
    await harness.press(
        user, harness.last(user.id).button("Skip" if user.language_code == "en" else "Pomiń")
    )
    async with harness.app.bot_data["runtime"].db.session() as session:
        member = await members_service.get_by_telegram_id(session, user.id)
        assert member is not None
        await members_service.set_role(session, member, role)
        if lead_of:
            group = (await session.exec(select(Group).where(Group.slug == lead_of))).one()
            group.lead_id = member.id
            session.add(group)
    harness.calls.clear()
    return member


async def group_by_slug(harness: Harness, slug: str) -> Group:
    async with harness.app.bot_data["runtime"].db.session() as session:
        return (await session.exec(select(Group).where(Group.slug == slug))).one()


async def contributions(harness: Harness) -> list[Contribution]:
    async with harness.app.bot_data["runtime"].db.session() as session:
        rows = await session.exec(select(Contribution).order_by(Contribution.id))  # type: ignore[arg-type]
        return list(rows.all())


# kind, command, answers (in order), the team that should be offered first
SUBMISSIONS = [
    (
        "idea",
        ["Kawiarenka dla seniorów", "Dla seniorów z ulicy Hallera", "Rozmowa z MOPS"],
        "inventors",
    ),
    (
        "resource",
        ["Sala w bibliotece", "Biblioteka miejska", None, "Zadzwonić do dyrektora", "Wtorki po 16"],
        "treasurers",
    ),
    ("barrier", ["Brak świetlicy", "Ulica Paderewskiego", "Urząd Miasta"], "mediators"),
    (
        "experience",
        ["Festyn sąsiedzki 2016", "Zorganizowała go szkoła", "Przyszło 200 osób"],
        "auditors",
    ),
    (
        "cause",
        ["Bezrobocie rodziców", "Dzieci nie widzą wzorca pracy", "Dane z MOPS"],
        "diagnosticians",
    ),
]


async def submit(harness: Harness, user: User, kind: str, answers: list[str | None], area: int = 0):
    calls = await harness.send(user, f"/{kind}")
    for answer in answers:
        if answer is None:
            calls = await harness.press(user, calls[-1].button("Pomiń"))
        else:
            calls = await harness.send(user, answer)
    return calls


async def test_leader_submits_each_kind_in_polish(harness: Harness) -> None:
    boss = User(900001, language_code="en")
    await sign_up(harness, boss, "Koordynatorka", Role.COORDINATOR)
    lead = User(702, language_code="pl")
    await sign_up(harness, lead, "Lider Mediatorów", Role.LEAD, lead_of="mediators")
    mediators = await group_by_slug(harness, "mediators")
    async with harness.app.bot_data["runtime"].db.session() as session:
        mediators.chat_id = -100777
        session.add(mediators)
    anna = User(701, language_code="pl")
    await sign_up(harness, anna, "Anna")

    for number, (kind, answers, team) in enumerate(SUBMISSIONS, start=1):
        calls = await submit(harness, anna, kind, answers)
        areas = calls[-1]
        assert "obszar" in areas.text.lower()
        calls = await harness.press(anna, areas.buttons[1][1])  # second area
        groups = calls[-1]
        team_group = await group_by_slug(harness, team)
        assert groups.buttons[0][1].endswith(f":{team_group.id}"), "the kind's team comes first"
        calls = await harness.press(anna, groups.buttons[0][1])
        assert "zdjęcie" in calls[-1].text.lower()
        if kind == "idea":
            calls = await harness.send_message(anna, photo=PHOTO)
        elif kind == "barrier":
            calls = await harness.send_message(anna, location=LOCATION)
        else:
            calls = await harness.press(anna, calls[-1].button("Pomiń"))
        review = calls[-1]
        assert answers[0] in review.text and "Wyślij" in str(review.buttons)
        if kind == "idea":
            # Edit a field on the review card: the first step.
            calls = await harness.press(anna, review.button("Popraw"))
            calls = await harness.press(anna, calls[-1].button("Pierwszy krok"))
            calls = await harness.send(anna, "Spotkanie z proboszczem")
            review = calls[-1]
            assert "Spotkanie z proboszczem" in review.text and "Rozmowa z MOPS" not in review.text
        assert not [c for c in await contributions(harness) if c.kind == kind], (
            "nothing before send"
        )
        calls = await harness.press(anna, review.button("Wyślij"))
        thanks = harness.last(701)
        assert f"#{number}" in thanks.text and "Dziękuję" in thanks.text
        saved = (await contributions(harness))[-1]
        assert (saved.id, saved.kind, saved.title, saved.status) == (
            number,
            kind,
            answers[0],
            "new",
        )
        assert saved.group_id == team_group.id
        # The coordinator hears of it in English, with status buttons.
        card = harness.last(900001)
        assert f"#{number}" in card.text and "under discussion" in str(card.buttons)

    idea, resource, barrier, _experience, _cause = await contributions(harness)
    assert (
        idea.details["first_step"] == "Spotkanie z proboszczem"
        and idea.photo_file_id == "photo-big"
    )
    assert (
        "institution" not in resource.details and resource.details["owner"] == "Biblioteka miejska"
    )
    assert (barrier.latitude, barrier.longitude) == (53.18, 18.61)
    # Only the barrier reached the mediators' lead and their linked chat.
    assert next(c.text for c in harness.sent_to(702) if "#" in c.text).count("#3") == 1
    assert len([c for c in harness.sent_to(702) if c.method == "sendMessage"]) == 1
    chat_posts = harness.sent_to(-100777)
    assert len(chat_posts) == 1 and "Brak świetlicy" in chat_posts[0].text


async def test_validation_keeps_what_was_typed_and_saves_nothing(harness: Harness) -> None:
    anna = User(711, language_code="pl")
    await sign_up(harness, anna, "Anna")
    await harness.send(anna, "/idea")
    long_title = "Bardzo długi tytuł " * 10
    calls = await harness.send(anna, long_title)
    text = harness.texts(calls)
    assert "120" in text and long_title.strip()[:50] in text
    calls = await harness.send_message(anna, sticker=STICKER)
    assert "tekst" in harness.texts(calls).lower()
    calls = await harness.send(anna, "Krótki tytuł")
    calls = await harness.send(anna, "x" * 2500)
    assert "2000" in harness.texts(calls)
    calls = await harness.send(anna, "/cancel")
    assert "Nic nie zostało zapisane" in harness.texts(calls)
    assert await contributions(harness) == []


async def test_a_half_written_draft_survives_a_restart(settings: Settings, db: Database) -> None:
    first = await start_harness(settings, db)
    anna = User(721, language_code="pl")
    await sign_up(first, anna, "Anna")
    await first.send(anna, "/barrier")
    await first.send(anna, "Dziurawy chodnik")
    # The process dies here; a new one starts on the same database.
    second = await start_harness(settings, db)
    calls = await second.send(anna, "Przy ulicy Sienkiewicza")
    assert "usunąć" in calls[-1].text.lower()
    calls = await second.send(anna, "Zarząd dróg")
    calls = await second.press(anna, calls[-1].buttons[0][1])
    calls = await second.press(anna, calls[-1].buttons[0][1])
    calls = await second.press(anna, calls[-1].button("Pomiń"))
    assert "Dziurawy chodnik" in calls[-1].text
    await second.press(anna, calls[-1].button("Wyślij"))
    [saved] = await contributions(second)
    assert saved.title == "Dziurawy chodnik" and saved.details["where"] == "Przy ulicy Sienkiewicza"
    await first.app.shutdown()
    await second.app.shutdown()


async def _quick_submit(
    harness: Harness, user: User, kind: str, answers: list[str | None]
) -> Contribution:
    calls = await submit(harness, user, kind, answers)
    calls = await harness.press(user, calls[-1].buttons[0][1])
    calls = await harness.press(user, calls[-1].buttons[0][1])
    calls = await harness.press(user, calls[-1].buttons[0][1])  # skip the photo
    await harness.press(user, calls[-1].button("Wyślij" if user.language_code == "pl" else "Send"))
    return (await contributions(harness))[-1]


async def test_a_second_leader_supports_an_idea_and_can_withdraw(harness: Harness) -> None:
    anna, piotr = User(731, language_code="pl"), User(732, language_code="pl")
    await sign_up(harness, anna, "Anna")
    await sign_up(harness, piotr, "Piotr")
    idea = await _quick_submit(harness, anna, "idea", SUBMISSIONS[0][1])
    calls = await harness.send(piotr, "/browse")
    listing = calls[-1]
    assert "Kawiarenka dla seniorów" in listing.text and "Anna" in listing.text
    calls = await harness.press(piotr, listing.button(f"#{idea.id}"))
    calls = await harness.press(piotr, calls[-1].button("Popieram"))
    card = harness.last(732, "editMessageText")
    assert "1 poparcie" in card.text and "Cofnij poparcie (1)" in str(card.buttons)
    async with harness.app.bot_data["runtime"].db.session() as session:
        assert len((await session.exec(select(Support))).all()) == 1
    # Its own button takes the support back.
    await harness.press(piotr, card.button("Cofnij poparcie"))
    card = harness.last(732, "editMessageText")
    assert "0 poparć" in card.text and "Popieram (0)" in str(card.buttons)
    async with harness.app.bot_data["runtime"].db.session() as session:
        assert (await session.exec(select(Support))).all() == []


async def test_lead_rejects_a_barrier_and_the_author_hears_in_english(harness: Harness) -> None:
    lead = User(741, language_code="pl")
    await sign_up(harness, lead, "Marek", Role.LEAD, lead_of="mediators")
    author = User(742, language_code="en")
    await sign_up(harness, author, "John")
    calls = await harness.send(author, "/barrier")
    for answer in ["No bus stop", "Near the school", "The town council"]:
        calls = await harness.send(author, answer)
    calls = await harness.press(author, calls[-1].buttons[0][1])
    mediators = await group_by_slug(harness, "mediators")
    calls = await harness.press(author, calls[-1].button("Mediators"))
    calls = await harness.press(author, calls[-1].button("Skip"))
    await harness.press(author, calls[-1].button("Send"))
    [barrier] = await contributions(harness)
    assert barrier.group_id == mediators.id

    card = harness.last(741)
    assert "No bus stop" in card.text
    calls = await harness.press(lead, card.button("Odrzuć"))
    assert "powód" in calls[-1].text.lower()
    calls = await harness.send(lead, "Przystanek jest już w planie na przyszły rok")
    [barrier] = await contributions(harness)
    assert barrier.status == "rejected"
    told = harness.last(742)
    assert "rejected" in told.text and "Przystanek jest już w planie" in told.text
    assert "No bus stop" in told.text


async def test_a_resident_cannot_change_a_status_even_with_a_forged_button(
    harness: Harness,
) -> None:
    anna = User(751, language_code="pl")
    await sign_up(harness, anna, "Anna")
    resident = User(752, language_code="en")
    await sign_up(harness, resident, "Resident", Role.RESIDENT)
    idea = await _quick_submit(harness, anna, "idea", SUBMISSIONS[0][1])
    for data in (f"ct:st:{idea.id}:d", f"ct:rj:{idea.id}", f"ct:st:{idea.id}:o"):
        calls = await harness.press(resident, data)
        assert calls[-1].method == "answerCallbackQuery"
        assert "Only coordinators" in calls[-1].params.get("text", "")
    # The author (a leader, not the lead) cannot either, nor withdraw someone else's.
    calls = await harness.press(anna, f"ct:st:{idea.id}:d")
    assert "koordynatorzy" in calls[-1].params.get("text", "").lower()
    calls = await harness.press(resident, f"ct:w:{idea.id}:y")
    assert "Only the author" in calls[-1].params.get("text", "")
    [idea] = await contributions(harness)
    assert idea.status == "new"


async def test_statuses_move_forward_and_the_author_edits_while_new(harness: Harness) -> None:
    boss = User(900001, language_code="en")
    await sign_up(harness, boss, "Boss", Role.COORDINATOR)
    anna = User(761, language_code="pl")
    await sign_up(harness, anna, "Anna")
    idea = await _quick_submit(harness, anna, "idea", SUBMISSIONS[0][1])
    # While new, the author edits the title from the card.
    calls = await harness.press(anna, f"ct:o:{idea.id}")
    calls = await harness.press(anna, calls[-1].button("Edytuj"))
    calls = await harness.press(anna, calls[-1].button("Popraw"))
    calls = await harness.press(anna, calls[-1].button("Pomysł"))
    calls = await harness.send(anna, "Kawiarenka międzypokoleniowa")
    await harness.press(anna, calls[-1].button("Wyślij"))
    [idea] = await contributions(harness)
    assert idea.title == "Kawiarenka międzypokoleniowa"
    for expected in ("discussion", "accepted", "in_progress", "done"):
        card = harness.last(900001)
        calls = await harness.press(boss, card.button("→"))
        [idea] = await contributions(harness)
        assert idea.status == expected
        assert "Kawiarenka międzypokoleniowa" in harness.last(761).text
    assert "zrealizowane" in harness.last(761).text
    # No longer new: the author can no longer edit or withdraw.
    calls = await harness.press(anna, f"ct:w:{idea.id}:y")
    assert "nie można" in calls[-1].params.get("text", "").lower()


async def test_browse_filters_sorts_and_pages(harness: Harness) -> None:
    anna, piotr = User(771, language_code="pl"), User(772, language_code="en")
    await sign_up(harness, anna, "Anna")
    await sign_up(harness, piotr, "Piotr")
    for n in range(6):
        await _quick_submit(harness, anna, "idea", [f"Pomysł {n}", "Dla wszystkich", "Start"])
    await _quick_submit(harness, anna, "cause", ["Przyczyna A", "Mechanizm", "Dowody"])
    calls = await harness.send(piotr, "/browse")
    page = calls[-1]
    assert "Przyczyna A" in page.text and "Pomysł 2" in page.text and "Pomysł 1" not in page.text
    assert page.button("»").startswith("ct:ba:")  # a keyset, not an offset
    calls = await harness.press(piotr, page.button("»"))
    assert "Pomysł 1" in calls[-1].text and "Pomysł 0" in calls[-1].text
    assert "Pomysł 2" not in calls[-1].text
    back = await harness.press(piotr, calls[-1].button("«"))
    assert "Pomysł 2" in back[-1].text and "Pomysł 1" not in back[-1].text
    calls = await harness.press(piotr, calls[-1].button("Kind"))
    calls = await harness.press(piotr, calls[-1].button("cause"))
    assert "Przyczyna A" in calls[-1].text and "Pomysł" not in calls[-1].text
    # Most supported first.
    await harness.press(piotr, "ct:sp:2")
    calls = await harness.press(piotr, "ct:b:i:-:-:-:s:0")
    assert calls[-1].text.index("Pomysł 1") < calls[-1].text.index("Pomysł 5")
    calls = await harness.press(piotr, "ct:b:-:-:-:d:n:0")
    assert "Nothing here yet" in calls[-1].text
    calls = await harness.send(anna, "/mine")
    assert "Moje" in calls[-1].text and "nowe" in calls[-1].text
    calls = await harness.send(piotr, "/mine")
    assert "Nothing here yet" in calls[-1].text


async def test_callback_data_stays_short_for_huge_ids(harness: Harness) -> None:
    from handlers import contributions as ct

    huge = 9_223_372_036_854_775_807
    args = ct._filter_args(
        ct.Filters(
            kind="experience", area_id=huge, group_id=huge, status="in_progress", by_support=True
        )
    )
    for data in (
        ct.kb.cb("ct", "b", *args, 99999),
        ct.kb.cb("ct", "bf", "s", *args),
        ct.kb.cb("ct", "st", huge, "p"),
        ct.kb.cb("ct", "w", huge, "y"),
    ):
        assert len(data.encode()) <= 64


async def test_the_menu_entry_asks_for_the_kind(harness: Harness) -> None:
    anna = User(781, language_code="pl")
    await sign_up(harness, anna, "Anna")
    calls = await harness.send(anna, "/start")
    calls = await harness.press(anna, calls[-1].button("Zgłoś"))
    assert "Czym chcesz się podzielić" in calls[-1].text
    calls = await harness.press(anna, calls[-1].button("Zasób"))
    assert "Jaki to zasób" in calls[-1].text
    # The cancel button ends the draft; typing afterwards starts nothing.
    calls = await harness.press(anna, calls[-1].button("Anuluj"))
    assert "Nic nie zostało zapisane" in calls[-1].text
    calls = await harness.send(anna, "Sala gimnastyczna")
    assert await contributions(harness) == []
    assert "Sala" not in harness.texts(calls)
