"""Spot messages describing urgent symptoms or thoughts of self-harm, before any FAQ matching.

Erring towards caution: a false alarm costs a message, a miss costs more.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from rapidfuzz import fuzz, process

from bot.content.models import ANY_WORD, WINDOW_SLACK, Kind, PhraseItem, PhraseSpec
from bot.content.models import UrgentFile as UrgentFile  # re-exported: it used to live here
from bot.content.models import UrgentSign as UrgentSign
from bot.faq.normalise import MAX_TOKENS, NEGATORS, STOPWORDS, nearest_window, variants, words

NEGATION_REACH = 1
"""A negator this many words before a phrase (or inside it) cancels it: "no fever"."""

FUZZY_CUTOFF = 85
"""rapidfuzz ratio for a typo to count: "bengak"~"bengkak" 92, "swolen"~"swollen" 92."""

FUZZY_MIN_LEN = 5
"""Below this, a ratio says little; short words get the edit-distance rule below instead."""

SHORT_TYPO_LEN = (4, 6)
"""Token lengths checked for one slip (a letter left out, or two neighbours swapped) against
the signs' words, keeping the first letter: "nfas"~"nafas", "dmam"~"demam", "bisl"~"bisul".
Only the signs' own words are candidates, and a phrase still needs all its words, so a slip
matters only beside the rest of a sign; everyday words one slip away from a sign's word
("sebab"~"sebar", "lepas"~"lepuh") are listed in a sign's `not_typos` and never guessed at."""

SHORT_TARGET_MIN = 5
"""Sign words shorter than this are too like everyday words ("mata"/"masa", "mati"/"mari")."""

VOWELLESS_LEN = (3, 10)
"""Token lengths checked as a sign's word typed without its vowels, Malay texting style:
"dmm"~"demam", "tggi"~"tinggi", "bngkk"~"bengkak", "brth"~"breath" (blind batch 14)."""

FUZZY_MAX_LEN = 30
"""Longer tokens are not words; skip fuzzy work on them."""

MAX_CHOICES = 512
"""Choices of a phrase's words tried in one message, to bound time on repetitive input."""

MAX_FUZZY_TOKENS = 80
"""Distinct unknown words looked up fuzzily per MAX_TOKENS words of a message, to bound time
on long or hostile input (triage reads the whole message: a crisis told after 300 words still
counts)."""


@dataclass(frozen=True, slots=True)
class UrgentFinding:
    """An urgent sign found in a message, its kind, and the phrase(s) that matched it."""

    sign_id: str
    phrase: str
    kind: Kind = "urgent"


# A compiled phrase: one set of accepted keys per word slot.
_Slots = tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class _Phrase:
    label: str
    slots: _Slots
    slack: int
    ordered: bool


@dataclass(frozen=True, slots=True)
class _Sign:
    id: str
    kind: Kind
    phrases: tuple[_Phrase, ...]
    combinations: tuple[tuple[tuple[_Phrase, ...], ...], ...]
    """Each "A together with B": one phrase of every group, anywhere in the message."""
    idioms: tuple[_Slots, ...]
    idiom_starts: dict[str, tuple[int, ...]]
    """For each key, the idioms whose first word it can be: only those are tried there."""


def _idiom_starts(idioms: tuple[_Slots, ...]) -> dict[str, tuple[int, ...]]:
    starts: dict[str, list[int]] = {}
    for n, slots in enumerate(idioms):
        for key in slots[0]:
            starts.setdefault(key, []).append(n)
    return {key: tuple(ns) for key, ns in starts.items()}


def _make_sign(sign: UrgentSign) -> _Sign:
    idioms = tuple(_compile_phrase(sign.expand(idiom)) for idiom in sign.not_when)
    return _Sign(
        sign.id,
        sign.kind,
        tuple(
            _compile_item(sign, item)
            for lang in sorted(sign.phrases)
            for item in sign.phrases[lang]
        ),
        tuple(
            tuple(tuple(_compile_item(sign, p) for p in group) for group in groups)
            for groups in sign.every_combination()
        ),
        idioms,
        _idiom_starts(idioms),
    )


def _combined(sign: _Sign) -> list[_Phrase]:
    return [p for groups in sign.combinations for group in groups for p in group]


def _compile_item(sign: UrgentSign, item: PhraseItem) -> _Phrase:
    text = item.words if isinstance(item, PhraseSpec) else item
    slack = item.slack if isinstance(item, PhraseSpec) and item.slack is not None else sign.slack
    ordered = (
        item.ordered if isinstance(item, PhraseSpec) and item.ordered is not None else sign.ordered
    )
    return _Phrase(text, _compile_phrase(sign.expand(text)), slack, ordered)


