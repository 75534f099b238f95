"""Build real-looking inputs from corpus documents: a laid-out PDF, a scan, a DOCX, TCVN3 bytes.

A corpus document is plain text (header lines, sometimes interleaved or as a pipe table, body,
``Nơi nhận`` list, signer, footnotes). :func:`parse` sorts its lines into the page components of
Decree 30/2020 (its gold file says which lines are the signer), and the renderers lay those out
as a clerk's word processor would:

- :func:`render_pdf` — A4, Liberation Serif (DejaVu Serif as a fallback), the header as a
  borderless two-column table (bodies, ``Số``, ``V/v`` | motto, place and date), centred title,
  justified body, ``Nơi nhận`` and signer side by side, footnotes at the page foot, page numbers
  from page 2, optionally a running footer;
- :func:`render_scan` — that PDF rasterised at 200–300 dpi, turned by a degree or two, blurred,
  speckled and JPEG-compressed, saved as PNG/JPEG/TIFF or an image-only PDF;
- :func:`render_docx` — a Word file with the header and closing as borderless tables;
- :func:`tcvn3_bytes` — the text as typed with the ``.VnTime`` font (TCVN3 bytes).

>>> doc = parse(*load("101_nghean-syt-sot-xuat-huyet"))
>>> doc.header_left[:2], doc.header_right[-1].text
(['UBND TỈNH NGHỆ AN', 'SỞ Y TẾ'], 'Nghệ An, ngày 12 tháng 7 năm 2022')
"""

from __future__ import annotations

import io
import json
import random
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import regex as re

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))
FONT_FILES = {
    "": ("LiberationSerif-Regular.ttf", "DejaVuSerif.ttf"),
    "b": ("LiberationSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"),
    "i": ("LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf"),
    "bi": ("LiberationSerif-BoldItalic.ttf", "DejaVuSerif-BoldItalic.ttf"),
}


def load(name: str) -> tuple[str, dict]:
    """A corpus document's text and gold annotation."""
    text = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
    gold = json.loads((CORPUS / f"{name}.gold.json").read_text(encoding="utf-8"))
    return text, gold


def corpus_names() -> list[str]:
    return sorted(p.name[: -len(".gold.json")] for p in CORPUS.glob("*.gold.json"))


# --- the document model ---------------------------------------------------------------------


@dataclass
class Styled:
    text: str
    style: str = ""  # "", "b", "i", "bi"
    size: float = 13.0


@dataclass
class Block:
    kind: str  # para | center | mark | heading | table | rule
    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    bold: bool = False


@dataclass
class Doc:
    header_left: list[str] = field(default_factory=list)
    header_right: list[Styled] = field(default_factory=list)
    issuer_lines: int = 0
    """How many of the first left lines are the bodies (parent and issuer), above the rule."""
    motto_lines: int = 0
    body: list[Block] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    closing_left: list[str] = field(default_factory=list)
    closing_right: list[str] = field(default_factory=list)
    after: list[Block] = field(default_factory=list)


_RULE = re.compile(r"^[\s|]*(?:[-_=~*]{3,}|\*)?(?:[\s|]+[-_=~*]{3,})*[\s|]*$")
_EMPH = re.compile(r"\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_RIGHT_START = re.compile(
    r"CỘNG H[OÒ][AÀ] XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập - Tự do - Hạnh phúc|ĐẢNG CỘNG SẢN VIỆT NAM|DỰ THẢO"
)
_MOTTO = re.compile(r"^(?:CỘNG H[OÒ][AÀ] XÃ HỘI|Độc lập - Tự do|ĐẢNG CỘNG SẢN VIỆT NAM)")
_MARK = re.compile(r"^(?:KHẨN|THƯỢNG KHẨN|HỎA TỐC|HỎA TỐC HẸN GIỜ|MẬT|TỐI MẬT|TUYỆT MẬT)$")
_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s")
_PLAIN_FOOTNOTE = re.compile(r"^(\d{1,2}) (?=\p{Lu})")
_BULLET = re.compile(r"^\s*[-+•]\s")
_AUTHORITY = re.compile(r"^(?:TM\.|T\.M\.|T/M|KT\.|K/T|TL\.|T/L|TUQ\.|Q\.|KT |TM )")


def _clean(s: str) -> str:
    return _EMPH.sub("", s).strip()


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@cache
def _title_words() -> tuple[str, ...]:
    from extractors.tables import TITLE_WORDS

    return tuple(sorted(TITLE_WORDS, key=len, reverse=True))


