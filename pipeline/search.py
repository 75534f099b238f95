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
    words = re.findall(r"\w+", fold(query))[:MAX_TERMS]
    if not words:
        raise QueryError("empty query: type a few words, a number or a symbol")
    compounds = query_compounds(query) if compounds is None else compounds
    main = "(" + " ".join(f'"{w}"' for w in words) + ")"
    if compounds:
        main += " AND (words : (" + " OR ".join(f'"{c}"' for c in compounds) + f') OR "{words[0]}")'
    alts = []
    for m in NUMBER_SYMBOL.finditer(query[:2000]):
        sym = fold_symbol(m.group()[len(m["num"]):]).lower()
        alts.append(f'(keys : ("{m["num"].lstrip("0") or "0"}" "{sym}"))')
    return " OR ".join([main, *alts])


def query_compounds(query: str) -> list[str]:
    """Multi-syllable words of a query, as indexed (``cải cách hành chính`` → ``cai_cach hanh_chinh``)."""
    if len(query) > 500 or len(re.findall(r"\w+", query)) < 2:
        return []
    return [c for c in compound_words(query).split() if re.fullmatch(r"\w+", c)]


def snippet(text: str, query: str, width: int = 160, mark: tuple[str, str] = ("[", "]")) -> str:
    """A window of ``text`` around the first query word, each query word marked.

    >>> snippet("Thực hiện Quyết định số 2629/QĐ-UBND của UBND tỉnh", "quyet dinh")
    'Thực hiện [Quyết] [định] số 2629/QĐ-UBND của UBND tỉnh'
    """
    words = re.findall(r"\w+", fold(query))[:MAX_TERMS]
    ftext = fold(text[:SNIPPET_SCAN])
    spans = []
    if words:  # the standard library's re: several times faster than regex for this plain pattern
        alternation = "|".join(stdre.escape(w) for w in sorted(set(words), key=len, reverse=True))
        spans = [m.span() for m in stdre.finditer(rf"\b(?:{alternation})\b", ftext)]
    if not spans:
        return re.sub(r"\s+", " ", text[:width]).strip()
    # centre on the whole query where it occurs as a phrase, else on the densest cluster of words
    phrase = stdre.search(r"\b" + r"\W+".join(stdre.escape(w) for w in words) + r"\b", ftext) if words else None
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
        out += [text[pos:s], mark[0], text[s:e], mark[1]]
        pos = e
    out.append(text[pos:end])
    return re.sub(r"\s+", " ", ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")).strip()


@dataclass
class Filters:
    """Narrowing a search: by type, issuer, date range, what a document cites."""

    doc_type: str | None = None
    issuer: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    cites: str | None = None
    unresolved: bool = False

    def sql(self) -> tuple[str, list]:
        where, params = [], []
        if self.doc_type:
            where.append("lower(d.doc_type) = lower(?)")
            params.append(_type_name(self.doc_type))
        if self.issuer:
            where.append("(fold(d.issuer) LIKE ? OR fold(d.issuer_parent) LIKE ?)")
            params += [f"%{fold(self.issuer)}%"] * 2
        if self.date_from:
            where.append("d.date >= ?")
            params.append(self.date_from)
        if self.date_to:
            where.append("substr(d.date, 1, length(?)) <= ?")
            params += [self.date_to, self.date_to]
        if self.cites:
            key = key_prefix(self.cites)
            if key is None:
                raise QueryError(f"--cites wants a number and symbol or a key, e.g. 2629/QĐ-UBND: {self.cites!r}")
            col, val = ("key_base", key[:-1]) if key.endswith("@") else ("key", key)
            where.append(f"d.id IN (SELECT document_id FROM refs WHERE {col} = ?)")
            params.append(val)
        if self.unresolved:
            where.append("d.id IN (SELECT document_id FROM refs WHERE target_id IS NULL AND key NOT LIKE 'name:%')")
        return (" AND ".join(where) or "1"), params


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


def search(store: Store, query: str, limit: int = 20, filters: Filters | None = None) -> list[Hit]:
    """Documents matching ``query`` (and ``filters``), best first; an empty query with filters lists them."""
    filters = filters or Filters()
    store.db.conn.create_function("fold", 1, lambda s: fold(s) if s else s, deterministic=True)
    where, params = filters.sql()
    cols = "d.id, d.key, d.doc_type, d.number, d.symbol, d.date, d.issuer, d.subject, d.text"
    if not query.strip():
        if filters == Filters():
            raise QueryError("empty query: type a few words, a number or a symbol")
        rows = store.db.execute(
            f"SELECT {cols}, 0 FROM documents d WHERE {where} ORDER BY d.date DESC, d.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [Hit(*r[:8], snippet=snippet(r[8], query), score=r[9]) for r in rows]
    match = fts_query(query, compounds=[])
    # "+rowid": filter after the full-text match; a bare rowid IN makes SQLite run one FTS lookup per document
    scope = "" if where == "1" else f" AND +rowid IN (SELECT d.id FROM documents d WHERE {where})"
    row = store.db.execute(
        f"SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?{scope} ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        [match, *params, CANDIDATES - 1],
    ).fetchone()
    floor = row[0] if row else 0
    ranked = store.db.execute(
        f"SELECT rowid, bm25(documents_fts, 5.0, 1.0, 3.0, 2.0) AS score, words FROM documents_fts "
        f"WHERE documents_fts MATCH ? AND rowid >= ?{scope} ORDER BY score LIMIT ?",
        [match, floor, *params, limit * 3],
    ).fetchall()
    compounds = set(query_compounds(query))
    if compounds:  # documents using the query's words as words (not just their syllables) first
        ranked = sorted(
            ranked, key=lambda r: r[1] - COMPOUND_BONUS * len(compounds & set((r[2] or "").split()))
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
    return [Hit(*docs[rid][:8], snippet=snippet(docs[rid][8], query), score=score) for rid, score, _ in ranked]
