"""Post-correction of OCR text against the language of administrative documents.

Tesseract's ``vie`` model swaps tone marks and look-alike letters (``QUYÉT ĐỊNH``, ``Chú tịch``,
``ửy ban``, ``Hội đông``), glues numbers to words (``ngày23``), reads digits as letters or
brackets (``1]``, ``l0``, ``O5``) and ``Đ`` as ``D`` in symbols (``QD-UBND``). This module repairs
what the domain makes unambiguous:

- phrases of the lexicon in ``data/ocr_lexicon.txt`` whose diacritic-free form matches, also
  wrapped over two lines (``UBND tính`` → ``UBND tỉnh``, ``hô sơ`` → ``hồ sơ``), except where a
  syllable the repair would change makes a dictionary word with its neighbour (``UBND tính toán``);
- digits inside the numbers of a date or of ``Số:`` lines;
- symbol parts that become exactly one known abbreviation of the tables (types, issuers,
  drafting units) by look-alike letters or without a doubled letter (``QD`` → ``QĐ``,
  ``HDND`` → ``HĐND``, ``TIr`` → ``TTr``, ``QĐĐ`` → ``QĐ``), and the slash of a ``Số`` line
  read as a comma (``Số 05 ,STP-HCTP``);
- list dashes read as ``~``;
- ``năm`` before a year read with another mark (``nắm 2023``);
- the family name of a name on a line of its own (``Định Văn An`` → ``Đinh Văn An``, ``data/surnames.txt``);
- the marks of words a dictionary decides (``tố chức`` → ``tổ chức``, :mod:`extractors.spelling`).

Every repair is recorded, so a value extracted from repaired text gets a lowered confidence.
Clean text passes unchanged (the repairs only fire on forms that are not correct Vietnamese).

>>> from extractors.normalize import normalize
>>> n, repaired = ocr_repair(normalize("QUYÉT ĐỊNH\\nChú tịch ửy ban nhân dân tỉnh, ngày23 tháng 1] năm 2O25"))
>>> n.text
'QUYẾT ĐỊNH\\nChủ tịch ủy ban nhân dân tỉnh, ngày 23 tháng 11 năm 2025'
>>> len(repaired)
6
>>> ocr_repair(normalize("yêu cầu Thủ trưởng, Thứ trưởng các cơ sở xây dựng"))[1]  # real words stay
[]
>>> ocr_repair(normalize("Số: 12/QD-UBND"))[0].text
'Số: 12/QĐ-UBND'
>>> print(ocr_repair(normalize("Nơi nhận:\\n~ Như trên;\\n- Sở Nội vụ (b/c); ~ Lưu: VT."))[0].text)
Nơi nhận:
- Như trên;
- Sở Nội vụ (b/c);
- Lưu: VT.
"""

from __future__ import annotations

from functools import cache

import regex as re

from extractors.lines import fold
from extractors.normalize import Normalized, apply_edits
from extractors.spelling import is_word, spelling_edits
from extractors.tables import DOC_TYPES, ISSUER_ABBREVIATIONS, UNIT_ABBREVIATIONS, word_list
from schemas import Span

_GLUED = re.compile(r"(?<=(?:ngày|Ngày|tháng|Tháng|năm|Năm|Số:|số:|Số|số))(?=\d)")
_NUMBERISH = re.compile(
    r"(?<=(?:ngày|tháng|năm|Số:|Số|số)[ \t]{1,3}|\d/)(?=[\dOoIl\]|]*\d[\dOoIl\]|]*\b)[\dOoIl\]|]{1,5}(?![\p{L}])"
)
_YEAR_WORD = re.compile(r"(?<![\p{L}])(?:n[ắằẳẵặấầẩẫậáàảãạ]m|N[ắằẳẵặấầẩẫậáàảãạ]m)(?=[ \t]+(?:19|20)\d\d(?!\d))")
"""``năm`` before a year read with another tone or vowel mark (``nắm 2023``, ``nấm 2022``): no such
word stands before a year. ``nam`` (no mark: ``lao động nam 2023 người``) is left alone."""
_DIGIT_FOR = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "]": "1", "|": "1"})
_SYMBOL_PART = re.compile(r"(?<=\d/(?:\d{4}/)?(?:[\p{L}&]+-)*)[\p{L}&]{2,10}(?=[-\s.,;)]|$)")
_KNOWN_PARTS = {t.abbr for t in DOC_TYPES if t.abbr} | set(ISSUER_ABBREVIATIONS) | set(UNIT_ABBREVIATIONS)
_LOOKALIKE = {"D": "Đ", "0": "O", "1": "I", "I": "T", "l": "T"}
_NUMBER_SLASH = re.compile(
    r"(?<=(?<![\p{L}\d])(?:Số|SỐ|số)[ \t]*[:.]?[ \t]*\d{1,5}[a-z]?[ \t]*)[,.|\\](?=[ \t]*(?P<first>[\p{Lu}][\p{L}&]*)-)"
)
"""The slash of ``Số: 05/STP-HCTP`` read as a comma, point, bar or backslash."""
_BULLET = re.compile(r"(?m)^[ \t]*\K[~¬](?=[ \t]+\p{L})|(?<=;)[ \t](?=~[ \t]+\p{Lu})|^[ \t]*\K[~¬`'](?=-[ \t]*\p{L})")
"""A list dash read as ``~`` or ``¬`` at a line's start; a ``; ~ Next item`` run onto the line
of the item before (two lines of ``Nơi nhận`` read as one); a speck read before a dash (``~- Các``)."""


