"""Clinical review: the rules (a table), decisions stored and audited, the gate, the CLI."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.admin import admins, review
from bot.cli.admin import add_parsers, dispatch
from bot.cli.commands import _upgrade, main
from bot.cli.review import refuse_to_run
from bot.config import Settings, load_settings
from bot.content import store as content_store
from bot.content.library import Library
from bot.content.loader import Content
from bot.content.placeholders import clinic_placeholders
from bot.content.transfer import with_text
from bot.db.engine import Database
from bot.db.models import AuditEntry
from tests.conftest import TIPS_DIR, DbTarget

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
OWNER, REVIEWER, OTHER_REVIEWER, AUTHOR = 900001, 700001, 700002, 800001
S = review.Status


def approved(fp: str = "a", expires: dt.datetime | None = None) -> review.Decision:
    return review.Decision(fp, "approved", REVIEWER, NOW - DAY, expires)


@pytest.mark.parametrize(
    ("fp", "file_reviewed", "latest", "expected"),
    [
        ("a", False, None, S.NEW),
        ("a", True, None, S.REVIEWED),  # the repository's file says reviewed, unchanged
        ("a", False, approved(), S.REVIEWED),
        ("b", False, approved("a"), S.EDITED),  # an edit puts it back in the queue
        ("b", True, approved("a"), S.REVIEWED),  # put back exactly as the reviewed file
        ("a", False, approved(expires=NOW - DAY), S.EXPIRED),
        ("a", False, approved(expires=NOW), S.EXPIRED),
        ("a", False, approved(expires=NOW + 10 * DAY), S.EXPIRING),
        ("a", False, approved(expires=NOW + 60 * DAY), S.REVIEWED),
        ("a", True, review.Decision("a", "returned", REVIEWER, NOW, None, "no"), S.RETURNED),
        ("b", False, review.Decision("a", "returned", REVIEWER, NOW, None, "no"), S.EDITED),
    ],
)
def test_status_of(
    fp: str, file_reviewed: bool, latest: review.Decision | None, expected: review.Status
) -> None:
    assert review.status_of(fp, file_reviewed=file_reviewed, latest=latest, now=NOW) == expected


@pytest.mark.parametrize(
    ("actor", "author", "expected"),
    [
        (REVIEWER, None, None),
        (REVIEWER, AUTHOR, None),
        (REVIEWER, REVIEWER, "admin_review_own_change"),
        (OWNER, None, "admin_review_not_reviewer"),  # owners and admins are not clinicians
        (AUTHOR, AUTHOR, "admin_review_not_reviewer"),
    ],
)
def test_who_may_decide(actor: int, author: int | None, expected: str | None) -> None:
    assert review.refusal(actor, reviewers=frozenset({REVIEWER}), author=author) == expected


def test_the_fingerprint_ignores_the_review_label_only() -> None:
    data = {"id": "x", "review": {"status": "draft"}, "text": {"en": "a"}}
    relabelled = {**data, "review": {"status": "reviewed"}}
    reworded = {**data, "text": {"en": "b"}}
    assert review.fingerprint(data) == review.fingerprint(relabelled)
    assert review.fingerprint(data) != review.fingerprint(reworded)


def test_every_shipped_placeholder_is_listed(content: Content) -> None:
    found = clinic_placeholders(content.clinics)
    for clinic in content.clinics:
        mine = [line for line in found if line.startswith(f"clinic {clinic.id!r}")]
        fields = {line.split()[2].rstrip(":") for line in mine}
        assert {"address", "hours.en", "hours.ms", "phone", "whatsapp", "booking_url"} <= fields
        assert "map_url" not in fields  # a real Google Maps search, not a placeholder
    real = content.clinics[0].model_copy(
        update={
            "address": "12 Jalan Cerdas, Taman Connaught",
            "hours": {"en": "Mon-Sat 9:00-18:00", "ms": "Isnin-Sabtu 9:00-18:00"},
            "phone": "+60 3-9101 2345",
            "whatsapp": "60391012345",
            "booking_url": "https://nextmed.my/book",
        }
    )
    assert clinic_placeholders([real]) == []


async def make_reviewer(db: Database, user_id: int) -> None:
    async with db.session() as session:
        await admins.add_admin(
            session, actor=OWNER, user_id=user_id, owners=(OWNER,), now=NOW, role="reviewer"
        )


async def decide(
    db: Database, content: Content, kind: str, item_id: str, actor: int, **kw: object
) -> review.Item:
    async with db.session() as session:
        item = await review.find(session, content, kind, item_id, NOW)
        assert item is not None
        return await review.decide(
            session,
            content,
            kind=kind,
            item_id=item_id,
            fp=item.fingerprint,
            actor=actor,
            now=NOW,
            **kw,  # type: ignore[arg-type]
        )


async def gated(db: Database, content: Content, when: dt.datetime = NOW) -> Library:
    async with db.session() as session:
        library = await content_store.current_library(session, content)
        return await review.gate_library(session, content, library, when)


async def test_only_approved_tips_pass_the_gate_and_an_edit_sends_one_back(
    db: Database, content: Content
) -> None:
    await make_reviewer(db, REVIEWER)
    await make_reviewer(db, OTHER_REVIEWER)
    assert (await gated(db, content)).tips == ()  # everything shipped is a draft
    tip = content.tips[0]
    item = await decide(db, content, review.TIP, tip.id, REVIEWER, approve=True, valid_days=365)
    assert item.status == S.REVIEWED and item.decision is not None
    assert item.decision.expires_at == NOW + 365 * DAY
    assert [t.id for t in (await gated(db, content)).tips] == [tip.id]
    # A year on, the approval has run out: back in the queue, out of delivery.
    assert (await gated(db, content, NOW + 366 * DAY)).tips == ()

    # The other reviewer edits it: back in the queue, and they cannot approve their own edit.
    edited = with_text(tip, "en", "try_today", "Add one extra portion of vegetables today.")
    async with db.session() as session:
        await content_store.apply(
            session,
            content,
            content_store.tips_change(content, {tip.id: (edited, False)}),
            actor=OTHER_REVIEWER,
            action="tips.edit",
            target=tip.id,
            now=NOW,
        )
        item_now = await review.find(session, content, review.TIP, tip.id, NOW)
    assert item_now is not None and item_now.status == S.EDITED
    assert item_now.author == OTHER_REVIEWER
    assert (await gated(db, content)).tips == ()
    with pytest.raises(review.ReviewRefused) as refused:
        await decide(db, content, review.TIP, tip.id, OTHER_REVIEWER, approve=True)
    assert refused.value.key == "admin_review_own_change"
    again = await decide(db, content, review.TIP, tip.id, REVIEWER, approve=True, valid_days=0)
    assert again.status == S.REVIEWED and again.decision and again.decision.expires_at is None
    assert (await gated(db, content)).tips[0].text["en"].try_today.startswith("Add one extra")

    async with db.session() as session:
        rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    reviews = [(r.actor_id, r.action, r.target) for r in rows if r.action.startswith("review.")]
    assert reviews == [
        (REVIEWER, "review.approve", f"tip:{tip.id}"),
        (REVIEWER, "review.approve", f"tip:{tip.id}"),
    ]


async def test_send_back_needs_a_comment_and_keeps_it_for_the_author(
    db: Database, content: Content
) -> None:
    await make_reviewer(db, REVIEWER)
    entry = content.faq[0]
    with pytest.raises(review.ReviewRefused) as refused:
        await decide(db, content, review.FAQ, entry.id, REVIEWER, approve=False, comment=" ")
    assert refused.value.key == "admin_review_comment_needed"
    with pytest.raises(review.ReviewRefused) as refused:
        await decide(db, content, review.FAQ, entry.id, OWNER, approve=True)
    assert refused.value.key == "admin_review_not_reviewer"
    item = await decide(
        db, content, review.FAQ, entry.id, REVIEWER, approve=False, comment="Cite the source"
    )
    assert (
        item.status == S.RETURNED and item.decision and item.decision.comment == "Cite the source"
    )
    async with db.session() as session:
        assert await review.live_faq(session, content, content.faq, NOW) == ()
        found = await review.items(session, content, NOW)
        query = select(AuditEntry).where(AuditEntry.action == "review.return")
        entry_row = (await session.scalars(query)).one()
    assert review.queue(found)[-1].key == f"faq:{entry.id}"  # sent back comes last
    assert json.loads(entry_row.after or "{}")["comment"] == "Cite the source"


async def test_a_decision_on_wording_that_changed_since_it_was_read_is_refused(
    db: Database, content: Content
) -> None:
    await make_reviewer(db, REVIEWER)
    async with db.session() as session:
        with pytest.raises(review.ReviewRefused) as refused:
            await review.decide(
                session,
                content,
                kind=review.TIP,
                item_id=content.tips[0].id,
                fp="not-what-is-there",
                actor=REVIEWER,
                approve=True,
                now=NOW,
            )
    assert refused.value.key == "admin_review_changed"


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


@pytest.mark.slow
async def test_review_status_and_reviewer_role_from_the_command_line(
    settings: Settings, content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await dispatch(parse("admins", "add", "--role", "reviewer", "700001"), settings) == 0
    assert capsys.readouterr().out.startswith("700001 is now a reviewer (audited")
    assert await dispatch(parse("admins", "list"), settings) == 0
    assert "reviewer 700001 (added by 0" in capsys.readouterr().out
    # An owner who is also a clinician can be a reviewer; as an admin they already are one.
    assert await dispatch(parse("admins", "add", str(OWNER)), settings) == 0
    assert capsys.readouterr().out.startswith(f"{OWNER} is an owner")
    assert await dispatch(parse("admins", "add", "--role", "reviewer", str(OWNER)), settings) == 0
    assert capsys.readouterr().out.startswith(f"{OWNER} is now a reviewer")
    db = settings.open_database()
    try:
        await decide(db, content, review.TIP, content.tips[0].id, REVIEWER, approve=True)
    finally:
        await db.close()
    assert await dispatch(parse("tips", "review-status"), settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"tips: {len(content.tips)}",
        "  reviewed: 1",
        f"  new (never reviewed): {len(content.tips) - 1}",
    ]
    assert f"  new (never reviewed): {len(content.faq)}" in out


def run_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], **env: str
) -> tuple[int, list[str]]:
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    for name, value in {
        "TELEGRAM_BOT_TOKEN": "123456:not-used-the-run-stops-before",
        "TIPS_DIR": str(TIPS_DIR),
        "DATA_DIR": str(tmp_path),
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    code = main(["run"])
    return code, capsys.readouterr().err.strip().splitlines()


def test_run_refuses_placeholder_clinics_then_nothing_reviewed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run_cli(monkeypatch, tmp_path, capsys)
    assert code == 2
    (line,) = lines
    assert line.startswith("gutskin-bot: tips/clinics.yaml still has 18 placeholder detail(s)")
    assert line.endswith("or set ALLOW_PLACEHOLDER_CLINICS=true")

    code, lines = run_cli(monkeypatch, tmp_path, capsys, ALLOW_PLACEHOLDER_CLINICS="true")
    assert code == 2
    (line,) = lines
    assert line.startswith("gutskin-bot: CONTENT_REVIEW=required and no tip or FAQ entry")
    assert "admins add --role reviewer" in line


def test_run_starts_once_something_is_reviewed(tmp_path: Path, content: Content) -> None:
    settings = load_settings(
        data_dir=tmp_path, tips_dir=TIPS_DIR, allow_placeholder_clinics=True
    ).model_copy(update={"content_review": "required"})
    asyncio.run(_upgrade(settings))  # as `run` does before its checks
    assert refuse_to_run(settings, content) is not None

    async def approve_one() -> None:
        db = settings.open_database()
        try:
            await make_reviewer(db, REVIEWER)
            await decide(db, content, review.FAQ, content.faq[0].id, REVIEWER, approve=True)
        finally:
            await db.close()

    asyncio.run(approve_one())
    assert refuse_to_run(settings, content) is None
    off = settings.model_copy(update={"content_review": "off", "allow_placeholder_clinics": False})
    assert refuse_to_run(off, content) is not None  # placeholders are refused either way


async def test_export_carries_approvals_and_importing_it_keeps_them(
    settings: Settings, content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tip = content.tips[0]
    db = settings.open_database()
    try:
        await make_reviewer_migrated(settings, db)
        await decide(db, content, review.TIP, tip.id, REVIEWER, approve=True, valid_days=0)
        assert await dispatch(parse("tips", "export", "--out", str(tmp_path)), settings) == 0
        exported = yaml.safe_load((tmp_path / "tips.yaml").read_text())["tips"]
        mine = next(t for t in exported if t["id"] == tip.id)
        assert mine["review"] == {
            "status": "reviewed",
            "by": f"reviewer {REVIEWER}",
            "on": "2026-12-02",
        }
        assert (
            next(t for t in exported if t["id"] == content.tips[1].id)["review"]["status"]
            == "draft"
        )

        assert await dispatch(parse("tips", "import", str(tmp_path / "tips.yaml")), settings) == 0
        async with db.session() as session:
            item = await review.find(session, content, review.TIP, tip.id, NOW)
        assert item is not None and item.status == S.REVIEWED
    finally:
        await db.close()
    capsys.readouterr()


async def make_reviewer_migrated(settings: Settings, db: Database) -> None:
    await dispatch(parse("admins", "list"), settings)  # migrates the database
    await make_reviewer(db, REVIEWER)
