"""Urgent triage: urgent symptoms are caught before the FAQ, negations and near-misses are not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.content.models import UrgentFile, UrgentSign
from bot.faq.urgent import detect_urgent

URGENT = [
    # a negator far from the sign, with stopwords between, must not cancel it
    ("I don't know why but my lips are swollen", "swelling-face-throat"),
    ("I dont know why but my face is swollen, is it dairy?", "swelling-face-throat"),
    ("not sure why my face is swollen", "swelling-face-throat"),
    ("tak tahu kenapa bibir saya bengkak", "swelling-face-throat"),
    # swelling of face, lips, tongue, throat
    ("my lips are swollen", "swelling-face-throat"),
    ("tongue swelling after eating prawns", "swelling-face-throat"),
    ("face swelled up suddenly", "swelling-face-throat"),
    ("my throat feels tight", "swelling-face-throat"),
    ("bibir bengkak tiba2", "swelling-face-throat"),
    ("lidah saya membengkak", "swelling-face-throat"),
    ("muka bengkak lepas laser", "swelling-face-throat"),
    ("susah nak telan", "swelling-face-throat"),
    # breathing
    ("I can't breathe properly", "breathing"),
    ("hard to breathe after the cream", "breathing"),
    ("shortness of breath", "breathing"),
    ("sesak nafas", "breathing"),
    ("saya tak boleh bernafas", "breathing"),
    ("xleh nafas", "breathing"),
    ("anak saya semput", "breathing"),
    # rash with fever, spreading or blistering
    ("rash and fever since yesterday", "rash-with-fever"),
    ("the rash is spreading fast", "rash-with-fever"),
    ("blisters everywhere and fever", "rash-with-fever"),
    ("ruam merebak dengan cepat", "rash-with-fever"),
    ("demam dan ruam satu badan", "rash-with-fever"),
    # hot, red, spreading
    ("the redness is hot and spreading", "hot-red-spreading"),
    ("kulit panas merah dan merebak", "hot-red-spreading"),
    ("red streaks spreading from the wound", "hot-red-spreading"),
    # severe pain
    ("severe pain on my cheek", "severe-pain"),
    ("the pain is unbearable", "severe-pain"),
    ("sakit teramat sangat", "severe-pain"),
    ("tak tahan sakit", "severe-pain"),
    # bleeding
    ("bleeding won't stop", "bleeding"),
    ("it keeps bleeding", "bleeding"),
    ("darah tak berhenti", "bleeding"),
    # a reaction after a clinic treatment
    ("burning and blisters after the chemical peel", "reaction-after-treatment"),
    ("pus after filler injection", "reaction-after-treatment"),
    ("melecur lepas rawatan laser", "reaction-after-treatment"),
    ("ada nanah lepas facial", "reaction-after-treatment"),
    # fainting, dizzy after
    ("I fainted this morning", "fainting-dizzy"),
    ("felt dizzy after the injection", "fainting-dizzy"),
    ("pengsan lepas suntikan", "fainting-dizzy"),
    ("pening lepas rawatan", "fainting-dizzy"),
    # eyes and vision
    ("blurry vision after peel", "eyes-vision"),
    ("cream got into my eye and it burns", "eyes-vision"),
    ("mata kabur", "eyes-vision"),
    ("krim masuk mata", "eyes-vision"),
    # skin peeling in sheets
    ("skin peeling off in sheets", "peeling-sheets"),
    ("kulit mengelupas banyak", "peeling-sheets"),
    # high fever with rash in a child
    ("my baby has a high fever", "child-fever-rash"),
    ("bayi demam panas tinggi", "child-fever-rash"),
    # typos and emphasis
    ("my lipsss are swolen!!!", "swelling-face-throat"),
    ("bibir bengak", "swelling-face-throat"),
    # a negated sign plus a real one still triggers
    ("no fever but my lips are swollen", "swelling-face-throat"),
    ("tiada demam tapi sesak nafas", "breathing"),
    ("no fever yesterday, now fever and a rash", "rash-with-fever"),
    # mixed
    ("face bengkak after laser", "swelling-face-throat"),
    ("lepas facial ada pus", "reaction-after-treatment"),
]

NOT_URGENT = [
    "my face is a bit red after sun",
    "does dairy cause acne?",
    "probiotik untuk ekzema",
    "acneee sbb susu ke",
    "puffy eyes in the morning",
    "my lips are dry and cracked",
    "jerawat sakit sangat",
    "is laser treatment good for acne scars?",
    "can i do a facial if i have eczema?",
    # negations
    "no fever",
    "tiada demam",
    "tak demam tapi ruam",
    "not swollen",
    "lips not swollen",
    "bibir tidak bengkak",
    "x bengkak pun",
    "without bleeding",
    "tak sesak nafas",
    "I can breathe fine",
    "saya boleh bernafas dengan baik",
    "no pain",
    "rash but no fever",
    # near misses
    "my skin is peeling a little",
    "a small rash on my arm",
    "kulit merah sikit",
    "I feel tired and dizzy when I skip breakfast",
    "my eyes are tired",
    "the pimple bled a bit when I popped it",
    "is tempeh good for the gut?",
    "hot weather makes my face oily",
    "",
    "👍",
]


@pytest.mark.parametrize(("text", "sign"), URGENT)
def test_urgent(urgent_signs: tuple[UrgentSign, ...], text: str, sign: str) -> None:
    finding = detect_urgent(text, urgent_signs)
    assert finding is not None, text
    assert finding.sign_id == sign


@pytest.mark.parametrize("text", NOT_URGENT)
def test_not_urgent(urgent_signs: tuple[UrgentSign, ...], text: str) -> None:
    assert detect_urgent(text, urgent_signs) is None


def test_every_sign_is_exercised() -> None:
    assert {sign for _, sign in URGENT} >= {
        "swelling-face-throat",
        "breathing",
        "rash-with-fever",
        "hot-red-spreading",
        "severe-pain",
        "bleeding",
        "reaction-after-treatment",
        "fainting-dizzy",
        "eyes-vision",
        "peeling-sheets",
        "child-fever-rash",
    }


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"urgent": []}, "at least 1"),
        ({"urgent": [{"id": "x1", "phrases": {"en": ["a b"]}}]}, "needs phrases in: ms"),
        ({"urgent": [{"id": "x1", "phrases": {"en": ["a"], "ms": ["b"], "zz": ["c"]}}]}, "zz"),
        ({"urgent": [{"id": "x1", "phrases": {"en": ["???"], "ms": ["b c"]}}]}, "no words"),
        ({"urgent": [{"id": "x1", "phrases": {"en": ["ab"], "ms": ["bc"]}, "extra": 1}]}, "extra"),
        (
            {
                "urgent": [
                    {"id": "x1", "phrases": {"en": ["ab"], "ms": ["bc"]}},
                    {"id": "x1", "phrases": {"en": ["ab"], "ms": ["bc"]}},
                ]
            },
            "duplicate",
        ),
    ],
)
def test_urgent_file_rejects(data: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        UrgentFile.model_validate(data)
