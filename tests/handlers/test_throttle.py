"""One person's flood is dropped before any work, with one polite message; others are served."""

from __future__ import annotations

from handlers.throttle import KEY, Throttle
from tests.harness import Harness, User


async def test_a_flood_from_one_person_is_dropped_and_others_are_served(
    harness: Harness,
) -> None:
    now = [1000.0]
    harness.app.bot_data[KEY] = Throttle(clock=lambda: now[0])
    flooder, other = User(8101, language_code="pl"), User(8102, language_code="pl")
    answered = 0
    for _ in range(300):
        calls = await harness.send(flooder, "/help")
        answered += sum(1 for c in calls if c.method == "sendMessage")
    to_flooder = [c for c in harness.sent_to(flooder.id) if c.method == "sendMessage"]
    slow_down = [c for c in to_flooder if "Poczekaj chwilę" in c.text]
    assert len(slow_down) == 1, "exactly one polite message per flood"
    assert answered <= 25, f"{answered} of 300 flooded updates were handled"

    calls = await harness.send(other, "/help")
    assert any(c.method == "sendMessage" and c.chat_id == other.id for c in calls)

    now[0] += 5.0  # after a pause the flooder is served again
    calls = await harness.send(flooder, "/help")
    assert any("Poczekaj" not in c.text for c in calls if c.method == "sendMessage")


def test_the_bucket_refills_and_warns_once_per_flood() -> None:
    now = [0.0]
    throttle = Throttle(burst=3, rate=1, clock=lambda: now[0])
    results = [throttle.allow(1) for _ in range(6)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False, False]
    assert [warn for _, warn in results] == [False, False, False, True, False, False]
    now[0] += 3.0
    assert throttle.allow(1) == (True, False)
