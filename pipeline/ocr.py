"""OCR with Tesseract's Vietnamese model: scans, photos and image-only PDF pages into text.

Each page image is greyscaled, turned upright (rotation detection), deskewed (the angle measured
from the text lines by a projection profile), read by Tesseract's ``vie`` model as word boxes,
and put back in reading order by :mod:`pipeline.layout` — the same column rules as born-digital
PDFs, so the two-column header and the ``Nơi nhận`` / signer block come out column by column.
Each page carries its mean word confidence (``Page.ocr_confidence``, 0–100).

Tesseract runs in process, through its library (:mod:`pipeline.tesseract`: the model loaded once
per engine, the page handed over in memory, a deadline per page) rather than as the ``tesseract``
program, or pytesseract, which runs that program through temporary files and reloads the model on
every page. Pages are OCR'd by up to ``CONGVAN_OCR_WORKERS`` (default 2) threads at once, each
with its own engine.

Rotation: a page read with a mean confidence under :data:`LOW_CONFIDENCE` is checked with
Tesseract's orientation detection (the ``osd`` model, Debian ``tesseract-ocr-osd``) and, when turned
90/180/270°, read again upright; normal pages pay nothing for this.

>>> from PIL import Image
>>> read_image_bytes(b"not an image")
Traceback (most recent call last):
...
pipeline.readers.ReadError: not a readable image (PNG, JPEG or TIFF expected)
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pipeline import tesseract as tess
from pipeline.layout import PageWords, Word, join_pages, order_pages
from pipeline.readers import Page, ReadError, ReadResult, sha256_of

if TYPE_CHECKING:
    from pipeline.handwriting import Blank

LANG = "vie"
PSM = 11
"""Tesseract's sparse-text segmentation. The default (3) joins the two columns of a header or
closing block into one text line when they sit at the same height, and the line recogniser then
reads the narrower column as garbage (``- Như trên;`` → ``g5 Sebassjft``); sparse text finds each
column's lines on their own, and :mod:`pipeline.layout` puts them in order. Measured on four
scanned corpus documents: field macro-F1 0.922 with psm 3, 0.958 with psm 11, same speed."""
READ_VARIABLES = {"tessedit_do_invert": "0"}
"""Tesseract's settings for reading a page. ``tessedit_do_invert=0``: by default every line read
with low confidence is read a second time inverted (for white text on dark), which dispatches do
not have; measured in bench/bench_inputs.py and bench/bench_scans.py (see the README)."""
LOW_CONFIDENCE = 70.0
"""Mean word confidence under which a page is checked for rotation."""
MAX_SKEW = 5.0
"""Degrees; skew beyond this is not looked for (a photo, not a scan)."""
DEFAULT_DPI = 300
MAX_DPI = 400
"""Images finer than this are scaled down to :data:`DEFAULT_DPI` first (same accuracy, faster)."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class OcrPage:
    """One page read by OCR: words in pixel units of the upright, deskewed image."""

    words: PageWords
    confidence: float | None
    skew: float = 0.0
    """Degrees the page was turned back by (deskew)."""
    rotation: int = 0
    """Degrees clockwise the page was turned to be upright (0, 90, 180, 270)."""
    blanks: list[Blank] = field(default_factory=list)
    """The header's handwritten number and day, and what their readings agreed on."""
    text_layer: bytes | None = None
    """With ``text_layer=True``: a one-page PDF holding only the words, invisible, in place."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds each step took: ``cleanup``, ``tesseract``, ``missed``, ``stamp``, ``blanks``."""


def workers() -> int:
    """How many pages are OCR'd at once, each by its own engine (``CONGVAN_OCR_WORKERS``, default 2)."""
    try:
        return max(1, int(os.environ.get("CONGVAN_OCR_WORKERS", "2")))
    except ValueError:
        return 2


def tesseract() -> None:
    """Check OCR can run: :class:`ReadError` if Tesseract or its Vietnamese model is missing."""
    with tess.engine(LANG):
        pass


