"""Full-text search without caring about diacritics, ranked by BM25, with highlighted snippets.

The query is folded like the index (``Quyết định`` and ``quyet dinh`` are the same), every
word is quoted (so FTS operators and stray quotes in a query are plain words), and a number
with a symbol in the query (``2629/QĐ-UBND``, ``2629/QDUBND``) also matches the keys column.

>>> from pipeline.store import Store, compound_words
>>> from extractors.extract import extract
>>> s = Store(":memory:")
>>> _ = s.add(extract("UBND TỈNH HÀ TĨNH\\nSố: 12/QĐ-UBND\\nHà Tĩnh, ngày 02 tháng 3 năm 2023\\n"
...                   "QUYẾT ĐỊNH\\nVề việc ban hành Quy chế\\nĐiều 1. Ban hành Quy chế."), "h1")
>>> [h.subject for h in search(s, "quy che")]
['ban hành Quy chế']
"""

from __future__ import annotations

import bisect
import functools
import json
import re as stdre
from dataclasses import dataclass

import regex as re

from extractors.keys import NUMBER_SYMBOL, fold_symbol, key_prefix
from extractors.lines import fold
from pipeline.store import Store, compound_words

MAX_TERMS = 32
SNIPPET_SCAN = 8_000
"""Snippets look for the query in the first this many characters of a document."""


class QueryError(ValueError):
    """A query that cannot be searched; the message says why."""


@dataclass
class Hit:
    id: int
    key: str | None
    doc_type: str | None
    number: str | None
    symbol: str | None
    date: str | None
    issuer: str | None
    subject: str | None
    snippet: str
    score: float


def fts_parts(query: str, compounds: list[str] | None = None) -> list[tuple[str | None, list[str]]]:
    """The groups of :func:`fts_query`: ``(column or None, [term...])``, each group's terms all required.

    A document matches when it matches any group. The compound-word group is left out (it only
    re-ranks, see :func:`search`) unless ``compounds`` is given.
    """
    words = re.findall(r"\w+", fold(query))[:MAX_TERMS]
    if not words:
        raise QueryError("empty query: type a few words, a number or a symbol")
    groups: list[tuple[str | None, list[str]]] = [(None, words)]
    for m in NUMBER_SYMBOL.finditer(query[:2000]):
        sym = fold_symbol(m.group()[len(m["num"]):]).lower()
        groups.append(("keys", [m["num"].lstrip("0") or "0", sym]))
    return groups


def _group_sql(col: str | None, terms: list[str]) -> str:
    inner = "(" + " ".join(f'"{t}"' for t in terms) + ")"
    return f"({col} : {inner})" if col else inner


def fts_query(query: str, compounds: list[str] | None = None) -> str:
    """The FTS5 MATCH expression for a user's query (raises :class:`QueryError` if empty).

    Every syllable must occur (diacritics folded, ``đ`` → ``d``); multi-syllable words of the
    query (``compounds``, from underthesea) add a match on the segmented-words column, which
    raises the rank of documents that use the word as a word; a number with a symbol also
    matches the keys column in any spelling.

    >>> fts_query('quyết định 2629/QĐ-UBND "', compounds=[])
    '("quyet" "dinh" "2629" "qd" "ubnd") OR (keys : ("2629" "qdubnd"))'
    >>> fts_query("cải cách", compounds=["cai_cach"])
    '("cai" "cach") AND (words : ("cai_cach") OR "cai")'
    """
    groups = fts_parts(query)
    compounds = query_compounds(query) if compounds is None else compounds
    main = _group_sql(*groups[0])
    if compounds:
        main += " AND (words : (" + " OR ".join(f'"{c}"' for c in compounds) + f') OR "{groups[0][1][0]}")'
    return " OR ".join([main, *(_group_sql(*g) for g in groups[1:])])


def query_compounds(query: str) -> list[str]:
    """Multi-syllable words of a query, as indexed (``cải cách hành chính`` → ``cai_cach hanh_chinh``)."""
    if len(query) > 500 or len(re.findall(r"\w+", query)) < 2:
        return []
    return [c for c in compound_words(query).split() if re.fullmatch(r"\w+", c)]


