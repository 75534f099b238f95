"""Speed and accuracy of the real-input readers, on renderings of the corpus. Prints; asserts nothing.

1. Born-digital PDFs: pages per second through ``read_pdf`` (layout rebuilt), with a pool of
   worker processes (target: ≥ 20 pages/s on 2 cores).
2. Scans at 200 and 300 dpi: OCR seconds per page through the reader (clean-up, deskew, words and
   text layer, layout) with 2 workers, next to the bare ``tesseract IMAGE stdout -l vie`` on the
   same page images, each page read both ways in turn by the same worker (target: within 1.1×).
3. Field accuracy (``pipeline.evaluate.score_document``, macro-F1) on the corpus text, on its
   born-digital PDF renderings and on its scanned renderings, each scan's record extracted as
   ``congvan ingest`` does (OCR post-correction included) (target: scans within 5 points of text).

    python bench/bench_inputs.py              # whole corpus, several minutes
    python bench/bench_inputs.py --limit 8    # a quick look
    python bench/bench_inputs.py --limit 24 --read-dpi 300,225,200   # resolution to OCR at
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ["OMP_THREAD_LIMIT"] = "1"
os.environ["CONGVAN_OCR_WORKERS"] = "1"  # parallelism comes from the pools below


def _render(job: tuple[str, str, str, int]) -> list[str]:
    from render import degrade, rasterize, render_pdf, render_scan

    name, kind, folder, dpi = job
    out = Path(folder)
    if kind == "pdf":
        return [str(render_pdf(name, out / f"{name}.pdf"))]
    if kind == "scan-pdf":
        return [str(render_scan(name, out / f"{name}.{dpi}.pdf", dpi=dpi, seed=sum(map(ord, name))))]
    # page images for the OCR timing
    pdf = render_pdf(name, out / f"{name}.born.pdf")
    paths = []
    for i, img in enumerate(rasterize(pdf, dpi)):
        p = out / f"{name}.{dpi}.p{i + 1}.png"
        degrade(img, angle=1.3 if i % 2 else -1.1, seed=i).save(p, dpi=(dpi, dpi))
        paths.append(str(p))
    return paths


def _read(path: str) -> tuple[str, int, str, float]:
    """Read one file; also the CPU seconds it took (this process's, all threads, and any children's)."""
    from pipeline.readers import read_file

    c0 = _cpu()
    r = read_file(Path(path))
    return path, len(r.pages), r.text, _cpu() - c0


def _record(job: tuple[str, int | None]):
    """Read one scan and extract its record as ``congvan ingest`` does (OCR post-correction and
    the handwriting facts included): ``(path, pages, Dispatch, CPU seconds)``. With a ``read_dpi``,
    scans finer than 260 dpi are OCR'd at that resolution (instead of
    :data:`pipeline.imageprep.READ_DPI`)."""
    from pipeline import imageprep
    from pipeline.ingest import extract_read
    from pipeline.readers import read_file

    path, read_dpi = job
    default = imageprep.READ_DPI
    imageprep.READ_DPI = read_dpi or default
    try:
        c0 = _cpu()
        r = read_file(Path(path))
        return path, len(r.pages), extract_read(Path(path), r), _cpu() - c0
    finally:
        imageprep.READ_DPI = default


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _raw_tesseract(path: str) -> None:
    """The bare ``tesseract IMAGE stdout -l vie`` on one page."""
    subprocess.run(["tesseract", path, "stdout", "-l", "vie"], capture_output=True, check=True)


def _timed_map(pool, fn, items: list) -> tuple[list, float]:
    t = time.perf_counter()
    out = list(pool.map(fn, items))
    return out, time.perf_counter() - t


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_pdf(names: list[str], folder: Path, workers: int) -> dict[str, str]:
    with ProcessPoolExecutor(workers) as pool:
        pdfs = [p for ps in pool.map(_render, [(n, "pdf", str(folder), 0) for n in names]) for p in ps]
        list(pool.map(_read, pdfs[: 2 * workers]))  # warm: imports and file cache in every worker
        results, wall = _timed_map(pool, _read, pdfs)
    pages = sum(n for _, n, _, _ in results)
    cpu = sum(c for *_, c in results)
    print(f"born-digital PDF: {len(pdfs)} files, {pages} pages ({_load()})")
    print(f"  {workers} processes, wall : {pages / wall:6.1f} pages/s  (target ≥ 20 on 2 cores)")
    print(f"  CPU per page      : {1000 * cpu / pages:6.0f} ms = {pages / cpu:.1f} pages/s per core, "
          f"{workers * pages / cpu:.1f} pages/s on {workers} idle cores")
    return {Path(p).name.removesuffix(".pdf"): text for p, _, text, _ in results}


def _paired(job: tuple[int, str]) -> tuple[float, float, float, float]:
    """One page timed both ways in one worker, in turn (the order alternating from page to page,
    so that a machine getting busier or quieter weighs on both alike): raw tesseract's wall and
    CPU seconds, then congvan's."""
    i, path = job
    out: dict[str, tuple[float, float]] = {}
    for way in (("raw", "congvan") if i % 2 else ("congvan", "raw")):
        c0, t0 = _cpu(), time.perf_counter()
        if way == "raw":
            _raw_tesseract(path)
        else:
            _read(path)
        out[way] = (time.perf_counter() - t0, _cpu() - c0)
    return (*out["raw"], *out["congvan"])


