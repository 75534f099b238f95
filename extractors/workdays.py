"""The Vietnamese civil-service working-day calendar.

Civil servants work Monday to Friday. Days off are the public holidays of the Labour Code
(art. 112) as computed by the ``holidays`` package (Tết by the Vietnamese lunar calendar, Hùng
Kings' day, substitute days off), plus the swaps the government announces each year, kept in
``extractors/data/workday_overrides.tsv`` (a swapped weekday off, and the Saturday worked in
exchange). Everything is computed once per year and cached.

>>> import datetime as dt
>>> is_working_day(dt.date(2024, 5, 4))   # Saturday worked in exchange for Mon 29/4/2024
True
>>> add_working_days(dt.date(2024, 2, 7), 3)   # Tết Giáp Thìn: 08-14/02/2024 off
datetime.date(2024, 2, 19)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays
import regex as re

from extractors.tables import read_tsv

#: Label ``holidays`` gives a swapped day off: ``Ngày nghỉ (thay cho ngày 04/05/2024)``; the date
#: in brackets is the weekend day worked in exchange.
_SWAP_LABEL = re.compile(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})")


def _load_overrides() -> dict[dt.date, bool]:
    table: dict[dt.date, bool] = {}
    for row in read_tsv("workday_overrides.tsv"):
        day, status = dt.date.fromisoformat(row[0].strip()), row[1].strip()
        if status not in ("off", "work"):
            raise ValueError(f"workday_overrides.tsv: {row[0]}: expected 'off' or 'work', got {status!r}")
        table[day] = status == "work"
    return table


#: date -> True (working day) / False (day off), from ``workday_overrides.tsv``.
OVERRIDES: dict[dt.date, bool] = _load_overrides()


@dataclass(frozen=True)
class _Year:
    off: frozenset[dt.date]
    work: frozenset[dt.date]


@cache
def _year(year: int) -> _Year:
    """Holidays of ``year`` and the weekend days worked in exchange for a swapped day off.

    A make-up day may lie in the year before its swapped day off (29/12 for 2/1), so the swaps of
    ``year + 1`` are read too.
    """
    hols = holidays.country_holidays("VN", years=[year, year + 1], language="vi")
    work = set()
    for names in hols.values():
        for m in _SWAP_LABEL.finditer(names):
            made_up = dt.date(int(m[3]), int(m[2]), int(m[1]))
            if made_up.year == year:
                work.add(made_up)
    return _Year(off=frozenset(d for d in hols if d.year == year), work=frozenset(work))


def is_working_day(d: dt.date) -> bool:
    """Whether civil servants work on ``d``.

    Monday to Friday, except public holidays and announced swapped days off; a Saturday or
    Sunday announced as a make-up working day counts as a working day.

    >>> import datetime as dt
    >>> [is_working_day(dt.date(2025, 4, x)) for x in (25, 26, 27, 30)]  # Fri, Sat (làm bù), Sun, 30/4
    [True, True, False, False]
    """
    override = OVERRIDES.get(d)
    if override is not None:
        return override
    cal = _year(d.year)
    if d in cal.off:
        return False
    if d in cal.work:
        return True
    return d.weekday() < 5


def add_calendar_days(start: dt.date, n: int) -> dt.date:
    """The date ``n`` calendar days after ``start`` (before it when ``n`` is negative).

    >>> import datetime as dt
    >>> add_calendar_days(dt.date(2023, 12, 25), 10)
    datetime.date(2024, 1, 4)
    """
    return start + dt.timedelta(days=n)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``start``; ``start`` itself is not counted.

    ``n == 0`` returns ``start`` unchanged (even if it is a day off); a negative ``n`` counts
    backwards.

    >>> import datetime as dt
    >>> add_working_days(dt.date(2024, 4, 26), 3)   # Fri; 27/4-1/5 off; Thu 2, Fri 3, Sat 4/5 (làm bù)
    datetime.date(2024, 5, 4)
    >>> add_working_days(dt.date(2024, 5, 2), -1)
    datetime.date(2024, 4, 26)
    """
    step = dt.timedelta(days=1 if n >= 0 else -1)
    d = start
    remaining = abs(n)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def next_working_day(d: dt.date, *, include_today: bool = False) -> dt.date:
    """The first working day after ``d`` (or ``d`` itself if ``include_today`` and it is one).

    With ``include_today=True`` this is the Civil Code rule (art. 148): a time limit whose last
    day is a day off ends on the next working day.

    >>> import datetime as dt
    >>> next_working_day(dt.date(2025, 1, 24))   # Fri before Tết Ất Tỵ (25/01-02/02/2025 off)
    datetime.date(2025, 2, 3)
    >>> next_working_day(dt.date(2025, 1, 24), include_today=True)
    datetime.date(2025, 1, 24)
    """
    if include_today and is_working_day(d):
        return d
    return add_working_days(d, 1)