@cache
def _lexicon() -> dict[str, str]:
    """Folded phrase → phrase, longest first."""
    phrases = word_list("ocr_lexicon.txt")
    return {fold(p): p for p in sorted(phrases, key=len, reverse=True)}


def _with_case_of(model: str, phrase: str) -> str:
    """``phrase``'s letters (with their diacritics) in ``model``'s letter case, one by one; a line
    break of ``model`` stays."""
    return "".join(
        m if m == "\n" else p.upper() if m.isupper() else p.lower() if m.islower() else p
        for m, p in zip(model, phrase, strict=True)
    )


def _held_by_neighbour(text: str, i: int, j: int, fixed: str) -> bool:
    """A syllable the repair would change at an edge of ``text[i:j]`` makes a word with its neighbour
    outside (``UBND tính toán``, ``số hộ so với``): the printed marks are right, leave them."""
    printed = re.findall(r"\p{L}+", text[i:j])
    wanted = re.findall(r"\p{L}+", fixed)
    before = re.search(r"(\p{L}+)[ \t]$", text[max(0, i - 12) : i])
    after = re.match(r"[ \t](\p{L}+)", text[j : j + 12])
    return bool(
        before and printed[0] != wanted[0] and is_word(f"{before[1]} {printed[0]}")
        or after and printed[-1] != wanted[-1] and is_word(f"{printed[-1]} {after[1]}")
    )


def _phrase_edits(text: str) -> list[tuple[int, int, str]]:
    folded = fold(text).replace("\n", " ")  # a phrase may wrap onto the next line
    edits: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []  # a longer phrase read there decides (keys come longest first)
    for key, phrase in _lexicon().items():
        _find_phrase(text, folded, key, phrase, taken, edits)
        if ", " in key:  # its comma read as a point, the sentence going on: "phòng. chống"
            _find_phrase(text, folded, key.replace(", ", ". "), phrase, taken, edits, lower_after_point=True)
    return edits


def _find_phrase(text: str, folded: str, key: str, phrase: str, taken: list[tuple[int, int]],
                 edits: list[tuple[int, int, str]], lower_after_point: bool = False) -> None:
    """Each bounded occurrence of ``key`` in ``folded`` not inside a longer phrase already read
    becomes an edit to ``phrase`` (into ``edits``), unless the text has it right or a neighbour
    holds it; with ``lower_after_point``, only where a small letter follows the key's points."""
    i = folded.find(key)
    while i >= 0:
        j = i + len(key)
        bounded = (i == 0 or not folded[i - 1].isalnum()) and (j == len(folded) or not folded[j].isalnum())
        original = text[i:j]
        going_on = not lower_after_point or all(original[m.end()].islower() for m in re.finditer(r"\.\s", original))
        if bounded and going_on and not any(a < j and i < b for a, b in taken):
            taken.append((i, j))
            fixed = _with_case_of(original, phrase)
            if fixed != original and not _held_by_neighbour(text, i, j, fixed):
                edits.append((i, j, fixed))
        i = folded.find(key, j)


_NAME_LINE = re.compile(r"(?m)^[ \t]*\K(\p{Lu}\p{Ll}*)(?=(?:[ \t]+\p{Lu}\p{Ll}*){2,4}[ \t]*$)")


@cache
def _surnames() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    names = word_list("surnames.txt")
    by_fold: dict[str, list[str]] = {}
    for name in names:
        by_fold.setdefault(fold(name), []).append(name)
    return frozenset(names), {k: tuple(v) for k, v in by_fold.items()}