def _is_title(s: str) -> bool:
    s = _clean(s).rstrip(":")
    return _is_caps(s) and any(s == w or s.startswith(w + " ") for w in _title_words())


def _split_header_line(line: str, place: str | None) -> tuple[str, str]:
    """``(left, right)`` parts of one header line (either may be empty)."""
    s = line.strip()
    if s.startswith("|") and s.endswith("|") and s.count("|") >= 3:
        cells = [c.strip() for c in s.strip("|").split("|")]
        return cells[0], " ".join(cells[1:]).strip()
    if s.endswith("|"):
        return s.rstrip("| ").strip(), ""
    if s.startswith("|"):
        return "", s.lstrip("| ").strip()
    starts = [m.start() for m in _RIGHT_START.finditer(s)]
    m = re.search(re.escape(place) + r",\s*ngày", s) if place else None
    m = m or re.search(r"(?<![\p{L}\d])\p{Lu}[\p{L} ]{1,40},\s*ngày\s", s)
    if m:
        starts.append(m.start())
    if starts:
        i = min(starts)
        return s[:i].strip(), s[i:].strip()
    return s, ""


def _header_end(lines: list[str]) -> int:
    seen = False
    for i, raw in enumerate(lines):
        s = _clean(raw)
        if not s:
            continue
        low = s.lower()
        if seen and (
            low.startswith(("kính gửi", "kính mời"))
            or _is_title(s)
            or _MARK.match(s)
            or (len(s) > 95 and not low.startswith("v/v") and "|" not in raw and ", ngày" not in s)
            or s.startswith(("Căn cứ", "Thực hiện", "Theo ", "Ngày ", "Thời gian qua"))
        ):
            return i
        seen = True
    return len(lines)


def _signer_lines(lines: list[str], gold: dict) -> tuple[int, int] | None:
    """``[a, b)`` of the signer block lines (authority, title, '(Đã ký)', name)."""
    signer = gold.get("signer") or {}
    name, title = signer.get("name"), signer.get("title")
    end = None
    for key in (name, title):
        if not key:
            continue
        for i in range(len(lines) - 1, -1, -1):
            right = lines[i].split("|")[-1] if "|" in lines[i] else lines[i]
            if _clean(right) == key:
                end = i
                break
        if end is not None:
            break
    if end is None:
        return None
    a = end
    while a > 0:
        prev = lines[a - 1]
        right = _clean(prev.split("|")[-1]) if "|" in prev else _clean(prev)
        if "|" in prev and not right:
            a -= 1
            continue
        if not right or _is_caps(right) or _AUTHORITY.match(right) or right.startswith("("):
            if right and len(right) > 60:
                break
            a -= 1
            continue
        break
    while a < end and not _clean(lines[a]):
        a += 1
    return a, end + 1


