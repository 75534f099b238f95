"""Read, extract and store files; one bad file never stops a batch.

>>> import tempfile, pathlib
>>> from pipeline.store import Store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "empty.txt").write_bytes(b"")
>>> [(o.status, o.reason) for o in ingest_paths(Store(":memory:"), [folder])]
[('failed', 'empty file (0 bytes)')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from extractors.extract import anchors_found, extract
from pipeline.readers import TEXT_SUFFIXES, ReadError, read_file
from pipeline.store import Store
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


def supported_suffixes() -> set[str]:
    from pipeline.readers import READERS

    return (TEXT_SUFFIXES - {""}) | set(READERS)


def extract_file(path: Path) -> Dispatch:
    """Read and extract one file; raise :class:`ReadError` or :class:`NotADispatch` with the reason."""
    r = read_file(path)
    d = extract(r.text, SourceInfo(path=str(path), sha256=r.sha256, media_type=r.media_type, encoding=r.encoding, pages=len(r.pages) or None))
    d.warnings = r.warnings + d.warnings
    if anchors_found(d) < 2:
        raise NotADispatch(
            "not an administrative document: no 'Số:' number, place-date line, issuing body or type title found"
        )
    return d


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files with a supported suffix inside folders named (recursively, sorted)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in supported_suffixes() and not f.name.startswith("."):
                    yield f
        else:
            yield p


def ingest_file(store: Store, path: Path) -> Outcome:
    """Ingest one file: stored, recognised as a duplicate, or failed with its reason."""
    try:
        r = read_file(path)
        existing = store.find_by_hash(r.sha256)
        if existing is not None:
            return Outcome(path, "duplicate", existing, f"same content as document {existing}")
        d = extract_file(path)
        doc_id = store.add(d, r.sha256, str(path), path.stat().st_size)
        return Outcome(path, "stored", doc_id, warnings=d.warnings, record=d)
    except (ReadError, NotADispatch) as exc:
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
