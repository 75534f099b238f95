"""Vietnamese dates in running text: ``03/11/2022``, ``ngày 03 tháng 11 năm 2022``, ``ngày 15/9``.

>>> [m.date.root for m in find_dates("ngày 03/11/2022 và ngày 5 tháng 01 năm 2024")]
['2022-11-03', '2024-01-05']
>>> find_dates("trước ngày 15/9", default_year=2023)[0].date.root
'2023-09-15'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import regex as re

from schemas import PartialDate, Span

_D = r"(?P<d>[0-3]?\d)"
_M = r"(?P<m>[01]?\d)"
_Y = r"(?P<y>(?:19|20)\d\d)"

#: ``ngày 03 tháng 11 năm 2022``; day and/or month may be left blank in drafts.
LONG_DATE = re.compile(
    rf"(?:ngày|Ngày)[ \t]*(?P<d>[0-3]?\d)?[ \t]*(?:tháng|Tháng)[ \t]*(?P<m>[01]?\d)?[ \t]*"
    rf"(?:,[ \t]*)?(?:năm|Năm)[ \t]*{_Y}(?!\d)"
)
#: ``03/11/2022``, ``3-11-2022``, ``03.11.2022``.
NUMERIC_DATE = re.compile(rf"(?<![\d/.])\b{_D}[ \t]?(?P<sep>[/.-])[ \t]?{_M}[ \t]?(?P=sep)[ \t]?{_Y}(?![\d])")
#: ``15/9`` (year taken from context).
YEARLESS_DATE = re.compile(rf"(?<![\d/.])\b{_D}/{_M}\b(?![/\d])")
#: ``tháng 6/2023``, ``tháng 6 năm 2023``.
MONTH_YEAR = re.compile(rf"(?:tháng|Tháng)[ \t]+{_M}(?:/|[ \t]+năm[ \t]+){_Y}(?!\d)")


@dataclass(frozen=True)
class DateMatch:
    """One date found in the text."""

    date: PartialDate
    span: Span
    has_year: bool = True


def make_date(year: int, month: int | None, day: int | None) -> PartialDate | None:
    """A :class:`PartialDate`, or ``None`` if the parts are impossible (``31/02``)."""
    try:
        return PartialDate.of(year, month, day)
    except ValueError:
        return None


def find_dates(
    text: str, start: int = 0, end: int | None = None, default_year: int | None = None
) -> list[DateMatch]:
    """Every date in ``text[start:end]``, in order, spans in ``text`` coordinates.

    Year-less dates (``15/9``) are returned only when ``default_year`` is given.
    """
    end = len(text) if end is None else end
    found: list[DateMatch] = []
    taken: list[Span] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in LONG_DATE.finditer(text, start, end):
        d = make_date(int(m["y"]), int(m["m"]) if m["m"] else None, int(m["d"]) if m["d"] and m["m"] else None)
        if d:
            found.append(DateMatch(d, m.span()))
            taken.append(m.span())
    for m in NUMERIC_DATE.finditer(text, start, end):
        if free(*m.span()):
            d = make_date(int(m["y"]), int(m["m"]), int(m["d"]))
            if d:
                found.append(DateMatch(d, m.span()))
                taken.append(m.span())
    if default_year is not None:
        for m in YEARLESS_DATE.finditer(text, start, end):
            if free(*m.span()):
                d = make_date(default_year, int(m["m"]), int(m["d"]))
                if d:
                    found.append(DateMatch(d, m.span(), has_year=False))
                    taken.append(m.span())
    return sorted(found, key=lambda x: x.span)


def parse_date(text: str, default_year: int | None = None) -> PartialDate | None:
    """The first date in ``text``, or ``None``.

    >>> parse_date("ngày   tháng 11 năm 2022").root
    '2022-11'
    """
    found = find_dates(text, default_year=default_year)
    return found[0].date if found else None


def month_end(year: int, month: int) -> dt.date:
    """Last day of a month. ``month_end(2024, 2)`` is ``2024-02-29``."""
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)
