"""The triage model: fitted on the case files as they are, read as scikit-learn fitted it, and a
second opinion that catches what the rules miss without alarming on calm messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import runpy
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.content.loader import Content
from bot.db.engine import Database
from bot.db.models import Question
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher
from bot.faq.model import THRESHOLD, TriageModel, features, off_topic_in, shipped_model
from bot.faq.urgent import detect_urgent
from tests.conftest import ROOT
from tests.faq.conftest import faq_entry


def _trainer() -> SimpleNamespace:
    """The fitting script's functions (it is a script, not a module of the bot)."""
    return SimpleNamespace(**runpy.run_path(str(ROOT / "scripts" / "train_triage_model.py")))


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return shipped_model()


def test_the_shipped_model_was_fitted_on_the_case_files_as_they_are(model: TriageModel) -> None:
    trainer = _trainer()
    assert model.trained_on == trainer.digest(trainer.case_files()), (
        "a case file changed since the triage model was fitted: run "
        "scripts/train_triage_model.py (after pip install 'scikit-learn~=1.9') and commit the "
        "model"
    )
    assert "heldout_cases.yaml" not in [p.name for p in trainer.case_files()]


def test_the_plain_python_scorer_says_what_scikit_learn_said(model: TriageModel) -> None:
    assert len(model.checks) >= 5
    for text, said in model.checks:
        ours = list(model.probabilities(text).values())
        assert ours == pytest.approx(said, abs=1e-4), text


def test_the_faq_ranking_says_what_scikit_learn_said(model: TriageModel) -> None:
    assert len(model.faq_checks) >= 5 and len(model.faq_entries) >= 50
    for text, said in model.faq_checks:
        assert model.entry_scores(text) == pytest.approx(said, abs=1e-4), text


def test_the_matchers_choices_are_ordered_by_the_model(content: Content) -> None:
    # The matcher put the children's entry first for a mother asking about her daughter's acne
    # and food (blind batch 216); the model, fitted on the cases, puts the diet entry first.
    matcher = FaqMatcher(content.faq)
    typed = "Jerawat anak perempuan saya makin teruk, ada kaitan dengan makanan dia ke?"
    result = matcher.match(typed, language="ms")
    assert result.kind == "ambiguous" and result.candidates[0].entry_id == "children-gut-skin"
    reply = questions.triage(content, matcher, typed, "ms")
    assert reply.outcome == "ambiguous" and reply.entries[0].id == "acne-and-diet"
    assert {e.id for e in reply.entries} == {c.entry_id for c in result.candidates}


def test_an_entry_the_model_never_saw_keeps_the_matchers_order(model: TriageModel) -> None:
    assert model.rank("probiotics for eczema", ["probiotics-for-skin", "a-new-entry"]) is None
    ranked = model.rank("probiotics for eczema", ["eczema-and-diet", "probiotics-for-skin"])
    assert ranked is not None and sorted(ranked) == ["eczema-and-diet", "probiotics-for-skin"]


def test_features_are_letters_within_words_then_words_and_pairs() -> None:
    got = features("Mati ok")
    assert got[:4] == [" ma", "mat", "ati", "ti "]
    assert " mati" in got and "mati " in got and " ok " in got and " m" not in got
    assert got[-3:] == ["w:mati", "w:ok", "b:mati ok"]
    assert features("x" * 5000).count(" xx") == 1  # only the first MAX_CHARS are read


def test_calm_case_messages_get_no_alarm_from_the_model(
    content: Content, model: TriageModel
) -> None:
    # The model learned from these, so this guards the fit and the threshold, not new words: a
    # message here is a false alarm a patient would see (a fit stopped early had nine).
    trainer = _trainer()
    matcher = FaqMatcher(content.faq)
    calm = [
        t
        for f in trainer.case_files()
        for t, label in trainer.labelled(f)
        if label in ("calm", "offtopic")
    ]
    flagged = {
        t
        for t in calm
        if model.verdict(t) is not None  # the cheap part first; then what a patient would get
        and questions.triage(content, matcher, t, "en").sign_id in ("model-crisis", "model-urgent")
    }
    assert len(calm) > 15_000
    assert flagged == set()


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        # Written for this test, in words no sign lists (the rules find nothing in them).
        ("i gave my guitar away today and wrote a letter to each of my sisters", "crisis"),
        ("tonight i finally let the river have me", "crisis"),
    ],
)
def test_what_the_rules_miss_the_model_may_catch(
    content: Content, model: TriageModel, typed: str, kind: str
) -> None:
    assert detect_urgent(typed, content.urgent) is None
    verdict = model.verdict(typed)
    assert verdict is not None and verdict[0] == kind and verdict[1] >= THRESHOLD[kind]
    reply = questions.triage(content, FaqMatcher(content.faq), typed, "en")
    assert (reply.outcome, reply.sign_id, reply.entries) == (kind, f"model-{kind}", ())


