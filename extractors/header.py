"""The header block: issuing bodies, number and symbol, place and date, type, subject, marks.

Works on text whose two header columns may come one after the other (clean text) or
interleaved line by line (PDF/OCR text: ``UBND TỈNH HÀ TĨNH CỘNG HÒA XÃ HỘI ...``).

>>> from extractors.normalize import normalize
>>> h = extract_header(normalize('''UBND TỈNH HÀ TĨNH
... SỞ NỘI VỤ
... CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
... Độc lập - Tự do - Hạnh phúc
... Số: 2097/SNV-CCHC
... V/v góp ý dự thảo kế hoạch
... Hà Tĩnh, ngày 03 tháng 11 năm 2022
... Kính gửi: Các sở, ngành cấp tỉnh.''').text)
>>> (h.issuer.value, h.issuer_parent.value, h.number.value, h.symbol.value)
('SỞ NỘI VỤ', 'UBND TỈNH HÀ TĨNH', '2097', 'SNV-CCHC')
>>> (h.place.value, h.date.value, h.doc_type.value, h.subject.value)
('Hà Tĩnh', '2022-11-03', 'Công văn', 'góp ý dự thảo kế hoạch')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex as re

from extractors.dates import LONG_DATE, make_date
from extractors.lines import Line, fold, is_caps, split_lines, strip_span, value
from extractors.tables import DOC_TYPES_BY_ABBR, ISSUER_ABBREVIATIONS, MARKS, TITLE_WORDS, read_tsv, word_list
from schemas import Extracted, Span

HEADER_LINES = 45
"""The header never runs longer than this many lines."""

MOTTO = re.compile(
    r"c[o0]ng\s*h[o0]a\s*xa\s*h[o0]i\s*chu\s*nghia\s*viet\s*nam"
    r"|d[o0]c\s*lap\s*[-–—]?\s*tu\s*do\s*[-–—]?\s*hanh\s*phuc"
    r"|dang\s*c[o0]ng\s*san\s*viet\s*nam"
)
NUMBER_LINE = re.compile(
    r"(?<![\p{L}\d])(?:Số|SỐ|Sô|Só|So|S6)\s*[:.;]?[ \t]*"
    r"(?:(?P<num>\d{1,5}[a-zA-Z]?)|(?P<junk>(?!\d{1,5}[a-zA-Z]?[ \t]*[/-])[^\s/]{1,5}))?"  # junk: a scribble OCR could not read
    r"[ \t]*(?P<sep>[/-])[ \t]*"
    r"(?P<sym>[\p{L}\d][\p{L}\d&.\-/]*[\p{L}\d])"
)
SUBJECT_START = re.compile(r"^(?:V/[vV]|v/v|Về việc|VỀ VIỆC)\b[ \t]*[:.]?[ \t]*")
SUBJECT_PREFIX = re.compile(r"^(?:V/[vV]|v/v|Về việc|VỀ VIỆC)\b[ \t]*[:.]?[ \t]*")

_WORDS = read_tsv("header_words.tsv")
LOCALITY = tuple(w for w, role in _WORDS if role == "locality")
AUTHORITY = tuple(w for w, role in _WORDS if role == "authority")
BODY_STARTS = word_list("body_starts.txt")
_NUMBERED = re.compile(r"^(?:[IVX]+|\d+)[.)]\s")
SYMBOL_OPENERS = frozenset(DOC_TYPES_BY_ABBR) | frozenset(ISSUER_ABBREVIATIONS)
STRAY = " -–—*:|'\"‘’“”`"
"""Rules, bullets and specks OCR reads as quotes around a header line (``'TỈNH HÀ NAM``)."""
_MARKS_FOLDED = {fold(k): (f, c) for k, (f, c) in MARKS.items()}


@dataclass
class Header:
    """Everything the header block says, each value with its span."""

    doc_type: Extracted[str] | None = None
    issuer: Extracted[str] | None = None
    issuer_parent: Extracted[str] | None = None
    number: Extracted[str] | None = None
    symbol: Extracted[str] | None = None
    place: Extracted[str] | None = None
    date: Extracted[str] | None = None
    subject: Extracted[str] | None = None
    urgency: Extracted[str] | None = None
    confidentiality: Extracted[str] | None = None
    is_draft: bool = False
    unreadable_number: bool = False
    end: int = 0
    """Offset where the header ends and the document proper begins."""
    used: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_symbol(seg: str) -> bool:
    """A symbol without its number (``STP-HCTP``, ``QĐ-UBND``): hyphenated, no blank, opening
    with a type or issuer abbreviation of the tables — never the name of a body.

    >>> _is_symbol("SNV-CCHC"), _is_symbol("SỞ NỘI VỤ"), _is_symbol("BÌNH-DƯƠNG")
    (True, False, False)
    """
    parts = seg.split("-")
    return len(parts) > 1 and " " not in seg and parts[0] in SYMBOL_OPENERS


def _starts_body(line: str) -> bool:
    f = fold(line)
    return any(f.startswith(w + " ") or f == w for w in BODY_STARTS) or bool(_NUMBERED.match(line))


def _cut_segments(line: Line, cuts: list[Span]) -> list[Span]:
    """The parts of ``line`` left after removing ``cuts`` (spans in document coordinates)."""
    parts = [(line.start, line.end)]
    for cs, ce in sorted(cuts):
        nxt = []
        for s, e in parts:
            if ce <= s or cs >= e:
                nxt.append((s, e))
                continue
            if cs > s:
                nxt.append((s, cs))
            if ce < e:
                nxt.append((ce, e))
        parts = nxt
    return parts


def _group_bodies(pieces: list[Span], text: str) -> list[list[Span]]:
    """Group consecutive caps lines into bodies (``ỦY BAN NHÂN DÂN`` + ``TỈNH QUẢNG NAM`` is one)."""
    groups: list[list[Span]] = []
    for s, e in pieces:
        t = text[s:e]
        if groups:
            prev = " ".join(text[a:b] for a, b in groups[-1])
            joins = (
                prev.endswith((" VÀ", ",", "-", "–"))
                or t.startswith(("VÀ ", "- ", "– ", "&"))
                or (t.startswith(LOCALITY) and not any(f" {w} " in f" {prev} " for w in LOCALITY))
                or t[:1].islower()
            )
            if joins:
                groups[-1].append((s, e))
                continue
        groups.append([(s, e)])
    return groups


def _join(text: str, spans: list[Span], confidence: float) -> Extracted[str] | None:
    if not spans:
        return None
    v = " ".join(text[s:e].strip() for s, e in spans)
    return Extracted[str](value=v, span=(spans[0][0], spans[-1][1]), confidence=confidence)


def _place_and_date(text: str, line: Line, m: re.Match, after: int) -> tuple[Extracted[str] | None, Extracted[str] | None]:
    """The place before ``, ngày ...`` (from ``after`` on) and the date itself."""
    d = make_date(int(m["y"]), int(m["m"]) if m["m"] else None, int(m["d"]) if m["d"] and m["m"] else None)
    date = Extracted[str](value=d.root, span=m.span(), confidence=0.98 if d.is_complete else 0.9) if d else None
    before = text[after : m.start()]
    comma = before.rstrip().endswith(",")
    if not comma:
        return None, date
    seg_end = after + len(before.rstrip()) - 1
    words = list(re.finditer(r"\S+", text[after:seg_end]))
    keep = []
    for w in reversed(words):
        tok = w.group()
        if tok[:1].isupper() or tok in ("phố", "xã", "trấn", "thị", "huyện", "tỉnh"):
            keep.append(w)
            if len(keep) >= 6:
                break
        else:
            break
    if not keep:
        return None, date
    s, e = after + keep[-1].start(), after + keep[0].end()
    return value(text, s, e, 0.95), date


def _subject_lines(lines: list[Line], i: int, stop_at: set[int], text: str, cuts: list[Span]) -> list[Span]:
    """Subject continuation lines from line ``i`` on, until a blank or a structural line."""
    spans: list[Span] = []
    j = i
    while j < len(lines):
        ln = lines[j]
        if not ln.text or j in stop_at or (_starts_body(ln.text) and not ln.text[:1].islower()):
            break
        if ln.text.startswith(AUTHORITY) and is_caps(ln.text):
            break
        if fold(ln.text).strip(" :") in _MARKS_FOLDED or MOTTO.search(fold(ln.text)):
            break
        parts = _cut_segments(ln, cuts)
        if not parts:
            break
        s, e = strip_span(text, parts[0][0], parts[0][1], " ")
        if s < e:
            spans.append((s, e))
        if len(parts) > 1 or ln.text.endswith((".", ":")):
            break
        j += 1
    return spans


def extract_header(text: str, lines: list[Line] | None = None) -> Header:
    """Extract the header fields of a normalised document text (see the module docstring)."""
    lines = split_lines(text) if lines is None else lines
    h = Header()
    region = lines[:HEADER_LINES]
    ftext = fold(text)

    # Where the header stops at the latest: the salutation or the first long body paragraph.
    stop = len(region)
    for ln in region:
        if fold(ln.text).startswith(("kinh gui", "kinh moi", "dong kinh gui")) or (len(ln.text) > 160 and not is_caps(ln.text)):
            stop = ln.index
            break
    region = region[:stop]
    region_end = region[-1].end if region else 0

    motto_spans = [m.span() for m in MOTTO.finditer(ftext, 0, region_end)]

    # Number and symbol.
    num_m = None
    for ln in region:
        m = NUMBER_LINE.search(text, ln.start, ln.end)
        if m:
            num_m = m
            break
    num_line = None
    if num_m:
        num_line = next(ln for ln in region if ln.start <= num_m.start() < ln.end + 1)
        sym = num_m["sym"].rstrip(".,;")
        h.symbol = Extracted[str](value=sym, span=(num_m.start("sym"), num_m.start("sym") + len(sym)), confidence=0.97)
        if num_m["num"]:
            h.number = Extracted[str](value=num_m["num"], span=num_m.span("num"), confidence=0.97)
        elif num_m["junk"]:
            h.unreadable_number = True
            h.warnings.append(f"number unreadable in the text ({num_m['junk']!r}): left empty")
        h.used.append(num_m.span())

    # Place and date: the first long date in the header preceded by ", " (else the first one).
    pd_line = None
    best = None
    for ln in region:
        for m in LONG_DATE.finditer(text, ln.start, ln.end):
            after = ln.start
            for s, e in [num_m.span()] if num_m else []:
                if ln.start <= s and e <= ln.end and e <= m.start():
                    after = max(after, e)
            for s, e in motto_spans:
                if ln.start <= s and e <= m.start():
                    after = max(after, e)
            place, date = _place_and_date(text, ln, m, after)
            cand = (place is not None, -ln.index)
            if best is None or cand > best[0]:
                best = (cand, place, date, m, ln)
            break
    if best:
        _, h.place, h.date, pd_m, pd_line = best
        start = h.place.span[0] if h.place else pd_m.start()
        h.used.append((start, pd_m.end()))
    else:
        h.warnings.append("no place-date line found")

    cuts = list(motto_spans) + list(h.used)

    # Marks: urgency, confidentiality, draft.
    mark_lines: set[int] = set()
    for ln in region:
        key = fold(ln.text).strip(" :.*")
        if key in _MARKS_FOLDED:
            fld, canonical = _MARKS_FOLDED[key]
            printed = ln.text.strip(" :.*")
            # a mark whose letters match but whose marks do not (OCR: `MẠT`) is the table's mark
            v = Extracted[str](value=printed if printed.upper() in MARKS else canonical,
                               span=strip_span(text, ln.start, ln.end, " :.*"),
                               confidence=0.95 if printed.upper() in MARKS else 0.8)
            if fld == "urgency" and h.urgency is None:
                h.urgency = v
            elif fld == "confidentiality" and h.confidentiality is None:
                h.confidentiality = v
            mark_lines.add(ln.index)
        elif key.startswith("du thao"):
            h.is_draft = True
            mark_lines.add(ln.index)

    # Title word (QUYẾT ĐỊNH, KẾ HOẠCH, ...) and the subject under it.
    title_ln = None
    title_rest: Span | None = None
    for ln in lines[: max(stop, 1) + 25]:
        if ln.index < (num_line.index if num_line else 0):
            continue
        if fold(ln.text).startswith(("kinh gui", "kinh moi")) and title_ln is None and ln.index > stop + 3:
            break
        t = ln.text.rstrip(" :")
        for word in sorted(TITLE_WORDS, key=len, reverse=True):
            if t == word or (t.startswith(word + " ") and not is_caps(t[len(word) :])):
                title_ln = ln
                if t != word:
                    title_rest = (ln.start + len(word) + 1, ln.end)
                break
        if title_ln or _starts_body(ln.text) and ln.index > stop:
            break

    vv_ln = None
    for ln in region:
        parts = _cut_segments(ln, cuts)
        for s, e in parts:
            seg = text[s:e].strip()
            if SUBJECT_START.match(seg) and not (title_ln and ln.index > title_ln.index):
                vv_ln = ln
                break
        if vv_ln:
            break

    subj_spans: list[Span] = []
    if vv_ln is not None:
        stop_idx = {ln.index for ln in lines if pd_line and ln.index == pd_line.index and not _cut_segments(ln, cuts)}
        subj_spans = _subject_lines(lines, vv_ln.index, stop_idx | mark_lines, text, cuts)
    elif title_ln is not None:
        if title_rest:
            subj_spans = [title_rest]
        else:
            j = title_ln.index + 1
            if j < len(lines) and not lines[j].text and j + 1 < len(lines):
                j += 1
            while j < len(lines) and is_caps(lines[j].text) and fold(lines[j].text).startswith("cua "):
                j += 1  # "NGHỊ QUYẾT / CỦA BAN THƯỜNG VỤ TỈNH ỦY": part of the type heading
            subj_spans = _subject_lines(lines, j, mark_lines, text, [])
    if subj_spans:
        first_s, first_e = subj_spans[0]
        m = SUBJECT_PREFIX.match(text[first_s:first_e])
        if m:
            subj_spans[0] = (first_s + m.end(), first_e)
        subj_spans = [sp for sp in subj_spans if sp[0] < sp[1]]
        h.subject = _join(text, subj_spans, 0.9)
        if h.subject:
            h.subject = Extracted[str](value=h.subject.value.strip(" .;:"), span=h.subject.span, confidence=0.9)

    # Document type.
    if title_ln is not None:
        word = next(w for w in sorted(TITLE_WORDS, key=len, reverse=True) if title_ln.text.startswith(w))
        h.doc_type = Extracted[str](value=TITLE_WORDS[word], span=(title_ln.start, title_ln.start + len(word)), confidence=0.97)
    elif vv_ln is not None:
        h.doc_type = Extracted[str](value="Công văn", span=(vv_ln.start, vv_ln.start + 3), confidence=0.95)
    elif h.symbol:
        first = re.split(r"[-/]", h.symbol.value.split("/")[-1] if re.match(r"\d{4}/", h.symbol.value) else h.symbol.value)[0]
        if first in DOC_TYPES_BY_ABBR:
            h.doc_type = Extracted[str](value=DOC_TYPES_BY_ABBR[first].name, span=h.symbol.span, confidence=0.8)
        else:
            h.doc_type = Extracted[str](value="Công văn", span=h.symbol.span, confidence=0.6)

    # Issuing bodies: caps pieces of header lines above the number line.
    limit = num_line.index if num_line else (title_ln.index if title_ln else stop)
    pieces: list[Span] = []
    for ln in region[:limit + 1]:
        if ln.index in mark_lines or not ln.text:
            continue
        for s, e in _cut_segments(ln, cuts):
            s, e = strip_span(text, s, e, STRAY)
            while s < e and text[s] in ".,;/":  # a speck read as a comma, or a slash, before the line
                s, e = strip_span(text, s + 1, e, STRAY)
            seg = text[s:e]
            if not seg or not is_caps(seg) or ln.index == limit and num_m and s >= num_m.start():
                continue
            if _is_symbol(seg):
                continue  # the symbol of a 'Số' line OCR broke in two, not a body
            if title_ln and ln.index >= title_ln.index:
                continue
            pieces.append((s, e))
    groups = _group_bodies(pieces, text)
    if groups:
        h.issuer = _join(text, groups[-1], 0.9)
        if len(groups) > 1:
            h.issuer_parent = _join(text, [sp for g in groups[:-1] for sp in g], 0.85)
    else:
        h.warnings.append("no issuing body found in the header")

    # Where the header ends.
    ends = [sp[1] for sp in h.used]
    if subj_spans:
        ends.append(subj_spans[-1][1])
    if title_ln is not None:
        ends.append(title_ln.end)
    for idx in mark_lines:
        ends.append(lines[idx].end)
    h.end = max(ends) if ends else 0
    if h.date is None:
        h.warnings.append("no issue date found")
    return h
