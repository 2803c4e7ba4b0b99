"""`gutskin-bot faq ask`: what the bot would do with a question, for content editors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.config import Settings
from bot.content.loader import Content, load_content
from bot.faq import answer as questions
from bot.faq.matcher import FaqMatcher

LANGUAGES = ("en", "ms")


def add_parsers(subparsers: Any) -> None:
    """Add `faq ask` to the command line."""
    faq = subparsers.add_parser("faq", help="check FAQ matching").add_subparsers(
        required=True, metavar="ACTION"
    )
    ask = faq.add_parser(
        "ask",
        help="print what the bot would do with a question (urgent, crisis, answer, choices, "
        "none or smalltalk), with entry ids and scores",
    )
    ask.add_argument("question", nargs="?", help="the question (omit with --json)")
    ask.add_argument("--language", choices=LANGUAGES, default="en", help="the user's setting")
    ask.add_argument(
        "--json",
        action="store_true",
        help='read {"q": ..., "language": "en"|"ms"|null} lines on stdin, write one JSON line each',
    )
    ask.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Answer one question in words, or a stream of JSON lines."""
    content = load_content(settings.tips_dir)
    matcher = FaqMatcher.of(content.faq)
    if args.json:
        return ask_lines(content, matcher, sys.stdin, sys.stdout)
    if not args.question:
        print("gutskin-bot: faq ask needs a question (or --json)", file=sys.stderr)
        return 2
    reply = questions.triage(content, matcher, args.question, args.language)
    print(_words(questions.describe(reply)))
    return 0


def ask_lines(content: Content, matcher: FaqMatcher, lines: TextIO, out: TextIO) -> int:
    """Triage one JSON object per line; a bad line gets an error line, never a crash."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("q"), str):
                raise ValueError('expected an object with a string "q"')
            language = item.get("language") or "en"
            if language not in LANGUAGES:
                raise ValueError(f"language must be one of {', '.join(LANGUAGES)} or null")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            out.write(json.dumps({"error": str(exc), "line": number}) + "\n")
            out.flush()
            continue
        reply = questions.triage(content, matcher, item["q"], language)
        out.write(json.dumps(questions.describe(reply), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def _words(found: dict[str, Any]) -> str:
    kind = found["kind"]
    if kind in ("urgent", "crisis"):
        head = f"{kind}: sign {found['sign']}"
    elif kind == "smalltalk":
        head = f"smalltalk: {found['smalltalk']}"
    elif kind == "none":
        head = "none: the honest fallback (recorded for the clinic team)"
    else:
        head = f"{kind}: {', '.join(found['ids'])}"
    lines = [head]
    lines += [f"  {entry} {score:.2f}" for entry, score in found["scores"].items()]
    if found["language"]:
        lines.append(f"  answered in {found['language']} (typed in it), with an offer to switch")
    return "\n".join(lines)
