"""Time limits in Vietnamese administrative text, as written and, where possible, as dates.

Five kinds (see ``docs/dispatch-format.md`` §7 and the corpus guide, "Deadlines"):

- ``absolute``: ``trước ngày 02/12/2022``, ``chậm nhất là ngày 15 tháng 9 năm 2023``,
  ``trước 16 giờ 00 ngày 20/10/2023`` (time kept), ``xong trước 30/6`` (year from the document);
- ``relative``: ``trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản``;
- ``period``: ``trong tháng 12/2023``, ``trong Quý I/2023``, ``6 tháng đầu năm 2023`` — only after a
  time-limit word (``trong``, ``trước``, ``hoàn thành``, ``Thời hạn:`` ...), so a report's
  ``kết quả 9 tháng đầu năm 2023`` is not a deadline;
- ``recurring``: ``định kỳ hằng quý, trước ngày 15 của tháng cuối quý`` (an RFC 5545 RRULE);
- ``vague``: ``kịp thời``, ``ngay``, ``thường xuyên``, ``khẩn trương``, ``sớm gửi``.

The words live in ``extractors/data/deadline_triggers.tsv``, ``deadline_vague.tsv`` and
``number_words.tsv``; dates are read with the patterns of :mod:`extractors.dates`, working days
counted with :mod:`extractors.workdays`. Patterns are compiled once, at import. The text is
expected in NFC (as :mod:`extractors.normalize` leaves it): ``ngay`` never matches inside ``ngày``.

>>> [(d.kind, d.date, d.text) for d in find_deadlines("gửi về Sở Nội vụ trước ngày 02/12/2022.")]
[('absolute', '2022-12-02', 'trước ngày 02/12/2022')]
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re as stdre
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import regex as re

from extractors.dates import (
    LONG_DATE,
    MONTH_YEAR,
    NUMERIC_DATE,
    YEARLESS_DATE,
    make_date,
    month_end,
)
from extractors.tables import TYPE_NAMES, read_tsv
from extractors.workdays import add_calendar_days, add_working_days
from schemas import Deadline, PartialDate

__all__ = ["find_deadlines", "next_occurrence"]

# --------------------------------------------------------------------------- lexicon


def _lexicon(name: str) -> dict[str, dict[str, str]]:
    """``role -> {phrase: value}`` from a ``phrase<TAB>role[<TAB>value...]`` table."""
    by_role: dict[str, dict[str, str]] = defaultdict(dict)
    for row in read_tsv(name):
        by_role[row[1].strip()][_key(row[0])] = row[2].strip() if len(row) > 2 else ""
    return by_role


_BLANKS = stdre.compile(r"\s+")


def _key(s: str) -> str:
    """A phrase as looked up in the lexicon: lower case, one space between words, no markup."""
    return _BLANKS.sub(" ", s.replace("*", "").lower()).replace(" :", ":").strip()


_WORDS = _lexicon("deadline_triggers.tsv")
_VAGUE = _lexicon("deadline_vague.tsv")
_NUMBER_WORDS = {_key(word): int(value) for word, value, *_ in read_tsv("number_words.tsv")}
_DOC_WORDS = set(TYPE_NAMES)  # "công văn", "văn bản", "kế hoạch", ...

# --------------------------------------------------------------------------- pattern pieces

_S = r"[ \t]*(?:\n[ \t]*)?"  # optional blanks, at most one line break
_S1 = r"(?:[ \t]+(?:\n[ \t]*)?|\n[ \t]*)"  # at least one blank or a line break
_YEAR = r"(?:19|20)\d\d"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"
_MONTH = r"(?:1[0-2]|0?[1-9])"


def _phrase(p: str) -> str:
    """A lexicon phrase as a whole-word pattern; blanks may be any run of blanks or one line break."""
    colon = p.endswith(":")
    words = p.rstrip(":").split()
    body = _S1.join(re.escape(w) for w in words)
    return rf"(?<!\w){body}" + (r"[ \t]*:" if colon else r"(?!\w)")


def _alt(phrases: Iterable[str]) -> str:
    """Alternation of phrases, longest first."""
    return "(?:" + "|".join(_phrase(p) for p in sorted(set(phrases), key=len, reverse=True)) + ")"


_TIME = (
    rf"(?P<h>2[0-3]|[01]?\d){_S}(?:giờ|h|g|:){_S}(?:(?P<mi>[0-5]\d)(?:{_S}(?:phút|'|’))?)?(?!\w)"
)
_WEEKDAY_CODES = {"hai": "MO", "2": "MO", "ba": "TU", "3": "TU", "tư": "WE", "4": "WE",
                  "năm": "TH", "5": "TH", "sáu": "FR", "6": "FR", "bảy": "SA", "7": "SA",
                  "chủ nhật": "SU"}  # fmt: skip
_WEEKDAY = rf"(?<!\w)(?:thứ{_S1}(?P<wdn>hai|ba|tư|năm|sáu|bảy|[2-7])|(?P<sun>chủ{_S1}nhật))(?!\w)"
_NUMBER = rf"(?P<n>\d{{1,3}}|{_alt(_NUMBER_WORDS)})(?:{_S}\([^()\n]{{1,20}}\))?"
_CONNECTOR = rf"(?:{_alt(_WORDS['connector'])}{_S1})?"
_MD = r"\**"  # markdown bold that survived normalisation: trước ngày **02/12/2022**

# All patterns are case-sensitive and lower case: they run on a lower-cased copy of the text
# (see _lower), which keeps every offset and is faster than IGNORECASE.

# absolute: "<trigger> [connector] [time] [weekday] " then a date read with extractors.dates
_ABS_HEAD = re.compile(
    rf"(?P<trig>{_alt(_WORDS['absolute'])}){_S}(?:,{_S})?{_CONNECTOR}{_MD}{_S}"
    rf"(?:(?P<time>{_TIME})(?:{_S},)?{_S}{_CONNECTOR})?"
    rf"(?:{_WEEKDAY}(?:{_S},)?{_S})?{_MD}",
)
_NGAY = re.compile(rf"ngày{_S}{_MD}{_S}")
#: ``ngày 15 tháng 9`` without a year (``dates.LONG_DATE`` needs one).
_YEARLESS_LONG = re.compile(
    rf"ngày{_S}{_MD}(?P<d>{_DAY}){_S1}tháng{_S1}(?P<m>{_MONTH})(?!\d)(?!{_S},?{_S}(?:năm|/){_S}\d)"
)

# relative: "<trigger> [qualifier] <number> <unit> [kể từ ...]"
_REL = re.compile(
    rf"(?P<trig>{_alt(_WORDS['relative'])}){_S1}(?:{_alt(_WORDS['qualifier'])}{_S1})?{_NUMBER}"
    rf"{_S1}(?P<unit>{_alt(_WORDS['unit'])})"
    rf"(?!{_S1}(?:đầu|cuối){_S1}năm)(?!{_S1}{_alt(_WORDS['past'])})"
    rf"(?P<tail>(?:{_S},)?{_S}(?:kể{_S1})?từ{_S1})?",
)
_FROM_EVENT = re.compile(rf"(?:ngày|khi){_S1}")
_ANCHOR = re.compile(
    rf"(?P<a>{_alt(_WORDS['anchor'])})(?:{_S1}(?P<obj>{_alt(_DOC_WORDS)})(?:{_S1}này)?)?"
)
_CLAUSE_END = re.compile(r"[ \t]*(?:[,.;:)\n]|$)")
#: the rest of an event we cannot date: "kể từ ngày khởi công hoặc hoàn thành công trình"
_EVENT_REST = re.compile(r"[^,.;:()\n]{1,80}(?<=\w)(?=[ \t]*(?:[,.;:()\n]|$))")
_DURATION_BEFORE = re.compile(rf"{_alt(_WORDS['duration_cue'])}{_S}$")

# period: "<trigger> [connector] " then a month, a quarter, "N tháng đầu/cuối năm" or a year
_PERIOD_HEAD = re.compile(
    rf"(?P<trig>{_alt(_WORDS['period'])}){_S}(?:,{_S})?(?:{_alt(_WORDS['period_connector'])}{_S1})?"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD = re.compile(
    rf"(?:(?P<n>\d{{1,2}}|{_alt(_NUMBER_WORDS)}){_S1}tháng{_S1}(?P<half>đầu|cuối){_S1}năm"
    rf"(?:{_S1}(?P<y1>{_YEAR}))?"
    rf"|quý{_S1}(?P<q>iv|iii|ii|i|[1-4])(?!\w)(?:{_S}(?:[/-]|,?{_S}năm{_S1}){_S}(?P<y2>{_YEAR}))?"
    rf"|tháng{_S1}(?P<m>{_MONTH})(?![\d/])(?!{_S},?{_S}năm{_S1}\d)"  # no year: MONTH_YEAR failed
    rf"|năm{_S1}(?P<y4>{_YEAR}))(?!\d)",
)

# recurring: a frequency ("định kỳ hằng quý") and a day spec ("trước ngày 15 của tháng cuối quý")
_FREQ = (
    rf"(?:{_alt(_WORDS['recurring_prefix'])}{_S1})?(?P<freq>{_alt(_WORDS['frequency'])})"
)
_DM = rf"(?P<d>{_DAY}){_S}(?:/|{_S1}tháng{_S1})(?P<m>{_MONTH})(?!\d)(?!{_S}(?:/|-|,?{_S}năm){_S}\d)"
_DAYSPEC = (
    rf"(?:ngày{_S}(?:(?P<qd>{_DAY}){_S1}(?:của{_S1})?tháng{_S1}(?P<qm>{_alt(_WORDS['quarter_month'])})"
    rf"|(?P<last>cuối{_S1}(?:cùng{_S1})?(?:của{_S1})?tháng)(?!{_S1}(?:đầu|cuối|giữa|thứ))"
    rf"|(?P<dd>{_DAY})(?:{_S1}(?:của{_S1})?tháng{_S1}{_alt(_WORDS['next_month'])})?(?!\d|{_S}/|{_S1}tháng))"
    rf"|(?:ngày{_S})?{_DM}(?:{_S}(?:,|;|và){_S}(?:ngày{_S})?{_DM})*"
    rf"|(?:{_TIME}(?:{_S},)?{_S})?{_WEEKDAY})"
)
_TRIG = rf"(?P<trig>{_alt(_WORDS['absolute'])}){_S}{_CONNECTOR}"
#: frequency first: ``định kỳ hằng tháng (trước ngày 25)``, ``hằng quý, ... trước ngày 15 ...``
_REC_FREQ_FIRST = re.compile(
    rf"{_FREQ}(?:{_S}[,:;–-])?{_S}(?:(?P<open>\(){_S})?(?P<gap>[^.;\n()]{{0,80}}?){_TRIG}{_DAYSPEC}"
)
#: day spec first: ``trước ngày 20/12 hằng năm``; or a quarter month alone
_REC_SPEC_FIRST = re.compile(rf"{_TRIG}{_DAYSPEC}(?:{_S},?{_S}(?:của{_S1})?{_FREQ})?")
_FREQ_AFTER = re.compile(rf"{_S},?{_S}{_FREQ}")
_PREFIX_BEFORE = re.compile(rf"{_alt(_WORDS['recurring_prefix'])}{_S}[,:]?{_S}$")
_CLOSE = re.compile(r"[ \t]*\)")

# vague
_VAGUE_RE = re.compile(
    rf"{_alt(_VAGUE['vague'])}|{_alt(_VAGUE['before_verb'])}(?={_S1}{_alt(_VAGUE['verb'])})"
)
_VAGUE_STOP = re.compile(_alt(_VAGUE["stop"]))
_PURPOSE_BEFORE = re.compile(rf"{_alt(_VAGUE['purpose'])}{_S}$")


def _cue_table() -> dict[str, set[str]]:
    """First word of every phrase that can start a deadline -> the kinds to try there."""
    roles = {
        "absolute": (_WORDS, ("absolute",)),
        "period": (_WORDS, ("period",)),
        "relative": (_WORDS, ("relative",)),
        "recurring": (_WORDS, ("absolute", "frequency", "recurring_prefix")),
        "vague": (_VAGUE, ("vague", "before_verb")),
    }
    table: dict[str, set[str]] = defaultdict(set)
    for kind, (lexicon, names) in roles.items():
        for name in names:
            for phrase in lexicon[name]:
                table[phrase.rstrip(":").split()[0]].add(kind)
    return table


_CUES = _cue_table()
#: Case-sensitive literal alternation without look-arounds, so that ``re`` can skip ahead on the
#: first characters: ~0.1 ms on 5 KB, where a case-insensitive whole-word alternation takes ~0.5 ms.
_CUE_RE = stdre.compile(
    "(?:" + "|".join(stdre.escape(w) for w in sorted(_CUES, key=len, reverse=True)) + r")(?!\w)"
)
_WORD_CHAR = stdre.compile(r"\w")

#: overlap resolution: the first kind wins, then the longer match
_PRIORITY = {"recurring": 0, "relative": 1, "absolute": 2, "period": 3, "vague": 4}


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class _Ctx:
    """What the document date tells: its year, and the earliest and latest day it can be."""

    year: int | None = None
    lo: dt.date | None = None
    hi: dt.date | None = None

    @classmethod
    def of(cls, doc_date: PartialDate | None) -> _Ctx:
        if doc_date is None:
            return cls()
        y, m = doc_date.year, doc_date.month
        if doc_date.is_complete:
            d = doc_date.as_date()
            return cls(y, d, d)
        if m is not None:
            return cls(y, dt.date(y, m, 1), month_end(y, m))
        return cls(y, dt.date(y, 1, 1), dt.date(y, 12, 31))

    @property
    def complete(self) -> dt.date | None:
        return self.lo if self.lo is not None and self.lo == self.hi else None


@dataclass
class _Found:
    kind: str
    start: int
    end: int
    fields: dict

    def deadline(self, text: str) -> Deadline:
        return Deadline(
            text=_as_printed(text[self.start : self.end]), kind=self.kind, span=(self.start, self.end), **self.fields
        )


def _as_printed(s: str) -> str:
    """The deadline text as printed, without markdown ``*`` and with blanks collapsed."""
    return _BLANKS.sub(" ", s.replace("*", "")).strip()


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _time(m: re.Match) -> str | None:
    if not m["h"]:
        return None
    return f"{int(m['h']):02d}:{int(m['mi'] or 0):02d}"


# --------------------------------------------------------------------------- absolute


def _absolute(text: str, pos: int, end: int, ctx: _Ctx) -> Iterable[_Found]:
    head = _ABS_HEAD.match(text, pos, end)
    if head:
        p = head.end()
        date: PartialDate | None = None
        yearless: tuple[int, int] | None = None
        m = LONG_DATE.match(text, p, end)
        if m:
            date = make_date(int(m["y"]), int(m["m"]) if m["m"] else None, int(m["d"]) if m["d"] and m["m"] else None)
        else:
            ng = _NGAY.match(text, p, end)
            q = ng.end() if ng else p
            m = NUMERIC_DATE.match(text, q, end)
            if m:
                date = make_date(int(m["y"]), int(m["m"]), int(m["d"]))
            else:
                m = _YEARLESS_LONG.match(text, p, end) or YEARLESS_DATE.match(text, q, end)
                if m and make_date(2000, int(m["m"]), int(m["d"])):  # 2000: a leap year
                    yearless = int(m["d"]), int(m["m"])
        if m is None or (date is None and yearless is None):
            return
        fields: dict = {"time": _time(head)}
        if date is not None:
            fields["date"] = date.root
            full = date.as_date()
            if full is None:
                fields["confidence"] = 0.6  # a draft's blank day
            elif ctx.lo is not None and full < ctx.lo:
                fields["confidence"] = 0.3  # before the document itself: a typo or a past event
            else:
                fields["confidence"] = 0.95
        else:
            fields.update(_yearless(*yearless, ctx))
        if yearless is not None and not _NGAY.match(text, p, end):
            fields["confidence"] = round(fields["confidence"] - 0.1, 2)  # "xong trước 30/6": no "ngày"
        yield _Found("absolute", head.start(), m.end(), fields)


def _yearless(day: int, month: int, ctx: _Ctx) -> dict:
    """Date and confidence of ``ngày 15/9``: the document's year, or the next if already past."""
    if ctx.year is None:
        return {"date": None, "confidence": 0.5}
    try:
        d = dt.date(ctx.year, month, day)
    except ValueError:  # 29/02 in a common year
        return {"date": None, "confidence": 0.4}
    if ctx.lo is not None and d < ctx.lo:
        nxt = make_date(ctx.year + 1, month, day)
        return {"date": nxt.root if nxt else None, "confidence": 0.7}
    if ctx.hi is not None and d < ctx.hi:  # partial document date: may or may not be past
        return {"date": d.isoformat(), "confidence": 0.6}
    return {"date": d.isoformat(), "confidence": 0.8}


