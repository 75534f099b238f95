"""Extraction speed on the corpus texts, and the CLI's start-up time.

Targets (issue 2): median extraction < 5 ms per text document after start-up (≥ 200 docs/s on
one core). Prints figures; asserts nothing.

    python bench/bench_extract.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from extractors.extract import extract

    import_s = time.perf_counter() - t0
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    t0 = time.perf_counter()
    for t in texts[:3]:
        extract(t)  # warm-up: lazy models (underthesea) load on first use
    warm_s = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(args.rounds):
        for t in texts:
            s, c = time.perf_counter(), time.process_time()
            extract(t)
            times.append(time.perf_counter() - s)
            cpu.append(time.process_time() - c)
    times.sort()
    med = statistics.median(times)
    p95 = times[int(len(times) * 0.95)]
    kb = sum(len(t.encode()) for t in texts) / len(texts) / 1024
    print(f"extraction: {len(texts)} documents × {args.rounds} rounds, mean size {kb:.1f} KB")
    print(f"  import {import_s * 1000:.0f} ms, warm-up (first 3 docs) {warm_s * 1000:.0f} ms")
    print(f"  median {med * 1000:.2f} ms/doc, p95 {p95 * 1000:.2f} ms, max {times[-1] * 1000:.2f} ms "
          f"→ {1 / med:.0f} docs/s on one core (target: median < 5 ms)")
    print(f"  CPU time: median {statistics.median(cpu) * 1000:.2f} ms/doc "
          f"(wall time above includes waiting for a busy machine's cores)")

    runs = []
    for _ in range(5):
        s = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline.cli", "--help"], check=True, capture_output=True, cwd=ROOT)
        runs.append(time.perf_counter() - s)
    print(f"CLI start-up (congvan --help): median {statistics.median(runs) * 1000:.0f} ms")
    runs = []
    for _ in range(3):
        s = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(ROOT / "corpus/seed_000.txt")],
                       check=True, capture_output=True, cwd=ROOT)
        runs.append(time.perf_counter() - s)
    print(f"CLI one-shot (congvan extract FILE): median {statistics.median(runs) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
