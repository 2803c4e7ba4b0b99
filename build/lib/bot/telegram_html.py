"""Telegram text rules: HTML parse mode, UTF-16 lengths and reply-markup validation.

The HTML parser follows the Bot API documentation (and TDLib's error wording): the tags
b/strong, i/em, u/ins, s/strike/del, a href, code, pre (optionally wrapping
``<code class="language-x">``), span class="tg-spoiler", tg-spoiler, blockquote
(optionally ``expandable``) and tg-emoji emoji-id; the named entities &lt; &gt; &amp; &quot;
and numeric ones. The documentation demands that every ``<`` and ``&`` that is not part of
a tag or an entity be escaped; we refuse a bare ``&`` too (real Telegram lets it through),
so a bot that passes here is correct by the documented rules.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is TDLib's wording."""


class MarkupError(ValueError):
    """The reply markup is refused; the message is the Bot API description."""


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(text, index)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    elif body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], match.end()
    else:
        return None
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _unescape(value: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(value):
        decoded = _decode_entity(value, i) if value[i] == "&" else None
        if decoded is None:
            parts.append(value[i])
            i += 1
        else:
            parts.append(decoded[0])
            i = decoded[1]
    return "".join(parts)


class _Open:
    __slots__ = ("attrs", "language", "name", "start")

    def __init__(self, name: str, attrs: dict[str, str], start: int) -> None:
        self.name = name
        self.attrs = attrs
        self.start = start
        self.language = ""


def _read_attrs(text: str, i: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Read attributes up to and including '>'; return them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
            )
        if text[i] == ">":
            return attrs, i + 1
        name_match = _NAME_RE.match(text, i)
        assert name_match is not None  # the pattern matches the empty string
        name = name_match.group().lower()
        i = name_match.end()
        if not name:
            raise EntityParseError(
                f"Expected equal sign in declaration of an attribute of the tag at byte offset "
                f"{_byte_offset(text, tag_start)}"
            )
        value = ""
        if i < n and text[i] == "=":
            i += 1
            if i < n and text[i] in "\"'":
                end = text.find(text[i], i + 1)
                if end < 0:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
                    )
                value = text[i + 1 : end]
                i = end + 1
            else:
                start = i
                while i < n and text[i] not in " \t\r\n>":
                    i += 1
                value = text[start:i]
        attrs[name] = _unescape(value)


def _open_tag(text: str, i: int, stack: list[_Open], position: int) -> int:
    name_match = _NAME_RE.match(text, i + 1)
    assert name_match is not None
    name = name_match.group().lower()
    if name not in _TAG_TYPES:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
        )
    attrs, after = _read_attrs(text, name_match.end(), i)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError('Tag "span" must have class "tg-spoiler"')
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError("Custom emoji entity must contain a valid custom emoji identifier")
    stack.append(_Open(name, attrs, position))
    return after


def _close_tag(text: str, i: int, stack: list[_Open], position: int) -> tuple[int, dict[str, Any]]:
    end = text.find(">", i)
    if end < 0:
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
    name = text[i + 2 : end].strip().lower()
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
    top = stack.pop()
    if top.name != name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    entity: dict[str, Any] = {"type": _TAG_TYPES[name], "offset": top.start}
    entity["length"] = position - top.start
    cls = top.attrs.get("class", "")
    if name == "code" and stack and stack[-1].name == "pre" and cls.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
        stack[-1].language = cls.removeprefix("language-")
        entity = {}
    elif name == "a":
        entity["url"] = top.attrs.get("href", "")
        if not entity["url"]:
            entity = {}
    elif name == "pre" and top.language:
        entity["language"] = top.language
    elif name == "blockquote" and "expandable" in top.attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = top.attrs["emoji-id"]
    return end + 1, entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and Bot API MessageEntity dicts (UTF-16 offsets)."""
    out: list[str] = []
    position = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            if text.startswith("</", i):
                depth = len(stack)
                i, entity = _close_tag(text, i, stack, position)
                if entity.get("length"):
                    # Outer entities come before inner ones that share their range.
                    entities.append({**entity, "_depth": depth})
            else:
                i = _open_tag(text, i, stack, position)
            continue
        piece = char
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                raise EntityParseError(
                    f"Character '&' at byte offset {_byte_offset(text, i)} is not the start of "
                    "an HTML entity; escape it as &amp;"
                )
            piece, i = decoded
        else:
            i += 1
        out.append(piece)
        position += utf16_len(piece)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"], e.pop("_depth")))
    return strip_text("".join(out), entities)


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, sorted(kept, key=lambda e: (e["offset"], -e["length"]))


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise MarkupError("Bad Request: can't parse inline keyboard button: Text must be a String")
    if not any(key in button for key in _INLINE_ACTIONS):
        raise MarkupError("Bad Request: text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise MarkupError("Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        scheme = urlsplit(url).scheme.lower() if isinstance(url, str) else ""
        if scheme not in ("http", "https", "tg") or (scheme != "tg" and not urlsplit(url).netloc):
            raise MarkupError(
                f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                "Unsupported URL protocol"
            )


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check a reply_markup value the way the Bot API does and return it (or None)."""
    if markup is None:
        return None
    bad = MarkupError("Bad Request: can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise bad
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise MarkupError('Bad Request: field "inline_keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise MarkupError('Bad Request: field "keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, str | dict):
                    raise MarkupError("Bad Request: can't parse keyboard button")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the inline keyboard's buttons in reading order (empty for other markups)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]
