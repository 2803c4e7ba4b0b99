"""Tips as an admin: browse, view as subscribers see them, edit, review, retire, add."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import select

from bot.content import store as content_store
from bot.content.loader import Content
from bot.content.models import Topic
from bot.content.transfer import tip_data
from bot.db.models import AuditEntry
from bot.delivery.message import tip_keyboard, tip_text
from tests.e2e.conftest import ADMIN_ID, Chat, Harness, buttons

FIRST_FIBER = "fiber-feeds-gut-bacteria"


async def open_tip(admin: Chat, content: Content, tip_id: str) -> dict[str, object]:
    """Tap /admin → Tips → topic → tip; return the controls message after the two cards."""
    tip = content.tip(tip_id)
    assert tip is not None
    tips = await admin.press_edit(await admin.say("/admin"), "💡 Tips")
    label = next(b for b in buttons(tips) if b.startswith(_topic_name(tip.topic)))
    listing = await admin.press_edit(tips, label)
    newest = await admin.newest_id()
    await admin.client.press_button(
        admin.user_id, listing["message_id"], text=f"📝 {tip.text['en'].title}"
    )
    return await admin.client.wait_for_bot_message(
        admin.user_id, after_message_id=newest, contains="Id: "
    )


def _topic_name(topic: Topic) -> str:
    return {"fiber": "Fiber", "sleep": "Sleep", "stress": "Stress"}.get(topic.value, topic.value)


async def stored_tip(harness: Harness, content: Content, tip_id: str) -> content_store.TipState:
    async with harness.db.session() as session:
        found = (await content_store.load_state(session, content)).find(tip_id)
    assert found is not None
    return found


async def actions(harness: Harness) -> list[tuple[int, str, str | None]]:
    async with harness.db.session() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.actor_id, r.action, r.target) for r in rows]


async def test_view_shows_both_languages_exactly_as_subscribers_see_them(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    controls = await open_tip(admin, content, FIRST_FIBER)
    history = await harness.client.history(ADMIN_ID)
    cards = [m for m in history if m["from_bot"]][-3:-1]
    tip = content.tip(FIRST_FIBER)
    assert tip is not None
    # The same HTML and buttons the daily delivery sends (less the feedback buttons, which
    # belong to a delivery).
    assert [c["html"] for c in cards] == [
        tip_text(content.catalogs, tip, "en", hint=False).strip(),
        tip_text(content.catalogs, tip, "ms", hint=False).strip(),
    ]
    assert [c["reply_markup"] for c in cards] == [
        tip_keyboard(content.catalogs, tip, "en", None),
        tip_keyboard(content.catalogs, tip, "ms", None),
    ]
    assert f"Id: {FIRST_FIBER}" in controls["text"]  # type: ignore[operator]
    assert buttons(controls) == ["✏️ Edit text", "🩺 Clinical review", "🗄 Retire", "« Back"]


async def test_edit_text_refuses_bad_input_then_applies_and_undoes(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    controls = await open_tip(admin, content, FIRST_FIBER)
    fields = await admin.press_edit(controls, "✏️ Edit text")
    assert buttons(fields)[:6] == [
        "Title (EN)",
        "Text (EN)",
        "Try today (EN)",
        "Title (MS)",
        "Text (MS)",
        "Try today (MS)",
    ]
    prompt = await admin.press_edit(fields, "Title (MS)")
    assert prompt["text"].startswith("Send the new Title (MS) (3 to 80 characters")
    too_long = await admin.say("x" * 81)
    assert too_long["text"].startswith("That can't be used: String should have at most 80")
    broken = await admin.say("<b>Serat untuk usus")
    assert "HTML tags are not allowed here" in broken["text"]
    assert (await stored_tip(harness, content, FIRST_FIBER)).stored is False
    card = await admin.say("Serat: makanan bakteria baik")
    assert card["text"].startswith("Serat: makanan bakteria baik\n\nUsus kita")
    preview = await harness.client.wait_for_bot_message(
        ADMIN_ID, after_message_id=card["message_id"], contains="Preview"
    )
    assert preview["text"] == (
        "Preview: above is the tip as subscribers will see it with the new Title (MS). Apply?"
    )
    done = await admin.press_edit(preview, "✅ Apply")
    assert done["text"].startswith("✅ Done.")
    state = await stored_tip(harness, content, FIRST_FIBER)
    assert state.tip.text["ms"].title == "Serat: makanan bakteria baik"
    assert state.tip.text["en"] == content.tip(FIRST_FIBER).text["en"]  # type: ignore[union-attr]
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
    assert library.tip(FIRST_FIBER) == state.tip
    async with harness.db.session() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert json.loads(entry.before or "") == {"tips": {FIRST_FIBER: None}}
    after = json.loads(entry.after or "")["tips"][FIRST_FIBER]
    assert after["tip"]["text"]["ms"]["title"] == "Serat: makanan bakteria baik"
    await admin.press_edit(done, "↩ Undo")
    assert (await stored_tip(harness, content, FIRST_FIBER)).stored is False
    assert [a[1] for a in await actions(harness)] == ["tips.edit", "undo"]


async def test_review_then_retire_and_reinstate(harness: Harness, content: Content) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    controls = await open_tip(admin, content, FIRST_FIBER)
    # Review leads to the clinical review of this tip, where only reviewers approve (#15).
    newest = await admin.newest_id()
    await admin.client.press_button(ADMIN_ID, controls["message_id"], text="🩺 Clinical review")
    review = await admin.client.wait_for_bot_message(
        ADMIN_ID, after_message_id=newest, contains="Wording by"
    )
    assert f"tip:{FIRST_FIBER}: new, never reviewed" in review["text"]
    refused = await admin.press_edit(review, "✅ Approve")
    assert refused["text"].startswith("Only reviewers")
    assert (await stored_tip(harness, content, FIRST_FIBER)).stored is False

    controls = await open_tip_any(admin, content, FIRST_FIBER, reviewed=False)
    preview = await admin.press_edit(controls, "🗄 Retire")
    await admin.press_edit(preview, "✅ Apply")
    state = await stored_tip(harness, content, FIRST_FIBER)
    assert state.retired
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
    assert library.tip(FIRST_FIBER) is None and len(library.tips) == len(content.tips) - 1
    assert [a[1:] for a in await actions(harness)] == [("tips.retire", FIRST_FIBER)]


async def open_tip_any(
    admin: Chat, content: Content, tip_id: str, *, reviewed: bool
) -> dict[str, object]:
    tip = content.tip(tip_id)
    assert tip is not None
    tips = await admin.press_edit(await admin.say("/admin"), "💡 Tips")
    label = next(b for b in buttons(tips) if b.startswith(_topic_name(tip.topic)))
    listing = await admin.press_edit(tips, label)
    newest = await admin.newest_id()
    title = tip.text["en"].title if reviewed else f"📝 {tip.text['en'].title}"
    await admin.client.press_button(admin.user_id, listing["message_id"], text=title)
    return await admin.client.wait_for_bot_message(
        admin.user_id, after_message_id=newest, contains="Id: "
    )


async def test_retiring_a_pinned_tip_is_refused_with_the_reason(
    harness: Harness, content: Content
) -> None:
    import datetime as dt

    from bot.content.program import pin

    day = harness.clock.now().date() + dt.timedelta(days=3)
    async with harness.db.session() as session:
        state = await content_store.load_state(session, content)
        await content_store.apply(
            session,
            content,
            content_store.program_change(content, pin(state.program, day, FIRST_FIBER)),
            actor=ADMIN_ID,
            action="schedule.pin",
            target=None,
            now=harness.clock.now(),
        )
    admin = await harness.user(ADMIN_ID, "Admin")
    controls = await open_tip(admin, content, FIRST_FIBER)
    newest = await admin.newest_id()
    await admin.client.press_button(ADMIN_ID, controls["message_id"], text="🗄 Retire")  # type: ignore[arg-type]
    refused = await admin.client.wait_for_bot_message(ADMIN_ID, after_message_id=newest)
    assert refused["text"].startswith("Nothing was changed: 1 problem(s) to fix first.")
    assert f"dates: {day.isoformat()}: unknown tip '{FIRST_FIBER}'" in refused["text"]
    assert not (await stored_tip(harness, content, FIRST_FIBER)).retired


async def test_add_a_tip_step_by_step(harness: Harness, content: Content) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    tips = await admin.press_edit(await admin.say("/admin"), "💡 Tips")
    way = await admin.press_edit(tips, "➕ Add a tip")
    topics = await admin.press_edit(way, "🪜 Step by step")
    ask_id = await admin.press_edit(topics, "Hydration")
    assert ask_id["text"].startswith("Add a tip (2/9): send a short id")
    taken = await admin.say(FIRST_FIBER)
    assert "already used" in taken["text"]
    answers = [
        ("hydration-coconut-water", "Add a tip (3/9): send the Title (EN)"),
        ("Coconut water, no sugar", "Add a tip (4/9): send the Text (EN)"),
        (
            "Plain coconut water is a fine drink on a hot day. Pick the kind with no added sugar.",
            "Add a tip (5/9)",
        ),
        ("Swap one sweet drink for plain coconut water.", "Add a tip (6/9): send the Title (MS)"),
        ("Air kelapa, tanpa gula", "Add a tip (7/9)"),
        (
            "Air kelapa kosong sesuai diminum pada hari panas. Pilih yang tiada gula tambahan.",
            "Add a tip (8/9)",
        ),
        ("Tukar satu minuman manis kepada air kelapa.", "Add a tip (9/9): send the link"),
    ]
    for answer, expected in answers:
        reply = await admin.say(answer)
        assert reply["text"].startswith(expected), reply["text"]
    short = await admin.say("not a link")
    assert short["text"].startswith("That can't be used")
    newest = await admin.newest_id()
    await admin.client.send_text(ADMIN_ID, "https://example.org/coconut")
    preview = await admin.client.wait_for_bot_message(
        ADMIN_ID, after_message_id=newest, contains="Add 1 tip(s)"
    )
    history = await harness.client.history(ADMIN_ID)
    cards = [m["text"] for m in history if m["from_bot"] and m["message_id"] > newest][:2]
    assert cards[0].startswith("Coconut water, no sugar") and cards[1].startswith("Air kelapa")
    await admin.press_edit(preview, "✅ Apply")
    state = await stored_tip(harness, content, "hydration-coconut-water")
    assert state.tip.review.status == "draft" and not state.in_file
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
    assert library.tips[-1].id == "hydration-coconut-water"
    assert (await actions(harness)) == [(ADMIN_ID, "tips.add", "hydration-coconut-water")]


async def test_add_by_yaml_lists_every_problem_then_accepts_the_fixed_snippet(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    tips = await admin.press_edit(await admin.say("/admin"), "💡 Tips")
    way = await admin.press_edit(tips, "➕ Add a tip")
    await admin.press_edit(way, "📋 Paste YAML")
    tip = content.tip(FIRST_FIBER)
    assert tip is not None
    data = tip_data(tip)
    data["id"] = "fiber-yaml-added"
    broken = {**data, "topic": "nonsense", "text": {"en": data["text"]["en"]}}
    reply = await admin.say(yaml.safe_dump(broken, allow_unicode=True))
    assert reply["text"].startswith("That YAML can't be used: 2 problem(s).")
    assert "snippet: entry 1 ('fiber-yaml-added'): topic: Input should be" in reply["text"]
    assert "text: missing language(s): ms" in reply["text"]
    newest = await admin.newest_id()
    await admin.client.send_text(ADMIN_ID, yaml.safe_dump(data, allow_unicode=True))
    preview = await admin.client.wait_for_bot_message(
        ADMIN_ID, after_message_id=newest, contains="Add 1 tip(s)"
    )
    await admin.press_edit(preview, "✅ Apply")
    assert (await stored_tip(harness, content, "fiber-yaml-added")).tip.topic == Topic.FIBER


async def test_a_crafted_unknown_tip_button_changes_nothing(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    for data in ("adm:tv:no-such-tip", "adm:tx:no-such-tip", "adm:ok:deadbeef"):
        answer = await admin.answer_to(harness.press_data(ADMIN_ID, menu["message_id"], data))
        assert answer["text"].startswith("That button is from an older message.")
    assert await actions(harness) == []
