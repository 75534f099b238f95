"""Read a file into text, or refuse it with a reason a clerk can act on.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"; _ = p.write_bytes("Số: 05/UBND-VP".encode())
>>> read_file(p).text
'Số: 05/UBND-VP'
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MAX_TEXT_BYTES = 4 * 1024 * 1024
"""A dispatch is a few pages; a text file above this is refused rather than half-read."""

TEXT_SUFFIXES = {".txt", ".md", ".text", ""}


class ReadError(Exception):
    """A file that cannot be read as a document; ``str(error)`` says why."""


@dataclass
class Page:
    """Where one page sits in the text, and how it was read."""

    number: int  # 1-based
    start: int  # offsets into ReadResult.text
    end: int
    method: str = "text"  # text | pdf-text | ocr | docx
    ocr_confidence: float | None = None  # mean word confidence 0–100 for OCR pages


@dataclass
class ReadResult:
    text: str
    sha256: str
    media_type: str
    encoding: str | None = None
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    handwritten: dict[str, str | None] = field(default_factory=dict)
    """Header values written by hand on a scan (``number``, ``day``) → the value two readings
    agreed on, or ``None`` (left empty); see :mod:`pipeline.handwriting`."""
    text_layers: dict[int, bytes] = field(default_factory=dict, repr=False)
    """0-based index of each OCR'd upright page → a one-page PDF of its words alone, invisible,
    to lay over the page image in a searchable copy (:mod:`pipeline.searchable_pdf`)."""

    def page_of(self, offset: int) -> int | None:
        """The page number holding a raw-text offset, if pages are known."""
        for p in self.pages:
            if p.start <= offset < p.end:
                return p.number
        return None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_LEGACY_NAMES = {"cp1258": "Windows-1258 (legacy Vietnamese code page)", "tcvn3": "TCVN3 (ABC, .VnTime fonts)", "vni": "VNI (VNI-Times fonts)"}


def decode_text(data: bytes) -> tuple[str, str, list[str]]:
    """Decode bytes of a text file: UTF-8 (BOM or not), UTF-16 with BOM, or a legacy encoding.

    Legacy Vietnamese text — Windows-1258 bytes, TCVN3 (ABC) or VNI bytes, or UTF-8 text that
    holds TCVN3/VNI look-alike characters (``Céng hoµ x· héi``) — is recognised by
    :mod:`extractors.legacy` and converted, with a warning. Raises :class:`ReadError` for binary
    data and for 8-bit text that reads as none of those.
    """
    from extractors import legacy

    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", warnings
    if b"\x00" in data[:4096]:
        raise ReadError("binary data (NUL bytes): not a text document")
    try:
        text = data.decode("utf-8-sig")
        enc = "utf-8"
        found = legacy.detect(text)
        if found:
            text = legacy.convert(text, found)
            enc = f"utf-8+{found}"
            warnings.append(f"text typed in the legacy {_LEGACY_NAMES[found]} encoding: converted to Unicode")
    except UnicodeDecodeError:
        decoded = legacy.decode_bytes(data)
        if decoded is None or (decoded[1] == "cp1258" and any("\x80" <= c <= "\x9f" for c in decoded[0])):
            raise ReadError(
                "not UTF-8 text, and not readable as Vietnamese in Windows-1258, TCVN3 (ABC) or VNI; "
                "save it as UTF-8 (Unicode) and try again"
            ) from None
        text, enc = decoded
        warnings.append(f"decoded as {_LEGACY_NAMES[enc]}, not UTF-8" + ("" if enc == "cp1258" else ": converted to Unicode"))
    controls = sum(1 for c in text[:20000] if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(8, len(text[:20000]) // 100):
        raise ReadError("binary data (control characters): not a text document")
    return text, enc, warnings


Reader = Callable[[Path, bytes], ReadResult]
READERS: dict[str, Reader] = {}
"""File suffix → reader. Text is built in; other formats register themselves here."""


def read_file(path: Path) -> ReadResult:
    """Read ``path`` into a :class:`ReadResult`; raise :class:`ReadError` with the reason if unusable."""
    path = Path(path)
    if not path.exists():
        raise ReadError(f"no such file: {path}")
    if path.is_dir():
        raise ReadError(f"is a folder, not a file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise ReadError("empty file (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in READERS:
        return READERS[suffix](path, path.read_bytes())
    if suffix not in TEXT_SUFFIXES:
        known = ", ".join(sorted(TEXT_SUFFIXES - {""} | set(READERS)))
        raise ReadError(f"unsupported file type {suffix!r}: congvan reads {known}")
    return read_text(path)


def read_text(path: Path) -> ReadResult:
    """Read a plain-text or Markdown file."""
    size = path.stat().st_size
    suffix = path.suffix.lower()
    if size > MAX_TEXT_BYTES:
        raise ReadError(
            f"text too large ({size / 1e6:.1f} MB, limit {MAX_TEXT_BYTES / 1e6:.0f} MB): "
            "a dispatch is a few pages; split the file"
        )
    data = path.read_bytes()
    text, enc, warnings = decode_text(data)
    if not text.strip():
        raise ReadError("file holds only whitespace")
    return ReadResult(
        text=text, sha256=sha256_of(data), media_type="text/markdown" if suffix == ".md" else "text/plain",
        encoding=enc, pages=[Page(1, 0, len(text))], warnings=warnings,
    )


# --- PDF, scans and Word files (issue 5). Each reader is imported when first used, so that
# ``import pipeline.readers`` stays fast and a machine without tesseract can still read text.


def _read_pdf(path: Path, data: bytes) -> ReadResult:
    from pipeline.read_pdf import read_pdf

    return read_pdf(path, data)


def _read_image(path: Path, data: bytes) -> ReadResult:
    from pipeline.ocr import read_image

    return read_image(path, data)


def _read_docx(path: Path, data: bytes) -> ReadResult:
    from pipeline.read_docx import read_docx

    return read_docx(path, data)


READERS[".pdf"] = _read_pdf
READERS[".docx"] = _read_docx
for _suffix in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
    READERS[_suffix] = _read_image
