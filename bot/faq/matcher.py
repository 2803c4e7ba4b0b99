"""Match a free-text question to the reviewed FAQ entries it most likely asks about."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.content.models import FaqEntry
from bot.faq.concepts import Concepts, shipped
from bot.faq.normalise import (
    COMMON,
    NEUTRAL,
    OFFTOPIC,
    OFFTOPIC_PHRASES,
    STOPWORDS,
    STOPWORDS_EN,
    STOPWORDS_MS,
    content_words,
    nearest_window,
    variants,
    words,
)

COMMON_WEIGHT = 0.3
"""An everyday word ("kat", "see", "place") in a keyword counts this fraction of its weight."""

OFFTOPIC_PENALTY = 0.6
"""Subtracted per word that shows the message is about something else ("petrol", "solat")."""

UNKNOWN_PENALTY = 0.2
"""Subtracted per content word the FAQ has never heard of ("petrol", "laptop", "netflix"):
a message mostly about something else is not about the entry one of its words happens to hit."""

MAX_UNKNOWN_TOPICAL = 4
"""Unknown words counted for UNKNOWN_PENALTY in a message naming one of our subjects: a long
story ("Quarter end at work, my manager booked 4 meetings... is the eczema on my hands the
stress?") has dozens, and its question drowned under them (blind batch 66; 3 cost an off-topic
message there, 5 and 8 helped less on the older batches)."""

KEYWORD_WEIGHT = 1.0
"""A word an editor listed as a keyword: the strongest evidence of intent."""

PHRASE_PART_WEIGHT = 0.6
"""A word seen only inside a multi-word keyword ("good" in "good bacteria") is weaker alone."""

QUESTION_WEIGHT = 0.35
"""A content word of the entry's own question: real evidence, but questions share words."""

PHRASE_BONUS = 0.8
"""Added per multi-word keyword found close together: "sesak nafas" says more than its words."""

LITERAL_BONUS = 0.8
"""Added for a keyword made mostly of common words ("who are you", "apa itu serat") typed as is."""

PHRASE_SLACK = 1
"""Extra content words allowed inside a multi-word keyword ("dairy really cause acne")."""

FUZZY_CUTOFF = 84
"""rapidfuzz ratio (0-100) for a typo to count: "exzema"~"eczema" 83, "probiotc" 94."""

FUZZY_DISCOUNT = 0.85
"""A typo match is slightly weaker evidence than the exact word."""

FUZZY_MIN_LEN = 4
"""Shorter words are too easily one edit from another word ("gut" ~ "gum")."""

FUZZY_MAX_LEN = 24
"""Longer tokens are not words; skip fuzzy work on them."""

MAX_FUZZY_TOKENS = 24
"""Unknown words looked up fuzzily per message, to bound time on long or hostile input."""

JOIN_MIN_PART = 3
"""Shortest half of a word voice typing split in two ("pro biotik") that is joined back."""

JOIN_MIN_FUZZY = 8
"""Shortest joined pair read as a typo of a known word ("temu jenji" ~ "temujanji")."""

LANGUAGE_BOOST = 1.05
"""Tie-break in favour of keywords in the user's chosen language."""

FLOOR = 0.8
"""Below this nothing is worth offering: a lone common word ("skin") scores about 0.2."""

CONFIDENT = 0.9
"""A top score this high is about one distinctive keyword or two weaker ones."""

CONFIDENT_RATIO = 0.6
"""Confident only if the runner-up scores under this fraction of the top score; closer, the
user gets a "did you mean" menu (the top entry first), which holds the right entry far more
often than a lone answer does (0.75 before: wrong lone answers had runners-up at 0.6-0.75)."""

UNTOPICAL_CONFIDENT_RATIO = 0.75
"""The same for a message naming none of our topics: it never gets a menu, only an answer or
the honest "I don't know", so a closer runner-up than CONFIDENT_RATIO still lets it answer."""

AMBIGUOUS_RATIO = 0.5
"""Runners-up offered alongside the top must score at least this fraction of it."""

MAX_CANDIDATES = 3

DEFINE_BONUS = 0.2
"""Added to an entry whose question asks what something is ("What is fiber...?") when the
message asks what something means ("fibre means what", "probiotik tu apa", or the bare word
"fiber?"): between "What is fiber" and "How much fiber", the definition."""

DEFINE_OPENING_BONUS = 0.5
"""Added besides to the best-scoring of those entries when a message about our subjects opens by
asking what something is ("what is roughage and why my mum keep telling me to eat it", "what's
X", "apa itu X"): the surest sign of a definition question, where "How much fiber should I eat"
shares more words. Only the best one: "what is microbiome" is not also the prebiotics question."""

