"""Read, extract, archive and store files; one bad file never stops a batch.

Ingesting a file is two steps, so the slow one can run in another process:

* :func:`prepare_file` reads and extracts (OCR included); it touches no database;
* :func:`commit` copies the original into the archive (synced to disk), then writes the
  record in one transaction that points to that copy. A crash leaves either nothing or a
  whole document; at worst an archived original that no row points to yet, which the next
  ingest of the same file adopts.

:func:`ingest_file` does both, after a cheap duplicate check.

>>> import tempfile, pathlib
>>> from pipeline.store import Store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "empty.txt").write_bytes(b"")
>>> [(o.status, o.reason) for o in ingest_paths(Store(":memory:"), [folder])]
[('failed', 'empty file (0 bytes)')]
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from extractors.extract import anchors_found, extract
from pipeline.archive import Archive, ArchiveError, archive_for, hash_file, in_archive
from pipeline.readers import TEXT_SUFFIXES, ReadError, ReadResult, read_file
from pipeline.store import Store, index_words
from schemas import Dispatch, SourceInfo


class NotADispatch(Exception):
    """The file was read but holds no administrative document."""


@dataclass
class Outcome:
    path: Path
    status: str  # stored | duplicate | failed
    doc_id: int | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    record: Dispatch | None = None
    original: str | None = None  # the archived copy, relative to the archive


@dataclass
class Prepared:
    """A file read and extracted, ready to be committed (picklable: it crosses processes)."""

    path: Path
    sha256: str | None = None
    size: int | None = None
    record: Dispatch | None = None
    words: str | None = None  # the segmented words for the index (store.index_words: slow, so done here)
    derived: dict[str, Path] = field(default_factory=dict)  # name → finished file to keep
    failure: str | None = None


def supported_suffixes() -> set[str]:
    from pipeline.readers import READERS

    return (TEXT_SUFFIXES - {""}) | set(READERS)


def extract_read(path: Path, r: ReadResult) -> Dispatch:
    """Extract the record from text already read; raise :class:`NotADispatch` if it holds none."""
    ocr_pages = [p for p in r.pages if p.method == "ocr"]
    source = SourceInfo(
        path=str(path), sha256=r.sha256, media_type=r.media_type, encoding=r.encoding, pages=len(r.pages) or None,
        ocr=bool(ocr_pages), ocr_confidence=[p.ocr_confidence for p in ocr_pages if p.ocr_confidence is not None],
        handwritten=r.handwritten,
    )
    d = extract(r.text, source)  # OCR text gets the OCR repairs (extractors.ocrfix) first
    d.warnings = r.warnings + d.warnings
    if anchors_found(d) < 2:
        raise NotADispatch(
            "not an administrative document: no 'Số:' number, place-date line, issuing body or type title found"
        )
    return d


def extract_file(path: Path) -> Dispatch:
    """Read and extract one file; raise :class:`ReadError` or :class:`NotADispatch` with the reason."""
    return extract_read(path, read_file(path))


def is_scan(r: ReadResult) -> bool:
    """True when the text came from OCR (an image, or a PDF with scanned pages)."""
    return r.media_type.startswith("image/") or any(p.method == "ocr" for p in r.pages)


SEARCHABLE_PDF_MODULES = ("pipeline.searchable_pdf", "pipeline.ocr")
"""Where ``make_searchable_pdf(input, output)`` is looked for, first found wins."""


def _searchable_pdf_maker() -> Callable[[Path, Path], object] | None:
    for name in SEARCHABLE_PDF_MODULES:
        if importlib.util.find_spec(name) is not None:
            maker = getattr(importlib.import_module(name), "make_searchable_pdf", None)
            if maker is not None:
                return maker
    return None


def make_derived(path: Path, r: ReadResult, workdir: Path) -> tuple[dict[str, Path], list[str]]:
    """Files to keep beside the original in the archive, and warnings: a searchable PDF of a scan.

    For a scan (an image, or a PDF with pages read by OCR) the OCR reader's
    ``make_searchable_pdf(input, output)`` (:data:`SEARCHABLE_PDF_MODULES`) writes a PDF with
    an invisible text layer, kept as ``searchable.pdf`` beside the original. A failure here is
    a warning, not a failed ingest: the original is kept and the PDF can be made again from it.
    """
    if not is_scan(r):
        return {}, []
    try:
        make_searchable_pdf = _searchable_pdf_maker()
        if make_searchable_pdf is None:
            return {}, []
        out = workdir / f"{uuid.uuid4().hex}.pdf"
        make_searchable_pdf(path, out, text_layers=r.text_layers)  # the reader's OCR, not a second one
        if not out.is_file() or out.stat().st_size == 0:
            return {}, ["searchable PDF not made: the OCR step wrote no file"]
        return {"searchable.pdf": out}, []
    except Exception as exc:
        return {}, [f"searchable PDF not made: {type(exc).__name__}: {exc}"]


def prepare_file(path: Path, workdir: Path | None = None) -> Prepared:
    """Read and extract ``path`` (the slow part: OCR); never raises, never touches a database.

    Derived files (a searchable PDF for scans) are written into ``workdir`` — best on the
    archive's file system (``archive.tmp``) so they can be renamed in; without it, none are made.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "qd.txt"
    >>> _ = f.write_text("UBND TỈNH HÀ TĨNH\\nSố: 12/QĐ-UBND\\nHà Tĩnh, ngày 02 tháng 3 năm 2023\\n"
    ...                  "QUYẾT ĐỊNH\\nVề việc ban hành Quy chế\\n", encoding="utf-8")
    >>> p = prepare_file(f)
    >>> p.failure, p.record.symbol.value, p.size
    (None, 'QĐ-UBND', 127)
    >>> prepare_file(f.with_name("none.txt")).failure.startswith("no such file")
    True
    """
    path = Path(path)
    try:
        r = read_file(path)
        d = extract_read(path, r)
        p = Prepared(path, r.sha256, path.stat().st_size, d, words=index_words(d))
        if workdir is not None:
            p.derived, warnings = make_derived(path, r, Path(workdir))
            d.warnings += warnings
        return p
    except (ReadError, NotADispatch) as exc:
        return Prepared(path, failure=str(exc))
    except Exception as exc:  # keep the batch going, but say what happened
        return Prepared(path, failure=f"internal error: {type(exc).__name__}: {exc}")


def commit(store: Store, p: Prepared, archive: Archive | None = None, source_path: str | None = None) -> Outcome:
    """Archive the original of a prepared file, then store its record in one transaction.

    ``archive`` defaults to the one beside the database (none for ``:memory:``). Raises
    :class:`ArchiveError` if the file changed since it was read (nothing is stored then).
    """
    path = Path(p.path)
    if p.failure is not None or p.record is None or p.sha256 is None:
        return Outcome(path, "failed", reason=p.failure or "nothing extracted")
    existing = store.find_by_hash(p.sha256)
    if existing is not None:
        return duplicate(store, archive, existing, path, p.sha256)
    archive = archive if archive is not None else archive_for(store.path)
    item = archive.put(path, expect_sha256=p.sha256) if archive is not None else None
    if item is not None:
        for name, f in p.derived.items():
            archive.put_derived(item.sha256, name, f)
    try:
        with store.transaction():
            doc_id = store.add(p.record, p.sha256, source_path or str(path), p.size, words=p.words)
            if item is not None:
                store.db.execute("UPDATE documents SET original = ? WHERE id = ?", [item.relpath, doc_id])
    except sqlite3.IntegrityError:  # another process stored the same content meanwhile
        existing = store.find_by_hash(p.sha256)
        if existing is None:
            raise
        return duplicate(store, archive, existing, path, p.sha256)
    return Outcome(path, "stored", doc_id, warnings=p.record.warnings, record=p.record,
                   original=item.relpath if item else None)


def duplicate(store: Store, archive: Archive | None, doc_id: int, path: Path, sha256: str) -> Outcome:
    """The outcome for a file whose content is document ``doc_id`` already.

    If that document has no archived original yet (stored before the archive existed), this
    copy becomes its original.
    """
    archive = archive if archive is not None else archive_for(store.path)
    row = store.db.execute("SELECT original FROM documents WHERE id = ?", [doc_id]).fetchone()
    if archive is not None and row is not None and not row[0]:
        try:
            item = archive.put(path, expect_sha256=sha256)
            with store.transaction():
                store.db.execute("UPDATE documents SET original = ? WHERE id = ?", [item.relpath, doc_id])
        except (ArchiveError, OSError):
            pass  # the duplicate is still reported; the file itself is not lost
    return Outcome(path, "duplicate", doc_id, f"same content as document {doc_id}")


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files with a supported suffix inside folders named (recursively, sorted)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in supported_suffixes() and not f.name.startswith(".") and not in_archive(f):
                    yield f
        else:
            yield p


def ingest_file(store: Store, path: Path, archive: Archive | None = None) -> Outcome:
    """Ingest one file: stored (original archived), recognised as a duplicate, or failed with its reason.

    ``archive`` defaults to the folder beside the database (``congvan.db`` → ``congvan.archive/``).
    """
    path = Path(path)
    archive = archive if archive is not None else archive_for(store.path)
    try:
        if path.is_file():  # a duplicate is known by its hash before the slow read (OCR)
            existing = store.find_by_hash(hash_file(path))
            if existing is not None:
                return duplicate(store, archive, existing, path, hash_file(path))
        r = read_file(path)
        existing = store.find_by_hash(r.sha256)
        if existing is not None:
            return duplicate(store, archive, existing, path, r.sha256)
        with tempfile.TemporaryDirectory(prefix=f"ingest-{os.getpid()}-", dir=archive.tmp if archive else None) as work:
            d = extract_read(path, r)
            p = Prepared(path, r.sha256, path.stat().st_size, d)
            if archive is not None:
                p.derived, warnings = make_derived(path, r, Path(work))
                d.warnings += warnings
            return commit(store, p, archive)
    except (ReadError, NotADispatch, ArchiveError) as exc:
        return Outcome(path, "failed", reason=str(exc))
    except Exception as exc:  # keep the batch going, but say what happened
        return Outcome(path, "failed", reason=f"internal error: {type(exc).__name__}: {exc}")


def ingest_paths(store: Store, paths: Iterable[Path], progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Ingest every file under ``paths``; ``progress`` is called after each one."""
    outcomes = []
    for f in iter_files(paths):
        o = ingest_file(store, f)
        outcomes.append(o)
        if progress:
            progress(o)
    return outcomes
