"""/volunteer and /volunteers through process_update."""

from __future__ import annotations

from sqlmodel import select

from bot.db import Database
from bot.services import volunteers as service
from models import Volunteer
from tests.harness import Harness, User
from tests.helpers_volunteers import add_members, member_by_tid, register

BOSS = User(900001, first_name="Boss", language_code="en")


async def _volunteer(db: Database, telegram_id: int) -> Volunteer | None:
    member = await member_by_tid(db, telegram_id)
    async with db.session() as session:
        return await service.get_for_member(session, member.id)  # type: ignore[arg-type]


async def test_resident_signs_up_with_own_contact_and_foreign_is_refused(
    harness: Harness, db: Database
) -> None:
    anna = User(501, first_name="Anna", language_code="en")
    calls = await harness.send(anna, "/volunteer")
    assert "/start" in harness.texts(calls)  # no consent yet: onboarding first
    await register(harness, anna, "Anna Nowak")

    calls = await harness.send(anna, "/volunteer")
    await harness.press(anna, calls[-1].button("Use “Anna Nowak”"))
    phone_prompt = harness.last(501)
    keyboard = phone_prompt.params["reply_markup"]
    assert "request_contact" in str(keyboard)

    calls = await harness.send_message(
        anna, contact={"phone_number": "+48 600 000 999", "first_name": "Ewa", "user_id": 777}
    )
    assert "someone else's contact" in harness.texts(calls)
    calls = await harness.send_message(
        anna, contact={"phone_number": "+48600100200", "first_name": "Anna", "user_id": 501}
    )
    street = calls[-1]
    assert "street" in street.text.lower()
    await harness.press(anna, street.button("Piotra Skargi"))
    skills = harness.last(501)
    await harness.press(anna, skills.button("cooking"))
    await harness.send(anna, "bike repairs")
    calls = await harness.press(anna, harness.last(501).button("Next"))
    areas = calls[-1]
    await harness.press(anna, areas.button("children and youth"))
    calls = await harness.press(anna, areas.button("Next"))
    avail = calls[-1]
    await harness.press(anna, avail.button("evenings"))
    calls = await harness.press(anna, avail.button("weekends"))
    assert "✅ evenings" in str(calls[-1].buttons)
    calls = await harness.press(anna, avail.button("Next"))
    review = calls[-1]
    assert "+48600100200" in review.text and "cooking, bike repairs" in review.text
    assert await _volunteer(db, 501) is None  # nothing stored before Send
    await harness.press(anna, review.button("Send"))

    volunteer = await _volunteer(db, 501)
    assert volunteer is not None
    assert (volunteer.name, volunteer.phone, volunteer.street) == (
        "Anna Nowak",
        "+48600100200",
        "Piotra Skargi",
    )
    assert volunteer.areas == ["youth"] and volunteer.availability == ["evening", "weekend"]

    # Later: see, edit one field, withdraw.
    calls = await harness.send(anna, "/volunteer")
    assert "signed up as a volunteer" in calls[-1].text
    calls = await harness.press(anna, calls[-1].button("Edit"))
    await harness.press(anna, calls[-1].button("Change street"))
    calls = await harness.press(anna, harness.last(501).button("Other street"))
    await harness.press(anna, calls[-1].button("Send"))
    volunteer = await _volunteer(db, 501)
    assert volunteer is not None and volunteer.street is None and volunteer.phone

    calls = await harness.send(anna, "/volunteer")
    calls = await harness.press(anna, calls[-1].button("Withdraw"))
    await harness.press(anna, calls[-1].button("Yes, withdraw"))
    assert await _volunteer(db, 501) is None


