"""Handwritten values on scans, read twice before they are believed.

A clerk (văn thư) writes the document's number and day by hand into the printed blanks
(``Số:      /QĐ-UBND``, ``ngày    tháng 4 năm 2026``), and the incoming number and date into the
``ĐẾN`` stamp. Tesseract's Vietnamese model reads printed text well and handwriting badly — and
it reads a clerk's ``1943`` as ``19443`` with the same confidence it gives print (measured: 83 for
that wrong reading, 41 for a correct printed ``1468/SGDĐT-GDTTH``), so its confidence cannot
tell a right reading from a wrong one. What can: a second and third reading of the same blank,
digits only (``0-9/`` whitelisted, :data:`DIGIT_LANG`), at two sizes. A value is kept only when the
readings agree (:func:`agree`); otherwise it is left empty and the record goes to review, which is
what an archivist wants — an empty field to fill in, never a wrong number in the register.

:func:`check_blanks` finds the header's number and day on an OCR'd page, reads each one that sits
apart from its print (a blank filled in by hand) or was read with low confidence, and returns
the page's words with the agreed value in place (or ``?`` for a number, nothing for a day, when
the readings disagree) and what it decided, for :class:`schemas.SourceInfo`.

>>> digits_value("¡4Ô7"), digits_value("1z >b"), date_value("O5⁄12/2023"), day_value("3l")
('1407', None, '05/12/2023', '31')
>>> agree("19443", digits_value, "1943", "1943"), agree("1943", digits_value, "1943", "1948")
(None, '1943')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import regex as re
from PIL import Image, ImageOps

DIGITISH = str.maketrans({"O": "0", "o": "0", "Ô": "0", "Ö": "0", "Ø": "0", "D": "0", "Q": "0", "I": "1", "l": "1",
                          "i": "1", "|": "1", "]": "1", "[": "1", "!": "1", "¡": "1", "Z": "2", "z": "2", "S": "5",
                          "s": "5", "B": "8", "g": "9", "q": "9", "⁄": "/"})
"""Letters and marks Tesseract puts where a digit was written."""
DIGIT_LANG = "eng"
"""Model for the digits-only readings: with ``0-9/`` whitelisted it reads handwritten-style digits
better than ``vie`` (measured on 24 rendered stamps: 15 numbers right against 8)."""
DIGITS_DPI = 300
DIGIT_SCALES = (1.0, 0.75)
"""Handwritten values are read as digits at :data:`DIGITS_DPI` and again at 3/4 of it: the
header's blanks and the stamp's values brought to it, all in one reading. Measured on the
handwritten blanks of 36 degraded corpus pages (numbers right/empty/wrong, days the same): at
400 and 200 dpi 22/3/0 and 25/4/1; at 300 and 225 dpi 22/3/0 and 27/2/1; at the page's own 200 dpi
and 100 the half-size reading came out empty nearly every time. The one wrong day (``5`` for a
``15`` whose ``1`` all readings lost) is kept flagged as handwritten, for review."""
SURE_DAY = 90.0
"""A day Tesseract read with at least this confidence is taken as print (printed days read 96–97;
the handwritten ones of bench_scans 20–93) and not read again."""
_DATE = re.compile(r"(\d{1,2})[/.,-](\d{1,2})[/.,-](\d{4}|\d{2})$")
_NUMBER_LABEL = re.compile(r"^s[o6]\W{0,2}$")
_SYMBOL_START = re.compile(r"^[/-]")
_MARKS = re.compile(r"[\s\p{Lm}\p{Sk}\p{Mn}'`‘’“”\"]")
"""Stray accents and quotes Tesseract hangs on handwriting (``Ö9ˆ``): not digits, not gaps."""
_EDGES = re.compile(r"^[_.,:;()-]+|[_.,:;()-]+$")
"""The blank's dotted line or a bracket read around a value (``12_``, ``9.``, ``(O3``)."""


def digits_value(text: str) -> str | None:
    """``text`` as a number (look-alike letters read as digits); ``None`` if it is not one."""
    d = text.translate(DIGITISH).replace(" ", "")
    return d if d.isdigit() and len(d) <= 6 else None


def day_value(text: str) -> str | None:
    """``text`` as a day of the month, ``01``–``31`` (``None`` if it is not one): ``9`` and
    ``09`` are the same day.

    >>> day_value("9"), day_value("O9"), day_value("32")
    ('09', '09', None)
    """
    d = digits_value(text)
    return f"{int(d):02d}" if d and len(d) <= 2 and 1 <= int(d) <= 31 else None


