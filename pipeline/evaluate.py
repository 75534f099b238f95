"""Field-by-field accuracy against hand-checked gold: ``congvan eval corpus/``.

Scalar fields count a true positive when the prediction equals the gold (compared without
case, surrounding punctuation or spacing differences, diacritics kept), a false positive when
something else or something extra was predicted, a false negative when the gold value was
missed. List fields (recipients, distribution, references, tasks, deadlines) are matched item
by item. The macro score is the mean F1 over the fields in :data:`MACRO_FIELDS`.

>>> s = Score(); s.add_scalar("Hà Tĩnh", "Hà Tĩnh"); s.add_scalar(None, "Hà Nội"); (s.tp, s.fn)
(1, 1)
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import regex as re

from extractors.keys import document_key
from extractors.lines import fold
from extractors.normalize import normalize
from schemas import Dispatch

SCALAR_FIELDS = (
    "doc_type", "issuer_parent", "issuer", "number", "symbol", "place", "date", "subject",
    "urgency", "confidentiality",
)
SIGNER_FIELDS = ("authority", "title", "name")
LIST_FIELDS = ("recipients", "distribution", "references", "tasks", "deadlines")
MACRO_FIELDS = (
    "doc_type", "issuer_parent", "issuer", "number", "symbol", "place", "date", "subject",
    "urgency", "recipients", "distribution", "signer.authority", "signer.title", "signer.name",
    "references", "tasks", "deadlines",
)
EXTRA_FIELDS = ("confidentiality", "named_references", "references.date", "references.issuer", "tasks.assignee", "tasks.deadline")


def norm(v: object) -> str | None:
    """Comparable form of a printed value: NFC, one space, no case, no edge punctuation,
    tone marks placed one way (``UỶ`` and ``ỦY`` are the same word)."""
    if v is None:
        return None
    s = normalize(unicodedata.normalize("NFC", str(v))).text
    s = re.sub(r"\s+", " ", s).strip(" .,;:-–\"“”'*")
    return s.lower() or None


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[tuple[str, object, object]] = field(default_factory=list, repr=False)
    """(document, predicted, gold) for every miss, for ``congvan eval --errors``."""
    doc: str = ""

    def add_scalar(self, pred: object, gold: object, same: Callable[[object, object], bool] | None = None) -> None:
        p, g = norm(pred), norm(gold)
        if p is None and g is None:
            return
        eq = (same(pred, gold) if same else p == g) if p is not None and g is not None else False
        if eq:
            self.tp += 1
        else:
            self.fp += p is not None
            self.fn += g is not None
            self.errors.append((self.doc, pred, gold))

    def add_lists(self, pred: list, gold: list, same: Callable[[object, object], bool]) -> list[tuple[object, object]]:
        """Greedy one-to-one matching; returns the matched pairs."""
        left = list(gold)
        pairs = []
        for p in pred:
            for i, g in enumerate(left):
                if same(p, g):
                    pairs.append((p, g))
                    del left[i]
                    break
            else:
                self.fp += 1
                self.errors.append((self.doc, p, None))
        self.tp += len(pairs)
        self.fn += len(left)
        self.errors.extend((self.doc, None, g) for g in left)
        return pairs

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


def _tokens(s: str | None) -> set[str]:
    return set(re.findall(r"\w+", fold(s or "")))


def similar(a: str | None, b: str | None, threshold: float = 0.6) -> bool:
    """Same text up to wording: equal, one contains the other, or token overlap ≥ threshold."""
    na, nb = norm(a), norm(b)
    if na is None or nb is None:
        return na == nb
    if na == nb:
        return True
    ta, tb = _tokens(na), _tokens(nb)
    if not ta or not tb:
        return False
    if ta <= tb or tb <= ta:
        return min(len(ta), len(tb)) / max(len(ta), len(tb)) >= 0.5
    return len(ta & tb) / len(ta | tb) >= threshold


def _undated(name: str | None) -> str | None:
    """A law's name without its adoption date (annotators differ on including it)."""
    return re.sub(r"\s+ngày\s+\d.*$", "", name or "") or None


def _purpose(p: str | None) -> str | None:
    return norm(re.sub(r"^(?:để|de)\s+", "", p or "", flags=re.I)) or None


def _gold_key(r: dict, fallback_year: int | None = None) -> str:
    year = int(r["date"][:4]) if r.get("date") else None
    return document_key(r.get("number"), r.get("symbol") or "", year)


def _deadline_same(p: dict, g: dict) -> bool:
    if p.get("kind") != g.get("kind") and not {p.get("kind"), g.get("kind")} <= {"absolute", "period"}:
        return False
    if g.get("kind") == "relative":
        return p.get("amount") == g.get("amount") and p.get("unit") == g.get("unit")
    return p.get("date") == g.get("date")