def parse(text: str, gold: dict) -> Doc:
    """Sort a corpus document's lines into the components of the page (see the module docstring)."""
    lines = text.split("\n")
    doc = Doc()
    place = gold.get("place")
    end = _header_end(lines)
    left: list[str] = []
    right: list[Styled] = []
    for raw in lines[:end]:
        if not raw.strip() or _RULE.match(raw.replace("|", " ")):
            continue
        if re.match(r"^\|[\s:|-]+\|$", raw.strip()):
            continue
        lpart, rpart = _split_header_line(raw, place)
        lpart, rpart = _clean(lpart), _clean(rpart)
        if lpart and not _RULE.match(lpart):
            left.append(lpart)
        if rpart and not _RULE.match(rpart):
            style = "b" if _MOTTO.match(rpart) or rpart == "DỰ THẢO" else ("i" if ", ngày" in rpart else "")
            size = 12.0 if rpart.startswith(("CỘNG", "ĐẢNG")) else (12.5 if ", ngày" in rpart else 13.0)
            right.append(Styled(rpart, style, size))
    doc.header_left, doc.header_right = left, right
    from extractors.normalize import normalize

    issuer_words = " ".join(x for x in (gold.get("issuer_parent"), gold.get("issuer")) if x)
    n = 0
    while n < len(left) and (normalize(left[n]).text in issuer_words or left[n] == "*") and not left[n].startswith("Số"):
        n += 1
    doc.issuer_lines = n
    doc.motto_lines = sum(1 for s in right if _MOTTO.match(s.text))

    rest = lines[end:]
    # the closing block: Nơi nhận list and signer
    nn = next((i for i, ln in enumerate(rest) if _clean(ln.strip("| ")).lower().startswith("nơi nhận")), None)
    sig = _signer_lines(rest, gold)
    zone: tuple[int, int] | None = None
    if nn is not None:
        nn_end = nn + 1
        while nn_end < len(rest):
            s = rest[nn_end]
            left_part = s.split("|")[1] if s.strip().startswith("|") and s.count("|") >= 3 else s.split(" | ")[0]
            lp = _clean(left_part.strip("| "))
            if _BULLET.match(lp) or (lp and not _is_caps(lp) and not _FOOTNOTE.match(lp) and nn_end - nn < 30 and "|" in s):
                nn_end += 1
            elif not lp and nn_end + 1 < len(rest) and _BULLET.match(_clean(rest[nn_end + 1].strip("| "))):
                nn_end += 1
            elif lp and _BULLET.match(" " + lp[:2]):
                nn_end += 1
            else:
                break
        a, b = nn, nn_end
        if sig:
            a, b = min(a, sig[0]), max(b, sig[1])
        zone = (a, b)
    elif sig:
        zone = sig
    body_lines = rest if zone is None else rest[: zone[0]]
    after_lines = [] if zone is None else rest[zone[1] :]
    if zone is not None:
        for i in range(zone[0], zone[1]):
            raw = rest[i]
            s = raw.strip()
            if s.startswith("|") and s.count("|") >= 3:
                if re.match(r"^\|[\s:|-]+\|$", s):
                    continue
                cells = [_clean(c) for c in s.strip("|").split("|")]
                lpart, rpart = cells[0], " ".join(cells[1:]).strip()
            elif " | " in s or s.endswith("|"):
                lpart, _, rpart = s.partition("|")
                lpart, rpart = _clean(lpart), _clean(rpart)
            elif sig and sig[0] <= i < sig[1]:
                lpart, rpart = "", _clean(s) if s else "\x00"
            else:
                lpart, rpart = _clean(s), ""
            if lpart:
                doc.closing_left.append(lpart)
            if rpart:
                doc.closing_right.append(rpart)
        # keep one blank (signature space) before the name
        while doc.closing_right and doc.closing_right[-1] == "\x00":
            doc.closing_right.pop()
        cr: list[str] = []
        for s in doc.closing_right:
            if s == "\x00" and (not cr or cr[-1] == "\x00"):
                continue
            cr.append(s)
        doc.closing_right = cr
    doc.body, fn1 = _blocks(body_lines)
    doc.after, fn2 = _blocks(after_lines)
    doc.footnotes = fn1 + fn2
    return doc


def _blocks(lines: list[str]) -> tuple[list[Block], list[str]]:
    """Body lines → blocks; footnote lines are taken out."""
    blocks: list[Block] = []
    footnotes: list[str] = []
    plain_markers = set()
    text = "\n".join(lines)
    for m in re.finditer(r"(?<=\p{L})(\d)(?=[\s.,;:])", text):
        plain_markers.add(m.group(1))
    in_title = False
    after_rule = False
    table: list[list[str]] = []

    def flush_table() -> None:
        if table:
            blocks.append(Block("table", rows=[r[:] for r in table]))
            table.clear()

    for raw in lines:
        s = raw.strip()
        if not s:
            flush_table()
            # a title's subject may follow after one blank line; a second group ends it
            in_title = in_title and blocks[-1].kind == "center" and len(blocks[-1].lines) == 1 and _is_title(blocks[-1].lines[0])
            continue
        if s.startswith("|") and s.endswith("|"):
            if not re.match(r"^\|[\s:|-]+\|$", s):
                table.append([_clean(c) for c in s.strip("|").split("|")])
            continue
        flush_table()
        if re.match(r"^_{4,}$", s):
            after_rule = True
            continue
        if _RULE.match(s):
            blocks.append(Block("rule"))
            continue
        c = _clean(s)
        pm = _PLAIN_FOOTNOTE.match(c)
        if _FOOTNOTE.match(c) or (after_rule and re.match(r"^\d", c)) or (pm and pm.group(1) in plain_markers and not re.match(r"^\d+\.", c)):
            footnotes.append(c)
            continue
        bold = s.startswith("**") and s.endswith("**")
        if _MARK.match(c):
            blocks.append(Block("mark", [c], bold=True))
        elif _is_title(c) and len(c) < 60:
            blocks.append(Block("center", [c], bold=True))
            in_title = True
        elif in_title and not _is_caps(c) or in_title and len(blocks[-1].lines) > 1:
            blocks[-1].lines.append(c)
        elif _is_caps(c) and len(c) < 90 and not re.match(r"^([IVXLC]+|\d+)\.", c):
            blocks.append(Block("center", [c], bold=True))
        elif re.match(r"^([IVXLC]+\.|Điều \d+\.|Chương [IVXLC]+|PHỤ LỤC|Phụ lục)", c) and len(c) < 120:
            blocks.append(Block("heading", [c], bold=True))
        else:
            blocks.append(Block("para", [c], bold=bold))
    flush_table()
    return blocks, footnotes