@pytest.mark.parametrize(
    "typed", ["does dairy cause acne?", "bye nk tidur dh", "", "😭😭😭", "发烧 皮疹"]
)
def test_everyday_and_odd_messages_stay_below_the_threshold(model: TriageModel, typed: str) -> None:
    assert model.verdict(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "Could you recommend a decent nasi lemak place near KLCC?",
        "Do you happen to know whether it will rain in Petaling Jaya this evening?",
    ],
)
def test_a_question_about_something_else_gets_the_honest_fallback(
    content: Content, model: TriageModel, typed: str
) -> None:
    # A keyword met ("nasi lemak", a branch's town) but the message is about something else.
    matcher = FaqMatcher(content.faq)
    assert matcher.match(typed, language="en").kind in ("confident", "ambiguous")
    assert off_topic_in(model.probabilities(typed))
    reply = questions.triage(content, matcher, typed, "en")
    assert (reply.outcome, reply.entries) == ("unanswered", ())


def test_an_entry_added_after_the_fit_keeps_its_answers(
    content: Content, model: TriageModel
) -> None:
    # The clinic adds an entry the model never saw; a question the model calls off-topic
    # (it learned nasi lemak places as such) still gets the new entry's answer.
    typed = "Could you recommend a decent nasi lemak place near KLCC?"
    assert off_topic_in(model.probabilities(typed))
    added = faq_entry(
        "nasi-lemak-places",
        ("Where is good nasi lemak near the clinic?", "Nasi lemak sedap dekat klinik?"),
        ("nasi lemak place", "nasi lemak klcc", "nasi lemak"),
        ("kedai nasi lemak", "nasi lemak"),
    )
    grown = dataclasses.replace(content, faq=(*content.faq, added))
    reply = questions.triage(grown, FaqMatcher(grown.faq), typed, "en")
    assert reply.outcome in ("answered", "ambiguous")
    assert reply.entries[0].id == "nasi-lemak-places"


def test_the_model_keeps_the_faqs_answers(content: Content) -> None:
    matcher = FaqMatcher(content.faq)
    for typed, entry in (
        ("does dairy cause acne?", "dairy-and-acne"),
        ("probiotik untuk ekzema", "probiotics-for-skin"),
    ):
        reply = questions.triage(content, matcher, typed, "en")
        assert reply.outcome in ("answered", "ambiguous") and reply.entries[0].id == entry


def test_the_model_is_asked_before_small_talk(content: Content) -> None:
    # A goodbye can be a farewell; a plain one is small talk (the model learned both).
    matcher = FaqMatcher(content.faq)
    farewell = questions.triage(content, matcher, "selamat tinggal semua 🥀", "ms")
    assert (farewell.outcome, farewell.sign_id) == ("crisis", "model-crisis")
    assert questions.triage(content, matcher, "bye, nk tidur dh", "ms").outcome == "smalltalk"


async def test_a_crisis_the_model_caught_stores_none_of_its_words(
    db: Database, content: Content
) -> None:
    typed = "i gave my guitar away today and wrote a letter to each of my sisters"
    reply = questions.triage(content, FaqMatcher(content.faq), typed, "en")
    now = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
    async with db.session() as session:
        await questions.record(session, reply, typed, "en", now)
    async with db.session() as session:
        (row,) = (await session.scalars(select(Question))).all()
    assert (row.outcome, row.entry_id, row.text) == ("crisis", "model-crisis", None)