@functools.cache
def _variants() -> dict[str, str]:
    """For each folded character, a regex class of every character that folds to it."""
    from extractors.lines import _FOLD_TABLE

    chars: dict[str, set[str]] = {}
    for code, to in _FOLD_TABLE.items():
        chars.setdefault(to, {to}).add(chr(code))
    return {to: "[" + "".join(stdre.escape(c) for c in sorted(cs)) + "]" for to, cs in chars.items()}


def _unfold(word: str) -> str:
    """A pattern matching, in unfolded text, exactly what ``word`` matches in the folded text."""
    v = _variants()
    return "".join(v.get(c) or stdre.escape(c) for c in word)


@functools.lru_cache(maxsize=256)
def _snippet_patterns(words: tuple[str, ...]) -> tuple[stdre.Pattern, stdre.Pattern]:
    alternation = "|".join(_unfold(w) for w in sorted(set(words), key=len, reverse=True))
    return (stdre.compile(rf"\b(?:{alternation})\b"),
            stdre.compile(r"\b" + r"\W+".join(_unfold(w) for w in words) + r"\b"))


def snippet(text: str, query: str, width: int = 160, mark: tuple[str, str] = ("[", "]")) -> str:
    """A window of ``text`` around the first query word, each query word marked.

    The words are looked for without folding the text: each letter of a (folded) query word
    becomes the class of letters that fold to it, which finds the same places as searching the
    folded text (folding keeps lengths and word boundaries) in a fraction of the time.

    >>> snippet("Thực hiện Quyết định số 2629/QĐ-UBND của UBND tỉnh", "quyet dinh")
    'Thực hiện [Quyết] [định] số 2629/QĐ-UBND của UBND tỉnh'
    """
    words = tuple(re.findall(r"\w+", fold(query))[:MAX_TERMS])
    if not words:
        return re.sub(r"\s+", " ", text[:width]).strip()
    scan = text[:SNIPPET_SCAN]
    any_word, phrase_re = _snippet_patterns(words)  # the standard library's re: much faster than regex here
    # centre on the whole query where it occurs as a phrase, else on the densest cluster of words
    phrase = phrase_re.search(scan)
    if phrase:
        anchor = phrase.start()
        start = max(0, anchor - width // 3)
        spans = []
        for m in any_word.finditer(scan, start):  # only the marks inside the window are needed
            if m.start() >= start + width:
                break
            spans.append(m.span())
    else:
        spans = [m.span() for m in any_word.finditer(scan)]
        if not spans:
            return re.sub(r"\s+", " ", text[:width]).strip()
        starts = [sp[0] for sp in spans[:300]]  # sorted: the words after a start within the width, by bisection
        anchor = max(starts, key=lambda s0: bisect.bisect_left(starts, s0 + width) - bisect.bisect_left(starts, s0))
    start = max(0, anchor - width // 3)
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out += [text[pos:s], mark[0], text[s:e], mark[1]]
        pos = e
    out.append(text[pos:end])
    return re.sub(r"\s+", " ", ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")).strip()


@dataclass
class Condition:
    """One filter condition: ``where`` on ``documents d``; ``ids``, if given, the same documents as a
    list of ids read from one index alone (cheap to list and count); ``params`` fill both."""

    where: str
    params: list
    ids: str | None = None


@dataclass
class Filters:
    """Narrowing a search: by type, issuer, date range, what a document cites."""

    doc_type: str | None = None
    issuer: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    cites: str | None = None
    unresolved: bool = False

    def conditions(self) -> list[Condition]:
        out = []
        if self.doc_type:
            out.append(Condition("lower(d.doc_type) = lower(?)", [_type_name(self.doc_type)],
                                 "SELECT id FROM documents WHERE lower(doc_type) = lower(?)"))
        if self.issuer:  # the few distinct names are folded and compared; the documents found by index
            out.append(Condition(
                f"(d.issuer IN ({_names_like('issuer')}) OR d.issuer_parent IN ({_names_like('issuer_parent')}))",
                [f"%{fold(self.issuer)}%"] * 2,
                f"SELECT id FROM documents WHERE issuer IN ({_names_like('issuer')}) "
                f"UNION SELECT id FROM documents WHERE issuer_parent IN ({_names_like('issuer_parent')})"))
        dates, params = [], []
        if self.date_from:
            dates.append("date >= ?")
            params.append(self.date_from)
        if self.date_to:  # up to the end of that year, month or day: any date beginning with it is in
            dates.append("date < ?")
            params.append(self.date_to + "\U0010ffff")
        if dates:
            out.append(Condition(" AND ".join("d." + c for c in dates), params,
                                 "SELECT id FROM documents WHERE " + " AND ".join(dates)))
        if self.cites:
            key = key_prefix(self.cites)
            if key is None:
                raise QueryError(f"--cites wants a number and symbol or a key, e.g. 2629/QĐ-UBND: {self.cites!r}")
            col, val = ("key_base", key[:-1]) if key.endswith("@") else ("key", key)
            out.append(Condition(f"d.id IN (SELECT document_id FROM refs WHERE {col} = ?)", [val],
                                 f"SELECT document_id FROM refs WHERE {col} = ?"))
        if self.unresolved:  # checked per document (most documents cite something not held)
            out.append(Condition("EXISTS (SELECT 1 FROM refs r WHERE r.document_id = d.id AND r.target_id IS NULL "
                                 "AND r.key NOT LIKE 'name:%')", []))
        return out

    def sql(self) -> tuple[str, list]:
        """Every condition as one, on ``documents d``."""
        conds = self.conditions()
        return (" AND ".join(c.where for c in conds) or "1"), [p for c in conds for p in c.params]


def _names_like(col: str) -> str:
    """The distinct values of ``documents.<col>`` whose folded form is LIKE the parameter.

    A skip-scan of the column's index: one step per distinct value (tens of issuers), not one
    per document.
    """
    return (f"WITH RECURSIVE v(x) AS (SELECT MIN({col}) FROM documents UNION ALL "
            f"SELECT (SELECT MIN({col}) FROM documents WHERE {col} > v.x) FROM v WHERE v.x IS NOT NULL) "
            "SELECT x FROM v WHERE fold(x) LIKE ?")


def _type_name(t: str) -> str:
    from extractors.tables import DOC_TYPES

    ft = fold(t)
    return next((dt.name for dt in DOC_TYPES if fold(dt.name) == ft or fold(dt.abbr) == ft), t)


CANDIDATES = 1500
"""A query matching more documents than this ranks the newest this many of them (by ingest order).

BM25 has to score every match; on a 100,000-document archive a query such as ``cải cách hành
chính`` matches 30,000 and scoring them all takes ~100 ms. Ranking within the newest matches
keeps a search under ~20 ms, and an archive's newest documents are usually the ones sought;
narrow with words or filters (``--from``, ``--type``...) to reach older ones.
"""
COMPOUND_BONUS = 2.0


COMMON_SHARE = 0.55
"""A term in at least this share of the documents is *common*: BM25 gives it no weight.

FTS5's bm25() floors the IDF of a term found in half the documents or more at 1e-6, yet to
compute that IDF it reads the term's whole posting list — for syllables such as ``ủy``, ``ban``,
``nhân``, ``dân``, in nearly every administrative document, most of a query's time. The ranking
pass leaves common terms out (they still have to match: the candidates are chosen with every
term), which changes a score by at most ~2e-6 per term left out. The margin over one half keeps
that true while the store grows by a few percent after a term was counted (see :func:`_common`).
"""
RANK_MIN_DOCS = 1000
"""A smaller store ranks with the full expression (fast anyway)."""
_DF: dict[tuple, tuple[bool, int]] = {}  # (store, column, term) -> (common, documents when counted)
_DF_REUSE = 0.02  # a count is reused while the store has within this share of the documents it had


def _store_id(store: Store) -> tuple:
    return (str(store.path), id(store.db.conn)) if str(store.path) == ":memory:" else (str(store.path),)


def _common(store: Store, col: str | None, term: str, n: int) -> bool:
    """Whether ``term`` (in ``col``, or anywhere) occurs in at least :data:`COMMON_SHARE` of ``n`` documents.

    Counted at most up to that share (the count stops there), remembered per store while its size
    stays within :data:`_DF_REUSE`.
    """
    key = (*_store_id(store), col, term)
    hit = _DF.get(key)
    if hit is not None and abs(n - hit[1]) <= _DF_REUSE * hit[1]:
        return hit[0]
    cap = max(1, int(COMMON_SHARE * n + 0.999999))
    (found,) = store.db.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM documents_fts WHERE documents_fts MATCH ? LIMIT ?)",
        [_group_sql(col, [term]), cap],
    ).fetchone()
    if len(_DF) > 100_000:
        _DF.clear()
    _DF[key] = (found >= cap, n)
    return found >= cap


def rank_query(store: Store, query: str) -> str | None:
    """The MATCH expression that ranks a query's candidates: :func:`fts_query` without its common terms.

    A group (see :func:`fts_parts`) left without a term is left out: what it adds to a score is
    as negligible, and candidates matched through it alone rank last, newest first. ``None``
    when every group is left without a term: the full expression must rank then.
    """
    n = _documents(store)
    if n < RANK_MIN_DOCS:
        return None
    groups = []
    for col, terms in fts_parts(query):
        kept = [t for t in terms if not _common(store, col, t, n)]
        if kept:
            groups.append(_group_sql(col, kept))
    return " OR ".join(groups) or None


def search(store: Store, query: str, limit: int = 20, filters: Filters | None = None) -> list[Hit]:
    """Documents matching ``query`` (and ``filters``), best first; an empty query with filters lists them.

    Ranks in two passes: the newest :data:`CANDIDATES` matches of every term (a walk down the
    full-text index, cheap), then BM25 over those candidates with the query's common terms left
    out (:data:`COMMON_SHARE`; they weigh nothing in BM25 and cost most of its time).
    """
    filters = filters or Filters()
    store.db.conn.create_function("fold", 1, lambda s: fold(s) if s else s, deterministic=True)
    filters.conditions()  # a bad --cites key: QueryError before any work
    cols = "d.id, d.key, d.doc_type, d.number, d.symbol, d.date, d.issuer, d.subject, d.text"
    if not query.strip():
        if filters == Filters():
            raise QueryError("empty query: type a few words, a number or a symbol")
        ids = listed_ids(store, filters, limit)
        rows = {r[0]: r for r in store.db.execute(
            f"SELECT {cols} FROM documents d WHERE d.id IN ({','.join('?' * len(ids))})", ids)}
        return [Hit(*rows[i][:8], snippet=snippet(rows[i][8], query), score=0) for i in ids]
    match = fts_query(query, compounds=[])
    candidates = matching_ids(store, match, filters, CANDIDATES)
    if not candidates:
        return []
    ranking = rank_query(store, query) or match
    # "+rowid": checked on each match (a bare rowid IN makes SQLite run one FTS lookup per listed id)
    ranked = store.db.execute(
        "SELECT rowid, bm25(documents_fts, 5.0, 1.0, 3.0, 2.0) AS score FROM documents_fts "
        "WHERE documents_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?)) "
        "ORDER BY score, rowid DESC LIMIT ?",
        [ranking, candidates[-1], candidates[0], json.dumps(candidates), limit * 3],
    ).fetchall()
    if len(ranked) < limit * 3 and len(ranked) < len(candidates):  # matched by a group left out of the ranking
        seen = {r[0] for r in ranked}
        ranked += [(i, 0.0) for i in candidates if i not in seen][: limit * 3 - len(ranked)]
    compounds = set(query_compounds(query))
    if compounds and ranked:  # documents using the query's words as words (not just their syllables) first
        # the words column is read for these few rows only: it is stored after the long body
        words = dict(store.db.execute(
            f"SELECT rowid, words FROM documents_fts WHERE rowid IN ({','.join('?' * len(ranked))})",
            [r[0] for r in ranked],
        ).fetchall())
        ranked = sorted(
            ranked, key=lambda r: r[1] - COMPOUND_BONUS * len(compounds & set((words.get(r[0]) or "").split()))
        )
    ranked = ranked[:limit]
    if not ranked:
        return []
    docs = {
        r[0]: r
        for r in store.db.execute(
            f"SELECT {cols} FROM documents d WHERE d.id IN ({','.join('?' * len(ranked))})", [r[0] for r in ranked]
        )
    }
    return [Hit(*docs[rid][:8], snippet=snippet(docs[rid][8], query), score=score) for rid, score in ranked]


def _split(store: Store, filters: Filters, cap: int) -> tuple[list[Condition], list[Condition]]:
    """A filter's conditions in two: those to list first (an index lists their documents and fewer
    than ``cap`` pass, counted up to that), and those to check on each candidate document."""
    listed, checked = [], []
    for c in filters.conditions():
        if c.ids is not None:
            (found,) = store.db.execute(f"SELECT COUNT(*) FROM ({c.ids} LIMIT ?)", [*c.params, cap]).fetchone()
            if found < cap:
                listed.append(c)
                continue
        checked.append(c)
    return listed, checked


def _listed(conds: list[Condition]) -> tuple[str, list]:
    if len(conds) == 1:
        return f"({conds[0].ids})", list(conds[0].params)
    # each in its own subquery: compound operators bind left to right (A INTERSECT B UNION C = (A ∩ B) ∪ C)
    return ("(" + " INTERSECT ".join(f"SELECT * FROM ({c.ids})" for c in conds) + ")",
            [p for c in conds for p in c.params])


def _checked(conds: list[Condition]) -> tuple[str, list]:
    return " AND ".join(c.where for c in conds) or "1", [p for c in conds for p in c.params]


def _documents(store: Store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]


def matching_ids(store: Store, match: str, filters: Filters | None, limit: int) -> list[int]:
    """The newest ``limit`` documents matching the MATCH expression and the filters.

    A condition an index lists (type, issuer, dates, cites) and that fewer than half the
    documents pass is listed first, and the full-text matches, newest first, are kept when listed
    ("+rowid IN": a bare rowid IN would make SQLite run one full-text lookup per listed id) —
    little more per match than listing costs per document. The other conditions are checked on
    each match (reading the document: several times more per match) until enough are found.
    """
    scope, params = "", []
    if filters is not None:
        listed, checked = _split(store, filters, max(200, _documents(store) // 2))
        if listed:
            ids, more = _listed(listed)
            scope, params = f" AND +rowid IN {ids}", more
        if checked:
            where, more = _checked(checked)
            scope += f" AND EXISTS (SELECT 1 FROM documents d WHERE d.id = documents_fts.rowid AND {where})"
            params += more
    return [r[0] for r in store.db.execute(
        f"SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?{scope} ORDER BY rowid DESC LIMIT ?",
        [match, *params, limit],
    ).fetchall()]


def listed_ids(store: Store, filters: Filters, limit: int) -> list[int]:
    """The ``limit`` latest documents (by date, then id) passing the filters, without a query.

    When the conditions an index lists leave few documents together (fewer than
    sqrt(30 × documents), counted from the indexes), those are read and sorted ("+d.date": not by
    walking the date index); otherwise the date index is walked from the latest and each document
    checked: about ``limit`` / (the share that passes) of them.
    """
    cap = max(200, int((30 * _documents(store)) ** 0.5))
    listable = [c for c in filters.conditions() if c.ids is not None]
    where, params = filters.sql()
    if listable:
        ids, more = _listed(listable)
        (found,) = store.db.execute(f"SELECT COUNT(*) FROM (SELECT * FROM {ids} LIMIT ?)", [*more, cap]).fetchone()
        if found < cap:
            sql = f"SELECT d.id FROM documents d WHERE d.id IN {ids} AND {where} ORDER BY +d.date DESC, d.id DESC LIMIT ?"
            return [r[0] for r in store.db.execute(sql, [*more, *params, limit]).fetchall()]
    sql = (f"SELECT d.id FROM documents d INDEXED BY idx_documents_date WHERE {where} "
           "ORDER BY d.date DESC, d.id DESC LIMIT ?")
    return [r[0] for r in store.db.execute(sql, [*params, limit]).fetchall()]

def newest_ids(store: Store, filters: Filters, limit: int) -> list[int]:
    """The ``limit`` newest documents (by id) passing the filters, without a query.

    Like :func:`matching_ids`: conditions an index lists for fewer than half the documents are
    listed and intersected; the others are checked walking down the ids from the newest.
    """
    listed, checked = _split(store, filters, max(200, _documents(store) // 2))
    where, params = _checked(checked)
    if listed:
        ids, more = _listed(listed)
        sql = f"SELECT d.id FROM documents d WHERE d.id IN {ids} AND {where} ORDER BY d.id DESC LIMIT ?"
        params = more + params
    else:
        sql = f"SELECT d.id FROM documents d WHERE {where} ORDER BY d.id DESC LIMIT ?"
    return [r[0] for r in store.db.execute(sql, [*params, limit]).fetchall()]
