"""Small talk is recognised only when the whole message is small talk; triage puts it second."""

from __future__ import annotations

import pytest

from bot.content.loader import Content, load_content
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher
from bot.faq.smalltalk import SmallTalkDetector
from tests.conftest import TIPS_DIR


@pytest.fixture(scope="module")
def shipped() -> tuple[Content, FaqMatcher]:
    """The shipped content and its matcher."""
    content = load_content(TIPS_DIR)
    return content, FaqMatcher(content.faq)


@pytest.fixture(scope="module")
def detector(shipped: tuple[Content, FaqMatcher]) -> SmallTalkDetector:
    """The detector over tips/smalltalk.yaml."""
    assert shipped[0].smalltalk is not None
    return SmallTalkDetector(shipped[0].smalltalk)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hiii!!", "greeting"),
        ("assalamualaikum doc", "greeting"),
        ("hye", "greeting"),  # session 7 probes: texting forms
        ("vanakkam", "greeting"),  # blind batches 28-31: Malaysia's other languages
        ("thank you da", "thanks"),  # Tamil-English particle
        ("is this automated?", "are-you-bot"),
        ("wah you very clever leh", "love"),  # a compliment
        ("gm doc", "greeting"),
        ("slmt petang doc", "greeting"),  # blind batches 80 and 90: texted "selamat"
        ("morning, hope you are having a good day", "greeting"),
        ("ok bye, see you again tomorrow", "bye"),  # a day after the goodbye
        ("ok see you tomorrow doc", "bye"),  # blind batches 32-36
        ("gnite all", "bye"),
        ("is this a nurse or a bot", "are-you-bot"),
        ("are you an ai", "are-you-bot"),
        ("wow quick reply", "love"),
        ("apa awak boleh buat", "who-are-you"),
        ("thanks!", "thanks"),
        ("ok thank you so much", "thanks"),
        ("terima kasih banyak2", "thanks"),
        ("tq", "thanks"),
        ("ok", "ack"),
        ("👍", "ack"),
        ("bye", "bye"),
        ("jumpa lagi", "bye"),
        ("who are you?", "who-are-you"),
        ("hi, are you a bot?", "are-you-bot"),
        ("i love you bot", "love"),
        ("apa khabar", "how-are-you"),
        ("ok noted with thanks", "thanks"),
        ("thanks for your help", "thanks"),
        ("am i talking to a bot?", "are-you-bot"),
        ("hmm", "ack"),
        # blind batches 38-40: the other being named alone, relief, an apology, asking later.
        ("am i talking to a real person", "are-you-bot"),
        ("are you a bot or a person", "are-you-bot"),
        ("salam, awak ni manusia ke robot?", "are-you-bot"),
        ("terima kasih, lega sikit hati", "thanks"),
        ("selamat pagi, maaf ganggu", "greeting"),
        ("ok terima kasih ye, nanti sy tanya lagi", "thanks"),
        # Thanks or a goodbye framing a remark that asks nothing is small talk; asking, it is not.
        ("thank you so much, the rash from last week is all gone btw", "thanks"),
        ("ok bye dulu, nak pegi klinik gigi, gigi berdenyut sikit je haha", "bye"),
        ("good morning bot, slept badly but still alive lol, hows your day", "how-are-you"),
        ("thanks, my rash is still there, what should i eat", None),
        ("thanks. is dairy bad for acne", None),
        ("thanks, dah ok ke kalau makan susu", None),
        ("ok tq, esok sy pergi ke klinik", "thanks"),
        # blind batches 63-67: addressing the bot as one would anyone, festivals, "have you
        # eaten", blessings as thanks, slang praise, thanks opening a remark, thank-you notes.
        ("hello boss", "greeting"),
        ("selamat hari raya semua", "greeting"),
        ("happy new year doc!", "greeting"),
        ("dah makan ke boss?", "how-are-you"),
        ("thanks for the reminder bro", "thanks"),
        ("moga Allah balas jasa baik doktor", "thanks"),
        ("thank you, you are a legend", "love"),
        ("ok, tq ya nanti sy cuba", "thanks"),
        (":-)", "ack"),
        ("<3", "ack"),
        (":(", None),
        ("wkwkwk", "ack"),
        ("ok doc will try", "ack"),
        (
            "Thanks so much for the daily tips. My mum has started eating more ulam and she says"
            " her skin feels less dry. Nothing to ask today, enjoy your weekend!",
            "thanks",
        ),
        (
            "Thanks for the tips. I started eating tempeh every day this month and my husband"
            " joined me too. My acne is better but my back still itches a lot, what should I do",
            None,
        ),
        (
            "Good morning. Work has been crazy this week and I barely slept, my manager keeps"
            " adding meetings. My eczema on both hands is flaring again, same as last month",
            None,
        ),
        # blind batches 157-163: careful English and Malay, Indonesian, Kedah, texting.
        ("Good morning. I trust this finds you well.", "greeting"),
        ("I hope you're keeping well, doctor", "greeting"),
        ("Am I chatting to a real person, or is this an automated service?", "are-you-bot"),
        ("Am I corresponding with a human officer or a computer program?", "are-you-bot"),
        ("May I ask whether I am talking to a person or a virtual assistant?", "are-you-bot"),
        ("excuse me, is this a chatbot", "are-you-bot"),
        # A family member's word makes a message one to answer ("is my mother ok" is a worried
        # question, not an acknowledgement), so these stay questions.
        ("my mum asked are you a real person", None),
        ("mak saya ok ke", None),
        ("is my mother ok", None),
        ("Adakah saya sedang bercakap dengan manusia?", "are-you-bot"),
        ("ini robot ya atau manusia beneran?", "are-you-bot"),
        ("awak ni bot ke orang sebenarnya", "are-you-bot"),
        ("Terima kasih atas penjelasan anda.", "thanks"),
        ("makasih udah bantu ya", "thanks"),
        ("Thank you for your assistance. Kind regards", "thanks"),
        ("Right then, cheerio!", "bye"),
        ("ok wassalam", "bye"),
        ("ok bye, gotta go cook", "bye"),
        ("ok saya mandi dulu", "bye"),
        ("Baiklah, saya faham sekarang", "ack"),
        ("that makes sense now", "ack"),
        ("salam cek", "greeting"),
        ("wei bot", "greeting"),
        ("hello, I am writing on behalf of my father", None),
        # ...while the same openings before a real question still go to the FAQ.
        ("I hope you're keeping well, my rash is spreading", None),
        ("may i ask whether eczema is contagious", None),
        ("am i speaking to a doctor about my acne", None),
        ("hi, im typing for my mother, she has eczema on her hands", None),
        ("bye dulu nk masak, boleh makan telur tak", None),
        ("terima kasih atas penerangan, tapi boleh saya makan susu?", None),
        ("weh bot, jerawat aku makin teruk", None),
        ("nak masak apa untuk kulit kering", None),
        ("mohon maklumkan cara membuat temujanji dgn doktor kulit. sekian tq", None),
        ("anak sy muntah sekali lepas naik bas, skrg dah ok dah makan", None),
        ("right cheek is red and itchy", None),
        ("hi, my acne is getting worse", None),
        ("hi, can i eat eggs", None),
        ("thanks, does dairy cause acne?", None),
        ("ok so what is fibre", None),
        ("hi my face is swollen", None),
        ("???", None),
        ("", None),
        ("you", None),
    ],
)
def test_whole_message_small_talk_only(
    detector: SmallTalkDetector, text: str, kind: str | None
) -> None:
    assert detector.detect(text) == kind


