"""Watch an inbox folder and ingest every file dropped into it; nothing is ever lost.

    congvan watch /srv/congvan/inbox --db /srv/congvan/congvan.db

A file dropped into the inbox (top level; sub-folders are not read) goes through:

1. **seen** — an inotify event, a polling scan (``--poll``, for network shares), or the scan at
   start-up that catches up on what arrived while the watcher was down;
2. **settled** — size and modification time unchanged for ``--settle`` seconds (three times
   that for an empty file) and it opens for reading: a file still being copied is not read;
3. **known?** — hashed; content already stored goes to ``duplicates/NAME`` with a
   ``NAME.duplicate.txt`` note saying which document it repeats; nothing new is stored;
4. **read and extracted** in a worker process (``--workers``, default 2: OCR is the slow part);
5. **committed** by this process, the only SQLite writer: the original is copied into the
   archive beside the database and synced, then the record is stored in one transaction;
6. **moved** to ``processed/NAME``, or to ``failed/NAME`` with ``NAME.error.txt`` beside it
   saying why, in Vietnamese and English.

An original is never deleted or overwritten: a clash gets ``NAME (1).pdf``, ``NAME (2).pdf``…
Moves are a hard link then an unlink, so a crash leaves the file in the inbox, in its new place,
or in both (same file); at the next start an inbox file whose content was already stored from
that same inbox path is recognised as an interrupted move and simply finished. Hence a
watcher killed with SIGKILL and restarted ingests every file exactly once.

Trouble that is not the file's fault — the database locked by another writer, a full disk, a
share gone away — leaves the file in the inbox and it is tried again, less and less often. A
worker that dies on a file (a crash in a native library, out of memory) gets it once more on its
own; a second death sends it to ``failed/``. Workers die with the watcher, even on SIGKILL.

SIGTERM or Ctrl-C stops it cleanly: no new file is started, files being read are given
``--grace`` seconds to finish (then stored and moved), the rest are abandoned — left in the
inbox untouched and done again at the next start.

>>> import tempfile, pathlib
>>> inbox = pathlib.Path(tempfile.mkdtemp())
>>> _ = (inbox / "Công văn 12.txt").write_bytes(b"")
>>> stats = watch(WatchConfig(inbox, inbox.parent / (inbox.name + ".db"), settle=0.05, workers=0, once=True), report=lambda m: None)
>>> stats.failed, sorted(p.name for p in (inbox / "failed").iterdir())
(1, ['Công văn 12.txt', 'Công văn 12.txt.error.txt'])
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import multiprocessing
import os
import queue
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from watchdog.events import FileSystemEventHandler

from pipeline.archive import ArchiveError, archive_for, hash_file
from pipeline.ingest import Outcome, Prepared, commit, duplicate, prepare_file
from pipeline.store import Store

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
"""Files that operating systems put into shared folders by themselves."""

PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp", ".filepart")
"""Files still being downloaded or copied under a temporary name; they are renamed when done."""

NOTE_SUFFIXES = (".error.txt", ".duplicate.txt")
"""Our own notes, if someone puts one back into the inbox with its file."""

MAX_CHANGED = 3
"""Times a file may change between being hashed and archived before it is given up as unstable."""

MAX_ERRORS = 3
"""Times storing a file may fail unexpectedly before it goes to failed/ (the watcher goes on)."""

REASONS_VI = [
    ("empty file", "Tệp rỗng (0 byte): có thể việc sao chép chưa xong hoặc đã bị lỗi."),
    ("file holds only whitespace", "Tệp không có nội dung (chỉ có khoảng trắng)."),
    ("binary data", "Đây không phải tệp văn bản (dữ liệu nhị phân)."),
    ("unsupported file type", "Chương trình chưa đọc được loại tệp này."),
    ("not UTF-8", "Tệp văn bản không dùng bảng mã Unicode (UTF-8), có thể là TCVN3 (ABC) hoặc VNI: "
                  "hãy lưu lại dưới dạng Unicode rồi gửi lại."),
    ("text too large", "Tệp văn bản quá lớn so với một công văn: hãy tách thành các tệp nhỏ hơn."),
    ("not an administrative document", "Không thấy dấu hiệu của văn bản hành chính (số và ký hiệu, "
                                       "địa danh và ngày tháng, cơ quan ban hành, tên loại văn bản)."),
    ("encrypted", "Tệp có mật khẩu hoặc đã được mã hoá: hãy gửi bản không đặt mật khẩu."),
    ("password", "Tệp có mật khẩu hoặc đã được mã hoá: hãy gửi bản không đặt mật khẩu."),
    ("truncated", "Tệp bị cắt cụt hoặc hỏng: hãy sao chép hoặc xuất lại tệp."),
    ("damaged", "Tệp bị hỏng: hãy sao chép hoặc xuất lại tệp."),
    ("no pages", "Tệp PDF không có trang nào."),
    ("no text", "Không đọc được chữ nào trong tệp (ảnh trắng hoặc quá mờ?)."),
    ("the file changed", "Tệp liên tục thay đổi trong khi đang được đọc (vẫn đang được sao chép hoặc chỉnh sửa?)."),
    ("reader crashed", "Chương trình đọc tệp bị dừng đột ngột khi đọc tệp này."),
    ("internal error", "Lỗi của chương trình khi xử lý tệp này: xin báo cho người quản trị."),
]
"""Reason (as the readers word it, in English) → what the error note says first, in Vietnamese."""


@dataclass
class WatchConfig:
    """Where and how to watch; see :func:`watch`."""

    inbox: Path
    db_path: Path
    processed: Path | None = None  # default INBOX/processed
    failed: Path | None = None  # default INBOX/failed
    duplicates: Path | None = None  # default INBOX/duplicates
    settle: float = 2.0  # seconds a file must stay unchanged before it is read
    poll: bool = False  # watchdog's PollingObserver instead of inotify (network shares)
    poll_interval: float = 2.0
    workers: int = 2  # 0: read and extract in this process (for debugging)
    grace: float = 10.0  # seconds given to files being read when asked to stop
    rescan: float = 60.0  # a full scan of the inbox now and then, in case an event was missed
    once: bool = False  # process what is in the inbox now, then stop

    def __post_init__(self) -> None:
        self.inbox = Path(self.inbox).resolve()
        self.db_path = Path(self.db_path).resolve()
        self.processed = Path(self.processed).resolve() if self.processed else self.inbox / "processed"
        self.failed = Path(self.failed).resolve() if self.failed else self.inbox / "failed"
        self.duplicates = Path(self.duplicates).resolve() if self.duplicates else self.inbox / "duplicates"


@dataclass
class WatchStats:
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    resumed: int = 0  # already stored before a crash; only the move was left to do
    abandoned: int = 0  # left in the inbox at shutdown, done at the next start
    outcomes: deque[Outcome] = field(default_factory=lambda: deque(maxlen=1000))  # the latest, without records


# --- moving files without ever overwriting one --------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def unique_name(name: str, k: int) -> str:
    """The k-th name tried for ``name`` in a folder.

    >>> [unique_name("Công văn 12.pdf", k) for k in range(3)]
    ['Công văn 12.pdf', 'Công văn 12 (1).pdf', 'Công văn 12 (2).pdf']
    """
    if k == 0:
        return name
    p = Path(name)
    return f"{p.stem} ({k}){p.suffix}"


def move_unique(src: Path, folder: Path, before: Callable[[Path], None] | None = None) -> Path:
    """Move ``src`` into ``folder`` under its name, or ``NAME (1)``, ``NAME (2)``…; return the new path.

    Never overwrites: the new name is made with a hard link (which fails if the name exists),
    then the old one is removed. ``before(dest)`` runs before the file appears there (to write
    its note first). A destination that already *is* ``src`` (a move interrupted by a crash) is
    finished rather than duplicated. Without hard links (some network shares) it copies, syncs
    and renames instead.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for k in count():
        dest = folder / unique_name(src.name, k)
        if dest.exists() or dest.is_symlink():
            if _same_file(src, dest):
                if before:
                    before(dest)
                src.unlink()
                return dest
            continue
        if before:
            before(dest)
        try:
            os.link(src, dest)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if not _copy_no_clobber(src, dest):
                continue
        _fsync_dir(folder)  # the new name is on disk before the old one goes
        src.unlink()  # if this is lost in a power cut, the next start finishes the move
        return dest
    raise AssertionError("unreachable")  # pragma: no cover


