"""Normalise raw dispatch text, keeping a map from every normalised character to the raw text.

Fixes, in order: Unicode NFC; invisible characters and odd spaces; markdown emphasis and
table pipes; rule lines (``-------``); inline footnote markers (``tỉnh¹``); words broken across
lines (``thực hi-`` / ``ện``); stray spaces and lost hyphens inside numbers and symbols
(``2629 / QĐ - UBND``, ``1961/QĐUBND``, ``NĐCP``); old-style tone placement (``hoà`` → ``hòa``);
runs of spaces.

>>> n = normalize("Số: 1961/QĐUBND  ngày 14/5/2021 của **UBND tỉnh** Hoà Bình")
>>> n.text
'Số: 1961/QĐ-UBND ngày 14/5/2021 của UBND tỉnh Hòa Bình'
>>> s, e = n.text.index("UBND tỉnh"), n.text.index("UBND tỉnh") + 9
>>> n.raw[slice(*n.to_raw((s, e)))]
'UBND tỉnh'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex as re

from extractors.tables import DOC_TYPES, ISSUER_ABBREVIATIONS
from schemas import Span

Edit = tuple[int, int, str]
"""Replace ``text[a:b]`` by a string (``""`` deletes, ``a == b`` inserts)."""


@dataclass
class Normalized:
    """Normalised text plus, for each of its characters, the raw range it came from."""

    text: str
    raw: str
    starts: list[int]
    ends: list[int]

    def to_raw(self, span: Span) -> Span:
        """Map a span of the normalised text back to the raw text."""
        s, e = span
        if e <= s:
            pos = self.starts[s] if s < len(self.starts) else len(self.raw)
            return pos, pos
        return self.starts[s], self.ends[e - 1]


def apply_edits(n: Normalized, edits: Iterable[Edit]) -> Normalized:
    """Apply non-overlapping edits (sorted by position) and carry the offset map along."""
    text, starts, ends = n.text, n.starts, n.ends
    out: list[str] = []
    new_s: list[int] = []
    new_e: list[int] = []
    pos = 0
    for a, b, rep in edits:
        if a < pos:
            continue  # overlapping edit: keep the first
        out.append(text[pos:a])
        new_s.extend(starts[pos:a])
        new_e.extend(ends[pos:a])
        if rep:
            if b - a == len(rep):
                new_s.extend(starts[a:b])
                new_e.extend(ends[a:b])
            else:
                rs = starts[a] if a < len(starts) else len(n.raw)
                re_ = ends[b - 1] if b > a else rs
                new_s.extend([rs] * len(rep))
                new_e.extend([re_] * len(rep))
            out.append(rep)
        pos = b
    out.append(text[pos:])
    new_s.extend(starts[pos:])
    new_e.extend(ends[pos:])
    return Normalized("".join(out), n.raw, new_s, new_e)


def substitute(n: Normalized, pattern: re.Pattern, repl: Callable[[re.Match], list[Edit]]) -> Normalized:
    """Run ``pattern`` over the text; ``repl`` turns each match into edits."""
    edits: list[Edit] = []
    for m in pattern.finditer(n.text):
        edits.extend(repl(m))
    return apply_edits(n, sorted(edits)) if edits else n


def rebuild(n: Normalized, pieces: list[Span | str]) -> Normalized:
    """A new text made of spans of ``n.text`` and literal strings, in any order, map kept."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for p in pieces:
        if isinstance(p, str):
            anchor = starts[-1] if starts else 0
            out.append(p)
            starts.extend([anchor] * len(p))
            ends.extend([anchor] * len(p))
        else:
            a, b = p
            out.append(n.text[a:b])
            starts.extend(n.starts[a:b])
            ends.extend(n.ends[a:b])
    return Normalized("".join(out), n.raw, starts, ends)


_TABLE_ROW = re.compile(r"(?m)^[ ]*\|.*\|[ ]*$")
_CELL_RULE = re.compile(r"^[ :\-]*$")


