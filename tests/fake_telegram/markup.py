"""Telegram's text formatting: HTML and MarkdownV2 parsing into plain text + entities.

The rules follow TDLib (which Bot API uses), including its error texts, so a bot that passes
here passes against the real server. Offsets of entities are in UTF-16 code units and
offsets in error messages are UTF-8 byte offsets, both as Telegram reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MarkupError",
    "ParsedText",
    "parse_html",
    "parse_legacy_markdown",
    "parse_markdown_v2",
    "parse_text",
    "utf16_len",
]


class MarkupError(Exception):
    """Text could not be parsed; str(exc) is the part after "can't parse entities: "."""


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (emoji outside the BMP count 2)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Telegram returns entities ordered by offset, outer (longer) entities first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# HTML

_HTML_TAG_ENTITY = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# TDLib accepts the trailing ";" as optional.
_ENTITY_RE = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-zA-Z0-9]+));?")
_SPACES = " \t\r\n\f\v"


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode the character entity at source[index] == "&"; None when it is not one."""
    match = _ENTITY_RE.match(source, index)
    if match is None:
        return None
    hex_code, dec_code, name = match.groups()
    if name is not None:
        value = _NAMED_ENTITIES.get(name)
        return (value, match.end()) if value is not None else None
    code = int(hex_code, 16) if hex_code is not None else int(dec_code)
    if code == 0 or code > 0x10FFFF:
        return None
    if 0xD800 <= code <= 0xDFFF:
        raise MarkupError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return chr(code), match.end()


