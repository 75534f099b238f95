"""Accuracy on the corpus may not drop below the recorded levels (corpus/eval_levels.json).

To record new levels after an improvement: ``congvan eval corpus/ --json`` and copy the F1s.
"""

from __future__ import annotations

import json

from pipeline.evaluate import MACRO_FIELDS, Score, evaluate, similar
from pipeline.ingest import extract_file
from tests.conftest import CORPUS


def test_corpus_accuracy_holds_its_recorded_level():
    levels = json.loads((CORPUS / "eval_levels.json").read_text())
    report = evaluate(CORPUS, extract_file)
    assert report.documents >= 50
    assert not report.failures
    drops = {
        name: (round(report.scores[name].f1, 4), floor)
        for name, floor in levels["fields"].items()
        if report.scores[name].f1 < floor - 5e-5  # levels are stored rounded to 4 places
    }
    assert not drops, f"fields below their recorded F1: {drops}"
    assert report.macro >= levels["macro_f1"] - 5e-5
    assert set(levels["fields"]) >= set(MACRO_FIELDS)


def test_score_counts():
    s = Score()
    s.add_scalar("a", "a")
    s.add_scalar("b", "c")  # a wrong value is both a false positive and a false negative
    s.add_scalar(None, "d")
    s.add_scalar("e", None)
    assert (s.tp, s.fp, s.fn) == (1, 2, 2)
    assert abs(s.f1 - 1 / 3) < 1e-9


def test_similar_assignees():
    assert similar("các cơ quan, đơn vị", "Các cơ quan, đơn vị.")
    assert not similar("Sở Tư pháp", "Sở Tài chính")