# --------------------------------------------------------------------------- relative


def _shift(base: dt.date, amount: int, unit: str) -> dt.date:
    if unit == "working_day":
        return add_working_days(base, amount)
    if unit == "week":
        return add_calendar_days(base, 7 * amount)
    if unit == "month":  # same day of the month, or the month's last day (Civil Code art. 147)
        y, m = divmod(base.month - 1 + amount, 12)
        y, m = base.year + y, m + 1
        return dt.date(y, m, min(base.day, calendar.monthrange(y, m)[1]))
    return add_calendar_days(base, amount)


def _relative(text: str, pos: int, end: int, ctx: _Ctx, start: int) -> Iterable[_Found]:
    m = _REL.match(text, pos, end)
    if m:
        n = m["n"]
        amount = int(n) if n.isdigit() else _NUMBER_WORDS[_key(n)]
        unit = _WORDS["unit"][_key(m["unit"])]
        stop = m.end("unit")
        base, anchor, confidence = ctx.complete, None, 0.75
        if m["tail"]:
            q = m.end()
            explicit = LONG_DATE.match(text, q, end)
            ev = _FROM_EVENT.match(text, q, end)
            if explicit is None and ev:
                explicit = NUMERIC_DATE.match(text, ev.end(), end)
            a = None if explicit or not ev else _ANCHOR.match(text, ev.end(), end)
            if explicit:
                d = make_date(int(explicit["y"]), int(explicit["m"] or 0) or None, int(explicit["d"] or 0) or None)
                base, confidence, stop = (d.as_date() if d else None), 0.9, explicit.end()
            elif a and (a["obj"] or _CLAUSE_END.match(text, a.end(), end)):
                anchor = _WORDS["anchor"][_key(a["a"])]
                confidence = 0.7 if anchor == "receipt" else 0.9
                stop = a.end()
            else:  # "kể từ ngày nhận được hồ sơ hợp lệ": an event we cannot date
                base, confidence = None, 0.6
                rest = _EVENT_REST.match(text, ev.end(), end) if ev else None
                if rest:
                    stop = rest.end()
        elif _key(m["trig"]) == "sau":
            return  # "sau 3 tháng triển khai": narrative; "sau" makes a limit only with "kể từ"
        elif _DURATION_BEFORE.search(text, max(start, m.start() - 30), m.start()):
            return  # "Hội nghị diễn ra trong 02 ngày": a duration
        if _key(m["trig"]) == "sau":
            confidence -= 0.1  # "sau 15 ngày kể từ ngày ký" often states when a rule takes effect
        fields = {
            "amount": amount,
            "unit": unit,
            "anchor": anchor,
            "date": _iso(_shift(base, amount, unit)) if base else None,
            "confidence": round(confidence, 2),
        }
        yield _Found("relative", m.start(), stop, fields)