def has_osd() -> bool:
    """Whether Tesseract's orientation model (``osd``, Debian ``tesseract-ocr-osd``) is installed."""
    return "osd" in tess.languages()


def parse_tsv(tsv: str) -> list[Word]:
    """Word boxes of the ``tesseract`` program's TSV output (level 5 rows with text), kept as
    :func:`pipeline.tesseract.make_word` keeps them (for comparisons with the program)."""
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        word = tess.make_word(row.get("text") or "", float(row.get("conf") or -1), x, y, x + w, y + h)
        if word:
            words.append(word)
    return words


def measure_skew(img, max_angle: float = MAX_SKEW) -> float:
    """The angle (degrees, PIL's counter-clockwise sense) the text lines of ``img`` are turned by.

    Projection profile: the dark pixels are projected onto the vertical axis along lines of
    each candidate slope; the slope that stacks them into the sharpest rows (largest sum of
    squared row counts) is the text's. Coarse to fine: 0.5°, 0.1°, then 0.02° steps.
    """
    import numpy as np

    small = img.reduce(img.width // 1000) if img.width >= 2000 else img  # box filter: cheap
    a = np.asarray(small)
    ys, xs = np.nonzero(a < 140)
    if len(ys) < 200:
        return 0.0
    step = len(ys) // 80_000 + 1  # enough points; a stride keeps every part of the page
    ys, xs = ys[::step], xs[::step]
    xs = xs.astype(np.float64) - small.width / 2
    offset = small.height + small.width

    def sharpness(deg: float) -> float:
        y = np.round(ys - xs * np.tan(np.radians(deg))).astype(np.int64) + offset
        counts = np.bincount(y).astype(np.float64)
        return float((counts**2).sum())

    best = 0.0
    for step, span in ((0.5, max_angle), (0.1, 0.5), (0.02, 0.1)):
        candidates = np.arange(best - span, best + span + step / 2, step)
        best = float(max(candidates, key=sharpness))
    return -best


def _upright(img, rotation: int):
    from PIL import Image

    if rotation % 360 == 0:
        return img
    return img.transpose({90: Image.ROTATE_270, 180: Image.ROTATE_180, 270: Image.ROTATE_90}[rotation % 360])


def detect_rotation(img, dpi: int) -> int:
    """Degrees clockwise to turn ``img`` upright, by Tesseract's orientation detection (0 if unsure)."""
    if not has_osd():
        return 0
    rotate, confidence = tess.orientation(img, dpi)
    return rotate if confidence >= 2.0 else 0


def _mean_conf(words: list[Word]) -> float | None:
    confs = [w.conf for w in words if w.conf is not None]
    return round(sum(confs) / len(confs), 1) if confs else None


def prepare(img, dpi: int | None):
    """Greyscale at a sensible resolution: ``(image, dpi)``."""
    from PIL import Image

    if img.mode not in ("L",):
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            white = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, img)
        img = img.convert("L")
    dpi = int(dpi or 0) or max(100, round(img.width / 8.27))  # no resolution: assume an A4 page
    if dpi > MAX_DPI:
        scale = DEFAULT_DPI / dpi
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
        dpi = DEFAULT_DPI
    return img, dpi


def read_page(img, dpi: int, text_layer: bool) -> tuple[list[Word], bytes | None]:
    """Word boxes of one upright page, and with ``text_layer`` its invisible-text PDF page
    (the words only, to lay over the original image; ~0.05 s more)."""
    got = tess.read(img, dpi, LANG, PSM, READ_VARIABLES, text_layer=text_layer)
    return got.words, got.text_layer