DEFINE_WORDS = frozenset(
    ["means", "meaning", "maksud", "definition", "define", "erti", "maknanya", "important"]
    + ["penting", "matter", "matters", "kepentingan", "faedah", "kebaikan", "benefits"]
    + ["explain", "explained", "explanation", "terangkan", "jelaskan", "huraikan"]
)
DEFINE_PAIRS = frozenset(
    {
        ("apa", "itu"),
        ("apa", "tu"),
        ("itu", "apa"),
        ("tu", "apa"),
        ("is", "what"),
        ("are", "what"),
        ("apa", "benda"),
        ("benda", "apa"),
        ("for", "what"),
        ("untuk", "apa"),
    }
)
REMOVAL = "delete"
ELIMINATION = "elimination"
FOOD = "food"
OILY = "oily"
SKIN = "skin"
LINKING = frozenset(
    ["is", "are", "so", "very", "really", "too", "quite", "damn", "super", "always", "getting"]
    + ["my", "saya", "aku", "sy", "ni", "sangat", "jadi", "agak", "terlalu", "makin", "semakin"]
)
"""Words that may stand between a skin and the food word describing it ("face is so oily")."""
WEATHER = "weather"
BRANCH = "branch"
TRAVEL = frozenset(
    ["bus", "bas", "lrt", "mrt", "train", "komuter", "ktm", "car", "kereta", "motor", "grab"]
    + ["motosikal", "parking", "taxi", "teksi", "traffic", "jem", "highway", "lebuhraya"]
)
"""Ways of getting somewhere: beside the branch concept, how to reach a clinic (blind batch 18)."""
FORECAST_DAYS = frozenset(
    ["today", "tomorrow", "tmr", "tmrw", "tonight", "weekend", "esok", "besok", "lusa"]
)
"""Days a weather forecast is asked for: with weather words and no skin word, a forecast
(blind batch 16)."""
FOOD_CONCEPTS = frozenset(["food", "dairy", "sugar", "refined", "oily", "fermented", "allergy"])
"""Concepts of things one eats (besides those whose family is food): a removal word just before
one of them ("buang susu", "remove gluten") names the elimination diet (_removing_foods)."""

HOW_BONUS = 0.3
"""Added to an entry whose question asks how something works or is done ("How can gut health
affect my skin?", "How do I book...?") when a message about our subjects asks how and not what
("how exactly does my tummy affect my face"): between "What is the gut-skin axis" and "How can
gut health affect my skin", the how (session 9, seen in blind batches 66-67; it helped the older
batches most). English only: Malay "macam mana" also asks "what about" (tried: a loss on the
FRESH guard). 0.5 cost off-topic messages."""

HOW_WORDS = frozenset(["how", "hows"])

_HOWS = re.compile(r"^\s*how\s+(can|does|do|is)\b", re.IGNORECASE)
"""A question that asks how something works or is done, in the entry's own words."""

_DEFINES = re.compile(r"^\s*(what\s+(is|are)\b|apakah\s)", re.IGNORECASE)
"""A question that asks what something is, in the entry's own words."""

BROAD_SHARE = 0.2
"""A concept in more than this share of the entries' questions ("food", "skin") is broad: a
message naming only broad concepts gets no COMBO_BONUS."""

COMBO_BONUS = 1.0
"""Added, times the share covered, to an entry when a message names two or more of the concepts
its question is made of ("Can diet help eczema?" is food + eczema): "ekzema anak saya, pantang
makan apa" is the eczema-and-food question, not the one about children that shares a word."""

COMBO_MORE = 0.3
"""Added besides per concept past two that a message shares with an entry's question: "has the
gut skin connection been proven by research" names gut, skin and evidence, all three of "Is the
link between gut and skin proven?" and only two of "What is the gut-skin axis?", which
COMBO_BONUS alone (a share of the question) scored the same (blind batches 84 and 91; 0.15 and
0.5 did no better on the older batches)."""

FAMILY_SHARE = 0.5
"""What a concept named only by way of a narrower one counts towards COMBO_BONUS ("worried,
my eczema flares" names stress and, through eczema, the skin: the stress-and-skin question,
but less surely than "stress and my skin")."""

TEXT_WEIGHT = 0.08
"""Weight of the full-text (BM25) evidence beside the keyword score: everyday paraphrases find
the entry whose keywords, question or answer talk about the same concepts."""

TEXT_TF = {"keyword": 2, "question": 4, "answer": 1}
"""How many times a word counts in an entry's text, by where it appears."""

SITUATION_SHARE = 0.65
"""The least share of the top score given to the entry about a situation the message names
("pregnant", "my child"): above CONFIDENT_RATIO, so the user gets a menu holding both."""

SITUATION_RIVAL = 0.45
"""...and when the situation's entry is first, the share of its score the best other entry needs
to be lifted beside it (a weaker one is a word shared by chance)."""

UNTOPICAL_FLOOR = 1.0
"""Score a message with no topical concept needs for a (confident) answer; it never gets a menu.
A message of function words and one concept's phrase or words only ("how much?", "harga?", to a
clinic: the price) needs FLOOR: it says nothing else that could be about another subject."""

CONCEPT_DISCOUNT = 0.9
"""A word reaching an entry through its concept ("hamil" -> "pregnant") is a little weaker than
the entry's own keyword."""

BM25_K1 = 1.2
BM25_B = 0.5
"""BM25 term-frequency saturation and length normalisation (the usual values; b lowered because
long answers are not less about their topic)."""

LANGUAGE_SAMPLE = 600
"""Characters read to tell the language: the start of a message shows it."""

LANGUAGE_MIN_VOTES = 2
"""Words only one language uses needed before a message counts as written in it."""

LANGUAGE_MARGIN = 3
"""...and that many times more of them than of the other language's."""

