"""The Vietnamese civil-service working-day calendar (extractors/workdays.py).

How the expected values were checked: weekdays with Python's ``calendar`` module (printed next
to each date below); days off against the government's announcements cited in
``extractors/data/workday_overrides.tsv`` (Tết 2023 20/01-26/01; Tết 2024 08/02-14/02; Tết 2025
25/01-02/02; 30/4 2023 29/4-03/5; 30/4 2024 27/4-01/5 + Sat 04/5 worked (2450/VPCP-KGVX);
30/4 2025 30/4-04/5 + Sat 26/4 worked (6150/TB-BLĐTBXH); 2/9 2023 01/9-04/9; 2/9 2024
31/8-03/9; 2/9 2025 30/8-02/9; New Year 2026 01/01-04/01 + Sat 10/01 worked (12729/VPCP-KGVX)),
then counted on a wall calendar, one working day at a time, as written in each comment.
"""

from __future__ import annotations

import datetime as dt
import re

import holidays
import pytest

from extractors.workdays import (
    OVERRIDES,
    add_calendar_days,
    add_working_days,
    is_working_day,
    next_working_day,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2023, 11, 3), True),  # Fri, ordinary
        (D(2023, 11, 4), False),  # Sat
        (D(2023, 11, 5), False),  # Sun
        (D(2023, 1, 2), False),  # Mon, nghỉ bù for New Year's Day on Sun 01/01/2023
        (D(2023, 1, 20), False),  # Fri, 29 Tết Quý Mão (off 20/01-26/01/2023)
        (D(2023, 1, 26), False),  # Thu, mùng 5 Tết
        (D(2023, 1, 27), True),  # Fri, first working day after Tết 2023
        (D(2023, 5, 2), False),  # Tue, nghỉ bù for Giỗ Tổ on Sat 29/4/2023
        (D(2023, 5, 3), False),  # Wed, nghỉ bù for 30/4 on Sun
        (D(2023, 9, 1), False),  # Fri, Quốc khánh adjacent day 2023
        (D(2023, 9, 4), False),  # Mon, nghỉ bù for 2/9 on Sat
        (D(2024, 2, 8), False),  # Thu, 29 Tết Giáp Thìn (off 08/02-14/02/2024)
        (D(2024, 2, 14), False),  # Wed, mùng 5 Tết
        (D(2024, 2, 15), True),  # Thu, back at work
        (D(2024, 4, 18), False),  # Thu, Giỗ Tổ Hùng Vương 2024 (10/3 lunar)
        (D(2024, 4, 29), False),  # Mon, swapped day off (2450/VPCP-KGVX)
        (D(2024, 5, 4), True),  # Sat, worked in exchange for 29/4/2024
        (D(2024, 5, 5), False),  # Sun
        (D(2024, 9, 3), False),  # Tue, Quốc khánh adjacent day 2024
        (D(2025, 1, 27), False),  # Mon, Tết Ất Tỵ (off 25/01-02/02/2025)
        (D(2025, 1, 31), False),  # Fri, Tết
        (D(2025, 2, 3), True),  # Mon, back at work
        (D(2025, 4, 7), False),  # Mon, Giỗ Tổ 2025
        (D(2025, 4, 26), True),  # Sat, worked in exchange for Fri 2/5/2025
        (D(2025, 5, 2), False),  # Fri, swapped day off (6150/TB-BLĐTBXH)
        (D(2025, 9, 1), False),  # Mon, Quốc khánh adjacent day 2025
        (D(2026, 1, 2), False),  # Fri, swapped day off (12729/VPCP-KGVX)
        (D(2026, 1, 10), True),  # Sat, worked in exchange for 2/1/2026
        (D(2026, 2, 16), False),  # Mon, Tết Bính Ngọ (off 14/02-22/02/2026)
        (D(2026, 2, 23), True),  # Mon, back at work
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Tết 2023 (off Fri 20/01-Thu 26/01): Thu 19/01 + 1 -> Fri 27/01
        (D(2023, 1, 19), 1, D(2023, 1, 27)),
        # Wed 18/01/2023 + 3: Thu 19 (1), Fri 27 (2), Mon 30 (3)
        (D(2023, 1, 18), 3, D(2023, 1, 30)),
        # Tết 2024 (off Thu 08/02-Wed 14/02): Wed 07/02 + 3: Thu 15 (1), Fri 16 (2), Mon 19 (3)
        (D(2024, 2, 7), 3, D(2024, 2, 19)),
        (D(2024, 2, 7), 2, D(2024, 2, 16)),
        # Tết 2025 (off Sat 25/01-Sun 02/02): Fri 24/01 + 1 -> Mon 03/02
        (D(2025, 1, 24), 1, D(2025, 2, 3)),
        # Wed 22/01/2025 + 5: Thu 23 (1), Fri 24 (2), Mon 3/2 (3), Tue 4 (4), Wed 5 (5)
        (D(2025, 1, 22), 5, D(2025, 2, 5)),
        # Tết 2026 (off Sat 14/02-Sun 22/02): Fri 13/02 + 1 -> Mon 23/02
        (D(2026, 2, 13), 1, D(2026, 2, 23)),
        # 30/4 2023 (off Sat 29/4-Wed 3/5, no make-up day): Fri 28/4 + 1 -> Thu 4/5
        (D(2023, 4, 28), 1, D(2023, 5, 4)),
        # 30/4 2024 (off Sat 27/4-Wed 1/5; Sat 4/5 worked): Fri 26/4 + 1 -> Thu 2/5
        (D(2024, 4, 26), 1, D(2024, 5, 2)),
        # Fri 26/4/2024 + 3: Thu 2/5 (1), Fri 3/5 (2), Sat 4/5 (3, làm bù)
        (D(2024, 4, 26), 3, D(2024, 5, 4)),
        # ... + 4: Sun 5/5 off -> Mon 6/5 (4)
        (D(2024, 4, 26), 4, D(2024, 5, 6)),
        # Giỗ Tổ 2024 on Thu 18/4: Wed 17/4 + 1 -> Fri 19/4
        (D(2024, 4, 17), 1, D(2024, 4, 19)),
        # 30/4 2025 (Sat 26/4 worked; off Wed 30/4-Sun 4/5): Fri 25/4 + 1 -> Sat 26/4
        (D(2025, 4, 25), 1, D(2025, 4, 26)),
        # Fri 25/4/2025 + 3: Sat 26/4 (1), Mon 28/4 (2), Tue 29/4 (3)
        (D(2025, 4, 25), 3, D(2025, 4, 29)),
        # Tue 29/4/2025 + 1: 30/4, 1/5, 2/5 (swap), 3-4/5 weekend -> Mon 5/5
        (D(2025, 4, 29), 1, D(2025, 5, 5)),
        # 2/9 2023 (off Fri 1/9-Mon 4/9): Thu 31/8 + 1 -> Tue 5/9
        (D(2023, 8, 31), 1, D(2023, 9, 5)),
        # 2/9 2024 (off Sat 31/8-Tue 3/9): Fri 30/8 + 1 -> Wed 4/9
        (D(2024, 8, 30), 1, D(2024, 9, 4)),
        # 2/9 2025 (off Sat 30/8-Tue 2/9): Fri 29/8 + 1 -> Wed 3/9
        (D(2025, 8, 29), 1, D(2025, 9, 3)),
        # Fri 29/8/2025 + 3: Wed 3/9 (1), Thu 4/9 (2), Fri 5/9 (3)
        (D(2025, 8, 29), 3, D(2025, 9, 5)),
        # New Year 2026 (off Thu 1/1-Sun 4/1): Wed 31/12/2025 + 1 -> Mon 5/1/2026
        (D(2025, 12, 31), 1, D(2026, 1, 5)),
        # Fri 9/1/2026 + 1 -> Sat 10/1 (làm bù)
        (D(2026, 1, 9), 1, D(2026, 1, 10)),
        # an ordinary week: Fri 3/11/2023 + 5: Mon 6 .. Fri 10
        (D(2023, 11, 3), 5, D(2023, 11, 10)),
    ],
)
def test_add_working_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_working_days(start, n) == expected