# --------------------------------------------------------------------------- period


def _period_bounds(text: str, p: int, end: int) -> tuple[re.Match, int, int, int | None] | None:
    """``(match, first month, last month, year or None)`` of the period written at ``p``."""
    m = MONTH_YEAR.match(text, p, end)
    if m:
        month = int(m["m"])
        return (m, month, month, int(m["y"])) if 1 <= month <= 12 else None
    m = _PERIOD.match(text, p, end)
    if m is None:
        return None
    if m["q"]:
        q = _ROMAN[m["q"]]
        return m, 3 * q - 2, 3 * q, int(m["y2"]) if m["y2"] else None
    if m["half"]:  # "6 tháng đầu năm", "6 tháng cuối năm"
        n = int(m["n"]) if m["n"].isdigit() else _NUMBER_WORDS[_key(m["n"])]
        if not 1 <= n <= 12:
            return None
        first, last = (1, n) if m["half"] == "đầu" else (13 - n, 12)
        return m, first, last, int(m["y1"]) if m["y1"] else None
    if m["m"]:
        return m, int(m["m"]), int(m["m"]), None
    return m, 1, 12, int(m["y4"])


def _period(text: str, pos: int, end: int, ctx: _Ctx) -> Iterable[_Found]:
    head = _PERIOD_HEAD.match(text, pos, end)
    found = _period_bounds(text, head.end(), end) if head else None
    if found is None:
        return
    m, first, last, year = found
    use = _WORDS["period"][_key(head["trig"])]
    if use == "end_part" and (first, last) == (1, 12):
        return  # "nhân rộng trong năm 2023": narrative far more often than a time limit
    before = use == "before"
    confidence = 0.7 if (first, last) == (1, 12) else 0.85
    if year is None:  # "trong tháng 12", "6 tháng cuối năm": the document's year
        if ctx.year is None:
            yield _Found("period", head.start(), m.end(), {"date": None, "confidence": 0.5})
            return
        year, confidence = ctx.year, confidence - 0.1
        if ctx.lo is not None and month_end(year, last) < ctx.lo:
            year += 1  # "trong tháng 1" written in December: next January
    if ctx.lo is not None and month_end(year, last) < ctx.lo:
        return  # "đã chỉ ra trong năm 2022" in a 2023 letter: a past period, not a time limit
    if before:  # "trước tháng 6/2023": by the end of May
        due, confidence = dt.date(year, first, 1) - dt.timedelta(days=1), confidence - 0.1
    else:
        due = month_end(year, last)
    yield _Found("period", head.start(), m.end(), {"date": due.isoformat(), "confidence": round(confidence, 2)})


