"""Message catalogs: every user-facing string, per language, with checked placeholders."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

from bot.content.errors import ContentError, read_yaml
from bot.content.models import LANGUAGES, control_character_problem, placeholders

DEFAULT_LANGUAGE = "en"


class Html(str):
    """A string that is already safe Telegram HTML and must not be escaped again."""

    __slots__ = ()


class Catalogs:
    """Look up and fill messages; values are HTML-escaped unless wrapped in Html."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = {lang: dict(m) for lang, m in messages.items()}

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages there are catalogs for."""
        return tuple(self._messages)

    def keys(self, language: str = DEFAULT_LANGUAGE) -> set[str]:
        """Return every message key of a language."""
        return set(self._messages[language])

    def language_for(self, code: str | None) -> str:
        """Map a Telegram client language code ('ms', 'en-GB', 'id') to one we have."""
        if not code:
            return DEFAULT_LANGUAGE
        base = code.split("-")[0].lower()
        # Indonesian readers understand Malay far better than English.
        base = {"id": "ms", "zsm": "ms", "may": "ms"}.get(base, base)
        return base if base in self._messages else DEFAULT_LANGUAGE

    def text(self, language: str, key: str, **values: object) -> str:
        """Return message `key` in `language` (falling back to English), filled and escaped."""
        template = self._messages.get(language, {}).get(key)
        if template is None:
            template = self._messages[DEFAULT_LANGUAGE][key]
        safe = {
            name: value if isinstance(value, Html) else html.escape(str(value))
            for name, value in values.items()
        }
        return template.format_map(safe)


def _catalog_files(folder: Path, lang: str) -> list[Path]:
    """messages/<lang>.yaml plus any messages/<lang>/*.yaml (one file per area of the bot)."""
    files = [folder / f"{lang}.yaml"]
    if (folder / lang).is_dir():
        files.extend(sorted((folder / lang).glob("*.yaml")))
    return files


def load_catalogs(folder: Path) -> Catalogs:
    """Load every language's catalog files and check the languages agree."""
    problems: list[str] = []
    messages: dict[str, dict[str, str]] = {}
    origins: dict[str, dict[str, Path]] = {}
    for lang in LANGUAGES:
        catalog: dict[str, str] = {}
        origin = origins[lang] = {}
        for path in _catalog_files(folder, lang):
            try:
                data = read_yaml(path)
            except ContentError as exc:
                problems.extend(exc.problems)
                continue
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                problems.append(f"{path}: must be a mapping of message keys to text")
                continue
            for key, value in data.items():
                if key in origin:
                    problems.append(f"{path}: {key}: already defined in {origin[key]}")
                    continue
                origin[key] = path
                catalog[key] = value.strip()
                problem = control_character_problem(value)
                if problem is not None:
                    problems.append(f"{path}: {key}: {problem}")
        messages[lang] = catalog
    for lang, catalog in messages.items():
        for key, template in catalog.items():
            try:
                template.format_map({name: "x" for name in placeholders(template)})
            except (ValueError, KeyError, IndexError) as exc:
                problems.append(f"{origins[lang][key]}: {key}: not a valid template ({exc})")
    if DEFAULT_LANGUAGE in messages:
        reference, ref_origin = messages[DEFAULT_LANGUAGE], origins[DEFAULT_LANGUAGE]
        for lang, catalog in messages.items():
            for key in sorted(reference.keys() - catalog.keys()):
                path = _counterpart(folder, ref_origin[key], lang)
                problems.append(f"{path}: {key}: missing (present in {ref_origin[key].name})")
            for key in sorted(catalog.keys() - reference.keys()):
                path = origins[lang][key]
                problems.append(f"{path}: {key}: unknown key (not in {DEFAULT_LANGUAGE})")
            for key in sorted(reference.keys() & catalog.keys()):
                theirs, ours = placeholders(catalog[key]), placeholders(reference[key])
                if theirs != ours:
                    problems.append(
                        f"{origins[lang][key]}: {key}: placeholders {sorted(theirs)} "
                        f"differ from {ref_origin[key].name}'s {sorted(ours)}"
                    )
    if problems:
        raise ContentError(problems)
    return Catalogs(messages)


def _counterpart(folder: Path, reference: Path, lang: str) -> Path:
    """Where `lang`'s version of an English catalog file lives."""
    if reference.parent == folder:
        return folder / f"{lang}.yaml"
    return folder / lang / reference.name