def test_add_working_days_zero_and_backwards() -> None:
    assert add_working_days(D(2024, 2, 10), 0) == D(2024, 2, 10)  # n=0: start itself, even on Tết
    # Thu 2/5/2024 - 1: Wed 1/5 .. Sat 27/4 off -> Fri 26/4
    assert add_working_days(D(2024, 5, 2), -1) == D(2024, 4, 26)
    # Mon 28/4/2025 - 2: Sun 27/4 off, Sat 26/4 (làm bù, 1), Fri 25/4 (2)
    assert add_working_days(D(2025, 4, 28), -2) == D(2025, 4, 25)


def test_next_working_day() -> None:
    assert next_working_day(D(2025, 1, 24)) == D(2025, 2, 3)  # Fri before Tết 2025 -> Mon 3/2
    assert next_working_day(D(2025, 1, 24), include_today=True) == D(2025, 1, 24)
    assert next_working_day(D(2024, 2, 10), include_today=True) == D(2024, 2, 15)  # Tết 2024
    assert next_working_day(D(2024, 5, 3)) == D(2024, 5, 4)  # Fri -> Sat 4/5/2024 (làm bù)


def test_add_calendar_days() -> None:
    assert add_calendar_days(D(2023, 11, 3), 10) == D(2023, 11, 13)
    assert add_calendar_days(D(2024, 2, 28), 1) == D(2024, 2, 29)  # 2024 is a leap year
    assert add_calendar_days(D(2024, 1, 5), -10) == D(2023, 12, 26)


def test_override_table_is_sane() -> None:
    """``off`` rows are weekdays, ``work`` rows are weekend days, and each swap has both halves."""
    assert OVERRIDES  # the table is loaded
    for day, working in OVERRIDES.items():
        assert (day.weekday() >= 5) is working, day
    assert OVERRIDES[D(2024, 5, 4)] is True
    assert OVERRIDES[D(2025, 4, 26)] is True
    assert OVERRIDES[D(2026, 1, 10)] is True
    assert sum(OVERRIDES.values()) == sum(not w for w in OVERRIDES.values())  # one make-up day per swap


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_every_holidays_swap_has_its_make_up_day(year: int) -> None:
    """``holidays`` names a swapped day off ``Ngày nghỉ (thay cho ngày 04/05/2024)``: that
    weekend day must be a working day, and the swapped weekday a day off."""
    for day, name in holidays.country_holidays("VN", years=year, language="vi").items():
        m = re.search(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})", name)
        if m:
            assert not is_working_day(day)
            assert is_working_day(D(int(m[3]), int(m[2]), int(m[1])))


def test_working_days_per_year_2024() -> None:
    """366 days - 104 weekend days = 262 weekdays; minus 12 weekdays off (1/1; Tết 8, 9, 12, 13,
    14/2; 18/4; 29/4; 30/4; 1/5; 2/9; 3/9); plus 1 make-up Saturday (4/5) = 251 in 2024."""
    days = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    assert sum(d.weekday() >= 5 for d in days) == 104
    assert sum(is_working_day(d) for d in days) == 251
