"""The Dockerfile, the compose file and .env.example agree with the README and with Settings.

No Docker engine runs here, so these read the files: the image installs the way the README
says and runs the command the README runs; every variable the files set is a real setting;
the compose file runs two replicas on PostgreSQL of which at most one polls; and the
HEALTHCHECK command itself is run against a server answering 200, 503, or nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.config import Settings
from tests.conftest import ROOT
from tests.runtime.test_webhook import free_port

SETTINGS = {name.upper() for name in Settings.model_fields}
# Variables of Python and the shell, not of the bot.
NOT_SETTINGS = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
MINE = {
    "UPDATES",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "WEBHOOK_PATH",
    "HEALTH_HOST",
    "HEALTH_PORT",
    "HEALTH_MAX_TICK_AGE",
    "HEALTH_MAX_PAUSE",
    "LOG_FORMAT",
}


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, its arguments, and the build stage it belongs to."""

    stage: int
    name: str
    args: str


def dockerfile() -> list[Instruction]:
    """Parse the Dockerfile: comments dropped, continuation lines joined."""
    lines: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    found, stage = [], -1
    for line in lines:
        name, _, args = line.partition(" ")
        if name.upper() == "FROM":
            stage += 1
        found.append(Instruction(stage, name.upper(), args.strip()))
    return found


def one(instructions: list[Instruction], name: str) -> Instruction:
    """The one instruction of this kind."""
    (found,) = [i for i in instructions if i.name == name]
    return found


