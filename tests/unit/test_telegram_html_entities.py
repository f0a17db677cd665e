"""Broadcast text: numeric character references and lengths, checked as Telegram checks them.

`&#9999999;` once crashed the checker (`chr()` out of range) and `&#xD800;` passed as a lone
surrogate; lengths were counted in code points, so 3,000 emoji passed and the author met
Telegram's raw English refusal at the first recipient. The fake Bot API server's parser (which
follows TDLib) is the oracle: whatever the bot's checker accepts, Telegram accepts too, and the
visible text has the length Telegram counts.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import broadcasts as broadcasts_service
from bot.services.errors import InvalidInput
from bot.telegram_html import check_html, utf16_len
from tests.fake_telegram.markup import MarkupError, parse_text
from tests.fake_telegram.markup import utf16_len as telegram_len


@pytest.mark.parametrize(
    "source",
    [
        "Spotkanie &#9999999; w sobotę",
        "&#x110000;",
        "&#xFFFFFF;",
        "&#xD800;",
        "&#xdfff; after",
        "&#55296;",  # 0xD800 in decimal
        "&#57343;",  # 0xDFFF in decimal
        "&#0;",
        "&#x0;",
        "&#x00000;",
    ],
)
def test_numeric_entities_telegram_cannot_send_are_refused_clearly(source: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_html(source)
    message = caught.value.message.format(**caught.value.params)
    assert "&#" in message  # names the offending reference, in the friendly style
    with pytest.raises(InvalidInput):
        broadcasts_service.check_text(source, with_photo=False)


@pytest.mark.parametrize(
    ("source", "visible"),
    [
        ("&#9999; ołówek", "\u270f ołówek"),
        ("&#x1F600;", "\U0001f600"),
        ("&#x10FFFF;", "\U0010ffff"),
        ("&#1;", "\x01"),
        ("&#xD7FF;&#xE000;", "\ud7ff\ue000"),
    ],
)
def test_valid_numeric_entities_decode(source: str, visible: str) -> None:
    assert check_html(source) == visible


def test_length_is_counted_in_utf16_units_like_telegram() -> None:
    emoji = "🙂"  # outside the BMP: two UTF-16 code units
    assert utf16_len(emoji * 2048) == 4096
    text_max, caption_max = broadcasts_service.TEXT_MAX, broadcasts_service.CAPTION_MAX
    assert text_max <= 4096 and caption_max <= 1024  # Telegram's limits, less any header
    with pytest.raises(InvalidInput) as caught:
        broadcasts_service.check_text(emoji * 3000, with_photo=False)
    assert caught.value.params == {"length": 6000, "limit": text_max}
    for limit, with_photo in ((text_max, False), (caption_max, True)):
        fits = emoji * (limit // 2) + "x" * (limit % 2)
        assert broadcasts_service.check_text(fits, with_photo=with_photo)
        with pytest.raises(InvalidInput):
            broadcasts_service.check_text(fits + "x", with_photo=with_photo)
        # After entity parsing: a reference to an emoji counts as the emoji (two units).
        fits = "&#x1F642;" * (limit // 2) + "x" * (limit % 2)
        assert broadcasts_service.check_text(fits, with_photo=with_photo)
        with pytest.raises(InvalidInput):
            broadcasts_service.check_text("&#x1F642;" + fits, with_photo=with_photo)


numeric_entities = st.one_of(
    # valid code points, decimal and hexadecimal
    st.integers(1, 0xD7FF).map(lambda n: f"&#{n};"),
    st.integers(0xE000, 0x10FFFF).map(lambda n: f"&#x{n:X};"),
    # surrogates, NUL and out of range
    st.integers(0xD800, 0xDFFF).map(lambda n: f"&#x{n:x};"),
    st.integers(0xD800, 0xDFFF).map(lambda n: f"&#{n};"),
    st.sampled_from(["&#0;", "&#x0;", "&#0000000;"]),
    st.integers(0x110000, 9_999_999).map(lambda n: f"&#{n};"),
    st.integers(0x110000, 0xFFFFFF).map(lambda n: f"&#x{n:x};"),
)
"""Numeric character references of every kind: valid, surrogates, NUL, out of range."""

entity_texts = st.lists(
    st.one_of(
        numeric_entities,
        st.sampled_from(["Spotkanie ", " w sobotę", "🙂", "<b>", "</b>", "&amp;", "\n", "x"]),
    ),
    min_size=1,
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(entity_texts)
def test_numeric_entities_never_crash_and_agree_with_telegram(source: str) -> None:
    try:
        visible = check_html(source)
    except InvalidInput:
        return
    visible.encode("utf-8")  # no lone surrogates
    assert "\x00" not in visible
    try:
        parsed = parse_text(source, "HTML")
    except MarkupError as error:  # pragma: no cover - the failure this test exists for
        raise AssertionError(f"the checker accepted what Telegram refuses: {error}") from None
    assert parsed.text == visible.strip()
    assert telegram_len(visible) == utf16_len(visible)
