"""Degraded office scans (issue 9): fields, character errors and time, against clean text and raw Tesseract.

Each of ``--limit`` corpus documents (those with a number and a full date, in corpus order) is
rendered by ``tests/degrade.py`` with everything on it — the number and day written by hand into
the blanks, a blue ``ĐẾN`` stamp over the header, a red seal and a blue signature over the
signer — as a 200-dpi colour JPEG scan; every third one as a skewed, unevenly lit phone photo.
Then, page by page, on ``--workers`` processes:

- **raw**: ``tesseract -l vie --psm 11`` on the page's JPEG file as it is (native resolution);
- **scan path**: what congvan runs on an image — :func:`pipeline.ocr.ocr_image` (decode, clean-up
  by :mod:`pipeline.imageprep`: colour dropout, even light, upscaling, deskew; Tesseract on the
  cleaned page with its text layer for the searchable copy; the incoming stamp read on its own,
  :mod:`pipeline.stampread`; the handwritten blanks read again, :mod:`pipeline.handwriting`),
  reading order, and the post-correction (:func:`extractors.ocrfix.ocr_repair`).

Printed: the field scores (``pipeline.evaluate.score_document``) of the scan path and of raw OCR
against those of the corpus's clean text of the same documents (target: scan within 8 points of
text); the character error rate of the OCR text against the text of the clean rendering, before
and after post-correction; the incoming stamps and handwritten numbers read; the time per page
of each step next to raw Tesseract's (target: the whole scan path within 1.2×), as wall time and
as CPU time (the machine is shared: CPU time is the steadier figure). Asserts nothing.

    python bench/bench_scans.py [--limit 12] [--workers 2] [--binarise] [--no-upscale] [--no-photos]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), one numpy row at a time.

    >>> levenshtein("kitten", "sitting"), levenshtein("", "abc"), levenshtein("Số", "Só")
    (3, 3, 1)
    """
    if not a or not b:
        return len(a) + len(b)
    x = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    y = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(y) + 1, dtype=np.int64)
    row = idx.copy()
    for i, ch in enumerate(x, 1):
        sub = row[:-1] + (y != ch)
        dele = row[1:] + 1
        best = np.minimum(sub, dele)
        cur = np.empty_like(row)
        cur[0] = i
        cur[1:] = best
        # insertions: cur[j] = min_k<=j (cur[k] + j - k)
        cur = np.minimum.accumulate(cur - idx) + idx
        row = cur
    return int(row[-1])


def squeeze(text: str) -> str:
    """NFC, runs of white space as one space: layout differences are not character errors."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(ocr: str, ref: str) -> tuple[int, int]:
    """Edit distance and reference length, both squeezed."""
    a, b = squeeze(ocr), squeeze(ref)
    return levenshtein(a, b), len(b)


class Clock:
    """Wall and CPU seconds (this process and its finished children: tesseract)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, key: str, fn, *args, **kwargs):
        w0, c0 = time.perf_counter(), _cpu()
        out = fn(*args, **kwargs)
        self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - w0
        self.cpu[key] = self.cpu.get(key, 0.0) + _cpu() - c0
        return out


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def documents(limit: int) -> list[str]:
    """Corpus documents with a number and a full date (a clerk writes both by hand)."""
    from render import corpus_names, load

    names = []
    for name in corpus_names():
        gold = load(name)[1]
        if gold.get("number") and len(gold.get("date") or "") == 10 and not name.startswith("seed"):
            names.append(name)
    return names[:limit]


def warm_up() -> float:
    """Load what a reading process loads once (the post-correction dictionary: underthesea's
    word list and counts), before any page is timed: a watcher or an ``ingest`` run pays it
    once per worker, not per page. Returns the seconds it took."""
    from extractors.normalize import normalize
    from extractors.ocrfix import ocr_repair

    t = time.perf_counter()
    ocr_repair(normalize("Kính gửi: Ủy ban nhân dân tỉnh, cập nhật hô sơ địa chinh"))
    return time.perf_counter() - t


