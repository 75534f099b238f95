"""``congvan watch``: real watcher processes on real folders; nothing dropped into the inbox is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline import watch as watch_mod
from pipeline.archive import archive_for, hash_file
from pipeline.ingest import extract_file, prepare_file
from pipeline.search import search
from pipeline.store import Store
from pipeline.watch import move_unique
from tests.conftest import CORPUS

CONGVAN = str(Path(sys.executable).with_name("congvan"))
SEED, SEED2, SEED3 = CORPUS / "seed_000.txt", CORPUS / "seed_002.txt", CORPUS / "seed_003.txt"
SETTLE = 0.3


def wait_until(cond: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or cond}")


def session_pids(sid: int) -> list[int]:
    """Processes still alive in the session the watcher was started in (it and its workers)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(d.name))
    return pids


class Watcher:
    """One ``congvan watch`` process, its output in a log file."""

    def __init__(self, inbox: Path, db: Path, *extra: str, settle: float = SETTLE, workers: int = 2) -> None:
        self.log = inbox.parent / f"watch-{time.monotonic_ns()}.log"
        self.inbox = inbox
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [CONGVAN, "watch", str(inbox), "--db", str(db), "--settle", str(settle), "--workers", str(workers), *extra],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )
        wait_until(lambda: "watching" in self.output() or self.proc.poll() is not None, what="the watcher to start")
        assert self.proc.poll() is None, self.output()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 15) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL, the watcher only: its workers must die with it
        self.proc.wait()

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in session_pids(self.proc.pid):  # what we started and is left over, if anything
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def watcher() -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(*args, **kwargs) -> Watcher:
        w = Watcher(*args, **kwargs)
        started.append(w)
        return w

    yield start
    for w in started:
        w.cleanup()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "congvan.db"


def drop(src: Path | bytes, dest: Path) -> Path:
    """Put a file into the inbox the way a copy program does: written under a temporary name, renamed."""
    tmp = dest.with_name("." + dest.name + ".part")
    tmp.write_bytes(src if isinstance(src, bytes) else src.read_bytes())
    os.rename(tmp, dest)
    return dest


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def count(db: Path) -> int:
    return Store(db).count()


# --- the basic path ------------------------------------------------------------------------------


def test_stored_files_go_to_processed_and_failures_to_failed_with_a_note(inbox, db, watcher):
    w = watcher(inbox, db)
    drop(SEED, inbox / "cv.txt")
    drop(b"", inbox / "empty.txt")
    wait_until(lambda: names(inbox / "processed") == ["cv.txt"] and "empty.txt" in names(inbox / "failed"))
    assert (inbox / "processed" / "cv.txt").read_bytes() == SEED.read_bytes()
    assert names(inbox / "failed") == ["empty.txt", "empty.txt.error.txt"]
    note = (inbox / "failed" / "empty.txt.error.txt").read_text(encoding="utf-8")
    assert "Tệp rỗng" in note and "empty file (0 bytes)" in note and "empty.txt" in note
    assert count(db) == 1
    row = Store(db).db.execute("SELECT original, source_path FROM documents").fetchone()
    assert (db.with_name("congvan.archive") / row[0]).read_bytes() == SEED.read_bytes()
    assert row[1] == str(inbox / "cv.txt")
    stored = Store(db).db.execute("SELECT text, record FROM documents").fetchone()
    assert stored[0] == extract_file(SEED).text and stored[1]  # the record crossed the process boundary whole
    assert [h.id for h in search(Store(db), "kế hoạch cải cách hành chính")] == [1]
    wait_until(lambda: "stored     cv.txt → document 1" in w.output())
    assert w.terminate() == 0


def test_a_file_still_being_copied_is_not_read_early(inbox, db, watcher):
    w = watcher(inbox, db, settle=1.0)
    data = SEED.read_bytes()
    target = inbox / "đang chép dở.txt"
    step = len(data) // 6 + 1
    with open(target, "wb") as f:  # a slow copy: six chunks, 0.5 s apart (less than the settle time)
        for i in range(0, len(data), step):
            f.write(data[i : i + step])
            f.flush()
            time.sleep(0.5)
            assert target.exists(), "the file was taken while it was still being written"
    wait_until(lambda: names(inbox / "processed") == [target.name])
    assert count(db) == 1 and names(inbox / "failed") == []
    sha = hash_file(inbox / "processed" / target.name)
    assert sha == hash_file(SEED)  # the whole file, not the first chunks
    assert archive_for(db).path_of(sha).read_bytes() == data
    assert w.proc.poll() is None


