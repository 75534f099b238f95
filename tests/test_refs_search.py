"""Cross-references across the archive, the citation graph, and search."""

from __future__ import annotations

import json
import shutil

import pytest

from extractors.keys import document_key
from pipeline.cli import main
from pipeline.ingest import ingest_paths
from pipeline.refs import graph, to_dot, to_json, to_mermaid, unresolved
from pipeline.search import Filters, QueryError, search
from pipeline.store import Store
from tests.conftest import CORPUS

DECISION_2629 = """UBND TỈNH HÀ TĨNH
Số: 2629/QĐ-UBND
Hà Tĩnh, ngày 23 tháng 12 năm 2022
QUYẾT ĐỊNH
Về việc ban hành Kế hoạch cải cách hành chính tỉnh năm 2023
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH
Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05/3/2020 của Chính phủ;
Điều 1. Ban hành kèm theo Quyết định này Kế hoạch cải cách hành chính tỉnh năm 2023./.
"""


def links(store: Store) -> set[tuple[str, str, str | None]]:
    """(citing document's sha256, cited key, cited document's sha256 or None) — independent of ids."""
    rows = store.db.execute(
        "SELECT d.sha256, r.key, t.sha256 FROM refs r JOIN documents d ON d.id = r.document_id "
        "LEFT JOIN documents t ON t.id = r.target_id"
    ).fetchall()
    return set(rows)


def test_ingest_order_does_not_change_the_links(tmp_path):
    (tmp_path / "qd2629.txt").write_text(DECISION_2629, encoding="utf-8")
    files = [tmp_path / "qd2629.txt", CORPUS / "seed_002.txt", CORPUS / "seed_004.txt"]
    a, b = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    ingest_paths(a, files)
    ingest_paths(b, list(reversed(files)))
    assert links(a) == links(b)
    resolved = {(citing, key) for citing, key, target in links(a) if target}
    assert len(resolved) == 2 and {k for _, k in resolved} == {"2629/QDUBND@2022"}


def test_backlinks_list_every_citing_corpus_document(tmp_path):
    store = Store(tmp_path / "c.db")
    ingest_paths(store, [CORPUS])
    # which corpus documents cite Nghị quyết 76/NQ-CP, according to the hand-written gold
    citing = set()
    for gold in CORPUS.glob("*.gold.json"):
        refs = json.loads(gold.read_text(encoding="utf-8"))["references"]
        if any(r["number"] == "76" and r["symbol"] == "NQ-CP" for r in refs):
            citing.add(gold.name.replace(".gold.json", ".txt"))
    assert len(citing) >= 3
    assert any(r["key"] == "76/NQCP@2021" and r["cited_by"] == len(citing) for r in unresolved(store))
    nq = tmp_path / "nq76.txt"
    nq.write_text("CHÍNH PHỦ\nSố: 76/NQ-CP\nHà Nội, ngày 15 tháng 7 năm 2021\nNGHỊ QUYẾT\n"
                  "Ban hành Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021 - 2030\n", encoding="utf-8")
    ingest_paths(store, [nq])  # arrives after the documents that cite it
    g = graph(store, "76/NQ-CP", depth=1)
    backlinks = {g.nodes[e.src].doc_id for e in g.edges if e.dst == g.root[0]}
    names = {store.get(i)["source_path"].rsplit("/", 1)[-1] for i in backlinks}
    assert names == citing
    assert all(e.resolved for e in g.edges if e.dst == g.root[0])
    assert not any(r["key"] == "76/NQCP@2021" for r in unresolved(store))


def test_same_number_and_symbol_in_two_years(tmp_path):
    store = Store(tmp_path / "y.db")
    for year in (2022, 2023):
        (tmp_path / f"qd{year}.txt").write_text(
            f"UBND TỈNH A\nSố: 12/QĐ-UBND\nA, ngày 05 tháng 01 năm {year}\nQUYẾT ĐỊNH\nVề việc năm {year}\n", encoding="utf-8")
    (tmp_path / "cv.txt").write_text(
        "UBND TỈNH A\nSố: 40/UBND-VP\nA, ngày 02 tháng 3 năm 2023\nV/v thực hiện\nKính gửi: Các sở.\n"
        "Thực hiện Quyết định số 12/QĐ-UBND ngày 05/01/2023 và Quyết định 12/QĐ-UBND.\n", encoding="utf-8")
    ingest_paths(store, [tmp_path])
    keys = sorted(r[0] for r in store.db.execute("SELECT key FROM documents WHERE key LIKE '12/%'"))
    assert keys == [document_key("12", "QĐ-UBND", 2022), document_key("12", "QĐ-UBND", 2023)]
    cv = store.db.execute("SELECT id FROM documents WHERE source_path LIKE '%cv.txt'").fetchone()[0]
    (ref,) = store.get(cv)["refs"]  # the short mention joins the dated one: one reference
    target = store.db.execute("SELECT key FROM documents WHERE id = ?", [ref["target_id"]]).fetchone()[0]
    assert target == "12/QDUBND@2023"


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("s") / "corpus.db")
    ingest_paths(store, [CORPUS])
    return store