def image_env() -> dict[str, str]:
    """The final stage's ENV, as the container sees it."""
    env: dict[str, str] = {}
    for instruction in dockerfile():
        if instruction.name == "ENV" and instruction.stage == 1:
            for pair in shlex.split(instruction.args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def readme_commands() -> list[str]:
    """Every line of the README's shell code blocks, without comments."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]


def pip_install_targets(command: str) -> list[str]:
    """What a shell command installs with pip, options left out ("." for the project)."""
    targets = []
    for part in command.split("&&"):
        words = shlex.split(part)
        for i, word in enumerate(words[:-1]):
            if word.endswith("pip") and words[i + 1] == "install":
                targets += [w for w in words[i + 2 :] if not w.startswith("-")]
    return targets


def compose() -> dict[str, Any]:
    """The compose file (YAML anchors and merge keys resolved)."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def bot_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the bot (built from this Dockerfile)."""
    return {name: s for name, s in compose()["services"].items() if "build" in s}


def test_the_image_installs_the_project_the_way_the_readme_does() -> None:
    readme = [t for line in readme_commands() for t in pip_install_targets(line)]
    runs = [i for i in dockerfile() if i.name == "RUN" and i.stage == 0]
    image = [t for i in runs for t in pip_install_targets(i.args)]
    assert readme == ["requirements.lock", "."], (
        "the README's Going live installs the locked dependencies, then the project"
    )
    assert image[-2:] == ["requirements.lock", "."] and set(image) <= {
        ".",
        "pip",
        "requirements.lock",
    }
    assert all("--require-hashes" in i.args for i in runs if "requirements.lock" in i.args)
    copied = [i.args.split()[:-1] for i in dockerfile() if i.name == "COPY" and i.stage == 0]
    sources = {src for args in copied for src in args}
    # What the install needs: the lock, the project file, the readme it names, the package.
    assert {"requirements.lock", "pyproject.toml", "README.md", "bot"} <= sources


def test_the_image_runs_the_readme_command() -> None:
    instructions = dockerfile()
    entry = json.loads(one(instructions, "ENTRYPOINT").args)
    command = json.loads(one(instructions, "CMD").args)
    run = next(line for line in readme_commands() if "gutskin-bot run" in line)
    assert [*entry, *command] == ["gutskin-bot", "run"]
    assert Path(shlex.split(run)[0]).name == entry[0]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry[0] in scripts


def test_the_image_is_multi_stage_slim_and_not_root() -> None:
    instructions = dockerfile()
    stages = [i.args for i in instructions if i.name == "FROM"]
    assert len(stages) == 2 and all("-slim" in s for s in stages)
    user = one(instructions, "USER")
    assert user.stage == 1 and user.args not in ("root", "0")


def test_image_env_names_are_settings_and_the_ports_are_exposed() -> None:
    env = image_env()
    assert set(env) - NOT_SETTINGS <= SETTINGS
    exposed = one(dockerfile(), "EXPOSE").args.split()
    assert env["HEALTH_PORT"] in exposed and env["WEBHOOK_PORT"] in exposed
    assert env["HEALTH_HOST"] == env["WEBHOOK_LISTEN"] == "0.0.0.0"
    copies = [i.args.split() for i in dockerfile() if i.name == "COPY" and i.stage == 1]
    (workdir,) = [i.args for i in dockerfile() if i.name == "WORKDIR" and i.stage == 1]
    # The tips come from the image at TIPS_DIR; a volume mounted there replaces them.
    assert ["tips", "./tips"] in copies and env["TIPS_DIR"] == f"{workdir}/tips"
    volumes = json.loads(one(dockerfile(), "VOLUME").args)
    assert env["DATA_DIR"] in volumes


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's exec-form command."""
    args = one(dockerfile(), "HEALTHCHECK").args
    assert "/healthz" in args and "HEALTH_PORT" in args
    command: list[str] = json.loads(args[args.index("CMD") + 3 :].strip())
    return command


@pytest.fixture
async def health_stub() -> AsyncIterator[tuple[int, list[int]]]:
    """A /healthz answering the statuses put in the list (200 when empty)."""
    statuses: list[int] = []

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({}, status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port, statuses
    finally:
        await runner.cleanup()


async def _healthcheck(port: int) -> int:
    command = healthcheck_command()
    assert command[0] == "python"
    env = {"PATH": os.environ.get("PATH", ""), "HEALTH_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 30)


@pytest.mark.slow
async def test_the_healthcheck_passes_on_200_and_fails_on_503_or_silence(
    health_stub: tuple[int, list[int]],
) -> None:
    port, statuses = health_stub
    assert await _healthcheck(port) == 0
    statuses.append(503)
    assert await _healthcheck(port) != 0
    assert await _healthcheck(free_port()) != 0
    env = image_env()
    assert f"get('HEALTH_PORT', '{env['HEALTH_PORT']}')" in " ".join(healthcheck_command())


def test_compose_runs_two_replicas_on_postgres_with_at_most_one_poller() -> None:
    services = compose()["services"]
    (db_name,) = [n for n, s in services.items() if str(s.get("image", "")).startswith("postgres")]
    bots = bot_services()
    assert len(bots) >= 2
    takers = []
    for name, service in bots.items():
        env = service["environment"]
        assert set(env) <= SETTINGS, f"{name}: not settings: {set(env) - SETTINGS}"
        url = make_url(env["DATABASE_URL"])
        assert (url.drivername, url.host) == ("postgresql+asyncpg", db_name)
        assert service["depends_on"][db_name]["condition"] == "service_healthy"
        assert service["command"] == ["run"]
        if env.get("UPDATES", "polling") != "none":
            takers.append(env.get("UPDATES", "polling"))
        tips = [v for v in service.get("volumes", []) if v.split(":")[1] == image_env()["TIPS_DIR"]]
        assert tips, f"{name}: mount the content over the image's TIPS_DIR"
    assert takers.count("polling") <= 1 and takers, "one poller per bot token, and one at least"
    ids = [s["environment"]["REPLICA_ID"] for s in bots.values()]
    assert len(set(ids)) == len(ids)
    # Telegram's 30/s is per token: DELIVERY_RATE is the deployment's, the same on every
    # replica (they split it between the live ones, bot/runtime/replicas.py), under 30.
    rates = {float(s["environment"]["DELIVERY_RATE"]) for s in bots.values()}
    assert len(rates) == 1 and max(rates) <= 28


def _env_example_names() -> list[str]:
    text = (ROOT / ".env.example").read_text()
    return re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.M)


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    names = _env_example_names()
    assert sorted(set(names)) == sorted(names), "a variable listed twice"
    assert set(names) == SETTINGS


def test_readme_configuration_table_names_only_settings_and_documents_production() -> None:
    readme = (ROOT / "README.md").read_text()
    table = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.M)
    assert set(table) <= SETTINGS
    assert set(table) >= MINE
    assert "docs/OPERATIONS.md" in readme
    assert (ROOT / "docs" / "OPERATIONS.md").is_file()