def test_name_clashes_get_a_suffix_and_nothing_is_overwritten(inbox, db, watcher):
    (inbox / "processed").mkdir()
    (inbox / "failed").mkdir()
    (inbox / "processed" / "cv.txt").write_bytes(b"an older file with the same name")
    (inbox / "failed" / "empty.txt").write_bytes(b"an older failure")
    (inbox / "failed" / "empty.txt.error.txt").write_text("the older note", encoding="utf-8")
    watcher(inbox, db)
    drop(SEED, inbox / "cv.txt")
    drop(b"", inbox / "empty.txt")
    wait_until(lambda: "cv (1).txt" in names(inbox / "processed") and "empty (1).txt" in names(inbox / "failed"))
    drop(SEED2, inbox / "cv.txt")  # same name again, other content
    wait_until(lambda: "cv (2).txt" in names(inbox / "processed"))
    assert (inbox / "processed" / "cv.txt").read_bytes() == b"an older file with the same name"
    assert (inbox / "processed" / "cv (1).txt").read_bytes() == SEED.read_bytes()
    assert (inbox / "processed" / "cv (2).txt").read_bytes() == SEED2.read_bytes()
    assert (inbox / "failed" / "empty.txt").read_bytes() == b"an older failure"
    assert (inbox / "failed" / "empty.txt.error.txt").read_text(encoding="utf-8") == "the older note"
    assert "empty file" in (inbox / "failed" / "empty (1).txt.error.txt").read_text(encoding="utf-8")
    assert count(db) == 2


def test_duplicates_are_recognised_by_content_and_set_aside_with_a_note(inbox, db, watcher):
    w = watcher(inbox, db)
    drop(SEED, inbox / "cv.txt")
    wait_until(lambda: names(inbox / "processed") == ["cv.txt"])
    drop(SEED, inbox / "bản sao của cv.txt")  # same bytes, another name
    wait_until(lambda: "bản sao của cv.txt" in names(inbox / "duplicates"))
    assert names(inbox / "duplicates") == ["bản sao của cv.txt", "bản sao của cv.txt.duplicate.txt"]
    assert (inbox / "duplicates" / "bản sao của cv.txt").read_bytes() == SEED.read_bytes()
    note = (inbox / "duplicates" / "bản sao của cv.txt.duplicate.txt").read_text(encoding="utf-8")
    assert "TỆP TRÙNG" in note and "Trùng với văn bản số:   1" in note and str(inbox / "cv.txt") in note
    wait_until(lambda: "duplicate  bản sao của cv.txt: same content as document 1" in w.output())
    assert count(db) == 1


def test_files_that_arrived_while_it_was_down_are_ingested_at_start_up(inbox, db, watcher):
    shutil.copy(SEED, inbox / "a.txt")
    shutil.copy(SEED2, inbox / "b.txt")
    w = watcher(inbox, db)
    assert "2 files waiting" in w.output()
    wait_until(lambda: names(inbox / "processed") == ["a.txt", "b.txt"])
    assert w.terminate() == 0
    shutil.copy(SEED3, inbox / "c.txt")  # while it is stopped
    watcher(inbox, db)
    wait_until(lambda: "c.txt" in names(inbox / "processed"))
    assert count(db) == 3


def test_bad_inputs_get_a_clear_outcome_and_the_watcher_keeps_running(inbox, db, watcher):
    w = watcher(inbox, db)
    drop(b"", inbox / "rỗng.txt")
    drop(os.urandom(50_000), inbox / "rác nhị phân.txt")
    drop("Cách nấu phở bò: ninh xương bò trong 8 tiếng, thêm hồi, quế.\n".encode() * 5, inbox / "công thức phở.txt")
    drop(b"\x89PNG\r\n\x1a\n not an image at all", inbox / "ảnh.xyz")
    drop(SEED2, inbox / "Công văn số 12 – Sở Nội vụ (bản chính).txt")
    failed = ["rỗng.txt", "rác nhị phân.txt", "công thức phở.txt", "ảnh.xyz"]
    wait_until(lambda: all(n in names(inbox / "failed") for n in failed)
               and "Công văn số 12 – Sở Nội vụ (bản chính).txt" in names(inbox / "processed"))
    reasons = {n: (inbox / "failed" / f"{n}.error.txt").read_text(encoding="utf-8") for n in failed}
    assert "empty file" in reasons["rỗng.txt"]
    assert "binary data" in reasons["rác nhị phân.txt"]
    assert "not an administrative document" in reasons["công thức phở.txt"]
    assert "unsupported file type" in reasons["ảnh.xyz"]
    assert all("Lý do:" in r for r in reasons.values())
    assert w.proc.poll() is None
    drop(SEED3, inbox / "sau đó.txt")  # still working
    wait_until(lambda: "sau đó.txt" in names(inbox / "processed"))
    assert count(db) == 2 and names(inbox) == ["duplicates", "failed", "processed"]
    assert w.terminate() == 0