def date_value(text: str) -> str | None:
    """``text`` as a ``dd/mm/yyyy`` date (look-alikes read as digits); ``None`` if it is not one."""
    m = _DATE.search(text.translate(DIGITISH).replace(" ", ""))
    if not m or not (1 <= int(m[1]) <= 31 and 1 <= int(m[2]) <= 12) or (len(m[3]) == 4 and not 1975 <= int(m[3]) <= 2100):
        return None
    return f"{int(m[1]):02d}/{int(m[2]):02d}/{m[3]}"


def agree(first: str, parse: Callable[[str], str | None], second: str, third: str) -> str | None:
    """The value three readings agree on, or ``None``.

    ``first`` is the page's own reading (``vie``); ``second`` and ``third`` the digits-only
    readings of the same pixels at two sizes, which share their mistakes — so the first is the
    independent one. Kept: its value (the blank's dotted line or a bracket read around it left
    out: ``12_``, ``(O3``) when a digit reading agrees; or, when it is no value at all (``45?1``,
    ``1”.10/2023``), the digit readings' common value if it fits what the first does show (a
    number: same length, same digits where it has digits; a date: its year).

    >>> agree("45?1", digits_value, "4521", "4521"), agree("45?1", digits_value, "4527", "4527")
    ('4521', None)
    >>> agree("Ö9ˆ", day_value, "09", "09"), agree("Ö9ˆ", day_value, "08", "08")
    ('09', None)
    >>> agree("12_", day_value, "12", ""), agree("9.", day_value, "09", ""), agree("6", day_value, "16", "16")
    ('12', '09', None)
    """
    first = _EDGES.sub("", _MARKS.sub("", first))
    a, b, c = parse(first), parse(second), parse(third)
    if a:
        return a if a in (b, c) else None
    if not (b and b == c):
        return None
    shown = first.translate(DIGITISH)
    if parse is date_value:
        return b if b[-4:] in shown else None  # its year, at least, is there to see
    if len(shown) != len(b) or any(s.isdigit() and s != d for s, d in zip(shown, b, strict=True)):
        return None
    return b


def scaled(image: Image.Image, factor: float) -> Image.Image:
    """``image`` resized by ``factor`` (Lanczos; the image itself when the factor is 1)."""
    if factor == 1:
        return image
    return image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))), Image.LANCZOS)


def read_digits(crops: list[Image.Image], scales: tuple[float, ...] = DIGIT_SCALES) -> list[list[str]]:
    """Each crop (at :data:`DIGITS_DPI`) read as one line of ``0-9/``, at each of ``scales``: one
    reading for all, the crops stacked on one sheet with gaps (each reading has its own page
    analysis to pay for).

    Returns one list per scale, one string per crop; empty strings when the reading fails (no value
    is then agreed on: each is left empty), and no reading at all without crops.
    """
    from pipeline.readers import ReadError
    from pipeline.tesseract import languages, read

    if not crops:
        return [[] for _ in scales]
    items = [scaled(c, s) for s in scales for c in crops]
    gap = max(c.height for c in items) // 2
    sheet = Image.new("L", (max(c.width for c in items), sum(c.height for c in items) + gap * len(items)), 255)
    bands, y = [], 0
    for c in items:
        sheet.paste(c.convert("L"), (0, y))
        bands.append((y, y + c.height))
        y += c.height + gap
    lang = DIGIT_LANG if DIGIT_LANG in languages() else "vie"
    try:
        words = read(sheet, DIGITS_DPI, lang, psm=6, variables={"tessedit_char_whitelist": "0123456789/"}).words
    except ReadError:
        return [[""] * len(crops) for _ in scales]
    read = ["".join(w.text for w in sorted(words, key=lambda w: w.x0) if a <= w.cy < b) for a, b in bands]
    return [read[k * len(crops):(k + 1) * len(crops)] for k in range(len(scales))]


# --- the header's blanks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Blank:
    """A value written into a header blank, and what the readings made of it."""

    field: str
    """``number`` (after ``Số:``) or ``day`` (after ``ngày``)."""
    first: str
    """What the page's OCR read there."""
    value: str | None
    """The value the readings agree on; ``None`` when they do not (the field is left empty)."""


@dataclass
class _Candidate:
    field: str
    indexes: tuple[int, ...]
    """The value's words in the page's word list: one, or two when the OCR split a handwritten
    value (``ngày 1 Z_ tháng``)."""
    box: tuple[float, float, float, float]  # the blank: from the label's right edge to the next word's left


def row_indexes(words: list) -> list[list[int]]:
    """Indexes of ``words`` grouped into rows by their vertical centres, top to bottom, each left
    to right (a word joins a row whose centre is within 0.6 of its height)."""
    rows: list[tuple[float, list[int]]] = []
    for i in sorted(range(len(words)), key=lambda i: words[i].cy):
        w = words[i]
        if rows and abs(rows[-1][0] - w.cy) < 0.6 * (w.bottom - w.top):
            rows[-1][1].append(i)
        else:
            rows.append((w.cy, [i]))
    return [sorted(r, key=lambda i: words[i].x0) for _, r in rows]


