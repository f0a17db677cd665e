"""A small checker for Telegram's HTML parse mode, run before a broadcast goes out.

Telegram refuses the whole message on a single unknown tag, an unclosed tag or a stray
"<"; a broadcast must not discover that at its first recipient. `check_html` accepts what
https://core.telegram.org/bots/api#html-style accepts and returns the visible text (its
length in UTF-16 code units, `utf16_len`, is what counts against the 4096/1024 limits), or
raises InvalidInput.
"""

from __future__ import annotations

import re

from bot.i18n import N_
from bot.services.errors import InvalidInput

# tag -> attributes it may carry
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "tg-spoiler": frozenset(),
    "span": frozenset({"class"}),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
_ENTITY = re.compile(r"&(?:#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def utf16_len(text: str) -> int:
    """The length Telegram limits: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode(entity: str) -> str:
    body = entity[1:-1]
    if not body.startswith("#"):
        return _NAMED[body]
    code = int(body[2:], 16) if body.startswith("#x") else int(body[1:])
    # Telegram refuses surrogates and keeps NUL or out-of-range numbers as literal text:
    # either way not what the author meant.
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise InvalidInput(
            N_("“{entity}” is not the code of a character Telegram can show."), entity=entity
        )
    return chr(code)


def _attributes(raw: str, tag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    position = 0
    raw = raw.strip()
    while position < len(raw):
        match = _ATTRIBUTE.match(raw, position)
        if match is None or match.end() == position:
            raise InvalidInput(N_("The formatting tag <{tag}> is written wrongly."), tag=tag)
        name = match.group(1).lower()
        value = next((v for v in match.groups()[1:] if v is not None), "")
        if name not in ALLOWED_TAGS[tag]:
            raise InvalidInput(
                N_("Telegram does not allow “{attribute}” in the tag <{tag}>."),
                attribute=name,
                tag=tag,
            )
        found[name] = value
        position = match.end()
    return found


def check_html(source: str) -> str:
    """Validate Telegram HTML; return the text as the reader will see it.

    The messages of the InvalidInput it raises contain "<" and "&": escape them for display.
    """
    visible: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(source):
        char = source[position]
        if char == "&":
            match = _ENTITY.match(source, position)
            if match is None:
                raise InvalidInput(N_("A lone “&” must be written as &amp; in formatted text."))
            visible.append(_decode(match.group(0)))
            position = match.end()
            continue
        if char == ">":
            visible.append(char)
            position += 1
            continue
        if char != "<":
            visible.append(char)
            position += 1
            continue
        match = _TAG.match(source, position)
        if match is None:
            raise InvalidInput(N_("A “<” that does not start a tag must be written as &lt;."))
        closing, tag, raw_attributes = match.group(1), match.group(2).lower(), match.group(3)
        if tag not in ALLOWED_TAGS:
            raise InvalidInput(N_("Telegram does not support the tag <{tag}>."), tag=tag)
        if closing:
            if not stack or stack[-1] != tag:
                raise InvalidInput(
                    N_("The tag </{tag}> closes something that is not open."), tag=tag
                )
            stack.pop()
        else:
            attributes = _attributes(raw_attributes, tag)
            if tag == "a" and not attributes.get("href"):
                raise InvalidInput(N_('A link <a> needs an address: <a href="…">.'))
            if tag == "span" and attributes.get("class") != "tg-spoiler":
                raise InvalidInput(N_("Telegram allows <span> only as a spoiler."))
            if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
                raise InvalidInput(N_("The tag <{tag}> is written wrongly."), tag=tag)
            stack.append(tag)
        position = match.end()
    if stack:
        raise InvalidInput(N_("The tag <{tag}> is never closed."), tag=stack[-1])
    return "".join(visible)
