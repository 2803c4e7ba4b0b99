"""With CONTENT_REVIEW off (the sandbox) drafts reach everyone, and only staff see them marked."""

from __future__ import annotations

from bot.content.loader import Content
from tests.e2e.conftest import ADMIN_ID, Harness

MARK = "📝 Draft: not yet reviewed by a clinician"


async def test_staff_see_the_draft_mark_and_patients_do_not(
    harness: Harness, content: Content
) -> None:
    entry = content.faq_entry("what-is-gut-skin-axis") or content.faq[0]
    question = entry.text["en"].question
    patient = await harness.user(5401, "Mei Ling")
    staff = await harness.user(ADMIN_ID, "Admin")

    answer = await patient.say(question)
    assert entry.text["en"].answer[:40] in answer["text"]
    assert MARK not in answer["text"]

    answer = await staff.say(question)
    assert entry.text["en"].answer[:40] in answer["text"]
    assert MARK in answer["text"]

    staff_tip, patient_tip = await staff.say("/today"), await patient.say("/today")
    assert "Try today" in staff_tip["text"] and "Try today" in patient_tip["text"]
    assert MARK in staff_tip["text"]
    assert MARK not in patient_tip["text"]