_MARKERS: dict[str, frozenset[str]] = {
    **{w: frozenset({"en"}) for w in STOPWORDS_EN - STOPWORDS_MS},
    **{w: frozenset({"ms"}) for w in STOPWORDS_MS - STOPWORDS_EN},
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One FAQ entry and how well the message matched it."""

    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome of matching: one confident answer, a few to choose from, or none."""

    kind: Literal["confident", "ambiguous", "none"]
    candidates: tuple[Candidate, ...]


NO_MATCH = MatchResult("none", ())


@dataclass(frozen=True, slots=True)
class _Phrase:
    entry: int
    slots: tuple[frozenset[str], ...]


_BUILT: list[tuple[Sequence[FaqEntry], Concepts | None, FaqMatcher]] = []
"""The last few matchers built by FaqMatcher.of, with the very objects they were built from."""


class FaqMatcher:
    """Score every FAQ entry against a message using a precomputed keyword index."""

    @classmethod
    def of(cls, entries: Sequence[FaqEntry], concepts: Concepts | None = None) -> FaqMatcher:
        """The matcher for these entries, reused when the same (identical, immutable) tuple
        of entries was indexed lately: building one takes most of a second, and every
        application built from one loaded Content (the tests build hundreds) shares it."""
        for built_entries, built_concepts, matcher in _BUILT:
            if built_entries is entries and built_concepts is concepts:
                return matcher
        matcher = cls(entries, concepts)
        if isinstance(entries, tuple):  # only an immutable sequence can be shared safely
            _BUILT.insert(0, (entries, concepts, matcher))
            del _BUILT[4:]
        return matcher

    def __init__(self, entries: Sequence[FaqEntry], concepts: Concepts | None = None) -> None:
        """Index the entries' keywords, multi-word keywords and question words, and full text."""
        self._ids = tuple(e.id for e in entries)
        self._concepts = concepts if concepts is not None else shipped()
        self._text = self._index_text(entries)
        self._signatures = self._index_signatures(entries)
        self._defines = frozenset(
            i
            for i, entry in enumerate(entries)
            if any(_DEFINES.match(text.question) for text in entry.text.values())
        )
        self._hows = frozenset(
            i
            for i, entry in enumerate(entries)
            if any(_HOWS.match(text.question) for text in entry.text.values())
        )
        # Concepts in many questions ("food", "skin"): two of them together tell little.
        counts: dict[str, int] = defaultdict(int)
        for _, signature in self._signatures:
            for name in signature:
                counts[name] += 1
        self._broad = frozenset(
            name for name, k in counts.items() if k > BROAD_SHARE * len(self._signatures)
        )
        by_signature: dict[str, list[int]] = defaultdict(list)
        for index, signature in self._signatures:
            for name in signature:
                by_signature[name].append(index)
        self._by_signature = {name: tuple(hits) for name, hits in by_signature.items()}
        self._signature_size = {index: len(signature) for index, signature in self._signatures}
        # key -> entry index -> (weight, languages the key came from)
        weights: dict[str, dict[int, tuple[float, set[str]]]] = defaultdict(dict)
        phrases: list[_Phrase] = []
        literals: list[_Phrase] = []
        named: dict[str, set[int]] = defaultdict(set)  # key -> entries with it as a keyword

        def add(key: str, entry: int, weight: float, lang: str) -> None:
            old = weights[key].get(entry)
            if old is None or old[0] < weight:
                weights[key][entry] = (weight, {lang})
            elif old[0] == weight:
                old[1].add(lang)

        for i, entry in enumerate(entries):
            for lang, keywords in entry.keywords.items():
                for keyword in keywords:
                    raw = words(keyword)
                    tokens = content_words(raw)
                    weight = KEYWORD_WEIGHT if len(tokens) == 1 else PHRASE_PART_WEIGHT
                    for token in tokens:
                        common = _common(token)
                        for key in variants(token):
                            add(key, i, weight * (COMMON_WEIGHT if common else 1.0), lang)
                            if len(tokens) == 1 and not common:
                                named[key].add(i)
                    if len(tokens) > 1:
                        phrases.append(_Phrase(i, tuple(frozenset(variants(t)) for t in tokens)))
                    elif len(raw) > 1:
                        literals.append(_Phrase(i, tuple(frozenset(variants(t)) for t in raw)))
            for lang, text in entry.text.items():
                for token in content_words(words(text.question)):
                    factor = COMMON_WEIGHT if _common(token) else 1.0
                    for key in variants(token):
                        add(key, i, QUESTION_WEIGHT * factor, lang)

        n = max(len(entries), 1)
        # Normalised IDF: 1.0 for a word in one entry, near 0.2 for one in every entry.
        top = math.log(1 + n)
        self._postings: dict[str, tuple[tuple[int, float, frozenset[str]], ...]] = {
            key: tuple(
                (entry, weight * math.log(1 + n / len(hits)) / top, frozenset(langs))
                for entry, (weight, langs) in hits.items()
            )
            for key, hits in weights.items()
        }
        # Concept -> entry -> the best keyword weight among the concept's words: a message's
        # "hamil" reaches the entry whose keyword is "pregnant", a little weaker than the word.
        self._by_concept: dict[str, dict[int, float]] = {}
        for name, members in self._concepts.members.items():
            reach: dict[int, float] = {}
            for member in members:
                for key in variants(member):
                    for hit, (weight, _) in weights.get(key, {}).items():
                        reach[hit] = max(reach.get(hit, 0.0), weight)
            # Weighed by how many entries the concept reaches, not by its rarest word.
            idf = math.log(1 + n / max(len(reach), 1)) / top
            self._by_concept[name] = {entry: w * idf for entry, w in reach.items()}
        # The entry most about each situation concept: the one listing most of its words.
        self._situation_entry: dict[str, int] = {}
        for name in self._concepts.situation:
            listing: dict[int, float] = defaultdict(float)
            for member in self._concepts.members.get(name, ()):
                for hit, (weight, _) in weights.get(member, {}).items():
                    listing[hit] += weight
            if listing:
                self._situation_entry[name] = max(listing, key=lambda e: (listing[e], -e))
        # Index keys that stand for a topical concept: a typo of one still shows the topic.
        self._topical_keys = frozenset(
            key for key in self._postings if self._concepts.of(key) in self._concepts.topical
        )
        # Topical concepts that are subjects of ours (skin, gut, acne), not services any
        # business offers (booking, cancelling, an address).
        self._subjects = self._concepts.topical - self._concepts.service
        self._subject_keys = frozenset(
            key for key in self._topical_keys if self._concepts.of(key) in self._subjects
        )
        # Keys a typo could reach, bucketed by the typo's length and its first or last letter.
        # ratio is at most 2*min(a, b) / (a + b), so length rules out most of the vocabulary,
        # and real typos keep one end of the word ("exzema", "soriasis"): ~10x fewer calls.
        by_end: dict[tuple[int, int, str], list[str]] = defaultdict(list)
        for key in self._postings:
            for size in range(FUZZY_MIN_LEN, FUZZY_MAX_LEN + 1):
                if _lengths_compatible(size, len(key)):
                    by_end[size, 0, key[0]].append(key)
                    by_end[size, -1, key[-1]].append(key)
        self._fuzzy_choices = {bucket: tuple(keys) for bucket, keys in by_end.items()}
        self._phrases_by_key: dict[str, list[_Phrase]] = defaultdict(list)
        for phrase in phrases:
            for key in phrase.slots[0]:
                self._phrases_by_key[key].append(phrase)
        self._named = {key: frozenset(entries) for key, entries in named.items()}
        self._literals_by_key: dict[str, list[_Phrase]] = defaultdict(list)
        for literal in literals:
            for key in literal.slots[0]:
                self._literals_by_key[key].append(literal)
        self._fuzzy_cache: dict[str, tuple[tuple[str, float], ...]] = {}
        # Surface words of one language's keywords and questions, to tell what a user typed in.
        seen_in: dict[str, set[str]] = defaultdict(set)
        for entry in entries:
            for lang, keywords in entry.keywords.items():
                for keyword in keywords:
                    for word in content_words(words(keyword)):
                        seen_in[word].add(lang)
            for lang, text in entry.text.items():
                for word in content_words(words(text.question)):
                    seen_in[word].add(lang)
        self._languages = {word: frozenset(langs) for word, langs in seen_in.items()}
        # A word the FAQ itself uses, or one of its concepts lists ("history" of a chat), is not
        # off-topic here.
        listed = {w for members in self._concepts.members.values() for w in members}
        self._offtopic = frozenset(
            w
            for w in OFFTOPIC
            if not any(k in self._postings for k in variants(w)) and w not in listed
        )

    def language_of(self, text: str) -> str | None:
        """Return "en" or "ms" when the message is clearly written in one of them, else None."""
        votes = {"en": 0, "ms": 0}
        for word in words(text[:LANGUAGE_SAMPLE]):
            langs = _MARKERS.get(word) or self._languages.get(word, frozenset())
            if len(langs) == 1:
                votes[next(iter(langs))] += 1
        en, ms = votes["en"], votes["ms"]
        if ms >= LANGUAGE_MIN_VOTES and ms >= LANGUAGE_MARGIN * en:
            return "ms"
        if en >= LANGUAGE_MIN_VOTES and en >= LANGUAGE_MARGIN * ms:
            return "en"
        return None

    def match(self, text: str, *, language: str | None = None) -> MatchResult:
        """Return the entries this message most likely asks about."""
        raw = _unclaimed(self._join_split(words(text)))
        tokens = content_words(raw)
        scores: dict[int, float] = defaultdict(float)
        for entry in self._literal_hits(raw):
            scores[entry] += LITERAL_BONUS
        if not tokens and not scores and not self._concepts.in_phrases(raw):
            return NO_MATCH  # ("how much" is two stopwords, and the price concept)
        # For each position, the index keys it stands for and how sure we are (1.0 = exact).
        resolved = self._resolve(tokens)
        # Two words naming another subject together ("kerja kosong", a job opening; "blood
        # pressure"): neither is then a word of ours ("pressure" is no stress, blind batch 85).
        other_phrases = [
            pair for pair in zip(raw, raw[1:], strict=False) if pair in OFFTOPIC_PHRASES
        ]
        elsewhere_words = frozenset(word for pair in other_phrases for word in pair)
        if elsewhere_words:
            resolved = [
                {} if t in elsewhere_words else keys
                for t, keys in zip(tokens, resolved, strict=True)
            ]
        # Does the message name something only this bot's subjects use (typos included)?
        # A word inside a concept's phrase means the phrase ("ice cream" is dairy, not a skin
        # cream; "break out" is acne, not a break from tips).
        covered = self._concepts.phrase_words(raw) | elsewhere_words
        named_here = [None if t in covered else self._concepts.of(t) for t in tokens]
        concepts = _removing_foods(named_here, self._concepts)
        removing = concepts != named_here or _cutting_foods(concepts, self._concepts)
        skin_types = _skin_types(concepts, raw)
        concepts = [None if i in skin_types else c for i, c in enumerate(concepts)]
        terms = {
            "@" + c if c is not None else min(variants(t), key=len)
            for t, c in zip(tokens, concepts, strict=True)
        }
        phrased = self._concepts.in_phrases(raw)
        terms.update("@" + name for name in phrased)
        own = [keys for t, keys in zip(tokens, resolved, strict=True) if t not in covered]
        topical = any(t[1:] in self._concepts.topical for t in terms if t[0] == "@") or any(
            key in self._topical_keys for keys in own for key in keys
        )
        subject = any(t[1:] in self._subjects for t in terms if t[0] == "@") or any(
            key in self._subject_keys for keys in own for key in keys
        )
        # Only a situation of ours named ("ubat", "pregnant"), nothing else of ours (no skin,
        # gut, clinic or booking): beside another illness ("ubat darah tinggi", "cough medicine
        # while pregnant") the medicine is that illness's (blind batches 62-64, 85, 89).
        situational = (
            subject
            and not any(
                t[1:] in self._concepts.topical and t[1:] not in self._concepts.situation
                for t in terms
                if t[0] == "@"
            )
            and not any(
                self._concepts.of(key) not in self._concepts.situation
                for keys in own
                for key in keys
                if key in self._topical_keys
            )
        )
        named_entries: set[int] = set()  # entries one of whose keywords was typed exactly
        seen: set[str] = set()
        seen_concepts: set[str] = set()
        for position, (token, keys, concept) in enumerate(
            zip(tokens, resolved, concepts, strict=True)
        ):
            if position in skin_types:  # "muka berminyak" is the skin's type, no oily food:
                concept = OILY  # its words still reach the weather and skincare answers
            if token in seen or (not keys and concept is None):
                continue
            if token in NEUTRAL:
                keys = {}  # "face" is no keyword's evidence, but it does name the skin concept
            seen.add(token)
            best: dict[int, float] = {}
            if concept is not None and concept not in seen_concepts:
                if position not in skin_types:  # oily skin leaves "fried food" its concept
                    seen_concepts.add(concept)  # "cuaca panas" is one concept, counted once
                for entry, weight in self._by_concept[concept].items():
                    best[entry] = weight * CONCEPT_DISCOUNT
            for key, sureness in keys.items():
                if sureness == 1.0 and position not in skin_types:
                    named_entries |= self._named.get(key, frozenset())
                for entry, weight, langs in self._postings[key]:
                    boost = LANGUAGE_BOOST if language in langs else 1.0
                    value = weight * sureness * boost
                    if value > best.get(entry, 0.0):
                        best[entry] = value
            if position in skin_types:
                for entry in self._by_signature.get(OILY, ()):
                    best.pop(entry, None)
            for entry, value in best.items():
                scores[entry] += value
        for name in phrased:  # "how much" names the price concept
            if name not in seen_concepts:
                seen_concepts.add(name)
                for entry, weight in self._by_concept[name].items():
                    scores[entry] += weight * CONCEPT_DISCOUNT
        for entry in self._phrase_hits(resolved):
            scores[entry] += PHRASE_BONUS
        if meaning := _asks_meaning(raw, tokens):
            for entry in self._defines:
                if scores.get(entry, 0.0) > 0.0:
                    scores[entry] += DEFINE_BONUS
            defined = [(scores.get(e, 0.0), -e) for e in self._defines if scores.get(e, 0.0) > 0]
            if meaning == "opening" and topical and defined:
                scores[-max(defined)[1]] += DEFINE_OPENING_BONUS
        if topical and not meaning and any(word in HOW_WORDS for word in raw):
            for entry in self._hows:
                if scores.get(entry, 0.0) > 0.0:
                    scores[entry] += HOW_BONUS
        named_concepts = {c for c in concepts if c is not None} | set(phrased)
        if removing:  # cutting out a food names the food too, for COMBO_BONUS
            named_concepts.add(FOOD)
        # A broader concept is named by way of a narrower one ("eczema" names the skin): it
        # counts FAMILY_SHARE of a concept named outright towards COMBO_BONUS.
        families = {f for c in named_concepts if (f := self._concepts.family.get(c))}
        families -= named_concepts
        named_concepts |= families
        if topical and len(named_concepts) > 1:  # never lifts "halal food in tokyo"
            shared: dict[int, float] = defaultdict(float)
            distinct: set[int] = set()  # entries sharing a concept that is not broad
            for name in named_concepts:
                for entry in self._by_signature.get(name, ()):
                    shared[entry] += FAMILY_SHARE if name in families else 1.0
                    if name not in self._broad:
                        distinct.add(entry)
            for entry, k in shared.items():
                if k > 1 and entry in distinct:
                    scores[entry] += COMBO_BONUS * k / self._signature_size[entry]
                    scores[entry] += COMBO_MORE * max(0.0, k - 2)
        if topical:  # full text only helps a message that is about our subjects at all
            for term in terms:
                for entry, value in self._text.get(term, ()):
                    scores[entry] += TEXT_WEIGHT * value
        # A word inside a concept's phrase means the phrase ("sampai subuh" is staying up late,
        # not the dawn prayer): no other subject.
        offtopic = self._offtopic - covered
        unknown = sum(
            not keys and len(token) > 2 and not concept and not _common(token)
            for token, keys, concept in zip(tokens, resolved, concepts, strict=True)
            if token not in NEUTRAL and token not in offtopic and token not in elsewhere_words
        )
        if topical:  # a story around a question of ours: its chatter is not the subject
            unknown = min(unknown, MAX_UNKNOWN_TOPICAL)
        penalty = (
            OFFTOPIC_PENALTY * sum(token in offtopic for token in tokens if token not in NEUTRAL)
            + OFFTOPIC_PENALTY * len(other_phrases)
            + UNKNOWN_PENALTY * unknown
        )
        if penalty:
            for entry in scores:
                scores[entry] -= penalty
            # A topic word among several unknown ones is not a question about it; beside one
            # unknown word ("psoriasis and gluten") it is still worth offering.
            if penalty > UNKNOWN_PENALTY + 1e-9:
                named_entries.clear()
        if topical:
            self._offer_situations(scores, named_concepts)
        result = self._decide(
            scores, named_entries, CONFIDENT_RATIO if topical else UNTOPICAL_CONFIDENT_RATIO
        )
        # A message naming no skin, gut, clinic or bot concept gets a strong single answer or an
        # honest "I don't know", never a menu of guesses; if it names another subject outright
        # ("petrol station open 24 hours"), the honest answer.
        # Getting to the clinic ("alamat klinik, nak datang naik bas") is about the branch: a
        # way of travelling beside the branch concept is no other subject (blind batch 18).
        elsewhere = any(
            token in offtopic and not (BRANCH in named_concepts and token in TRAVEL)
            for token in tokens
        ) or bool(other_phrases)
        # Weather words and a day, nothing of the skin ("weather tomorrow in KL, rain or not",
        # "cuaca esok hujan tak"): a forecast, not how the weather treats the skin.
        forecast = WEATHER in named_concepts and any(word in FORECAST_DAYS for word in raw)
        # Function words and one concept's words only ("how much?", "harga?", "harga berapa"):
        # nothing else in it could be about another subject (blind batch 66).
        lone = not tokens or (None not in concepts and len(set(concepts)) == 1)
        if topical:
            # Service words only ("cancel", "delete", "address") beside another subject named
            # outright ("my netflix subscription", "instagram account"): someone else's service.
            if elsewhere and (not subject or situational):
                return NO_MATCH
            return result
        if (
            result.kind == "confident"
            and result.candidates[0].score >= (FLOOR if lone else UNTOPICAL_FLOOR)
            and not elsewhere
            and not forecast
        ):
            return result
        return NO_MATCH

    def _known(self, word: str) -> bool:
        return any(k in self._postings for k in variants(word)) or (
            self._concepts.of(word) is not None
        )

    def _join_split(self, raw: list[str]) -> list[str]:
        """Join two words voice typing split out of one of ours ("mikro biom", "temu jenji",
        "pro biotik"): the pair becomes the word when joined it is one the FAQ knows (a typo
        of one when long enough) and one half alone is not (blind batches 64 and 66)."""
        out: list[str] = []
        i = 0
        while i < len(raw):
            if i + 1 < len(raw):
                a, b = raw[i], raw[i + 1]
                joined = self._joined(a, b)
                if joined is not None:
                    out.append(joined)
                    i += 2
                    continue
            out.append(raw[i])
            i += 1
        return out

    def _joined(self, a: str, b: str) -> str | None:
        for half in (a, b):
            everyday = half in STOPWORDS or half in NEUTRAL or half in OFFTOPIC or _common(half)
            if len(half) < JOIN_MIN_PART or everyday:
                return None
        if self._known(a) and self._known(b):
            return None
        joined = a + b
        if self._known(joined):
            return joined
        if len(joined) >= JOIN_MIN_FUZZY:  # a typo only of a word naming our subjects
            for key, _ in self._fuzzy(joined):
                if key in self._topical_keys:
                    return key
        return None

    def _offer_situations(self, scores: dict[int, float], named: set[str]) -> None:
        """Lift the entry about a named situation to second place, unless it is already first
        or second: a pregnant user asking about supplements should see the pregnancy answer.
        When the situation's entry is first, the best other entry worth offering (past FLOOR)
        is lifted beside it: "probiotics for my child's eczema" is also the probiotics question."""
        for name in sorted(named & self._concepts.situation):
            entry = self._situation_entry.get(name)
            if entry is None or not scores:
                continue
            ranked = sorted(scores.values(), reverse=True)
            top = ranked[0]
            if top < FLOOR:
                continue
            if scores.get(entry, 0.0) >= top:
                least = max(FLOOR, top * SITUATION_RIVAL)
                rivals = [(v, -e) for e, v in scores.items() if e != entry and v >= least]
                if rivals:
                    value, negative = max(rivals)
                    scores[-negative] = max(value, top * SITUATION_SHARE)
                continue
            others = [v for e, v in scores.items() if e != entry]
            others.sort(reverse=True)
            second = others[1] if len(others) > 1 else 0.0
            lifted = min(top, max(top * SITUATION_SHARE, second + 1e-3))
            if name in self._concepts.leads:
                lifted = top + 1e-3
            if scores.get(entry, 0.0) < lifted:
                scores[entry] = lifted

    def _term(self, token: str) -> str:
        concept = self._concepts.of(token)
        return "@" + concept if concept is not None else min(variants(token), key=len)

    def _index_signatures(
        self, entries: Sequence[FaqEntry]
    ) -> tuple[tuple[int, frozenset[str]], ...]:
        """The concepts each entry's question names in every language it is written in."""
        out: list[tuple[int, frozenset[str]]] = []
        for i, entry in enumerate(entries):
            found: frozenset[str] | None = None
            for text in entry.text.values():
                raw = words(text.question)
                named = {c for w in content_words(raw) if (c := self._concepts.of(w))}
                here = frozenset(named | set(self._concepts.in_phrases(raw)))
                found = here if found is None else found & here
            if found is not None and len(found) > 1:
                out.append((i, found))
        return tuple(out)

    def _index_text(self, entries: Sequence[FaqEntry]) -> dict[str, tuple[tuple[int, float], ...]]:
        """BM25 over each entry's keywords, question and answer in every language."""
        counts: list[dict[str, int]] = []
        for entry in entries:
            tf: dict[str, int] = defaultdict(int)
            parts = [("keyword", k) for ks in entry.keywords.values() for k in ks]
            for text in entry.text.values():
                parts += [("question", text.question), ("answer", text.answer)]
            for where, part in parts:
                raw = words(part)
                for token in content_words(raw):
                    tf[self._term(token)] += TEXT_TF[where]
                for name in self._concepts.in_phrases(raw):
                    tf["@" + name] += TEXT_TF[where]
            counts.append(tf)
        n = len(entries)
        if not n:
            return {}
        avg = sum(sum(tf.values()) for tf in counts) / n or 1.0
        df: dict[str, int] = defaultdict(int)
        for tf in counts:
            for term in tf:
                df[term] += 1
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tf in enumerate(counts):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * sum(tf.values()) / avg)
            for term, f in tf.items():
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                postings[term].append((i, idf * f * (BM25_K1 + 1) / (f + norm)))
        return {term: tuple(p) for term, p in postings.items()}

    def _resolve(self, tokens: list[str]) -> list[dict[str, float]]:
        resolved: list[dict[str, float]] = []
        fuzzy_budget = MAX_FUZZY_TOKENS
        for token in tokens:
            keys = {k: 1.0 for k in variants(token) if k in self._postings}
            everyday = token in NEUTRAL or token in self._offtopic or _common(token)
            # An everyday word is not a typo of a keyword: "kind" is not "kid".
            typo_sized = FUZZY_MIN_LEN <= len(token) <= FUZZY_MAX_LEN
            if not keys and not everyday and typo_sized and fuzzy_budget:
                fuzzy_budget -= 1
                keys = dict(self._fuzzy(token))
            resolved.append(keys)
        return resolved

    def _fuzzy(self, token: str) -> tuple[tuple[str, float], ...]:
        cached = self._fuzzy_cache.get(token)
        if cached is not None:
            return cached
        best: dict[str, float] = {}
        for end in (0, -1):
            choices = self._fuzzy_choices.get((len(token), end, token[end]), ())
            for key, score, _ in process.extract(
                token, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
            ):
                best[key] = score
        top = sorted(best.items(), key=lambda item: -item[1])[:3]
        result = tuple((key, FUZZY_DISCOUNT * score / 100) for key, score in top)
        if len(self._fuzzy_cache) < 10_000:  # bounded: typos are many but not infinite
            self._fuzzy_cache[token] = result
        return result

    def _phrase_hits(self, resolved: list[dict[str, float]]) -> set[int]:
        positions: dict[str, list[int]] = defaultdict(list)
        for pos, keys in enumerate(resolved):
            for key in keys:
                positions[key].append(pos)
        hits: set[int] = set()
        present = positions.keys()
        for key in list(positions):
            for phrase in self._phrases_by_key.get(key, ()):
                if phrase.entry in hits or any(present.isdisjoint(s) for s in phrase.slots[1:]):
                    continue
                slot_positions = [
                    sorted({p for k in slot for p in positions.get(k, ())}) for slot in phrase.slots
                ]
                span = nearest_window(slot_positions)
                if span is not None and span <= len(phrase.slots) + PHRASE_SLACK:
                    hits.add(phrase.entry)
        return hits

    def _literal_hits(self, raw: list[str]) -> set[int]:
        hits: set[int] = set()
        keys = [variants(word) for word in raw]
        for start, first in enumerate(keys):
            for key in first:
                for literal in self._literals_by_key.get(key, ()):
                    end = start + len(literal.slots)
                    if end <= len(keys) and all(
                        not slot.isdisjoint(word_keys)
                        for slot, word_keys in zip(literal.slots, keys[start:end], strict=True)
                    ):
                        hits.add(literal.entry)
        return hits

    def _decide(
        self, scores: dict[int, float], named: set[int], ratio: float = CONFIDENT_RATIO
    ) -> MatchResult:
        # Equal scores go to the earlier entry: writers put the general question first.
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        # A keyword typed exactly ("acne") is worth offering choices for even when it is too
        # common to clear FLOOR on its own: the user named a topic we have answers on.
        if not ranked or (ranked[0][1] < FLOOR and ranked[0][0] not in named):
            return NO_MATCH
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        # Past FLOOR with no rival at all, a "did you mean" with one choice only adds a tap.
        alone = len(ranked) == 1 and top >= FLOOR
        if alone or (top >= CONFIDENT and second < top * ratio):
            return MatchResult("confident", (self._candidate(ranked[0]),))
        floor = top * AMBIGUOUS_RATIO if top < FLOOR else max(FLOOR, top * AMBIGUOUS_RATIO)
        kept = [self._candidate(r) for r in ranked[:MAX_CANDIDATES] if r[1] >= floor]
        return MatchResult("ambiguous", tuple(kept))

    def _candidate(self, ranked: tuple[int, float]) -> Candidate:
        return Candidate(self._ids[ranked[0]], round(ranked[1], 3))


