"""Reading order from positioned words: the layout of a Vietnamese dispatch rebuilt as lines of text.

The PDF reader (pdfplumber words) and the OCR reader (Tesseract word boxes) both hand over words
with boxes. Read row by row, a dispatch interleaves its two-column header
(``UBND TỈNH NGHỆ AN CỘNG HÒA XÃ HỘI ...``) and its side-by-side ``Nơi nhận`` / signer block.
:func:`order_pages` puts each page back in reading order:

1. running headers/footers (text repeated at the same place on several pages) and page numbers
   are dropped;
2. on the first page, the header — the words above ``Kính gửi``, a centred title or the first
   body paragraph — is split at the widest empty vertical band between 20 % and 80 % of the
   page width: the left column's lines (bodies, ``Số:``, ``V/v``) come first, then the right
   column's (motto, place and date);
3. body lines follow; lines a paragraph wrapped are joined again, paragraphs are separated by
   a blank line;
4. the block that starts at ``Nơi nhận`` is split the same way: the distribution list, then the
   signer;
5. footnotes (smaller print at the page foot) come last on their page.

>>> ws = [Word("UBND", 90, 60, 130, 72), Word("TỈNH", 134, 60, 160, 72),
...       Word("CỘNG", 300, 60, 340, 72), Word("HÒA", 344, 60, 372, 72),
...       Word("SỞ", 100, 76, 118, 88), Word("Độc", 310, 76, 334, 88), Word("lập", 338, 76, 360, 88),
...       Word("Kính", 200, 130, 230, 142), Word("gửi:", 234, 130, 262, 142), Word("Sở", 266, 130, 282, 142)]
>>> print(order_pages([PageWords(ws, 595, 842)])[0])
UBND TỈNH
SỞ
<BLANKLINE>
CỘNG HÒA
Độc lập
<BLANKLINE>
Kính gửi: Sở
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex as re

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass
class Word:
    """One word and its box (any unit, y growing downwards)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float = 0.0
    """Font size when known (PDF); 0 means: use the box height (OCR)."""
    conf: float | None = None
    """OCR confidence 0–100, if from OCR."""
    superscript: bool = False
    """A raised footnote marker glued to the word before it."""

    @property
    def height(self) -> float:
        return self.size or (self.bottom - self.top)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class PageWords:
    """The words of one page and the page size, in the same unit as the boxes."""

    words: list[Word]
    width: float
    height: float


@dataclass
class Row:
    """Words sharing a baseline, left to right."""

    words: list[Word] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def cy(self) -> float:
        return statistics.median(w.cy for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.height for w in self.words)

    @property
    def text(self) -> str:
        out = ""
        prev: Word | None = None
        for w in self.words:
            if (w.superscript and out) or (prev is not None and _split_word(prev, w)):
                out += w.text.translate(SUPERSCRIPTS) if w.superscript else w.text
            else:
                out += (" " if out else "") + w.text
            prev = w
        return out


def _split_word(a: Word, b: Word) -> bool:
    """``b`` is the rest of a word OCR boxed in two: its box starts a little inside ``a``'s box
    and ends beyond it (``DƯ`` + ``ƠNG``); a box inside another is something else."""
    overlap = a.x1 - b.x0
    return 0 < overlap < 0.25 * min(a.x1 - a.x0, b.x1 - b.x0) and b.x1 > a.x1 and b.text[:1].isalpha()


