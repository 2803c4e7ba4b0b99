"""Back-test the triage model: what it adds to the phrase rules on batches it never saw.

Run: .venv/bin/pip install 'scikit-learn~=1.9'
     .venv/bin/python bench/triage_model_backtest.py 150

Blind batches N and later are left out of the fit. Each of them records in its header the
commit it was first scored on; the rules as they stood at that commit (bot/ and tips/ from
`git archive`) are run on it again, so "the rules' misses" are the misses of its first score,
not of rules tuned on it since. The model, fitted without those batches, is then asked about
every message the rules let through: misses it catches, and calm messages it alarms on.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import runpy
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.content.loader import load_content  # noqa: E402
from bot.faq.matcher import FaqMatcher  # noqa: E402
from bot.faq.model import THRESHOLD, off_topic_in, read_model  # noqa: E402
from bot.faq.urgent import detect_urgent  # noqa: E402

RULES_AT = """
import json, sys
from pathlib import Path
from types import SimpleNamespace
import yaml
from bot.content.loader import load_content
from bot.faq.urgent import detect_urgent
signs = load_content(Path("tips")).urgent
for path in sys.argv[1:]:
    for case in yaml.safe_load(Path(path).read_text())["cases"]:
        found = detect_urgent(str(case["q"]), signs)
        print(json.dumps([path, str(case["q"]), found is not None]))
"""


def _batch(path: Path) -> int:
    """A blind batch's number (tuning_fresh150.yaml: 150), 0 for the other case files."""
    m = re.fullmatch(r"tuning_fresh(\d+)\.yaml", path.name)
    return int(m.group(1)) if m else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first_batch", type=int, nargs="?", default=150, help="left out from here")
    cut = parser.parse_args().first_batch
    trainer = SimpleNamespace(**runpy.run_path(str(ROOT / "scripts" / "train_triage_model.py")))
    files = trainer.case_files()
    held = [f for f in files if _batch(f) >= cut]
    by_commit: dict[str, list[Path]] = defaultdict(list)
    for path in held:
        m = re.search(r"on (?:main )?([0-9a-f]{7})\b", path.read_text(encoding="utf-8")[:3000])
        assert m, f"no first-score commit in {path.name}'s header"
        by_commit[m.group(1)].append(path)
    caught_by_rules: dict[tuple[str, str], bool] = {}
    for commit, paths in sorted(by_commit.items()):
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(
                ["git", "archive", commit, "bot", "tips"], cwd=ROOT, check=True, capture_output=True
            ).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            out = subprocess.run(
                [sys.executable, "-c", RULES_AT, *map(str, paths)],
                cwd=tmp,
                env={"PYTHONPATH": tmp},
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        for line in out.splitlines():
            path, q, found = json.loads(line)
            caught_by_rules[(Path(path).name, q)] = found
    fitted_on = [f for f in files if _batch(f) < cut]
    rows = [row for f in fitted_on for row in trainer.labelled(f)]
    data = trainer.fit(rows, [row for f in fitted_on for row in trainer.answers(f)])
    data["trained_on"] = "back-test"
    out_path = Path(tempfile.gettempdir()) / "triage_model_backtest.json.gz"
    with gzip.open(out_path, "wt", encoding="utf-8") as f:
        json.dump(data, f)
    model = read_model(out_path)
    misses = caught = calm = alarms = rule_caught = urgent = 0
    crisis_misses = crisis_caught = 0
    for path in held:
        for q, label in trainer.labelled(path):
            by_rules = caught_by_rules[(path.name, q)]
            verdict = None if by_rules else model.verdict(q)
            if label in ("crisis", "urgent"):
                urgent += 1
                rule_caught += by_rules
                if not by_rules:
                    misses += 1
                    caught += verdict is not None
                    if label == "crisis":
                        crisis_misses += 1
                        crisis_caught += verdict is not None
            else:
                calm += 1
                alarms += verdict is not None
    # Off-topic: the matcher as it is now (tuned on these batches since, so its own misses are
    # fewer than at first score); what the model's "about something else" costs and saves.
    content = load_content(ROOT / "tips")
    matcher = FaqMatcher(content.faq)
    fixed = lost = offtopic_misses = questions_right = 0
    ambiguous = first_before = first_after = 0
    for path in held:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            if case.get("kind") in ("urgent", "crisis", "smalltalk"):
                continue
            q, lang = str(case["q"]), str(case.get("language") or "en")
            if detect_urgent(q, content.urgent) is not None:
                continue
            result = matcher.match(q, language=lang)
            shown = [c.entry_id for c in result.candidates] if result.kind != "none" else []
            says = off_topic_in(model.probabilities(q))
            if case.get("kind") == "none" and shown:
                offtopic_misses += 1
                fixed += says
            elif "expect" in case:
                if shown[:1] == [case["expect"]]:
                    questions_right += 1
                    lost += says
                if result.kind == "ambiguous":
                    ambiguous += 1
                    ranked = model.rank(q, shown) or shown
                    first_before += shown[0] == case["expect"]
                    first_after += ranked[0] == case["expect"]
    print(f"blind batches {cut}+ ({len(held)} files), first scored on {len(by_commit)} commits")
    print(f"rules at first score: {rule_caught}/{urgent} urgent and crisis messages caught")
    print(
        f"model (thresholds {THRESHOLD}) on the rules' misses: {caught}/{misses} caught "
        f"({crisis_caught}/{crisis_misses} crises); new false alarms {alarms}/{calm} calm messages"
    )
    print(
        f"off-topic (threshold {THRESHOLD['offtopic']}, beside today's matcher): {fixed}/"
        f"{offtopic_misses} off-topic messages it answered turned honest; {lost}/"
        f"{questions_right} FAQ questions it answered right would lose their answer"
    )
    print(
        f"choices ordered by the model: of {ambiguous} FAQ questions given choices, the right "
        f"entry first {first_before} times in the matcher's order, {first_after} in the model's"
    )


if __name__ == "__main__":
    main()
