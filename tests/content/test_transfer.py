"""Content files in memory: the loader's rules on uploads and snippets, and exports that
read back as they were."""

from __future__ import annotations

import pytest
import yaml

from bot.content.errors import ContentError
from bot.content.loader import Content
from bot.content.transfer import (
    check_source,
    check_tip_field,
    check_tip_id,
    dump_faq,
    dump_program,
    dump_tips,
    faq_data,
    parse_file,
    parse_tip_snippet,
    program_data,
    tip_data,
)


def problems(
    data: bytes | str, name: str = "tips.yaml", content: Content | None = None
) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ContentError) as caught:
        parse_file(raw, name, content.catalogs if content else None)
    return list(caught.value.problems)


def test_exports_read_back_exactly(content: Content) -> None:
    tips = parse_file(dump_tips(content.tips).encode(), "tips.yaml")
    assert tips.kind == "tips" and [tip_data(t) for t in tips.tips] == [
        tip_data(t) for t in content.tips
    ]
    faq = parse_file(dump_faq(content.faq).encode(), "anything.yml", content.catalogs)
    assert faq.kind == "faq" and [faq_data(e) for e in faq.faq] == [
        faq_data(e) for e in content.faq
    ]
    program = parse_file(dump_program(content.program).encode(), "schedule.yaml").program
    assert program is not None and program_data(program) == program_data(content.program)
    # Long texts are folded as in tips/, and "on" stays a key, not a YAML 1.1 boolean.
    exported = dump_tips(content.tips[:1])
    assert "body: >-\n" in exported and "'on': '2026-11-21'" in exported


def test_broken_yaml_names_the_file_and_line() -> None:
    (line,) = problems("tips:\n  - id: a\n    topic: [\n")
    assert line.startswith("tips.yaml: line ") and "invalid YAML" in line


@pytest.mark.parametrize(
    "body",
    ["[1, 2]", "hello: world", "tips: []\nfaq: []"],
)
def test_a_file_of_no_known_kind_is_refused(body: str) -> None:
    assert problems(body, "x.yaml") == [
        "x.yaml: not a tips, FAQ or schedule file (it needs tips:, faq: or weekdays:)"
    ]


def test_too_large_is_refused_before_reading() -> None:
    assert problems(b"#" * 1_000_001)[0].startswith("tips.yaml: too large (1,000,001 bytes")


def test_every_problem_of_a_tips_file_is_listed(content: Content) -> None:
    data = yaml.safe_load(dump_tips(content.tips[:3]))
    data["tips"][0]["topic"] = "nonsense"
    data["tips"][1]["text"]["ms"]["body"] = "Pendek"
    data["tips"][2]["text"]["en"]["title"] = "<i>Sleep</i> well"
    data["tips"][2]["id"] = data["tips"][0]["id"]
    found = problems(yaml.safe_dump(data))
    first, second = data["tips"][0]["id"], data["tips"][1]["id"]
    assert found[0].startswith(f"tips.yaml: entry 1 ({first!r}): topic: Input should be")
    assert found[1].startswith(f"tips.yaml: entry 2 ({second!r}): text.ms.body: String should")
    assert found[2:] == [
        f"tips.yaml: (top level): duplicate tip id {first!r}",
        f"tips.yaml: entry 3 ({first!r}): text.en.title: HTML tags are not allowed here "
        "(found '<i>'); write plain text",
    ]


def test_a_faq_group_without_a_menu_name_is_refused(content: Content) -> None:
    data = yaml.safe_load(dump_faq(content.faq[:1]))
    data["faq"][0]["topic"] = "astrology"
    assert problems(yaml.safe_dump(data), "faq.yaml", content) == [
        "faq.yaml: topic 'astrology' has no menu name (faq_group_astrology in the catalogs)"
    ]


@pytest.mark.parametrize("shape", ["one", "list", "file"])
def test_a_snippet_may_be_one_tip_a_list_or_a_file(content: Content, shape: str) -> None:
    data = tip_data(content.tips[0])
    wrapped = {"one": data, "list": [data], "file": {"tips": [data]}}[shape]
    (tip,) = parse_tip_snippet(yaml.safe_dump(wrapped, allow_unicode=True))
    assert tip == content.tips[0]


def test_a_snippet_missing_a_translation_says_so(content: Content) -> None:
    data = tip_data(content.tips[0])
    del data["text"]["ms"]
    with pytest.raises(ContentError) as caught:
        parse_tip_snippet(yaml.safe_dump(data))
    assert caught.value.problems == (
        f"snippet: entry 1 ({data['id']!r}): text: missing language(s): ms",
    )
    with pytest.raises(ContentError):
        parse_tip_snippet("just words")


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("title", "Fiber", True),
        ("title", "ab", False),
        ("title", "x" * 81, False),
        ("body", "x" * 39, False),
        ("body", "x" * 700, True),
        ("try_today", "Eat a guava.", True),
        ("try_today", "<b>Eat</b> a guava.", False),
        ("title", "Less than <5 g sugar", True),
    ],
)
def test_tip_fields(field: str, value: str, ok: bool) -> None:
    assert (check_tip_field(field, value) is None) == ok


def test_ids_and_sources() -> None:
    assert check_tip_id("fiber-ulam-lunch") is None
    assert check_tip_id("Fiber Ulam") is not None
    assert check_source("https://example.org/x") is None
    assert check_source("not a link") is not None