_DISCLAIMED = re.compile(
    r"\b(?:not|nothing|bukan|takde|tiada|xde)"
    r"(?: (?:to|do|with|about|related|relating|regarding|pasal|tentang|berkaitan|kena|mengena"
    r"|mengenai|dengan|my|the|any|hal|soal|a|really|even|really))* (skin|kulit)\b"
)
"""A message saying it is not about the skin ("nothing to do with skin, just needed to say it",
"not skin stuff", "bukan pasal kulit", "takde kena mengena dgn kulit pun"): its skin word names
no subject of ours (blind batch 77)."""


def _unclaimed(raw: list[str]) -> list[str]:
    """The words, without a skin word the message disclaims ("not skin stuff")."""
    text = " ".join(raw)
    if "skin" not in raw and "kulit" not in raw:
        return raw
    cut = {text[: m.start(1)].count(" ") for m in _DISCLAIMED.finditer(text)}
    return [word for i, word in enumerate(raw) if i not in cut] if cut else raw


def _is_food(concept: str | None, known: Concepts) -> bool:
    """Tell whether a concept is a thing one eats (FOOD_CONCEPTS, or of the food family)."""
    return concept is not None and (concept in FOOD_CONCEPTS or known.family.get(concept) == FOOD)


def _removing_foods(concepts: list[str | None], known: Concepts) -> list[str | None]:
    """Read a removal word ("buang", "remove") just before a food ("buang gluten dan susu",
    "remove dairy") as cutting that food out, the elimination diet, not deleting one's data
    (blind batch 16)."""
    out = list(concepts)
    for i, (concept, after) in enumerate(zip(concepts, concepts[1:], strict=False)):
        if concept == REMOVAL and _is_food(after, known):
            out[i] = ELIMINATION
    return out


