"""Canonical document keys, equal however a number and symbol was written.

A key is ``<number>/<SYMBOL>@<year>``: the number without leading zeros, the symbol folded to
ASCII capitals with hyphens, slashes and spaces dropped (so lost or doubled hyphens from PDF
and OCR text do not matter, nor does ``Đ``/``D``), and the year — from the symbol of a
normative document (``30/2020/NĐ-CP``), else from the document's date, else ``?``.
Numbers restart every year, so the year is part of a document's identity.

>>> document_key("2629", "QĐ-UBND", 2022)
'2629/QDUBND@2022'
>>> document_key("2629", "QD UBND", 2022) == document_key("2629", "QĐUBND", 2022)
True
>>> document_key("30", "2020/NĐ-CP")
'30/NDCP@2020'
>>> document_key("12", "NQ/TU", None)
'12/NQTU@?'
>>> parse_number_symbol("Quyết định số 05/QĐ-UBND")
('05', 'QĐ-UBND')
"""

from __future__ import annotations

import regex as re

from extractors.lines import fold

_NORMATIVE_YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*/\s*")
NUMBER_SYMBOL = re.compile(
    r"(?<![\p{L}\d/])(?P<num>\d{1,5}[a-z]?)\s*"
    r"(?:(?P<party>-)\s*(?P<ptype>\p{Lu}[\p{L}]{0,5})\s*/\s*(?P<pbody>\p{Lu}[\p{L}\d]*(?:-\p{Lu}[\p{L}\d]*)*)"
    r"|/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?(?P<sym>\p{Lu}[\p{Lu}&đ][\p{L}\d&]*(?:-[\p{L}\d&]+)*))"
)


def fold_symbol(symbol: str) -> str:
    """``QĐ-UBND`` → ``QDUBND``; ``SNV-CCHC&VTLT`` → ``SNVCCHC&VTLT``."""
    return re.sub(r"[\s\-/–.]", "", fold(symbol)).upper()


def split_year(symbol: str) -> tuple[int | None, str]:
    """Take the year off a normative symbol: ``2020/NĐ-CP`` → ``(2020, 'NĐ-CP')``."""
    m = _NORMATIVE_YEAR.match(symbol)
    if m:
        return int(m.group(1)), symbol[m.end():]
    return None, symbol


def document_key(number: str | None, symbol: str, year: int | None = None) -> str:
    """The canonical key of a document (see the module docstring)."""
    sym_year, sym = split_year(symbol)
    year = sym_year or year
    num = (number or "").strip().lower().lstrip("0") or ("0" if number else "")
    return f"{num}/{fold_symbol(sym)}@{year if year else '?'}"


def parse_number_symbol(text: str) -> tuple[str, str] | None:
    """The first number and symbol in ``text`` as printed (Party style gives ``NQ/TU``)."""
    m = NUMBER_SYMBOL.search(text)
    if not m:
        return None
    if m["party"]:
        return m["num"], f"{m['ptype']}/{m['pbody']}"
    return m["num"], (f"{m['year']}/" if m["year"] else "") + m["sym"]


def name_key(name: str) -> str:
    """The key of a programme or law cited by name, equal across spacing and diacritics.

    >>> name_key("Chương trình tổng thể CCHC giai đoạn 2021 - 2030") == name_key("Chuong trinh tong the CCHC giai doan 2021-2030")
    True
    """
    folded = re.sub(r"\s*([-–/])\s*", "-", fold(name))
    return "name:" + " ".join(re.sub(r"[“”\"'(),.;:]", " ", folded).split())


def number_symbol(number: str | None, symbol: str | None) -> str:
    """How a number and symbol are written: ``2629/QĐ-UBND``, ``12-NQ/TU`` (Party style), ``…/SNV``.

    >>> number_symbol("12", "NQ/TU"), number_symbol("30", "2020/NĐ-CP"), number_symbol(None, "SNV-CCHC")
    ('12-NQ/TU', '30/2020/NĐ-CP', '…/SNV-CCHC')
    """
    num = number or "…"
    if symbol is None:
        return num
    party = "/" in symbol and not _NORMATIVE_YEAR.match(symbol)
    return f"{num}-{symbol}" if party and number else f"{num}/{symbol}"


def key_prefix(text: str) -> str | None:
    """A key, or the part of a key without the year, from what a user typed.

    >>> key_prefix("2629/QĐ-UBND")
    '2629/QDUBND@'
    >>> key_prefix("Nghị định 30/2020/NĐ-CP")
    '30/NDCP@2020'
    >>> key_prefix("2629/QDUBND@2022")
    '2629/QDUBND@2022'
    """
    m = re.fullmatch(r"\s*(\d+[a-z]?)/([A-Z0-9&]+)@(\d{4}|\?)\s*", text)
    if m:
        return f"{m.group(1).lstrip('0')}/{m.group(2)}@{m.group(3)}"
    ns = parse_number_symbol(text)
    if not ns:
        return None
    key = document_key(*ns)
    return key if not key.endswith("@?") else key[:-1]