KEY_FIELDS = ("issuer", "number", "symbol", "date", "subject", "recipients", "signer")


def field_errors(record, gold: dict, fields: tuple[str, ...] = KEY_FIELDS) -> list[str]:
    """Differences between an extracted record and the gold annotation on ``fields``.

    Values are compared as :mod:`pipeline.evaluate` compares them (case, spacing and edge
    punctuation aside); the signer by authority, title and name; lists item by item.
    """
    from pipeline.evaluate import _purpose, norm

    plain = record.plain()
    errors = []
    for f in fields:
        got, want = plain.get(f), gold.get(f)
        if f == "signer":
            got = {k: norm((got or {}).get(k)) for k in ("authority", "title", "name")}
            want = {k: norm((want or {}).get(k)) for k in ("authority", "title", "name")}
        elif f == "distribution":
            got = [(norm(x["name"]), _purpose(x.get("purpose"))) for x in got or []]
            want = [(norm(x["name"]), _purpose(x.get("purpose"))) for x in want or []]
        elif isinstance(want, list) or isinstance(got, list):
            got, want = [norm(x) for x in got or []], [norm(x) for x in want or []]
        else:
            got, want = norm(got), norm(want)
        if got != want:
            errors.append(f"{f}: got {got!r}, gold {want!r}")
    return errors


# --- PDF --------------------------------------------------------------------------------------

PAGE_W, PAGE_H = 595.28, 841.89
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 85.0, 57.0, 57.0, 57.0
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
HEADER_X, HEADER_W, LEFT_COL = 65.0, 500.0, 220.0
"""The header table is wider than the text block, as in most real dispatches."""