# --------------------------------------------------------------------------- recurring


def _rrule(m: re.Match, freqs: list[str]) -> tuple[str, float] | None:
    """The RRULE of a recurring match and its confidence, or ``None`` if it makes no sense."""
    freq = freqs[0] if freqs else None
    if m["qm"]:
        k = int(_WORDS["quarter_month"][_key(m["qm"])])
        months = ",".join(str(k + 3 * i) for i in range(4))
        return f"FREQ=MONTHLY;BYMONTH={months};BYMONTHDAY={int(m['qd'])}", 0.85
    if m["wdn"] or m["sun"]:
        if freq != "week":
            return None
        code = "SU" if m["sun"] else _WEEKDAY_CODES[m["wdn"].lower()]
        return f"FREQ=WEEKLY;BYDAY={code}", 0.85
    if not freqs:
        return None  # "trước ngày 15/9" alone is absolute
    # the month(s) a bare day falls in: the last month of the period (Decree 09/2019 sets report
    # deadlines by the "tháng cuối kỳ"), a guess, hence the lower confidence
    default_months = {"quarter": "3,6,9,12", "half": "6,12", "year": "12"}
    if m["last"] or m["dd"]:
        day = -1 if m["last"] else int(m["dd"])
        if freq == "month":
            return f"FREQ=MONTHLY;BYMONTHDAY={day}", 0.85
        if freq in default_months:
            kind = "MONTHLY" if freq == "quarter" else "YEARLY"
            return f"FREQ={kind};BYMONTH={default_months[freq]};BYMONTHDAY={day}", 0.65
        return None
    if m["d"]:
        pairs = {(int(d), int(mo)) for d, mo in zip(m.captures("d"), m.captures("m"), strict=True)}
        if any(make_date(2000, mo, d) is None for d, mo in pairs):
            return None  # "31/2"
        if freq == "month":
            return None  # "hằng tháng, trước ngày 15/6": contradictory
        by_day: dict[int, list[int]] = defaultdict(list)
        for d, mo in pairs:
            by_day[d].append(mo)
        rules = [
            f"FREQ=YEARLY;BYMONTH={','.join(map(str, sorted(ms)))};BYMONTHDAY={d}"
            for d, ms in sorted(by_day.items(), key=lambda x: min(x[1]))
        ]
        return "\n".join(rules), 0.85
    return None