def ocr_image(img, dpi: int | None = None, text_layer: bool = False) -> OcrPage:
    """OCR one page image (any PIL mode): cleaned, upright, deskewed; word boxes and confidence.

    The steps (each timed in :attr:`OcrPage.timings`):

    1. :func:`pipeline.imageprep.prepare_page` — red and blue ink (seals, stamps, signatures)
       dropped, uneven light divided out, low resolution scaled up, skew undone;
    2. ``tesseract -l vie`` on the clean page (turned upright first when it reads badly);
    3. a word alone on its line that the page's reading dropped (an urgency mark) read on its own
       (:mod:`pipeline.missed_words`);
    4. the incoming ``ĐẾN`` stamp read on its own (:mod:`pipeline.stampread`), its block placed
       as words above the page so it is not mixed into the header it covers;
    5. a number or day written by hand into the header's blanks, and the stamp's values, read
       again as digits (:mod:`pipeline.handwriting`, one run for all), kept only when the
       readings agree.
    """
    import time

    from PIL import Image

    from pipeline.handwriting import blank_crops, decide_blanks, read_digits
    from pipeline.imageprep import prepare_page
    from pipeline.missed_words import find_missed
    from pipeline.stampread import stamp_reading, stamp_result, stamp_words

    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - t
        t = now

    page = prepare_page(img, dpi)
    img, dpi, skew = page.image, page.dpi, page.skew
    lap("cleanup")
    words, layer = read_page(img, dpi, text_layer)
    conf = _mean_conf(words)
    rotation = 0
    if len(words) < 3 or (conf is not None and conf < LOW_CONFIDENCE):
        turn = detect_rotation(img, dpi)
        if turn:
            turned = _upright(img, turn)
            skew2 = measure_skew(turned)
            if abs(skew2) >= 0.1:
                turned = turned.rotate(-skew2, resample=Image.NEAREST, fillcolor=255)
            words2, layer2 = read_page(turned, dpi, text_layer)
            conf2 = _mean_conf(words2)
            if (conf2 or 0) > (conf or 0):
                img, words, layer, conf, rotation, skew = turned, words2, layer2, conf2, turn, skew + skew2
    lap("tesseract")
    words = words + find_missed(img, words, dpi)
    lap("missed")
    reading = stamp_reading(page) if rotation == 0 else None
    lap("stamp")
    # the stamp's values and the header's blanks read as digits in one reading
    candidates, crops = blank_crops(img, words, dpi)
    stamp_crops = reading.crops if reading else []
    second, third = read_digits(stamp_crops + crops)
    k = len(stamp_crops)
    received = stamp_result(reading, second[:k], third[:k]) if reading else None
    stamp = stamp_words(received[0], page) if received else []  # no confidence: the page's stays the print's
    words, blanks = decide_blanks(words, candidates, second[k:], third[k:])
    lap("blanks")
    return OcrPage(PageWords(words + stamp, float(img.width), float(img.height)), conf, round(skew, 2), rotation,
                   blanks, layer, {k: round(v, 4) for k, v in timings.items()})


T = TypeVar("T")
R = TypeVar("R")


def bounded_map(fn: Callable[[T], R], items: Iterable[T], n: int) -> Iterator[R]:
    """``map(fn, items)`` on ``n`` threads, in order, holding at most ``2n`` items at a time."""
    if n <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(n) as pool:
        pending: list[Future[R]] = []
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * n:
                yield pending.pop(0).result()
        for f in pending:
            yield f.result()


def ocr_images(images: Iterable[tuple[object, int | None]], n: int | None = None, text_layer: bool = True) -> list[OcrPage]:
    """OCR ``(image, dpi)`` pairs, ``n`` pages at a time (default :func:`workers`), each with its
    invisible text layer (for the searchable copy; ~0.05 s a page) unless told not to."""
    tesseract()
    return list(bounded_map(lambda pair: ocr_image(*pair, text_layer=text_layer), images, n or workers()))