def make_rows(words: Sequence[Word]) -> list[Row]:
    """Group words into rows by their vertical centres, top to bottom, each row left to right.

    A word box much taller than the text (OCR boxes swollen by a stroke under them: a rule, a
    handwritten number, a slash) has its centre off its line; it joins the text row whose centre
    line crosses it, next to words of that row, instead of making a row of its own.

    >>> rows = make_rows([Word("TỈNH", 340, 209, 425, 239), Word("BẮC", 435, 210, 496, 239),
    ...                   Word("KẠN", 507, 211, 580, 271), Word("Số:", 300, 300, 340, 327)])
    >>> [r.text for r in rows]
    ['TỈNH BẮC KẠN', 'Số:']
    """
    if not words:
        return []
    height = statistics.median(w.height for w in words)
    rows = _by_centre([w for w in words if w.height <= TALL * height], 0.5 * height)
    left = [w for w in words if w.height > TALL * height]
    while left:  # a tall word placed may bring the next one near its row
        still = []
        for w in left:
            home = _crossed_row(w, rows, height)
            if home is None:
                still.append(w)
            else:
                home.words.append(w)
        if len(still) == len(left):
            break
        left = still
    rows = sorted(rows + _by_centre(left, 0.5 * height), key=lambda cr: cr[0])
    out = []
    for _, row in rows:
        row.words.sort(key=lambda w: w.x0)
        _mark_superscripts(row)
        out.append(row)
    return out


