"""The inbox as the web page shows it: what is queued, done, a duplicate or failed (with the reason).

The server ingests its inbox with the same :class:`pipeline.watch.Watcher` as ``congvan watch``
(run in a background thread by :class:`InboxRunner`), so a file uploaded through the page and a
file copied into the folder take the same path: ``processed/``, ``duplicates/`` with a note, or
``failed/`` with ``NAME.error.txt``. :func:`inbox_state` reads those folders and the store;
:func:`retry` puts a failed file back into the inbox.

>>> import tempfile, pathlib
>>> from pipeline.store import Store
>>> inbox = pathlib.Path(tempfile.mkdtemp())
>>> _ = (inbox / "cv.txt").write_text("Số: 12/UBND", encoding="utf-8")
>>> [i.name for i in inbox_state(Store(":memory:"), inbox).queued]
['cv.txt']
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.store import Store
from pipeline.watch import IGNORED_NAMES, NOTE_SUFFIXES, PARTIAL_SUFFIXES, WatchConfig, Watcher, move_unique, reason_vi

DONE_LIMIT = 30


@dataclass
class InboxItem:
    name: str
    size: int | None = None
    at: str | None = None  # ISO, UTC
    reason: str | None = None  # as the reader worded it (English)
    reason_vi: str | None = None
    doc_id: int | None = None
    title: str | None = None  # the stored document, for done items and duplicates


@dataclass
class InboxState:
    folder: str
    watching: bool
    queued: list[InboxItem] = field(default_factory=list)
    done: list[InboxItem] = field(default_factory=list)
    duplicates: list[InboxItem] = field(default_factory=list)
    failed: list[InboxItem] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def _wanted(name: str) -> bool:
    low = name.lower()
    return not (low.startswith((".", "~$")) or low in IGNORED_NAMES or low.endswith(PARTIAL_SUFFIXES)
                or low.endswith(NOTE_SUFFIXES))


def _files(folder: Path) -> list[tuple[Path, int, float]]:
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file() and _wanted(p.name):
            out.append((p, st.st_size, st.st_mtime))
    return sorted(out, key=lambda x: x[2], reverse=True)


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _note_line(note: Path, label: str) -> str | None:
    try:
        for line in note.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(label):
                return line[len(label):].strip()
    except OSError:
        return None
    return None


def inbox_state(store: Store, inbox: Path, watching: bool = False, log: list[str] | None = None) -> InboxState:
    """What the inbox page lists: queued files, the latest stored documents, duplicates and failures."""
    inbox = Path(inbox).resolve()
    state = InboxState(str(inbox), watching, log=list(log or []))
    state.queued = [InboxItem(p.name, size, _iso(t)) for p, size, t in sorted(_files(inbox), key=lambda x: x[2])]
    for p, size, t in _files(inbox / "failed")[:200]:
        reason = _note_line(p.with_name(p.name + ".error.txt"), "Reason:") or "không rõ lý do"
        state.failed.append(InboxItem(p.name, size, _iso(t), reason, reason_vi(reason)))
    for p, size, t in _files(inbox / "duplicates")[:DONE_LIMIT]:
        ref = _note_line(p.with_name(p.name + ".duplicate.txt"), "Trùng với văn bản số:")
        doc_id = int(ref.split()[0]) if ref and ref.split()[0].isdigit() else None
        state.duplicates.append(InboxItem(p.name, size, _iso(t), doc_id=doc_id))
    prefix = str(inbox) + "/"
    rows = store.db.execute(  # the small files table, not the documents (whose rows hold whole texts)
        "SELECT d.id, d.doc_type, d.number, d.symbol, d.subject, f.path, d.ingested_at FROM "
        "(SELECT document_id, path FROM files WHERE substr(path, 1, ?) = ? ORDER BY document_id DESC LIMIT ?) f "
        "JOIN documents d ON d.id = f.document_id ORDER BY d.id DESC",
        [len(prefix), prefix, DONE_LIMIT],
    ).fetchall()
    from pipeline.web.labels import doc_title

    for id_, typ, num, sym, subject, source, at in rows:
        title = doc_title({"id": id_, "doc_type": typ, "number": num, "symbol": sym})
        state.done.append(InboxItem(Path(source).name, at=at, doc_id=id_, title=f"{title} — {subject or ''}".strip(" —")))
    return state


def retry(inbox: Path, name: str) -> str:
    """Move ``failed/NAME`` back into the inbox (its note is removed); return its name there.

    Raises :class:`FileNotFoundError` for a name that is not a failed file (no paths accepted).
    """
    failed = Path(inbox) / "failed"
    if not name or name != Path(name).name or not _wanted(name) or name not in {p.name for p in failed.iterdir()}:
        raise FileNotFoundError(name)
    src = failed / name
    if not src.is_file():
        raise FileNotFoundError(name)
    dest = move_unique(src, Path(inbox))
    (failed / (name + ".error.txt")).unlink(missing_ok=True)
    return dest.name


class InboxRunner:
    """Runs a :class:`pipeline.watch.Watcher` on the inbox in a background thread.

    Example::

        runner = InboxRunner(Path("inbox"), Path("congvan.db"), workers=1); runner.start(); ...; runner.stop()
    """

    def __init__(self, inbox: Path, db_path: Path, settle: float = 1.0, workers: int = 1, poll: bool = False) -> None:
        self.cfg = WatchConfig(Path(inbox), Path(db_path), settle=settle, workers=workers, poll=poll, rescan=30.0)
        self.log: deque[str] = deque(maxlen=100)
        self.watcher: Watcher | None = None
        self.thread: threading.Thread | None = None
        self.error: str | None = None
        self._started = threading.Event()

    def _say(self, message: str) -> None:
        stamp = dt.datetime.now().astimezone().strftime("%H:%M:%S")
        self.log.append(f"{stamp} {message}")

    def _run(self) -> None:
        try:
            self.watcher = Watcher(self.cfg, self._say)  # its Store is made in this thread, which uses it
        except Exception as exc:  # pragma: no cover - a broken database shows on the page
            self.error = f"{type(exc).__name__}: {exc}"
            self._started.set()
            return
        self._started.set()
        try:
            self.watcher.run()
        except Exception as exc:  # pragma: no cover
            self.error = f"{type(exc).__name__}: {exc}"
            self._say(f"ERROR      the inbox watcher stopped: {self.error}")

    def start(self) -> None:
        self.cfg.inbox.mkdir(parents=True, exist_ok=True)
        self.thread = threading.Thread(target=self._run, name="congvan-inbox", daemon=True)
        self.thread.start()
        self._started.wait(30)

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def stop(self, timeout: float = 15.0) -> None:
        if self.watcher is not None:
            self.watcher.request_stop()
        if self.thread is not None:
            self.thread.join(timeout)
