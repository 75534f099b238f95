"""Stand-alone words Tesseract's page segmentation dropped, found as ink no word covers and read again.

An urgency or secrecy mark (``KHẨN``, ``MẬT``, ``HỎA TỐC``) is a short bold word alone on its
line, under the header. On a whole page Tesseract sometimes drops it — both in sparse-text mode
and in its default one — although a crop of the same pixels reads it at confidence 97. The page
then loses the mark, and the record its urgency. So, after the page is read:

1. the page's dark pixels are pooled into small cells, and the cells under or next to a word
   Tesseract read are taken out;
2. what is left is grouped into blocks (cells up to :data:`GAP_IN` apart); a block is a candidate
   when it is the size of a word of print (:data:`HEIGHT_IN`, :data:`WIDTH_IN`) and stands alone:
   no word read on its row within :data:`ALONE_IN` (a word lost inside a line of text is left to
   the post-correction, which knows its neighbours);
3. each candidate is read as one line; what it reads is kept only when every word is a Vietnamese
   syllable (:func:`extractors.spelling.is_syllable`) read with confidence
   :data:`MIN_CONFIDENCE` or more — rules, seal remains and specks read as anything else.

On the 23 office-scan pages of ``bench/bench_scans.py`` it costs ~10 ms a page (the block search;
a reading only when there is a candidate).

>>> from PIL import Image, ImageDraw
>>> from pipeline.layout import Word
>>> page = Image.new("L", (1654, 2339), 255)
>>> d = ImageDraw.Draw(page)
>>> d.rectangle((300, 300, 700, 330), fill=0)                        # a word that was read
>>> d.rectangle((800, 500, 930, 540), fill=0)                        # ink alone on its row
>>> candidates(page, [Word("Kính", 300, 300, 700, 330, conf=95)], 200)
[(800, 500, 932, 544)]
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pipeline.layout import Word

CELL_IN = 0.02
"""Side of the cells the dark pixels are pooled into (inches)."""
GAP_IN = 0.06
"""Cells this far apart belong to one block (the gaps between letters of a word)."""
HEIGHT_IN = (0.08, 0.6)
WIDTH_IN = (0.15, 4.0)
"""Height and width a block must have to be a word or a few words of print."""
ALONE_IN = 1.0
"""A block with a word read on its row nearer than this is part of a line, not a mark alone."""
MIN_CONFIDENCE = 80.0
DARK = 128
"""Grey level under which a pixel is ink (the page is already cleaned: paper white, print black)."""


def candidates(image: Image.Image, words: list[Word], dpi: int) -> list[tuple[int, int, int, int]]:
    """Blocks of ink ``(left, top, right, bottom)`` in pixels that no word read covers, word-sized
    and alone on their row (steps 1 and 2 of the module docstring)."""
    from pipeline.imageprep import _components

    cell = max(2, round(CELL_IN * dpi))
    ink = image.convert("L").point(lambda v: 255 if v < DARK else 0)  # a lookup table, in C
    grid = np.asarray(ink.reduce(cell)) > 0  # a cell's mean is above 0 when any of its pixels is ink
    for w in words:
        m = 0.15 * (w.bottom - w.top)
        grid[max(0, int((w.top - m) // cell)):int((w.bottom + m) // cell) + 1,
             max(0, int((w.x0 - m) // cell)):int((w.x1 + m) // cell) + 1] = False
    out = []
    for top, left, bottom, right in _components(grid, gap=max(1, round(GAP_IN * dpi / cell))):
        ys, xs = np.nonzero(grid[top:bottom + 1, left:right + 1])  # the ink itself, not the gaps around
        top, left, bottom, right = top + ys.min(), left + xs.min(), top + ys.max(), left + xs.max()
        box = (int(left * cell), int(top * cell), int((right + 1) * cell), int((bottom + 1) * cell))
        h, w = (box[3] - box[1]) / dpi, (box[2] - box[0]) / dpi
        if HEIGHT_IN[0] <= h <= HEIGHT_IN[1] and WIDTH_IN[0] <= w <= WIDTH_IN[1] and _alone(box, words, dpi):
            out.append(box)
    return out


def _alone(box: tuple[int, int, int, int], words: list[Word], dpi: int) -> bool:
    reach = ALONE_IN * dpi
    for w in words:
        overlap = min(box[3], w.bottom) - max(box[1], w.top)
        if overlap > 0.5 * min(box[3] - box[1], w.bottom - w.top) and w.x0 - reach < box[2] and w.x1 + reach > box[0]:
            return False
    return True


def find_missed(image: Image.Image, words: list[Word], dpi: int) -> list[Word]:
    """Words the page's reading left out that stand alone on their line (see the module
    docstring), in page pixels; each candidate block read as one line of ``vie``."""
    from extractors.spelling import is_syllable
    from pipeline.ocr import LANG, READ_VARIABLES
    from pipeline.readers import ReadError
    from pipeline.tesseract import read

    found = []
    pad = round(0.05 * dpi)
    for x0, y0, x1, y1 in candidates(image, words, dpi):
        left, top = max(0, x0 - pad), max(0, y0 - pad)
        try:
            got = read(image.crop((left, top, x1 + pad, y1 + pad)), dpi, LANG, 7, READ_VARIABLES).words
        except ReadError:
            continue
        if got and all((w.conf or 0) >= MIN_CONFIDENCE and is_syllable(w.text) for w in got):
            found += [Word(w.text, w.x0 + left, w.top + top, w.x1 + left, w.bottom + top, conf=w.conf) for w in got]
    return found
