"""Tone marks put back on OCR'd words, against a Vietnamese dictionary.

Tesseract's ``vie`` model reads the letters of a syllable well and its tone and vowel marks less
well: ``tố chức`` for ``tổ chức``, ``hô sơ`` for ``hồ sơ``, ``Kiếm tra`` for ``Kiểm tra``,
``chính lý`` for ``chỉnh lý``. A single syllable cannot be repaired (``tính``, ``tình`` and
``tỉnh`` are all words), but most words of administrative Vietnamese have two or more syllables,
and among those the marks are nearly always decided by the letters: ``to chuc`` can only be
``tổ chức``.

Two resources shipped inside underthesea (nothing is downloaded): its ``Viet74K`` dictionary
(with our administrative phrases, ``data/ocr_lexicon.txt``), and the word-segmented VLSP 2013
test text its POS tagger ships (68,000 words of news and legal prose) for counts. A run of two or
three syllables is repaired only when

1. its own form is not a dictionary word, and none of its syllables belongs to a dictionary word
   of two or more syllables as printed (``các tổ chức``: ``tổ chức`` is a word, so ``các tổ`` is
   left alone);
2. its diacritic-free form belongs to exactly one dictionary word, which differs from it in the
   marks of exactly one syllable (the others confirm it);
3. it is not a name (two or more capitalised syllables, not in capitals: ``Thị Hạnh``);
4. the counted text never has it (as two words side by side: ``cấp tỉnh``, ``tỉnh Hà`` are
   common and stay) and does have the dictionary word.

Measured (``bench/bench_scans.py`` OCR texts): every one of 13 repairs right (``tố chức``,
``Kiếm tra``, ``kình tế``, ``cụ thế``, ``sửa đối``...); on the normalised text of all 68 corpus
documents one false repair (``để phòng`` → ``đề phòng``), checked by ``tests/test_spelling.py``.
An existing post-correction package was tried first; see the README.

>>> spelling_edits("chuẩn bị các điều kiện tố chức khai giảng")
[(23, 30, 'tổ chức')]
>>> spelling_edits("Kiếm tra việc tố chức, cụ thế là")  # "thế là" is two words side by side
[(0, 8, 'Kiểm tra'), (14, 21, 'tổ chức')]
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources

import regex as re

from extractors.lines import fold
from extractors.normalize import new_style_tones
from extractors.tables import word_list

DICTIONARY = ("underthesea", "corpus/data/Viet74K.txt")
"""Package and path of the word list."""
COUNTED = ("underthesea", "pipeline/pos_tag/models/pos_crf_vlsp2013_20230303/test_output.txt")
"""Package and path of the word-segmented text (one word per line, tab, tags; blank between sentences)."""
_SYLLABLE = re.compile(r"\p{L}+")
_MAX = 3


def _read(where: tuple[str, str]) -> str:
    """A text file shipped inside a package, normalised to new-style tone placement (``hòa``)."""
    try:
        text = resources.files(where[0]).joinpath(where[1]).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""
    return new_style_tones(text)


@cache
def _counts() -> tuple[Counter[str], Counter[str]]:
    """Words, and pairs of syllables side by side, of the counted text (lowercase)."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    prev = None
    for line in _read(COUNTED).lower().splitlines():
        sylls = line.split("\t")[0].split()
        if not sylls:
            prev = None
            continue
        words[" ".join(sylls)] += 1
        pairs.update(f"{a} {b}" for a, b in zip([prev, *sylls], sylls, strict=False) if a)
        prev = sylls[-1]
    return words, pairs


@cache
def _dictionary() -> tuple[frozenset[str], dict[str, tuple[str, ...]], frozenset[str]]:
    """What the checks need of the dictionary, from one reading of it (~0.5 s): see
    :func:`_words` and :func:`_syllables`."""
    entries = {w.strip().lower() for w in _read(DICTIONARY).splitlines()}
    syllables = frozenset(s for entry in entries for s in _SYLLABLE.findall(entry))
    words = entries | {w.lower() for p in word_list("ocr_lexicon.txt") for w in [" ".join(_SYLLABLE.findall(p))]}
    words = {w for w in words if 2 <= w.count(" ") + 1 <= _MAX and all(_SYLLABLE.fullmatch(s) for s in w.split(" "))}
    by_fold: dict[str, set[str]] = {}
    for w in words:
        by_fold.setdefault(fold(w), set()).add(w)
    return frozenset(words), {k: tuple(v) for k, v in by_fold.items()}, syllables


def _words() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """Multi-syllable dictionary words (lowercase), and diacritic-free form → those words."""
    words, by_fold, _ = _dictionary()
    return words, by_fold


def _syllables() -> frozenset[str]:
    """Every syllable of the dictionary's words (lowercase)."""
    return _dictionary()[2]


def is_syllable(text: str) -> bool:
    """Whether ``text`` is a Vietnamese syllable, as printed (any case): one the dictionary's
    words are made of.

    >>> is_syllable("KHẨN"), is_syllable("mật"), is_syllable("Yt"), is_syllable("LẰC")
    (True, True, False, False)
    """
    return text.lower() in _syllables()


def is_word(phrase: str) -> bool:
    """Whether ``phrase`` (two or three syllables, as printed) is a word of the dictionary.

    >>> is_word("tính toán"), is_word("Hồ sơ"), is_word("tỉnh toán")
    (True, True, False)
    """
    return phrase.lower() in _words()[0]


def _case_of(model: str, word: str) -> str:
    """``word`` in ``model``'s letter case; a line break of ``model`` stays."""
    return "".join(m if m == "\n" else w.upper() if m.isupper() else w for m, w in zip(model, word, strict=True))


def spelling_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for the multi-syllable words of ``text`` whose marks OCR got
    wrong; same-length replacements, in text order."""
    words, by_fold = _words()
    counted, side_by_side = _counts()
    if not words or not counted:
        return []
    sylls = [(m.start(), m.end(), m.group()) for m in _SYLLABLE.finditer(text)]
    low = [s.lower() for _, _, s in sylls]

    def joined(i: int, n: int) -> bool:  # one space (or a wrap onto the next line) between each syllable
        return all(text[sylls[k][1]:sylls[k + 1][0]] in (" ", "\n") for k in range(i, i + n - 1))

    confirmed = [False] * len(sylls)
    for n in range(_MAX, 1, -1):
        for i in range(len(sylls) - n + 1):
            if joined(i, n) and " ".join(low[i:i + n]) in words:
                confirmed[i:i + n] = [True] * n
    edits, taken = [], [False] * len(sylls)
    for n in range(_MAX, 1, -1):
        for i in range(len(sylls) - n + 1):
            if any(confirmed[i:i + n]) or any(taken[i:i + n]) or not joined(i, n):
                continue
            form = " ".join(low[i:i + n])
            found = by_fold.get(fold(form), ())
            if len(found) != 1 or len(found[0]) != len(form):
                continue
            if sum(x != y for x, y in zip(form.split(" "), found[0].split(" "), strict=True)) != 1:
                continue  # one syllable misread, the others confirming it: not two words read as another two
            if sum(sylls[k][2][0].isupper() for k in range(i, i + n)) >= 2 and not text[sylls[i][0]:sylls[i + n - 1][1]].isupper():
                continue  # a name (Thị Hạnh, Văn Dũng): not in any dictionary
            if side_by_side[form] or not counted[found[0]]:
                continue
            a, b = sylls[i][0], sylls[i + n - 1][1]
            edits.append((a, b, _case_of(text[a:b], found[0])))
            taken[i:i + n] = [True] * n
    return sorted(edits)
