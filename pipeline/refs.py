"""The citation graph: what a document cites, what cites it, and what is cited but not held.

Nodes are stored documents (``doc:12``) or keys of documents cited but not in the archive
(``2629/QDUBND@2022``). Links come from the ``refs`` table, resolved by canonical key whatever
the ingest order (see :meth:`pipeline.store.Store.relink`).

>>> from pipeline.store import Store
>>> from extractors.extract import extract
>>> s = Store(":memory:")
>>> a = s.add(extract("UBND TỈNH A\\nSố: 5/KH-UBND\\nA, ngày 02 tháng 3 năm 2023\\nKẾ HOẠCH\\nCải cách\\n"
...                   "Thực hiện Quyết định số 12/QĐ-UBND ngày 05/01/2023 của UBND tỉnh."), "a")
>>> g = graph(s, "5/KH-UBND", depth=1)
>>> [(e.src, e.dst, e.resolved) for e in g.edges]
[('doc:1', '12/QDUBND@2023', False)]
>>> b = s.add(extract("UBND TỈNH A\\nSố: 12/QĐ-UBND\\nA, ngày 05 tháng 01 năm 2023\\nQUYẾT ĐỊNH\\nVề việc X"), "b")
>>> [(e.src, e.dst, e.resolved) for e in graph(s, "5/KH-UBND", depth=1).edges]
[('doc:1', 'doc:2', True)]
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass, field

from extractors.keys import key_prefix, name_key, number_symbol
from pipeline.store import Store


@dataclass
class Node:
    id: str  # "doc:12" or a key
    key: str | None
    label: str
    in_archive: bool
    doc_id: int | None = None
    date: str | None = None
    subject: str | None = None


@dataclass
class Edge:
    src: str
    dst: str
    resolved: bool
    type: str | None = None
    date: str | None = None
    in_footnote: bool = False


@dataclass
class Graph:
    root: list[str]
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


class NotFound(LookupError):
    """Nothing in the store (and no citation) matches what was asked."""


def _doc_node(row: dict) -> Node:
    num = number_symbol(row["number"], row["symbol"]) if row["symbol"] else f"#{row['id']}"
    label = " ".join(x for x in (row["doc_type"], num) if x)
    return Node(f"doc:{row['id']}", row["key"], label, True, row["id"], row["date"], row["subject"])


def _docs(store: Store, where: str, params: list) -> list[dict]:
    cur = store.db.execute(
        f"SELECT id, key, doc_type, number, symbol, date, subject FROM documents WHERE {where} ORDER BY id", params
    )
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def find(store: Store, key_or_id: str) -> tuple[list[Node], str | None]:
    """Stored documents for an id, a key or a number/symbol as typed; and the key asked for.

    ``"12"`` is a document id; ``"2629/QĐ-UBND"`` matches every year; ``"2629/QDUBND@2022"`` one.
    """
    text = key_or_id.strip()
    if text.isdigit():
        rows = _docs(store, "id = ?", [int(text)])
        if not rows:
            raise NotFound(f"no document {text}")
        return [_doc_node(rows[0])], rows[0]["key"]
    if text.startswith("name:"):
        return [], text
    prefix = key_prefix(text)
    if prefix is None:
        named = named_keys(store, text)
        if len(named) == 1:
            return [], named[0]
        if named:
            raise NotFound(f"{key_or_id!r} matches {len(named)} programmes cited by name; be more precise: "
                           + "; ".join(k[5:] for k in named[:5]))
        raise NotFound(f"not a document id, key, number/symbol, or programme cited by name: {key_or_id!r}")
    if prefix.endswith("@"):
        rows = _docs(store, "key_base = ?", [prefix[:-1]])
    else:
        rows = _docs(store, "key = ?", [prefix])
    return [_doc_node(r) for r in rows], prefix


def named_keys(store: Store, words: str) -> list[str]:
    """Keys of unnumbered references whose name contains ``words`` (diacritics optional).

    >>> from pipeline.store import Store
    >>> from extractors.extract import extract
    >>> s = Store(":memory:")
    >>> _ = s.add(extract("BỘ NỘI VỤ\\nSố: 5/BNV-CCHC\\nHà Nội, ngày 02 tháng 3 năm 2023\\nV/v CCHC\\nKính gửi: Các Bộ.\\n"
    ...                   "Thực hiện Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030; Bộ đề nghị."), "h")
    >>> named_keys(s, "chuong trinh tong the")
    ['name:chuong trinh tong the cai cach hanh chinh nha nuoc giai doan 2021-2030']
    """
    pattern = "%" + name_key(words)[len("name:"):] + "%"
    rows = store.db.execute("SELECT DISTINCT key FROM refs WHERE key LIKE 'name:%' AND key LIKE ? ORDER BY key", [pattern])
    return [r[0] for r in rows]


def _cites(store: Store, node: Node) -> list[tuple[Edge, Node]]:
    out = []
    rows = store.db.execute(
        "SELECT r.key, r.type, r.number, r.symbol, r.date, r.title, r.in_footnote, r.target_id "
        "FROM refs r WHERE r.document_id = ? ORDER BY r.start",
        [node.doc_id],
    ).fetchall()
    for key, typ, number, symbol, date, title, foot, target in rows:
        if target:
            dst = _doc_node(_docs(store, "id = ?", [target])[0])
        else:
            label = " ".join(x for x in (typ, number_symbol(number, symbol) if number else title) if x)
            dst = Node(key, key, label, False, date=date, subject=title)
        out.append((Edge(node.id, dst.id, bool(target), typ, date, bool(foot)), dst))
    return out


def _cited_by(store: Store, node: Node) -> list[tuple[Edge, Node]]:
    if node.doc_id is not None:
        where, params = "r.target_id = ?", [node.doc_id]
    elif node.key and node.key.endswith("@"):
        where, params = "r.key_base = ? AND r.target_id IS NULL", [node.key[:-1]]
    else:
        where, params = "r.key = ? AND r.target_id IS NULL", [node.key]
    rows = store.db.execute(
        f"SELECT DISTINCT r.document_id, r.type, r.date, r.in_footnote FROM refs r WHERE {where} ORDER BY r.document_id",
        params,
    ).fetchall()
    out = []
    for doc_id, typ, date, foot in rows:
        src = _doc_node(_docs(store, "id = ?", [doc_id])[0])
        out.append((Edge(src.id, node.id, node.in_archive, typ, date, bool(foot)), src))
    return out


def graph(store: Store, key_or_id: str, depth: int = 1, direction: str = "both") -> Graph:
    """The citation graph around a document (or a cited key), ``depth`` links out each way."""
    roots, key = find(store, key_or_id)
    if not roots:
        if key is None:
            raise NotFound(f"nothing matches {key_or_id!r}")
        # a document not in the archive: show who cites it
        label = key_or_id.strip()
        if key.startswith("name:"):
            row = store.db.execute("SELECT title FROM refs WHERE key = ? LIMIT 1", [key]).fetchone()
            label = row[0] if row else key[5:]
        roots = [Node(key, key, label, False)]
        if not _cited_by(store, roots[0]):
            raise NotFound(f"{key_or_id!r} is neither stored nor cited by a stored document")
    g = Graph([r.id for r in roots])
    seen_edges = set()
    queue = deque((r, 0) for r in roots)
    for r in roots:
        g.nodes[r.id] = r
    while queue:
        node, d = queue.popleft()
        if d >= depth:
            continue
        steps = []
        if direction in ("both", "out") and node.doc_id is not None:
            steps += _cites(store, node)
        if direction in ("both", "in"):
            steps += _cited_by(store, node)
        for edge, other in steps:
            ek = (edge.src, edge.dst)
            if ek in seen_edges:
                continue
            seen_edges.add(ek)
            g.edges.append(edge)
            if other.id not in g.nodes:
                g.nodes[other.id] = other
                queue.append((other, d + 1))
    return g


def unresolved(store: Store, limit: int = 100) -> list[dict]:
    """Documents cited but not in the archive, most cited first."""
    rows = store.db.execute(
        "SELECT key, MAX(type), MAX(number), MAX(symbol), MAX(date), MAX(title), COUNT(DISTINCT document_id) AS n "
        "FROM refs WHERE target_id IS NULL AND key NOT LIKE 'name:%' GROUP BY key ORDER BY n DESC, key LIMIT ?",
        [limit],
    ).fetchall()
    cols = ("key", "type", "number", "symbol", "date", "title", "cited_by")
    return [dict(zip(cols, r, strict=True)) for r in rows]


# --- renderings ------------------------------------------------------------------------------


def to_json(g: Graph) -> str:
    return json.dumps(
        {"root": g.root, "nodes": [asdict(n) for n in g.nodes.values()], "edges": [asdict(e) for e in g.edges]},
        ensure_ascii=False,
        indent=2,
    )


def _describe(n: Node) -> str:
    bits = [n.label]
    if n.date:
        bits.append(n.date)
    desc = " ".join(bits)
    if n.subject:
        desc += f" — {n.subject[:70]}"
    return desc + ("" if n.in_archive else "  (not in the archive)")


def to_text(g: Graph) -> str:
    lines = []
    for root in g.root:
        n = g.nodes[root]
        lines.append(f"{_describe(n)}  [{n.key or '?'}]{'  #' + str(n.doc_id) if n.doc_id else ''}")
        for title, pick, arrow in (("cites", lambda e, r=root: e.src == r, "→"), ("cited by", lambda e, r=root: e.dst == r, "←")):
            edges = [e for e in g.edges if pick(e)]
            lines.append(f"  {title} ({len(edges)}):")
            for e in edges:
                other = g.nodes[e.dst if arrow == "→" else e.src]
                where = " (footnote)" if e.in_footnote else ""
                ident = f"#{other.doc_id}" if other.doc_id else other.key
                lines.append(f"    {arrow} {_describe(other)}  [{ident}]{where}")
    further = [e for e in g.edges if e.src not in g.root and e.dst not in g.root]
    if further:
        lines.append("  further links:")
        for e in further:
            lines.append(f"    {g.nodes[e.src].label} → {g.nodes[e.dst].label}")
    return "\n".join(lines)


def _dot_id(node_id: str) -> str:
    return json.dumps(node_id)


def to_dot(g: Graph) -> str:
    out = ["digraph citations {", "  rankdir=LR;", '  node [shape=box, fontname="DejaVu Sans"];']
    for n in g.nodes.values():
        style = "" if n.in_archive else ", style=dashed"
        label = n.label + (f"\\n{n.date}" if n.date else "")
        out.append(f"  {_dot_id(n.id)} [label={json.dumps(label, ensure_ascii=False)}{style}];")
    for e in g.edges:
        out.append(f"  {_dot_id(e.src)} -> {_dot_id(e.dst)};")
    out.append("}")
    return "\n".join(out)


def to_mermaid(g: Graph) -> str:
    ids = {nid: f"n{i}" for i, nid in enumerate(g.nodes)}
    out = ["graph LR"]
    for nid, n in g.nodes.items():
        label = (n.label + (f" {n.date}" if n.date else "")).replace('"', "'")
        out.append(f'  {ids[nid]}["{label}"]' if n.in_archive else f'  {ids[nid]}(["{label}"])')
    for e in g.edges:
        out.append(f"  {ids[e.src]} --> {ids[e.dst]}" if e.resolved else f"  {ids[e.src]} -.-> {ids[e.dst]}")
    return "\n".join(out)


RENDERERS = {"text": to_text, "json": to_json, "dot": to_dot, "mermaid": to_mermaid}