def score_document(pred: Dispatch, gold: dict, scores: dict[str, Score], doc: str = "") -> None:
    """Add one document's comparison to ``scores`` (field name → :class:`Score`)."""
    plain = pred.plain()

    def sc(name: str) -> Score:
        s = scores.setdefault(name, Score())
        s.doc = doc
        return s

    for f in SCALAR_FIELDS:
        sc(f).add_scalar(plain.get(f), gold.get(f))
    gs = gold.get("signer") or {}
    for f in SIGNER_FIELDS:
        sc(f"signer.{f}").add_scalar((plain.get("signer") or {}).get(f), gs.get(f))
    sc("recipients").add_lists(plain["recipients"], gold.get("recipients") or [], lambda p, g: norm(p) == norm(g))
    sc("distribution").add_lists(
        plain["distribution"],
        gold.get("distribution") or [],
        lambda p, g: norm(p["name"]) == norm(g["name"]) and _purpose(p.get("purpose")) == _purpose(g.get("purpose")),
    )
    pairs = sc("references").add_lists(
        plain["references"], gold.get("references") or [], lambda p, g: p["key"] == _gold_key(g)
    )
    for p, g in pairs:
        sc("references.date").add_scalar(p.get("date"), g.get("date"))
        sc("references.issuer").add_scalar(p.get("issuer"), g.get("issuer"))
    sc("named_references").add_lists(
        plain.get("named_references") or [], gold.get("named_references") or [],
        lambda p, g: similar(_undated(p), _undated(g), 0.5),
    )

    def task_same(p: dict, g: dict) -> bool:
        pd = (p.get("deadline") or {}).get("date")
        return pd == g.get("deadline") and similar(p.get("assignee"), g.get("assignee"), 0.5)

    sc("tasks").add_lists(plain["tasks"], gold.get("tasks") or [], task_same)
    sc("tasks.assignee").add_lists(
        [t.get("assignee") for t in plain["tasks"]], [t.get("assignee") for t in gold.get("tasks") or []],
        lambda p, g: similar(p, g, 0.5),
    )
    sc("tasks.deadline").add_lists(
        [(t.get("deadline") or {}).get("date") for t in plain["tasks"] if (t.get("deadline") or {}).get("date")],
        [t.get("deadline") for t in gold.get("tasks") or [] if t.get("deadline")],
        lambda p, g: p == g,
    )
    dated = [d for d in plain["deadlines"] if d.get("kind") != "vague"]
    sc("deadlines").add_lists(dated, gold.get("deadlines") or [], _deadline_same)


@dataclass
class Report:
    scores: dict[str, Score] = field(default_factory=dict)
    documents: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def macro(self) -> float:
        fs = [self.scores[f].f1 for f in MACRO_FIELDS if f in self.scores and self.scores[f].support + self.scores[f].fp]
        return sum(fs) / len(fs) if fs else 0.0

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "macro_f1": round(self.macro, 4),
            "fields": {
                name: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                    "in_macro": name in MACRO_FIELDS,
                }
                for name, s in self.scores.items()
            },
            "failures": self.failures,
        }

    def error_lines(self, fields: Iterable[str] | None = None) -> list[str]:
        """One line per miss: field, document, predicted and gold values."""
        out = []
        for name, s in self.scores.items():
            if fields and name not in fields:
                continue
            for doc, pred, gold in s.errors:
                out.append(f"{name:<18} {doc:<48} pred={_short(pred)}  gold={_short(gold)}")
        return out

    def table(self) -> str:
        rows = [f"{'field':<22} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}"]
        for name in (*MACRO_FIELDS, *EXTRA_FIELDS):
            if name in self.scores:
                s = self.scores[name]
                mark = "" if name in MACRO_FIELDS else "  (not in macro)"
                rows.append(f"{name:<22} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:5d}{mark}")
        rows.append(f"{'macro F1':<22} {'':>6} {'':>6} {self.macro:6.3f}   over {self.documents} documents")
        return "\n".join(rows)


def _short(v: object) -> str:
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return s if len(s) < 160 else s[:157] + "..."


def gold_pairs(folder: Path) -> Iterable[tuple[Path, Path]]:
    """``(document, gold)`` pairs in a corpus folder: ``X.txt`` beside ``X.gold.json``."""
    for gold in sorted(folder.glob("*.gold.json")):
        stem = gold.name[: -len(".gold.json")]
        docs = [p for p in folder.glob(stem + ".*") if not p.name.endswith(".gold.json")]
        if docs:
            yield sorted(docs)[0], gold


def evaluate(folder: Path, extract_file: Callable[[Path], Dispatch]) -> Report:
    """Score every document of ``folder`` that has a gold file."""
    report = Report()
    for doc, gold_path in gold_pairs(folder):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        try:
            pred = extract_file(doc)
        except Exception as exc:  # a document that fails to extract scores as all misses
            report.failures.append(f"{doc.name}: {exc}")
            pred = Dispatch()
        score_document(pred, gold, report.scores, doc.name)
        report.documents += 1
    return report