def _recurring(text: str, pos: int, end: int, ctx: _Ctx, start: int) -> Iterable[_Found]:
    for pattern in (_REC_FREQ_FIRST, _REC_SPEC_FIRST):
        m = pattern.match(text, pos, end)
        if m is None:
            continue
        freqs = [_WORDS["frequency"][_key(f)] for f in m.captures("freq")]
        e = m.end()
        if pattern is _REC_FREQ_FIRST:
            if m["open"] and (close := _CLOSE.match(text, e, end)):
                e = close.end()
            elif (after := _FREQ_AFTER.match(text, e, end)) is not None:
                freqs.append(_WORDS["frequency"][_key(after["freq"])])
                e = after.end()
        if m["qm"] is None and not freqs:
            continue
        if m["d"] and "year" in freqs:  # "định kỳ 6 tháng, trước ngày 15/6 và 15/12 hằng năm"
            freqs = [f for f in freqs if f != "year"] + ["year"]
        rule = _rrule(m, freqs)
        if rule is None:
            continue
        rrule, confidence = rule
        s = m.start()
        if pattern is _REC_SPEC_FIRST and (pre := _PREFIX_BEFORE.search(text, max(start, s - 12), s)):
            s = pre.start()  # "định kỳ trước ngày 18 hằng tháng"
        yield _Found(
            "recurring",
            s,
            e,
            {"recurrence": rrule, "date": _iso(_next_from(rrule, ctx)), "time": _time(m), "confidence": confidence},
        )