def _by_centre(words: Sequence[Word], tol: float) -> list[tuple[float, Row]]:
    """Rows of words whose centres are within ``tol`` of the row's running centre, with that centre."""
    rows: list[tuple[float, Row]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        if rows and abs(w.cy - rows[-1][0]) <= tol:
            c, row = rows[-1]
            row.words.append(w)
            rows[-1] = (c + (w.cy - c) / len(row.words), row)
        else:
            rows.append((w.cy, Row([w])))
    return rows


TALL = 1.5
"""A word box taller than this many median word heights is swollen (see :func:`make_rows`)."""


def _crossed_row(w: Word, rows: list[tuple[float, Row]], height: float) -> Row | None:
    """The text row whose centre line crosses ``w``'s box and that has a word near ``w``
    (within the gap that splits a row), the nearest by centre; ``None`` when there is none."""
    best = None
    for c, row in rows:
        if not w.top < c < w.bottom or row.size < 0.5 * height:
            continue  # not crossed, or a row of rules and specks
        near = min(max(v.x0 - w.x1, w.x0 - v.x1) for v in row.words) <= 1.5 * row.size
        if near and (best is None or abs(c - w.cy) < best[0]):
            best = (abs(c - w.cy), row)
    return best[1] if best else None


def _mark_superscripts(row: Row) -> None:
    """Small raised digits right after a word (footnote markers, PDF only) become superscripts."""
    sized = [w.size for w in row.words if w.size]
    if not sized or len(row.words) < 2:
        return
    body = statistics.median(sized)
    base = statistics.median(w.bottom for w in row.words)
    for prev, w in zip(row.words, row.words[1:], strict=False):
        if (
            w.size
            and w.size < 0.8 * body
            and w.text.isdigit()
            and w.bottom < base - 0.15 * body
            and w.x0 - prev.x1 < 0.3 * body
        ):
            w.superscript = True
    if row.words[0].size and row.words[0].size < 0.8 * body and row.words[0].text.isdigit():
        row.words[0].text = row.words[0].text.translate(SUPERSCRIPTS)


def segments(row: Row, gap: float | None = None) -> list[list[Word]]:
    """Split a row at horizontal gaps wider than ``gap`` (default 1.5 × the row's text size)."""
    gap = 1.5 * row.size if gap is None else gap
    segs: list[list[Word]] = [[row.words[0]]]
    for prev, w in zip(row.words, row.words[1:], strict=False):
        if w.x0 - prev.x1 > gap:
            segs.append([w])
        else:
            segs[-1].append(w)
    return segs


def column_split(words: Sequence[Word], width: float, lo: float = 0.2, hi: float = 0.8) -> float | None:
    """The x of the middle of the widest empty vertical band between ``lo`` and ``hi`` of ``width``.

    Only a band with words on both sides counts; ``None`` when the words leave no such band.

    >>> column_split([Word("a", 50, 0, 200, 10), Word("b", 320, 0, 500, 10)], 595)
    260.0
    """
    if not words:
        return None
    n = int(width) + 2
    cover = bytearray(n)
    for w in words:
        a, b = max(0, int(w.x0)), min(n - 1, int(w.x1 + 0.999))
        cover[a:b] = b"\x01" * (b - a)
    left_edge = min(w.x0 for w in words)
    right_edge = max(w.x1 for w in words)
    best: tuple[float, float] | None = None
    x = 0
    while x < n:
        if cover[x]:
            x += 1
            continue
        start = x
        while x < n and not cover[x]:
            x += 1
        end = x
        if start <= left_edge or end >= right_edge:
            continue
        clipped = min(end, hi * width) - max(start, lo * width)
        if clipped > 0 and (best is None or clipped > best[0]):
            best = (clipped, (start + end) / 2)
    return best[1] if best else None


def fold(s: str) -> str:
    """Lowercase without diacritics (``đ`` → ``d``), for matching landmarks in OCR'd text."""
    s = unicodedata.normalize("NFD", s.lower().replace("đ", "d"))
    return "".join(c for c in s if not unicodedata.combining(c))


_SALUTATION = re.compile(r"^\W*kinh\s*(gui|moi)\b")
_DISTRIBUTION = re.compile(r"^\W*n[o0]i\s*nh[a@]n\b")
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:(?:trang|page)\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?[\W_]*$")
_LIST_START = re.compile(r"^(?:[-–—+•*▪●]|\d{1,3}(?:\.\d{1,3})*[.)](?:\s|$)|[a-zđ][.)]\s|[IVXLC]+\.\s|Điều\s+\d+|Phụ\s+lục)", re.I)
_ENTRY = re.compile(r"^\s*[-–—+•*▪●]")
_FOOTNOTE_MARK = re.compile(r"^(?:[\d⁰¹²³⁴⁵⁶⁷⁸⁹]|\*|\(\d)")
_SENTENCE_END = re.compile(r"[.:;!?]$|\./\.$")


def _is_furniture(rows_by_page: list[list[Row]], pages: Sequence[PageWords]) -> list[set[int]]:
    """Indexes of page numbers and running headers/footers on each page."""
    drop: list[set[int]] = [set() for _ in pages]
    seen: Counter[str] = Counter()
    margin_rows: list[list[tuple[int, str]]] = []
    for p, (rows, page) in enumerate(zip(rows_by_page, pages, strict=True)):
        here = []
        for i, r in enumerate(rows):
            in_margin = r.cy < 0.1 * page.height or r.cy > 0.9 * page.height
            if not in_margin:
                continue
            text = fold(r.text)
            if _PAGE_NUMBER.match(text) and (r.cy < 0.08 * page.height or r.cy > 0.92 * page.height or len(text) < 12):
                drop[p].add(i)
                continue
            key = re.sub(r"\d+", "#", text)
            here.append((i, key))
        margin_rows.append(here)
        seen.update({k for _, k in here})
    if len(pages) >= 2:
        for p, here in enumerate(margin_rows):
            for i, key in here:
                if seen[key] >= 2:
                    drop[p].add(i)
    return drop


def _footnote_start(rows: list[Row], body_size: float) -> int:
    """Index of the first footnote row at the foot of ``rows`` (``len(rows)`` if none)."""
    i = len(rows)
    while i > 0 and rows[i - 1].size < 0.85 * body_size:
        i -= 1
    # the block must open with a footnote marker
    while i < len(rows) and not _FOOTNOTE_MARK.match(rows[i].text):
        i += 1
    return i


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _text_box(rows: list[Row]) -> tuple[float, float]:
    lefts = sorted(r.x0 for r in rows)
    rights = sorted(r.x1 for r in rows)
    return lefts[len(lefts) // 10], rights[(len(rights) * 9) // 10]


def _header_end(rows: list[Row], page: PageWords, left: float, right: float) -> int:
    """Index of the first row below the header: salutation, centred title or a full body line."""
    width = right - left
    centre = (left + right) / 2
    for i, r in enumerate(rows):
        if r.top > 0.45 * page.height:
            return i
        if _SALUTATION.match(fold(r.text)):
            return i
        segs = segments(r)
        if len(segs) == 1:
            span = r.x1 - r.x0
            if abs((r.x0 + r.x1) / 2 - centre) < 0.06 * page.width and span < 0.75 * width and i > 0:
                return i
            if span > 0.8 * width:
                return i
    return len(rows)


def _has_gap(words: list[Word], width: float, min_gap: float) -> bool:
    x = column_split(words, width)
    if x is None:
        return False
    left_end = max((w.x1 for w in words if w.cx < x), default=x)
    right_start = min((w.x0 for w in words if w.cx >= x), default=x)
    return right_start - left_end >= min_gap


def _closing_span(rows: list[Row], start: int, stop: int, page: PageWords, left: float, right: float) -> tuple[int, int]:
    """Rows of the side-by-side closing block around the ``Nơi nhận`` row ``start``."""
    a = start
    while a > 0 and rows[a - 1].x0 > left + 0.35 * (right - left) and rows[a - 1].top > rows[start].top - 6 * rows[start].size:
        a -= 1
    b = start + 1
    words = [w for r in rows[a:b] for w in r.words]
    min_gap = 0.01 * page.width
    while b < stop:
        trial = words + rows[b].words
        if not _has_gap(trial, page.width, min_gap):
            break
        words = trial
        b += 1
    return a, b


def _join_paragraphs(rows: list[Row], right_edge: float, left_edge: float) -> list[str]:
    """Lines of ``rows``; wrapped lines joined, a blank line where a paragraph gap is."""
    if not rows:
        return []
    pitches = [b.cy - a.cy for a, b in zip(rows, rows[1:], strict=False) if b.cy > a.cy]
    pitch = statistics.median(pitches) if pitches else rows[0].size * 1.3
    out: list[str] = [rows[0].text]
    for a, b in zip(rows, rows[1:], strict=False):
        gap = b.cy - a.cy
        first = b.words[0]
        space = 0.3 * a.size
        full = a.x1 + space + (first.x1 - first.x0) > right_edge - 0.5 * a.size
        flush_left = b.x0 < left_edge + 1.5 * b.size
        open_end = not _SENTENCE_END.search(a.text.rstrip())
        if gap > 1.3 * pitch or gap > 2.2 * a.size:
            out.append("")
            out.append(b.text)
        elif open_end and (
            (full and flush_left and not _ENTRY.match(b.text))  # a justified line wrapped
            or (b.text[:1].islower() and not _LIST_START.match(b.text) and not _is_caps(a.text))  # lowercase: a wrap
        ):
            out[-1] += " " + b.text
        else:
            out.append(b.text)
    return out


def _column_lines(words: list[Word], join: bool) -> list[str]:
    """Lines of one column; with ``join``, an entry wrapped over lines is put back on one line.

    Used for the ``Nơi nhận`` list: when the column's entries are marked (``- Như trên;``), a
    line without a mark continues the entry above it.
    """
    lines = [r.text for r in make_rows(words)]
    if not join or sum(bool(_ENTRY.match(t)) for t in lines) < 2:
        return lines
    out: list[str] = []
    for t in lines:
        if out and not _ENTRY.match(t) and not out[-1].endswith(":"):
            out[-1] += " " + t
        else:
            out.append(t)
    return out


def _split_block(words: list[Word], width: float, join_left: bool) -> list[str]:
    """Lines of a two-column block: the left column's, a blank line, the right column's."""
    x = column_split(words, width)
    if x is None:
        return [r.text for r in make_rows(words)]
    left = [w for w in words if w.cx < x]
    right = [w for w in words if w.cx >= x]
    out = _column_lines(left, join_left)
    out.append("")
    out += _column_lines(right, False)
    return out


@dataclass
class PageText:
    """One page in reading order, in parts (each a list of lines, ``""`` for a blank line)."""

    head: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ends_open: bool = False
    """The last body line fills the line and ends without punctuation: the paragraph goes on."""
    starts_flush: bool = False
    """The first body line starts at the left margin and is not a list item: a continuation."""

    @property
    def text(self) -> str:
        parts = [self.head, self.body, self.tail, self.notes]
        return _tidy("\n\n".join("\n".join(p) for p in parts if any(p)))


def order_page(rows: list[Row], page: PageWords, first: bool, closing: int | None) -> PageText:
    """One page's rows in reading order (see the module docstring)."""
    out = PageText()
    if not rows:
        return out
    left, right = _text_box(rows)
    body_size = statistics.median(r.size for r in rows)
    foot = _footnote_start(rows, body_size)
    i = 0
    if first:
        end = _header_end(rows, page, left, right)
        if end:
            out.head = _split_block([w for r in rows[:end] for w in r.words], page.width, join_left=False)
        i = end
    stop = foot
    if closing is not None and i <= closing < foot:
        a, b = _closing_span(rows, closing, foot, page, left, right)
        a = max(a, i)
        out.tail = _split_block([w for r in rows[a:b] for w in r.words], page.width, join_left=True)
        if rows[b:foot]:
            out.tail += [""] + _join_paragraphs(rows[b:foot], right, left)
        stop = a
    body = rows[i:stop]
    out.body = _join_paragraphs(body, right, left)
    if body and not out.tail:
        last = body[-1]
        out.ends_open = last.x1 > right - 2 * last.size and not _SENTENCE_END.search(last.text)
    if body:
        out.starts_flush = body[0].x0 < left + 1.5 * body[0].size and not _LIST_START.match(body[0].text)
    out.notes = [r.text for r in rows[foot:]]
    return out


def order_pages(pages: Sequence[PageWords]) -> list[str]:
    """The text of each page in reading order (see the module docstring).

    A paragraph running on to the next page is finished on the page it starts on, before that
    page's footnotes.
    """
    rows_by_page = [make_rows(p.words) for p in pages]
    drop = _is_furniture(rows_by_page, pages)
    rows_by_page = [[r for i, r in enumerate(rows) if i not in d] for rows, d in zip(rows_by_page, drop, strict=True)]
    closing_page, closing_row = None, None
    for p, rows in enumerate(rows_by_page):
        for i, r in enumerate(rows):
            if _DISTRIBUTION.match(fold(r.text)):
                closing_page, closing_row = p, i
                break
        if closing_page is not None:
            break
    texts: list[PageText] = []
    first_done = False
    for p, (rows, page) in enumerate(zip(rows_by_page, pages, strict=True)):
        texts.append(order_page(rows, page, first=not first_done and bool(rows), closing=closing_row if p == closing_page else None))
        first_done = first_done or bool(rows)
    for prev, nxt in zip(texts, texts[1:], strict=False):
        if prev.ends_open and nxt.starts_flush and prev.body and nxt.body and not nxt.head:
            k = nxt.body.index("") if "" in nxt.body else len(nxt.body)
            prev.body[-1] = " ".join([prev.body[-1], *nxt.body[:k]])
            nxt.body = nxt.body[k + 1 :]
    return [t.text for t in texts]


def join_pages(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Page texts joined by a blank line, and each page's ``(start, end)`` in the result.

    >>> join_pages(["a", "bc"])
    ('a\\n\\nbc', [(0, 1), (3, 5)])
    """
    spans = []
    pos = 0
    for i, t in enumerate(texts):
        if i:
            pos += 2
        spans.append((pos, pos + len(t)))
        pos += len(t)
    return "\n\n".join(texts), spans


def _tidy(text: str) -> str:
    """No runs of blank lines, no blank first or last line."""
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