class _Compiled:
    """Signs turned into key sets once, with the vocabulary typos are matched against."""

    def __init__(self, signs: Sequence[UrgentSign]) -> None:
        self.signs = tuple(signs)  # held so the ids in the cache key stay unique
        self.compiled = tuple(_make_sign(sign) for sign in self.signs)
        every = [[*sign.phrases, *_combined(sign)] for sign in self.compiled]
        self.vocabulary = frozenset(k for ps in every for p in ps for s in p.slots for k in s)
        # Each phrase is filed under the keys of one of its words, the one fewest phrases
        # share: a message that has none of them cannot hold the phrase, so it is not tried.
        use = Counter(k for phrases in every for phrase in phrases for s in phrase.slots for k in s)
        self.anchors: dict[str, list[int]] = {}
        self.unanchored: set[int] = set()
        for compiled in every:
            for one in compiled:
                if not one.slots:
                    self.unanchored.add(id(one))
                    continue
                rarest = min(one.slots, key=lambda slot: sum(use[k] for k in slot))
                for key in rarest:
                    self.anchors.setdefault(key, []).append(id(one))
        self.sign_phrases = tuple(frozenset(id(p) for p in compiled) for compiled in every)
        self.not_typos = frozenset(
            t for sign in self.signs for w in sign.not_typos for t in words(w)
        )
        self.choices = tuple(sorted(self.vocabulary))
        # Short typos are judged against the words as written in the data (not their stems,
        # which are often not words: "kelupas" -> "lupas"), and only those of 5 letters or more.
        by_letter: dict[str, set[str]] = {}
        low, high = SHORT_TYPO_LEN
        for sign in self.signs:
            for phrase in sign.written():
                for word in words(phrase.replace("|", " ")):
                    if max(SHORT_TARGET_MIN, low - 1) <= len(word) <= high + 1:
                        by_letter.setdefault(word[0], set()).add(word)
        self.short_choices = {k: tuple(sorted(v)) for k, v in by_letter.items()}
        bare: dict[str, set[str]] = {}
        for sign in self.signs:
            for phrase in sign.written():
                for word in words(phrase.replace("|", " ")):
                    if len(word) > VOWELLESS_LEN[0] and not word.startswith("@"):
                        bare.setdefault(word[0], set()).add(word)
        self.vowelless_choices = {k: tuple(sorted(v)) for k, v in bare.items()}
        self.fuzzy_cache: dict[str, frozenset[str]] = {}
        # Words a run-on token may be made of: the signs' words as written, and small words.
        self.known = (
            frozenset(
                w
                for sign in self.signs
                for phrase in sign.written()
                for w in words(phrase.replace("|", " "))
                if not w.startswith("@")
            )
            | STOPWORDS
            | NEGATORS
            | frozenset(w for sign in self.signs for ws in sign.lexicons.values() for w in ws)
        )

        self.run_on_words = frozenset(
            w
            for sign in self.signs
            for name in RUN_ON_LEXICONS
            for w in sign.lexicons.get(name, ())
        )
        self.counted = frozenset(
            k for sign in self.signs for w in sign.lexicons.get(COUNTED, ()) for k in variants(w)
        )

    def fuzzy(self, token: str) -> frozenset[str]:
        """Return the vocabulary keys a mistyped token probably stands for."""
        found = self.fuzzy_cache.get(token)
        if found is None:
            keys: set[str] = set()
            if len(token) >= FUZZY_MIN_LEN:
                hits = process.extract(
                    token, self.choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
                )
                keys.update(key for key, _, _ in hits)
            if SHORT_TYPO_LEN[0] <= len(token) <= SHORT_TYPO_LEN[1]:
                for written in self.short_choices.get(token[0], ()):
                    if _one_slip(token, written):
                        keys.update(variants(written))
            if VOWELLESS_LEN[0] <= len(token) <= VOWELLESS_LEN[1]:
                for written in self.vowelless_choices.get(token[0], ()):
                    if _vowels_dropped(token, written):
                        keys.update(variants(written))
            found = frozenset(keys)
            if len(self.fuzzy_cache) < 4096:
                self.fuzzy_cache[token] = found
        return found


def unreadable_words(signs: Sequence[UrgentSign]) -> list[str]:
    """Problems with the signs' words as triage reads them: a word of a phrase or an idiom that
    reads as several words ("xnak" is read "tak nak", "epi-pen" "epi pen") would let any one of
    them stand alone for it ("mau" for "xmau"), so each must have its own place."""
    problems: list[str] = []
    for sign in signs:
        texts = [*sign.written(), *(sign.expand(idiom) for idiom in sign.not_when)]
        # Each word once per sign: lexicons repeat the same words in many phrases.
        alternatives = dict.fromkeys(a for t in texts for w in t.split() for a in w.split("|"))
        for alternative in alternatives:
            read = words(alternative) if alternative != ANY_WORD else [ANY_WORD]
            if len(read) > 1:
                problems.append(
                    f"urgent.yaml: sign {sign.id!r}: {alternative!r} is read as several "
                    f"words ({' '.join(read)}): give each its own place in the phrase"
                )
    return problems


_compiled: dict[tuple[int, ...], _Compiled] = {}


def _compile(signs: Sequence[UrgentSign]) -> _Compiled:
    key = tuple(id(s) for s in signs)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) > 8:  # content reloads are rare; keep the newest few
            _compiled.clear()
        found = _compiled[key] = _Compiled(signs)
    return found


def _read_words(text: str, compiled: _Compiled) -> list[str]:
    """The whole message as words, with what triage reads beyond plain words: emoji, readings
    and counts typed as numbers (before the split drops numbers), then leetspeak, letters
    typed apart and words run together."""
    text = _read_counts(read_readings(_read_symbols(text)), compiled)
    raw = words(text, limit=None)
    return _split_run_ons(_join_letters(_read_leet(raw, compiled), compiled), compiled)


