"""Vietnamese domain knowledge, loaded once from the TSV tables in ``extractors/data/``.

The tables are the single place where type abbreviations, issuer abbreviations, signer
prefixes, urgency and secrecy marks live; extractors read them from here.

>>> DOC_TYPES_BY_ABBR["QĐ"].name
'Quyết định'
>>> TITLE_WORDS["KẾ HOẠCH"]
'Kế hoạch'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data")


def read_tsv(name: str) -> list[list[str]]:
    """Rows of a TSV table in ``extractors/data`` (``#`` lines and blank lines skipped)."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a plain word list in ``extractors/data``."""
    return [
        line.strip()
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


@dataclass(frozen=True)
class DocType:
    name: str
    abbr: str
    title_words: tuple[str, ...]
    family: str


DOC_TYPES: list[DocType] = [
    DocType(name, abbr, tuple(words.split("|")), family)
    for name, abbr, words, family in read_tsv("doc_types.tsv")
]
DOC_TYPES_BY_ABBR: dict[str, DocType] = {}
for _t in DOC_TYPES:
    DOC_TYPES_BY_ABBR.setdefault(_t.abbr, _t)
TITLE_WORDS: dict[str, str] = {w: t.name for t in DOC_TYPES for w in t.title_words}
TYPE_NAMES: dict[str, str] = {t.name.lower(): t.name for t in DOC_TYPES}

ISSUER_ABBREVIATIONS: dict[str, str] = dict(
    (row[0], row[1]) for row in read_tsv("issuer_abbreviations.tsv")
)

UNIT_ABBREVIATIONS: dict[str, str] = dict((row[0], row[1]) for row in read_tsv("unit_abbreviations.tsv"))
"""Drafting-unit codes common in symbols (``CCHC``, ``QLĐĐ``): only to decide OCR repairs."""

SIGNER_PREFIXES: dict[str, str] = {
    variant: code for variants, code, _ in read_tsv("signer_prefixes.tsv") for variant in variants.split("|")
}

MARKS: dict[str, tuple[str, str]] = {
    mark: (field, canonical) for mark, field, canonical in read_tsv("marks.tsv")
}

DISTRIBUTION_PURPOSES: dict[str, str] = dict(
    (row[0], row[1]) for row in read_tsv("distribution_purposes.tsv")
)


@cache
def word_list(name: str) -> tuple[str, ...]:
    """A word list from ``extractors/data`` (cached)."""
    return tuple(read_lines(name))