def bench_ocr(names: list[str], folder: Path, dpi: int, workers: int, max_pages: int) -> None:
    with ProcessPoolExecutor(workers) as pool:
        images: list[str] = []
        for ps in pool.map(_render, [(n, "images", str(folder), dpi) for n in names]):
            images += ps
            if len(images) >= max_pages:
                break
        images = images[:max_pages]
        list(pool.map(_read, images[:workers]))  # warm
        results = list(pool.map(_paired, enumerate(images)))
    n = len(images)
    raw_wall, raw_cpu, wall, cpu = (sum(r[k] for r in results) / n for k in range(4))
    print(f"scans at {dpi} dpi: {n} pages, {workers} at a time, each page read both ways in turn ({_load()})")
    print(f"  raw tesseract : {raw_wall:5.2f} s/page wall, {raw_cpu:5.2f} CPU-s/page")
    print(f"  congvan OCR   : {wall:5.2f} s/page wall, {cpu:5.2f} CPU-s/page"
          f"  = {wall / raw_wall:.2f}× raw wall, {cpu / raw_cpu:.2f}× raw CPU (target ≤ 1.1×)")


def bench_accuracy(names: list[str], folder: Path, pdf_texts: dict[str, str], dpi: int, workers: int) -> None:
    from render import load

    from extractors.extract import extract
    from pipeline.evaluate import Report, score_document

    with ProcessPoolExecutor(workers) as pool:
        scans = [p for ps in pool.map(_render, [(n, "scan-pdf", str(folder), dpi) for n in names]) for p in ps]
        scan_results, wall = _timed_map(pool, _record, [(p, None) for p in scans])
    scan_records = {Path(p).name.removesuffix(f".{dpi}.pdf"): rec for p, _, rec, _ in scan_results}
    pages = sum(n for _, n, _, _ in scan_results)
    reports = {"text": Report(), "pdf": Report(), f"scan {dpi} dpi": Report()}
    for name in names:
        source, gold = load(name)
        for label, rec in (("text", extract(source)), ("pdf", extract(pdf_texts[name])), (f"scan {dpi} dpi", scan_records[name])):
            score_document(rec, gold, reports[label].scores, name)
            reports[label].documents += 1
    print(f"field accuracy over {len(names)} documents (macro-F1; scans: {pages} pages OCR'd in {wall:.0f} s)")
    base = reports["text"].macro
    for label, rep in reports.items():
        print(f"  {label:<14} {rep.macro:.3f}  ({100 * (rep.macro - base):+.1f} points)")
    fields = [f for f in reports["text"].scores if any(abs(r.scores[f].f1 - reports["text"].scores[f].f1) > 0.0005 for r in reports.values())]
    if fields:
        print("  fields that differ: " + ", ".join(
            f"{f} " + "/".join(f"{r.scores[f].f1:.2f}" for r in reports.values()) for f in fields
        ))


def bench_read_dpi(names: list[str], folder: Path, read_dpis: list[int], workers: int) -> None:
    """Field accuracy and CPU of 300-dpi scans OCR'd at each of ``read_dpis`` (the choice of
    :data:`pipeline.imageprep.READ_DPI`)."""
    from render import load

    from pipeline.evaluate import Report, score_document

    with ProcessPoolExecutor(workers) as pool:
        scans = [p for ps in pool.map(_render, [(n, "scan-pdf", str(folder), 300) for n in names]) for p in ps]
        results = list(pool.map(_record, [(p, d) for d in read_dpis for p in scans]))
    reports = {d: Report() for d in read_dpis}
    cpu = dict.fromkeys(read_dpis, 0.0)
    pages = 0
    for k, (path, n, rec, c) in enumerate(results):
        d = read_dpis[k // len(scans)]
        name = Path(path).name.removesuffix(".300.pdf")
        score_document(rec, load(name)[1], reports[d].scores, name)
        reports[d].documents += 1
        cpu[d] += c
        pages += n if d == read_dpis[0] else 0
    print(f"300-dpi scans read at other resolutions: {len(names)} documents, {pages} pages")
    for d, rep in reports.items():
        print(f"  read at {d} dpi: macro-F1 {rep.macro:.3f}, {cpu[d] / pages:.2f} CPU-s/page")


def main() -> None:
    from render import corpus_names

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N corpus documents")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ocr-pages", type=int, default=12, help="pages timed per resolution")
    ap.add_argument("--scan-dpi", type=int, default=300, help="resolution of the scans scored for accuracy")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--read-dpi", help="only compare 300-dpi scans OCR'd at these resolutions, e.g. 300,225,200")
    args = ap.parse_args()
    names = corpus_names()[: args.limit] if args.limit else corpus_names()
    print(f"bench_inputs: {len(names)} corpus documents, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="congvan-bench-") as tmp:
        folder = Path(tmp)
        if args.read_dpi:
            bench_read_dpi(names, folder, [int(d) for d in args.read_dpi.split(",")], args.workers)
            return
        pdf_texts = bench_pdf(names, folder, args.workers)
        for dpi in (200, 300):
            bench_ocr(names, folder, dpi, args.workers, args.ocr_pages)
        if not args.skip_accuracy:
            bench_accuracy(names, folder, pdf_texts, args.scan_dpi, args.workers)


if __name__ == "__main__":
    main()
