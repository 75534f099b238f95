"""Files uploaded through the web page: checked by content, size-limited, dropped into the inbox.

The type is decided by the first bytes (magic numbers), never by the name; the saved file gets
the suffix of what it *is* (a PDF named ``cv.txt`` is saved as ``cv.pdf``), since readers are
chosen by suffix. Text must decode (UTF-8, UTF-16 or a legacy Vietnamese encoding). A type no
installed reader handles is refused. The file is written under a hidden folder of the inbox,
then moved in under a name that never overwrites another: the watcher (``pipeline.watch``)
then ingests it exactly as a file dropped into the folder by hand.

>>> sniff(b"%PDF-1.7\\n..."), sniff(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff("Số: 12/UBND".encode()), sniff(b"MZ\\x90\\x00")
('pdf', 'png', 'text', None)
>>> safe_name("../../etc/passwd"), safe_name("C:\\\\Users\\\\a\\\\Công văn 12.PDF"), safe_name("..")
('passwd', 'Công văn 12.PDF', 'tep-tai-len')
"""

from __future__ import annotations

import shutil
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import regex as re

from pipeline.readers import MAX_TEXT_BYTES, ReadError, decode_text
from pipeline.watch import move_unique

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CHUNK = 1 << 20
UPLOAD_DIR = ".upload"

SUFFIXES = {
    "pdf": (".pdf",), "png": (".png",), "jpeg": (".jpg", ".jpeg"), "tiff": (".tif", ".tiff"),
    "docx": (".docx",), "text": (".txt", ".md", ".text"),
}  # fmt: skip
KIND_NAMES = {"pdf": "PDF", "png": "ảnh PNG", "jpeg": "ảnh JPEG", "tiff": "ảnh TIFF", "docx": "Word (DOCX)",
              "text": "văn bản thuần (TXT)"}


class UploadRefused(Exception):
    """An upload that is not kept; ``str(error)`` says why, in Vietnamese. ``status`` is the HTTP status."""

    def __init__(self, reason: str, status: int = 415) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Saved:
    name: str  # as saved in the inbox
    kind: str
    size: int


def sniff(head: bytes) -> str | None:
    """The kind of file from its first bytes (``pdf``, ``png``, ``jpeg``, ``tiff``, ``zip``, ``text``) or None."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    try:
        if len(head) >= 8192:  # do not cut a multi-byte character: stop at the last space or line end
            head = head[: max(head.rfind(b"\n"), head.rfind(b" ")) + 1] or head
        decode_text(head)
    except (ReadError, UnicodeError):
        return None
    return "text"


def safe_name(name: str | None) -> str:
    """A file name without folders, control characters or characters Windows refuses; never empty or hidden."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"[\p{Cc}\p{Cf}<>:\"|?*]", "", base).strip().lstrip(". ")
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:120]
    return base or "tep-tai-len"


def _kind_of(path: Path, size: int) -> str:
    with open(path, "rb") as f:
        head = f.read(8192)
    kind = sniff(head)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as z:
                kind = "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            kind = None
    if kind == "text":
        if size > MAX_TEXT_BYTES:
            raise UploadRefused(f"Tệp văn bản quá lớn ({size / 1e6:.1f} MB; tối đa {MAX_TEXT_BYTES / 1e6:.0f} MB).", 413)
        try:
            decode_text(path.read_bytes())
        except ReadError as exc:
            raise UploadRefused(f"Không phải tệp văn bản đọc được: {exc}") from None
    if kind is None:
        raise UploadRefused("Loại tệp không được nhận (chỉ nhận PDF, ảnh PNG/JPEG/TIFF, Word DOCX, văn bản TXT) — "
                            "kiểm tra theo nội dung tệp, không theo tên.")
    return kind


def _final_name(name: str, kind: str) -> str:
    p = Path(name)
    if p.suffix.lower() in SUFFIXES[kind]:
        return name
    return (p.stem if p.suffix and len(p.suffix) <= 6 else name) + SUFFIXES[kind][0]


def save_upload(inbox: Path, filename: str | None, stream: BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES) -> Saved:
    """Check an uploaded file and move it into ``inbox``; raise :class:`UploadRefused` if it is not kept.

    Example: ``save_upload(Path("inbox"), "cv.pdf", open("cv.pdf", "rb")).name``.
    """
    from pipeline.ingest import supported_suffixes

    work = Path(inbox) / UPLOAD_DIR / uuid.uuid4().hex
    work.mkdir(parents=True)
    try:
        tmp = work / "upload.part"
        size = 0
        with open(tmp, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused(f"Tệp quá lớn (tối đa {max_bytes / 1048576:.0f} MB).", 413)
                out.write(chunk)
        if size == 0:
            raise UploadRefused("Tệp rỗng (0 byte).", 422)
        kind = _kind_of(tmp, size)
        name = _final_name(safe_name(filename), kind)
        if Path(name).suffix.lower() not in supported_suffixes():
            raise UploadRefused(f"Chương trình chưa đọc được tệp {KIND_NAMES[kind]} (chưa cài bộ đọc cho loại này).")
        named = work / name
        tmp.rename(named)
        dest = move_unique(named, Path(inbox))
        return Saved(dest.name, kind, size)
    finally:
        shutil.rmtree(work, ignore_errors=True)
