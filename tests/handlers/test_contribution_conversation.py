"""Contributions as a person meets them: a press means what its label says, every hint in the
draft conversation comes with the step's buttons, typed skip words skip, nothing goes unanswered.
"""

from __future__ import annotations

from sqlmodel import select

from handlers.common import is_skip_word
from models import Contribution, Member, Role, Support
from tests.handlers.test_contributions import (
    PHOTO,
    SUBMISSIONS,
    _quick_submit,
    contributions,
    sign_up,
)
from tests.harness import STICKER, Call, Harness, User


async def supports(harness: Harness) -> int:
    async with harness.app.bot_data["runtime"].db.session() as session:
        return len((await session.exec(select(Support))).all())


async def support_count(harness: Harness, contribution_id: int) -> int:
    async with harness.app.bot_data["runtime"].db.session() as session:
        contribution = await session.get(Contribution, contribution_id)
        assert contribution is not None
        return contribution.support_count


def alert(calls: list[Call]) -> str:
    return " ".join(c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery")


async def test_a_stale_support_button_never_takes_the_support_back(harness: Harness) -> None:
    anna, piotr = User(801, language_code="pl"), User(802, language_code="pl")
    await sign_up(harness, anna, "Anna")
    await sign_up(harness, piotr, "Piotr")
    idea = await _quick_submit(harness, anna, "idea", SUBMISSIONS[0][1])
    # The same card open twice (an old message and a new one), both saying "Popieram (0)".
    older = (await harness.press(piotr, f"ct:o:{idea.id}"))[-1]
    newer = (await harness.press(piotr, f"ct:o:{idea.id}"))[-1]
    support = older.button("Popieram (0)")
    assert newer.button("Popieram (0)") == support
    await harness.press(piotr, newer.button("Popieram"))
    assert await supports(harness) == 1
    # The old message's "Popieram (0)" keeps the support, says so, and shows the true count.
    calls = await harness.press(piotr, support)
    assert await supports(harness) == 1 and await support_count(harness, idea.id) == 1
    assert "Już to popierasz" in alert(calls)
    card = harness.last(802, "editMessageText")
    assert "1 poparcie" in card.text and "Cofnij poparcie (1)" in str(card.buttons)
    undo = card.button("Cofnij poparcie")
    # Taking back is its own button; pressed twice, the second press changes nothing.
    calls = await harness.press(piotr, undo)
    assert "Poparcie cofnięte" in alert(calls) and await supports(harness) == 0
    calls = await harness.press(piotr, undo)
    assert "nic się nie zmieniło" in alert(calls)
    assert await supports(harness) == 0 and await support_count(harness, idea.id) == 0
    card = harness.last(802, "editMessageText")
    assert "0 poparć" in card.text and "Popieram (0)" in str(card.buttons)


async def test_taking_back_support_and_deleting_have_different_labels(harness: Harness) -> None:
    anna = User(811, language_code="pl")
    await sign_up(harness, anna, "Anna")
    idea = await _quick_submit(harness, anna, "idea", SUBMISSIONS[0][1])
    await harness.press(anna, f"ct:o:{idea.id}")
    card = harness.last(811, "editMessageText")
    await harness.press(anna, card.button("Popieram"))
    card = harness.last(811, "editMessageText")
    labels = [label for label, _data in card.buttons]
    assert any("Cofnij poparcie" in label for label in labels)
    assert any("Usuń zgłoszenie" in label for label in labels)
    assert not any("Wycofaj" in label for label in labels), labels
    # Deleting asks first, and only the "yes" deletes.
    calls = await harness.press(anna, card.button("Usuń zgłoszenie"))
    question = calls[-1]
    assert f"Usunąć #{idea.id}" in question.text
    await harness.press(anna, question.button("Nie"))
    assert len(await contributions(harness)) == 1
    calls = await harness.press(anna, question.button("Tak, usuń"))
    assert "Usunięto" in calls[-1].text and await contributions(harness) == []


def test_skip_words_in_every_language() -> None:
    for word in ("nie", "Pomiń", "bez", "dalej.", "no", "Skip", "none", "next", "ні", "Далі"):
        assert is_skip_word(word), word
    for word in ("", "nie wiem", "Biblioteka", "know", None):
        assert not is_skip_word(word), word


async def _to_attachment_step(harness: Harness, user: User) -> Call:
    calls = await harness.send(user, "/idea")
    for answer in SUBMISSIONS[0][1]:
        calls = await harness.send(user, answer)
    calls = await harness.press(user, calls[-1].buttons[0][1])  # area
    calls = await harness.press(user, calls[-1].buttons[0][1])  # group
    return calls[-1]


async def test_hints_at_the_photo_step_keep_its_buttons_and_skip_words_skip(
    harness: Harness,
) -> None:
    anna = User(821, language_code="pl")
    await sign_up(harness, anna, "Anna")
    step = await _to_attachment_step(harness, anna)
    skip_label = "Pomiń, bez zdjęcia"
    assert skip_label in str(step.buttons) and f"„{skip_label}”" in step.text
    for wrong in ({"sticker": STICKER}, {"text": "hmm"}, {"contact": None}):
        if "contact" in wrong:
            wrong = {"contact": {"phone_number": "+48500100200", "first_name": "A"}}
        calls = await harness.send_message(anna, **wrong)
        hint = calls[-1]
        assert hint.method == "sendMessage", wrong
        # The hint names the button that exists, and the button comes with it.
        assert f"„{skip_label}”" in hint.text and skip_label in str(hint.buttons), wrong
        assert "Anuluj" in str(hint.buttons)
    calls = await harness.send(anna, "nie")
    assert "Sprawdź" in calls[-1].text and "Wyślij" in str(calls[-1].buttons)


async def test_a_typed_skip_word_skips_an_optional_question(harness: Harness) -> None:
    for user, word, skip_button in (
        (User(831, language_code="pl"), "pomiń", "Pomiń"),
        (User(832, language_code="en"), "skip", "Skip"),
        (User(833, language_code="uk"), "ні", "Пропустити"),
    ):
        await sign_up_in(harness, user)
        await harness.send(user, "/resource")
        await harness.send(user, "Sala w bibliotece")
        calls = await harness.send(user, "Biblioteka miejska")
        assert skip_button in str(calls[-1].buttons), "the optional question"
        calls = await harness.send(user, word)
        assert skip_button not in str(calls[-1].buttons), "the next question came"
        calls = await harness.send(user, "Zadzwonić")  # access
        calls = await harness.send(user, "Wtorki")  # availability
        calls = await harness.press(user, calls[-1].buttons[0][1])
        calls = await harness.press(user, calls[-1].buttons[0][1])
        calls = await harness.send_message(user, photo=PHOTO)
        review = calls[-1]
        assert "Zadzwonić" in review.text and word not in review.text
        await harness.send(user, "/cancel")
    # A required question takes the same word as its answer.
    anna = User(834, language_code="pl")
    await sign_up(harness, anna, "Anna")
    await harness.send(anna, "/idea")
    calls = await harness.send(anna, "nie")
    assert "Dla kogo" in calls[-1].text or "Kto" in calls[-1].text


async def sign_up_in(harness: Harness, user: User) -> None:
    """Signed up (the onboarding in Polish), then speaking the user's language."""
    language = user.language_code
    user.language_code = "pl"
    member = await sign_up(harness, user, "Ola")
    user.language_code = language
    async with harness.app.bot_data["runtime"].db.session() as session:
        member = await session.get(Member, member.id)
        assert member is not None
        member.language = language
        session.add(member)


def has_buttons(call: Call, *labels: str) -> bool:
    text = str(call.buttons)
    return call.method == "sendMessage" and all(label in text for label in labels)


async def test_free_text_and_unknown_commands_get_the_steps_buttons_in_every_state(
    harness: Harness,
) -> None:
    anna = User(841, language_code="pl")
    await sign_up(harness, anna, "Anna")
    lead = User(842, language_code="pl")
    await sign_up(harness, lead, "Marek", Role.COORDINATOR)
    calls = await harness.send(anna, "/resource")
    calls = await harness.send(anna, "Sala")
    calls = await harness.send(anna, "Biblioteka")
    # The question (optional: skip and cancel), then anything but an answer.
    for wrong in ("/nope", "/nope@leaders_test_bot"):
        calls = await harness.send(anna, wrong)
        assert has_buttons(calls[-1], "Pomiń", "Anuluj"), calls[-1]
        assert "Nie znam tego polecenia" in calls[-1].text
    calls = await harness.send_message(anna, sticker=STICKER)
    assert has_buttons(calls[-1], "Pomiń", "Anuluj") and "tekst" in calls[-1].text
    calls = await harness.send(anna, "pomiń")
    for answer in ("Zadzwonić", "Wtorki"):
        calls = await harness.send(anna, answer)
    areas = calls[-1]
    area = areas.buttons[0][0]
    for wrong in ("Ten pierwszy", "/nope"):  # the area step
        calls = await harness.send(anna, wrong)
        assert has_buttons(calls[-1], area, "Anuluj"), (wrong, calls[-1])
    calls = await harness.press(anna, areas.buttons[0][1])
    group = calls[-1].buttons[0][0]
    for wrong in ("Ta grupa", "/nope"):  # the group step
        calls = await harness.send(anna, wrong)
        assert has_buttons(calls[-1], group, "Anuluj"), (wrong, calls[-1])
    calls = await harness.press(anna, calls[-1].buttons[0][1])
    calls = await harness.send(anna, "/nope")  # the photo step
    assert has_buttons(calls[-1], "Pomiń, bez zdjęcia", "Anuluj")
    calls = await harness.send(anna, "dalej")
    for wrong in ("Wysyłam", "/nope"):  # the review
        calls = await harness.send(anna, wrong)
        assert has_buttons(calls[-1], "Wyślij", "Popraw", "Anuluj"), (wrong, calls[-1])
        assert "Sala" in calls[-1].text
    await harness.press(anna, calls[-1].button("Wyślij"))
    [resource] = await contributions(harness)
    assert resource.title == "Sala" and "institution" not in resource.details
    # A known command still does its own thing inside the conversation.
    calls = await harness.send(lead, "/mine")
    assert "Moje" in calls[-1].text
    # The reason of a rejection: anything but text gets the question and its button again.
    calls = await harness.press(lead, f"ct:rj:{resource.id}")
    assert "powód" in calls[-1].text.lower()
    calls = await harness.send_message(lead, sticker=STICKER)
    assert has_buttons(calls[-1], "Anuluj") and "Sala" in calls[-1].text
    calls = await harness.send(lead, "/nope")
    assert has_buttons(calls[-1], "Anuluj") and "Nie znam tego polecenia" in calls[-1].text
    calls = await harness.send(lead, "Nie ma sali")
    [resource] = await contributions(harness)
    assert resource.status == "rejected"
