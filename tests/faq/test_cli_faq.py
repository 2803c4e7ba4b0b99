"""`gutskin-bot faq ask`, run in process through the command line's main()."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bot.cli.commands import main
from tests.conftest import TIPS_DIR


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIPS_DIR", str(TIPS_DIR))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))


def test_ask_prints_the_answer_with_its_score(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "does milk give me pimples?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("answer: dairy-and-acne")
    # The score is printed beside the entry (its size depends on the matcher's weights).
    assert re.search(r"^  dairy-and-acne \d+\.\d+$", out, re.MULTILINE), out


def test_ask_shows_the_honest_fallback_for_petrol_prices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["faq", "ask", "harga minyak petrol", "--language", "en"]) == 0
    assert capsys.readouterr().out.startswith("none:")


def test_ask_names_the_urgent_sign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "my lips are swelling and i can't breathe"]) == 0
    assert capsys.readouterr().out.startswith("urgent: sign ")


def test_ask_names_the_crisis_sign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "ask", "i want to kill myself because of my acne"]) == 0
    assert capsys.readouterr().out.startswith("crisis: sign ")


def test_json_lines_in_and_out_with_an_error_line_for_bad_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"q": "thanks!", "language": "ms"}),
        "not json at all",
        json.dumps({"q": "susu buat jerawat ke", "language": "en"}),
        json.dumps({"language": "en"}),
        json.dumps({"q": "best laptop for gaming", "language": None}),
        json.dumps({"q": "does dairy cause acne", "language": "fr"}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["faq", "ask", "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("kind", "error" if "error" in o else None) for o in out] == [
        "smalltalk",
        "error",
        "answer",
        "error",
        "none",
        "error",
    ]
    assert out[1]["line"] == 2
    assert out[2]["ids"] == ["dairy-and-acne"]
    assert out[2]["language"] == "ms"  # typed in Malay: answered in Malay
    assert out[0]["ids"] == [] and out[0]["sign"] is None