def run_document(job: tuple[int, str, dict]) -> dict:
    """Render, read two ways, extract and score one document (in a worker process)."""
    i, name, opts = job
    from degrade import degraded_scan, reference_text
    from PIL import Image
    from render import load

    import pipeline.imageprep as imageprep
    from extractors.extract import extract, extract_normalized
    from extractors.normalize import normalize
    from extractors.ocrfix import ocr_repair
    from pipeline.evaluate import MACRO_FIELDS, score_document
    from pipeline.layout import PageWords, join_pages, order_pages
    from pipeline.ocr import LANG, PSM, ocr_image, parse_tsv, scan_facts
    from schemas import SourceInfo

    imageprep.BINARISE = opts["binarise"]
    if opts["no_upscale"]:
        imageprep.UPSCALE_BELOW = 0
    text, gold = load(name)
    photo = opts["photos"] and i % 3 == 2
    received = (str(1000 + 97 * i), f"{(3 * i) % 28 + 1:02d}/{i % 12 + 1:02d}/2023")
    scan = degraded_scan(name, seed=i, received=received, photo=photo)
    clock = Clock()
    raw_pages, pages = [], []
    for jpeg in scan.jpegs:
        # raw: tesseract on the page's JPEG file as the scanner wrote it (it decodes it itself)
        page = Image.open(io.BytesIO(jpeg))
        raw_dpi = imageprep.page_dpi(page, None if photo else scan.dpi)
        raw = clock("tess_raw", _tesseract_program, jpeg, raw_dpi, "-l", LANG, "--psm", str(PSM), "tsv")
        raw_pages.append(PageWords(parse_tsv(raw), page.width, page.height))
        # the scan path, as congvan reads an image: decode, clean up, OCR (+ its text layer for the
        # searchable copy), the stamp and the handwritten blanks read on their own
        got = clock("scan", lambda b=jpeg: ocr_image(Image.open(io.BytesIO(b)), None if photo else scan.dpi, text_layer=True))
        for k, v in got.timings.items():
            clock.wall[k] = clock.wall.get(k, 0.0) + v
        pages.append(got)
        if len(pages) == 1:
            number_token = _number_token(got.words.words, got.words.height)
    clean_pages = [p.words for p in pages]
    handwritten, _ = scan_facts(dict(enumerate(pages)))
    raw_text = join_pages(order_pages(raw_pages))[0]
    clean_text = clock("layout", lambda: join_pages(order_pages(clean_pages))[0])
    n = normalize(clean_text)
    repaired_n, repaired = clock("postfix", ocr_repair, n)
    source = SourceInfo(media_type="image/jpeg", pages=len(scan.pages), ocr=True, handwritten=handwritten)
    rec_scan = extract_normalized(repaired_n, source, repaired)
    rec_raw = extract(raw_text, SourceInfo(media_type="image/jpeg", pages=len(scan.pages), ocr=True))
    rec_text = extract(text)
    scores: dict[str, dict] = {"scan": {}, "raw": {}, "text": {}}
    for key, rec in (("scan", rec_scan), ("raw", rec_raw), ("text", rec_text)):
        score_document(rec, gold, scores[key], name)
    ref = reference_text(name)
    stamp_ref = f"ĐẾN\nSố: {received[0]}\nNgày: {received[1]}\n"
    ref_n = normalize(stamp_ref + ref).text
    if opts.get("dump"):  # the OCR text and its reference, to try other post-correctors on
        out = Path(opts["dump"])
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.ocr.txt").write_text(n.text, encoding="utf-8")
        (out / f"{name}.ref.txt").write_text(ref_n, encoding="utf-8")
    number = rec_scan.number.value if rec_scan.number else None
    return {
        "name": name, "pages": len(scan.pages), "photo": photo,
        "scores": {k: {f: (s.tp, s.fp, s.fn) for f, s in v.items()} for k, v in scores.items()},
        "cer_raw": cer(normalize(raw_text).text, ref_n),
        "cer_before": cer(n.text, ref_n),
        "cer_after": cer(repaired_n.text, ref_n),
        "wall": clock.wall, "cpu": clock.cpu,
        "received": received,
        "received_got": (rec_scan.received_number.value if rec_scan.received_number else None,
                         rec_scan.received_date.value if rec_scan.received_date else None),
        "hand_number": scan.handwritten[0], "number_got": number, "needs_review": rec_scan.needs_review,
        "hand_day": scan.handwritten[1], "date_got": rec_scan.date.value if rec_scan.date else None,
        "gold_date": gold.get("date"),
        "number_token": number_token,
        "misses": [f"{f}: got {pred!r}, gold {g!r}" for f, sc in scores["scan"].items() if f in MACRO_FIELDS
                   for _, pred, g in sc.errors],
        "head": clean_text[:700],
    }


