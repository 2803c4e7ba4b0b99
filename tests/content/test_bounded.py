"""Content YAML is bounded (#13 items 2 and 9): no aliases, a size limit, short errors, no
control characters, and parsing that never holds up the bot."""

from __future__ import annotations

import argparse
import shutil
import threading
import tracemalloc
from pathlib import Path

import pytest
import yaml

from bot.cli.admin import add_parsers, dispatch
from bot.cli.commands import main as cli_main
from bot.config import load_settings
from bot.content import errors
from bot.content.errors import MAX_YAML_BYTES, ContentError, ContentLoader, parse_yaml, read_yaml
from bot.content.loader import Content, load_content
from bot.content.transfer import off_loop, parse_file, parse_tip_snippet, tip_data
from tests.conftest import TIPS_DIR, DbTarget


def billion_laughs() -> str:
    """A 405-byte tips file whose id expands to 9**9 strings (387 million) through aliases."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines += ["tips:", "- id: *i", "  topic: fiber"]
    body = "\n".join(lines) + "\n"
    return body + "#" * (404 - len(body)) + "\n"


BOMB = billion_laughs()


@pytest.fixture
def tips_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tips"
    shutil.copytree(TIPS_DIR, target)
    return target


def test_the_bomb_is_405_bytes() -> None:
    assert len(BOMB.encode()) == 405


def test_an_alias_bomb_is_refused_at_its_first_anchor_without_expanding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    tracemalloc.start()
    try:
        with pytest.raises(ContentError) as caught:
            read_yaml(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.problems == (
        f"{path}: line 1, column 4: invalid YAML: anchors and aliases (&name, *name) are not "
        "allowed in content; write each value out",
    )
    # Expanding even one level more than the first would take far more than this.
    assert peak < 2_000_000


def test_an_alias_alone_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("title: Tip\nbody: x\nagain: *nowhere\n")
    with pytest.raises(ContentError) as caught:
        read_yaml(path)
    assert caught.value.problems[0].startswith(f"{path}: line 3, column 8: invalid YAML: anchors")


@pytest.mark.parametrize("fast", [True, False])
def test_a_key_written_twice_is_refused_naming_both_lines(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # YAML keeps the last of two equal keys silently: a second `not_when:` in an urgent sign
    # once dropped the first list unseen.
    if not fast:
        monkeypatch.setattr(errors, "_fast_load", lambda text: (False, None))
    text = "urgent:\n  - id: a\n    not_when: [x]\n    phrases: {en: [y]}\n    not_when: [z]\n"
    with pytest.raises(ContentError) as caught:
        parse_yaml(text, "urgent.yaml")
    assert str(caught.value) == (
        "urgent.yaml: line 5, column 5: invalid YAML: 'not_when' is written twice in one place "
        "(first on line 3); keep one and merge what they hold"
    )
    assert parse_yaml("a: {not_when: [x]}\nb: {not_when: [z]}\n", "ok.yaml") == {
        "a": {"not_when": ["x"]},
        "b": {"not_when": ["z"]},
    }


def test_content_check_refuses_a_bomb_in_tips_with_one_line(
    tips_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tips_copy / "tips" / "zz-bomb.yaml").write_text(BOMB)
    monkeypatch.setenv("TIPS_DIR", str(tips_copy))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert cli_main(["content", "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"gutskin-bot: content error: {tips_copy / 'tips' / 'zz-bomb.yaml'}: line 1, column 4: "
        "invalid YAML: anchors and aliases (&name, *name) are not allowed in content; "
        "write each value out"
    ]


def test_an_uploaded_or_imported_bomb_is_refused_with_one_line(content: Content) -> None:
    # parse_file is what `tips import` and a file sent in Telegram go through.
    with pytest.raises(ContentError) as caught:
        parse_file(BOMB.encode(), "bomb.yaml", content.catalogs)
    assert caught.value.problems == (
        "bomb.yaml: line 1, column 4: invalid YAML: anchors and aliases (&name, *name) are not "
        "allowed in content; write each value out",
    )


def test_a_pasted_bomb_is_refused() -> None:
    with pytest.raises(ContentError) as caught:
        parse_tip_snippet(BOMB)
    assert caught.value.problems[0].startswith("snippet: line 1, column 4: invalid YAML: anchors")


def test_too_large_is_refused_before_parsing(tips_copy: Path, content: Content) -> None:
    big = "# padding\n" * (MAX_YAML_BYTES // 10 + 1)
    path = tips_copy / "faq.yaml"
    path.write_text(big)
    with pytest.raises(ContentError) as caught:
        read_yaml(path)
    assert caught.value.problems == (
        f"{path}: too large ({len(big):,} bytes; the limit is {MAX_YAML_BYTES:,})",
    )
    with pytest.raises(ContentError) as pasted:
        parse_tip_snippet(big)
    assert pasted.value.problems == (f"snippet: too large (the limit is {MAX_YAML_BYTES:,} bytes)",)


def test_error_lines_are_cut_to_a_readable_length() -> None:
    long_id = "x" * 10_000
    problems = [f"tips.yaml: tip {long_id!r}: bad"] + [f"p{n}" for n in range(200)]
    error = ContentError(problems)
    assert len(error.problems[0]) == errors.MAX_PROBLEM_CHARS
    assert error.problems[0].endswith("…")
    assert len(error.problems) == errors.MAX_PROBLEMS + 1
    assert error.problems[-1] == f"... and {201 - errors.MAX_PROBLEMS} more problems"


async def test_parsing_runs_off_the_event_loop_within_a_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    monkeypatch.setattr("bot.content.transfer.PARSE_SECONDS", 0.05)
    try:
        with pytest.raises(ContentError) as caught:
            # If this ran on the loop, wait_for could never time out: the loop would be stuck.
            await off_loop("snippet", release.wait, 30)
    finally:
        release.set()
    assert caught.value.problems == (
        "snippet: took longer than 0.05 s to check; split it into smaller files",
    )


# -- item 9: control characters ----------------------------------------------------------


def test_a_nul_in_a_tip_title_is_refused_naming_file_and_field(tips_copy: Path) -> None:
    path = next(iter(sorted((tips_copy / "tips").glob("*.yaml"))))
    text = path.read_text()
    data = yaml.safe_load(text)
    first = data["tips"][0]
    first["text"]["en"]["title"] = "Fibre\0 first"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    # The file's other tips are lost with it, so the schedule's topics lack tips too.
    assert caught.value.problems[0] == (
        f"{path}: entry 1 ({first['id']!r}): text.en.title: control character U+0000 is not "
        "allowed (only newline and tab); remove it"
    )


def test_a_nul_written_as_an_escape_is_refused_on_import(content: Content) -> None:
    tip = tip_data(content.tips[0])
    body = yaml.safe_dump({"tips": [tip]}, allow_unicode=True)
    title = tip["text"]["ms"]["title"]
    escaped = body.replace(f"title: {title}", f'title: "{title}\\0"', 1)
    assert escaped != body
    with pytest.raises(ContentError) as caught:
        parse_file(escaped.encode(), "tips.yaml", content.catalogs)
    assert caught.value.problems == (
        f"tips.yaml: entry 1 ({tip['id']!r}): text.ms.title: control character U+0000 is not "
        "allowed (only newline and tab); remove it",
    )


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x7f", "\x85", "\r"])
def test_other_control_characters_in_faq_text_are_refused(tips_copy: Path, char: str) -> None:
    path = tips_copy / "faq.yaml"
    data = yaml.safe_load(path.read_text())
    data["faq"][2]["text"]["en"]["answer"] = "Say " + char + data["faq"][2]["text"]["en"]["answer"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (
        f"{path}: entry 3 ({data['faq'][2]['id']!r}): text.en.answer: control character "
        f"U+{ord(char):04X} is not allowed (only newline and tab); remove it",
    )


def test_newlines_and_tabs_stay_allowed(content: Content) -> None:
    tip = tip_data(content.tips[0])
    tip["text"]["en"]["body"] = "Line one\tand a tab.\nLine two " + "x" * 40
    parsed = parse_file(yaml.safe_dump({"tips": [tip]}).encode(), "tips.yaml", content.catalogs)
    assert parsed.tips[0].text["en"].body.startswith("Line one\tand a tab.\nLine two")


def test_a_control_character_in_a_catalog_is_refused(tips_copy: Path) -> None:
    path = tips_copy / "messages" / "ms.yaml"
    data = yaml.safe_load(path.read_text())
    data["welcome"] = data["welcome"] + "\x00"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (
        f"{path}: welcome: control character U+0000 is not allowed (only newline and tab); "
        "remove it",
    )


async def test_tips_import_refuses_a_bomb_with_one_line_and_changes_nothing(
    db_target: DbTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        database_url=db_target.url, database_schema=db_target.schema, tips_dir=TIPS_DIR
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    parser = argparse.ArgumentParser(prog="gutskin-bot")
    add_parsers(parser.add_subparsers(required=True))
    assert await dispatch(parser.parse_args(["tips", "import", str(path)]), settings) == 2
    assert capsys.readouterr().err.splitlines() == [
        "gutskin-bot: content error: bomb.yaml: line 1, column 4: invalid YAML: anchors and "
        "aliases (&name, *name) are not allowed in content; write each value out"
    ]


def test_nesting_deeper_than_content_needs_is_refused_not_a_recursion_error() -> None:
    deep = "tips: " + "[" * 100_000 + "]" * 100_000
    with pytest.raises(ContentError) as caught:
        parse_tip_snippet(deep)
    assert caught.value.problems == (
        "snippet: line 1, column 26: invalid YAML: "
        f"nested more than {errors.MAX_DEPTH} levels deep",
    )


def test_the_fast_reader_reads_every_content_file_as_the_checking_reader_does() -> None:
    """parse_yaml reads with libyaml when a file is clean; the pure-Python ContentLoader
    (which names problems) must read the shipped files to exactly the same data."""
    files = sorted(TIPS_DIR.rglob("*.yaml"))
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text, str(path)) == yaml.load(text, Loader=ContentLoader)  # noqa: S506
