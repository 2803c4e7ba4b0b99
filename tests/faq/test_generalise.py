"""Rules that make answers hold up on unseen words (issue #12), checked through triage as a
user would meet them: each rule with a message it must change and its neighbour it must not."""

from __future__ import annotations

import pytest

from bot.content.loader import Content, load_content
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher
from tests.conftest import TIPS_DIR


@pytest.fixture(scope="module")
def shipped() -> tuple[Content, FaqMatcher]:
    """The shipped content and its matcher."""
    content = load_content(TIPS_DIR)
    return content, FaqMatcher(content.faq)


def _ask(shipped: tuple[Content, FaqMatcher], text: str) -> questions.Reply:
    content, matcher = shipped
    return questions.triage(content, matcher, text, "en")


def _shown(reply: questions.Reply) -> list[str]:
    return [e.id for e in reply.entries]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Service words about our own services are answered...
        ("how do i delete my account", "delete-my-data"),
        ("cancel my subscription", "stop-tips"),
        ("klinik terdekat", "clinic-branches"),
        # ...a concept word is never off-topic ("history" is also a school subject)...
        ("do you keep my chat history", "privacy-data"),
        # ...foods are what diet questions are about...
        ("is durian bad for acne", "acne-and-diet"),
        ("makan kfc buat jerawat ke", "oily-and-spicy-food"),
        # ...a clock time says when ("8am" is a morning)...
        ("send tips at 8am instead", "change-tip-time"),
        # ...asking what something means wants the definition...
        ("fibre means what", "what-is-fiber"),
        ("how many grams of fibre a day", "how-much-fiber"),
        # ...and naming the concepts of an entry's question finds it over one sharing a word.
        ("ekzema anak saya, pantang makan apa", "eczema-and-diet"),
        ("is this advice ok for my child", "children-gut-skin"),
        ("on roaccutane can i take fish oil", "diet-on-skin-medicines"),
    ],
)
def test_answered_first(shipped: tuple[Content, FaqMatcher], text: str, expected: str) -> None:
    reply = _ask(shipped, text)
    assert reply.outcome in ("answered", "ambiguous"), reply
    assert _shown(reply)[0] == expected, reply


@pytest.mark.parametrize(
    "text",
    [
        # Service words beside another business's thing named outright.
        "can i cancel my netflix subscription",
        "how to delete my instagram account",
        "klinik gigi terdekat",
        # "ice cream" is dairy, not a skin cream: this message names none of our topics.
        "ice cream shop open now",
        "where to eat satay near klcc",
        "translate this to japanese",
        # A forecast: weather words and a day, nothing of the skin (blind batch 16).
        "is the weather hot tmr, will it be humid",
        "cuaca lusa jerebu ke",
    ],
)
def test_other_subjects_get_the_honest_answer(
    shipped: tuple[Content, FaqMatcher], text: str
) -> None:
    assert _ask(shipped, text).outcome == "unanswered"


def test_a_close_runner_up_is_offered_beside_the_top_entry(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    reply = _ask(shipped, "milk making me break out?")
    assert reply.outcome == "ambiguous"
    assert "dairy-and-acne" in _shown(reply)[:3]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how are you today?", "how-are-you"),
        ("hi, good evening", "greeting"),
        ("i miss you bot, do you miss me", "love"),
    ],
)
def test_small_talk_with_function_words(
    shipped: tuple[Content, FaqMatcher], text: str, kind: str
) -> None:
    reply = _ask(shipped, text)
    assert (reply.outcome, reply.smalltalk) == ("smalltalk", kind)