async def test_coordinator_filters_volunteers_by_street(harness: Harness, db: Database) -> None:
    await register(harness, BOSS, "Boss")
    people = await add_members(db, range(600, 606))
    async with db.session() as session:
        for index, member in enumerate(people):
            draft = service.Draft(
                name=f"Helper {index}",
                street="Mickiewicza" if index % 2 else "Paderewskiego",
                skills="cooking" if index < 3 else "painting",
                availability=["weekend"],
            )
            await service.save(
                session, member, draft, harness.app.bot_data["runtime"].profile.streets
            )
    calls = await harness.send(BOSS, "/volunteers")
    assert "Show 6 volunteers" in str(calls[-1].buttons)
    calls = await harness.press(BOSS, calls[-1].button("Street:"))
    calls = await harness.press(BOSS, calls[-1].button("Mickiewicza"))
    assert "Show 3 volunteers" in str(calls[-1].buttons)
    await harness.press(BOSS, calls[-1].button("Skill:"))
    calls = await harness.send(BOSS, "cook")
    assert "Show 1 volunteer" in str(calls[-1].buttons)
    calls = await harness.press(BOSS, calls[-1].button("Show"))
    assert "Helper 1" in calls[-1].text and "Helper 3" not in calls[-1].text
    calls = await harness.press(BOSS, calls[-1].button("Helper 1"))
    assert 'href="tg://user?id=601"' in calls[-1].text

    resident = User(650, language_code="en")
    await register(harness, resident, "Nosy")
    calls = await harness.send(resident, "/volunteers")
    assert "only coordinators" in harness.texts(calls)
    calls = await harness.press(resident, "vs:p:1:0")
    assert "only coordinators" in str(calls[-1].params)
    async with db.session() as session:
        assert len((await session.exec(select(Volunteer))).all()) == 6


async def test_polish_resident_sees_polish_and_non_text_gets_a_hint(harness: Harness) -> None:
    from tests.harness import STICKER

    jan = User(520, first_name="Jan", language_code="pl")
    await register(harness, jan, "Jan")
    calls = await harness.send(jan, "/volunteer")
    assert "koordynatorzy" in calls[-1].text
    calls = await harness.press(jan, calls[-1].button("Użyj"))
    assert "Udostępnij mój numer" in str(calls[-1].params["reply_markup"])
    calls = await harness.send_message(jan, sticker=STICKER)
    assert "przyciskami" in harness.texts(calls)
    calls = await harness.send(jan, "Bez numeru telefonu")
    assert "Na jakiej ulicy mieszkasz?" in harness.texts(calls)
    assert "remove_keyboard" in str(calls[0].params.get("reply_markup"))


async def _at_phone_step(harness: Harness, user: User, name: str) -> None:
    await register(harness, user, name)
    calls = await harness.send(user, "/volunteer")
    await harness.press(user, calls[-1].button(name))


def _has_phone_keyboard(call: object) -> bool:
    markup = call.params.get("reply_markup")  # type: ignore[attr-defined]
    return "request_contact" in str(markup)


async def test_a_typed_phone_number_is_accepted_and_normalised(
    harness: Harness, db: Database
) -> None:
    for telegram_id, typed in (
        (611, "600 100 200"),
        (612, "+48 600100200"),
        (613, "0048600100200"),
    ):
        user = User(telegram_id, first_name="Ola", language_code="en")
        await _at_phone_step(harness, user, "Ola Nowak")
        calls = await harness.send(user, typed)
        assert "+48600100200" in harness.texts(calls)
        assert "street" in calls[-1].text.lower(), f"{typed!r} did not move on"


async def test_a_bad_phone_number_is_refused_with_the_buttons_again(harness: Harness) -> None:
    user = User(614, first_name="Ola", language_code="pl")
    await _at_phone_step(harness, user, "Ola Nowak")
    for typed in ("123", "zadzwoń do mnie", "600 100"):
        calls = await harness.send(user, typed)
        assert calls and _has_phone_keyboard(calls[-1]), (typed, calls[-1].params)
    calls = await harness.send_message(
        user,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    )
    assert _has_phone_keyboard(calls[-1])
    calls = await harness.send(user, "pomiń")  # a typed skip word works where a skip exists
    assert "ulic" in calls[-1].text.lower()
