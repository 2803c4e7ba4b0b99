"""Stats: seeded rows in, the numbers admins see out, on SQLite and PostgreSQL; the chart."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import yaml

from bot.admin import stats
from bot.admin.charts import Labels, date_ticks, delivery_rows, overview_figure, overview_png
from bot.content.models import FaqFile
from bot.db.engine import Database
from bot.db.models import BookingIntent, Delivery, Question, Subscriber

KL = "Asia/Kuala_Lumpur"
NOW = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # 10:00 on 21/11 in Kuala Lumpur
TODAY = dt.date(2026, 11, 21)


def _ago(days: int, hours: int = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours)


async def _seed(db: Database) -> dict[str, int]:
    people = {
        # name: (status, consented days ago, last change days ago, source)
        "old": ("active", 40, 40, "ig"),
        "recent": ("active", 3, 3, "ig"),
        "left": ("unsubscribed", 3, 1, None),
        "gone_long_ago": ("blocked", 35, 35, "qr"),
        "only_started": ("new", None, 0, None),
        "paused_today": ("paused", 0, 0, "ig"),
    }
    ids: dict[str, int] = {}
    async with db.session() as session:
        for number, (name, (status, consented, changed, source)) in enumerate(people.items()):
            row = Subscriber(
                chat_id=1000 + number,
                user_id=1000 + number,
                language="en",
                timezone=KL,
                send_time=dt.time(8, 0),
                status=status,
                source=source,
                consented_at=None if consented is None else _ago(consented),
                created_at=_ago(consented or 0),
                updated_at=_ago(changed),
            )
            session.add(row)
            await session.flush()
            ids[name] = row.id
        deliveries = [
            # subscriber, local days ago, tip, status, feedback
            ("old", 0, "t1", "sent", "helpful"),
            ("recent", 0, "t1", "sent", "helpful"),
            ("old", 1, "t2", "sent", "not_helpful"),
            ("recent", 1, "t2", "failed", None),
            ("left", 1, "t3", "blocked", None),
            ("left", 2, "t3", "sent", "helpful"),
            ("recent", 2, "t3", "sent", "not_helpful"),
            ("old", 2, "t3", "missed", None),
            ("old", 40, "t4", "sent", "not_helpful"),  # outside the window, still a vote
        ]
        for name, days, tip, status, feedback in deliveries:
            session.add(
                Delivery(
                    subscriber_id=ids[name],
                    local_date=TODAY - dt.timedelta(days=days),
                    due_at=_ago(days),
                    tip_id=tip,
                    status=status,
                    attempts=1,
                    feedback=feedback,
                    created_at=_ago(days),
                    updated_at=_ago(days),
                )
            )
        questions = [
            ("answered", "gut-skin-axis", None, 1),
            ("answered", "gut-skin-axis", None, 2),
            ("answered", "dairy-acne", None, 3),
            ("unanswered", None, "Is coffee bad for eczema?", 1),
            ("unanswered", None, "Boleh makan durian jika ada jerawat?", 0),
            ("ambiguous", None, "probiotic yogurt", 5),
            ("urgent", "anaphylaxis", None, 2),
            ("unanswered", None, "An old question", 45),
        ]
        for outcome, entry, text, days in questions:
            session.add(
                Question(
                    outcome=outcome,
                    entry_id=entry,
                    text=text,
                    language="ms" if text and "durian" in text else "en",
                    created_at=_ago(days),
                )
            )
        for clinic, origin, days in [
            ("cheras", "tip:t1", 1),
            ("cheras", "faq:dairy-acne", 2),
            ("pj", "tip:t1", 3),
            ("setia-alam", "menu", 60),
        ]:
            session.add(BookingIntent(clinic_id=clinic, origin=origin, created_at=_ago(days)))
        await session.commit()
    return ids


async def test_the_report_counts_what_was_seeded(db: Database) -> None:
    await _seed(db)
    async with db.session() as session:
        found = await stats.report(session, NOW, KL, days=30)
    assert (found.start, found.end) == (TODAY - dt.timedelta(days=29), TODAY)
    assert found.total == 6
    assert found.statuses == Counter(active=2, unsubscribed=1, blocked=1, new=1, paused=1)
    assert len(found.days) == 30
    by_day = {d.date: d for d in found.days}
    # One subscription stood before the window (two began, one of them ended long ago).
    assert by_day[TODAY - dt.timedelta(days=29)].subscribed == 1
    assert (
        by_day[TODAY - dt.timedelta(days=3)].new,
        by_day[TODAY - dt.timedelta(days=3)].subscribed,
    ) == (2, 3)
    assert (
        by_day[TODAY - dt.timedelta(days=1)].lost,
        by_day[TODAY - dt.timedelta(days=1)].subscribed,
    ) == (1, 2)
    assert (by_day[TODAY].new, by_day[TODAY].subscribed) == (1, 3)  # = active + paused now
    assert (found.new, found.lost) == (3, 1)
    assert by_day[TODAY].deliveries == Counter(sent=2)
    assert by_day[TODAY - dt.timedelta(days=1)].deliveries == Counter(sent=1, failed=1, blocked=1)
    assert found.deliveries == Counter(sent=5, failed=1, blocked=1, missed=1)
    # Feedback counts all time, by net helpfulness: t1 +2, t3 0 (1 and 1), t2 -1, t4 -1.
    assert [(s.tip_id, s.helpful, s.not_helpful) for s in found.most_helpful] == [("t1", 2, 0)]
    assert [(s.tip_id, s.helpful, s.not_helpful) for s in found.least_helpful] == [
        ("t2", 0, 1),
        ("t4", 0, 1),
    ]
    assert found.rated_tips == 4
    assert found.questions == Counter(answered=3, unanswered=2, ambiguous=1, urgent=1)
    assert found.top_answers == [("gut-skin-axis", 2), ("dairy-acne", 1)]
    assert [q.text for q in found.open_questions] == [
        "Boleh makan durian jika ada jerawat?",
        "Is coffee bad for eczema?",
        "probiotic yogurt",
    ]
    assert found.bookings_by_branch == [("cheras", 2), ("pj", 1)]
    assert found.bookings_by_origin == [("tip:t1", 2), ("faq:dairy-acne", 1)]
    assert found.sources == [("ig", 3, 3), (None, 2, 0), ("qr", 1, 0)]


async def test_an_empty_database_reports_zeros(db: Database) -> None:
    async with db.session() as session:
        found = await stats.report(session, NOW, KL, days=7)
    assert found.total == 0 and found.new == 0 and found.lost == 0
    assert [d.subscribed for d in found.days] == [0] * 7
    assert found.most_helpful == [] and found.open_questions == [] and found.sources == []


async def test_an_unanswered_question_becomes_a_valid_faq_draft(db: Database) -> None:
    await _seed(db)
    async with db.session() as session:
        [newest, *_] = await stats.open_questions(session)
        assert await stats.question(session, newest.id) == newest
        assert await stats.question(session, 10_000) is None
    snippet = stats.faq_draft(newest, TODAY, topics=("diet", "conditions"))
    assert snippet.startswith(f"# Draft from question #{newest.id} (unanswered, ms).")
    entries = FaqFile.model_validate(yaml.safe_load(snippet)).faq
    [entry] = entries
    assert entry.id == "boleh-makan-durian-jika-ada-jerawat"
    assert entry.topic == "diet"
    assert entry.text["ms"].question == "Boleh makan durian jika ada jerawat?"
    assert entry.text["en"].question.startswith("TODO (en): ")
    assert entry.keywords["ms"] == ("boleh makan durian jika ada jerawat",)
    assert entry.review.status == "draft" and entry.review.on == TODAY


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("??", "question-7"),
        (
            "Kenapa kulit saya gatal selepas makan udang???",
            "kenapa-kulit-saya-gatal-selepas-makan-ud",
        ),
    ],
)
def test_draft_ids_fit_the_content_rules(text: str, entry_id: str) -> None:
    question = stats.OpenQuestion(7, text, "ms", "unanswered", NOW)
    [entry] = FaqFile.model_validate(yaml.safe_load(stats.faq_draft(question, TODAY))).faq
    assert entry.id == entry_id


def test_the_chart_is_a_png_of_both_series() -> None:
    days = [
        stats.Day(
            TODAY - dt.timedelta(days=i), 10 + i, i % 3, i % 2, Counter(sent=5, expired=1, missed=2)
        )
        for i in range(30)
    ][::-1]
    labels = Labels("Subscribers", "Daily tips", "Subscribed", "New", "Lost", {"sent": "Sent"})
    png = overview_png(days, labels)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    rows = delivery_rows(days)
    assert (rows["sent"][0], rows["failed"][0], rows["blocked"][0], rows["other"][0]) == (
        5,
        1,
        0,
        2,
    )


def _launch_days(count: int) -> list[stats.Day]:
    """The issue's picture: 122 new on the last day, 123 subscribed then."""
    days = [stats.Day(TODAY - dt.timedelta(days=count - 1 - i), 1, 0, 0) for i in range(count)]
    days[-1] = stats.Day(TODAY, 123, 122, 1, Counter(sent=120, blocked=3))
    return days


