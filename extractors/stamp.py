"""The incoming stamp (dấu ĐẾN) a receiving clerk presses on the first page.

``ĐẾN`` / ``Số: 1234`` / ``Ngày: 05/12/2023`` (Decree 30/2020, art. 22): the receiving office's
incoming number and date. They belong in the incoming register, never in the document's own
number and date, so the header extractor is told to keep out of the stamp's lines.

>>> s = find_stamp("UBND TỈNH A\\nĐẾN\\nSố: 1234\\nNgày: 05/12/2023\\nChuyển: P.TH\\nSố: 12/UBND-VP")
>>> (s.number.value, s.date.value)
('1234', '2023-12-05')
>>> find_stamp("Số: 12/UBND-VP\\nKính gửi: các sở") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import regex as re

from extractors.dates import find_dates
from extractors.lines import fold, split_lines
from schemas import Extracted, Span

_DEN = re.compile(r"(?<![\p{L}])(?:ĐẾN|ĐÊN|ĐEN|DEN|DẾN|Đến)(?![\p{L}])")
_NUMBER = re.compile(r"(?<![\p{L}])(?:Số|SỐ|Sô|Só|So)\s*(?:đến)?\s*[:.]?\s*(?P<n>\d{1,6})(?![\d/-])")
_DATE_LABEL = re.compile(r"(?i)(?<![\p{L}])ngày\s*(?:đến)?\s*[:.]?\s*")
STAMP_LINES = 6
"""How many lines the stamp block spans at most (ĐẾN, Số, Ngày, Chuyển, Lưu hồ sơ số...)."""


@dataclass
class Stamp:
    number: Extracted[str] | None
    date: Extracted[str] | None
    span: Span


def find_stamp(text: str, search_chars: int = 2500) -> Stamp | None:
    """The incoming stamp in the first part of ``text``, if there is one."""
    lines = split_lines(text[:search_chars])
    for i, ln in enumerate(lines):
        m = _DEN.search(ln.text)
        if not m or len(ln.text) > 60 or fold(ln.text).startswith(("kinh", "gui")):
            continue
        block = lines[i : i + STAMP_LINES]
        start = ln.start + m.start()
        number = date = None
        for b in block:
            nm = _NUMBER.search(text, b.start, b.end)
            if nm and number is None:
                number = Extracted[str](value=nm["n"], span=nm.span("n"), confidence=0.7)
            dm = _DATE_LABEL.search(text, b.start, b.end)
            if dm and date is None:
                found = find_dates(text, dm.end(), b.end)
                if found:
                    date = Extracted[str](value=found[0].date.root, span=found[0].span, confidence=0.7)
        if number or date:
            last = max(x.span[1] for x in (number, date) if x)
            return Stamp(number, date, (start, max(last, ln.end)))
    return None
