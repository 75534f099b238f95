"""Page render times of the web interface: the search page and the document page, p50/p95/max.

Each request goes through the whole application in-process (Starlette's TestClient: routing,
the security guard, the library calls, the Jinja2 template), without a network in between; with
``--http`` the same pages are fetched from a real uvicorn server on 127.0.0.1 instead.

    python bench/bench_web.py                              # a small store built from the corpus
    python bench/bench_web.py --db /tmp/bench100k.db       # a large store (see bench/bench_store.py)
    python bench/bench_web.py --db /tmp/bench100k.db --http

Target (issue 6): p95 ≤ 100 ms for both pages. Prints figures only.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.search import search  # noqa: E402
from pipeline.store import Store  # noqa: E402

WORDS = ["cải cách hành chính", "chuyen doi so", "quyet dinh", "sốt xuất huyết", "khen thưởng", "ngân sách",
         "hộ tịch", "văn thư lưu trữ", "dịch vụ công trực tuyến", "đất đai", "nong thon moi", "phòng chống thiên tai"]
"""The words of bench/bench_store.py, so the two benches measure the same searches."""


def build_small(folder: Path) -> Path:
    from pipeline.ingest import ingest_paths

    db = folder / "bench-web.db"
    ingest_paths(Store(db), [ROOT / "corpus"])
    return db


def queries(store: Store, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query): the mix of bench/bench_store.py — half words and phrases (some without diacritics),
    three in ten numbers with symbols as documents print them, two in ten single syllables."""
    step = max(1, store.count() // 3000)
    keys = [r[0] for r in store.db.execute(
        "SELECT number || '/' || symbol FROM documents WHERE number IS NOT NULL AND symbol IS NOT NULL "
        "AND id % ? = 0 LIMIT 3000", [step])]
    out = []
    for _ in range(n):
        k = rng.random()
        if k < 0.5:
            out.append(("words", rng.choice(WORDS)))
        elif k < 0.8 and keys:
            out.append(("number/symbol", rng.choice(keys)))
        else:
            out.append(("one syllable", rng.choice(WORDS).split()[0]))
    return out


def timed(get, urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        t = time.perf_counter()
        r = get(url)
        times.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}")
    return times


def line(name: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
    return (f"{name:<34} n={len(times):<5} p50 {statistics.median(times):7.1f} ms   p95 {q[94]:7.1f} ms   "
            f"max {max(times):7.1f} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an existing store (default: build a small one from the corpus)")
    ap.add_argument("--n", type=int, default=300, help="requests per page kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--http", action="store_true", help="through a uvicorn server on 127.0.0.1 instead of in-process")
    args = ap.parse_args()

    from starlette.testclient import TestClient

    from pipeline.web import WebConfig, create_app

    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    db = args.db or build_small(tmp)
    store = Store(db)
    n_docs = store.count()
    top = store.db.execute("SELECT MAX(id) FROM documents").fetchone()[0]
    rng = random.Random(args.seed)
    mix = queries(store, args.n, rng)
    search_urls = [f"/search?q={quote(q)}" for _, q in mix]
    filtered = [u + rng.choice(["&year=2023", "&type=K%E1%BA%BF+ho%E1%BA%A1ch", "&tasks=overdue", "&page=2"])
                for u in search_urls[: args.n // 6]]
    doc_urls = [f"/documents/{rng.randint(1, top)}" for _ in range(args.n)]
    existing = {r[0] for r in store.db.execute(
        f"SELECT id FROM documents WHERE id IN ({','.join(u.rsplit('/', 1)[1] for u in doc_urls)})").fetchall()}
    doc_urls = [u for u in doc_urls if int(u.rsplit("/", 1)[1]) in existing]

    app = create_app(WebConfig(db, inbox=tmp / "inbox", watch=False))
    print(f"store: {n_docs:,} documents ({db}); {'HTTP via uvicorn' if args.http else 'in-process TestClient'}")
    if args.http:
        import httpx
        import uvicorn

        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    else:
        client = TestClient(app, base_url="http://127.0.0.1")
        client.__enter__()
    get = client.get
    timed(get, search_urls[:10] + doc_urls[:10])  # warm-up: imports, templates, SQLite cache
    page_times = timed(get, search_urls)
    print(line("search page", page_times))
    for kind in ("words", "number/symbol", "one syllable"):
        times = [t for (k, _), t in zip(mix, page_times, strict=True) if k == kind]
        if times:
            print(line(f"  {kind}", times))
    print(line("search page, a facet or page 2", timed(get, filtered)))
    print(line("document page", timed(get, doc_urls)))
    names = [r[0] for r in store.db.execute(
        "SELECT assignee FROM tasks WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY COUNT(*) DESC LIMIT 5")]
    board_urls = ["/tasks", "/tasks?status=all", "/tasks?status=done",
                  *(f"/tasks?assignee={quote(n)}" for n in names), "/tasks?assignee=s%E1%BB%9F"]
    from pipeline.web import board

    n_pages = max(20, args.n // 10)
    for name, urls in (("home page", ["/"]), ("task board (each filter)", board_urls)):
        times = []  # the home page is remembered until the store changes: forget it before each request
        for i in range(n_pages):
            board._CACHE.clear()
            times += timed(get, [urls[i % len(urls)]])
        print(line(f"{name}, not cached", times))
    lib = []
    for _, q in mix:  # the library call under the search page, alone, for comparison
        t = time.perf_counter()
        search(store, q, limit=20)
        lib.append((time.perf_counter() - t) * 1000)
    print(line("(library search() alone, same mix)", lib))
    if args.http:
        server.should_exit = True
    else:
        client.__exit__(None, None, None)


if __name__ == "__main__":
    main()