def detect_urgent(text: str, signs: Sequence[UrgentSign]) -> UrgentFinding | None:
    """Return the first urgent sign (in the data's order) the message describes, or None."""
    compiled = _compile(signs)
    vocabulary = compiled.vocabulary
    raw = _read_words(text, compiled)
    # Stopwords go, except those a phrase needs ("tak boleh nafas") and negators; each kept
    # token remembers its place among all the words, so negation is judged on what was typed.
    kept = [
        (i, t)
        for i, t in enumerate(raw)
        if t in NEGATORS or t in vocabulary or (len(t) > 1 and t not in STOPWORDS)
    ]
    if not kept:
        return None
    tokens = [t for _, t in kept]
    context = _Context(raw, tuple(i for i, _ in kept), _places(tokens))
    positions: dict[str, list[int]] = {}
    # Each distinct unknown word is looked up once, within a budget that grows with the message.
    looked: dict[str, frozenset[str]] = {}
    fuzzy_budget = MAX_FUZZY_TOKENS * -(-len(tokens) // MAX_TOKENS)
    for pos, token in enumerate(tokens):
        keys = set(variants(token))
        if (
            not keys & vocabulary
            and VOWELLESS_LEN[0] <= len(token) <= FUZZY_MAX_LEN
            and token not in compiled.not_typos
            and token not in NEGATORS
        ):
            guessed = looked.get(token)
            if guessed is None and len(looked) < fuzzy_budget:
                guessed = looked[token] = compiled.fuzzy(token)
            keys |= guessed or frozenset()
        for key in keys:
            positions.setdefault(key, []).append(pos)

    live = set(compiled.unanchored)
    for key in positions:
        live.update(compiled.anchors.get(key, ()))
    raw_keys: list[tuple[str, ...]] = []
    for sign, ids in zip(compiled.compiled, compiled.sign_phrases, strict=True):
        if live.isdisjoint(ids):
            continue
        here = positions
        if sign.idioms:
            if not raw_keys:
                raw_keys = [variants(w) for w in raw]
            here = _without_idioms(positions, sign, raw_keys, context)
        for phrase in sign.phrases:
            if id(phrase) in live and _phrase_found(phrase, here, context):
                return UrgentFinding(sign.id, phrase.label, sign.kind)
        for groups in sign.combinations:
            matched: list[_Phrase] = []
            for group in groups:
                found = next(
                    (p for p in group if id(p) in live and _phrase_found(p, here, context)), None
                )
                if found is None:
                    break
                matched.append(found)
            else:
                label = " + ".join(m.label for m in matched)
                return UrgentFinding(sign.id, label, sign.kind)
    return None


EMOJI_WORDS = {
    "\U0001f52a": "emojiknife",
    "\U0001fa78": "emojiblood",
    "\U0001fa92": "emojirazor",
    "\U0001f912": "fever",
    "\U0001f48a": "pills",
    "\U0001f480": "lol",
    "\U0001f602": "lol",
    "\U0001f923": "lol",
    "\U0001faa2": "emojirope",
}
"""Emoji that stand for self-harm in texting ("🔪🩸 again tonight"), read as words of their own
(not "knife" or "blood": a kitchen accident says those; blind batch 15); the face with a
thermometer is a fever and the capsule pills, as typed ("boil with pus 🤒"); the skull is a laugh
("I'm dead 💀", blind batch 23), so the idioms for laughing "I'm dead" apply; so are the faces with
tears of joy and rolling on the floor (blind batches 71-72: "couldnt breathe 😂", "felt like i
was dying 😂"); the knot is a noose in a story (blind batch 123: "keeps posting 🪢")."""

SCRIPT_WORDS = {
    # Chinese (simplified and traditional): suicide and self-harm.
    "自杀": "suicide",
    "自殺": "suicide",
    "轻生": "suicide",
    "輕生": "suicide",
    "想死": "want to die",
    "不想活": "dont want to live",
    "活不下去": "dont want to live",
    "结束生命": "end my life",
    "結束生命": "end my life",
    "自残": "hurt myself",
    "自殘": "hurt myself",
    "伤害自己": "hurt myself",
    "傷害自己": "hurt myself",
    "割腕": "cut myself",
    "跳楼": "jump off building",
    "跳樓": "jump off building",
    # ... and emergencies.
    "呼吸困难": "cant breathe",
    "呼吸困難": "cant breathe",
    "喘不过气": "cant breathe",
    "喘不過氣": "cant breathe",
    "不能呼吸": "cant breathe",
    "喉咙肿": "throat swollen",
    "喉嚨腫": "throat swollen",
    "嘴唇肿": "lips swollen",
    "嘴唇腫": "lips swollen",
    "舌头肿": "tongue swollen",
    "舌頭腫": "tongue swollen",
    "发高烧": "high fever",
    "發高燒": "high fever",
    "晕倒": "fainted",
    "暈倒": "fainted",
    "流血不止": "bleeding wont stop",
    "胸口痛": "chest pain",
    "胸痛": "chest pain",
    "发烧": "fever",
    "發燒": "fever",
    "伤口": "wound",
    "傷口": "wound",
    "新药": "new medicine",
    "新藥": "new medicine",
    "红疹": "rash",
    "紅疹": "rash",
    "皮疹": "rash",
    "起疹": "rash",
    "化脓": "pus",
    "化膿": "pus",
    "水泡": "blisters",
    "脱皮": "peeling",
    "脫皮": "peeling",
    # Tamil: suicide, wanting to die.
    "தற்கொலை": "suicide",
    "சாகணும்": "want to die",
    "சாக வேண்டும்": "want to die",
}
"""Words of other scripts that Malaysian patients type (Chinese and Tamil), read as the English
words of the signs (session 10): a crisis or an emergency typed in Chinese gets the urgent
reply too, not the fallback. The reply itself stays in the user's language."""

COUNTED = "meds"
"""The lexicon whose words, after a count of ten or more, read as a count: "took 20 panadol",
"telan 15 biji ubat" (numbers are otherwise not words). A phrase names the count `manycount`."""

_COUNT = re.compile(r"(?<![\w.,])([1-9]\d{1,2})\s*(?:x\s*)?([^\W\d_]+)(?:\s+([^\W\d_]+))?")
"""A count and the one or two words after it ("25 sleeping pills", "20 biji panadol")."""


def _read_counts(text: str, compiled: _Compiled) -> str:
    """Write a count of ten or more before a counted word ("20 panadol", "25 sleeping pills")
    as "manycount"."""
    if not compiled.counted:
        return text

    def one(match: re.Match[str]) -> str:
        after = [w for w in match.group(2, 3) if w]
        if after[0].casefold() in _DOSE_UNITS:  # "500 mg panadol" is a dose, not a count
            return match.group(0)
        if not any(set(variants(w.casefold())) & compiled.counted for w in after):
            return match.group(0)
        return "manycount " + " ".join(after)

    text = _COUNT.sub(one, text)
    # A count swallowed with the medicine named elsewhere ("how much panadol is too much, i
    # already took 15"; lead probes, session 8).
    if _TOOK_COUNT.search(text) and any(
        set(variants(w)) & compiled.counted for w in words(text, limit=None)
    ):
        text = _TOOK_COUNT.sub(r"\1 manycount", text)
    return text


_DOSE_UNITS = frozenset(
    {"mg", "mcg", "ug", "g", "gm", "gram", "grams", "ml", "iu", "unit", "units"}
)

_TOOK_COUNT = re.compile(
    r"(?i)\b(took|taken|swallowed|telan|ditelan|menelan|popped)\s+(?:about\s+|around\s+|like\s+)?"
    r"[1-9]\d{1,2}\b(?![.,]\d)(?!\s*(?:x\b|min|hour|hr|jam|minit|day|hari|week|minggu|month|"
    r"bulan|year|tahun|ml|mg|g\b|kg|%|percent|sen\b|rm\b|time|kali|step|langkah|second|saat))"
)
"""A count of ten or more right after a word of swallowing, not a duration or a dose unit."""


LEET = str.maketrans("013457", "oieast")
"""Digits typed for letters ("1 w4nt t0 d13"). A token is read this way only when the word it
makes is one the signs know, so "b12", "d3" or "covid19" stay as typed. Blind batch 15."""


LEET_L = str.maketrans("013457", "oleast")
"""The same with "1" for "l" ("k1ll", "a1one")."""


def _read_symbols(text: str) -> str:
    """Emoji and other scripts' words (EMOJI_WORDS, SCRIPT_WORDS) as words of their own."""
    if text.isascii():
        return text
    for emoji, word in (*EMOJI_WORDS.items(), *SCRIPT_WORDS.items()):
        if emoji in text:
            text = text.replace(emoji, f" {word} ")
    return text


def _read_leet(raw: list[str], compiled: _Compiled) -> list[str]:
    """Read tokens mixing letters and digits as leetspeak when that makes a known word, and
    "v" typed for "u" likewise ("bvnvh d1r1", "vnalive"; blind batch 34)."""
    out = raw
    for n, token in enumerate(raw):
        if token.isalpha():
            tries = (
                [token.replace("v", "u")] if "v" in token and token not in compiled.known else []
            )
        elif any(ch.isalpha() for ch in token):
            tries = [token.translate(table) for table in (LEET, LEET_L)]
        else:
            continue
        read = next((t for t in tries if t.isalpha() and t in compiled.known), None)
        if read is not None:
            if out is raw:
                out = list(raw)
            out[n] = read
    return out


def _join_letters(raw: list[str], compiled: _Compiled) -> list[str]:
    """Join letters typed apart ("k.m.s", "k m s", "s.u.i.c.i.d.e") when together they make a
    sign's word, or several known words with no letter left over ("K I L L  M Y S E L F";
    session 10's probes)."""
    if sum(len(t) == 1 for t in raw) < 2:
        return raw
    out: list[str] = []
    n = 0
    while n < len(raw):
        end = n
        while end < min(len(raw), n + MAX_SPELLED) and len(raw[end]) == 1 and raw[end].isalpha():
            end += 1
        joined = "".join(raw[n:end])
        if end - n >= 2 and set(variants(joined)) & compiled.vocabulary:
            out.append(joined)
            n = end
            continue
        run_start = n == 0 or len(raw[n - 1]) != 1
        pieces = _segment(joined, compiled.known) if end - n >= 6 and run_start else None
        if pieces and len(pieces) >= 2 and all(p in compiled.known for p in pieces):
            out.extend(pieces)
            n = end
        else:
            out.append(raw[n])
            n += 1
    return out


MAX_SPELLED = 24
"""At most this many letters typed apart are joined: enough for a few words spelled out, and
it keeps a message of thousands of single letters linear (it was quadratic). Splitting into
several words is tried only from the start of a run of letters."""


# Readings typed as numbers (blind batch 14): "temp 39.5C", "demam 39", "spo2 90". Words drop
# numbers, so a reading is replaced by the word it means before the message is split.
_TEMP_WORDS = r"(?:temp|temperature|temprature|suhu|fever|fevers|demam|dmm|thermometer|termometer)"
_C = r"(?:3[89]|4[0-2])(?:(?:[.,]|\s+point\s+|\s+titik\s+)\d)?"
"""38.0 to 42.9 degrees Celsius: a fever (37.x is not)."""
_F = r"(?:100[.,][4-9]|10[1-7](?:[.,]\d)?)"
"""100.4 to 107.9 degrees Fahrenheit."""
_C_UNIT = r"\s*(?:°\s*c?|º\s*c?|c|celsius|celcius|deg|degrees?|darjah)"
_F_UNIT = r"\s*(?:°\s*f?|º\s*f?|f|fahrenheit)"
_NOT_MONEY = r"(?<![\w.,$])(?<!rm )(?<!\$ )"
_NOT_AFTER = (
    r"(?![\d.,]?\d)(?!\s*(?:%|kg|g\b|cm|mm|ml|km|kmh|sen|rm|years?|yrs?|yo\b|tahun|thn|"
    r"weeks?|wks?|minggu|days?|hari|hours?|hrs?|jam|min|mins|minutes?|minit|months?|bulan|"
    r"bpm|percent))"
)
"""Not a reading when a unit of something else follows: "38.5 kg", "39 years", "40 minutes"."""
_SPOKEN = (
    r"(?:thirty[\s-]?eight|thirty[\s-]?nine|forty(?:[\s-]?(?:one|two))?|"
    r"tiga\s+puluh\s+(?:lapan|sembilan)|empat\s+puluh(?:\s+(?:satu|dua))?|"
    r"(?:a|one)\s+hundred\s+(?:and\s+)?(?:one|two|three|four|five|six))"
    r"(?:\s+(?:point|titik|perpuluhan)\s+[a-z]+)?"
)
"""A fever said in words, as voice typing writes it: "thirty nine point five", "a hundred and
three", "tiga puluh sembilan"."""
_SPOKEN_RE = re.compile(rf"\b{_SPOKEN}\b")
_OXYGEN_WORDS = r"(?:spo2|sp02|spo|o2|oxygen|oksigen|sats?|saturation)"
_PAIN_WORDS = r"(?:pain|pains|painful|hurts?|hurting|sakit|pedih|nyeri)"
_OUT_OF = r"(?:/|over|out\s+of|daripada|dari)"
_SUGAR_WORDS = r"(?:sugar|gula|glucose|glukosa|dextro|glucometer|hypo)"

_READINGS = (
    # A Celsius or Fahrenheit reading with its unit: "39.5c", "40 degrees", "102f".
    (re.compile(rf"{_NOT_MONEY}(?:{_C}{_C_UNIT}|{_F}{_F_UNIT})(?!\w)"), " fever "),
    # A bare reading with a decimal ("38.5") or after a word for temperature ("temp 40",
    # "demam tinggi 39", "thermometer says 39.4").
    (re.compile(rf"{_NOT_MONEY}(?:3[89]|4[0-2])[.,]\d{_NOT_AFTER}"), " fever "),
    (
        re.compile(rf"(\b{_TEMP_WORDS}\W+(?:[^\W\d]+\W+){{0,3}}?)(?:{_C}|{_F}){_NOT_AFTER}"),
        r"\1 fever ",
    ),
    # Said in words, after a word for temperature or before degrees.
    (
        re.compile(rf"(\b{_TEMP_WORDS}\W+(?:[^\W\d]+\W+){{0,3}}?){_SPOKEN}\b{_NOT_AFTER}"),
        r"\1 fever ",
    ),
    (re.compile(rf"\b{_SPOKEN}\s+(?:degrees?|darjah)\b"), " fever "),
    # Oxygen saturation of 92% or less: "spo2 90", "oxygen 88%".
    (
        re.compile(
            rf"(\b{_OXYGEN_WORDS}\W+(?:[^\W\d]+\W+){{0,2}}?)(?:[5-8]\d|9[0-2])(?![\d.,]?\d)"
        ),
        r"\1 low oxygen ",
    ),
    # Pain scored 9 or 10 out of 10, beside a word for pain ("pain is 10/10", "sakit 9 over
    # 10", "10/10 pain"): the worst pain (blind batch 28).
    (
        re.compile(rf"(\b{_PAIN_WORDS}\W+(?:[^\W\d]+\W+){{0,6}}?)(?:9|10)\s*{_OUT_OF}\s*10(?!\d)"),
        r"\1 worstpain ",
    ),
    (
        re.compile(rf"(?<![\d.,])(?:9|10)\s*{_OUT_OF}\s*10(?!\d)(?=\W+{_PAIN_WORDS}\b)"),
        " worstpain ",
    ),
    # A blood pressure of 180 or more over anything ("bp 200/120"), and a blood sugar below
    # 3.5 mmol/L ("sugar 2.1"; the lead's probes, session 10): readings to act on now.
    (
        re.compile(
            r"(\b(?:bp|pressure|tekanan)\W+(?:[^\W\d]+\W+){0,2}?)(?:1[89]\d|2\d\d)\s*/\s*\d{2,3}"
            r"(?!\d)"
        ),
        r"\1 highbpreading ",
    ),
    (
        re.compile(
            rf"(\b{_SUGAR_WORDS}\W+(?:[^\W\d]+\W+){{0,2}}?)(?:[0-2](?:[.,]\d)?|3[.,][0-4])"
            rf"{_NOT_AFTER}(?!\s*(?:times|kali|x\b|cubes?|ketul|sudu|spoons?|teaspoons?|tsp|"
            rf"tbsp|mg|g\b|gram|grams|sachets?|paket|packs?|cups?|cawan))"
        ),
        r"\1 lowsugarreading ",
    ),
)

_CHILD_AGE = re.compile(
    r"(?<![\d.,])(?:[1-9]|1[0-2])[\s-]*(?:yo|y/o|y\.o\.?|(?:year|years|yr|yrs)[\s-]*old)(?!\w)"
)
"""A child's age, 12 or under ("my 3yo", "my 2 year old")."""

_BABY_AGE = re.compile(
    r"(?<![\d.,])\d{1,2}[\s-]*(?:month|months|mth|mths|mo|week|weeks|wk|wks)[\s-]*old(?!\w)"
    # Malay puts the age after the child, without "old" ("anak 3 minggu", "bayi sy 2 bulan",
    # "anak sy baru 2 bulan", "cucu saya baru sebulan": blind batches 72, 75 and 102), and so
    # may English ("my granddaughter 2 months has refused every bottle"); the child stays, the
    # age becomes "baby". Not a time ago ("my son 2 months ago").
    r"|(?:(?<=\banak)|(?<=\bbayi)|(?<=\bbudak)|(?<=\bbaby)|(?<=\bson)|(?<=\bdaughter)|(?<=\bgrandson)"
    r"|(?<=\bgranddaughter)|(?<=\bnephew)|(?<=\bniece)|(?<=\bcucu))"
    r"(?:\s+(?:saya|sy|aku|kami|i|my))?(?:\s+(?:baru|umur|usia|dah|yg|yang|is|just))?"
    r"\s+(?:[1-9]\d?\s*(?:minggu|mgu|mggu|bulan|bln|weeks|week|wks|months|month|mths)|se(?:bulan|minggu|hari))(?!\w)"
    r"(?!\s+(?:ago|back|lepas|lalu|since|before|sebelum|later|nanti))"
)
"""A baby's age in weeks or months ("my 2 month old", "a 6-week-old", "anak 3 minggu")."""

_AGE_IN_WORDS = ("sebulan", "seminggu", "sehari")
"""The ages _BABY_AGE reads without a number: a message with none of them and no digit is left
as typed, with no pattern run over it."""

_NOT_A_BODY = re.compile(
    r"\b(?:weather|cuaca|outside|diluar|heatwave|sunny|matahari|room|bilik|aircon|aircond|oven|"
    r"bake|baking|ferment|fermenting|fermentation|kombucha|yogurt|yoghurt|fridge|peti|bath|"
    r"shower)\b"
)
"""Words that make a temperature the air's, a room's or a kitchen's, not a body's."""


def read_readings(text: str) -> str:
    """Replace a fever's temperature or a low oxygen reading by the words it means.

    "temp 39.5C" -> "temp fever", "spo2 90" -> "spo2 low oxygen"; other numbers stay (and are
    then dropped with the rest of the numbers), as do all numbers in a message about the
    weather, a room or a kitchen ("38 degrees outside").
    """
    out = text.casefold()
    if not any(ch.isdigit() for ch in out) and not _SPOKEN_RE.search(out):
        # No number: only a baby's age said in words ("cucu saya baru sebulan").
        if any(word in out for word in _AGE_IN_WORDS):
            return _BABY_AGE.sub(" baby ", out)
        return text
    # A young child told by age ("my 3yo drank", "my 2 month old"; blind batch 49).
    out = _BABY_AGE.sub(" baby ", _CHILD_AGE.sub(" child ", out))
    if _NOT_A_BODY.search(out):
        return out
    for pattern, replacement in _READINGS:
        out = pattern.sub(replacement, out)
    return out


RUN_ON_MIN_LEN = 14
"""Tokens this long that are no known word may be words typed without spaces."""

SHORT_RUN_ON_LEN = 8
"""Shorter tokens, from this length, are split only into three or more known words with no
letter left over, one of them a word of the lexicons in RUN_ON_LEXICONS, and only when the
token is no Malay affixed form of a known word ("iwanttodie", "nakbunuhdiri",
"imgonnakillmyself"; session 10's probes; "afternoon" and "kebosanan" stay whole)."""

RUN_ON_LEXICONS = ("die", "harm", "self", "dark")
"""The lexicons (in any sign) whose words let a short token be split."""

RUN_ON_MAX_LEN = 80
"""Longer tokens are not split (bounded work on hostile input)."""

RUN_ON_WORD_LEN = (2, 16)
"""The lengths of the words looked for inside a run-on token."""


def _split_run_ons(raw: list[str], compiled: _Compiled) -> list[str]:
    """Split tokens typed without spaces ("helpmyfaceswellingcannotbreathe") into the known
    words they are made of, when known words cover the whole token; others stay as typed."""
    if not any(len(t) >= SHORT_RUN_ON_LEN or t.startswith(_JOINED_NEGATORS) for t in raw):
        return raw
    out: list[str] = []
    for token in raw:
        if RUN_ON_MIN_LEN <= len(token) <= RUN_ON_MAX_LEN and token not in compiled.vocabulary:
            out.extend(_segment(token, compiled.known) or [token])
        elif token.startswith(_JOINED_NEGATORS) and token not in compiled.vocabulary:
            out.extend(_negator_joined(token, compiled) or [token])
        elif SHORT_RUN_ON_LEN <= len(token) < RUN_ON_MIN_LEN and token not in compiled.vocabulary:
            out.extend(_segment_short(token, compiled) or [token])
        else:
            out.append(token)
    return out


_JOINED_NEGATORS = ("takboleh", "xboleh", "cannot", "cant", "cnt", "dont", "wont", "tak")
_NEGATOR_WORDS = {"takboleh": ["tak", "boleh"], "xboleh": ["tak", "boleh"]}


def _negator_joined(token: str, compiled: _Compiled) -> list[str] | None:
    """A negator typed onto a sign's word ("cantbreathe", "takbolehnafas"; blind batch 41),
    split when what follows is a word the signs know; shorter than a run-on's length."""
    for negator in _JOINED_NEGATORS:
        rest = token[len(negator) :]
        if (
            token.startswith(negator)
            and len(rest) >= 3
            and set(variants(rest)) & compiled.vocabulary
        ):
            return [*_NEGATOR_WORDS.get(negator, [negator]), rest]
    return None


def _segment(token: str, known: frozenset[str]) -> list[str] | None:
    """Known words that make up most of `token`, fewest letters left over and then fewest
    words ("helpmyfaceswelling" -> "help", "my", "face", "swelling": "help" is left over and
    kept as typed); None when more than a third of its letters are no known word."""
    low, high = RUN_ON_WORD_LEN
    # best[i]: letters left over, pieces, and the pieces (each with whether it is known) that
    # make up token[:i]; letters left over join the unknown piece before them.
    best: list[tuple[int, int, tuple[tuple[str, bool], ...]]] = [(0, 0, ())]
    for end in range(1, len(token) + 1):
        left, count, cut = best[end - 1]
        letter = token[end - 1]
        if cut and not cut[-1][1]:
            options = [(left + 1, count, (*cut[:-1], (cut[-1][0] + letter, False)))]
        else:
            options = [(left + 1, count + 1, (*cut, (letter, False)))]
        for start in range(max(0, end - high), end - low + 1):
            piece = token[start:end]
            if piece in known:
                left, count, cut = best[start]
                options.append((left, count + 1, (*cut, (piece, True))))
        best.append(min(options, key=lambda o: (o[0], o[1])))
    left, _, cut = best[len(token)]
    return [piece for piece, _ in cut] if left * 3 <= len(token) else None


def _segment_short(token: str, compiled: _Compiled) -> list[str] | None:
    """A short token as SHORT_RUN_ON_LEN says it may be split, or None."""
    known = compiled.known
    if not any(w in token for w in compiled.run_on_words) or any(
        v in known for v in variants(token)[1:]
    ):
        return None
    pieces = _segment(token, known)
    if (
        pieces is None
        or len(pieces) < 3
        or any(p not in known for p in pieces)
        or compiled.run_on_words.isdisjoint(pieces)
    ):
        return None
    return pieces


def _phrase_found(phrase: _Phrase, positions: dict[str, list[int]], context: _Context) -> bool:
    # Cheap rejection first: most phrases miss at least one word entirely.
    present = positions.keys()
    if any(present.isdisjoint(slot) for slot in phrase.slots):
        return False
    return _found(phrase.slots, positions, context, phrase.slack, phrase.ordered)


def _without_idioms(
    positions: dict[str, list[int]],
    sign: _Sign,
    raw_keys: list[tuple[str, ...]],
    context: _Context,
) -> dict[str, list[int]]:
    """Drop the places of words that stand in an idiom ("dead skin"): they count for nothing.

    An idiom's words must stand next to each other as typed, in its order ("dying to try"); a
    "*" in it stands for any one word ("jump on the * bandwagon").
    Only the idioms that can start with a word are tried where it stands.
    """
    blocked_raw: set[int] = set()
    total = len(raw_keys)
    for start, keys in enumerate(raw_keys):
        tried: set[int] = set()
        for key in keys:
            for n in sign.idiom_starts.get(key, ()):
                if n in tried:
                    continue
                tried.add(n)
                slots = sign.idioms[n]
                width = len(slots)
                if start + width <= total and all(
                    slots[i] is _ANY or not slots[i].isdisjoint(raw_keys[start + i])
                    for i in range(1, width)
                ):
                    blocked_raw.update(range(start, start + width))
    if not blocked_raw:
        return positions
    blocked = {pos for pos, i in enumerate(context.raw_index) if i in blocked_raw}
    out: dict[str, list[int]] = {}
    for key, plist in positions.items():
        kept = [p for p in plist if p not in blocked]
        if kept:
            out[key] = kept
    return out


@dataclass(frozen=True, slots=True)
class _Context:
    """All words of the message, and where each kept token stood among them."""

    raw: list[str]
    raw_index: tuple[int, ...]
    place: tuple[float, ...]
    """Where each kept token stands for a phrase's window: small words take no room."""


def _places(tokens: Sequence[str]) -> tuple[float, ...]:
    """Place each kept token: content words (and negators) one apart, small words between
    (never on a whole number, which is how a window tells them apart).

    A small word (a stopword kept because some phrase needs it: "of", "it", "all", "i") stands
    half-way between its neighbours and never widens another phrase's window, so adding "enough
    of @life" does not push "point" and "anything" in "the point of anything" apart; a phrase
    that names the small word still finds it, in order.
    """
    out: list[float] = []
    count = 0
    run = 0
    step = 0.4 / (len(tokens) + 1)  # successive small words stay in their typed order
    for token in tokens:
        if token in STOPWORDS and token not in NEGATORS:
            out.append(count - 0.5 + run * step)
            run += 1
        else:
            out.append(float(count))
            count += 1
            run = 0
    return tuple(out)


def _found(
    slots: _Slots,
    positions: dict[str, list[int]],
    context: _Context,
    slack: int = WINDOW_SLACK,
    ordered: bool = False,
) -> bool:
    """Tell whether every slot occurs close together, at least once without a negator.

    Distances are measured on `context.place`, where small words take no room; the words
    chosen are token indices, so negation is still judged on what was typed.
    """
    place = context.place
    slot_positions = [
        sorted({p for key in slot for p in positions.get(key, ())})  # places rise with tokens
        for slot in slots
    ]
    limit = len(slots) + slack
    span = nearest_window([[place[p] for p in plist] for plist in slot_positions])
    if span is None or span > limit:
        return False
    # Try each occurrence of the first word as an anchor, and with it every choice of the
    # other words within reach (nearest first), so "no fever yesterday, now fever and rash"
    # still triggers, and a phrase word standing earlier in another sense ("saya tak pasti
    # ... pain, cannot tahan") does not hide the phrase.
    tried = 0
    for anchor in slot_positions[0]:
        near = [
            sorted(
                (p for p in plist if abs(place[p] - place[anchor]) <= limit),
                key=lambda p: abs(place[p] - place[anchor]),
            )
            for plist in slot_positions[1:]
        ]
        for rest in product(*near):
            tried += 1
            if tried > MAX_CHOICES:
                return False
            chosen = [anchor, *rest]
            if ordered and any(
                place[a] >= place[b] for a, b in zip(chosen, chosen[1:], strict=False)
            ):
                continue
            if len(set(chosen)) < len(chosen):
                continue
            # The slack counts the content words standing inside the window that the phrase
            # did not choose: a small word in the phrase ("enough of @life") takes no room, so
            # it cannot let another content word in ("enough of the dairy, does living..."),
            # and small words at both ends ("want [to] delete myself": "want" and "myself" are
            # small) take none either.
            where = [place[p] for p in chosen]
            content = len({place[p] for p in chosen if place[p].is_integer()})
            inside = math.floor(max(where)) - math.ceil(min(where)) + 1
            if inside - content <= slack and not _negated(chosen, context):
                return True
    return False


def _negated(chosen: list[int], context: _Context) -> bool:
    """Tell whether a negator stands just before the phrase, or inside it, as typed."""
    used = {context.raw_index[p] for p in chosen}
    start, end = min(used), max(used)
    for pos in range(max(0, start - NEGATION_REACH), end + 1):
        if pos not in used and context.raw[pos] in NEGATORS:
            return True
    return False


_VOWELS = frozenset("aeiou")


def _vowels_dropped(typed: str, word: str) -> bool:
    """Tell whether `typed` is `word` with at least two of its vowels left out, every
    consonant kept but the "n" of "ng" ("dmm" demam, "tggi" tinggi, "mggigil" menggigil).

    The first letter stays; a real word that happens to be a sign's word less one vowel
    ("mat", "mata") is not taken, as two letters must be missing unless the token has no
    vowel at all ("rsh" rash, "bby" baby).
    """
    # One letter may be missing when the token has no vowel at all ("rsh" rash, "bby" baby,
    # "wnt" wont): no word is written so.
    needed = 1 if _VOWELS.isdisjoint(typed) else 2
    if len(word) - len(typed) < needed or typed[0] != word[0]:
        return False
    j = 0
    for i, ch in enumerate(word):
        if j < len(typed) and typed[j] == ch:
            j += 1
        elif ch in _VOWELS or (ch == "n" and word[i + 1 : i + 2] == "g"):
            continue
        else:
            return False
    return j == len(typed)


def _one_slip(typed: str, word: str) -> bool:
    """Tell whether `typed` is `word` with one letter left out or two neighbours swapped."""
    if len(word) == len(typed) + 1:
        return any(word[:i] + word[i + 1 :] == typed for i in range(1, len(word)))
    if len(word) == len(typed) and typed != word:
        diff = [i for i in range(len(word)) if word[i] != typed[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and (word[diff[0]], word[diff[1]]) == (typed[diff[1]], typed[diff[0]])
        )
    return False


_ANY = frozenset({ANY_WORD})
"""The slot of an idiom's "*": any one word stands there."""


@lru_cache(maxsize=1024)
def _compile_phrase(phrase: str) -> _Slots:
    slots: list[frozenset[str]] = []
    for word in phrase.split():
        if word == ANY_WORD:  # only idioms use it; a phrase with it never matches
            slots.append(_ANY)
            continue
        keys: set[str] = set()
        for alternative in word.split("|"):
            for token in words(alternative):
                keys.update(variants(token))
        if keys:
            slots.append(frozenset(keys))
    return tuple(slots)
