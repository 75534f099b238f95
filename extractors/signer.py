"""The signature block: authority prefix(es), position, name.

>>> text = "Nơi nhận:\\n- Như trên;\\n- Lưu: VT.\\n\\nKT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC\\n(Đã ký)\\n\\nCù Huy Cẩm"
>>> s = extract_signer(text, [(0, 0)], start=0, skip=[(10, 34)])
>>> (s.authority.value, s.prefixes, s.title.value, s.name.value)
('KT. GIÁM ĐỐC', ['KT.'], 'PHÓ GIÁM ĐỐC', 'Cù Huy Cẩm')
"""

from __future__ import annotations

import regex as re

from extractors.lines import fold, is_caps, split_lines, strip_span
from extractors.tables import SIGNER_PREFIXES
from schemas import Extracted, Signer, Span

_PREFIX = re.compile(
    r"^(?P<p>" + "|".join(re.escape(p) for p in sorted(SIGNER_PREFIXES, key=len, reverse=True)) + r")\s*(?=\p{Lu})"
)
NAME = re.compile(r"^\p{Lu}[\p{Ll}\p{M}'’]*(?:\s+\p{Lu}[\p{Ll}\p{M}'’]*){1,5}$")
_NOT_NAMES = ("nhu tren", "noi nhan", "luu", "da ky", "ky ten")


def _pieces(text: str, start: int, end: int, skip: list[Span]) -> list[Span]:
    """Non-empty line pieces in ``[start, end)`` outside the ``skip`` spans."""
    out = []
    for ln in split_lines(text[start:end]):
        s, e = start + ln.start, start + ln.end
        parts = [(s, e)]
        for a, b in skip:
            nxt = []
            for ps, pe in parts:
                if b <= ps or a >= pe:
                    nxt.append((ps, pe))
                    continue
                if a > ps:
                    nxt.append((ps, a))
                if b < pe:
                    nxt.append((b, pe))
            parts = nxt
        for ps, pe in parts:
            ps, pe = strip_span(text, ps, pe, " \t*;,")
            if ps < pe:
                out.append((ps, pe))
    return out


def extract_signer(text: str, extra: list[Span], start: int, end: int | None = None, skip: list[Span] | None = None) -> Signer:
    """Find the signer in ``text[start:end]``, ignoring ``skip`` spans (the distribution list).

    ``extra`` are further pieces to consider (text beside the distribution entries).
    """
    end = len(text) if end is None else end
    pieces = sorted(set(_pieces(text, start, end, skip or []) + [sp for sp in extra if sp[0] < sp[1]]))
    signer = Signer()
    authority: list[Span] = []
    title: Span | None = None
    name: Span | None = None
    for s, e in pieces:
        piece = text[s:e]
        f = fold(piece)
        if piece.startswith("(") or f.startswith(_NOT_NAMES) or piece.startswith(("-", "–", "+")):
            continue
        m = _PREFIX.match(piece)
        if m and title is None and is_caps(piece[m.end():]):
            authority.append((s, e))
            signer.prefixes.append(SIGNER_PREFIXES[m["p"]])
            continue
        if title is None and is_caps(piece) and not f.startswith(("noi nhan", "phu luc")):
            if len(piece) <= 80:
                title = (s, e)
            continue
        if (title is not None or authority) and name is None and NAME.match(piece) and len(piece) <= 40 and not is_caps(piece):
            name = (s, e)
            if title is None:  # "Q. CỤC TRƯỞNG" alone: the authority line is the position too
                title = authority[-1]
            break
    if authority:
        v = " ".join(text[s:e] for s, e in authority)
        signer.authority = Extracted[str](value=v, span=(authority[0][0], authority[-1][1]), confidence=0.9)
    if title:
        signer.title = Extracted[str](value=text[title[0]:title[1]], span=title, confidence=0.9)
    if name:
        signer.name = Extracted[str](value=text[name[0]:name[1]], span=name, confidence=0.9)
    return signer
