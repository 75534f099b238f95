"""The fast paths of search and of the task tracker give the answers of the plain ones.

Search lists a selective filter's documents first or checks each full-text match against it
(pipeline.search.matching_ids), ranks without the query's common terms (rank_query), marks
snippets without folding the text; the tracker selects, orders, limits and counts tasks in SQL
(pipeline.tracker.select_tasks, count_tasks). Each is compared with the straightforward answer.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import sys
from pathlib import Path

import pytest

import pipeline.search as S
from extractors.lines import fold
from pipeline.ingest import ingest_paths
from pipeline.search import Filters, search, snippet
from pipeline.store import Store
from pipeline.tracker import TaskFilter, count_tasks, list_tasks
from tests.conftest import CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    from bench_store import make_document  # corpus documents with new numbers, dates, places, citations

    folder = tmp_path_factory.mktemp("speed")
    for i in range(60):
        (folder / f"gen{i:03}.txt").write_text(make_document(i), encoding="utf-8")
    s = Store(folder / "s.db")
    ingest_paths(s, [CORPUS, folder])
    return s


def passing(store: Store, f: Filters) -> set[int]:
    store.db.conn.create_function("fold", 1, lambda x: fold(x) if x else x, deterministic=True)
    where, params = f.sql()
    return {r[0] for r in store.db.execute(f"SELECT d.id FROM documents d WHERE {where}", params)}


FILTERS = [
    Filters(doc_type="Kế hoạch"), Filters(doc_type="cv"), Filters(issuer="so noi vu"), Filters(issuer="ubnd"),
    Filters(date_from="2023"), Filters(date_to="2021"), Filters(date_from="2022-03", date_to="2024-06-30"),
    Filters(cites="76/NQ-CP"), Filters(unresolved=True), Filters(doc_type="Quyết định", date_from="2020", issuer="tinh"),
]


@pytest.mark.parametrize("plan", ["as chosen", "list first", "check each"])
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v))
def test_filtered_search_is_the_unfiltered_search_filtered(store, f, plan, monkeypatch):
    split = S._split
    if plan == "list first":
        monkeypatch.setattr(S, "_split", lambda st, fl, cap: split(st, fl, 10**9))
    elif plan == "check each":
        monkeypatch.setattr(S, "_split", lambda st, fl, cap: ([], fl.conditions()))
    keep = passing(store, f)
    assert keep  # every filter keeps something here
    for q in ["cải cách hành chính", "ủy ban nhân dân", "báo cáo", "2629/QĐ-UBND", "quyet dinh"]:
        every = [h.id for h in search(store, q, limit=10_000)]
        assert [h.id for h in search(store, q, limit=10_000, filters=f)] == [i for i in every if i in keep], q
    latest = [r[0] for r in store.db.execute("SELECT id FROM documents ORDER BY date DESC, id DESC")]
    assert [h.id for h in search(store, "", limit=7, filters=f)] == [i for i in latest if i in keep][:7]


def test_ranking_without_common_terms_keeps_the_scores(store, monkeypatch):
    monkeypatch.setattr(S, "RANK_MIN_DOCS", 0)
    for q in ["ủy ban nhân dân tỉnh sốt xuất huyết", "kế hoạch cải cách hành chính", "2629/QĐ-UBND", "ủy ban khen thưởng"]:
        assert S.rank_query(store, q) not in (None, S.fts_query(q, compounds=[])), q  # some term was left out
        fast = {h.id: h.score for h in search(store, q, limit=10_000)}
        with monkeypatch.context() as m:
            m.setattr(S, "rank_query", lambda st, qq: None)
            exact = {h.id: h.score for h in search(store, q, limit=10_000)}
        assert fast.keys() == exact.keys() and fast, q
        matched = {i for i, sc in exact.items() if sc < -1e-3}  # matched through a term that weighs something
        assert all(abs(fast[i] - exact[i]) < 1e-4 for i in matched), q


def test_a_query_of_common_syllables_only_still_finds(store, monkeypatch):
    monkeypatch.setattr(S, "RANK_MIN_DOCS", 0)
    assert S.rank_query(store, "ủy ban nhân dân") is None
    (n,) = store.db.execute("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH ?",
                            [S.fts_query("ủy ban nhân dân", compounds=[])]).fetchone()
    assert n > store.count() / 2
    assert len(search(store, "ủy ban nhân dân", limit=500)) == n


def _reference_snippet(text: str, query: str, width: int = 160) -> str:
    """The snippet of the earlier implementation: patterns on the folded text."""
    words = re.findall(r"\w+", fold(query))
    ftext = fold(text[: S.SNIPPET_SCAN])
    alternation = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    spans = [m.span() for m in re.finditer(rf"\b(?:{alternation})\b", ftext)]
    if not spans:
        return re.sub(r"\s+", " ", text[:width]).strip()
    phrase = re.search(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b", ftext)
    if phrase:
        anchor = phrase.start()
    else:
        window = spans[:300]
        anchor = max(window, key=lambda sp: sum(1 for s2, _ in window if sp[0] <= s2 < sp[0] + width))[0]
    start = max(0, anchor - width // 3)
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out += [text[pos:s], "[", text[s:e], "]"]
        pos = e
    out.append(text[pos:end])
    return re.sub(r"\s+", " ", ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")).strip()


def test_snippets_mark_what_the_folded_text_matches():
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for q in ["cải cách hành chính", "QUYẾT ĐỊNH", "đất đai", "Đ", "ủy ban", "2629/QĐ-UBND", "sở nội vụ báo cáo"]:
        for t in texts:
            for width in (160, 40):
                assert snippet(t, q, width=width) == _reference_snippet(t, q, width), (q, t[:40])


def test_tasks_limit_filters_and_counts_match_the_plain_listing(store):
    today = dt.date(2024, 6, 15)
    every = list_tasks(store, today=today)
    assert len(every) > 50
    assert [r["id"] for r in list_tasks(store, today=today, limit=17)] == [r["id"] for r in every[:17]]
    for kw, keep in [
        ({"overdue": True}, lambda r: r["overdue"]),
        ({"due_within": dt.timedelta(days=30)}, lambda r: r["status"] in ("open", "in_progress") and r["due"]
         and today.isoformat() <= r["due"] <= (today + dt.timedelta(days=30)).isoformat()),
        ({"assignee": "so noi vu"}, lambda r: any("so noi vu" in fold(a) for a in [r["assignee"] or "", *r["assignees"]])),
    ]:
        want = [r["id"] for r in every if keep(r)]
        assert want, kw
        assert [r["id"] for r in list_tasks(store, today=today, **kw)] == want, kw
        assert [r["id"] for r in list_tasks(store, today=today, limit=5, **kw)] == want[:5], kw
    for which in [TaskFilter(), TaskFilter(status=("open", "in_progress")), TaskFilter(assignee="ubnd")]:
        rows = list_tasks(store, today=today, status=which.status, assignee=which.assignee)
        week = (today + dt.timedelta(days=7)).isoformat()
        want = {"overdue": 0, "week": 0, "later": 0, "nodate": 0}
        for r in rows:
            d = r["due"]
            want["nodate" if not d else "overdue" if d < today.isoformat() else "week" if d <= week else "later"] += 1
        assert count_tasks(store, which, today, dt.timedelta(days=7)) == want


def test_an_older_store_is_migrated_on_open(tmp_path):
    s = Store(tmp_path / "old.db")
    ingest_paths(s, [CORPUS / "104_cantho-stp-ho-tich.txt", CORPUS / "105_lamdong-ubnd-ho-so-dia-chinh.txt"])
    before = s.db.execute("SELECT id, rrule, due_fixed FROM tasks ORDER BY id").fetchall()
    assert any(r[2] for r in before) and any(r[1] for r in before)
    s.db.conn.close()
    conn = sqlite3.connect(tmp_path / "old.db")  # as the earlier code left it: no columns, no indexes
    for name in Store.INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute("ALTER TABLE tasks DROP COLUMN rrule")
    conn.execute("ALTER TABLE tasks DROP COLUMN due_fixed")
    conn.commit()
    conn.close()
    s = Store(tmp_path / "old.db")
    assert s.db.execute("SELECT id, rrule, due_fixed FROM tasks ORDER BY id").fetchall() == before
    have = {r[0] for r in s.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(Store.INDEXES) <= have
