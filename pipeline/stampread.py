"""The incoming stamp (``ĐẾN``) read on its own, apart from the header it is pressed onto.

:func:`pipeline.imageprep.prepare_page` finds the stamp from its coloured ink and keeps its crop
(ink dark, the black print under it white). :func:`stamp_reading` reads that crop: the ``ĐẾN``
mark, then its ``Số:`` and ``Ngày:`` rows; each value is read twice more as digits
(:func:`pipeline.handwriting.read_digits`, in the run :func:`pipeline.ocr.ocr_image` shares with
the header's blanks) and :func:`stamp_result` keeps it only when the readings agree — a clerk's
hand is read wrong often enough that a single reading would put wrong numbers in the register
(measured on 24 rendered stamps: one reading 8 numbers right and 7 wrong; the vote 13 right,
1 wrong, 10 left empty). :func:`stamp_words` hands the result to reading order as words
above the page, so the text the extractors see starts with a clean block

    ĐẾN
    Số: 4521
    Ngày: 17/10/2023

that :mod:`extractors.stamp` turns into ``received_number`` / ``received_date`` — and none of the
stamp's ink is mixed into the issuer, number or date lines it covered.

>>> print(stamp_block("SỞ TÀI CHÍNH\\nĐÉN\\nSố: ¡4Ô7\\nNgày: O5⁄12/2023"))
ĐẾN
Số: 1407
Ngày: 05/12/2023
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex as re
from PIL import Image, ImageOps

from pipeline.handwriting import DIGITS_DPI, agree, date_value, digits_value, row_indexes, scaled
from pipeline.imageprep import STAMP_DPI, PreparedPage
from pipeline.layout import fold as _fold

_DEN = re.compile(r"(?<![a-z])[dđ]\W?[eê]\W?n(?![a-z])")
_NUMBER_LABEL = re.compile(r"^\W*[s$5][^\s]{0,2}[:.]?$")


def _rows(words: list) -> list[list]:
    """Words grouped into rows (:func:`pipeline.handwriting.row_indexes`)."""
    return [[words[i] for i in row] for row in row_indexes(words)]


def stamp_fields(rows: list[list]) -> tuple[bool, list | None, list | None]:
    """From a stamp's OCR rows: whether ``ĐẾN`` is there, the number's row and the date's row.

    After ``ĐẾN`` the stamp has its ``Số:`` row, then its ``Ngày:`` row (each a label, then a value).
    """
    den = next((i for i, r in enumerate(rows) if len(r) <= 2 and _DEN.search(_fold(" ".join(w.text for w in r)))), None)
    after = [r for r in (rows[den + 1:] if den is not None else rows) if len(r) >= 2]
    number_row = date_row = None
    for r in after:
        if number_row is None and (den is not None or _NUMBER_LABEL.match(_fold(r[0].text))):
            number_row = r
        elif number_row is not None and date_row is None:
            date_row = r
    return den is not None, number_row, date_row


def _value_crops(image: Image.Image, rows: list[list]) -> list[Image.Image]:
    """The value part of each row (after its label), up to the stamp's right frame, on white, at
    :data:`pipeline.handwriting.DIGITS_DPI` (the stamp's crop is at :data:`STAMP_DPI`)."""
    a = np.asarray(image) < 128
    cols = a.mean(axis=0)
    frame = [x for x in range(int(image.width * 0.8), image.width) if cols[x] > 0.4]
    crops = []
    for r in rows:
        top, bottom = min(w.top for w in r[1:]), max(w.bottom for w in r[1:])
        h = bottom - top
        right = min(frame) - int(0.1 * h) if frame else image.width
        box = (int(max(0, r[1].x0 - 0.15 * h)), int(max(0, top - 0.35 * h)), max(int(r[1].x0) + 1, right), int(bottom + 0.35 * h))
        crops.append(scaled(ImageOps.expand(image.crop(box), 20, 255), DIGITS_DPI / STAMP_DPI))
    return crops


@dataclass(frozen=True)
class StampReading:
    """The stamp read with ``vie``: its rows, and the crops of its values to read as digits."""

    den: bool
    rows: dict[str, list]
    """``number`` and/or ``date``: the row's words (its label first)."""
    crops: list[Image.Image]
    """The value of each of :attr:`rows`, in its order, cut out for the digits-only readings
    (:func:`pipeline.handwriting.read_digits`)."""
    confidence: float


def stamp_reading(page: PreparedPage) -> StampReading | None:
    """The first reading of the stamp's crop (``vie``, one block); ``None`` when no ``Số`` row
    is found (or there is no stamp)."""
    from pipeline.ocr import LANG
    from pipeline.readers import ReadError
    from pipeline.tesseract import read

    if page.stamp_image is None:
        return None
    try:
        words = read(page.stamp_image, STAMP_DPI, LANG, psm=6).words
    except ReadError:
        return None
    den, number_row, date_row = stamp_fields(_rows(words))
    rows = {k: r for k, r in (("number", number_row), ("date", date_row)) if r}
    if not rows:
        return None
    confs = [w.conf for w in words if w.conf is not None]
    return StampReading(den, rows, _value_crops(page.stamp_image, list(rows.values())),
                        sum(confs) / len(confs) if confs else 0.0)


def stamp_result(reading: StampReading, second: list[str], third: list[str]) -> tuple[str, float] | None:
    """The ``ĐẾN`` block from the three readings of each value (``second`` and ``third``: the
    digits-only readings of :attr:`StampReading.crops`), and the stamp's mean word confidence."""
    values = {key: agree(" ".join(w.text for w in row[1:]), digits_value if key == "number" else date_value, b, c)
              for (key, row), b, c in zip(reading.rows.items(), second, third, strict=True)}
    block = _block(reading.den, values.get("number"), values.get("date"))
    return (block, reading.confidence) if block else None


def _block(den: bool, number: str | None, date: str | None) -> str | None:
    """The block handed to the extractors — only with its number: :mod:`extractors.stamp` takes
    the first ``Số`` within six lines of ``ĐẾN``, which without ours would be the document's own
    (and the header under it would be blanked out with the stamp)."""
    if not number or not (den or date):
        return None
    return "\n".join(["ĐẾN", f"Số: {number}"] + ([f"Ngày: {date}"] if date else []))


def stamp_block(ocr_text: str) -> str | None:
    """The ``ĐẾN`` / ``Số:`` / ``Ngày:`` block from a stamp's OCR text (one reading only; ``None``
    if it is not an incoming stamp). Look-alike letters are read as digits; a value that still is
    not one is left out.

    >>> print(stamp_block("SỞ TÀI CHÍNH\\nĐÉN\\nSố: ¡4Ô7\\nNgày: O5⁄12/2023"))
    ĐẾN
    Số: 1407
    Ngày: 05/12/2023
    """
    from pipeline.layout import Word

    rows = [[Word(t, 0, 0, 0, 0) for t in line.split()] for line in ocr_text.splitlines() if line.split()]
    den, number_row, date_row = stamp_fields(rows)
    number = digits_value(" ".join(w.text for w in number_row[1:])) if number_row else None
    date = date_value(" ".join(w.text for w in date_row[1:])) if date_row else None
    return _block(den, number, date)


def stamp_words(block: str, page: PreparedPage, confidence: float | None = None) -> list:
    """The stamp's block as OCR words placed *above* the page's top edge, at the left margin, and
    an empty word under them (a blank line).

    Reading order (:mod:`pipeline.layout`) then puts its lines before everything else on the page,
    on lines of their own and apart from the header, where :mod:`extractors.stamp` looks for them.
    """
    from pipeline.layout import Word

    h = page.dpi * 13 / 72 * 0.75  # a 13-pt line's box
    x_start = page.image.width * 0.15  # at the text's left margin: the layout measures the text box by it
    lines = [*block.splitlines(), ""]
    words = []
    for i, line in enumerate(lines):
        top = -(len(lines) - i) * 2.2 * h - h
        x = x_start
        if not line:
            words.append(Word("", x, top, x + h, top + h))
        for token in line.split():
            wd = len(token) * 0.55 * h
            words.append(Word(token, x, top, x + wd, top + h, conf=None if confidence is None else round(confidence, 1)))
            x += wd + 0.3 * h
    return words
