"""The lock files pin, with hashes, every dependency pyproject.toml names, at a version it allows;
the Docker build context never holds the local .env (the bot token) or local state."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def _pins(lock: Path) -> dict[str, tuple[str, int]]:
    """Each locked package: its version and how many hashes it has."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in lock.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9._-]+)==([^ \\]+)", line):
            name = canonicalize_name(match[1])
            pins[name] = (match[2], 0)
        elif name and "--hash=sha256:" in line:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def _requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    if extra:
        names += project["optional-dependencies"][extra]
    return [Requirement(n) for n in names]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.lock", None), ("requirements-dev.lock", "dev")]
)
def test_the_lock_pins_every_dependency_with_hashes(lock: str, extra: str | None) -> None:
    pins = _pins(ROOT / lock)
    assert pins, f"{lock} pins nothing"
    for requirement in _requirements(extra):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {requirement.name}: run scripts/lock"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, pyproject.toml wants {requirement}: run scripts/lock"
        )
    unhashed = sorted(name for name, (_v, hashes) in pins.items() if hashes == 0)
    assert not unhashed, f"{lock}: no hashes for {unhashed}"


def test_the_runtime_lock_holds_no_dev_tool() -> None:
    pins = _pins(ROOT / "requirements.lock")
    assert not {"pytest", "mypy", "ruff", "playwright"} & set(pins)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert ".env" in ignored
    for path in (".venv/", "data/", "test-artifacts/", ".git/"):
        assert path in ignored or path.rstrip("/") in ignored, path
    # Nothing re-includes the .env afterwards (".env.example" may come back, it has no secret).
    assert not [line for line in ignored if line.startswith("!") and line != "!.env.example"]
