r"""Detect and convert text in the legacy Vietnamese font encodings TCVN3 (ABC) and VNI to Unicode.

Before Unicode, Vietnamese documents were typed in 8-bit fonts: ``.VnTime`` (TCVN3, one byte
per toned letter) or ``VNI-Times`` (VNI, a base letter followed by a mark byte). A text layer or
a text file from those days shows Windows-1252 look-alikes: ``Céng hoµ x· héi chñ nghÜa ViÖt Nam``
(TCVN3) or ``Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam`` (VNI). The tables live in
``extractors/data/tcvn3.tsv`` and ``vni.tsv``.

Pure functions, no I/O:

- :func:`convert` — legacy look-alike text → Unicode (NFC), for a known encoding;
- :func:`font_encoding` — which encoding a font name implies (``.VnTime`` → ``tcvn3``);
- :func:`convert_font_text` — convert one run of text set in a given font (``...H`` fonts are caps);
- :func:`detect` — decide from the text alone whether it is TCVN3/VNI look-alike text;
- :func:`decode_bytes` — the best reading of non-UTF-8 bytes: Windows-1258, TCVN3 or VNI.

Detection scores each candidate reading by the share of its words that are well-formed
Vietnamese syllables (:func:`syllable_share`): a right reading is nearly all syllables, a wrong
one is full of ``µ``, ``·``, ``ø`` or impossible letter sequences.

>>> convert("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3")
'Cộng hoà xã hội chủ nghĩa Việt Nam'
>>> convert("UBND TØNH NGHÖ AN\nSë Y TÕ\nSë Y tÕ", "tcvn3").split("\n")
['UBND TỈNH NGHỆ AN', 'SỞ Y TẾ', 'Sở Y tế']
>>> convert("Khaúng ñònh, ñaåy maïnh", "vni")
'Khẳng định, đẩy mạnh'
>>> convert_font_text("CéNG HOµ X· HéI", "ABCDEF+.VnTimeH")
'CỘNG HOÀ XÃ HỘI'
>>> detect("Thùc hiÖn C«ng v¨n sè 2097/SNV-CCHC cña Së Néi vô")
'tcvn3'
>>> detect("Thực hiện Công văn số 2097/SNV-CCHC của Sở Nội vụ") is None
True
>>> decode_bytes("Bé Néi vô ®Ò nghÞ c¸c c¬ quan".encode("latin-1"))
('Bộ Nội vụ đề nghị các cơ quan', 'tcvn3')
"""

from __future__ import annotations

import unicodedata
from functools import cache

import regex as re

from extractors.tables import read_tsv

ENCODINGS = ("tcvn3", "vni")