#: weekly reports fixed on a weekday: "định kỳ vào thứ Sáu hằng tuần", "hằng tuần (vào chiều thứ Sáu)"
_PART_OF_DAY = rf"(?:(?:buổi{_S1})?(?:sáng|chiều|trưa){_S1})?"
_WEEKLY = re.compile(
    rf"(?:{_alt(_WORDS['recurring_prefix'])}{_S1})?(?:vào{_S1})?{_PART_OF_DAY}{_WEEKDAY}{_S1}(?:hằng|hàng|mỗi){_S1}tuần"
    rf"|(?:{_alt(_WORDS['recurring_prefix'])}{_S1})?(?:hằng|hàng|mỗi){_S1}tuần{_S}(?P<open>\()?{_S}(?:vào{_S1})?{_PART_OF_DAY}{_WEEKDAY}(?:{_S}\))?"
)


def _weekly(text: str, pos: int, end: int, ctx: _Ctx) -> Iterable[_Found]:
    m = _WEEKLY.match(text, pos, end)
    if m:
        code = "SU" if m["sun"] else _WEEKDAY_CODES[m["wdn"].lower()]
        rrule = f"FREQ=WEEKLY;BYDAY={code}"
        yield _Found("recurring", m.start(), m.end(), {"recurrence": rrule, "date": _iso(_next_from(rrule, ctx)), "confidence": 0.8})


