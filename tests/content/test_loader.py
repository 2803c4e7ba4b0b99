"""Content loading: the shipped content is valid; broken content is named precisely."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.catalog import Html
from bot.content.errors import ContentLoader, read_yaml
from bot.content.loader import Content, ContentError, load_content
from bot.content.models import LANGUAGES, placeholders
from bot.telegram_html import parse_html
from tests.conftest import ROOT, TIPS_DIR


@pytest.fixture
def tips_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tips"
    shutil.copytree(TIPS_DIR, target)
    return target


def _read(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=ContentLoader)  # noqa: S506


def _edit(path: Path, change: object) -> None:
    data = _read(path)
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_shipped_content_loads(content: Content) -> None:
    assert content.tips and content.faq
    assert {c.id for c in content.clinics} == {"cheras", "pj", "setia-alam"}
    assert set(content.catalogs.languages) == set(LANGUAGES)


def test_catalogs_share_keys_and_placeholders() -> None:
    by_lang = {lang: _read(TIPS_DIR / "messages" / f"{lang}.yaml") for lang in LANGUAGES}
    english = by_lang["en"]
    for lang, messages in by_lang.items():
        assert messages.keys() == english.keys(), lang
        for key, value in messages.items():
            assert placeholders(value) == placeholders(english[key]), (lang, key)


def test_catalog_escapes_values_but_not_html(content: Content) -> None:
    filled = content.catalogs.text("en", "welcome", name="<b>Ali & Co</b>")
    assert "&lt;b&gt;Ali &amp; Co&lt;/b&gt;" in filled
    assert content.catalogs.text("en", "welcome", name=Html("<i>x</i>")).count("<i>x</i>") == 1


@pytest.mark.parametrize(
    ("code", "language"),
    [("ms", "ms"), ("en-GB", "en"), ("id", "ms"), ("zh-hans", "en"), (None, "en")],
)
def test_client_language_maps_to_a_catalog(
    content: Content, code: str | None, language: str
) -> None:
    assert content.catalogs.language_for(code) == language


def test_broken_yaml_names_file_and_line(tips_copy: Path) -> None:
    (tips_copy / "clinics.yaml").write_text("clinics:\n  - id: x\n   name: [unclosed\n")
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{tips_copy / 'clinics.yaml'}: line 3, column")
    assert "invalid YAML" in problem


def test_missing_translation_names_entry_and_field(tips_copy: Path) -> None:
    path = tips_copy / "faq.yaml"
    first_id = _read(path)["faq"][0]["id"]
    _edit(path, lambda d: d["faq"][0]["text"].pop("ms"))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (
        f"{path}: entry 1 ({first_id!r}): text: missing language(s): ms",
    )


def test_unknown_field_and_overlong_text_are_both_listed(tips_copy: Path) -> None:
    path = tips_copy / "clinics.yaml"

    def change(d: dict) -> None:  # type: ignore[type-arg]
        d["clinics"][1]["fax"] = "123"
        d["clinics"][2]["name"]["en"] = "x" * 200

    _edit(path, change)
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (
        f"{path}: entry 2 ('pj'): fax: Extra inputs are not permitted",
        f"{path}: entry 3 ('setia-alam'): name.en: String should have at most 80 characters",
    )


def test_yes_no_and_on_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("review: {on: 2026-11-21}\nanswer: no\nother: Yes\nflag: true\n")
    assert read_yaml(path) == {
        "review": {"on": dt.date(2026, 11, 21)},
        "answer": "no",
        "other": "Yes",
        "flag": True,
    }


def test_duplicate_tip_id_across_files_is_refused(tips_copy: Path) -> None:
    files = sorted((tips_copy / "tips").glob("*.yaml"))
    first = _read(files[0])["tips"][0]
    (tips_copy / "tips" / "zz-extra.yaml").write_text(yaml.safe_dump({"tips": [first]}))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert any(f"tip {first['id']!r}: id already used" in p for p in caught.value.problems)


def test_catalog_key_missing_in_malay_is_refused(tips_copy: Path) -> None:
    path = tips_copy / "messages" / "ms.yaml"
    _edit(path, lambda d: d.pop("help"))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (f"{path}: help: missing (present in en.yaml)",)


def test_catalog_placeholder_mismatch_is_refused(tips_copy: Path) -> None:
    path = tips_copy / "messages" / "ms.yaml"
    _edit(path, lambda d: d.update(welcome="Hai {nama}"))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems == (
        f"{path}: welcome: placeholders ['nama'] differ from en.yaml's ['name']",
    )


def test_broken_template_is_refused(tips_copy: Path) -> None:
    for lang in LANGUAGES:
        path = tips_copy / "messages" / f"{lang}.yaml"
        _edit(path, lambda d: d.update(unknown_command="Send {oops"))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert caught.value.problems[0].startswith(
        f"{tips_copy / 'messages' / 'en.yaml'}: unknown_command: not a valid template"
    )


def test_every_message_key_the_code_uses_exists(content: Content) -> None:
    code = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    used = set(re.findall(r'text\(\s*context,\s*[\w.]+,\s*"([a-z_]+)"', code))
    used |= set(re.findall(r'catalogs\.text\(\s*[\w.]+,\s*"([a-z_]+)"', code))
    assert len(used) > 40  # the pattern really finds the calls
    assert used - content.catalogs.keys("en") == set()


def test_every_message_renders_as_telegram_html(content: Content) -> None:
    hostile = "<b>&'\""
    for lang in LANGUAGES:
        raw = dict(_read(TIPS_DIR / "messages" / f"{lang}.yaml"))
        for area in sorted((TIPS_DIR / "messages" / lang).glob("*.yaml")):
            raw.update(_read(area))
        for key in content.catalogs.keys(lang):
            names = placeholders(raw[key])
            filled = content.catalogs.text(lang, key, **{n: hostile for n in names})
            parse_html(filled)  # raises on anything Telegram would refuse


def test_an_id_too_long_for_callback_data_is_refused(tips_copy: Path) -> None:
    path = tips_copy / "clinics.yaml"
    _edit(path, lambda d: d["clinics"][0].update(id="b" * 57))
    with pytest.raises(ContentError) as caught:
        load_content(tips_copy)
    assert "entry 1" in caught.value.problems[0] and ": id: " in caught.value.problems[0]
