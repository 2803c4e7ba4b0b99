"""Consent (PDPA) and "Ask the clinic team" (#15), as a patient and the clinic's staff use them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from bot.admin import inbox
from bot.db.base import Base
from bot.db.models import AuditEntry, ConsentRecord, InboxItem, InboxStatus, Question, Subscriber
from bot.services import services_in
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons

STAFF_CHAT = 777001  # stands in for the staff group chat


@pytest.fixture(autouse=True)
def _clinic_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Name the data user and set a staff chat (read by the harness's settings)."""
    monkeypatch.setenv("CLINIC_NAME", "NextMed Clinic")
    monkeypatch.setenv("STAFF_CHAT_ID", str(STAFF_CHAT))


async def _rows(harness: Harness) -> dict[str, int]:
    """Every table's row count."""
    async with harness.db.session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def _items(harness: Harness) -> list[InboxItem]:
    async with harness.db.session() as session:
        return list(await session.scalars(select(InboxItem).order_by(InboxItem.id)))


async def _consents(harness: Harness, chat_id: int) -> list[ConsentRecord]:
    async with harness.db.session() as session:
        found = await session.scalars(
            select(ConsentRecord).where(ConsentRecord.chat_id == chat_id).order_by(ConsentRecord.id)
        )
        return list(found)


@pytest.mark.dialect  # "I agree" stores the chat with an upsert written per database
async def test_nothing_about_a_user_is_stored_before_i_agree(harness: Harness) -> None:
    before = await _rows(harness)
    chat = await harness.user(501, "Farid")
    welcome = await chat.say("/start qr-cheras")
    notice = welcome["text"]
    # The notice: who (the data user), what and why, how long, how to get or erase it.
    assert "Who: NextMed Clinic (the data user) runs this bot and holds your data." in notice
    assert "What and why:" in notice and "only to send your daily tip" in notice
    assert "How long: until you erase it." in notice
    assert "see it with /mydata" in notice and "erase it with /deletemydata" in notice
    # One tap to the Malay notice, and back; still nothing stored.
    malay = await chat.press_edit(welcome, "Baca dalam Bahasa Melayu")
    assert "Siapa: NextMed Clinic (pengguna data)" in malay["text"]
    assert buttons(malay) == [
        "Saya setuju, langgan",
        "Apa yang anda boleh buat?",
        "Read in English",
    ]
    english = await chat.press_edit(malay, "Read in English")
    assert english["text"] == notice
    malay = await chat.press_edit(english, "Baca dalam Bahasa Melayu")
    await harness.idle()
    assert await _rows(harness) == before  # not a row about them, not even the source

    subscribed = await chat.press(malay, "Saya setuju, langgan")
    assert subscribed["text"].startswith("Anda sudah melanggan.")
    async with harness.db.session() as session:
        row = await session.scalar(select(Subscriber).where(Subscriber.chat_id == 501))
    assert row is not None and (row.language, row.source) == ("ms", "qr-cheras")
    assert row.consented_at is not None
    [record] = await _consents(harness, 501)
    assert (record.purpose, record.notice, record.language) == ("tips", "consent", "ms")


async def _subscribed(harness: Harness, user_id: int) -> Chat:
    chat = await harness.user(user_id)
    await chat.press(await chat.say("/start"), "I agree, subscribe")
    return chat


async def _concern(harness: Harness, chat_id: int) -> str | None:
    async with harness.db.session() as session:
        return await session.scalar(select(Subscriber.concern).where(Subscriber.chat_id == chat_id))


async def test_a_concern_needs_its_own_consent_and_withdrawing_it_erases_it(
    harness: Harness,
) -> None:
    chat = await _subscribed(harness, 502)
    shown = await chat.say("/settings")
    concern = await chat.press_edit(shown, "🩺 Skin concern")
    asked = await chat.press_edit(concern, "Acne")
    assert asked["text"] == (
        "A skin concern is health information: do you agree that NextMed Clinic stores Acne "
        "only to choose your tips, until you withdraw it in /settings or erase it with "
        "/deletemydata?"
    )
    assert await _concern(harness, 502) is None
    declined = await chat.press_edit(asked, "No, don't store it")
    assert declined["text"].startswith("Nothing was stored.")
    assert await _concern(harness, 502) is None
    assert [c.purpose for c in await _consents(harness, 502)] == ["tips"]

    concern = await chat.press_edit(await chat.say("/settings"), "🩺 Skin concern")
    agreed = await chat.press_edit(await chat.press_edit(concern, "Acne"), "I agree")
    assert agreed["text"].startswith("Done. Your tips will lean towards Acne")
    assert await _concern(harness, 502) == "acne"
    assert [c.purpose for c in await _consents(harness, 502)] == ["tips", "concern"]

    # Withdrawn from /settings: the concern is erased, and the record says when.
    concern = await chat.press_edit(await chat.say("/settings"), "🩺 Skin concern")
    withdrawn = await chat.press_edit(concern, "Withdraw consent and erase it")
    assert withdrawn["text"].startswith(
        "Done. Your consent is withdrawn and your skin concern is erased."
    )
    assert await _concern(harness, 502) is None
    records = await _consents(harness, 502)
    assert records[1].purpose == "concern" and records[1].withdrawn_at is not None
    document = await chat.say("/mydata")
    stored = json.loads(await harness.client.file(502, document["message_id"]))
    assert stored["skin_concern"] is None


