"""The archive keeps every original byte for byte, and ingest is one transaction that points to it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time

import pytest

from pipeline import archive as archive_mod
from pipeline.archive import Archive, ArchiveError, archive_for, get_original, hash_file
from pipeline.ingest import commit, ingest_file, prepare_file
from pipeline.store import Store
from tests.conftest import CORPUS

SEED = CORPUS / "seed_000.txt"

# bytes a careless copy would change: BOM, CRLF, a lone CR, NUL, every byte value, trailing spaces
AWKWARD = b"\xef\xbb\xbfS\xe1\xbb\x91: 1/UBND\r\nline\rnext  \n\x00" + bytes(range(256)) + b"\n\n  "


def test_put_keeps_the_bytes_and_the_suffix(tmp_path):
    src = tmp_path / "Bản gốc.PDF"
    src.write_bytes(AWKWARD)
    a = Archive(tmp_path / "congvan.archive")
    item = a.put(src)
    assert item.created and item.size == len(AWKWARD)
    assert item.sha256 == hash_file(src)
    assert item.relpath == f"{item.sha256[:2]}/{item.sha256}.pdf"
    assert item.path.read_bytes() == AWKWARD
    assert a.path_of(item.sha256) == item.path and a.verify(item.sha256)
    assert not item.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert src.read_bytes() == AWKWARD  # the source is left as it was
    assert list((a.root / "tmp").iterdir()) == []


def test_same_content_is_stored_once_and_never_overwritten(tmp_path):
    a = Archive(tmp_path / "a")
    first, second = tmp_path / "one.txt", tmp_path / "two.md"
    first.write_bytes(AWKWARD)
    second.write_bytes(AWKWARD)
    item = a.put(first)
    before = item.path.stat()
    again = a.put(second)
    assert not again.created and again.path == item.path
    after = item.path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_damaged_copy_is_set_aside_not_deleted(tmp_path):
    a = Archive(tmp_path / "a")
    src = tmp_path / "x.txt"
    src.write_bytes(AWKWARD)
    item = a.put(src)
    os.chmod(item.path, 0o644)
    item.path.write_bytes(b"bit rot")
    assert not a.verify(item.sha256)
    fixed = a.put(src)
    assert fixed.created and fixed.path.read_bytes() == AWKWARD
    damaged = [p for p in item.path.parent.iterdir() if ".damaged-" in p.name]
    assert len(damaged) == 1 and damaged[0].read_bytes() == b"bit rot"


def test_a_file_that_changed_since_it_was_read_is_refused(tmp_path):
    a = Archive(tmp_path / "a")
    src = tmp_path / "x.txt"
    src.write_bytes(b"what was read")
    sha = hash_file(src)
    src.write_bytes(b"what is there now")
    with pytest.raises(ArchiveError, match="changed while it was being read"):
        a.put(src, expect_sha256=sha)
    assert a.path_of(sha) is None and a.path_of(hash_file(src)) is None


@pytest.mark.parametrize("fail_at", ["write", "fsync", "link"])
def test_write_is_atomic_a_failure_leaves_no_copy(tmp_path, monkeypatch, fail_at):
    a = Archive(tmp_path / "a")
    src = tmp_path / "x.txt"
    src.write_bytes(AWKWARD * 1000)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if fail_at == "write":  # the disk fills up after the first chunk
        monkeypatch.setattr(archive_mod, "CHUNK", 4096)
        real_fdopen = os.fdopen

        class FillsUp:
            def __init__(self, f):
                self.f, self.n = f, 0

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, b):
                self.n += 1
                if self.n > 1:
                    boom()
                return self.f.write(b)

            def __getattr__(self, name):
                return getattr(self.f, name)

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: FillsUp(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, fail_at, boom)
    with pytest.raises(OSError):
        a.put(src)
    monkeypatch.undo()
    assert a.path_of(hash_file(src)) is None
    assert list((a.root / "tmp").iterdir()) == []  # no half-written file left behind


def test_a_killed_writer_leaves_nothing_under_the_final_name(tmp_path):
    """SIGKILL a real process in the middle of a large put: the final name never holds a partial file."""
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for i in range(64):
            f.write(os.urandom(1 << 20) if i % 8 == 0 else bytes([i]) * (1 << 20))
    root = tmp_path / "a"
    code = (
        "import sys, time, pipeline.archive as m\n"
        "real = m.hashlib.sha256\n"
        "class Slow:\n"
        "    def __init__(self): self.h = real()\n"
        "    def update(self, b): time.sleep(0.02); self.h.update(b)\n"
        "    def hexdigest(self): return self.h.hexdigest()\n"
        "m.hashlib.sha256 = Slow\n"
        "print('go', flush=True)\n"
        f"m.Archive({str(root)!r}).put({str(src)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"go"
    tmp = root / "tmp"
    for _ in range(500):  # wait until the copy is under way
        if tmp.is_dir() and any(p.stat().st_size > 0 for p in tmp.iterdir()):
            break
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    sha = hash_file(src)
    assert Archive(root).path_of(sha) is None  # nothing under the final name
    assert Archive(root).clean_tmp() == 1  # its writer is dead: the half-written copy is swept away
    item = Archive(root).put(src)  # and the next try stores it whole
    assert item.created and hash_file(item.path) == sha


def test_derived_files_live_beside_the_original(tmp_path):
    a = Archive(tmp_path / "a")
    src = tmp_path / "scan.png"
    src.write_bytes(b"\x89PNG fake")
    item = a.put(src)
    made = tmp_path / "made.pdf"
    made.write_bytes(b"%PDF-1.7 searchable")
    kept = a.put_derived(item.sha256, "searchable.pdf", made)
    assert kept.parent == item.path.parent / f"{item.sha256}.derived"
    assert a.derived(item.sha256) == {"searchable.pdf": kept}
    assert kept.read_bytes() == b"%PDF-1.7 searchable" and not made.exists()
    assert a.path_of(item.sha256) == item.path  # the derived folder is not mistaken for the original


def test_ingest_points_every_document_to_its_original(tmp_path):
    db = tmp_path / "congvan.db"
    src = tmp_path / "Công văn số 5.txt"
    shutil.copy(SEED, src)
    store = Store(db)
    o = ingest_file(store, src)
    assert o.status == "stored"
    row = store.db.execute("SELECT original, sha256 FROM documents WHERE id = ?", [o.doc_id]).fetchone()
    assert row[0] == o.original and row[0].endswith(".txt")
    assert (tmp_path / "congvan.archive" / row[0]).read_bytes() == SEED.read_bytes()
    assert get_original(store, o.doc_id).read_bytes() == SEED.read_bytes()
    assert get_original(store, row[1]) == get_original(store, o.doc_id)
    src.unlink()  # the original is safe even when the dropped file is gone
    assert get_original(store, o.doc_id).read_bytes() == SEED.read_bytes()
    with pytest.raises(ArchiveError):
        get_original(store, 999)


def test_a_duplicate_gives_an_old_document_its_missing_original(tmp_path):
    """A document stored before the archive existed gets its original when the same file comes again."""
    db = tmp_path / "c.db"
    store = Store(db)
    p = prepare_file(SEED)
    store.add(p.record, p.sha256, str(SEED), p.size)  # the old way: no archive
    o = ingest_file(store, SEED)
    assert o.status == "duplicate"
    assert get_original(store, o.doc_id).read_bytes() == SEED.read_bytes()


def test_ingest_is_one_transaction_archive_first(tmp_path, monkeypatch):
    """A crash while the record is written leaves no document; the archived copy is adopted next time."""
    db = tmp_path / "c.db"
    store = Store(db)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "_write_children", crash)  # after the documents row, before the rest
    with pytest.raises(RuntimeError):
        commit(store, prepare_file(SEED), archive_for(db))
    monkeypatch.undo()
    fresh = Store(db)
    for table in ("documents", "files", "parties", "refs", "tasks"):
        assert fresh.db[table].count == 0, table
    sha = hash_file(SEED)
    assert archive_for(db).verify(sha)  # written first, so no row can point to a missing file
    o = ingest_file(fresh, SEED)
    assert o.status == "stored" and fresh.count() == 1
    assert get_original(fresh, o.doc_id).read_bytes() == SEED.read_bytes()


def test_no_row_without_an_archived_original(tmp_path, monkeypatch):
    db = tmp_path / "c.db"
    store = Store(db)

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Archive, "put", full_disk)
    o = ingest_file(store, SEED)
    assert o.status == "failed" and "No space left" in o.reason
    assert Store(db).count() == 0


def test_folder_ingest_skips_the_archive_inside_it(tmp_path):
    shutil.copy(SEED, tmp_path / "a.txt")
    store = Store(tmp_path / "c.db")  # its archive, c.archive/, is inside the folder ingested
    from pipeline.ingest import ingest_paths

    first = ingest_paths(store, [tmp_path])
    again = ingest_paths(store, [tmp_path])
    assert [o.status for o in first] == ["stored"]
    assert [o.path.name for o in again] == ["a.txt"]  # not the archived copy as well