@cache
def fonts() -> dict[str, str]:
    """Register the serif faces with reportlab; style → font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {}
    for style, (liberation, dejavu) in FONT_FILES.items():
        path = next((d / liberation for d in FONT_DIRS if (d / liberation).exists()), None)
        path = path or Path("/usr/share/fonts/truetype/dejavu") / dejavu
        name = f"CVSerif{style.upper()}"
        pdfmetrics.registerFont(TTFont(name, str(path)))
        names[style] = name
    return names


def _width(text: str, style: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, fonts()[style], size)


def _wrap(text: str, style: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    words = text.split()
    lines: list[str] = []
    cur = ""
    avail = width - indent
    for w in words:
        trial = f"{cur} {w}" if cur else w
        if _width(_plain(trial), style, size) <= avail or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = w
            avail = width
    if cur:
        lines.append(cur)
    return lines


_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPTS = True


def _plain(s: str) -> str:
    return s.translate(str.maketrans(_SUP, "0123456789")) if _SUPERSCRIPTS else s


class _Writer:
    """A cursor over A4 pages on a reportlab canvas."""

    def __init__(self, path: Path, footer: str | None, footnotes: list[str]):
        from reportlab.pdfgen import canvas

        self.c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H))
        self.c.setTitle("congvan test rendering")
        self.page = 1
        self.y = PAGE_H - MARGIN_T
        self.footer = footer
        self.pending = list(footnotes)
        self.page_notes: list[str] = []
        self.reserved = 0.0
        self._furniture()

    def _furniture(self) -> None:
        if self.page > 1:
            self.c.setFont(fonts()[""], 13)
            self.c.drawCentredString(MARGIN_L + TEXT_W / 2, PAGE_H - 35, str(self.page))
        if self.footer:
            self.c.setFont(fonts()["i"], 8)
            self.c.drawCentredString(MARGIN_L + TEXT_W / 2, 28, self.footer)

    def floor(self) -> float:
        return MARGIN_B + self.reserved

    def new_page(self) -> None:
        self._draw_notes()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN_T
        self.reserved = 0.0
        self._furniture()

    def need(self, h: float) -> None:
        if self.y - h < self.floor():
            self.new_page()

    def note_height(self, note: str) -> float:
        return len(_wrap(note, "", 10, TEXT_W)) * 12 + 4

    def claim_notes(self, text: str) -> None:
        """Reserve room on this page for the footnotes ``text`` refers to."""
        for note in list(self.pending):
            k = _plain(note.split()[0])
            marker = note.split()[0]
            if marker in text or re.search(rf"(?<=\p{{L}}){re.escape(k)}(?=[\s.,;:])", _plain(text)):
                h = self.note_height(note) + (10 if not self.page_notes else 0)
                self.reserved += h
                self.page_notes.append(note)
                self.pending.remove(note)

    def _draw_notes(self) -> None:
        if not self.page_notes:
            return
        y = MARGIN_B + sum(self.note_height(n) for n in self.page_notes)
        self.c.setLineWidth(0.6)
        self.c.line(MARGIN_L, y + 6, MARGIN_L + 120, y + 6)
        for note in self.page_notes:
            marker, _, rest = note.partition(" ")
            lines = _wrap(rest, "", 10, TEXT_W - 8)
            for j, ln in enumerate(lines):
                y -= 12
                if j == 0:
                    self.c.setFont(fonts()[""], 6.5)
                    self.c.drawString(MARGIN_L, y + 4, _plain(marker))
                self.c.setFont(fonts()[""], 10)
                self.c.drawString(MARGIN_L + 6, y, ln)
            y -= 4
        self.page_notes = []

    def finish(self) -> None:
        if self.pending:
            self.page_notes += self.pending
            self.pending = []
        self._draw_notes()
        self.c.showPage()
        self.c.save()


def _draw_words(c, x: float, y: float, line: str, style: str, size: float, justify_to: float | None = None) -> None:
    """Draw a line word by word (superscript digits raised and small); justify to a width if given."""
    words = line.split()
    widths = [_width(_plain(w), style, size) for w in words]
    space = _width(" ", style, size)
    gap = space
    if justify_to and len(words) > 1:
        gap = max(space, (justify_to - sum(widths)) / (len(words) - 1))
    if not (_SUPERSCRIPTS and any(ch in _SUP for ch in line)):
        # one text-show per line, justified by word spacing (Tw), as word processors write it
        t = c.beginText(x, y)
        t.setFont(fonts()[style], size)
        t.setWordSpace(gap - space)
        t.textOut(" ".join(words))
        c.drawText(t)
        return
    for w, wd in zip(words, widths, strict=True):
        m = re.match(rf"^(.*?)([{_SUP}]+|(?<=\p{{L}})\d)([.,;:]?)$", w) if _SUPERSCRIPTS and any(ch in _SUP for ch in w) else None
        if m and m.group(1):
            c.setFont(fonts()[style], size)
            c.drawString(x, y, m.group(1))
            sx = x + _width(m.group(1), style, size)
            c.setFont(fonts()[style], size * 0.6)
            c.drawString(sx, y + size * 0.38, _plain(m.group(2)))
            sx += _width(_plain(m.group(2)), style, size * 0.6)
            c.setFont(fonts()[style], size)
            c.drawString(sx, y, m.group(3))
        else:
            c.setFont(fonts()[style], size)
            c.drawString(x, y, _plain(w) if not m else w)
        x += wd + gap


def _column(c, lines: list[Styled], x0: float, width: float, top: float, center: bool = True) -> float:
    """Lines centred (or left-aligned) in a column from ``top`` down; returns the y under the last."""
    y = top
    for s in lines:
        for ln in _wrap(s.text, s.style, s.size, width - 6):
            y -= s.size * 1.2
            c.setFont(fonts()[s.style], s.size)
            if center:
                c.drawCentredString(x0 + width / 2, y, ln)
            else:
                c.drawString(x0, y, ln)
    return y


def render_pdf(doc: Doc | str, path: Path, footer: str | None = None) -> Path:
    """Lay ``doc`` (or a corpus document by name) out as an A4 PDF at ``path``."""
    if isinstance(doc, str):
        doc = parse(*load(doc))
    path = Path(path)
    w = _Writer(path, footer, doc.footnotes)
    c = w.c
    # header: a borderless 2 x 2 table — bodies | motto, then Số + V/v | place and date
    top = w.y
    right_w = HEADER_W - LEFT_COL
    left_top = [Styled(t, "b" if i == doc.issuer_lines - 1 or t == "*" else "", 12) for i, t in enumerate(doc.header_left[: doc.issuer_lines])]
    left_bottom = [Styled(t, "", 13 if t.startswith("Số") else 12) for t in doc.header_left[doc.issuer_lines :]]
    motto = doc.header_right[: doc.motto_lines]
    rest = doc.header_right[doc.motto_lines :]
    y1 = _column(c, left_top, HEADER_X, LEFT_COL, top)
    y2 = _column(c, motto, HEADER_X + LEFT_COL, right_w, top)
    c.setLineWidth(0.7)
    if left_top:
        wd = min(60.0, _width(left_top[-1].text, "b", 12) / 2)
        c.line(HEADER_X + LEFT_COL / 2 - wd / 2, y1 - 5, HEADER_X + LEFT_COL / 2 + wd / 2, y1 - 5)
    if motto:
        wd = _width(motto[-1].text, "b", motto[-1].size)
        c.line(HEADER_X + LEFT_COL + right_w / 2 - wd / 2, y2 - 5, HEADER_X + LEFT_COL + right_w / 2 + wd / 2, y2 - 5)
    row2 = min(y1, y2) - 14
    y3 = _column(c, left_bottom, HEADER_X, LEFT_COL, row2)
    y4 = _column(c, rest, HEADER_X + LEFT_COL, right_w, row2)
    w.y = min(y3, y4) - 18
    _draw_blocks(w, doc.body)
    # closing: Nơi nhận | signer, kept together
    if doc.closing_left or doc.closing_right:
        half = TEXT_W * 0.48
        left_lines: list[tuple[str, str, float, float]] = []
        for i, t in enumerate(doc.closing_left):
            if i == 0 and t.lower().startswith("nơi nhận"):
                left_lines.append((t, "bi", 12, 0))
            else:
                for j, ln in enumerate(_wrap(t, "", 11, half - 10)):
                    left_lines.append((ln, "", 11, 0 if j == 0 else 8))
        right_lines: list[tuple[str, str, float]] = []
        for t in doc.closing_right:
            if t == "\x00":
                right_lines += [("", "", 13)] * 4
            elif t.startswith("("):
                right_lines.append((t, "i", 13))
            else:
                right_lines.append((t, "b", 13))
        h = max(len(left_lines) * 13.5, len(right_lines) * 16) + 20
        w.y -= 10
        w.need(h)
        y = w.y
        for t, st, sz, ind in left_lines:
            y -= sz * 1.2
            c.setFont(fonts()[st], sz)
            c.drawString(MARGIN_L + ind, y, t)
        y = w.y
        rx = MARGIN_L + half + 10
        rw = TEXT_W - half - 10
        for t, st, sz in right_lines:
            y -= sz * 1.25
            if t:
                c.setFont(fonts()[st], sz)
                c.drawCentredString(rx + rw / 2, y, t)
        w.y -= h
    if doc.after:
        w.new_page()
        _draw_blocks(w, doc.after)
    w.finish()
    return path


def _draw_blocks(w: _Writer, blocks: list[Block]) -> None:
    c = w.c
    for b in blocks:
        if b.kind == "rule":
            w.need(10)
            c.setLineWidth(0.6)
            c.line(MARGIN_L + TEXT_W / 2 - 40, w.y - 4, MARGIN_L + TEXT_W / 2 + 40, w.y - 4)
            w.y -= 12
            continue
        if b.kind == "table":
            _draw_table(w, b.rows)
            continue
        if b.kind in ("center", "mark"):
            size = 14 if b.kind == "center" else 13
            for i, t in enumerate(b.lines):
                style = "b" if (b.bold and (i == 0 or _is_caps(t))) or b.kind == "mark" else ("b" if i > 0 else "")
                for ln in _wrap(t, style, size, TEXT_W - 40):
                    w.need(size * 1.3)
                    w.y -= size * 1.3
                    c.setFont(fonts()[style], size)
                    c.drawCentredString(MARGIN_L + TEXT_W / 2, w.y, ln)
            w.y -= 8
            continue
        size = 13.0
        style = "b" if b.bold or b.kind == "heading" else ""
        text = " ".join(b.lines)
        w.claim_notes(text)
        indent = 0.0 if b.kind == "heading" else 28.0
        lines = _wrap(text, style, size, TEXT_W, indent)
        for i, ln in enumerate(lines):
            w.need(size * 1.3)
            w.y -= size * 1.3
            x = MARGIN_L + (indent if i == 0 else 0)
            last = i == len(lines) - 1
            _draw_words(c, x, w.y, ln, style, size, None if last else TEXT_W - (indent if i == 0 else 0))
        w.y -= 6


def _draw_table(w: _Writer, rows: list[list[str]]) -> None:
    c = w.c
    ncol = max(len(r) for r in rows)
    lens = [max(len(r[i]) if i < len(r) else 0 for r in rows) + 4 for i in range(ncol)]
    widths = [TEXT_W * n / sum(lens) for n in lens]
    size = 11.0
    for r in rows:
        cells = [_wrap(r[i] if i < len(r) else "", "", size, widths[i] - 6) for i in range(ncol)]
        h = max(len(x) for x in cells) * size * 1.25 + 6
        w.need(h)
        x = MARGIN_L
        c.setLineWidth(0.5)
        for i, cell in enumerate(cells):
            c.rect(x, w.y - h, widths[i], h)
            yy = w.y - 3
            for ln in cell:
                yy -= size * 1.2
                c.setFont(fonts()[""], size)
                c.drawString(x + 3, yy, ln)
            x += widths[i]
        w.y -= h
    w.y -= 8


# --- scans -----------------------------------------------------------------------------------


def rasterize(pdf: Path, dpi: int = 300) -> list:
    """Pages of ``pdf`` as greyscale PIL images at ``dpi``."""
    import pypdfium2 as pdfium

    out = []
    pdf_doc = pdfium.PdfDocument(str(pdf))
    try:
        for page in pdf_doc:
            out.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
    finally:
        pdf_doc.close()
    return out


def degrade(img, angle: float = 1.2, blur: float = 0.7, noise: float = 10.0, jpeg_quality: int = 55, seed: int = 0):
    """A copier's version of a clean page: turned by ``angle`` degrees, blurred, speckled, JPEG'd."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        a = np.asarray(img, dtype=np.float32)
        a = a + rng.normal(0, noise, a.shape)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=jpeg_quality)
    buf.seek(0)
    return Image.open(buf).convert("L")


