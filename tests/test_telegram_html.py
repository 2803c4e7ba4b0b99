"""Telegram HTML parsing, UTF-16 lengths and reply-markup validation, as parametrized tables."""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram_html import (
    EntityParseError,
    MarkupError,
    parse_html,
    utf16_len,
    validate_reply_markup,
)


@pytest.mark.parametrize(
    ("html", "plain", "entities"),
    [
        ("plain", "plain", []),
        (
            "<b>bold</b> and <i>it</i>",
            "bold and it",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 9, "length": 2},
            ],
        ),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del>",
            "abcd",
            [
                {"type": "bold", "offset": 0, "length": 1},
                {"type": "italic", "offset": 1, "length": 1},
                {"type": "underline", "offset": 2, "length": 1},
                {"type": "strikethrough", "offset": 3, "length": 1},
            ],
        ),
        (
            '<a href="https://x.org/?a=1&amp;b=2">site</a>',
            "site",
            [
                {"type": "text_link", "offset": 0, "length": 4, "url": "https://x.org/?a=1&b=2"},
            ],
        ),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot; &#65;&#x42;", '1 < 2 && 3 > 2 "q" AB', []),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [
                {"type": "pre", "offset": 0, "length": 5, "language": "python"},
            ],
        ),
        ("<code>c</code>", "c", [{"type": "code", "offset": 0, "length": 1}]),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
            ],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [
                {
                    "type": "custom_emoji",
                    "offset": 0,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                },
            ],
        ),
        # Offsets count UTF-16 code units: the emoji before the bold text takes two.
        ("😀 <b>hi</b>", "😀 hi", [{"type": "bold", "offset": 3, "length": 2}]),
        (
            "<b><i>both</i></b>",
            "both",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 0, "length": 4},
            ],
        ),
        # Telegram trims surrounding whitespace and moves entities with the text.
        ("  <b>x</b>  ", "x", [{"type": "bold", "offset": 0, "length": 1}]),
        ("a > b", "a > b", []),
    ],
)
def test_parse_html_gives_plain_text_and_entities(
    html: str, plain: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_html(html) == (plain, entities)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("é <p>x</p>", 'Unsupported start tag "p" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("fish & chips", "Character '&' at byte offset 5 is not the start of an HTML entity"),
        ("&nbsp;", "Character '&' at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_parse_html_refuses_invalid_markup(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value).startswith(error)


@pytest.mark.parametrize(
    ("text", "length"), [("", 0), ("abc", 3), ("é", 1), ("😀", 2), ("a😀b", 4)]
)
def test_utf16_len_counts_code_units(text: str, length: int) -> None:
    assert utf16_len(text) == length


@pytest.mark.parametrize(
    "markup",
    [
        None,
        {"inline_keyboard": [[{"text": "Go", "callback_data": "x" * 64}]]},
        {"inline_keyboard": [[{"text": "Site", "url": "https://example.org"}]]},
        {"inline_keyboard": [[{"text": "Chat", "url": "tg://resolve?domain=x"}]]},
        {"keyboard": [["Yes", {"text": "No"}]], "resize_keyboard": True},
        {"remove_keyboard": True},
    ],
)
def test_valid_reply_markup_is_returned_unchanged(markup: dict[str, Any] | None) -> None:
    assert validate_reply_markup(markup) == markup


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        (
            {"inline_keyboard": [[{"text": "Go", "callback_data": "é" * 33}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": "Go", "callback_data": ""}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "url": "javascript:alert(1)"}]]},
            "Bad Request: inline keyboard button URL 'javascript:alert(1)' is invalid",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "url": "ftp://host/file"}]]},
            "Bad Request: inline keyboard button URL 'ftp://host/file' is invalid",
        ),
        (
            {"inline_keyboard": [[{"text": "plain"}]]},
            "Bad Request: text buttons are unallowed in the inline keyboard",
        ),
        ({"inline_keyboard": [{"text": "x"}]}, 'Bad Request: field "inline_keyboard" must be'),
        ({"colour": "red"}, "Bad Request: can't parse reply keyboard markup JSON object"),
        ([1, 2], "Bad Request: can't parse reply keyboard markup JSON object"),
    ],
)
def test_invalid_reply_markup_is_refused(markup: Any, error: str) -> None:
    with pytest.raises(MarkupError) as caught:
        validate_reply_markup(markup)
    assert str(caught.value).startswith(error)