async def test_an_unanswered_question_reaches_the_team_only_with_the_opt_in(
    harness: Harness,
) -> None:
    await harness.client.add_user(STAFF_CHAT, "Staff room")
    chat = await harness.user(503)  # need not be subscribed to ask the team
    question = "can I use my grandmother's tongkat ali cream on my eczema"
    reply = await chat.say(question)
    assert reply["text"].startswith("Sorry, I don't have a reviewed answer to that yet.")
    assert "no one will reply to it here" in reply["text"]
    assert "passed your question" not in reply["text"]
    offer = await chat.press(reply, "Ask the clinic team")
    assert offer["text"].startswith("Ask the clinic team\nIf you agree, NextMed Clinic")
    assert "kept until 90 days after your question is closed" in offer["text"]
    assert buttons(offer) == ["I agree, send it to the team", "No thanks"]
    await harness.idle()
    # Until the tap, the question is anonymous: no item, no consent, no row with the chat.
    assert await _items(harness) == []
    assert await _consents(harness, 503) == []
    assert not hasattr(Question, "chat_id")

    sent = await chat.press_edit(offer, "I agree, send it to the team")
    assert sent["text"].startswith("Thank you. Your question is with the NextMed Clinic team.")
    # A second tap of the same "I agree" (a double tap) stores nothing more, changes nothing.
    agree_data = offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    again = harness.press_data(503, offer["message_id"], agree_data)
    assert (await chat.answer_to(again)).get("text") is None
    assert (await chat.message(offer["message_id"]))["text"] == sent["text"]
    [item] = await _items(harness)
    assert (item.chat_id, item.question, item.status, item.kind, item.language) == (
        503,
        question,
        InboxStatus.OPEN,
        "unanswered",
        "en",
    )
    assert [c.purpose for c in await _consents(harness, 503)] == ["inbox"]
    announced = await harness.client.wait_for_bot_message(STAFF_CHAT, contains="New question")
    assert question in announced["text"] and f"#{item.id}" in announced["text"]

    # Staff: the inbox, newest first, with status, language and age; reply through the bot.
    admin = await harness.user(ADMIN_ID, "Admin")
    listed = await admin.say("/inbox")
    assert listed["text"] == "Inbox: 1 waiting for a reply. Newest first."
    line = buttons(listed)[0]
    assert line.startswith(f"#{item.id} open · en · 0m: can I use my grandmother")
    shown = await admin.press_edit(listed, line)
    assert f"Question: {question}" in shown["text"]
    assert buttons(shown) == ["Reply", "✅ Close", "📝 FAQ draft", "Back to the inbox"]
    prompt = await admin.press(shown, "Reply")
    assert prompt["text"].startswith(f"Type your reply to #{item.id}.")
    answer = "Please don't put it on broken skin. Bring it to your next visit and we'll check."
    done = await admin.say(answer)
    assert done["text"] == f"Sent to the patient and saved with #{item.id}."
    delivered = await harness.client.wait_for_bot_message(503, contains="Reply from")
    assert delivered["text"].startswith("Reply from the NextMed Clinic team")
    assert answer in delivered["text"] and f"Your question: {question}" in delivered["text"]
    [item] = await _items(harness)
    assert (item.status, item.reply, item.replied_by) == (InboxStatus.ANSWERED, answer, ADMIN_ID)

    listed = await admin.say("/inbox")
    assert buttons(listed)[0].startswith(f"#{item.id} answered · en · ")
    shown = await admin.press_edit(listed, buttons(listed)[0])
    assert f"Reply: {answer}" in shown["text"]
    draft = await admin.press(shown, "📝 FAQ draft")
    assert "status: draft" in draft["text"] and answer in draft["text"]
    closed = await admin.press_edit(shown, "✅ Close")
    assert closed["text"] == f"#{item.id} is closed. It is erased 90 days from now."
    assert (await _items(harness))[0].status == InboxStatus.CLOSED
    # Who answered and who closed it is in the audit log; the patient's words are not.
    async with harness.db.session() as session:
        logged = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.actor_id, e.action, e.target, e.after) for e in logged[-2:]] == [
        (ADMIN_ID, "inbox.reply", f"inbox:{item.id}", json.dumps({"chars": len(answer)})),
        (ADMIN_ID, "inbox.close", f"inbox:{item.id}", None),
    ]
    assert not any(answer in (e.after or "") or question in (e.before or "") for e in logged)

    # The patient sees it in /mydata, and /deletemydata erases it and the consent.
    document = await chat.say("/mydata")
    stored = json.loads(await harness.client.file(503, document["message_id"]))
    assert [q["question"] for q in stored["questions_to_the_team"]] == [question]
    assert [c["purpose"] for c in stored["consents"]] == ["inbox"]
    confirm = await chat.say("/deletemydata")
    assert "any questions you sent to the clinic team" in confirm["text"]
    await harness.client.press_button(503, confirm["message_id"], text="Yes, erase everything")
    await harness.client.wait_for_bot_message(503, contains="Done. Everything")
    assert await _items(harness) == []
    assert await _consents(harness, 503) == []