def test_a_question_after_small_talk_is_still_a_question(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    assert _ask(shipped, "thanks, and does dairy cause acne?").outcome != "smalltalk"


@pytest.mark.parametrize(
    "text",
    [
        "maybe i should just end it",
        "why am i even alive",
        "i dont feel like living anymore",
        "i feel like giving up on everything",
        "sometimes i think about not being here",
        "rasa nak potong tangan",
    ],
)
def test_new_crisis_phrasings(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "i think not eating sugar helped my skin",
        "do you think it is not alive bacteria in yogurt",
        "jerawat bernanah macam mana nak rawat",
        "how to treat a pimple with pus",
    ],
)
def test_look_alikes_raise_no_alarm(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome not in ("urgent", "crisis")


def test_a_reaction_after_a_treatment_is_still_urgent(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    reply = _ask(shipped, "my face is swollen after the laser treatment")
    assert reply.outcome == "urgent"


@pytest.mark.parametrize(
    ("text", "best", "situation"),
    [
        (
            "i'm breastfeeding, can i take fish oil for my skin",
            "skin-supplements",
            "pregnancy-breastfeeding",
        ),
        (
            "saya mengandung, boleh ambil probiotik?",
            "probiotic-supplements",
            "pregnancy-breastfeeding",
        ),
        # The situation's entry first, the subject asked about beside it.
        ("probiotik untuk eczema anak berkesan ke", "probiotics-for-skin", "children-gut-skin"),
    ],
)
def test_a_named_situation_is_offered_beside_the_best_match(
    shipped: tuple[Content, FaqMatcher], text: str, best: str, situation: str
) -> None:
    reply = _ask(shipped, text)
    assert reply.outcome == "ambiguous", reply
    assert _shown(reply)[:2] in ([best, situation], [situation, best])


def test_a_message_without_the_situation_still_gets_one_answer(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    reply = _ask(shipped, "can i take fish oil for my skin")
    assert "pregnancy-breastfeeding" not in _shown(reply)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Rules from blind batch 11, each with a message of our own and its neighbour.
        # A skin condition is a kind of skin: stress with a flare is the stress-and-skin
        # question; the condition with food stays the condition's diet question.
        ("exam stress and my psoriasis is worse", "stress-and-skin"),
        ("eczema and food", "eczema-and-diet"),
        # "X good for what" asks what X is; how much of it to eat is the other question.
        ("fibre good for what", "what-is-fiber"),
        ("how much roughage should i eat a day", "how-much-fiber"),
        # "good bacteria" is what people call probiotics; what feeds them is the prebiotic.
        ("do good bacteria help acne", "probiotics-for-skin"),
        ("which food feeds the gut bacteria", "what-are-prebiotics"),
        ("makanan apa beri makan bakteria usus", "what-are-prebiotics"),
        # Everyday words and typos of the concepts.
        ("ecsema and diet", "eczema-and-diet"),
        ("reintroducing foods one at a time, good idea?", "elimination-diet"),
    ],
)
def test_batch_11_rules_answer_first(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    reply = _ask(shipped, text)
    assert reply.outcome in ("answered", "ambiguous"), reply
    assert _shown(reply)[0] == expected, reply


def test_a_bare_how_much_asks_the_price_and_nothing_else_does(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    # Two stopwords forming the price phrase: to a clinic's bot, the consultation's price.
    assert _shown(_ask(shipped, "how much?")) == ["consultation-cost"]
    assert _shown(_ask(shipped, "so how much ah")) == ["consultation-cost"]
    assert _ask(shipped, "how much is an iphone").outcome == "unanswered"


def test_opening_with_what_is_lifts_only_the_best_definition(
    shipped: tuple[Content, FaqMatcher],
) -> None:
    reply = _ask(shipped, "what is microbiome")
    assert (reply.outcome, _shown(reply)) == ("answered", ["gut-microbiome"])
    # Not for a message about something else: the weather is not a skincare question.
    assert _ask(shipped, "what is the weather in kl").outcome == "unanswered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Blind batch 16. A removal word just before a food is cutting it out, the elimination
        # diet; before anything else it is still deleting one's data.
        ("remove dairy and sugar for a month to test", "elimination-diet"),
        ("remove my data", "delete-my-data"),
        # An oily face or skin is a skin type (skincare), not oily food; oily food still is.
        ("my face gets so oily, which products", "basic-skincare"),
        ("makanan berminyak buat muka berjerawat ke", "oily-and-spicy-food"),
        # The holes and craters acne leaves are scars.
        ("craters left by acne on my cheeks, can they fade", "acne-scars-dark-marks"),
        # "on <medicine>" for any medicine, not only isotretinoin.
        ("on minocycline, can i take probiotics", "diet-on-skin-medicines"),
        # Seafood is food: an allergy to a shellfish is the allergy question.
        ("am i allergic to crab or is it just intolerance", "allergy-vs-intolerance"),
        # "patut" (should) is an everyday word: food to avoid is not "when should I see a doctor"
        ("ekzema makin teruk, makanan apa patut elak", "eczema-and-diet"),
        ("bila patut jumpa doktor kulit", "when-to-see-doctor"),
        # A day beside the weather and the skin is still the weather-and-skin question.
        ("jerebu esok, kulit saya gatal", "weather-and-skin"),
    ],
)
def test_batch_16_rules_answer_first(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Blind batches 32-36 (messages written for this test, not the batches'). The clinic's
        # nurse nurses no baby; nursing a baby still is the pregnancy question.
        ("the nurse said my face would be red after the peel, is that normal", "clinic-treatments"),
        ("i am nursing my baby, can i take probiotics", "pregnancy-breastfeeding"),
        # Makeup is skincare; hating one's skin is a feeling; a hectic job is stress.
        ("does wearing makeup every day cause pimples", "basic-skincare"),
        ("i hate how my face looks, need someone to talk to", "emotional-support"),
        ("work has been so hectic lately and my skin keeps breaking out", "stress-and-skin"),
        # A clinic's lunch break is its hours, not a break from the tips.
        ("klinik tutup waktu rehat ke", "opening-hours"),
        # "Jantung nak gugur" (a fright) at a price is no heart doctor.
        ("jantung nak gugur tengok harga konsultasi, berapa sebenarnya", "consultation-cost"),
    ],
)
def test_batch_32_to_36_rules_answer_first(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # Another subject named outright (blind batches 32-36): a garden, a television.
        "nak tanam pokok cili, baja apa bagus",
        "how to change language on my tv",
    ],
)
def test_batch_32_to_36_other_subjects(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome == "unanswered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Blind batches 63-67 (messages written for this test, not the batches'). Voice typing
        # splits a word of ours in two; joined, it is the word (or a typo of one).
        ("apa tu mikro biom, doktor sebut semalam", "gut-microbiome"),
        ("macam mana nak buat temu jenji", "how-to-book"),
        # Kelantan "apa tu" opens a definition question as "apa itu" does.
        ("gapo tu serat, doktor kata kena makan banyok", "what-is-fiber"),
        # A price word alone asks the price.
        ("harga?", "consultation-cost"),
        # A long story around a question of ours: its chatter does not drown the question.
        (
            "Month end at the office, my manager moved three meetings to Friday and my car is at"
            " the workshop again. Every time deadlines pile up the eczema on my fingers flares,"
            " is stress really making my skin worse?",
            "stress-and-skin",
        ),
    ],
)
def test_batch_63_to_67_rules_answer_first(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # Two everyday words are never joined into one of ours ("berapa ikea").
        "pukul berapa ikea cheras tutup malam ni",
        # The body's other conditions are another subject.
        "diabetes boleh makan durian ke",
        "high cholesterol, what medicine is best",
    ],
)
def test_batch_63_to_67_other_subjects(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome == "unanswered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A phrasal verb around an object pronoun is still its phrase.
        ("does cheese break me out", "dairy-and-acne"),
        # Malaysia names no other subject; adverbs say nothing.
        ("what fermented foods can i buy in malaysia", "fermented-foods"),
        # Leaving the tips names stop-tips, not daily-tips.
        ("nak unsubscribe tip", "stop-tips"),
        # "X tu apa" asks what X is.
        ("mikrobiom tu apa", "gut-microbiome"),
        # A dark mark a healed wound leaves is the dark-marks question.
        ("tinggal tanda gelap lepas luka, boleh pudar?", "acne-scars-dark-marks"),
        # "tak" before the skin asks; it disclaims nothing.
        ("kalau buat laser ada risiko tak kulit terbakar", "clinic-treatments"),
    ],
)
def test_batch_68_to_79_rules_answer_first(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # A message that says it is not about the skin.
        "nothing to do with skin, how do i cheer up a friend",
        "not a skin question, which bank has the best loan",
        # Two words naming another subject together, and other illnesses.
        "ada jawatan kosong untuk nurse kat klinik?",
        "nak buat medical checkup untuk kerja, berapa",
        "how long does chickenpox last",
        "how to change my username on telegram",
    ],
)
def test_batch_68_to_79_other_subjects(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome == "unanswered"


@pytest.mark.parametrize(
    "text",
    [
        # Other illnesses, said in one word or two ("pressure" is no stress there).
        "my son keeps sneezing every morning, any tips",
        "hidung berdarah pagi tadi, normal ke",
        "my blood pressure reading was high today",
        # A medicine of ours beside another illness only: that illness's medicine.
        "ubat darah tinggi boleh makan lepas makan ke",
        "can i take cough medicine while pregnant",
    ],
)
def test_batch_80_to_91_other_subjects(shipped: tuple[Content, FaqMatcher], text: str) -> None:
    assert _ask(shipped, text).outcome == "unanswered"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The medicine stays ours beside a skin word or the clinic's service.
        ("on blood pressure pills, can i still take probiotics", "probiotic-supplements"),
        ("krim farmasi tak jalan, patut jumpa pakar kulit ke", "when-to-see-doctor"),
    ],
)
def test_batch_80_to_91_rules_answer(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert expected in _shown(_ask(shipped, text))[:3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A pregnancy named leads: its answer covers what else is asked about it.
        ("expecting my first baby, is kombucha ok to drink", "pregnancy-breastfeeding"),
        ("tengah menyusu, boleh minum yakult hari2?", "pregnancy-breastfeeding"),
        # ...and without one, the question's own entry.
        ("can i take probiotic supplements every day", "probiotic-supplements"),
    ],
)
def test_batch_80_to_91_pregnancy_leads(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # More of a question's concepts named is the more specific question.
        ("is there any research proving the gut and skin link", "gut-skin-evidence"),
        ("on isotretinoin now, is taking collagen supplements ok", "diet-on-skin-medicines"),
    ],
)
def test_batch_80_to_91_more_concepts_shared(
    shipped: tuple[Content, FaqMatcher], text: str, expected: str
) -> None:
    assert _shown(_ask(shipped, text))[:1] == [expected]
