"""Build a large store from corpus-like documents and time ingest, search and backlinks.

Each generated document is a corpus document with a new number, date, province and 1–3 added
citations of earlier generated documents, so the store has a realistic web of references
(some resolved, some not). Extraction runs in worker processes, writing in the main one —
the same path as ``congvan ingest``.

    python bench/bench_store.py --n 100000 --db /tmp/bench100k.db     # ~15–25 min on 2 cores
    python bench/bench_store.py --db /tmp/bench100k.db --reuse         # time queries only

Targets (issue 3): search p95 ≤ 20 ms, backlink lookup p95 ≤ 2 ms. Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = [
    "Hà Tĩnh", "Nghệ An", "Thanh Hóa", "Quảng Nam", "Quảng Ngãi", "Bình Định", "Đà Nẵng", "Huế",
    "Quảng Ninh", "Hải Phòng", "Bắc Ninh", "Hưng Yên", "Thái Bình", "Nam Định", "Ninh Bình", "Lào Cai",
    "Yên Bái", "Phú Thọ", "Tuyên Quang", "Lâm Đồng", "Đắk Lắk", "Gia Lai", "Khánh Hòa", "Cần Thơ",
    "Long An", "An Giang", "Cà Mau", "Đồng Nai", "Bình Dương", "Tây Ninh",
]
TYPES = [("Quyết định", "QĐ-UBND"), ("Kế hoạch", "KH-UBND"), ("Công văn", "UBND-VX"), ("Thông báo", "TB-UBND")]
_TEMPLATES: list[str] = []


def _templates() -> list[str]:
    if not _TEMPLATES:
        _TEMPLATES.extend(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt")))
    return _TEMPLATES


def make_document(i: int, seed: int = 7) -> str:
    """The i-th generated document (deterministic for a given seed)."""
    rng = random.Random(seed * 1_000_003 + i)
    text = rng.choice(_templates())
    year = rng.randint(2019, 2026)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    number = rng.randint(1, 4999)
    province = rng.choice(PROVINCES)
    text = re.sub(r"(Số\s*:?\s*)\d*(\s*[/-])", lambda m: f"{m.group(1)}{number}{m.group(2)}", text, count=1)
    text = re.sub(r"ngày\s+\S*\s*tháng\s+\S*\s*năm\s+\d{4}", f"ngày {day:02d} tháng {month:02d} năm {year}", text, count=1)
    cites = []
    for _ in range(rng.randint(1, 3)):
        j = rng.randint(0, max(0, i - 1)) if i else 0
        r = random.Random(seed * 1_000_003 + j)
        typ, sym = rng.choice(TYPES)
        cites.append(f"{typ} số {r.randint(1, 4999)}/{sym} ngày {r.randint(1, 28):02d}/{r.randint(1, 12):02d}/"
                     f"{r.randint(2019, 2026)} của UBND tỉnh {province}")
    extra = "Căn cứ " + "; ".join(cites) + ".\n\n"
    m = re.search(r"\n(?:Kính gửi|Căn cứ|Thực hiện)", text)
    pos = m.start() + 1 if m else len(text) // 3
    return text[:pos] + extra + text[pos:]


def _extract(i: int):
    from extractors.extract import extract
    from pipeline.readers import sha256_of
    from pipeline.store import index_words

    text = make_document(i)
    d = extract(text)
    return sha256_of(f"{i}:{text}".encode()), d, index_words(d)


def build(db: Path, n: int, workers: int) -> None:
    from pipeline.store import Store

    store = Store(db)
    start = store.count()
    t0 = time.perf_counter()
    done = 0
    with mp.get_context("fork").Pool(workers) as pool:
        for chunk in range(start, n, 1000):  # bounded: results never pile up ahead of the writer
            batch = pool.map(_extract, range(chunk, min(n, chunk + 1000)), chunksize=50)
            with store.transaction():
                for sha_, d_, w_ in batch:
                    store.add(d_, sha_, path=f"generated/{sha_[:12]}.txt", words=w_)
            done += len(batch)
            rate = done / (time.perf_counter() - t0)
            print(f"  {start + done:>7} documents, {rate:.0f} docs/s", end="\r", flush=True)
    secs = time.perf_counter() - t0
    print(f"\ningest: {done} documents in {secs:.0f} s → {done / secs:.0f} documents/s with {workers} workers")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def timed_runs(fn, args: list) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``fn(a)`` for each ``a`` (CPU time: this machine is shared)."""
    wall, cpu = [], []
    for a in args:
        s, c = time.perf_counter(), time.process_time()
        fn(a)
        wall.append((time.perf_counter() - s) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


WORDS = ["cải cách hành chính", "chuyen doi so", "quyet dinh", "sốt xuất huyết", "khen thưởng", "ngân sách",
         "hộ tịch", "văn thư lưu trữ", "dịch vụ công trực tuyến", "đất đai", "nong thon moi", "phòng chống thiên tai"]


def measure_filters(store, rng: random.Random, per: int = 24) -> None:
    """Search with each filter of ``congvan search`` (words of the mix, and an empty query listing)."""
    from pipeline.search import Filters, search

    cited = store.db.execute("SELECT key FROM refs WHERE key LIKE '%/%' GROUP BY key ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    rare = store.db.execute("SELECT key FROM refs WHERE key LIKE '%/%' AND id % 101 = 0 LIMIT 1").fetchone()
    issuer = store.db.execute("SELECT issuer FROM documents WHERE issuer IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    cases = [
        ("--type 'Kế hoạch'", Filters(doc_type="Kế hoạch")),
        ("--type 'Công văn'", Filters(doc_type="Công văn")),
        ("--type 'Nghị quyết'", Filters(doc_type="Nghị quyết")),
        (f"--issuer '{issuer[0] if issuer else ''}'", Filters(issuer=issuer[0] if issuer else "x")),
        ("--issuer 'so noi vu'", Filters(issuer="so noi vu")),
        ("--from 2023 --to 2023", Filters(date_from="2023", date_to="2023")),
        ("--from 2024-03-01 --to 2024-03-31", Filters(date_from="2024-03-01", date_to="2024-03-31")),
        ("--to 2019", Filters(date_to="2019")),
        (f"--cites {cited[0] if cited else ''} (most cited)", Filters(cites=cited[0].split("@")[0] if cited else None)),
        (f"--cites {rare[0] if rare else ''}", Filters(cites=rare[0].split("@")[0] if rare else None)),
        ("--unresolved", Filters(unresolved=True)),
        ("--type 'Kế hoạch' --from 2023 --issuer 'so'", Filters(doc_type="Kế hoạch", date_from="2023", issuer="so")),
    ]
    print(f"filtered search: {per} word queries (p50/p95, CPU p50/p95) | the filter alone, no query (median of 5)")
    for name, f in cases:
        qs = [rng.choice(WORDS if rng.random() < 0.8 else [w.split()[0] for w in WORDS]) for _ in range(per)]
        search(store, qs[0], limit=20, filters=f)
        times, cpu = timed_runs(lambda q, f=f: search(store, q, limit=20, filters=f), qs)
        alone, alone_cpu = timed_runs(lambda q, f=f: search(store, q, limit=20, filters=f), [""] * 5)
        print(f"  {name:<46} {pct(times, 0.5):6.1f} /{pct(times, 0.95):6.1f} ms  CPU {pct(cpu, 0.5):6.1f} /{pct(cpu, 0.95):6.1f} ms"
              f" | {pct(alone, 0.5):7.1f} ms  CPU {pct(alone_cpu, 0.5):7.1f} ms")


def measure(db: Path, queries: int) -> None:
    from pipeline.refs import graph
    from pipeline.search import search
    from pipeline.store import Store

    store = Store(db)
    n = store.count()
    size = sum(f.stat().st_size for f in db.parent.glob(db.name + "*"))
    print(f"store: {n} documents, {size / 1e6:.0f} MB on disk ({size / max(n, 1) / 1024:.1f} KB/document)")
    rng = random.Random(3)
    keys = [r[0] for r in store.db.execute("SELECT key FROM refs WHERE target_id IS NOT NULL AND key LIKE '%/%' LIMIT 5000")]
    words = WORDS
    qs = []
    for _ in range(queries):
        k = rng.random()
        if k < 0.5:
            qs.append(rng.choice(words))
        elif k < 0.8 and keys:
            num, rest = rng.choice(keys).split("/", 1)
            qs.append(f"{num}/{rest.split('@')[0][:2]}-{rest.split('@')[0][2:]}")
        else:
            qs.append(rng.choice(words).split()[0])
    for q in qs[:5]:
        search(store, q, limit=20)  # warm the page cache
    times, cpu = timed_runs(lambda q: search(store, q, limit=20), qs)
    print(f"search ({len(qs)} queries: words, numbers/symbols, single syllables; top 20 with snippets): "
          f"p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms, max {max(times):.1f} ms; "
          f"CPU p50 {pct(cpu, 0.5):.1f} ms, p95 {pct(cpu, 0.95):.1f} ms (target p95 ≤ 20 ms)")
    measure_filters(store, rng)
    ids = [r[0] for r in store.db.execute("SELECT DISTINCT target_id FROM refs WHERE target_id IS NOT NULL LIMIT 2000")]
    times = []
    for doc_id in rng.sample(ids, min(len(ids), queries)):
        s = time.perf_counter()
        store.db.execute("SELECT document_id FROM refs WHERE target_id = ?", [doc_id]).fetchall()
        times.append((time.perf_counter() - s) * 1000)
    print(f"backlinks (documents citing a stored document): p50 {pct(times, 0.5):.3f} ms, "
          f"p95 {pct(times, 0.95):.3f} ms (target p95 ≤ 2 ms)")
    times = []
    for doc_id in ids[:200]:
        s = time.perf_counter()
        graph(store, str(doc_id), depth=1)
        times.append((time.perf_counter() - s) * 1000)
    if times:
        print(f"refs graph, depth 1 (cites + cited by, with labels): p50 {pct(times, 0.5):.2f} ms, p95 {pct(times, 0.95):.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/congvan-bench.db"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reuse", action="store_true", help="keep an existing store, only time queries")
    ap.add_argument("--resume", action="store_true", help="keep an existing store and add documents up to --n")
    args = ap.parse_args()
    if not (args.reuse or args.resume):
        for f in args.db.parent.glob(args.db.name + "*"):
            f.unlink()
    if not args.reuse:
        build(args.db, args.n, args.workers)
    measure(args.db, args.queries)


if __name__ == "__main__":
    main()