def _next_from(rrule: str, ctx: _Ctx) -> dt.date | None:
    """Next occurrence on or after the document date, if every possible document date agrees."""
    if ctx.lo is None or ctx.hi is None:
        return None
    try:
        first, last = next_occurrence(rrule, ctx.lo), next_occurrence(rrule, ctx.hi)
    except ValueError:
        return None
    return first if first == last else None


_BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def next_occurrence(rrule: str, after: dt.date) -> dt.date:
    """The first date on or after ``after`` that ``rrule`` (RFC 5545) yields.

    Supports ``FREQ`` (``DAILY``, ``WEEKLY``, ``MONTHLY``, ``YEARLY``) with ``BYMONTH``,
    ``BYMONTHDAY`` (negative counts from the month's end) and plain ``BYDAY`` codes. Without a
    ``DTSTART`` the series is defined by its ``BY*`` parts alone, so ``INTERVAL``, ``COUNT`` and
    ``UNTIL`` are ignored. Several rules, one per line, give their earliest date.

    >>> import datetime as dt
    >>> next_occurrence("FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15", dt.date(2023, 11, 3))
    datetime.date(2023, 12, 15)
    >>> next_occurrence("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20", dt.date(2023, 12, 21))
    datetime.date(2024, 12, 20)
    """
    rules = [r for r in rrule.splitlines() if r.strip()]
    if not rules:
        raise ValueError("empty RRULE")
    return min(_next_one(r, after) for r in rules)


