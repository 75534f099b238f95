"""Addressees (``Kính gửi``) and the distribution list (``Nơi nhận``).

>>> text = "Kính gửi: Các sở, ngành: Tư pháp; Tài chính; Văn hóa, Thể thao và Du lịch."
>>> [r.value for r in extract_recipients(text).recipients]
['Tư pháp', 'Tài chính', 'Văn hóa, Thể thao và Du lịch']
>>> d = extract_distribution("Nơi nhận:\\n- Như trên;\\n- UBND tỉnh (b/c);\\n- Lưu: VT, CCHC.")
>>> [(e.name, e.purpose, e.kind) for e in d.entries]
[('Như trên', None, 'as_above'), ('UBND tỉnh', 'b/c', 'informed'), ('Lưu: VT, CCHC', None, 'archive')]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex as re

from extractors.lines import Line, fold, is_caps, split_lines, strip_span, value
from extractors.tables import DISTRIBUTION_PURPOSES
from schemas import DistributionEntry, Extracted, Span

BULLET = re.compile(r"^[-–—+•·*]\s*")
SALUTATION = re.compile(
    r"(?i)^(?:đồng\s+)?kính\s+(?:gửi|mời|gởi)\s*[:;.]?\s*"
    r"|^.{0,80}?(?:trân\s+trọng\s+)?kính\s+(?:gửi|mời)\s*:\s*$"
    r"|^.{0,60}?\bđiện\s*:\s*$"
)
LABEL = re.compile(r"^(?P<label>[^:;]{2,60}?):\s*(?=\S)")
PURPOSE = re.compile(r"\((?P<p>[^()]{1,60})\)\s*$")
COPIES = re.compile(r"\d{1,3}\s*b(?:ản)?")  # "Lưu: VT, TH (03b)": how many copies are kept, not a purpose
_TERMINATOR = ";.,"
_NOI_NHAN = re.compile(r"noi\s*nhan\b")
NAME_LIKE = re.compile(r"^\p{Lu}[\p{Ll}\p{M}'’]*(?:\s+\p{Lu}[\p{Ll}\p{M}'’]*){1,5}$")


@dataclass
class Recipients:
    recipients: list[Extracted[str]] = field(default_factory=list)
    span: Span | None = None


@dataclass
class Distribution:
    entries: list[DistributionEntry] = field(default_factory=list)
    span: Span | None = None
    leftovers: list[Span] = field(default_factory=list)
    """Text beside the entries on the same lines (the signer column, in PDF text)."""
    warnings: list[str] = field(default_factory=list)


def _split_inline(text: str, s: int, e: int) -> list[Extracted[str]]:
    """Split an inline addressee list per the register convention (``;`` splits, ``,`` never)."""
    seg = text[s:e]
    m = LABEL.match(seg)
    body_start = s + m.end() if m and ";" in seg[m.end():] else s
    if ";" not in text[body_start:e]:
        v = value(text, s, e)
        return [v] if v else []
    out = []
    pos = body_start
    for part in re.finditer(r"[^;]+", text[body_start:e]):
        v = value(text, pos + part.start(), pos + part.end())
        if v:
            out.append(v)
    return out


def extract_recipients(text: str, lines: list[Line] | None = None, start: int = 0) -> Recipients:
    """The addressees after the first ``Kính gửi`` / ``Kính mời`` at or after ``start``,
    and after an ``Đồng kính gửi`` that follows it."""
    lines = split_lines(text) if lines is None else lines
    out = _recipients_block(text, lines, start)
    if out.span:
        for ln in lines[_line_at(lines, out.span[1]) + 1 : _line_at(lines, out.span[1]) + 4]:
            if re.match(r"(?i)đồng\s+kính\s+gửi", ln.text):
                more = _recipients_block(text, lines, ln.start)
                out.recipients.extend(more.recipients)
                out.span = (out.span[0], more.span[1])
                break
    return out


def _line_at(lines: list[Line], offset: int) -> int:
    return next((ln.index for ln in lines if ln.start <= offset <= ln.end), len(lines) - 1)


def _continues(text: str, s: int, e: int, nxt: Line) -> bool:
    """Does a list entry ``text[s:e]`` without its ``;``/``.`` go on in the next line?"""
    if not nxt.text or BULLET.match(nxt.text) or SALUTATION.match(nxt.text):
        return False
    if nxt.text[:1].islower() or re.search(r"(?:\s(?:và|của|các)|[,&–-])$", text[s:e].rstrip()):
        return True
    # an entry of a ";"-terminated list that lacks its ";" wraps onto a short next line
    return len(nxt.text) <= 80 and bool(re.search(r"[;.]$", nxt.text)) and not _BODY_LINE.match(nxt.text)


_BODY_LINE = re.compile(r"(?i)(?:căn\s+cứ|thực\s+hiện|theo|để|nhằm|ngày\s+\d|hiện\s+nay|trong)\b")


def _recipients_block(text: str, lines: list[Line], start: int) -> Recipients:
    out = Recipients()
    head = next((ln for ln in lines if ln.end >= start and SALUTATION.match(ln.text)), None)
    if head is None:
        return out
    m = SALUTATION.match(head.text)
    i = head.index
    inline_s = head.start + m.end()
    inline_e = head.end
    # an inline list may wrap onto following non-bullet lines until it ends with "."
    j = i + 1
    lost_bullet = -1  # a first entry whose dash the OCR lost, before bulleted ones
    if inline_s < inline_e and not BULLET.match(text[inline_s:inline_e]):
        while not text[inline_s:inline_e].rstrip().endswith(".") and j < len(lines):
            nxt = lines[j]
            if not nxt.text or BULLET.match(nxt.text) or len(nxt.text) > 200:
                break
            inline_e = nxt.end
            j += 1
        out.recipients.extend(_split_inline(text, inline_s, inline_e))
        end = inline_e
    else:
        end = head.end
        if inline_s < inline_e:  # "Kính gửi: - A;" — first bullet on the salutation line
            j = i
        else:  # "Kính gửi:" alone, then one addressee on the next line, without a bullet
            nxt = next((ln for ln in lines[i + 1 : i + 3] if ln.text), None)
            if nxt and not BULLET.match(nxt.text) and len(nxt.text) <= 160 and nxt.text.rstrip().endswith("."):
                out.recipients.extend(_split_inline(text, nxt.start, nxt.end))
                out.span = (head.start, nxt.end)
                return out
            after = next((ln for ln in lines[nxt.index + 1 : nxt.index + 3] if ln.text), None) if nxt else None
            if nxt and not BULLET.match(nxt.text) and len(nxt.text) <= 160 and nxt.text.rstrip().endswith(";") \
                    and after and BULLET.match(after.text):
                lost_bullet = nxt.index
    # bullets
    k = j
    while k < len(lines):
        ln = lines[k]
        if k == i:
            bm = BULLET.match(text[inline_s:inline_e])
            s = inline_s + (bm.end() if bm else 0)
            item_e = inline_e
        elif not ln.text:
            k += 1
            continue
        elif BULLET.match(ln.text):
            s, item_e = ln.start + BULLET.match(ln.text).end(), ln.end
        elif k == lost_bullet:
            s, item_e = ln.start, ln.end
        else:
            break
        # a bullet may wrap: continue on lowercase lines while it lacks a terminator
        while not text[s:item_e].rstrip().endswith(tuple(_TERMINATOR)) and k + 1 < len(lines):
            if _continues(text, s, item_e, lines[k + 1]):
                item_e = lines[k + 1].end
                k += 1
            else:
                break
        v = value(text, s, item_e)
        if v:
            out.recipients.append(v)
        end = item_e
        k += 1
        if text[s:item_e].rstrip().endswith("."):
            break
    out.span = (head.start, end)
    return out


_UNSLASHED = {k.replace("/", ""): k for k in DISTRIBUTION_PURPOSES}


def _slash_lost(purpose: str) -> str:
    """A purpose abbreviation whose slash the scan lost, put back from the table (``th`` → ``t/h``,
    ``để bc`` → ``để b/c``); anything else as printed.

    >>> _slash_lost("th"), _slash_lost("để bc"), _slash_lost("p/h"), _slash_lost("TH")
    ('t/h', 'để b/c', 'p/h', 'TH')
    """
    m = re.fullmatch(r"((?:để|Để)\s+)?(\p{Ll}{2})", purpose)
    if m and m[2] in _UNSLASHED:
        return (m[1] or "") + _UNSLASHED[m[2]]
    return purpose


def _entry(text: str, s: int, e: int) -> DistributionEntry | None:
    s, e = strip_span(text, s, e, " \t;,.")
    if s >= e:
        return None
    name_e = e
    purpose = None
    m = PURPOSE.search(text, s, e)
    confidence = 0.9
    if m and not (COPIES.fullmatch(m["p"].strip()) and re.match(r"(?i)lưu\b", text[s:e])):
        purpose = m["p"].strip()
        name_e = m.start()
        slashed = _slash_lost(purpose)
        if slashed != purpose:
            purpose, confidence = slashed, 0.7
    ns, ne = strip_span(text, s, name_e, " \t;,.-")
    name = re.sub(r"\s*\n\s*", " ", text[ns:ne])
    if not name:
        return None
    f = fold(name)
    if f.startswith(("nhu tren", "nhu dieu", "nhu kinh gui", "nhu khoan", "nhu muc", "nhu thanh phan")):
        kind = "as_above"
        units: list[str] = []
    elif re.match(r"luu\b", f):
        kind = "archive"
        units = [u.strip() for u in re.sub(r"^(?i:lưu)\s*:?\s*", "", name).split(",") if u.strip()]
    else:
        kind = "informed"
        units = []
    return DistributionEntry(name=name, purpose=purpose, kind=kind, units=units, span=(s, e), confidence=confidence)


def extract_distribution(text: str, lines: list[Line] | None = None, start: int = 0) -> Distribution:
    """The ``Nơi nhận`` entries (the last ``Nơi nhận`` block at or after ``start``)."""
    lines = split_lines(text) if lines is None else lines
    out = Distribution()
    heads = [ln for ln in lines if ln.start >= start and ln.text[:1] in "NnN" and _NOI_NHAN.match(fold(ln.text))]
    if not heads:
        return out
    head = heads[-1]
    colon = text.find(":", head.start, head.end)
    rest_s = colon + 1 if colon >= 0 else head.start + len("Nơi nhận")
    if text[rest_s:head.end].strip():
        out.leftovers.append(strip_span(text, rest_s, head.end, " "))
    cur: list[int] | None = None  # [start, end] of the entry being read
    end = head.end
    blank_run = 0
    k = head.index + 1
    while k < len(lines):
        ln = lines[k]
        if not ln.text:
            blank_run += 1
            if blank_run > 1 and cur is None:
                break
            k += 1
            continue
        is_bullet = bool(BULLET.match(ln.text))
        if not is_bullet and cur is not None and ln.text[:1].islower() and not text[cur[0]:cur[1]].rstrip().endswith(tuple(_TERMINATOR)):
            cur[1] = ln.end  # wrapped entry
            end = ln.end
            k += 1
            continue
        if not is_bullet:
            if len(ln.text) <= 60 and (is_caps(ln.text) or ln.text.startswith("(") or NAME_LIKE.match(ln.text)):
                out.leftovers.append((ln.start, ln.end))  # the signer column beside the list
                k += 1
                continue
            break
        blank_run = 0
        if cur is not None:
            e = _entry(text, *cur)
            if e:
                out.entries.append(e)
        s = ln.start + BULLET.match(ln.text).end()
        # side-by-side signer column: cut after the entry's terminator
        m = re.search(r"[;](?=\s+\S)|\.(?=\s+[A-ZĐ]{2})", text[s:ln.end])
        if m:
            cur = [s, s + m.end()]
            out.leftovers.append(strip_span(text, s + m.end(), ln.end, " "))
        else:
            cur = [s, ln.end]
        end = ln.end
        k += 1
    if cur is not None:
        e = _entry(text, *cur)
        if e:
            out.entries.append(e)
    kept = []
    for e in out.entries:
        if not e.name or e.name.startswith("("):
            out.warnings.append(f"distribution entry without a name: {text[e.span[0]:e.span[1]]!r}")
        else:
            kept.append(e)
    out.entries = kept
    out.span = (head.start, end)
    return out