def _copy_no_clobber(src: Path, dest: Path) -> bool:
    """Copy to a hidden temporary name in dest's folder, sync, rename; False if dest appeared meanwhile."""
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        shutil.copy2(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if dest.exists():
            return False
        os.rename(tmp, dest)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def printable(s: str) -> str:
    """A file name as text that can be stored and shown: bytes that are not UTF-8 become U+FFFD.

    >>> printable(os.fsdecode(b"c\\xf4ng.txt"))
    'c\ufffdng.txt'
    """
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _write_note(path: Path, text: str) -> None:
    """Write a small UTF-8 note atomically (our own file: replacing a stale one is fine)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    with open(tmp, "w", encoding="utf-8", errors="replace", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def reason_vi(reason: str) -> str:
    """The Vietnamese first line of an error note for a reason worded by the readers.

    >>> reason_vi("empty file (0 bytes)")
    'Tệp rỗng (0 byte): có thể việc sao chép chưa xong hoặc đã bị lỗi.'
    """
    low = reason.lower()
    for key, vi in REASONS_VI:
        if key in low:
            return vi
    return "Không đọc được tệp này."


def error_note(name: str, reason: str, when: dt.datetime | None = None) -> str:
    """The text of ``NAME.error.txt``: what failed and what to do, in Vietnamese then English."""
    when = when or dt.datetime.now().astimezone()
    return (
        "KHÔNG NHẬN ĐƯỢC TỆP NÀY VÀO KHO CÔNG VĂN\n"
        "(This file could not be ingested.)\n\n"
        f"Tệp (file):         {name}\n"
        f"Thời điểm (time):   {when:%d/%m/%Y %H:%M:%S}\n"
        f"Lý do:              {reason_vi(reason)}\n"
        f"Reason:             {reason}\n\n"
        "Tệp gốc được giữ nguyên, không bị sửa, ngay bên cạnh ghi chú này. Sau khi sửa lỗi,\n"
        "hãy chép tệp trở lại thư mục nhận văn bản để thử lại.\n"
        "(The original is kept unchanged beside this note. Fix it and put it back into the inbox to try again.)\n"
    )


def duplicate_note(name: str, doc: dict, when: dt.datetime | None = None) -> str:
    """The text of ``NAME.duplicate.txt``: which stored document this file repeats."""
    when = when or dt.datetime.now().astimezone()
    num = f"{doc.get('number') or '…'}/{doc['symbol']}" if doc.get("symbol") else "—"
    return (
        "TỆP TRÙNG: NỘI DUNG NÀY ĐÃ CÓ TRONG KHO CÔNG VĂN\n"
        "(Duplicate: this content is already stored; nothing new was stored.)\n\n"
        f"Tệp (file):             {name}\n"
        f"Thời điểm (time):       {when:%d/%m/%Y %H:%M:%S}\n"
        f"Trùng với văn bản số:   {doc['id']}  (document id)\n"
        f"Số, ký hiệu:            {num}\n"
        f"Ngày ban hành:          {doc.get('date') or '—'}\n"
        f"Trích yếu:              {doc.get('subject') or '—'}\n"
        f"Nhận lần đầu từ:        {doc.get('source_path') or '—'}  ({doc.get('ingested_at') or ''})\n"
        f"Mã băm (sha256):        {doc.get('sha256')}\n\n"
        "Tệp này được giữ nguyên ở đây; có thể xoá nếu không cần.\n"
        "(This copy is kept here unchanged; delete it if you do not need it.)\n"
    )


# --- worker processes ---------------------------------------------------------------------------


def _worker_init(parent_pid: int, ocr_threads: int) -> None:
    """In each worker: die with the watcher, leave Ctrl-C to it, share the cores, warm up.

    Tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``) and each worker runs ``ocr_threads``
    of them at once (``CONGVAN_OCR_WORKERS``), so N workers keep the machine's cores busy
    without fighting over them.
    """
    try:  # Linux: be killed if the watcher dies, even by SIGKILL
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault("CONGVAN_OCR_WORKERS", str(ocr_threads))
    _warm_up()


WARM_UP_TEXT = "UBND TỈNH HÀ TĨNH\nSố: 12/QĐ-UBND\nHà Tĩnh, ngày 02 tháng 3 năm 2023\nQUYẾT ĐỊNH\nVề việc ban hành Quy chế\n"


def _warm_up() -> None:
    """Load the extractors' tables, the word segmenter and Tesseract's Vietnamese model before
    the first file comes (~1.5 s)."""
    try:
        from extractors.extract import extract
        from pipeline.ocr import tesseract
        from pipeline.store import index_words

        index_words(extract(WARM_UP_TEXT))
        tesseract()
    except Exception:  # a warm-up must never stop a worker; the real file will report the problem
        pass


def _ready() -> bool:
    return True


@dataclass
class _Job:
    path: Path
    sha256: str
    workdir: Path


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


class _Handler(FileSystemEventHandler):
    """watchdog event handler: hands the paths of inbox entries to the main loop."""

    def __init__(self, inbox: Path, events: queue.SimpleQueue) -> None:
        super().__init__()
        self.inbox, self.events = inbox, events

    def dispatch(self, event) -> None:
        if event.is_directory:
            return
        for p in (getattr(event, "dest_path", "") or "", event.src_path):
            if p:
                path = Path(os.fsdecode(p))
                if path.parent == self.inbox:
                    self.events.put(path)


class Watcher:
    """The main loop; use :func:`watch`."""

    def __init__(self, cfg: WatchConfig, report: Callable[[str], None]) -> None:
        self.cfg, self.report = cfg, report
        self.store = Store(cfg.db_path)
        self.archive = archive_for(cfg.db_path)
        self.stats = WatchStats()
        self.stop = threading.Event()
        self.hard_stop = False
        self.events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self.seen: dict[Path, _Seen] = {}
        self.ready: deque[Path] = deque()
        self.inflight: dict[Future, _Job] = {}
        self.changed: dict[Path, int] = {}
        self.errors: dict[Path, int] = {}
        self.suspects: set[Path] = set()
        self.unreachable = False
        self.pool: ProcessPoolExecutor | None = None
        db = cfg.db_path
        self.own_files = {db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), db.with_name(db.name + "-journal")}
        self.tick = max(0.02, min(0.25, cfg.settle / 4))

    # --- finding files ------------------------------------------------------------------

    def wanted(self, path: Path) -> bool:
        name = path.name.lower()
        return not (
            name.startswith((".", "~$")) or name in IGNORED_NAMES or name.endswith(PARTIAL_SUFFIXES)
            or name.endswith(NOTE_SUFFIXES) or path in self.own_files
        )

    def scan(self) -> None:
        """Every file now in the inbox becomes a candidate (at start-up: what arrived while down)."""
        try:
            with os.scandir(self.cfg.inbox) as it:
                entries = sorted(it, key=lambda e: e.name)
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    self.see(Path(entry.path))
            self.unreachable = False
        except OSError as exc:  # a network share gone away: say it once, look again at the next scan
            if not self.unreachable:
                self.say(f"ERROR      the inbox cannot be read: {exc}; looking again every {self.cfg.rescan:g} s")
            self.unreachable = True

    def see(self, path: Path, delay: float = 0.0) -> None:
        if path in self.seen or path in self.ready or not self.wanted(path):
            return
        if any(job.path == path for job in self.inflight.values()):
            return
        try:
            st = path.stat()
        except OSError:
            return
        if path.is_file() and not path.is_symlink():
            self.seen[path] = _Seen(st.st_size, st.st_mtime_ns, time.monotonic() + delay)

    def settle(self) -> None:
        """Candidates unchanged for the settle interval, and readable, move on to ``ready``."""
        now = time.monotonic()
        for path, s in list(self.seen.items()):
            try:
                st = path.stat()
            except OSError:
                del self.seen[path]  # gone (renamed by the copying program, or taken away)
                continue
            if (st.st_size, st.st_mtime_ns) != (s.size, s.mtime_ns):
                self.seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
                continue
            wait_for = self.cfg.settle * (3 if st.st_size == 0 else 1)
            if now - s.since < wait_for:
                continue
            try:
                with open(path, "rb") as f:
                    f.read(1)
            except OSError:
                self.seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
                continue
            del self.seen[path]
            self.ready.append(path)

    # --- reading in workers -------------------------------------------------------------

    def capacity(self) -> int:
        return max(1, self.cfg.workers) * 2

    def dispatch(self) -> None:
        while self.ready and len(self.inflight) < self.capacity() and not self.stop.is_set():
            if any(job.path in self.suspects for job in self.inflight.values()):
                return  # a file that may crash a reader is read alone
            path = self.ready.popleft()
            if path in self.suspects and self.inflight:
                self.ready.appendleft(path)
                return
            try:
                sha = hash_file(path)
                if any(job.sha256 == sha for job in self.inflight.values()):
                    self.see(path)  # same content being read now: it will be a duplicate
                    continue
                existing = self.store.find_by_hash(sha)
                if existing is not None:
                    self.known(path, sha, existing)
                    continue
                workdir = (self.archive.tmp if self.archive else self.cfg.inbox) / f"job-{os.getpid()}-{uuid.uuid4().hex}"
                workdir.mkdir(parents=True)
            except FileNotFoundError:
                continue  # taken away before it was read
            except Exception as exc:
                self.trouble(path, exc)
                continue
            job = _Job(path, sha, workdir)
            if self.cfg.workers <= 0:
                self.finish(job, prepare_file(path, workdir))
                continue
            self.inflight[self.start_pool().submit(prepare_file, path, workdir)] = job

    def start_pool(self) -> ProcessPoolExecutor:
        """The worker processes, started (and warmed up) at once rather than at the first file."""
        if self.pool is None:
            n = self.cfg.workers
            self.pool = ProcessPoolExecutor(
                n, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init, initargs=(os.getpid(), max(1, (os.cpu_count() or 2) // n)),
            )
            for _ in range(n):
                self.pool.submit(_ready)
        return self.pool

    def collect(self, timeout: float) -> None:
        if not self.inflight:
            self.stop.wait(timeout)
            return
        done, _ = wait(list(self.inflight), timeout=timeout, return_when=FIRST_COMPLETED)
        crashed: list[_Job] = []
        for fut in done:
            job = self.inflight.pop(fut)
            try:
                prepared = fut.result()
            except BrokenProcessPool:
                crashed.append(job)
                continue
            except Exception as exc:  # pickling trouble and the like
                prepared = Prepared(job.path, failure=f"internal error: {type(exc).__name__}: {exc}")
            self.finish(job, prepared)
        if crashed:  # a worker died: the whole pool is gone, with every file it was reading
            crashed += self.inflight.values()
            self.inflight.clear()
            self.drop_pool()
            for job in crashed:
                self.crashed(job)

    def crashed(self, job: _Job) -> None:
        """A worker died (segfault, out of memory) with this file: alone once more, then failed.

        Before a file is blamed, a fresh pool must run a trivial task: if even that fails, the
        machine is at fault, not the file, and files are read in the watcher itself from then on.
        """
        shutil.rmtree(job.workdir, ignore_errors=True)
        if job.path not in self.suspects:
            self.suspects.add(job.path)
            self.ready.appendleft(job.path)
            return
        self.suspects.discard(job.path)
        if self.workers_work():
            self.fail(job.path, "reader crashed: the process reading this file stopped abruptly, twice")
            return
        self.say("ERROR      worker processes cannot start or keep dying; reading files in the watcher itself from now on")
        self.cfg.workers = 0
        self.ready.appendleft(job.path)

    def workers_work(self) -> bool:
        try:
            return bool(self.start_pool().submit(_ready).result(timeout=120))
        except Exception:
            self.drop_pool()
            return False

    def drop_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    # --- writing and moving (this process only) -----------------------------------------

    def finish(self, job: _Job, p: Prepared) -> None:
        try:
            if not job.path.exists():
                return  # taken away meanwhile: nothing stored, nothing to move
            if p.failure is None and p.sha256 != job.sha256:
                raise ArchiveError("the file changed while it was being read")
            if p.failure is not None:
                self.fail(job.path, p.failure)
                return
            o = commit(self.store, p, self.archive, source_path=printable(str(job.path)))
            if o.status == "duplicate":
                self.known(job.path, job.sha256, o.doc_id)
                return
            dest = move_unique(job.path, self.cfg.processed)
            self.stats.stored += 1
            o.record = None
            self.stats.outcomes.append(o)
            self.forget(job.path)
            self.say(f"stored     {job.path.name} → document {o.doc_id} ({self._rel(dest)})")
        except ArchiveError as exc:
            n = self.changed[job.path] = self.changed.get(job.path, 0) + 1
            if n >= MAX_CHANGED:
                self.fail(job.path, str(exc))
            else:
                self.say(f"changed    {job.path.name}: it changed while being read; waiting for it to settle")
                self.see(job.path)
        except Exception as exc:
            self.trouble(job.path, exc)
        finally:
            shutil.rmtree(job.workdir, ignore_errors=True)

    def trouble(self, path: Path, exc: Exception) -> None:
        """Storing or moving a file went wrong; the watcher goes on and the file stays in the inbox.

        The database or the disk (locked by another writer, full, a share gone away: SQLite and
        OS errors) is tried again and again, less and less often; anything else is this file's
        problem, and after :data:`MAX_ERRORS` tries it goes to ``failed/`` with the reason.
        """
        n = self.errors[path] = self.errors.get(path, 0) + 1
        reason = f"internal error: {type(exc).__name__}: {exc}"
        if not isinstance(exc, sqlite3.Error | OSError) and n >= MAX_ERRORS:
            self.fail(path, reason)
            return
        delay = min(60.0, self.cfg.settle * 2 ** min(n, 10))
        self.say(f"ERROR      {path.name}: {reason} (left in the inbox; trying again in {delay:.0f} s)")
        self.see(path, delay)

    def known(self, path: Path, sha: str, doc_id: int) -> None:
        """Content already stored: an interrupted move to finish, or a duplicate to put aside."""
        row = self.store.db.execute("SELECT * FROM documents WHERE id = ?", [doc_id]).fetchone()
        cols = [c[0] for c in self.store.db.execute("SELECT * FROM documents LIMIT 0").description]
        doc = dict(zip(cols, row, strict=True)) if row else {"id": doc_id, "sha256": sha}
        if doc.get("source_path") == printable(str(path)):
            dest = move_unique(path, self.cfg.processed)
            self.stats.resumed += 1
            self.forget(path)
            self.say(f"stored     {path.name} → document {doc_id} (already stored before a restart; {self._rel(dest)})")
            return
        o = duplicate(self.store, self.archive, doc_id, path, sha)
        note = duplicate_note(printable(path.name), doc)
        dest = move_unique(path, self.cfg.duplicates, before=lambda d: _write_note(d.with_name(d.name + ".duplicate.txt"), note))
        self.stats.duplicates += 1
        self.stats.outcomes.append(o)
        self.forget(path)
        self.say(f"duplicate  {path.name}: same content as document {doc_id} → {self._rel(dest)}")

    def fail(self, path: Path, reason: str) -> None:
        if not path.exists():
            return
        note = error_note(printable(path.name), reason)
        try:
            dest = move_unique(path, self.cfg.failed, before=lambda d: _write_note(d.with_name(d.name + ".error.txt"), note))
        except FileNotFoundError:
            return
        except OSError as exc:  # failed/ not writable: say so, keep the file where it is
            self.say(f"ERROR      {path.name}: {reason}; and it cannot be moved to {self.cfg.failed}: {exc} (left in the inbox)")
            return
        self.stats.failed += 1
        self.stats.outcomes.append(Outcome(path, "failed", reason=reason))
        self.forget(path)
        self.say(f"FAILED     {path.name}: {reason} → {self._rel(dest)}")

    def forget(self, path: Path) -> None:
        """A file dealt with: its retry counts go (a new file of that name starts afresh)."""
        self.errors.pop(path, None)
        self.changed.pop(path, None)
        self.suspects.discard(path)

    def say(self, message: str) -> None:
        """Report a line; a name the terminal cannot show never stops the watcher."""
        try:
            self.report(message)
        except UnicodeError:
            self.report(printable(message).encode("ascii", "backslashreplace").decode("ascii"))

    def _rel(self, p: Path) -> str:
        try:
            return str(p.relative_to(self.cfg.inbox))
        except ValueError:
            return str(p)

    # --- the loop -----------------------------------------------------------------------

    def idle(self) -> bool:
        return not (self.seen or self.ready or self.inflight)

    def run(self) -> WatchStats:
        cfg = self.cfg
        for folder in (cfg.processed, cfg.failed, cfg.duplicates):
            folder.mkdir(parents=True, exist_ok=True)
        if self.archive is not None:
            self.archive.clean_tmp()
        observer = None
        if not cfg.once:
            observer = self._observer()
        if cfg.workers > 0:
            self.start_pool()
        self.scan()
        how = "once" if cfg.once else (f"polling every {cfg.poll_interval:g}s" if cfg.poll else "inotify")
        self.say(
            f"watching   {cfg.inbox} ({how}; {cfg.workers} workers; settle {cfg.settle:g}s) → {cfg.db_path}; "
            f"{len(self.seen)} files waiting"
        )
        last_scan = time.monotonic()
        try:
            while not self.stop.is_set():
                while True:
                    try:
                        self.see(self.events.get_nowait())
                    except queue.Empty:
                        break
                if time.monotonic() - last_scan >= cfg.rescan:
                    self.scan()
                    last_scan = time.monotonic()
                self.settle()
                self.dispatch()
                self.collect(self.tick)
                if cfg.once and self.idle():
                    break
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            self.shutdown()
        return self.stats

    def _observer(self):
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        observer = PollingObserver(timeout=self.cfg.poll_interval) if self.cfg.poll else Observer()
        observer.schedule(_Handler(self.cfg.inbox, self.events), str(self.cfg.inbox), recursive=False)
        observer.daemon = True
        observer.start()
        return observer

    def shutdown(self) -> None:
        """Let files being read finish within the grace time; abandon the rest (they stay in the inbox)."""
        if self.inflight and not self.hard_stop:
            self.say(f"stopping   waiting up to {self.cfg.grace:g}s for {len(self.inflight)} files being read")
            deadline = time.monotonic() + self.cfg.grace
            while self.inflight and not self.hard_stop and time.monotonic() < deadline:
                self.collect(0.1)
        for job in self.inflight.values():
            shutil.rmtree(job.workdir, ignore_errors=True)
            self.stats.abandoned += 1
            self.say(f"abandoned  {job.path.name}: left in the inbox, done again at the next start")
        self.inflight.clear()
        if self.pool is not None:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                if proc.is_alive():
                    proc.terminate()
            for proc in processes:
                proc.join(timeout=5)
            self.pool = None
        waiting = len(self.seen) + len(self.ready)
        s = self.stats
        self.say(
            f"stopped    {s.stored} stored, {s.duplicates} duplicates, {s.failed} failed"
            + (f", {s.resumed} resumed" if s.resumed else "")
            + (f"; {s.abandoned + waiting} files left in the inbox for the next start" if s.abandoned + waiting else "")
        )
        self.store.db.close()

    def request_stop(self, signum: int | None = None, frame=None) -> None:
        if self.stop.is_set():
            self.hard_stop = True  # asked twice: do not wait for the files being read
        self.stop.set()


def watch(cfg: WatchConfig, report: Callable[[str], None] = print) -> WatchStats:
    """Watch ``cfg.inbox`` until SIGTERM or Ctrl-C (or, with ``cfg.once``, until it is empty).

    Example::

        watch(WatchConfig(Path("/srv/inbox"), Path("/srv/congvan.db"), poll=True, workers=2))
    """
    if not cfg.inbox.is_dir():
        raise NotADirectoryError(f"inbox is not a folder: {cfg.inbox}")
    w = Watcher(cfg, report)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, w.request_stop)
    try:
        return w.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