def _untable(n: Normalized) -> Normalized:
    """Rewrite markdown/pipe table blocks column by column (left column first, then right).

    Text copied out of a two-column header or signature table comes as
    ``| UBND TỈNH | CỘNG HÒA ... |`` rows; reading it column-wise restores each column.
    """
    rows = list(_TABLE_ROW.finditer(n.text))
    if not rows:
        return n
    blocks: list[list[re.Match]] = []
    for m in rows:
        if blocks and n.text[blocks[-1][-1].end() : m.start()].strip() == "":
            blocks[-1].append(m)
        else:
            blocks.append([m])
    pieces: list[Span | str] = []
    pos = 0
    for block in blocks:
        pieces.append((pos, block[0].start()))
        table: list[list[Span]] = []
        for m in block:
            bars = [i for i in range(m.start(), m.end()) if n.text[i] == "|"]
            cells = [(a + 1, b) for a, b in zip(bars, bars[1:], strict=False)]
            if all(_CELL_RULE.match(n.text[a:b]) for a, b in cells):
                continue
            table.append(cells)
        width = max((len(r) for r in table), default=0)
        for col in range(width):
            for cells in table:
                if col < len(cells):
                    a, b = cells[col]
                    while a < b and n.text[a] == " ":
                        a += 1
                    while b > a and n.text[b - 1] == " ":
                        b -= 1
                    pieces.extend([(a, b), "\n"])
            pieces.append("\n")
        pos = block[-1].end()
    pieces.append((pos, len(n.text)))
    return rebuild(n, pieces)


def _nfc(raw: str) -> Normalized:
    """NFC with the map: each base character and its combining marks compose together."""
    if unicodedata.is_normalized("NFC", raw):
        return Normalized(raw, raw, list(range(len(raw))), list(range(1, len(raw) + 1)))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and unicodedata.combining(raw[j]):
            j += 1
        composed = unicodedata.normalize("NFC", raw[i:j])
        out.append(composed)
        starts.extend([i] * len(composed))
        ends.extend([j] * len(composed))
        i = j
    return Normalized("".join(out), raw, starts, ends)