def _candidates(words: list, height: float) -> list[_Candidate]:
    """The number and the day of the header, where they may have been written by hand."""
    from pipeline.layout import fold

    top = [w for w in words if 0 <= w.cy < 0.4 * height]
    index = {id(w): i for i, w in enumerate(words)}
    found: dict[str, _Candidate] = {}
    for row in row_indexes(top):
        ws = [top[i] for i in row]
        for k, n in ((k, n) for k in range(len(ws) - 2) for n in (1, 2) if k + n + 1 < len(ws)):
            label, values, after = ws[k], ws[k + 1:k + 1 + n], ws[k + 1 + n]
            folded = fold(label.text).lower()
            text = "".join(v.text for v in values)
            h = max(*(v.bottom - v.top for v in values), label.bottom - label.top)
            box = (label.x1 + 0.1 * h, min(label.top, *(v.top for v in values)) - 0.3 * h, after.x0 - 0.1 * h,
                   max(label.bottom, *(v.bottom for v in values)) + 0.3 * h)
            indexes = tuple(index[id(v)] for v in values)
            if "number" not in found and _NUMBER_LABEL.match(folded) and _SYMBOL_START.match(after.text) \
                    and "/" not in text and len(text) <= 6:
                # a number apart from its symbol: written into the blank of `Số:      /QĐ-UBND`
                found["number"] = _Candidate("number", indexes, box)
            elif "day" not in found and folded == "ngay" and fold(after.text).lower() == "thang" and len(text) <= 3 + n - 1 \
                    and (day_value(text) is None or min(v.conf or 0 for v in values) < SURE_DAY):
                found["day"] = _Candidate("day", indexes, box)
    return list(found.values())


def blank_crops(image: Image.Image, words: list, dpi: int) -> tuple[list[_Candidate], list[Image.Image]]:
    """The header's number and day that may be handwritten (:func:`_candidates`), and each one's
    blank cut out of ``image`` (the ``dpi`` page the words were read from: their boxes are its
    pixels), at :data:`DIGITS_DPI`."""
    candidates = _candidates(words, image.height)
    crops = []
    for c in candidates:
        x0, t, x1, b = (round(v) for v in c.box)
        crop = image.crop((max(0, x0), max(0, t), max(x0 + 1, x1), max(t + 1, b))).convert("L")
        crops.append(ImageOps.expand(scaled(crop, DIGITS_DPI / dpi), 20, 255))
    return candidates, crops


def decide_blanks(words: list, candidates: list[_Candidate], second: list[str], third: list[str]) -> tuple[list, list[Blank]]:
    """The page's words with each candidate's agreed value in place (``?`` for a number the
    readings do not agree on, nothing for a day), and what was decided."""
    out, blanks, gone = list(words), [], set()
    for c, s, t in zip(candidates, second, third, strict=True):
        first = " ".join(words[i].text for i in c.indexes)
        value = agree(first, digits_value if c.field == "number" else day_value, s, t)
        blanks.append(Blank(c.field, first, value))
        head, *rest = c.indexes
        out[head] = replace(words[head], text=value or ("?" if c.field == "number" else ""),
                            x1=max(words[i].x1 for i in c.indexes))
        gone.update(rest)  # a value split in two: one word now
    return [w for i, w in enumerate(out) if i not in gone], blanks


def check_blanks(image: Image.Image, words: list, dpi: int) -> tuple[list, list[Blank]]:
    """The page's words with its handwritten number and day read again, and what was decided.

    ``image`` is the page the words were read from (their boxes are its pixels). A number the
    readings agree on replaces the page's reading; one they do not agree on becomes ``?`` (the
    extractors then leave the number empty and ask for review); a day becomes an empty word (the
    issue date keeps its month and year). :func:`pipeline.ocr.ocr_image` does the same in steps
    (:func:`blank_crops`, :func:`read_digits`, :func:`decide_blanks`), to read these blanks and
    the incoming stamp's values in one reading.

    >>> from pipeline.layout import Word
    >>> page = Image.new("L", (2480, 3508), 255)
    >>> words, blanks = check_blanks(page, [Word("Hà", 1400, 300, 1460, 340, conf=96)], 300)
    >>> blanks, [w.text for w in words]
    ([], ['Hà'])
    """
    candidates, crops = blank_crops(image, words, dpi)
    if not candidates:
        return words, []
    second, third = read_digits(crops)
    return decide_blanks(words, candidates, second, third)
