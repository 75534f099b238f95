"""What each page shows, as plain data: one function per page, each a few library calls.

The HTML pages (:mod:`pipeline.web.pages`) and the JSON API (:mod:`pipeline.web.api`) both use
these, so a page and its API answer never disagree.

>>> from pipeline.store import Store
>>> from extractors.extract import extract
>>> s = Store(":memory:")
>>> doc = s.add(extract("UBND TỈNH A\\nSố: 12/QĐ-UBND\\nA, ngày 02 tháng 3 năm 2023\\nQUYẾT ĐỊNH\\n"
...                     "Về việc ban hành Quy chế"), "h1")
>>> r = search_page(s, "quy che", today=dt.date(2023, 3, 5))
>>> r.total, r.hits[0]["title"], str(r.hits[0]["snippet"]).endswith("ban hành <mark>Quy</mark> <mark>chế</mark>")
(1, 'Quyết định 12/QĐ-UBND', True)
>>> v = document_page(s, doc, today=dt.date(2023, 3, 5))
>>> [(f.label, f.value) for f in v.general if f.path == "subject"]
[('Trích yếu', 'ban hành Quy chế')]
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from pipeline import corrections as corr
from pipeline.search import Condition, Filters, QueryError, fts_query, matching_ids, newest_ids, search, snippet
from pipeline.store import Store
from pipeline.tracker import list_tasks, today_in_vietnam
from pipeline.web.board import OVERDUE_SQL, WEEK, dict_rows
from pipeline.web.labels import doc_title, field_label
from schemas import Dispatch

PAGE_SIZE = 20
MAX_PAGE = 50
COUNT_CAP = 1000  # a filtered search counts its matches up to this ("more than 1,000")
FACET_SAMPLE = 1000  # facets are counted on at most this many matches (the newest)
CITED_BY_LIMIT = 100  # documents listed under "cited by" (the newest); the page gives the total
TOP_FIELDS = ["doc_type", "number", "symbol", "date", "place", "issuer", "issuer_parent", "subject", "urgency",
              "confidentiality", "signer.authority", "signer.title", "signer.name"]


class PageNotFound(LookupError):
    """No such document (the page answers 404)."""


# --- search --------------------------------------------------------------------------------------


@dataclass(eq=False)
class WebFilters(Filters):
    """The search library's filters plus the page's facets: exact issuer, year, open/overdue tasks."""

    issuer_exact: str | None = None
    year: int | None = None
    tasks: str | None = None  # "open" | "overdue"
    today: str = ""

    def conditions(self) -> list[Condition]:
        """The library's conditions and the facets' (what :func:`pipeline.search.search` asks for)."""
        out = super().conditions()
        if self.issuer_exact:
            out.append(Condition("(d.issuer = ? OR d.issuer_parent = ?)", [self.issuer_exact] * 2,
                                 "SELECT id FROM documents WHERE issuer = ? UNION SELECT id FROM documents WHERE issuer_parent = ?"))
        if self.year:
            # as a range of dates (the year is the date's first four digits): the date index walks straight to it
            span = [str(self.year), f"{self.year}\U0010ffff"]
            out.append(Condition("d.date >= ? AND d.date < ?", span, "SELECT id FROM documents WHERE date >= ? AND date < ?"))
        if self.tasks == "open":
            out.append(Condition(
                "EXISTS (SELECT 1 FROM tasks t WHERE t.document_id = d.id AND +t.status IN ('open', 'in_progress'))", []))
        elif self.tasks == "overdue":
            out.append(Condition(f"EXISTS (SELECT 1 FROM tasks t WHERE t.document_id = d.id AND {OVERDUE_SQL})", [self.today]))
        return out

    def active(self) -> bool:
        return bool(self.doc_type or self.issuer_exact or self.year or self.tasks or self.cites)


@dataclass
class SearchResult:
    query: str
    filters: WebFilters
    total: int = 0
    more: bool = False  # a filtered count stopped at COUNT_CAP: more than that match
    sampled: bool = False  # facets counted on the FACET_SAMPLE newest matches only
    page: int = 1
    pages: int = 0
    hits: list[dict] = field(default_factory=list)
    facets: dict[str, list[tuple]] = field(default_factory=dict)
    error: str | None = None


def _highlight(text: str, query: str) -> Markup:
    """A snippet with each query word in ``<mark>``; everything else escaped."""
    raw = snippet(text, query, mark=("\x02", "\x03"))
    return Markup(str(escape(raw)).replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _facets(store: Store, query: str, filters: WebFilters) -> tuple[int, bool, bool, dict[str, list[tuple]]]:
    """How many documents match, whether that count is exact, whether facets were sampled, the facets.

    Without filters the full-text index counts every match; with filters counting stops after
    :data:`COUNT_CAP` (the page then says "more than 1,000").

    Facets are counted on the :data:`FACET_SAMPLE` newest matching documents (all of them when
    fewer match): counting every match of a common word in a large store would cost more than
    the whole page may take. ``sampled`` says when that happened; the page says so.
    """
    conds = filters.conditions()
    if query.strip():
        match = fts_query(query, compounds=[])  # what the library matches (compounds only re-rank)
        if not conds:  # no filter: the full-text index alone counts, exactly and fast
            total = store.db.execute("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH ?", [match]).fetchone()[0]
            ids = matching_ids(store, match, None, FACET_SAMPLE)
        else:
            ids = matching_ids(store, match, filters, COUNT_CAP + 1)
            total = None
    else:
        ids, total = newest_ids(store, filters, COUNT_CAP + 1), None
    exact = total is not None
    if total is None:
        total = len(ids)
        exact = total <= COUNT_CAP
    sql = f"""
        WITH m AS MATERIALIZED (SELECT d.id, d.doc_type, d.issuer, d.year FROM documents d
                                WHERE d.id IN (SELECT value FROM json_each(?)))
        SELECT * FROM (SELECT 'type', doc_type, COUNT(*) AS n FROM m GROUP BY doc_type ORDER BY n DESC LIMIT 12)
        UNION ALL SELECT * FROM (SELECT 'issuer', issuer, COUNT(*) AS n FROM m GROUP BY issuer ORDER BY n DESC LIMIT 12)
        UNION ALL SELECT * FROM (SELECT 'year', year, COUNT(*) AS n FROM m GROUP BY year ORDER BY year DESC LIMIT 15)
        UNION ALL SELECT 'tasks', 'open', COUNT(*) FROM m WHERE EXISTS
            (SELECT 1 FROM tasks t WHERE t.document_id = m.id AND +t.status IN ('open', 'in_progress'))
        UNION ALL SELECT 'tasks', 'overdue', COUNT(*) FROM m WHERE EXISTS
            (SELECT 1 FROM tasks t WHERE t.document_id = m.id AND {OVERDUE_SQL})
    """
    facets: dict[str, list[tuple]] = {"type": [], "issuer": [], "year": [], "tasks": []}
    for kind, value, n in store.db.execute(sql, [json.dumps(ids[:FACET_SAMPLE]), filters.today]).fetchall():
        if value is not None and n:
            facets[kind].append((value, n))
    return total, exact, total > FACET_SAMPLE, facets


def search_page(
    store: Store, query: str, doc_type: str | None = None, issuer: str | None = None, year: int | None = None,
    tasks: str | None = None, page: int = 1, today: dt.date | None = None, cites: str | None = None,
) -> SearchResult:
    """One page of hits (snippets with the words marked) and the facet counts of everything that matched."""
    today = today or today_in_vietnam()
    filters = WebFilters(doc_type=doc_type or None, issuer_exact=issuer or None, year=year or None,
                         tasks=tasks if tasks in ("open", "overdue") else None, today=today.isoformat(),
                         cites=cites or None)
    page = max(1, min(MAX_PAGE, page))
    result = SearchResult(query, filters, page=page)
    if not query.strip() and not filters.active():
        return result
    try:
        filters.sql()  # a bad --cites key is a QueryError, shown on the page
        hits = search(store, query, limit=page * PAGE_SIZE, filters=filters)[(page - 1) * PAGE_SIZE:]
        result.total, exact, result.sampled, result.facets = _facets(store, query, filters)
        result.more = not exact
    except QueryError as exc:
        result.error = str(exc)
        return result
    result.pages = min(MAX_PAGE, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    ids = [h.id for h in hits]
    marks = ",".join("?" * len(ids))
    texts = dict(store.db.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", ids).fetchall())
    counts = {r[0]: r[1:] for r in store.db.execute(
        f"SELECT document_id, SUM(status IN ('open', 'in_progress')), SUM({OVERDUE_SQL}) FROM tasks t "
        f"WHERE document_id IN ({marks}) GROUP BY document_id", [today.isoformat(), *ids]).fetchall()}
    for h in hits:
        open_, overdue = counts.get(h.id, (0, 0))
        result.hits.append({
            "id": h.id, "key": h.key, "title": doc_title(vars(h)), "doc_type": h.doc_type, "number": h.number,
            "symbol": h.symbol, "date": h.date, "issuer": h.issuer, "subject": h.subject, "score": h.score,
            "snippet": _highlight(texts.get(h.id) or "", query), "open_tasks": open_ or 0, "overdue_tasks": overdue or 0,
        })  # fmt: skip
    return result


# --- one document --------------------------------------------------------------------------------


@dataclass
class FieldView:
    path: str
    label: str
    value: str | None
    span: tuple[int, int] | None = None
    confidence: float | None = None
    correction: corr.Correction | None = None

    @property
    def span_attr(self) -> str:
        return f"{self.span[0]}-{self.span[1]}" if self.span else ""


@dataclass
class Segment:
    start: int
    end: int
    text: str
    hl: bool = False
    first: bool = False


@dataclass
class DocumentView:
    doc: dict
    record: Dispatch
    general: list[FieldView]
    recipients: list[FieldView]
    distribution: list[dict]
    references: list[dict]
    named_references: list[FieldView]
    tasks: list[dict]
    detached_tasks: list[dict]
    deadlines: list[dict]
    cited_by: list[dict]
    cited_by_total: int
    history: list[corr.Correction]
    segments: list[Segment]
    hl: tuple[int, int] | None
    warnings: list[str]
    original_name: str | None
    has_original: bool


def _field(d: dict, path: str, fixes: dict[str, corr.Correction]) -> FieldView:
    node = d
    for p in path.split("."):
        node = node[int(p)] if isinstance(node, list) else (node or {}).get(p)
    if isinstance(node, dict) and "value" in node:
        span = tuple(node["span"]) if node.get("span") else None
        return FieldView(path, field_label(path), node["value"], span, node.get("confidence"), fixes.get(path))
    return FieldView(path, field_label(path), node, None, None, fixes.get(path))


def segments(text: str, spans: list[tuple[int, int]], hl: tuple[int, int] | None) -> list[Segment]:
    """``text`` cut at every span boundary, so any field's span is a run of whole segments.

    >>> [(s.text, s.hl) for s in segments("Số: 12/QĐ", [(5, 7)], (5, 7))]
    [('Số: 1', False), ('2/', True), ('QĐ', False)]
    """
    n = len(text)
    cuts = {0, n}
    for a, b in spans + ([hl] if hl else []):
        cuts.update((max(0, min(n, a)), max(0, min(n, b))))
    cuts_sorted = sorted(cuts)
    out, first = [], True
    for a, b in zip(cuts_sorted, cuts_sorted[1:], strict=False):
        lit = hl is not None and a >= hl[0] and b <= hl[1] and a < b
        out.append(Segment(a, b, text[a:b], lit, lit and first))
        first = first and not lit
    return out


def document_page(store: Store, doc_id: int, hl: tuple[int, int] | None = None, today: dt.date | None = None) -> DocumentView:
    """A document with every field (corrections shown beside the extracted value), its links and its tasks."""
    today = today or today_in_vietnam()
    doc = store.get(doc_id)
    if doc is None:
        raise PageNotFound(doc_id)
    d = Dispatch.model_validate_json(doc["record"])
    data = d.model_dump(mode="json")
    fixes = corr.active(store, doc_id)
    text = doc["text"] or ""
    general = [_field(data, p, fixes) for p in TOP_FIELDS]
    recipients = [_field(data, f"recipients.{i}", fixes) for i in range(len(d.recipients))]
    named = [_field(data, f"named_references.{i}", fixes) for i in range(len(d.named_references))]
    distribution = [
        {"name": _field(data, f"distribution.{i}.name", fixes), "purpose": _field(data, f"distribution.{i}.purpose", fixes),
         "kind": e.kind, "span": e.span, "units": e.units}
        for i, e in enumerate(d.distribution)
    ]  # fmt: skip
    refs_by_start = {r["start"]: r for r in doc["refs"]}
    targets = {r["target_id"] for r in doc["refs"] if r["target_id"]}
    titles = {}
    if targets:
        marks = ",".join("?" * len(targets))
        for row in dict_rows(store, f"SELECT id, doc_type, number, symbol, date, subject FROM documents WHERE id IN ({marks})",
                         sorted(targets)):
            titles[row["id"]] = row
    references = []
    for i, r in enumerate(d.references):
        row = refs_by_start.get(r.span[0], {})
        target = titles.get(row.get("target_id"))
        references.append({
            "index": i, "key": r.key, "span": r.span, "in_footnote": r.in_footnote, "target": target,
            "label": " ".join(x for x in (r.type.value if r.type else None,
                                          doc_title({"number": _v(r.number), "symbol": _v(r.symbol)})
                                          if r.symbol else (_v(r.title) or r.key)) if x),
            "fields": [_field(data, f"references.{i}.{k}", fixes) for k in ("type", "number", "symbol", "date", "issuer", "title")],
        })  # fmt: skip
    rows = list_tasks(store, doc_id=doc_id, today=today, soon=WEEK)
    by_seq = {r["seq"]: r for r in rows if not r["detached"]}
    tasks = [
        {"index": i, "span": t.span, "row": by_seq.get(i),
         "fields": [_field(data, f"tasks.{i}.{k}", fixes) for k in ("assignee", "action", "deliverable", "send_to")]
         + ([_field(data, f"tasks.{i}.deadline.{k}", fixes) for k in ("text", "date")] if t.deadline else [])}
        for i, t in enumerate(d.tasks)
    ]  # fmt: skip
    detached = [r for r in rows if r["detached"]]
    deadlines = [
        {"index": i, "span": x.span, "kind": x.kind, "text": _field(data, f"deadlines.{i}.text", fixes),
         "date": _field(data, f"deadlines.{i}.date", fixes)}
        for i, x in enumerate(d.deadlines)
    ]  # fmt: skip
    # what cites this document: the backlinks of pipeline.refs (refs.target_id), newest first, in one query
    cited_by = [
        {"id": r["id"], "label": doc_title(r), "date": r["date"], "subject": r["subject"]}
        for r in dict_rows(store, "SELECT d.id, d.doc_type, d.number, d.symbol, d.date, d.subject FROM documents d "
                              "WHERE d.id IN (SELECT document_id FROM refs WHERE target_id = ?) "
                              "ORDER BY d.date DESC, d.id DESC LIMIT ?", [doc_id, CITED_BY_LIMIT])
    ]
    cited_total = len(cited_by) if len(cited_by) < CITED_BY_LIMIT else store.db.execute(
        "SELECT COUNT(DISTINCT document_id) FROM refs WHERE target_id = ?", [doc_id]).fetchone()[0]
    spans = [f.span for f in general + recipients + named if f.span]
    spans += [e["span"] for e in distribution if e["span"]] + [r["span"] for r in references]
    spans += [t["span"] for t in tasks] + [x["span"] for x in deadlines]
    spans += [f.span for r in references for f in r["fields"] if f.span]
    spans += [f.span for t in tasks for f in t["fields"] if f.span]
    if hl and not (0 <= hl[0] < hl[1] <= len(text)):
        hl = None
    source = doc.get("source_path") or ""
    return DocumentView(
        doc=doc, record=d, general=general, recipients=recipients, distribution=distribution, references=references,
        named_references=named, tasks=tasks, detached_tasks=detached, deadlines=deadlines, cited_by=cited_by,
        cited_by_total=cited_total,
        history=corr.history(store, doc_id), segments=segments(text, spans, hl), hl=hl,
        warnings=list(doc["warnings"]), original_name=source.replace("\\", "/").rsplit("/", 1)[-1] or None,
        has_original=bool(doc.get("original")),
    )


def _v(x):
    return x.value if x is not None else None


def parse_span(value: str | None) -> tuple[int, int] | None:
    """``"120-124"`` → ``(120, 124)``; anything else → None.

    >>> parse_span("120-124"), parse_span("x"), parse_span(None)
    ((120, 124), None, None)
    """
    try:
        a, b = (int(x) for x in (value or "").split("-"))
        return (a, b) if 0 <= a < b else None
    except ValueError:
        return None


__all__ = [
    "DocumentView", "FieldView", "PageNotFound", "SearchResult", "WebFilters", "document_page", "parse_span",
    "search_page", "segments",
]  # fmt: skip
