"""The archive: every original kept byte for byte, named by its content hash, beside the database.

For ``congvan.db`` the archive is the folder ``congvan.archive/`` next to it::

    congvan.archive/
        3f/3f9a…(64 hex digits).pdf          the original, byte for byte, read-only
        3f/3f9a….derived/searchable.pdf      files made from it (a searchable PDF of a scan)
        tmp/                                 half-written files; removed at the next start-up

An original is written to ``tmp/``, flushed to disk (``fsync``), checked against its hash and only
then linked to its final name, which is never overwritten: a crash leaves either no copy or a
whole one. The documents table points to the original (column ``original``, a path relative to
the archive), and :func:`get_original` gets it back by document id or by sha256.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> src = folder / "cv.txt"; _ = src.write_bytes("Số: 12/UBND-VP".encode())
>>> archive = archive_for(folder / "congvan.db")
>>> item = archive.put(src)
>>> item.relpath
'6f/6f26b89d71c86836e3096773babf2d8d26e855d38f60f753ee467cf8bfa0ddd5.txt'
>>> archive.path_of(item.sha256).read_bytes() == src.read_bytes(), archive.put(src).created
(True, False)
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.store import Store

CHUNK = 1 << 20
_SHA = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
DERIVED = ".derived"


class ArchiveError(Exception):
    """An original that cannot be archived or found; ``str(error)`` says why."""


@dataclass(frozen=True)
class Archived:
    """One original in the archive."""

    sha256: str
    relpath: str  # relative to the archive root, e.g. "3f/3f9a….pdf"
    path: Path
    size: int
    created: bool  # False when the same content was already there


def hash_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def archive_for(db_path: str | Path) -> Archive | None:
    """The archive beside a database file (``x/congvan.db`` → ``x/congvan.archive``); None for ``:memory:``."""
    if str(db_path) == ":memory:" or not str(db_path):
        return None
    db = Path(db_path)
    return Archive(db.with_name(db.stem + ".archive"))


def in_archive(path: str | Path) -> bool:
    """True for a file kept by an archive (an original or a derived file), so folder scans skip it.

    >>> in_archive("congvan.archive/6f/" + "6f" * 32 + ".txt"), in_archive("inbox/cv.txt")
    (True, False)
    """
    p = Path(path)
    sha = p.name[:64]
    if _SHA.fullmatch(sha) and p.parent.name == sha[:2]:
        return True
    return p.parent.name.endswith(DERIVED) and _SHA.fullmatch(p.parent.name[: -len(DERIVED)]) is not None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some network file systems cannot sync a folder
    finally:
        os.close(fd)


def _owner_alive(name: str) -> bool:
    """Whether the process named in a scratch entry ``put-1234-…`` still runs (True if none is named)."""
    m = re.match(r"[a-z]+-(\d+)-", name)
    if m is None:
        return True
    try:
        os.kill(int(m[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if _SUFFIX.fullmatch(suffix) else ""


class Archive:
    """A content-addressed folder of originals; see the module docstring for the layout."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def tmp(self) -> Path:
        """Scratch folder on the archive's file system (so finished files can be renamed in)."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # --- originals ------------------------------------------------------------------------

    def put(self, src: str | Path, expect_sha256: str | None = None) -> Archived:
        """Copy ``src`` into the archive atomically; return where it is.

        The copy is hashed while written, synced to disk, re-read and checked, then linked to
        ``ab/<sha256><suffix>``. If that content is already archived (under any suffix) and
        still matches its hash, nothing is written. ``expect_sha256`` is the hash of the bytes
        that were read and extracted: if the file changed since, :class:`ArchiveError` is raised
        and nothing is archived.
        """
        src = Path(src)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix=f"put-{os.getpid()}-", suffix=".part")
        tmp = Path(tmp_name)
        try:
            h, size = hashlib.sha256(), 0
            with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                while chunk := fin.read(CHUNK):
                    h.update(chunk)
                    fout.write(chunk)
                    size += len(chunk)
                fout.flush()
                os.fsync(fout.fileno())
            sha = h.hexdigest()
            if expect_sha256 is not None and sha != expect_sha256:
                raise ArchiveError(f"the file changed while it was being read (still being copied or edited?): {src.name}")
            if hash_file(tmp) != sha:
                raise ArchiveError(f"the archive copy of {src.name} does not match the original (disk error?)")
            existing = self.path_of(sha)
            if existing is not None:
                if hash_file(existing) == sha:
                    return self._item(existing, size, created=False)
                self._set_aside(existing)
            final = self.root / sha[:2] / (sha + _clean_suffix(src.name))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, final)  # fails if the name exists: never overwrites
            except FileExistsError:
                if hash_file(final) != sha:  # pragma: no cover - a race with a broken writer
                    raise ArchiveError(f"{final} exists with other content") from None
                return self._item(final, size, created=False)
            except OSError as exc:  # a file system without hard links
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
                if final.exists():
                    return self._item(final, size, created=False)
                os.rename(tmp, final)
            _fsync_dir(final.parent)
            return self._item(final, size, created=True)
        finally:
            tmp.unlink(missing_ok=True)

    def path_of(self, sha256: str) -> Path | None:
        """The archived original with this content hash, or None."""
        if not _SHA.fullmatch(sha256 or ""):
            return None
        folder = self.root / sha256[:2]
        if not folder.is_dir():
            return None
        for p in sorted(folder.glob(sha256 + "*")):
            rest = p.name[len(sha256):]
            if p.is_file() and (rest == "" or _SUFFIX.fullmatch(rest)):
                return p
        return None

    def verify(self, sha256: str) -> bool:
        """True if the original with this hash is present and its bytes still hash to it."""
        p = self.path_of(sha256)
        return p is not None and hash_file(p) == sha256

    def _item(self, path: Path, size: int, created: bool) -> Archived:
        return Archived(path.name[:64], path.relative_to(self.root).as_posix(), path, size, created)

    def _set_aside(self, path: Path) -> None:
        """A damaged copy is renamed, not deleted (someone may want to look at it)."""
        path.rename(path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"))

    # --- derived files --------------------------------------------------------------------

    def put_derived(self, sha256: str, name: str, src: str | Path) -> Path:
        """Keep a file made from an original (e.g. ``searchable.pdf``) beside it; ``src`` is moved in.

        Derived files can be made again from the original, so a newer one replaces an older one.
        """
        if not _SHA.fullmatch(sha256) or "/" in name or name.startswith("."):
            raise ArchiveError(f"bad derived file name {name!r} for {sha256!r}")
        folder = self.root / sha256[:2] / (sha256 + DERIVED)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".put-")
        tmp = Path(tmp_name)
        try:
            with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                while chunk := fin.read(CHUNK):
                    fout.write(chunk)
                fout.flush()
                os.fsync(fout.fileno())
            os.replace(tmp, folder / name)
            _fsync_dir(folder)
        finally:
            tmp.unlink(missing_ok=True)
        Path(src).unlink(missing_ok=True)
        return folder / name

    def derived(self, sha256: str) -> dict[str, Path]:
        """The derived files kept for an original, by name."""
        folder = self.root / sha256[:2] / (sha256 + DERIVED)
        if not _SHA.fullmatch(sha256) or not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}

    # --- housekeeping ---------------------------------------------------------------------

    def clean_tmp(self, older_than: float = 3600.0) -> int:
        """Remove what crashed writers left in ``tmp/``; return how many files went.

        An entry named ``<kind>-<pid>-…`` goes once process ``pid`` is gone; any entry goes
        when older than ``older_than`` seconds.
        """
        folder = self.root / "tmp"
        if not folder.is_dir():
            return 0
        n, limit = 0, time.time() - older_than
        for top in folder.iterdir():
            try:
                if _owner_alive(top.name) and top.stat().st_mtime >= limit:
                    continue
                if top.is_dir():
                    n += sum(1 for p in top.rglob("*") if p.is_file())
                    shutil.rmtree(top, ignore_errors=True)
                else:
                    top.unlink()
                    n += 1
            except OSError:
                pass
        return n


def get_original(store: Store, ref: int | str, verify: bool = True) -> Path:
    """The archived original of a stored document, by document id or sha256.

    Raises :class:`ArchiveError` when there is none, or (with ``verify``) when its bytes no
    longer match the hash. Example: ``get_original(Store("congvan.db"), 3).read_bytes()``.
    """
    archive = archive_for(store.path)
    if archive is None:
        raise ArchiveError("an in-memory database has no archive")
    column = "id" if isinstance(ref, int) else "sha256"
    row = store.db.execute(f"SELECT sha256, original FROM documents WHERE {column} = ?", [ref]).fetchone()
    sha, rel = (row[0], row[1]) if row else (str(ref), None)
    if row is None and isinstance(ref, int):
        raise ArchiveError(f"no document {ref} in {store.path}")
    path = archive.root / rel if rel else archive.path_of(sha)
    if path is None or not path.is_file():
        raise ArchiveError(f"the original of {ref!r} is not in the archive {archive.root}")
    if verify and hash_file(path) != sha:
        raise ArchiveError(f"the archived original {path} no longer matches its hash {sha}")
    return path
