"""Read a PDF into text: the text layer with its layout rebuilt, OCR for pages that have none.

Born-digital pages are read with pdfplumber word by word (font name and size kept), legacy
``.VnTime``/``VNI-Times`` text converted to Unicode, and the page put back in reading order by
:mod:`pipeline.layout` (two-column header, ``Nơi nhận`` / signer block, footnotes, no running
headers or page numbers). A page without a text layer — a scan, or a scanned page inside a
born-digital file — is rasterised and read by :mod:`pipeline.ocr`, page by page.

Refused with :class:`~pipeline.readers.ReadError`: a file that is not a PDF, a truncated or
damaged one, a password-protected one, one with no pages, one with no text at all.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "cut.pdf"; _ = p.write_bytes(b"%PDF-1.7\\n1 0 obj <<")
>>> read_pdf(p, p.read_bytes())
Traceback (most recent call last):
...
pipeline.readers.ReadError: truncated PDF (no %%EOF end marker): the file was cut short, e.g. by an interrupted download or copy
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.layout import PageWords, Word, join_pages, make_rows, order_pages, segments
from pipeline.readers import Page, ReadError, ReadResult, sha256_of

MIN_TEXT_CHARS = 20
"""A page whose text layer has fewer visible characters than this is treated as a scan."""

OCR_DPI = 300


@dataclass
class _PdfPage:
    words: PageWords
    method: str
    confidence: float | None = None


def _check_bytes(data: bytes) -> None:
    head = data[:1024]
    if b"%PDF-" not in head:
        raise ReadError("not a PDF: the file does not start with a %PDF header")
    if b"%%EOF" not in data[-2048:]:
        raise ReadError(
            "truncated PDF (no %%EOF end marker): the file was cut short, e.g. by an interrupted download or copy"
        )


_ENCRYPTED = "encrypted PDF: it cannot be opened without a password; save an unprotected copy"


def _is_password_error(exc: BaseException) -> bool:
    """pdfminer's password errors, also when pdfplumber wraps them (``PdfminerException(PDFPasswordIncorrect())``)."""
    inner = [exc, *(a for a in exc.args if isinstance(a, BaseException))]
    return any("Password" in type(e).__name__ or "Encrypt" in type(e).__name__ for e in inner)


@contextmanager
def open_pdf(data: bytes) -> Iterator:
    """pdfplumber's PDF object for ``data``; :class:`ReadError` if encrypted, damaged or empty."""
    import pdfplumber

    _check_bytes(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        if _is_password_error(exc):
            raise ReadError(_ENCRYPTED) from None
        raise ReadError(f"damaged PDF: cannot be parsed ({type(exc).__name__}: {exc})") from None
    try:
        try:
            n = len(pdf.pages)
        except Exception as exc:
            if _is_password_error(exc):
                raise ReadError(_ENCRYPTED) from None
            raise ReadError(f"damaged PDF: its page tree cannot be read ({type(exc).__name__}: {exc})") from None
        if n == 0:
            raise ReadError("PDF has no pages")
        yield pdf
    finally:
        pdf.close()


def _words_of(page) -> list[Word]:
    """pdfplumber words of a page, legacy-font text converted."""
    from extractors.legacy import convert_font_text, font_encoding

    out, legacy = [], []
    for w in page.extract_words(extra_attrs=["fontname", "size"], keep_blank_chars=False, use_text_flow=False):
        word = Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], size=float(w.get("size") or 0.0))
        if font_encoding(w.get("fontname")):
            word.text = convert_font_text(word.text, w["fontname"], recase=False)
            legacy.append(word)
        out.append(word)
    if legacy:
        _recase_lines(legacy)
    return out


def _recase_lines(words: list[Word]) -> None:
    """Give TCVN3 text typed in capitals its toned capitals back, judging each line (each column
    of a line) as a whole: ``Së N¤NG NGHIÖP`` is ``SỞ NÔNG NGHIỆP``."""
    from extractors.legacy import recase_caps

    for row in make_rows(words):
        for seg in segments(row):
            cased = recase_caps(" ".join(w.text for w in seg)).split(" ")
            if len(cased) == len(seg):
                for w, t in zip(seg, cased, strict=True):
                    w.text = t