@lru_cache(maxsize=1024)
def _next_one(rule: str, after: dt.date) -> dt.date:
    parts: dict[str, str] = {}
    for item in rule.strip().removeprefix("RRULE:").split(";"):
        if item.strip():
            k, _, v = item.partition("=")
            parts[k.strip().upper()] = v.strip().upper()
    freq = parts.get("FREQ")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValueError(f"unsupported FREQ in {rule!r}")
    months = {int(x) for x in parts["BYMONTH"].split(",")} if "BYMONTH" in parts else None
    mdays = [int(x) for x in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else None
    wdays = None
    if "BYDAY" in parts:
        codes = parts["BYDAY"].split(",")
        if any(c not in _BYDAY for c in codes):
            raise ValueError(f"unsupported BYDAY in {rule!r}")
        wdays = {_BYDAY.index(c) for c in codes}
    if (freq == "WEEKLY" and wdays is None) or (
        freq in ("MONTHLY", "YEARLY") and mdays is None and wdays is None
    ):
        raise ValueError(f"{rule!r} needs a DTSTART, which a deadline does not have")
    y, mo = after.year, after.month
    for _ in range(12 * 8 + 1):
        if months is None or mo in months:
            last = calendar.monthrange(y, mo)[1]
            if mdays is None:
                days = list(range(1, last + 1))
            else:
                days = sorted({d if d > 0 else last + 1 + d for d in mdays} & set(range(1, last + 1)))
            for d in days:
                day = dt.date(y, mo, d)
                if day >= after and (wdays is None or day.weekday() in wdays):
                    return day
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    raise ValueError(f"{rule!r} has no occurrence within eight years")


# --------------------------------------------------------------------------- vague


def _vague(text: str, pos: int, end: int, start: int) -> Iterable[_Found]:
    m = _VAGUE_RE.match(text, pos, end)
    if m:
        # a stop phrase ("ngay cả", "chi thường xuyên", "chưa kịp thời") starts at most 3 words before
        for stop in _VAGUE_STOP.finditer(text, max(start, m.start() - 25), min(end, m.end() + 25)):
            if stop.start() <= m.start() and m.end() <= stop.end():
                return
        purpose = _PURPOSE_BEFORE.search(text, max(start, m.start() - 12), m.start())
        yield _Found("vague", m.start(), m.end(), {"date": None, "confidence": 0.3 if purpose else 0.5})


# --------------------------------------------------------------------------- entry point


def _lower(text: str) -> str:
    """``text`` in lower case, offset for offset (``str.lower`` lengthens only U+0130 "İ")."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(ch.lower()[:1] for ch in text)
    return low


def find_deadlines(
    text: str, doc_date: PartialDate | None = None, start: int = 0, end: int | None = None
) -> list[Deadline]:
    """Every deadline expression in ``text[start:end]``, in text order, without overlaps.

    Spans are half-open offsets into ``text``; ``Deadline.text`` is the expression from its
    trigger word to the end of the date (markdown ``*`` removed, blanks collapsed). ``doc_date``
    (the issue date) supplies the year of year-less dates and periods, and the start of relative
    and recurring limits; relative dates are computed only from a complete date.

    >>> doc = PartialDate("2023-11-03")
    >>> text = ("Báo cáo gửi trước 16 giờ 00 ngày 20/11/2023; góp ý trong thời hạn 05 ngày làm việc "
    ...         "kể từ ngày nhận được văn bản; định kỳ hằng quý, trước ngày 15 của tháng cuối quý.")
    >>> for d in find_deadlines(text, doc):
    ...     print(d.kind, d.date, d.time, d.recurrence, repr(d.text))
    absolute 2023-11-20 16:00 None 'trước 16 giờ 00 ngày 20/11/2023'
    relative 2023-11-10 None None 'trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản'
    recurring 2023-12-15 None FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15 'định kỳ hằng quý, trước ngày 15 của tháng cuối quý'
    """
    end = len(text) if end is None else min(end, len(text))
    ctx = _Ctx.of(doc_date)
    low = _lower(text)
    found: list[_Found] = []
    for cue in _CUE_RE.finditer(low, start, end):
        pos = cue.start()
        if pos > 0 and _WORD_CHAR.match(low, pos - 1):
            continue  # the end of a longer word
        kinds = _CUES[cue.group()]
        if "recurring" in kinds:
            found += _recurring(low, pos, end, ctx, start)
            found += _weekly(low, pos, end, ctx)
        if "relative" in kinds:
            found += _relative(low, pos, end, ctx, start)
        if "absolute" in kinds:
            found += _absolute(low, pos, end, ctx)
        if "period" in kinds:
            found += _period(low, pos, end, ctx)
        if "vague" in kinds:
            found += _vague(low, pos, end, start)
    found.sort(key=lambda f: (_PRIORITY[f.kind], f.start - f.end, f.start))
    kept: list[_Found] = []  # sorted by start, pairwise disjoint
    for f in found:
        i = bisect.bisect_left(kept, f.start, key=lambda k: k.start)
        if (i == 0 or kept[i - 1].end <= f.start) and (i == len(kept) or f.end <= kept[i].start):
            kept.insert(i, f)
    return [f.deadline(text) for f in kept]
