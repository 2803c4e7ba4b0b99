"""Fit the triage model (bot/faq/model.py) on the case files of tests/faq, held-out set excluded.

    .venv/bin/pip install 'scikit-learn~=1.9'  # the [train] extra: for fitting only
    .venv/bin/python scripts/train_triage_model.py   # writes bot/faq/triage_model.json.gz

Run it after adding or changing a case file: tests/faq/test_model.py checks that the shipped
model was fitted on the case files as they are. The held-out set (heldout_cases.yaml) is never
read. What the model adds on cases it was not fitted on: bench/triage_model_backtest.py.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.faq.model import MODEL_FILE, features, read_model  # noqa: E402

CASES = ROOT / "tests" / "faq"
KINDS = ("crisis", "urgent", "offtopic")
LABELS = {"crisis": "crisis", "urgent": "urgent", "none": "offtopic"}
MAX_FEATURES = 60_000
MIN_DF = 2
C = 100.0
FAQ_C = 3.0
FAQ_PRUNE = 0.2  # weights smaller than this are left out: 63k of 2.6M, the same order of choices
TOL = 1e-7  # fitted to the end: the default stops after some 25 steps, and its fit is noisy
CHECKS = (
    "i think my candle has burnt down to the wick",
    "my lips are swollen and i cant breathe",
    "does dairy cause acne?",
    "bye nk tidur dh",
    "saya rasa nak bunuh diri",
    "",
    "😭😭😭",
    "发烧 皮疹",
)


def case_files() -> list[Path]:
    """Every case file the model learns from: all of tests/faq/*.yaml but the held-out set."""
    return sorted(p for p in CASES.glob("*.yaml") if p.name != "heldout_cases.yaml")


def digest(files: list[Path]) -> str:
    """A digest of the files' names and bytes: the model says what it was fitted on."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _read(path: Path) -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def labelled(path: Path) -> list[tuple[str, str]]:
    """(message, label) pairs: crisis, urgent, offtopic (kind none) or calm (an FAQ question,
    small talk, a look-alike in urgent_cases.yaml)."""
    data = _read(path)
    if "cases" in data:
        return [(str(c["q"]), LABELS.get(str(c.get("kind")), "calm")) for c in data["cases"]]
    urgent = [
        (str(c["q"]), "crisis" if c["sign"] == "self-harm" else "urgent") for c in data["urgent"]
    ]
    return urgent + [(str(q), "calm") for q in data["not_urgent"]]


def answers(path: Path) -> list[tuple[str, str]]:
    """(message, FAQ entry id) pairs: the cases that expect an answer."""
    cases = _read(path).get("cases", ())
    return [(str(c["q"]), str(c["expect"])) for c in cases if "expect" in c]


def fit(rows: list[tuple[str, str]], faq_rows: list[tuple[str, str]]) -> dict[str, Any]:
    """Fit one logistic regression per kind over shared tf-idf features, and over the same
    features one across the FAQ's entries (multinomial), to order the matcher's choices."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    texts = [t for t, _ in rows]
    counts = CountVectorizer(analyzer=features, min_df=MIN_DF, max_features=MAX_FEATURES)
    x = counts.fit_transform(texts)
    tfidf = TfidfTransformer(sublinear_tf=True).fit(x)
    x = tfidf.transform(x)
    coefs, bias, checks = [], [], tfidf.transform(counts.transform(CHECKS))
    said = []
    for kind in KINDS:
        y = [1 if label == kind else 0 for _, label in rows]
        model = LogisticRegression(C=C, tol=TOL, max_iter=5000).fit(x, y)
        coefs.append(model.coef_[0])
        bias.append(float(model.intercept_[0]))
        said.append(model.predict_proba(checks)[:, 1])
    weights = {
        feature: [round(float(tfidf.idf_[j]), 6)] + [round(float(c[j]), 6) for c in coefs]
        for feature, j in counts.vocabulary_.items()
    }
    # What scikit-learn says of a few messages; the plain-Python scorer must agree (test_model.py).
    agreed = [[t, [float(p[i]) for p in said]] for i, t in enumerate(CHECKS)]
    entries = LogisticRegression(C=FAQ_C, max_iter=5000).fit(
        tfidf.transform(counts.transform([t for t, _ in faq_rows])), [e for _, e in faq_rows]
    )
    names = {j: feature for feature, j in counts.vocabulary_.items()}
    faq_weights: dict[str, list[list[float]]] = {}
    for k, row in enumerate(entries.coef_):
        for j in (abs(row) >= FAQ_PRUNE).nonzero()[0]:
            faq_weights.setdefault(names[int(j)], []).append([k, round(float(row[j]), 5)])
    pruned = entries.coef_ * (abs(entries.coef_) >= FAQ_PRUNE)
    logits = checks @ pruned.T + entries.intercept_
    faq = {
        "entries": [str(e) for e in entries.classes_],
        "bias": [round(float(b), 6) for b in entries.intercept_],
        "weights": faq_weights,
        "checks": [[t, [float(v) for v in logits[i]]] for i, t in enumerate(CHECKS)],
    }
    return {"kinds": list(KINDS), "bias": bias, "weights": weights, "checks": agreed, "faq": faq}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    files = case_files()
    rows = [row for f in files for row in labelled(f)]
    data = fit(rows, [row for f in files for row in answers(f)])
    data["trained_on"] = digest(files)
    # No time stamp in the gzip header: fitting the same cases writes the same bytes.
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with gzip.GzipFile(MODEL_FILE, "wb", mtime=0) as f:
        f.write(text)
    read_model(MODEL_FILE)  # it reads back
    print(
        f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size:,} bytes): {len(rows):,} messages, "
        f"{len(data['weights']):,} features"
    )


if __name__ == "__main__":
    main()