def _cutting_foods(concepts: list[str | None], known: Concepts) -> bool:
    """Tell whether an elimination word ("cut", "reintroduce") stands just before a food, one
    word at most between ("cut out gluten, dairy and eggs"): the food is named too, for the
    elimination diet's COMBO_BONUS (blind batch 19)."""
    for i, concept in enumerate(concepts):
        if concept != ELIMINATION:
            continue
        if any(_is_food(after, known) for after in concepts[i + 1 : i + 3]):
            return True
    return False


def _skin_types(concepts: list[str | None], raw: list[str]) -> frozenset[int]:
    """Positions of a food word that describes the skin beside it ("oily skin", "muka
    berminyak", "my face is so oily"): the skin's type, not what one eats (blind batch 16).
    Only linking words may stand between them: in "my oily skin, does spicy food..." the
    spicy food is food."""
    at = [i for i, word in enumerate(raw) if content_words([word])]  # each token's place in raw
    if len(at) != len(concepts):
        return frozenset()
    found: set[int] = set()
    for i, concept in enumerate(concepts):
        if concept != OILY:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(concepts) and concepts[j] == SKIN:
                between = raw[min(at[i], at[j]) + 1 : max(at[i], at[j])]
                if all(word in LINKING for word in between):
                    found.add(i)
    return frozenset(found)