def render_scan(doc: Doc | str, path: Path, dpi: int = 300, angle: float | None = None, seed: int = 0, **degrade_args) -> Path:
    """A degraded scan of the document: ``.png``/``.jpg``/``.tif`` (multi-page) or an image-only ``.pdf``."""
    path = Path(path)
    pdf = path.with_name(path.stem + ".born.pdf")
    render_pdf(doc, pdf)
    rng = random.Random(seed)
    pages = []
    for i, img in enumerate(rasterize(pdf, dpi)):
        a = angle if angle is not None else rng.choice((-1, 1)) * rng.uniform(1.0, 2.0)
        pages.append(degrade(img, a, seed=seed + i, **degrade_args))
    pdf.unlink()
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        pages[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    elif suffix in (".tif", ".tiff"):
        pages[0].save(path, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=pages[1:], compression="tiff_lzw")
    elif suffix in (".jpg", ".jpeg"):
        pages[0].save(path, "JPEG", dpi=(dpi, dpi), quality=80)
    else:
        pages[0].save(path, "PNG", dpi=(dpi, dpi))
    return path


# --- DOCX ------------------------------------------------------------------------------------


def render_docx(doc: Doc | str, path: Path) -> Path:
    """A Word file: header and closing as borderless two-column tables, paragraphs, body tables."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if isinstance(doc, str):
        doc = parse(*load(doc))
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)

    def cell_lines(cell, lines: list[tuple[str, bool, bool]]) -> None:
        cell.paragraphs[0].text = ""
        for i, (t, bold, italic) in enumerate(lines):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(t)
            run.bold, run.italic = bold, italic

    header = d.add_table(rows=1, cols=2)
    cell_lines(header.cell(0, 0), [(t, i < doc.issuer_lines, False) for i, t in enumerate(doc.header_left)])
    cell_lines(header.cell(0, 1), [(s.text, "b" in s.style, "i" in s.style) for s in doc.header_right])
    for b in doc.body + ([] if not doc.closing_left and not doc.closing_right else []):
        _docx_block(d, b, WD_ALIGN_PARAGRAPH)
    if doc.closing_left or doc.closing_right:
        closing = d.add_table(rows=1, cols=2)
        left = closing.cell(0, 0)
        left.paragraphs[0].text = ""
        for i, t in enumerate(doc.closing_left):
            p = left.paragraphs[0] if i == 0 else left.add_paragraph()
            run = p.add_run(t)
            run.bold = run.italic = i == 0
            run.font.size = Pt(11)
        cell_lines(closing.cell(0, 1), [("" if t == "\x00" else t, not t.startswith("("), t.startswith("(")) for t in doc.closing_right])
    for b in doc.after:
        _docx_block(d, b, WD_ALIGN_PARAGRAPH)
    for note in doc.footnotes:
        p = d.add_paragraph()
        p.add_run(note).font.size = Pt(10)
    d.save(str(path))
    return Path(path)


def _docx_block(d, b: Block, align) -> None:
    if b.kind == "rule":
        return
    if b.kind == "table":
        t = d.add_table(rows=len(b.rows), cols=max(len(r) for r in b.rows))
        t.style = "Table Grid"
        for i, r in enumerate(b.rows):
            for j, v in enumerate(r):
                t.cell(i, j).text = v
        return
    for i, line in enumerate(b.lines if b.kind in ("center", "mark") else [" ".join(b.lines)]):
        p = d.add_paragraph()
        if b.kind in ("center", "mark"):
            p.alignment = align.CENTER
        run = p.add_run(line)
        run.bold = b.bold and (i == 0 or b.kind != "center")


# --- legacy encodings ------------------------------------------------------------------------


def tcvn3_bytes(text: str) -> bytes:
    """``text`` as typed with the ``.VnTime`` font: TCVN3 (ABC) bytes.

    TCVN3 has no toned capitals: a ``.VnTimeH`` typist types the lowercase code and the font
    draws it as a capital, so ``Ộ`` is stored as the byte of ``ộ``.

    >>> tcvn3_bytes("Cộng hòa xã hội chủ nghĩa Việt Nam").decode("latin-1")
    'Céng hßa x· héi chñ nghÜa ViÖt Nam'
    """
    from extractors.legacy import _table

    inverse = {letter: seq for seq, letter in _table("tcvn3").items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        out.append(inverse.get(ch) or inverse.get(ch.lower()) or ch)
    return "".join(out).encode("cp1252", errors="replace")


def legacy_pdf(doc: Doc | str, path: Path) -> Path:
    """The document as an old ``.VnTime`` PDF: TCVN3 codes in the text layer, its fonts named
    ``.VnTime``, ``.VnTime,Bold``, ``.VnTime,Italic`` (capitals typed as in ``.VnTime``: ASCII
    capitals and the lowercase codes of toned letters)."""
    from dataclasses import replace

    if isinstance(doc, str):
        doc = parse(*load(doc))

    def t(s: str) -> str:
        return s if s == "\x00" else tcvn3_bytes(s).decode("cp1252")

    legacy = replace(
        doc,
        header_left=[t(x) for x in doc.header_left],
        header_right=[Styled(t(x.text), x.style, x.size) for x in doc.header_right],
        body=[replace(b, lines=[t(x) for x in b.lines], rows=[[t(c) for c in r] for r in b.rows]) for b in doc.body],
        footnotes=[t(x) for x in doc.footnotes],
        closing_left=[t(x) for x in doc.closing_left],
        closing_right=[t(x) for x in doc.closing_right],
        after=[replace(b, lines=[t(x) for x in b.lines], rows=[[t(c) for c in r] for r in b.rows]) for b in doc.after],
    )
    tmp = path.with_name(path.stem + ".unicode-fonts.pdf")
    global _SUPERSCRIPTS
    _SUPERSCRIPTS = False  # ¹ is a letter (ạ) in TCVN3, not a footnote mark
    try:
        render_pdf(legacy, tmp)
    finally:
        _SUPERSCRIPTS = True
    rename_fonts(tmp, path, {"Bold": ".VnTime,Bold", "Italic": ".VnTime,Italic", "": ".VnTime"})
    tmp.unlink()
    return path


def rename_fonts(src: Path, dst: Path, names: dict[str, str]) -> Path:
    """Copy a PDF, renaming its fonts: the first key of ``names`` found in a font's name picks
    the new name (``""`` matches any), given a subset tag as embedded fonts have."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            base = str(font["/BaseFont"])
            new = NameObject("/ABCDEF+" + next(v for k, v in names.items() if k in base))
            for f in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                f[NameObject("/BaseFont")] = new
                if "/FontDescriptor" in f:
                    f["/FontDescriptor"].get_object()[NameObject("/FontName")] = new
    with open(dst, "wb") as f:
        writer.write(f)
    return dst


def vni_bytes(text: str) -> bytes:
    """``text`` as typed with a ``VNI-Times`` font (VNI bytes)."""
    from extractors.legacy import _table

    inverse = {letter: seq for seq, letter in _table("vni").items() if seq != letter}
    return "".join(inverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text)).encode("cp1252", errors="replace")