@cache
def _table(encoding: str) -> dict[str, str]:
    """Legacy sequence (as Windows-1252 look-alike characters) → Unicode letter."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown legacy encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    rows = read_tsv(f"{encoding}.tsv")
    return {"".join(chr(int(h, 16)) for h in seq.split()): letter for seq, letter, *_ in rows}


@cache
def _pattern(encoding: str) -> re.Pattern:
    keys = sorted(_table(encoding), key=len, reverse=True)  # longest first: "aù" before "a"
    return re.compile("|".join(re.escape(k) for k in keys))


# A PDF text layer maps some TCVN3 codes through glyph names instead of the byte value:
# 0xAD (ư) comes out as U+2212 MINUS SIGN or a hyphen, 0xB7 (ã) as U+2219. Next to a letter
# they are letters (``n−íc`` is ``nước``, ``Th«ng t−`` is ``Thông tư``); a hyphen only counts
# between a lowercase letter and a TCVN3 letter, so ``e-mail`` and ``KT-XH`` stay as they are.
_TCVN3_GLYPH = re.compile(r"(?<=\p{L})[\u2212\u2219]|[\u2212\u2219](?=\p{L})|(?<=\p{Ll})-(?=[\u00a0-\u00ff])")
_GLYPH_BYTES = {"\u2212": "\u00ad", "\u2219": "\u00b7", "-": "\u00ad"}


def convert(text: str, encoding: str, recase: bool = True) -> str:
    """Convert TCVN3 or VNI look-alike ``text`` to Unicode NFC; unknown characters pass through.

    TCVN3 has no toned capitals; with ``recase`` the words and lines typed in capitals get
    theirs back (:func:`recase_caps`). A caller that sees only single words passes ``False``
    and recases whole lines itself.
    """
    table = _table(encoding)
    if encoding == "tcvn3":
        text = _TCVN3_GLYPH.sub(lambda m: _GLYPH_BYTES[m.group()], text)
    out = _pattern(encoding).sub(lambda m: table[m.group()], text)
    if encoding == "tcvn3" and recase:
        out = recase_caps(out)
    return unicodedata.normalize("NFC", out)


_TOKEN = re.compile(r"\S+")
_CELLS = re.compile(r"(\n|\||\t)")
"""Lines, and the cells of a table row, are cased separately."""


def _kind(word: str) -> str:
    """``caps`` (two or more ASCII letters, all capitals), ``lower`` (an ASCII small letter) or ``?``
    (too few letters to tell, or a number and symbol)."""
    letters = [c for c in word if c.isascii() and c.isalpha()]
    if any(c.isdigit() for c in word):
        return "?"  # symbols like 215/SNNMT-QL§§ say nothing about the line's case
    if any(c.islower() for c in letters):
        return "lower"
    return "caps" if len(letters) >= 2 else "?"


def recase_caps(text: str) -> str:
    """Upper-case the toned letters of words typed in capitals (TCVN3 has no toned capitals).

    ``UBND TØNH`` converts to ``UBND TỉNH``; a word whose ASCII letters are all capitals is a
    capital word, so it becomes ``TỈNH``. Short words (``Së`` is ``Sở`` or ``SỞ``) follow their
    line: capitals when no word of the line has an ASCII small letter and the line has a capital
    word, or two words or more that all begin with a capital.
    """
    out = []
    for line in _CELLS.split(text):
        if _CELLS.fullmatch(line):
            out.append(line)
            continue
        words = _TOKEN.findall(line)
        kinds = [_kind(w) for w in words]
        lettered = [w for w in words if any(c.isalpha() for c in w)]
        caps_line = "lower" not in kinds and (
            "caps" in kinds or (len(lettered) >= 2 and all(w[0].isupper() for w in lettered))
        )

        def fix(m: re.Match, caps_line: bool = caps_line) -> str:
            w = m.group()
            return w.upper() if caps_line or _kind(w) == "caps" else w

        out.append(_TOKEN.sub(fix, line))
    return "".join(out)


_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def _font_family(fontname: str) -> str:
    """``ABCDEF+.VnTimeH,Bold`` → ``.VnTimeH``."""
    return re.split(r"[,\-]", _SUBSET_TAG.sub("", fontname or ""), maxsplit=1)[0] if fontname else ""


def font_encoding(fontname: str | None) -> str | None:
    """The legacy encoding a PDF/Word font name implies, or ``None`` for a Unicode font.

    >>> [font_encoding(f) for f in (".VnTime", "ABCDEF+.VnArialH", "VNI-Times", "TimesNewRomanPSMT")]
    ['tcvn3', 'tcvn3', 'vni', None]
    """
    name = _SUBSET_TAG.sub("", fontname or "").upper()
    if name.startswith("VNI"):
        return "vni"
    if name.startswith(".VN") or re.match(r"VN(?!I)[A-Z]", name):
        return "tcvn3"
    return None


def convert_font_text(text: str, fontname: str | None, recase: bool = True) -> str:
    """Convert ``text`` set in ``fontname`` if that is a legacy font (``.VnTimeH``-style → caps)."""
    encoding = font_encoding(fontname)
    if encoding is None:
        return text
    out = convert(text, encoding, recase)
    family = _font_family(fontname or "")
    if encoding == "tcvn3" and family.upper().endswith("H"):
        out = out.upper()
    return out


# --- detection ---------------------------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"(?:oai|oay|oao|oeo|uây|uôi|ươi|ươu|uyê|uya|uyu|iêu|yêu|ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi"
    r"|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|yê|[aăâeêioôơuưy])"
    r"(?:ch|ng|nh|[cmnptk])?$"  # k: ethnic place names (Đắk Lắk)
)
_WORD = re.compile(r"[^\W\d_]+")


@cache
def is_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable (any case, at most one tone mark).

    >>> [is_syllable(w) for w in ("Nghiêng", "khẳng", "hoµ", "UBND", "chñ")]
    [True, True, False, False, False]
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONES for c in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return bool(_SYLLABLE.match(bare))


def syllable_share(text: str) -> float:
    """Share of the words of ``text`` (two letters or more) that are Vietnamese syllables."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


_LEGACY_SURFACE = re.compile(r"[\u00a0-\u00ff\u2212\u2219]")
_UNICODE_VIETNAMESE = re.compile(r"[ăĂđĐơƠưƯ\u1ea0-\u1ef9]")
MIN_GAIN = 0.15
"""A conversion must raise the syllable share by this much to be taken."""


def detect(text: str, sample: int = 20000) -> str | None:
    """``tcvn3`` or ``vni`` if ``text`` reads as that legacy encoding's look-alikes, else ``None``.

    Conservative: text that already holds Unicode Vietnamese letters, or that no conversion
    makes clearly more Vietnamese, is left alone.
    """
    text = text[:sample]
    surface = len(_LEGACY_SURFACE.findall(text))
    if surface < 3 or len(_UNICODE_VIETNAMESE.findall(text)) > surface // 4:
        return None
    base = syllable_share(text)
    best, best_share = None, base + MIN_GAIN
    for encoding in ENCODINGS:
        share = syllable_share(convert(text, encoding))
        if share >= best_share:
            best, best_share = encoding, share
    return best


_CP1252_C1 = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}
_LATIN1_TO_CP1252 = str.maketrans({chr(b): c for b, c in _CP1252_C1.items()})


def _cp1252(data: bytes) -> str:
    """Windows-1252, with its five undefined bytes read as Latin-1."""
    return data.decode("latin-1").translate(_LATIN1_TO_CP1252)


MIN_SHARE = 0.5
"""Below this share of Vietnamese syllables no reading of 8-bit bytes is trusted."""


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """The most Vietnamese reading of non-UTF-8 bytes: ``(text, "cp1258" | "tcvn3" | "vni")``.

    ``None`` when no reading is mostly Vietnamese syllables (another code page, or binary).
    """
    candidates: list[tuple[str, str]] = []
    try:
        candidates.append((unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258"))
    except UnicodeDecodeError:
        pass
    surface = _cp1252(data)
    candidates += [(convert(surface, e), e) for e in ENCODINGS]
    scored = [(syllable_share(t[:20000]), -i, t, e) for i, (t, e) in enumerate(candidates)]
    share, _, text, encoding = max(scored)  # ties go to the earlier candidate (cp1258 first)
    return (text, encoding) if share >= MIN_SHARE else None
