"""Lines of the normalised text with their offsets, and small text helpers shared by extractors.

>>> [ln.text for ln in split_lines("A\\n  B  \\n")]
['A', 'B', '']
>>> fold("Quyết Định số 2629/QĐ-UBND")
'quyet dinh so 2629/qd-ubnd'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import regex as re

from schemas import Extracted, Span

_BREAK = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class Line:
    """One line: its stripped text and the span of that text in the document."""

    text: str
    start: int
    end: int
    index: int

    @property
    def span(self) -> Span:
        return self.start, self.end


def split_lines(text: str) -> list[Line]:
    """Split into lines; each line's span covers its text without surrounding spaces."""
    lines = []
    pos = 0
    for i, raw in enumerate(text.split("\n")):
        lead = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        s = pos + lead
        lines.append(Line(stripped, s, s + len(stripped), i))
        pos += len(raw) + 1
    return lines


@cache
def _fold_char(c: str) -> str:
    base = unicodedata.normalize("NFD", c)[0].lower()
    base = "d" if base in "đð" else base
    return base if len(base) == 1 else c


_FOLD_TABLE = {i: _fold_char(chr(i)) for i in range(0x2500) if _fold_char(chr(i)) != chr(i)}


def fold(s: str) -> str:
    """Lowercase without diacritics, ``đ`` folded to ``d`` — for matching, never for output.

    Length-preserving on NFC text, so offsets in the folded string are offsets in ``s``.
    """
    return s.translate(_FOLD_TABLE)


def strip_span(text: str, start: int, end: int, chars: str = " \t\n;,.:-–•+*") -> Span:
    """Shrink ``[start, end)`` past leading/trailing ``chars``."""
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def value(text: str, start: int, end: int, confidence: float = 1.0, chars: str | None = None) -> Extracted[str] | None:
    """An :class:`Extracted` string for ``text[start:end]`` stripped; ``None`` if empty.

    Inner line breaks become single spaces in the value; the span still covers the source.
    """
    s, e = strip_span(text, start, end) if chars is None else strip_span(text, start, end, chars)
    if s >= e:
        return None
    v = text[s:e]
    if "\n" in v:
        v = _BREAK.sub(" ", v)
    return Extracted[str](value=v, span=(s, e), confidence=confidence)


def is_caps(s: str) -> bool:
    """True when every letter is uppercase and there are at least two letters."""
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def sentence_case(s: str) -> str:
    """``QUYẾT ĐỊNH`` → ``Quyết định``."""
    return s[:1].upper() + s[1:].lower()