def test_the_subscribers_panel_has_one_scale_for_the_line_and_the_bars() -> None:
    labels = Labels("Subscribers", "Daily tips", "Subscribed", "New", "Lost", {"sent": "Sent"})
    figure = overview_figure(_launch_days(30), labels)
    top, bottom = figure.axes  # no twin axis with its own range
    [line] = top.get_lines()[1:]  # after the zero line
    assert line.get_label() == "Subscribed" and max(line.get_ydata()) == 123
    tallest_bar = max(patch.get_height() for patch in top.patches)
    assert tallest_bar == 122
    low, high = top.get_ylim()
    assert low < -1 and high > 123  # both bars and the line fit on this one axis
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["Subscribed", "New", "Lost"]


@pytest.mark.parametrize("count", [1, 7, 10, 11, 29, 30, 31])
def test_the_last_days_bar_has_its_date_under_it(count: int) -> None:
    days = _launch_days(count)
    positions, labels = date_ticks(days)
    assert positions[-1] == count - 1 and labels[-1] == f"{TODAY:%d/%m}"
    assert len(positions) <= 10 and positions == sorted(set(positions))
    figure = overview_figure(days, Labels("S", "D", "Subscribed", "New", "Lost", {}))
    shown = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    assert shown[-1] == f"{TODAY:%d/%m}"