async def test_declining_the_opt_in_stores_nothing(harness: Harness) -> None:
    chat = await harness.user(504)
    before = await _rows(harness)
    reply = await chat.say("best laptop for gaming")
    offer = await chat.press(reply, "Ask the clinic team")
    declined = await chat.press_edit(offer, "No thanks")
    assert declined["text"] == "No problem. Nothing was stored."
    await harness.idle()
    after = await _rows(harness)
    # Only the anonymous record of an unanswered question (no chat, no user) was added.
    assert {**after, "questions": after["questions"] - 1} == before
    assert await _items(harness) == [] and await _consents(harness, 504) == []


async def test_after_a_crisis_reply_only_what_the_patient_types_next_is_stored(
    harness: Harness,
) -> None:
    chat = await harness.user(505)
    crisis = "i want to end my life"
    reply = await chat.say(crisis)
    assert reply["text"].startswith("Thank you for telling me. You matter")
    offer = await chat.press(reply, "Ask the clinic team")
    assert "Your earlier message is not kept." in offer["text"]
    prompt = await chat.press_edit(offer, "I agree")
    assert prompt["text"].startswith("Please type what you would like the clinic team to know")
    assert await _items(harness) == []
    typed = "Please call me tomorrow about my skin, I feel low about it"
    sent = await chat.say(typed)
    assert sent["text"].startswith("Thank you. Your question is with the NextMed Clinic team.")
    [item] = await _items(harness)
    assert (item.question, item.kind, item.chat_id) == (typed, "crisis", 505)
    async with harness.db.session() as session:
        kept = [q.text for q in await session.scalars(select(Question))]
    assert crisis not in str(kept) and all(crisis not in i.question for i in await _items(harness))


async def test_closed_items_are_purged_after_the_retention_period(harness: Harness) -> None:
    now = harness.clock.now()
    async with harness.db.session() as session:
        kept = await inbox.open_item(
            session, chat_id=506, language="en", kind="unanswered", question="a", now=now
        )
        old = await inbox.open_item(
            session, chat_id=507, language="ms", kind="unanswered", question="b", now=now
        )
        await inbox.close(session, old.id, ADMIN_ID, now)
        assert await inbox.purge_closed(session, now + dt.timedelta(days=89), 90) == 0
    # The hourly job (on the runtime's scheduler) does the purge once the time has come.
    scheduler = services_in(harness.app.bot_data).scheduler
    assert scheduler is not None
    harness.clock.advance(dt.timedelta(days=91))
    await scheduler.run_now("inbox-purge")
    async with harness.db.session() as session:
        remaining = [i.id for i in await inbox.newest(session)]
    assert remaining == [kept.id]  # an open item is never purged, however old
    assert await _consents(harness, 507) == []  # its consent went with it
    assert [c.purpose for c in await _consents(harness, 506)] == ["inbox"]


async def test_a_language_chosen_before_agreeing_is_not_stored(harness: Harness) -> None:
    before = await _rows(harness)
    chat = await harness.user(508)
    await chat.say("/start")
    choice = await chat.say("/language")
    alert = await chat.press_alert(choice, "Bahasa Melayu")
    assert (
        alert["text"]
        == 'Anda belum melanggan. Hantar /start dan tekan "Saya setuju, langgan" dahulu.'
    )
    await harness.idle()
    assert await _rows(harness) == before


@pytest.fixture
def _hide_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """STAFF_CHAT_SHOW_TEXT=false (set before the harness reads the settings)."""
    monkeypatch.setenv("STAFF_CHAT_SHOW_TEXT", "false")


async def test_the_staff_chat_can_be_told_without_the_question(
    _hide_text: None, harness: Harness
) -> None:
    await harness.client.add_user(STAFF_CHAT, "Staff room")
    chat = await harness.user(509)
    question = "my cousin says charcoal soap fixes everything, true?"
    offer = await chat.press(await chat.say(question), "Ask the clinic team")
    await chat.press_edit(offer, "I agree, send it to the team")
    [item] = await _items(harness)
    told = await harness.client.wait_for_bot_message(STAFF_CHAT, contains="New question")
    assert told["text"] == (
        f"📥 New question for the team (#{item.id}, en, no answer in the FAQ)\n"
        "Read and reply from /inbox."
    )