def _tesseract_program(image: bytes, dpi: int, *args: str) -> str:
    """The ``tesseract`` program's output on an image file's bytes (as the scanner wrote them)."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(image)
        f.flush()
        done = subprocess.run(["tesseract", f.name, "stdout", "--dpi", str(dpi), *args], capture_output=True, check=True)
    return done.stdout.decode("utf-8", errors="replace")


def _number_token(words: list, height: float) -> tuple[str, float] | None:
    """The word Tesseract read after ``Số:`` in the header, and its confidence (0–100)."""
    import regex as re

    head = sorted((w for w in words if 0 <= w.top < 0.35 * height), key=lambda w: (round(w.cy / 40), w.x0))
    for a, b in zip(head, head[1:], strict=False):
        if re.match(r"^S[ốoóô6]\W?$", a.text) and abs(a.cy - b.cy) < a.bottom - a.top:
            return b.text, b.conf or 0.0
    return None


def _f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def report(results: list[dict], wall: float) -> None:
    from pipeline.evaluate import MACRO_FIELDS

    print(f"{len(results)} documents, {sum(r['pages'] for r in results)} pages "
          f"({sum(r['photo'] for r in results)} phone photos), {wall:.0f} s\n")
    totals: dict[str, dict[str, list[int]]] = {"scan": {}, "raw": {}, "text": {}}
    for r in results:
        for k, fields in r["scores"].items():
            for f, counts in fields.items():
                acc = totals[k].setdefault(f, [0, 0, 0])
                for j in range(3):
                    acc[j] += counts[j]
    print(f"{'field':<18} {'text':>6} {'scan':>6} {'raw':>6}   (F1; scan = clean-up + post-correction, raw = tesseract only)")
    macro = {}
    for k in totals:
        fs = [_f1(*totals[k][f]) for f in MACRO_FIELDS if f in totals[k] and sum(totals[k][f])]
        macro[k] = sum(fs) / len(fs) if fs else 0.0
    for f in MACRO_FIELDS:
        if any(sum(totals[k].get(f, [0, 0, 0])) for k in totals):
            row = [_f1(*totals[k].get(f, [0, 0, 0])) for k in ("text", "scan", "raw")]
            print(f"{f:<18} {row[0]:6.3f} {row[1]:6.3f} {row[2]:6.3f}")
    gap = (macro["text"] - macro["scan"]) * 100
    print(f"{'macro F1':<18} {macro['text']:6.3f} {macro['scan']:6.3f} {macro['raw']:6.3f}"
          f"   scan is {gap:.1f} points under text (target: within 8)\n")

    def rate(key: str) -> str:
        e = sum(r[key][0] for r in results)
        n = sum(r[key][1] for r in results)
        return f"{100 * e / n:.2f} %"

    print(f"character error rate vs the clean rendering's text (+ the stamp's block): raw tesseract {rate('cer_raw')}, "
          f"scan path before post-correction {rate('cer_before')}, after {rate('cer_after')}")
    stamps_ok = sum(r["received_got"] == (r["received"][0], _iso(r["received"][1])) for r in results)
    num_ok = sum(r["received_got"][0] == r["received"][0] for r in results)
    num_wrong = sum(r["received_got"][0] not in (None, r["received"][0]) for r in results)
    date_ok = sum(r["received_got"][1] == _iso(r["received"][1]) for r in results)
    date_wrong = sum(r["received_got"][1] not in (None, _iso(r["received"][1])) for r in results)
    print(f"incoming stamps: {stamps_ok}/{len(results)} both fields right; số đến right {num_ok}, wrong {num_wrong}; "
          f"ngày đến right {date_ok}, wrong {date_wrong} (the rest left empty)")
    right = sum(r["number_got"] == r["hand_number"] for r in results)
    empty = sum(r["number_got"] is None for r in results)
    flagged = sum(r["number_got"] is None and r["needs_review"] for r in results)
    wrong = [f"{r['name']}: {r['number_got']!r} for {r['hand_number']!r}" for r in results
             if r["number_got"] not in (None, r["hand_number"])]
    print(f"handwritten numbers: {right} read right, {empty} left empty ({flagged} of them flagged for review), "
          f"{len(wrong)} wrong{': ' + '; '.join(wrong) if wrong else ''}")
    toks = [(r["number_token"], r["hand_number"]) for r in results if r["number_token"]]
    right_c = sorted(round(t[1]) for t, want in toks if t[0].split("/")[0] == want)
    wrong_c = sorted(round(t[1]) for t, want in toks if t[0].split("/")[0] != want)
    print(f"  Tesseract's confidence in the word after 'Số:' — read right: {right_c}; read wrong: {wrong_c} "
          f"(printed words: 90–97)")
    days = sum(r["date_got"] == r["gold_date"] for r in results)
    partial = sum((r["date_got"] or "")[:7] == r["gold_date"][:7] and r["date_got"] != r["gold_date"] for r in results)
    print(f"handwritten days: {days} dates right, {partial} left without their day (flagged), "
          f"{len(results) - days - partial} other\n")
    pages = sum(r["pages"] for r in results)
    def per_page(src: str, key: str) -> float:
        return sum(r[src].get(key, 0.0) for r in results) / pages

    for label, src in (("wall", "wall"), ("CPU", "cpu")):
        raw = per_page(src, "tess_raw")
        path = per_page(src, "scan") + per_page(src, "layout") + per_page(src, "postfix")
        print(f"time per page ({label}): raw tesseract {raw:.2f} s | scan path {path:.2f} s "
              f"→ {path / raw:.2f}× raw (target ≤ 1.2×)")
    parts = ("cleanup", "tesseract", "missed", "stamp", "blanks", "layout", "postfix")
    print("  scan path by step (wall, per page): " + " + ".join(f"{k} {per_page('wall', k):.3f}" for k in parts)
          + " s (decoding the JPEG is the rest)")
    med = statistics.median(r["wall"]["tess_raw"] / r["pages"] for r in results)
    print(f"  (median raw tesseract per page over documents: {med:.2f} s wall)")


def _iso(d: str) -> str:
    day, month, year = d.split("/")
    return f"{year}-{month}-{day}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--binarise", action="store_true", help="binarise the cleaned page (Sauvola) before OCR")
    ap.add_argument("--no-upscale", action="store_true", help="OCR 200-dpi pages at their own resolution")
    ap.add_argument("--no-photos", action="store_true", help="scans only, no phone photos")
    ap.add_argument("--dump", help="write each document's OCR text and reference text into this folder")
    ap.add_argument("--docs", help="comma-separated corpus names instead of the first --limit")
    ap.add_argument("--misses", action="count", default=0, help="list each document's missed fields (twice: and its first lines)")
    args = ap.parse_args()
    names = args.docs.split(",") if args.docs else documents(args.limit)
    opts = {"binarise": args.binarise, "no_upscale": args.no_upscale, "photos": not args.no_photos, "dump": args.dump}
    load = warm_up()  # in this process too: measured once, where nothing else runs
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, initializer=warm_up) as pool:
        results = list(pool.map(run_document, [(i, n, opts) for i, n in enumerate(names)]))
    report(results, time.perf_counter() - t0)
    print(f"  once per worker process, not in the figures above: loading the post-correction dictionary {load:.2f} s")
    if args.misses:
        for r in results:
            print(f"\n{r['name']}{' (photo)' if r['photo'] else ''}:")
            for m in r["misses"]:
                print("   ", m[:200])
            if args.misses > 1:
                print(r["head"])


if __name__ == "__main__":
    main()