def _surname_edits(text: str) -> list[tuple[int, int, str]]:
    """A name on a line of its own (the signer's) opening with no family name of the table, but
    with exactly one of them without its marks: ``Định Văn An`` → ``Đinh Văn An``."""
    names, by_fold = _surnames()
    edits = []
    for m in _NAME_LINE.finditer(text):
        found = by_fold.get(fold(m[1]), ())
        if m[1] not in names and len(found) == 1:
            edits.append((m.start(1), m.end(1), found[0]))
    return edits


def _bullet_edits(text: str) -> list[tuple[int, int, str]]:
    """``~ Như trên;`` → ``- Như trên;``; ``(b/c); ~ Lưu: VT.`` → ``(b/c);`` / ``- Lưu: VT.`` (same
    length); ``~- Các ban`` → ``- Các ban``."""
    edits = []
    for m in _BULLET.finditer(text):
        if text.startswith("-", m.end()):  # a speck before the dash
            edits.append((m.start(), m.end(), ""))
        elif m.group() in "~¬":
            edits.append((m.start(), m.end(), "-"))
        else:  # the blank after ';' becomes the line break, the '~' a dash
            edits += [(m.start(), m.end(), "\n"), (m.end(), m.end() + 1, "-")]
    return edits


def _symbol_fixes(part: str) -> set[str]:
    """Known abbreviations ``part`` becomes by look-alike letters (``QD`` → ``QĐ``, ``TIr`` →
    ``TTr``) or without one letter of a doubled pair (``QĐĐ`` → ``QĐ``)."""
    fixes = set()
    spots = [i for i, c in enumerate(part) if c in _LOOKALIKE][:4]
    for mask in range(1, 2 ** len(spots)):  # each combination of look-alikes: HDND → HĐND, not HĐNĐ
        chars = list(part)
        for bit, i in enumerate(spots):
            if mask >> bit & 1:
                chars[i] = _LOOKALIKE[chars[i]]
        fixes.add("".join(chars))
    fixes |= {part[:i] + part[i + 1 :] for i in range(1, len(part)) if part[i] == part[i - 1] and len(part) > 2}
    return fixes & _KNOWN_PARTS


def _symbol_edits(text: str) -> list[tuple[int, int, str]]:
    """Symbol parts the tables do not know that become exactly one known part (the table decides:
    two candidates, or none, leave the part as read)."""
    edits = []
    for m in _SYMBOL_PART.finditer(text):
        if m.group() not in _KNOWN_PARTS:
            fixes = _symbol_fixes(m.group())
            if len(fixes) == 1:
                edits.append((m.start(), m.end(), fixes.pop()))
    for m in _NUMBER_SLASH.finditer(text):
        if m["first"] in _KNOWN_PARTS:  # the repair covers the symbol's first part: it was read from it
            edits.append((m.start(), m.end("first"), "/" + text[m.end() : m.end("first")]))
    return edits


def ocr_repair(n: Normalized) -> tuple[Normalized, list[Span]]:
    """Repair OCR slips in normalised text; return the new text and the repaired spans."""
    repaired: list[Span] = []
    glued = [(m.start(), m.start(), " ") for m in _GLUED.finditer(n.text)]
    if glued:
        n = apply_edits(n, glued)
        shift = 0
        for pos, _, _ in glued:
            repaired.append((pos + shift, pos + shift + 1))
            shift += 1
    digits = [(m.start(), m.end(), m.group().translate(_DIGIT_FOR)) for m in _NUMBERISH.finditer(n.text)]
    digits = [e for e in digits if e[2] != n.text[e[0] : e[1]]]
    years = [(m.start(), m.end(), "Năm" if m.group()[0] == "N" else "năm") for m in _YEAR_WORD.finditer(n.text)]
    edits = sorted(digits + years + _bullet_edits(n.text) + _symbol_edits(n.text) + _phrase_edits(n.text) + _surname_edits(n.text) + spelling_edits(n.text))
    kept, last = [], -1
    for a, b, rep in edits:
        if a >= last:
            kept.append((a, b, rep))
            last = b
    if kept:
        n = apply_edits(n, kept)
        shift = 0  # a doubled letter taken out of a symbol moves what follows
        moved = []
        for a, b, rep in kept:
            moved.append((a + shift, a + shift + len(rep)))
            shift += len(rep) - (b - a)
        repaired = [(_moved(x, kept), _moved(y, kept)) for x, y in repaired] + moved
    return n, sorted(repaired)


def _moved(pos: int, kept: list[tuple[int, int, str]]) -> int:
    """Where ``pos`` is after the edits ``kept`` (edits before it shift it)."""
    return pos + sum(len(rep) - (b - a) for a, b, rep in kept if b <= pos)