@pytest.mark.parametrize(
    ("text", "language", "outcome", "answer_in"),
    [
        ("thanks!", "en", "smalltalk", None),
        ("terima kasih", "en", "smalltalk", None),  # small talk: the user's own language
        ("hi, my lips are swelling and i can't breathe", "en", "urgent", None),
        ("susu lembu buat jerawat ke", "en", "answered", "ms"),
        ("does milk cause pimples", "ms", "answered", "en"),
        ("does milk cause pimples", "en", "answered", None),
        ("best laptop for gaming", "en", "unanswered", None),
        ("cuaca hari ni panas tak", "ms", "unanswered", None),
    ],
)
def test_triage_order_and_language(
    shipped: tuple[Content, FaqMatcher],
    text: str,
    language: str,
    outcome: str,
    answer_in: str | None,
) -> None:
    content, matcher = shipped
    reply = questions.triage(content, matcher, text, language)
    assert (reply.outcome, reply.language) == (outcome, answer_in)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("kenapa jerawat saya tak hilang", "ms"),
        ("nak tahu pasal probiotik", "ms"),
        ("why is my skin so dry", "en"),
        ("what is the gut skin axis", "en"),
        ("acne", None),
        ("probiotik", None),
    ],
)
def test_language_of(shipped: tuple[Content, FaqMatcher], text: str, language: str | None) -> None:
    assert shipped[1].language_of(text) == language