def _decode_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            decoded = _decode_entity(value, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the output text
    attributes: dict[str, str]


def _looks_like_url(text: str) -> bool:
    return bool(re.fullmatch(r"(?:(?:https?|tg|ton)://)?[^\s/]+\.[^\s]+|tg://\S+", text))


def parse_html(source: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram-flavoured HTML.

    strict_ampersand: Telegram keeps a bare "&" as a literal; the fake rejects it by default
    so that a missing html.escape() of user-provided text is caught by tests.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of "".join(out)
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                emit(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise MarkupError(
                    f'Unescaped "&" at byte offset {_byte_offset(source, i)}, '
                    'write it as "&amp;" (the fake server is stricter than Telegram here)'
                )
            emit(c)
            i += 1
            continue
        if c != "<":
            start = i
            while i < n and source[i] not in "<&":
                i += 1
            emit(source[start:i])
            continue

        begin = i
        if i + 1 < n and source[i + 1] == "/":
            i = _parse_end_tag(source, i, stack, begin)
            tag = stack.pop()
            length = out_len - tag.offset
            if length > 0:
                entity = _html_entity(tag, "".join(out), out_len, entities)
                if entity is not None:
                    entities.append(entity)
            continue
        i, tag_name, attributes = _parse_start_tag(source, i + 1, begin)
        stack.append(_OpenTag(tag_name, out_len, attributes))

    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        # A code's language survives only when merged into an enclosing pre (done above).
        if entity["type"] == "code":
            entity.pop("language", None)
    return ParsedText("".join(out), _sort_entities(entities))


def _parse_start_tag(source: str, i: int, begin: int) -> tuple[int, str, dict[str, str]]:
    n = len(source)
    name_start = i
    while i < n and source[i] not in _SPACES and source[i] != ">":
        i += 1
    if i >= n:
        raise MarkupError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    tag_name = source[name_start:i].lower()
    begin_bytes = _byte_offset(source, begin)
    if tag_name not in _HTML_TAG_ENTITY:
        raise MarkupError(f'Unsupported start tag "{tag_name}" at byte offset {begin_bytes}')

    attributes: dict[str, str] = {}
    while True:
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise MarkupError(f'Unclosed start tag "{tag_name}" at byte offset {begin_bytes}')
        if source[i] == ">":
            i += 1
            break
        attr_start = i
        while i < n and source[i] not in _SPACES and source[i] not in "=>":
            i += 1
        attr_name = source[attr_start:i].lower()
        if not attr_name:
            raise MarkupError(
                f'Empty attribute name in the tag "{tag_name}" at byte offset {begin_bytes}'
            )
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise MarkupError(f'Unclosed start tag "{tag_name}" at byte offset {begin_bytes}')
        if source[i] != "=":
            attributes[attr_name] = ""  # a valueless attribute, e.g. <blockquote expandable>
            continue
        i += 1
        while i < n and source[i] in _SPACES:
            i += 1
        if i >= n:
            raise MarkupError(f'Unclosed start tag "{tag_name}" at byte offset {begin_bytes}')
        if source[i] in "\"'":
            end = source.find(source[i], i + 1)
            if end < 0:
                raise MarkupError(f"Unclosed start tag at byte offset {begin_bytes}")
            attributes[attr_name] = _decode_attribute(source[i + 1 : end])
            i = end + 1
        else:
            value_start = i
            while i < n and (source[i].isascii() and (source[i].isalnum() or source[i] in ".-")):
                i += 1
            if i < n and source[i] not in _SPACES and source[i] != ">":
                raise MarkupError(
                    "Unexpected end of name token at byte offset "
                    f"{_byte_offset(source, value_start)}"
                )
            attributes[attr_name] = source[value_start:i]

    if tag_name == "span" and attributes.get("class") != "tg-spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}')
    if tag_name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise MarkupError(
            f'Tag "tg-emoji" must have attribute "emoji-id" with a custom emoji identifier '
            f"at byte offset {begin_bytes}"
        )
    return i, tag_name, attributes


def _parse_end_tag(source: str, i: int, stack: list[_OpenTag], begin: int) -> int:
    n = len(source)
    i += 2
    name_start = i
    while i < n and source[i] not in _SPACES and source[i] != ">":
        i += 1
    end_name = source[name_start:i].lower()
    while i < n and source[i] in _SPACES:
        i += 1
    begin_bytes = _byte_offset(source, begin)
    if not stack:
        raise MarkupError(f"Unexpected end tag at byte offset {begin_bytes}")
    if i >= n or source[i] != ">":
        raise MarkupError(f"Unclosed end tag at byte offset {begin_bytes}")
    if end_name and end_name != stack[-1].name:
        raise MarkupError(
            f'Unmatched end tag at byte offset {begin_bytes}, expected "</{stack[-1].name}>", '
            f'found "</{end_name}>"'
        )
    return i + 1


def _html_entity(
    tag: _OpenTag, text: str, end: int, entities: list[dict[str, Any]]
) -> dict[str, Any] | None:
    entity: dict[str, Any] = {
        "type": _HTML_TAG_ENTITY[tag.name],
        "offset": tag.offset,
        "length": end - tag.offset,
    }
    if tag.name == "a":
        url = tag.attributes.get("href")
        if url is None:
            inner = text.encode("utf-16-le")[tag.offset * 2 :].decode("utf-16-le")
            if not _looks_like_url(inner):
                return None
            url = inner
        mention = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if mention:
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(mention.group(1)), "is_bot": False, "first_name": ""}
        elif url:
            entity["url"] = url
        else:
            return None
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes["emoji-id"]
    elif tag.name == "code":
        language = tag.attributes.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            entity["language"] = language.removeprefix("language-")
    elif tag.name == "pre":
        # <pre><code class="language-x">…</code></pre> becomes a single pre with a language.
        for other in entities:
            if (
                other["type"] == "code"
                and "language" in other
                and (other["offset"], other["length"]) == (entity["offset"], entity["length"])
            ):
                entities.remove(other)
                entity["language"] = other["language"]
                break
    return entity


# --------------------------------------------------------------------------------------------
# MarkdownV2

_MD2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MD2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


@dataclass
class _MdEntity:
    kind: str
    offset: int  # UTF-16 offset in the output
    byte_offset: int  # where it starts in the source, for error messages
    out_index: int  # index into the output pieces, to recover the entity's text
    argument: str = ""


def parse_markdown_v2(source: str) -> ParsedText:
    out: list[str] = []
    out_len = 0
    stack: list[_MdEntity] = []
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None
    n = len(source)

    def at(k: int) -> str:
        return source[k] if 0 <= k < n else ""

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    def reserved(ch: str) -> MarkupError:
        return MarkupError(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )

    i = 0
    while i < n:
        c = source[i]
        if c == "\\" and at(i + 1) and 0 < ord(at(i + 1)) <= 126:
            emit(at(i + 1))
            i += 2
            continue
        in_code = bool(stack) and stack[-1].kind in ("code", "pre", "pre_code")
        if c == ">" and not stack and (i == 0 or source[i - 1] == "\n"):
            # A quoted line; consecutive quoted lines make one blockquote.
            if quote_start is None:
                quote_start = out_len
            i += 1
            continue
        if c == "\n" and quote_start is not None and at(i + 1) != ">":
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": out_len - quote_start}
            )
            quote_start = None
        if c not in ("`" if in_code else _MD2_RESERVED):
            emit(c)
            i += 1
            continue

        top = stack[-1].kind if stack else None
        closes = {
            "bold": c == "*",
            "italic": c == "_" and at(i + 1) != "_",
            "underline": c == "_" and at(i + 1) == "_",
            "strikethrough": c == "~",
            "spoiler": c == "|" and at(i + 1) == "|",
            "code": c == "`",
            "pre": c == "`" and at(i + 1) == "`" and at(i + 2) == "`",
            "pre_code": c == "`" and at(i + 1) == "`" and at(i + 2) == "`",
            "text_link": c == "]",
            "custom_emoji": c == "]",
            None: False,
        }[top]
        if not closes:
            byte_offset = _byte_offset(source, i)
            argument = ""
            if c == "_":
                kind = "underline" if at(i + 1) == "_" else "italic"
                i += 2 if kind == "underline" else 1
            elif c == "*":
                kind, i = "bold", i + 1
            elif c == "~":
                kind, i = "strikethrough", i + 1
            elif c == "|" and at(i + 1) == "|":
                kind, i = "spoiler", i + 2
            elif c == "[":
                kind, i = "text_link", i + 1
            elif c == "!" and at(i + 1) == "[":
                kind, i = "custom_emoji", i + 2
            elif c == "`" and at(i + 1) == "`" and at(i + 2) == "`":
                kind = "pre"
                i += 3
                lang_end = i
                while lang_end < n and source[lang_end] not in _SPACES + "`":
                    lang_end += 1
                if i != lang_end and lang_end < n and source[lang_end] != "`":
                    kind, argument, i = "pre_code", source[i:lang_end], lang_end
                if at(i) in "\r\n" and at(i):
                    i += 2 if at(i + 1) in "\r\n" and at(i + 1) and at(i + 1) != at(i) else 1
            elif c == "`":
                kind, i = "code", i + 1
            else:
                raise reserved(c)
            stack.append(_MdEntity(kind, out_len, byte_offset, len(out), argument))
            continue

        opened = stack.pop()
        entity: dict[str, Any] = {
            "type": {"pre_code": "pre"}.get(opened.kind, opened.kind),
            "offset": opened.offset,
            "length": out_len - opened.offset,
        }
        if opened.kind in ("underline", "spoiler"):
            i += 2
        elif opened.kind in ("pre", "pre_code"):
            i += 3
            if opened.argument:
                entity["language"] = opened.argument
        elif opened.kind in ("text_link", "custom_emoji"):
            i += 1
            if at(i) == "(":
                i += 1
                url_start = i
                url: list[str] = []
                while i < n and source[i] != ")":
                    if source[i] == "\\" and at(i + 1) and 0 < ord(at(i + 1)) <= 126:
                        url.append(source[i + 1])
                        i += 2
                        continue
                    url.append(source[i])
                    i += 1
                if i >= n:
                    raise MarkupError(
                        f"Can't find end of a URL at byte offset {_byte_offset(source, url_start)}"
                    )
                i += 1
                target = "".join(url)
            else:
                target = "".join(out[opened.out_index :])
            if opened.kind == "custom_emoji":
                emoji = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
                if emoji is None:
                    raise MarkupError("Invalid tg://emoji or tg://time URL specified")
                entity["custom_emoji_id"] = emoji.group(1)
            else:
                entity["url"] = target
        else:
            i += 1
        if entity["length"] > 0:
            entities.append(entity)

    if stack:
        opened = stack[-1]
        raise MarkupError(
            f"Can't find end of {_MD2_TYPE_NAMES[opened.kind]} entity at byte offset "
            f"{opened.byte_offset}"
        )
    if quote_start is not None and out_len > quote_start:
        entities.append(
            {"type": "blockquote", "offset": quote_start, "length": out_len - quote_start}
        )
    return ParsedText("".join(out), _sort_entities(entities))


# --------------------------------------------------------------------------------------------
# Legacy Markdown


def parse_legacy_markdown(source: str) -> ParsedText:
    """The old "Markdown" mode: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    out_len = 0
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            out_len += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            out_len += utf16_len(c)
            i += 1
            continue
        begin = i
        closer = {"_": "_", "*": "*", "`": "`", "[": "]"}[c]
        kind = {"_": "italic", "*": "bold", "`": "code", "[": "text_link"}[c]
        if source.startswith("```", i):
            closer, kind = "```", "pre"
        start = i + len(closer)
        end = source.find(closer, start)
        if end < 0:
            raise MarkupError(
                "Can't find end of the entity starting at byte offset "
                f"{_byte_offset(source, begin)}"
            )
        inner = source[start:end]
        i = end + len(closer)
        entity: dict[str, Any] = {"type": kind, "offset": out_len, "length": utf16_len(inner)}
        if kind == "text_link":
            match = re.match(r"\(([^)]*)\)", source[i:])
            if match is None:
                raise MarkupError(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, begin)}"
                )
            entity["url"] = match.group(1)
            i += match.end()
        out.append(inner)
        out_len += utf16_len(inner)
        if entity["length"] > 0:
            entities.append(entity)
    return ParsedText("".join(out), _sort_entities(entities))


# --------------------------------------------------------------------------------------------


def _strip(parsed: ParsedText) -> ParsedText:
    """Telegram trims leading and trailing whitespace of a message and clips entities."""
    text = parsed.text
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    stripped = text.strip()
    total = utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)


def parse_text(text: str, parse_mode: str | None, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse according to parse_mode (case-insensitive, as Telegram); raises MarkupError."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parsed = parse_html(text, strict_ampersand=strict_ampersand)
    elif mode == "markdownv2":
        parsed = parse_markdown_v2(text)
    elif mode == "markdown":
        parsed = parse_legacy_markdown(text)
    else:
        parsed = ParsedText(text, [])
    return _strip(parsed)