def _asks_meaning(raw: list[str], tokens: list[str]) -> str | None:
    """Tell whether a message asks what something is: "opening" when it opens by asking ("what
    is X", "what's X", "apa itu X"), "cue" for "X means what", "X tu apa", or the bare word "X?"."""
    if raw[:1] in (["what"], ["whats"]) and raw[1:2] in (["exactly"], ["actually"], ["really"]):
        raw = raw[:1] + raw[2:]  # "what exactly are probiotics" asks what they are
    if len(raw) > 1 and raw[0] == "whats":  # "what's roughage": "what is" already
        return "opening"
    if len(raw) > 1 and raw[0] == "what" and raw[1] in ("is", "are", "s"):
        return "opening"
    if len(raw) > 1 and raw[:2] in (["apa", "itu"], ["apa", "tu"], ["apa", "benda"]):
        return "opening"  # "gapo tu serat" (Kelantan "apa tu"), "apa benda probiotik ni"
    if len(raw) > 2 and raw[1:3] in (["ni", "apa"], ["tu", "apa"], ["itu", "apa"]):
        return "opening"  # "fiber ni apa benda sebenarnya", "serat tu apa" (blind batch 79)
    if len(tokens) == 1 or any(word in DEFINE_WORDS for word in raw):
        return "cue"
    if any(pair in DEFINE_PAIRS for pair in zip(raw, raw[1:], strict=False)):
        return "cue"
    return None


def _common(token: str) -> bool:
    return any(key in COMMON for key in variants(token))


def _lengths_compatible(a: int, b: int) -> bool:
    return 200 * min(a, b) >= FUZZY_CUTOFF * (a + b)
