"""`gutskin-bot tips ...` and `gutskin-bot admins ...`: same validation and audit as Telegram."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.admin.admins import CLI_ACTOR
from bot.cli.admin import Progress, add_parsers, dispatch
from bot.config import Settings, load_settings
from bot.content import store as content_store
from bot.content.errors import ContentError
from bot.content.loader import Content
from bot.content.transfer import parse_file
from bot.db.models import AuditEntry, ContentTip
from tests.conftest import TIPS_DIR, DbTarget

OWNER = 900001


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gutskin-bot")
    add_parsers(parser.add_subparsers(required=True))
    return parser.parse_args(argv)


@pytest.fixture
def settings(db_target: DbTarget) -> Settings:
    return load_settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        tips_dir=TIPS_DIR,
        admin_ids=(OWNER,),
    )


async def gutskin(settings: Settings, *argv: str) -> int:
    return await dispatch(parse(*argv), settings)


async def audit_rows(settings: Settings) -> list[AuditEntry]:
    db = settings.open_database()
    try:
        async with db.session() as session:
            return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    finally:
        await db.close()


async def test_admins_add_list_remove_log_as_the_command_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await gutskin(settings, "admins", "add", "555") == 0
    out = capsys.readouterr().out
    assert out.startswith("555 is now an admin (audited, actor 0 = the command line)")
    assert await gutskin(settings, "admins", "add", "555") == 0
    assert capsys.readouterr().out == "555 is already an admin; nothing changed\n"
    assert await gutskin(settings, "admins", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == f"owner {OWNER} (ADMIN_IDS)"
    assert listing[1].startswith("admin 555 (added by 0 on ")
    assert await gutskin(settings, "admins", "remove", "555") == 0
    assert capsys.readouterr().out.startswith("555 is no longer an admin")
    rows = await audit_rows(settings)
    assert [(r.actor_id, r.action, r.target) for r in rows] == [
        (CLI_ACTOR, "admins.add", "555"),
        (CLI_ACTOR, "admins.remove", "555"),
    ]
    assert await gutskin(settings, "admins", "log") == 0
    log = capsys.readouterr().out.splitlines()
    assert log[0].endswith("command line: admins.remove 555") and log[0].startswith("#2 ")


async def test_admins_refuses_owners_and_bad_ids(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await gutskin(settings, "admins", "add", str(OWNER)) == 0
    assert "is an owner (ADMIN_IDS)" in capsys.readouterr().out
    assert await gutskin(settings, "admins", "add", "-4") == 2
    assert capsys.readouterr().err == "gutskin-bot: error: -4 is not a Telegram user id\n"
    assert await audit_rows(settings) == []


@pytest.mark.slow
async def test_export_then_check_and_import_the_same_files_changes_nothing(
    settings: Settings, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await gutskin(settings, "tips", "export", "--out", str(tmp_path)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"wrote {tmp_path / 'tips.yaml'} ({len(content.tips)} tips)",
        f"wrote {tmp_path / 'faq.yaml'} ({len(content.faq)} FAQ entries)",
        f"wrote {tmp_path / 'schedule.yaml'} (0 dated changes)",
    ]
    for name in ("tips.yaml", "faq.yaml", "schedule.yaml"):
        assert await gutskin(settings, "tips", "check", str(tmp_path / name)) == 0
        assert "checked: nothing was changed" not in capsys.readouterr().out
        assert await gutskin(settings, "tips", "import", str(tmp_path / name)) == 0
        assert capsys.readouterr().out.endswith("nothing to change: it matches what runs now\n")
    assert await gutskin(settings, "tips", "check") == 0
    assert capsys.readouterr().out.startswith(f"content OK: {len(content.tips)} tips in use (0 ")
    assert await audit_rows(settings) == []


async def test_import_an_edited_tips_file_applies_it_all_with_actor_zero(
    settings: Settings, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await gutskin(settings, "tips", "export", "--out", str(tmp_path), "--only", "tips")
    path = tmp_path / "tips.yaml"
    data = yaml.safe_load(path.read_text())
    first, dropped = data["tips"][0], data["tips"][-1]
    first["text"]["en"]["title"] = "A clearer title"
    data["tips"].pop()
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    capsys.readouterr()

    assert await gutskin(settings, "tips", "import", "--dry-run", str(path)) == 0
    assert capsys.readouterr().out.endswith("checked: nothing was changed\n")
    assert await audit_rows(settings) == []

    assert await gutskin(settings, "tips", "import", str(path)) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "tips.yaml: a tips file",
        "  added: 0",
        f"  changed: 1 ({first['id']})",
        f"  retired: 1 ({dropped['id']})",
        "imported tips.yaml (audit #1, actor 0 = the command line)",
    ]
    assert captured.err == f"importing [{'#' * 30}] 2/2\n"
    (entry,) = await audit_rows(settings)
    assert (entry.actor_id, entry.action, entry.target) == (CLI_ACTOR, "import.tips", "tips.yaml")
    assert set(json.loads(entry.after or "")["tips"]) == {first["id"], dropped["id"]}
    db = settings.open_database()
    try:
        async with db.session() as session:
            library = await content_store.current_library(session, content)
    finally:
        await db.close()
    assert library.tip(dropped["id"]) is None
    found = library.tip(first["id"])
    assert found is not None and found.text["en"].title == "A clearer title"


async def test_an_invalid_file_is_refused_with_every_problem_and_nothing_changes(
    settings: Settings, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await gutskin(settings, "tips", "export", "--out", str(tmp_path), "--only", "tips")
    path = tmp_path / "tips.yaml"
    data = yaml.safe_load(path.read_text())
    data["tips"][0]["text"]["en"]["title"] = "x" * 81
    data["tips"][1]["text"].pop("ms")
    data["tips"][2]["text"]["en"]["body"] = "<b>Bold</b> " + data["tips"][2]["text"]["en"]["body"]
    data["tips"][3]["id"] = data["tips"][4]["id"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    capsys.readouterr()
    assert await gutskin(settings, "tips", "import", str(path)) == 2
    err = capsys.readouterr().err.splitlines()
    with pytest.raises(ContentError) as caught:
        parse_file(path.read_bytes(), "tips.yaml", content.catalogs)
    # The same validation as a file sent in Telegram, every problem listed.
    assert err == [f"gutskin-bot: content error: {p}" for p in caught.value.problems]
    assert len(err) == 4
    assert "entry 1 (" in err[0] and "text.en.title: String should have at most 80" in err[0]
    assert "entry 2 (" in err[1] and "text: missing language(s): ms" in err[1]
    assert "entry 3 (" in err[2] and "text.en.body: HTML tags are not allowed" in err[2]
    assert err[3].endswith(f"tips.yaml: (top level): duplicate tip id {data['tips'][4]['id']!r}")
    assert await audit_rows(settings) == []
    db = settings.open_database()
    try:
        async with db.session() as session:
            assert list(await session.scalars(select(ContentTip))) == []
    finally:
        await db.close()


async def test_a_schedule_naming_an_unknown_tip_is_refused(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await gutskin(settings, "tips", "export", "--out", str(tmp_path), "--only", "schedule")
    path = tmp_path / "schedule.yaml"
    data = yaml.safe_load(path.read_text())
    data["dates"] = [
        {"date": "2031-01-01", "tip": "no-such-tip"},
        {"date": "2031-01-02", "skip": True},
    ]
    data["weekdays"]["monday"] = "hydration"
    path.write_text(yaml.safe_dump(data))
    capsys.readouterr()
    assert await gutskin(settings, "tips", "import", str(path)) == 2
    assert capsys.readouterr().err.splitlines() == [
        "gutskin-bot: content error: schedule.yaml: dates: 2031-01-01: unknown tip 'no-such-tip'"
    ]
    data["dates"] = data["dates"][1:]
    path.write_text(yaml.safe_dump(data))
    assert await gutskin(settings, "tips", "import", str(path)) == 0
    assert "  changed: 1 (monday)" in capsys.readouterr().out


async def test_a_bad_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", tips_dir=TIPS_DIR
    )
    assert await gutskin(settings, "admins", "list") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("gutskin-bot: DATABASE_URL: cannot open the database")


def test_progress_bar_redraws_on_a_terminal() -> None:
    class Terminal:
        def __init__(self) -> None:
            self.written = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            self.written += text

        def flush(self) -> None:
            pass

    terminal = Terminal()
    bar = Progress("importing", terminal, width=4)  # type: ignore[arg-type]
    for done in range(1, 5):
        bar(done, 4)
    assert terminal.written == (
        "\rimporting [#---] 1/4\rimporting [##--] 2/4\rimporting [###-] 3/4\rimporting [####] 4/4\n"
    )