def scan_facts(pages: dict[int, OcrPage]) -> tuple[dict[str, str | None], dict[int, bytes]]:
    """What :class:`~pipeline.readers.ReadResult` keeps of OCR'd pages (0-based index → page):
    the handwritten header values of the first page that has any, and each upright page's text layer."""
    handwritten: dict[str, str | None] = {}
    for p in pages.values():
        for b in p.blanks:
            handwritten.setdefault(b.field, b.value)
        if handwritten:
            break
    layers = {i: p.text_layer for i, p in pages.items() if p.text_layer and not p.rotation}
    return handwritten, layers


def rasterize_pdf(data: bytes, indexes: Iterable[int], dpi: int | dict[int, int] = DEFAULT_DPI,
                  colour: Collection[int] = ()) -> Iterator[tuple[object, int]]:
    """Images of the pages ``indexes`` (0-based) of a PDF, with pypdfium2: greyscale, or RGB for
    the pages in ``colour`` (a scanned page in colour: its seal, signature and stamp are told from
    the print by their colour, :mod:`pipeline.imageprep`)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        for i in indexes:
            d = dpi[i] if isinstance(dpi, dict) else dpi
            page = doc[i]
            try:
                grey = i not in colour
                yield page.render(scale=d / 72, grayscale=grey).to_pil().convert("L" if grey else "RGB"), d
            finally:
                page.close()
    finally:
        doc.close()


def ocr_pdf_pages(data: bytes, indexes: list[int], dpi: int | dict[int, int] = DEFAULT_DPI, n: int | None = None,
                  colour: Collection[int] = ()) -> list[OcrPage]:
    """OCR the pages ``indexes`` (0-based) of the PDF ``data``, rasterised at ``dpi`` (in colour:
    the pages in ``colour``)."""
    return ocr_images(rasterize_pdf(data, indexes, dpi, colour), n)


def open_frames(data: bytes) -> list[tuple[object, int | None]]:
    """The frames of an image file (a multi-page TIFF has several) with their resolution."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        frames = []
        for frame in ImageSequence.Iterator(img):
            f = ImageOps.exif_transpose(frame.copy())
            dpi = frame.info.get("dpi") or img.info.get("dpi")
            frames.append((f, round(float(dpi[0])) if dpi and float(dpi[0]) > 1 else None))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UnidentifiedImageError) or not data[:4].strip():
            raise ReadError("not a readable image (PNG, JPEG or TIFF expected)") from None
        raise ReadError(f"damaged image: {exc}") from None
    except Image.DecompressionBombError:
        raise ReadError("image too large to read safely (over 178 million pixels)") from None
    if not frames:
        raise ReadError("image has no frames")
    return frames


def read_image_bytes(data: bytes, media_type: str = "image") -> ReadResult:
    """OCR an image file's bytes into a :class:`~pipeline.readers.ReadResult` (one page per frame)."""
    frames = open_frames(data)
    pages = ocr_images(frames)
    texts = order_pages([p.words for p in pages])
    if not any(t.strip() for t in texts):
        raise ReadError("no text found: the image is blank or holds a picture without readable text")
    text, spans = join_pages(texts)
    handwritten, layers = scan_facts(dict(enumerate(pages)))
    warnings = []
    for i, p in enumerate(pages, 1):
        if p.rotation:
            warnings.append(f"page {i} was turned {p.rotation}° to be read upright")
        if p.confidence is not None and p.confidence < LOW_CONFIDENCE:
            warnings.append(f"page {i}: low OCR confidence ({p.confidence:.0f}/100); check the text")
    return ReadResult(
        text=text, sha256=sha256_of(data), media_type=media_type, encoding=None,
        pages=[Page(i + 1, a, b, "ocr", p.confidence) for i, ((a, b), p) in enumerate(zip(spans, pages, strict=True))],
        warnings=warnings, handwritten=handwritten, text_layers=layers,
    )


_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff", ".tiff": "image/tiff"}


def read_image(path: Path, data: bytes) -> ReadResult:
    """Reader for ``.png .jpg .jpeg .tif .tiff`` files (see :func:`read_image_bytes`)."""
    return read_image_bytes(data, _MEDIA.get(Path(path).suffix.lower(), "image"))
