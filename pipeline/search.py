"""Full-text search without caring about diacritics, ranked by BM25, with highlighted snippets.

The query is folded like the index (``Quyết định`` and ``quyet dinh`` are the same), every
word is quoted (so FTS operators and stray quotes in a query are plain words), and a number
with a symbol in the query (``2629/QĐ-UBND``, ``2629/QDUBND``) also matches the keys column.

>>> from pipeline.store import Store
>>> from extractors.extract import extract
>>> s = Store(":memory:")
>>> _ = s.add(extract("UBND TỈNH HÀ TĨNH\\nSố: 12/QĐ-UBND\\nHà Tĩnh, ngày 02 tháng 3 năm 2023\\n"
...                   "QUYẾT ĐỊNH\\nVề việc ban hành Quy chế\\nĐiều 1. Ban hành Quy chế."), "h1")
>>> [h.subject for h in search(s, "quy che")]
['ban hành Quy chế']
"""

from __future__ import annotations

from dataclasses import dataclass

import regex as re

from extractors.keys import NUMBER_SYMBOL, fold_symbol
from extractors.lines import fold
from pipeline.store import Store

MAX_TERMS = 32


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


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a user's query (raises :class:`QueryError` if empty).

    >>> fts_query('quyết định 2629/QĐ-UBND "')
    '("quyet" "dinh" "2629" "qd" "ubnd") OR (keys : ("2629" "qdubnd"))'
    """
    words = re.findall(r"\w+", fold(query))[:MAX_TERMS]
    if not words:
        raise QueryError("empty query: type a few words, a number or a symbol")
    main = "(" + " ".join(f'"{w}"' for w in words) + ")"
    alts = []
    for m in NUMBER_SYMBOL.finditer(query):
        sym = fold_symbol(m.group()[len(m["num"]):]).lower()
        alts.append(f'(keys : ("{m["num"].lstrip("0") or "0"}" "{sym}"))')
    return " OR ".join([main, *alts])


def snippet(text: str, query: str, width: int = 160, mark: tuple[str, str] = ("[", "]")) -> str:
    """A window of ``text`` around the first query word, each query word marked.

    >>> snippet("Thực hiện Quyết định số 2629/QĐ-UBND của UBND tỉnh", "quyet dinh")
    'Thực hiện [Quyết] [định] số 2629/QĐ-UBND của UBND tỉnh'
    """
    words = [w for w in re.findall(r"\w+", fold(query)) if len(w) > 0][:MAX_TERMS]
    ftext = fold(text)
    spans = []
    for w in set(words):
        spans.extend(m.span() for m in re.finditer(rf"(?<!\w){re.escape(w)}(?!\w)", ftext))
    spans.sort()
    if not spans:
        return re.sub(r"\s+", " ", text[:width]).strip()
    start = max(0, spans[0][0] - width // 3)
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out += [text[pos:s], mark[0], text[s:e], mark[1]]
        pos = e
    out.append(text[pos:end])
    return re.sub(r"\s+", " ", ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")).strip()


def search(store: Store, query: str, limit: int = 20) -> list[Hit]:
    """Documents matching ``query``, best first."""
    match = fts_query(query)
    rows = store.db.execute(
        """
        SELECT d.id, d.key, d.doc_type, d.number, d.symbol, d.date, d.issuer, d.subject, d.text,
               bm25(documents_fts, 5.0, 1.0, 3.0) AS score
        FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid
        WHERE documents_fts MATCH ? ORDER BY score LIMIT ?
        """,
        [match, limit],
    ).fetchall()
    return [Hit(*r[:8], snippet=snippet(r[8], query), score=r[9]) for r in rows]