@pytest.mark.parametrize("query", ["2629/QĐ-UBND", "2629/QDUBND", "2629 / QĐ - UBND", "quyet dinh 2629", "Quyết định 2629"])
def test_any_spelling_finds_the_citing_documents(corpus_store, query):
    names = {corpus_store.get(h.id)["source_path"].rsplit("/", 1)[-1] for h in search(corpus_store, query)}
    assert {"seed_002.txt", "seed_004.txt"} <= names


def test_search_without_diacritics_and_highlight(corpus_store):
    hits = search(corpus_store, "sot xuat huyet")
    assert hits and "sốt xuất huyết" in (hits[0].subject or "").lower()
    assert "[" in hits[0].snippet and "]" in hits[0].snippet


def test_single_syllable_queries_still_match(corpus_store):
    assert search(corpus_store, "phở") == [] or True  # a word absent from the corpus gives no error
    assert search(corpus_store, "dengue")  # one syllable, present in a Sở Y tế letter


def test_filters(corpus_store):
    plans = search(corpus_store, "cai cach", filters=Filters(doc_type="ke hoach"))
    assert plans and all(h.doc_type == "Kế hoạch" for h in plans)
    recent = search(corpus_store, "", filters=Filters(date_from="2025-01-01"))
    assert recent and all(h.date >= "2025" for h in recent)
    old = search(corpus_store, "", filters=Filters(date_to="2021"))
    assert old and all(h.date[:4] <= "2021" for h in old)
    by_issuer = search(corpus_store, "", filters=Filters(issuer="so noi vu"))
    assert by_issuer and all("NỘI VỤ" in (h.issuer or "") for h in by_issuer)
    citing = search(corpus_store, "", filters=Filters(cites="12-NQ/TU"))
    assert {corpus_store.get(h.id)["source_path"].rsplit("/", 1)[-1] for h in citing} >= {"seed_000.txt", "seed_004.txt"}
    assert search(corpus_store, "", filters=Filters(unresolved=True))


@pytest.mark.parametrize("bad", ['"unbalanced', "NEAR(a b) AND", "col:value", "a OR OR b", "*", "x" * 10_000])
def test_bad_queries_never_raise_an_sql_error(corpus_store, bad):
    try:
        search(corpus_store, bad)
    except QueryError:
        pass  # a clear message is fine; an sqlite3 error or a traceback is not


def test_graph_renderings(corpus_store):
    g = graph(corpus_store, "12-NQ/TU", depth=2)
    data = json.loads(to_json(g))
    assert data["edges"] and {e["dst"] for e in data["edges"]} >= {"12/NQTU@2022"}
    assert to_dot(g).startswith("digraph") and "->" in to_dot(g)
    assert to_mermaid(g).startswith("graph LR") and "-.->" in to_mermaid(g)


def test_refs_cli(tmp_path, runner):
    db = tmp_path / "r.db"
    shutil.copy(CORPUS / "seed_004.txt", tmp_path / "s4.txt")
    runner.invoke(main, ["ingest", str(tmp_path / "s4.txt"), "--db", str(db)])
    out = runner.invoke(main, ["refs", "1", "--db", str(db)]).output
    # 7 numbered documents and one programme cited by name
    assert "cites (8)" in out and "Chỉ thị 03/CT-TTg" in out and "Chương trình tổng thể CCHC" in out
    assert out.count("(not in the archive)") == 8
    assert runner.invoke(main, ["refs", "9999/QĐ-XYZ", "--db", str(db)]).exit_code == 2
    assert "12-NQ/TU" in runner.invoke(main, ["refs", "--unresolved", "--db", str(db)]).output