def _visible_chars(words: list[Word]) -> int:
    return sum(len(w.text.strip()) for w in words)


def read_pdf(path: Path, data: bytes) -> ReadResult:
    """Read a PDF file (``data`` are its bytes) into a :class:`~pipeline.readers.ReadResult`."""
    warnings: list[str] = []
    pages: list[_PdfPage] = []
    scanned: list[int] = []
    dpis: dict[int, int] = {}
    colour: set[int] = set()
    handwritten: dict[str, str | None] = {}
    layers: dict[int, bytes] = {}
    with open_pdf(data) as pdf:
        for i, page in enumerate(pdf.pages):
            try:
                words = _words_of(page)
            except Exception as exc:  # one bad page should not lose the others
                warnings.append(f"page {i + 1}: text layer unreadable ({type(exc).__name__}); read by OCR")
                words = []
            if _visible_chars(words) < MIN_TEXT_CHARS and page.images:  # no text, no image: a blank page
                scanned.append(i)
                dpis[i] = _scan_dpi(page)
                if _in_colour(page):
                    colour.add(i)
            pages.append(_PdfPage(PageWords(words, float(page.width), float(page.height)), "pdf-text"))
            page.close()  # drop pdfplumber's per-page caches: a 300-page file stays small
    if scanned:
        from pipeline.ocr import ocr_pdf_pages, scan_facts

        results = ocr_pdf_pages(data, scanned, dpi={i: dpis.get(i, OCR_DPI) for i in scanned}, colour=colour)
        handwritten, layers = scan_facts(dict(zip(scanned, results, strict=True)))
        for i, result in zip(scanned, results, strict=True):
            if result.words.words or _visible_chars(pages[i].words.words) == 0:
                pages[i] = _PdfPage(result.words, "ocr", result.confidence)
            if result.rotation:
                warnings.append(f"page {i + 1} was turned {result.rotation}° to be read upright")
        if len(scanned) < len(pages):
            warnings.append(f"mixed PDF: page(s) {', '.join(str(i + 1) for i in scanned)} had no text layer and were read by OCR")
    texts = order_pages([p.words for p in pages])
    if not any(t.strip() for t in texts):
        raise ReadError("no text found: the PDF's pages are blank or hold only pictures without readable text")
    text, spans = join_pages(texts)
    return ReadResult(
        text=text, sha256=sha256_of(data), media_type="application/pdf", encoding=None,
        pages=[Page(i + 1, a, b, p.method, p.confidence) for i, ((a, b), p) in enumerate(zip(spans, pages, strict=True))],
        warnings=warnings, handwritten=handwritten, text_layers=layers,
    )


GREY_SPACES = frozenset({"DeviceGray", "CalGray"})


def _in_colour(page) -> bool:
    """Whether a scanned page's largest image is in colour (not grey, not black and white)."""
    images = [im for im in page.images if im.get("srcsize")]
    if not images:
        return False
    im = max(images, key=lambda im: im["srcsize"][0] * im["srcsize"][1])
    if im.get("bits") == 1 or im.get("imagemask"):
        return False
    spaces = im.get("colorspace") or []
    names = {str(getattr(c, "name", c)).strip("/'") for c in (spaces if isinstance(spaces, list) else [spaces])}
    return not (names & GREY_SPACES)


def _scan_dpi(page) -> int:
    """The resolution to rasterise a scanned page at: its largest image's, within 150–300 dpi."""
    best = 0.0
    for im in page.images:
        width_pt = float(im.get("x1", 0)) - float(im.get("x0", 0))
        src = im.get("srcsize") or (0, 0)
        if width_pt > 0 and src[0]:
            best = max(best, src[0] / (width_pt / 72))
    return int(min(OCR_DPI, max(150, round(best)))) if best else OCR_DPI