# --- the individual fixes ------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_CRLF = re.compile(r"\r\n?")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_PIPE_EDGE = re.compile(r"(?m)^[ ]*\|[ ]?|[ ]?\|[ ]*$")
_PIPE_MID = re.compile(r"[ ]+\|[ ]+")
_TABLE_RULE = re.compile(r"(?m)^[ ]*\|?[ ]*:?-{3,}:?[ ]*(\|[ ]*:?-{3,}:?[ ]*)*\|?[ ]*$")
_RULE_LINE = re.compile(r"(?m)^[ ]*(?:[-_=~]{3,}|\*{3,}|(?:\* ){2,}\*)[ ]*$")
_FOOTNOTE_INLINE = re.compile(r"(?<=[\w)\]”\".,;:])[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_BROKEN_WORD = re.compile(r"(?<=\w)-[ ]*\n[ ]*(?=[a-zà-ỹđ])")
_SPACED_SLASH = re.compile(r"(?<=\d)[ ]+/[ ]*(?=[0-9A-ZĐ])|(?<=\d)/[ ]+(?=[A-ZĐ])")
_SPACED_HYPHEN = re.compile(r"(?<=\d/(?:\d{4}/)?\p{Lu}[\p{L}&]{0,8})(?:[ ]+-[ ]*|-[ ]+)(?=\p{Lu})")
_MULTISPACE = re.compile(r"[ ]{2,}")
_TRAILING = re.compile(r"(?m)[ ]+$")
_SYMBOL_TOKEN = re.compile(r"(?<=\d/(?:\d{4}/)?)[A-ZĐ][A-Za-zĐđ]{2,15}\b(?!-)")

_TYPE_ABBRS = {t.abbr for t in DOC_TYPES if t.abbr}
_ISSUER_ABBRS = set(ISSUER_ABBREVIATIONS)

# Old-style tone placement: ``hoà``, ``hoá``, ``thuỷ``, ``khoẻ`` → ``hòa``, ``hóa``, ``thủy``,
# ``khỏe`` (tone on the first vowel of an open oa/oe/uy syllable; not after ``q``).
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_OLD_TONE = re.compile(r"(?i)(?<![qQ\w])(\w*?)([oOuU])([àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸỳýỷỹỵỲÝỶỸỴ])(?!\w)")


def _fix_tone(m: re.Match) -> list[Edit]:
    head, first, second = m.group(1), m.group(2), m.group(3)
    if head.lower().endswith("q") or (first.lower() == "o" and second.lower()[0] in "yỳýỷỹỵ"):
        return []
    if first.lower() == "u" and unicodedata.normalize("NFD", second)[0].lower() != "y":
        return []
    if first.lower() == "o" and unicodedata.normalize("NFD", second)[0].lower() not in "ae":
        return []
    decomposed = unicodedata.normalize("NFD", second)
    tone = "".join(c for c in decomposed if c in _TONES)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    new_first = unicodedata.normalize("NFC", first + tone)
    return [(m.start(2), m.end(3), new_first + bare)]


def new_style_tones(text: str) -> str:
    """``text`` in NFC with the tone placement :func:`normalize` uses (for word lists written
    old-style).

    >>> new_style_tones("hoà bình, thuỷ sản, quý")
    'hòa bình, thủy sản, quý'
    """
    return substitute(_nfc(text), _OLD_TONE, _fix_tone).text


def _lost_hyphen(m: re.Match) -> list[Edit]:
    token = m.group()
    for i in range(1, len(token) - 1):
        if token[:i] in _TYPE_ABBRS and token[i:] in _ISSUER_ABBRS:
            return [(m.start() + i, m.start() + i, "-")]
    return []


def _delete_all(m: re.Match) -> list[Edit]:
    return [(m.start(), m.end(), "")]


def _keep_group(group: int) -> Callable[[re.Match], list[Edit]]:
    def repl(m: re.Match) -> list[Edit]:
        return [(m.start(), m.start(group), ""), (m.end(group), m.end(), "")]

    return repl


def normalize(raw: str) -> Normalized:
    """Normalise ``raw`` and keep the offset map (see the module docstring)."""
    n = _nfc(raw)
    n = substitute(n, _CRLF, lambda m: [(m.start(), m.end(), "\n")])
    n = substitute(n, _INVISIBLE, _delete_all)
    n = substitute(n, _ODD_SPACE, lambda m: [(m.start(), m.end(), " ")])
    n = _untable(n)
    n = substitute(n, _TABLE_RULE, _delete_all)
    n = substitute(n, _PIPE_EDGE, _delete_all)
    n = substitute(n, _PIPE_MID, lambda m: [(m.start(), m.end(), "\n")])
    n = substitute(n, _BOLD, _keep_group(2))
    n = substitute(n, _ITALIC, _keep_group(1))
    n = substitute(n, _RULE_LINE, _delete_all)
    n = substitute(n, _FOOTNOTE_INLINE, _delete_all)
    n = substitute(n, _BROKEN_WORD, _delete_all)
    n = substitute(n, _SPACED_SLASH, lambda m: [(m.start(), m.end(), m.group().strip())])
    n = substitute(n, _SPACED_HYPHEN, lambda m: [(m.start(), m.end(), "-")])
    n = substitute(n, _SYMBOL_TOKEN, _lost_hyphen)
    n = substitute(n, _OLD_TONE, _fix_tone)
    n = substitute(n, _MULTISPACE, lambda m: [(m.start(), m.end(), " ")])
    n = substitute(n, _TRAILING, _delete_all)
    return n
