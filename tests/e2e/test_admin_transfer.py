"""Export and import as an admin: YAML files out, an edited file back in, all or nothing.

The sandbox cannot yet take a document from a user nor serve it through getFile, so uploads
are queued straight into its world and the bot's download is pointed at the same bytes
(Services.state.download); everything after the download is the real path.
"""

from __future__ import annotations

import yaml
from sqlalchemy import select

from bot.content import imports as content_import
from bot.content import store as content_store
from bot.content.loader import Content
from bot.content.transfer import dump_tips, parse_file, program_data, tip_data
from bot.db.models import AuditEntry, ContentTip
from bot.services import services_in
from tests.e2e.conftest import ADMIN_ID, Harness, buttons


async def test_export_all_three_files_round_trip(harness: Harness, content: Content) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    menu = await admin.say("/admin")
    transfer = await admin.press_edit(menu, "📁 Export / Import")
    assert buttons(transfer) == [
        "💡 Tips",
        "❓ FAQ",
        "🗓 Schedule",
        "📦 All three",
        "📥 Import a file",
        "« Back",
    ]
    newest = await admin.newest_id()
    await harness.client.press_button(ADMIN_ID, transfer["message_id"], text="📦 All three")
    await harness.client.wait_for_bot_message(
        ADMIN_ID, after_message_id=newest, contains="The schedule."
    )
    files = [
        m
        for m in await harness.client.history(ADMIN_ID)
        if m["document"] and m["message_id"] > newest
    ]
    assert [f["file_name"] for f in files] == ["tips.yaml", "faq.yaml", "schedule.yaml"]
    parsed = {
        f["file_name"]: parse_file(
            await harness.client.file(ADMIN_ID, f["message_id"]), f["file_name"], content.catalogs
        )
        for f in files
    }
    assert [tip_data(t) for t in parsed["tips.yaml"].tips] == [tip_data(t) for t in content.tips]
    assert parsed["faq.yaml"].faq == content.faq
    program = parsed["schedule.yaml"].program
    assert program is not None and program_data(program) == program_data(content.program)
    async with harness.db.session() as session:
        plan = await content_import.plan_import(session, content, parsed["tips.yaml"])
    assert plan.empty and plan.problems == ()


async def test_import_asks_for_a_file_and_text_is_not_taken_for_a_question(
    harness: Harness,
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    transfer = await admin.press_edit(await admin.say("/admin"), "📁 Export / Import")
    prompt = await admin.press_edit(transfer, "📥 Import a file")
    assert prompt["text"].startswith("Import: send the edited tips.yaml")
    reply = await admin.say("does dairy cause acne?")
    assert reply["text"].startswith("Please send the YAML as a file")
    cancelled = await admin.press_edit(prompt, "Cancel")
    assert cancelled["text"] == "Cancelled. Nothing was changed."
    answer = await admin.say("does dairy cause acne?")
    assert answer["text"].startswith("Does dairy cause acne?")


def upload(harness: Harness, user_id: int, name: str, data: bytes) -> int:
    """Send a document to the bot as the user: the Update Telegram would queue.

    The sandbox's control API cannot upload a user's file and has no getFile yet, so the
    message goes straight into its world and the bot's download reads these bytes.
    """
    files: dict[str, bytes] = harness.app.bot_data.setdefault("_test_files", {})
    file_id = f"upload-{len(files)}"
    files[file_id] = data

    async def download(_bot: object, wanted: str) -> bytes:
        return files[wanted]

    services_in(harness.app.bot_data).state.download = download
    world = harness.sandbox.world
    message = world.add_message(user_id, from_bot=False)
    document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name}
    world.push_update(
        "message",
        {**world.to_api_message(message), "document": {**document, "file_size": len(data)}},
    )
    return message.message_id


async def test_an_invalid_upload_lists_every_problem_and_changes_nothing(
    harness: Harness, content: Content
) -> None:
    await harness.user(ADMIN_ID, "Admin")
    data = yaml.safe_load(dump_tips(content.tips))
    data["tips"][0]["text"]["en"]["title"] = "x" * 81
    data["tips"][1]["text"].pop("ms")
    data["tips"][2]["text"]["ms"]["body"] = "<b>Tebal</b> " + data["tips"][2]["text"]["ms"]["body"]
    sent = upload(harness, ADMIN_ID, "tips.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    refused = await harness.client.wait_for_bot_message(ADMIN_ID, after_message_id=sent)
    lines = refused["text"].splitlines()
    assert lines[0] == "Import refused: 3 problem(s). Nothing was changed."
    assert lines[1].startswith("• tips.yaml: entry 1 (") and "text.en.title" in lines[1]
    assert lines[2].endswith("text: missing language(s): ms")
    assert "text.ms.body: HTML tags are not allowed here" in lines[3]
    async with harness.db.session() as session:
        assert list(await session.scalars(select(AuditEntry))) == []
        assert list(await session.scalars(select(ContentTip))) == []


async def test_a_valid_upload_is_previewed_then_applied_whole(
    harness: Harness, content: Content
) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    data = yaml.safe_load(dump_tips(content.tips))
    data["tips"][0]["text"]["en"]["title"] = "Fiber is food for your gut"
    retired = data["tips"].pop()["id"]
    sent = upload(harness, ADMIN_ID, "tips.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    preview = await harness.client.wait_for_bot_message(ADMIN_ID, after_message_id=sent)
    assert preview["text"].splitlines() == [
        "Import tips.yaml?",
        "New or back in use: 0",
        f"Changed: 1: {content.tips[0].id}",
        f"Retired (missing from the file): 1: {retired}",
    ]
    done = await admin.press_edit(preview, "✅ Apply")
    assert done["text"] == "✅ Imported tips.yaml. It applies from the next delivery."
    async with harness.db.session() as session:
        library = await content_store.current_library(session, content)
        entry = (await session.scalars(select(AuditEntry))).one()
    assert library.tip(retired) is None
    assert library.tips[0].text["en"].title == "Fiber is food for your gut"
    assert (entry.actor_id, entry.action, entry.target) == (ADMIN_ID, "import.tips", "tips.yaml")
    # Undo puts every tip back as it was, in one step.
    await admin.press_edit(done, "↩ Undo")
    async with harness.db.session() as session:
        assert (await content_store.current_library(session, content)).tips == content.tips


async def test_a_document_that_is_not_yaml_gets_the_ordinary_answer(harness: Harness) -> None:
    admin = await harness.user(ADMIN_ID, "Admin")
    sent = upload(harness, ADMIN_ID, "photo.jpg", b"\xff\xd8")
    reply = await harness.client.wait_for_bot_message(ADMIN_ID, after_message_id=sent)
    assert reply["text"].startswith("I can't read that kind of message yet.")
    assert await admin.newest_id() == reply["message_id"]