def test_a_locked_database_keeps_the_file_in_the_inbox_until_it_can_be_stored(inbox, db, watcher):
    import sqlite3

    Store(db)  # create it
    w = watcher(inbox, db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program writing for a long time (longer than SQLite's 5 s wait)
    try:
        drop(SEED, inbox / "cv.txt")
        wait_until(lambda: "ERROR      cv.txt" in w.output(), timeout=30)
        assert names(inbox) == ["cv.txt", "duplicates", "failed", "processed"]  # not failed: not its fault
    finally:
        other.execute("ROLLBACK")
        other.close()
    wait_until(lambda: names(inbox / "processed") == ["cv.txt"], timeout=30)
    assert count(db) == 1 and names(inbox / "failed") == []


def test_polling_mode_for_network_shares(inbox, db, watcher):
    w = watcher(inbox, db, "--poll", "--poll-interval", "0.2")
    assert "polling every 0.2s" in w.output()
    drop(SEED, inbox / "qua mạng.txt")
    wait_until(lambda: names(inbox / "processed") == ["qua mạng.txt"])
    assert count(db) == 1


def test_a_scan_and_a_pdf_are_stored_and_the_scan_gets_a_searchable_pdf(inbox, db, watcher, tmp_path):
    pytest.importorskip("reportlab")
    if not shutil.which("tesseract"):
        pytest.skip("tesseract is not installed")
    from tests.render import render_pdf, render_scan

    one_page = "110_gialai-snnmt-thong-ke-dat-dai-2025"
    scan = render_scan(one_page, tmp_path / "bản quét.png", dpi=200, seed=3)
    pdf = render_pdf("408_gm-ubnd-xa-phat-tich-ntm", tmp_path / "giấy mời.pdf")
    watcher(inbox, db)
    drop(scan, inbox / scan.name)
    drop(pdf, inbox / pdf.name)
    wait_until(lambda: names(inbox / "processed") == sorted([scan.name, pdf.name]), timeout=60)
    store, archive = Store(db), archive_for(db)
    rows = dict(store.db.execute("SELECT media_type, sha256 FROM documents").fetchall())
    assert set(rows) == {"image/png", "application/pdf"}
    assert archive.path_of(rows["image/png"]).read_bytes() == scan.read_bytes()
    assert archive.path_of(rows["application/pdf"]).read_bytes() == pdf.read_bytes()
    searchable = archive.derived(rows["image/png"])
    assert list(searchable) == ["searchable.pdf"] and searchable["searchable.pdf"].read_bytes().startswith(b"%PDF")
    assert archive.derived(rows["application/pdf"]) == {}  # born digital: nothing to add


# --- crash safety and shutdown -------------------------------------------------------------------


def corpus_batch(inbox: Path) -> dict[str, bytes]:
    batch = {}
    for src in sorted(CORPUS.glob("*.txt")):
        if src.stem.upper() != "README":
            batch[src.name] = src.read_bytes()
            shutil.copy(src, inbox / src.name)
    return batch


def test_sigkill_mid_batch_then_restart_ingests_every_file_exactly_once(inbox, db, watcher):
    batch = corpus_batch(inbox)
    assert len(batch) >= 40 and len({hash_file(inbox / n) for n in batch}) == len(batch)
    processed = inbox / "processed"
    for kill_after in (len(batch) // 3,):  # add points to crash more than once (each costs a start-up)
        w = watcher(inbox, db, settle=0.05)
        wait_until(lambda n=kill_after: len(names(processed)) >= n, what=f"{kill_after} files processed")
        w.kill()
        done = len(names(processed))
        assert done < len(batch), "the batch finished before the kill: nothing was tested"
        wait_until(lambda w=w: session_pids(w.proc.pid) == [], timeout=5, what="the workers to die with the watcher")
    w = watcher(inbox, db, settle=0.05)
    wait_until(lambda: len(names(processed)) == len(batch), timeout=60, what="the whole batch")
    assert w.terminate() == 0

    store = Store(db)
    rows = store.db.execute("SELECT sha256, original, source_path FROM documents").fetchall()
    assert len(rows) == len(batch)  # every file exactly once
    assert len({r[0] for r in rows}) == len(rows)
    assert names(processed) == sorted(batch)  # every original moved once, none renamed with (1)
    assert names(inbox / "failed") == [] and names(inbox / "duplicates") == []
    for name, data in batch.items():
        assert (processed / name).read_bytes() == data
    archive = archive_for(db)
    for sha, original, _ in rows:
        assert original and (archive.root / original).is_file() and hash_file(archive.root / original) == sha
    assert names(inbox) == ["duplicates", "failed", "processed"]
    assert [p for p in (archive.root / "tmp").rglob("*") if p.is_file()] == []


def test_sigterm_stops_cleanly_and_leftovers_are_done_at_the_next_start(inbox, db, watcher):
    batch = corpus_batch(inbox)
    w = watcher(inbox, db, "--grace", "5", settle=0.05)
    wait_until(lambda: len(names(inbox / "processed")) >= 2)
    started = time.monotonic()
    assert w.terminate() == 0
    assert time.monotonic() - started < 8
    out = w.output()
    assert "stopped" in out and "Traceback" not in out
    wait_until(lambda: session_pids(w.proc.pid) == [], timeout=5, what="the workers to be gone too")
    here = set(names(inbox)) - {"processed", "failed", "duplicates"}
    assert here | set(names(inbox / "processed")) == set(batch)  # each file in one place or the other
    assert not here & set(names(inbox / "processed"))
    assert count(db) == len(names(inbox / "processed"))
    w = watcher(inbox, db, settle=0.05)
    wait_until(lambda: len(names(inbox / "processed")) == len(batch), timeout=60)
    assert w.terminate() == 0 and count(db) == len(batch)


def test_a_second_signal_abandons_files_being_read(inbox, db, watcher):
    for i in range(8):
        (inbox / f"cv{i}.txt").write_bytes(SEED.read_bytes() + f"\n{i}\n".encode())
    w = watcher(inbox, db, "--grace", "30", settle=0.05)
    w.proc.send_signal(signal.SIGINT)
    w.proc.send_signal(signal.SIGINT)
    assert w.proc.wait(timeout=10) == 0
    assert "stopped" in w.output()
    left = [n for n in names(inbox) if n.endswith(".txt")]
    assert len(left) + len(names(inbox / "processed")) == 8 and count(db) == len(names(inbox / "processed"))


def crashing_prepare(path: Path, workdir: Path):
    """A reader that kills its process on files named crash* (as a segfault in a native library would)."""
    if Path(path).name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    return prepare_file(path, workdir)


def test_a_file_that_kills_its_worker_is_retried_alone_then_failed(inbox, db, monkeypatch):
    monkeypatch.setattr(watch_mod, "prepare_file", crashing_prepare)
    for name in ("a.txt", "crash.txt", "b.txt"):
        (inbox / name).write_bytes((SEED.read_text(encoding="utf-8") + name).encode())
    lines: list[str] = []
    stats = watch_mod.watch(watch_mod.WatchConfig(inbox, db, settle=0.05, workers=2, once=True), report=lines.append)
    assert (stats.stored, stats.failed) == (2, 1), lines
    assert names(inbox / "processed") == ["a.txt", "b.txt"]
    note = (inbox / "failed" / "crash.txt.error.txt").read_text(encoding="utf-8")
    assert "reader crashed" in note and "bị dừng đột ngột" in note


# --- the pieces ----------------------------------------------------------------------------------


def test_move_unique_finishes_a_move_interrupted_after_the_link(tmp_path):
    src = tmp_path / "cv.txt"
    src.write_bytes(b"x")
    dest_dir = tmp_path / "processed"
    dest_dir.mkdir()
    os.link(src, dest_dir / "cv.txt")  # the crash came between link and unlink
    assert move_unique(src, dest_dir) == dest_dir / "cv.txt"
    assert not src.exists() and names(dest_dir) == ["cv.txt"]


def test_the_watcher_ignores_partial_downloads_its_own_notes_and_its_database(inbox, watcher):
    db = inbox / "congvan.db"  # a database inside the inbox must not be moved away
    w = watcher(inbox, db)
    (inbox / "tải về.pdf.crdownload").write_bytes(b"half")
    (inbox / "~$công văn.docx").write_bytes(b"office lock")
    (inbox / "old.txt.error.txt").write_text("a note", encoding="utf-8")
    drop(SEED, inbox / "cv.txt")
    wait_until(lambda: names(inbox / "processed") == ["cv.txt"])
    time.sleep(3 * SETTLE)
    assert {"tải về.pdf.crdownload", "~$công văn.docx", "old.txt.error.txt", "congvan.db"} <= set(names(inbox))
    assert names(inbox / "failed") == []
    assert w.terminate() == 0
