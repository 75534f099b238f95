"""The watcher under load: peak memory while it ingests a batch, and time from drop to searchable.

Run::

    python bench/bench_watch.py                      # the corpus as the batch, settle 2 s (the default)
    python bench/bench_watch.py --settle 0.5 --repeat 5
    python bench/bench_watch.py --file one-page.pdf  # drop-to-searchable for a PDF or a scan too

It starts ``congvan watch`` as a real process on a fresh inbox, samples ``/proc/PID/status``
of the watcher and of its worker processes every 20 ms (VmHWM is the kernel's own peak RSS),
drops the corpus (``corpus/*.txt``) as one batch, then drops one-page documents one at a time
and polls the store until full-text search finds each. Figures are printed, never asserted.
Target (issue 5): peak RSS of the watcher ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive import hash_file  # noqa: E402
from pipeline.search import search  # noqa: E402
from pipeline.store import Store  # noqa: E402

CONGVAN = str(Path(sys.executable).with_name("congvan"))


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def session_pids(sid: int) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(d.name))
    return pids


class Sampler(threading.Thread):
    """Peak memory of the watcher (VmHWM), of each worker, and of all of them together (sum of VmRSS)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.main_hwm = 0
        self.worker_hwm: dict[int, int] = {}
        self.total_peak = 0

    def run(self) -> None:
        while not self.stop.is_set():
            total = 0
            for p in session_pids(self.pid):
                total += status_kb(p, "VmRSS")
                hwm = status_kb(p, "VmHWM")
                if p == self.pid:
                    self.main_hwm = max(self.main_hwm, hwm)
                elif hwm:
                    self.worker_hwm[p] = max(self.worker_hwm.get(p, 0), hwm)
            self.total_peak = max(self.total_peak, total)
            self.stop.wait(0.02)


def drop(data: bytes, dest: Path) -> float:
    """Write under a hidden name, then rename into the inbox (as copy programs do); the drop time."""
    tmp = dest.with_name("." + dest.name + ".part")
    tmp.write_bytes(data)
    os.rename(tmp, dest)
    return time.monotonic()


def wait_for(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--settle", type=float, default=2.0, help="watcher --settle (default: its default, 2 s)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="one-page drops to time")
    ap.add_argument("--file", type=Path, help="a one-page document (any supported format) to time as well")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    inbox, db = work / "inbox", work / "congvan.db"
    inbox.mkdir()
    log = open(work / "watch.log", "wb")
    proc = subprocess.Popen(
        [CONGVAN, "watch", str(inbox), "--db", str(db), "--settle", str(args.settle), "--workers", str(args.workers)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    try:
        if not wait_for(lambda: b"watching" in (work / "watch.log").read_bytes(), 30):
            sys.exit("the watcher did not start:\n" + (work / "watch.log").read_text())
        batch = [p for p in sorted((ROOT / "corpus").glob("*.txt")) if p.stem.upper() != "README"]
        t0 = time.monotonic()
        for src in batch:
            drop(src.read_bytes(), inbox / src.name)
        processed = inbox / "processed"
        done = wait_for(lambda: len(list(processed.glob("*"))) + len(list((inbox / "failed").glob("*.error.txt"))) >= len(batch), 300)
        batch_s = time.monotonic() - t0
        print(f"batch: {len(batch)} corpus documents in {batch_s:.1f} s ({len(batch) / batch_s:.1f} docs/s, "
              f"settle {args.settle:g} s, {args.workers} workers){'' if done else '  (NOT all done)'}")

        store = Store(db)
        seed = (ROOT / "corpus" / "seed_000.txt").read_text(encoding="utf-8")
        times = []
        for i in range(args.repeat):
            token = f"kiemtra{uuid.uuid4().hex[:10]}"
            text = seed.rstrip() + f"\nMã kiểm tra: {token}.\n"
            t = drop(text.encode("utf-8"), inbox / f"một trang {i}.txt")
            if wait_for(lambda tok=token: bool(search(store, tok)), 60):
                times.append(time.monotonic() - t)
        if times:
            print(f"drop → searchable, one-page text: median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)}; settle {args.settle:g} s of it)")
        if args.file:
            data = args.file.read_bytes()
            dest = inbox / f"bench-{uuid.uuid4().hex[:6]}{args.file.suffix}"
            t = drop(data, dest)
            sha = hash_file(dest) if dest.exists() else None
            ok = wait_for(lambda: store.find_by_hash(sha) is not None or (inbox / "failed" / (dest.name + ".error.txt")).exists(), 300)
            doc = store.find_by_hash(sha) if ok else None
            if doc is not None:
                print(f"drop → searchable, {args.file.name}: {time.monotonic() - t:.2f} s (document {doc}; "
                      f"stored and indexed in one transaction; settle {args.settle:g} s of it)")
            else:
                print(f"{args.file.name}: not stored (see {inbox / 'failed'}); duplicate of an earlier run?")
    finally:
        sampler.stop.set()
        sampler.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()
    mb = 1024
    workers = sorted(sampler.worker_hwm.values(), reverse=True)
    print(f"peak RSS, watcher process (VmHWM): {sampler.main_hwm / mb:.0f} MB (target ≤ 300 MB)")
    if workers:
        print(f"peak RSS, each worker process:     {', '.join(f'{w / mb:.0f}' for w in workers)} MB "
              "(the helper processes multiprocessing starts included)")
    print(f"peak RSS, all processes together:  {sampler.total_peak / mb:.0f} MB (sum of VmRSS sampled every 20 ms)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
