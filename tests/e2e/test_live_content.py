"""What admins import reaches users at once: a new FAQ entry answers the next question."""

from __future__ import annotations

import copy

import yaml

from bot.content.loader import Content
from bot.content.transfer import dump_faq
from tests.e2e.conftest import ADMIN_ID, Harness
from tests.e2e.test_admin_transfer import upload


async def test_an_imported_faq_entry_answers_the_next_question(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    patient = await harness.user(5301, "Nurul")
    before = await patient.say("is kombucha tea okay for my skin?")
    assert not before["text"].startswith("Is kombucha")

    data = yaml.safe_load(dump_faq(content.faq))
    # A deep copy: shared objects would be dumped as YAML anchors, which content refuses.
    entry = copy.deepcopy(data["faq"][0])
    entry.update(
        id="kombucha-and-skin",
        keywords={"en": ["kombucha"], "ms": ["kombucha"]},
        text={
            "en": {
                "question": "Is kombucha okay for my skin?",
                "answer": "Kombucha is a fermented tea. Some people enjoy it as one of many "
                "fermented foods; it is not a treatment. Ask your doctor if unsure.",
            },
            "ms": {
                "question": "Adakah kombucha baik untuk kulit saya?",
                "answer": "Kombucha ialah teh yang ditapai. Ada yang menikmatinya sebagai salah "
                "satu makanan tapaian; ia bukan rawatan. Tanya doktor jika ragu.",
            },
        },
    )
    data["faq"].append(entry)
    sent = upload(harness, ADMIN_ID, "faq.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    preview = await harness.client.wait_for_bot_message(ADMIN_ID, after_message_id=sent)
    await admin.press_edit(preview, "✅ Apply")

    after = await patient.say("is kombucha tea okay for my skin?")
    # Answered outright, or offered among the choices: either way the new entry is live.
    offered = [b["text"] for row in after["reply_markup"]["inline_keyboard"] for b in row]
    assert (
        after["text"].startswith("Is kombucha okay") or "Is kombucha okay for my skin?" in offered
    )
