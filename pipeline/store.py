"""The SQLite store, through sqlite-utils: documents, parties, references, tasks, deadlines, files.

The file is a plain SQLite database that ``sqlite-utils`` and Datasette open as they are.
Full-text search runs on an FTS5 table over a *folded* copy of each document (lowercase,
no diacritics, ``đ`` → ``d``), so ``quyet dinh`` finds ``Quyết định``.

>>> s = Store(":memory:")
>>> sorted(t for t in s.db.table_names() if not t.startswith("documents_fts"))
['deadlines', 'documents', 'files', 'parties', 'refs', 'tasks']
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from extractors.keys import fold_symbol, name_key
from extractors.lines import fold
from schemas import Dispatch

SCHEMA_VERSION = 1


DUE_SQL = ("CASE length(deadline_date) WHEN 10 THEN deadline_date "
           "WHEN 7 THEN date(deadline_date || '-01', '+1 month', '-1 day') "
           "WHEN 4 THEN deadline_date || '-12-31' END")
"""A task's due date from its stored deadline date alone: a partial date is due at the end of its period."""
RRULE_SQL = """CASE WHEN deadline_kind = 'recurring' THEN COALESCE(
    CASE WHEN detached = 0 THEN json_extract((SELECT d.record FROM documents d WHERE d.id = tasks.document_id),
                                             '$.tasks[' || seq || '].deadline.recurrence') END,
    (SELECT dl.recurrence FROM deadlines dl WHERE dl.document_id = tasks.document_id
        AND dl.text = deadline_text AND dl.recurrence IS NOT NULL ORDER BY dl.id LIMIT 1)) END"""
"""A recurring task's rule (RRULE): the task's own deadline in the record while attached, else the
document's deadline with the same text."""
TASK_DUE_SET = f"rrule = {RRULE_SQL}, due_fixed = CASE WHEN ({RRULE_SQL}) IS NULL THEN {DUE_SQL} END"
"""Keeps ``tasks.rrule`` and ``tasks.due_fixed`` (the due date of a task without a rule) in step
with a document's record and deadlines; :mod:`pipeline.tracker` computes the due date of a task
with a rule for a given day (see :func:`pipeline.tracker.due_date`)."""


def _v(x):
    return x.value if x is not None else None


def _sp(x, i):
    return x.span[i] if x is not None and x.span else None


WORDS_CHARS = 1000
"""How much of a document's text is word-segmented for ranking (segmentation is the slow part)."""


def key_base(key: str | None) -> str | None:
    """A key without its year: ``2629/QDUBND@2022`` → ``2629/QDUBND``."""
    return key.rsplit("@", 1)[0] if key and "@" in key else key


def compound_words(text: str) -> str:
    """Multi-syllable words of ``text``, folded and joined by ``_`` (``cai_cach hanh_chinh``).

    underthesea's word segmentation tells ``cải cách`` (one word) from two syllables that merely
    stand side by side; indexing the compounds lets a two-syllable query rank documents that use
    the word above those that only contain both syllables somewhere.
    """
    from underthesea import word_tokenize

    words = word_tokenize(text)
    return " ".join(fold(w).replace(" ", "_") for w in words if " " in w)


def index_words(d: Dispatch) -> str:
    """The segmented words indexed for a record: its subject and the start of its text.

    The slow part of storing a document (~10 ms); callers that extract in worker processes
    compute it there and pass it to :meth:`Store.add`.
    """
    return compound_words((_v(d.subject) or "") + "\n" + d.text[:WORDS_CHARS])


def carry_over(old: dict, new_rows: list[dict]) -> dict | None:
    """The new task that continues ``old`` (same action in other words), if one does.

    Score: the share of words the two actions have in common (folded, Jaccard), plus up to 0.2
    for the assignee compared the same way — per-agency lists repeat one action for several
    agencies, and a newer extractor may write ``Sở Tài chính tỉnh`` for ``Sở Tài chính``, so an
    exact comparison would hand one agency's status to another — plus 0.05 for the same deadline
    and 0.01 for the same position, which only break ties. At least 0.5 is needed.

    >>> old = {"action": "báo cáo kết quả", "assignee": "Sở Tài chính", "deadline_text": None, "seq": 0}
    >>> rows = [{"action": "báo cáo kết quả", "assignee": a, "deadline_text": None, "seq": i}
    ...         for i, a in enumerate(["Sở Tư pháp tỉnh", "Sở Tài chính tỉnh"])]
    >>> carry_over(old, rows)["assignee"]
    'Sở Tài chính tỉnh'
    """

    def tokens(s: str | None) -> set[str]:
        return set(fold(s or "").split())

    def overlap(a: set[str], b: set[str]) -> float:
        return len(a & b) / len(a | b) if a | b else 1.0

    old_action, old_who = tokens(old["action"]), tokens(old["assignee"])
    best, best_score = None, 0.0
    for row in new_rows:
        if row.get("id") is not None:
            continue  # already carries an old task
        action = tokens(row["action"])
        score = overlap(old_action, action) if old_action | action else 0.0
        score += 0.2 * overlap(old_who, tokens(row["assignee"]))
        if old.get("deadline_text") and old.get("deadline_text") == row.get("deadline_text"):
            score += 0.05
        if old.get("seq") is not None and old.get("seq") == row.get("seq"):
            score += 0.01
        if score > best_score:
            best, best_score = row, score
    return best if best_score >= 0.5 else None


class Store:
    """One congvan database."""

    def __init__(self, path: str | Path = "congvan.db") -> None:
        self.path = path
        self.db = sqlite_utils.Database(path if path == ":memory:" else str(path))
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=10000")  # wait for another writer (watcher, ingest) instead of failing
        self.db.execute("PRAGMA foreign_keys=ON")
        self._create()

    # --- schema ---------------------------------------------------------------------------

    def _create(self) -> None:
        db = self.db
        if "documents" not in db.table_names():
            db["documents"].create(
                {
                    "id": int, "key": str, "sha256": str, "doc_type": str, "issuer": str,
                    "issuer_parent": str, "number": str, "symbol": str, "place": str, "date": str,
                    "year": int, "subject": str, "urgency": str, "confidentiality": str,
                    "is_draft": int, "signer_authority": str, "signer_title": str, "signer_name": str,
                    "text": str, "record": str, "warnings": str, "extractor_version": str,
                    "source_path": str, "media_type": str, "ingested_at": str,
                    "original": str,  # the original in the archive, relative to it (pipeline.archive)
                },
                pk="id",
            )
            db["documents"].create_index(["sha256"], unique=True)
            db["documents"].create_index(["key"])
            db["documents"].create_index(["date"])
        if "original" not in db["documents"].columns_dict:  # a database made before the archive
            db["documents"].add_column("original", str)
        if "files" not in db.table_names():
            db["files"].create(
                {"sha256": str, "path": str, "size": int, "media_type": str, "first_seen": str, "document_id": int},
                pk="sha256",
                foreign_keys=[("document_id", "documents", "id")],
            )
        if "parties" not in db.table_names():
            db["parties"].create(
                {"id": int, "document_id": int, "role": str, "name": str, "purpose": str, "kind": str, "start": int, "end": int},
                pk="id",
                foreign_keys=[("document_id", "documents", "id")],
            )
            db["parties"].create_index(["document_id"])
        if "refs" not in db.table_names():
            db["refs"].create(
                {
                    "id": int, "document_id": int, "key": str, "type": str, "number": str, "symbol": str,
                    "date": str, "issuer": str, "title": str, "start": int, "end": int,
                    "in_footnote": int, "mentions": int, "key_base": str, "target_id": int,
                },
                pk="id",
                foreign_keys=[("document_id", "documents", "id")],
            )
            db["refs"].create_index(["document_id"])
            db["refs"].create_index(["key"])
            db["refs"].create_index(["key_base"])
            db["refs"].create_index(["target_id"])
        if "tasks" not in db.table_names():
            db["tasks"].create(
                {
                    "id": int, "document_id": int, "seq": int, "assignee": str, "assignees": str,
                    "action": str, "deliverable": str, "send_to": str, "deadline_date": str,
                    "deadline_time": str, "deadline_kind": str, "deadline_text": str,
                    "start": int, "end": int, "status": str, "note": str, "updated_at": str,
                    "detached": int, "rrule": str, "due_fixed": str,
                },
                pk="id",
                foreign_keys=[("document_id", "documents", "id")],
                defaults={"status": "open"},
            )
            db["tasks"].create_index(["document_id"])
            db["tasks"].create_index(["deadline_date"])
        if "deadlines" not in db.table_names():
            db["deadlines"].create(
                {
                    "id": int, "document_id": int, "text": str, "kind": str, "date": str, "time": str,
                    "amount": int, "unit": str, "anchor": str, "recurrence": str, "start": int, "end": int,
                },
                pk="id",
                foreign_keys=[("document_id", "documents", "id")],
            )
            db["deadlines"].create_index(["document_id"])
        if "documents_fts" not in db.table_names():
            db.execute(
                "CREATE VIRTUAL TABLE documents_fts USING fts5("
                "subject, body, keys, words, tokenize = 'unicode61 remove_diacritics 2')"
            )

        for table in ("documents", "refs"):  # databases made before cross-reference resolution
            if "key_base" not in db[table].columns_dict:
                db[table].add_column("key_base", str)
                db[table].create_index(["key_base"])
        if "target_id" not in db["refs"].columns_dict:
            db["refs"].add_column("target_id", int)
            db["refs"].create_index(["target_id"])
        if "rrule" not in db["tasks"].columns_dict:  # databases made before due dates were kept in the row
            with db.atomic():
                db["tasks"].add_column("rrule", str)
                db["tasks"].add_column("due_fixed", str)
                db.execute(f"UPDATE tasks SET {TASK_DUE_SET}")
        self._create_indexes()

    INDEXES = {
        # search filters (pipeline.search.Filters, the web page's facets)
        "idx_documents_doc_type_lower": "documents(lower(doc_type))",
        "idx_documents_issuer": "documents(issuer)",
        "idx_documents_issuer_parent": "documents(issuer_parent)",
        "idx_documents_year": "documents(year)",
        "idx_refs_key_base_document": "refs(key_base, document_id)",  # --cites lists its documents from the index alone
        "idx_refs_key_document": "refs(key, document_id)",
        "idx_refs_document_unresolved": "refs(document_id, target_id, key)",  # --unresolved checks a document in the index
        "idx_refs_unresolved_key": "refs(target_id, key)",  # the home page counts unresolved keys in the index
        # the task tracker, the home page and the task board (pipeline.tracker, pipeline.web.board)
        "idx_tasks_document_status": "tasks(document_id, status, due_fixed)",  # a document's open/overdue tasks
        "idx_tasks_status_due": "tasks(status, due_fixed, rrule)",
        "idx_tasks_due_order": "tasks(due_fixed, document_id, seq, status, rrule)",
        "idx_tasks_rules": "tasks(rrule, deadline_date, status, document_id, seq, assignee, assignees) WHERE rrule IS NOT NULL",
        "idx_tasks_assignee": "tasks(assignee, status, due_fixed, rrule, deadline_date)",
        "idx_tasks_assignees": "tasks(assignees, assignee, status, due_fixed, rrule, deadline_date)",
    }
    """Indexes added after the first schema; created on open where missing (~10 s on 100,000 documents)."""

    def _create_indexes(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
        missing = {n: on for n, on in self.INDEXES.items() if n not in have}
        if missing:
            with self.db.atomic():
                for name, on in missing.items():
                    self.db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (nested: a savepoint).

        ``sqlite3``'s ``with conn:`` would not do: sqlite-utils commits its own writes inside it.
        """
        with self.db.atomic():
            yield

    # --- writing --------------------------------------------------------------------------

    def find_by_hash(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT id FROM documents WHERE sha256 = ?", [sha256]).fetchone()
        return row[0] if row else None

    def add(
        self, d: Dispatch, sha256: str, path: str | None = None, size: int | None = None, words: str | None = None
    ) -> int:
        """Store a record and everything under it in one transaction; return its id."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            row = self._document_row(d) | {
                "sha256": sha256, "source_path": path or d.source.path,
                "media_type": d.source.media_type, "ingested_at": now,
            }
            doc_id = self.db["documents"].insert(row).last_pk
            self.db["files"].insert(
                {"sha256": sha256, "path": path, "size": size, "media_type": d.source.media_type, "first_seen": now, "document_id": doc_id},
                replace=True,
            )
            self._write_children(doc_id, d, words=words)
        return doc_id

    def replace(self, doc_id: int, d: Dispatch) -> None:
        """Replace a document's extracted record (a newer extractor, a correction) in one transaction.

        Tasks are matched to the old ones by their action text, and every status, note and
        update time a person set is carried over; an old task with such state that matches no
        new task is kept, marked ``detached``, so nothing a person wrote is lost.
        """
        with self.transaction():
            # Human corrections (pipeline.corrections) win over any re-extraction: apply them before writing.
            from pipeline.corrections import apply_corrections

            d = apply_corrections(self, doc_id, d)
            old_tasks = list(self.db["tasks"].rows_where("document_id = ?", [doc_id], order_by="id"))
            old_key = self.db.execute("SELECT key FROM documents WHERE id = ?", [doc_id]).fetchone()
            self.db["documents"].update(doc_id, self._document_row(d))
            for table in ("parties", "refs", "deadlines", "tasks"):
                self.db.execute(f"DELETE FROM {table} WHERE document_id = ?", [doc_id])
            self.db.execute("DELETE FROM documents_fts WHERE rowid = ?", [doc_id])
            self._write_children(doc_id, d, old_tasks)
            self.relink([old_key[0] if old_key else None])  # citations of the old key

    def _document_row(self, d: Dispatch) -> dict:
        return {
            "key": d.key, "key_base": key_base(d.key), "doc_type": _v(d.doc_type), "issuer": _v(d.issuer),
            "issuer_parent": _v(d.issuer_parent), "number": _v(d.number), "symbol": _v(d.symbol),
            "place": _v(d.place), "date": _v(d.date),
            "year": int(d.date.value[:4]) if d.date else None,
            "subject": _v(d.subject), "urgency": _v(d.urgency),
            "confidentiality": _v(d.confidentiality), "is_draft": int(d.is_draft),
            "signer_authority": _v(d.signer.authority), "signer_title": _v(d.signer.title),
            "signer_name": _v(d.signer.name), "text": d.text,
            "record": d.model_dump_json(), "warnings": json.dumps(d.warnings, ensure_ascii=False),
            "extractor_version": d.extractor_version,
        }

    def _write_children(
        self, doc_id: int, d: Dispatch, old_tasks: list[dict] | None = None, words: str | None = None
    ) -> None:
        parties = []
        for role, ex in (("issuer", d.issuer), ("issuer_parent", d.issuer_parent), ("signer", d.signer.name)):
            if ex is not None:
                parties.append({"document_id": doc_id, "role": role, "name": ex.value, "start": _sp(ex, 0), "end": _sp(ex, 1)})
        for r in d.recipients:
            parties.append({"document_id": doc_id, "role": "recipient", "name": r.value, "start": _sp(r, 0), "end": _sp(r, 1)})
        for e in d.distribution:
            parties.append({
                "document_id": doc_id, "role": "distribution", "name": e.name, "purpose": e.purpose,
                "kind": e.kind, "start": e.span[0] if e.span else None, "end": e.span[1] if e.span else None,
            })
        self.db["parties"].insert_all(parties)
        self.db["refs"].insert_all([
            {
                "document_id": doc_id, "key": r.key, "key_base": key_base(r.key), "type": _v(r.type), "number": _v(r.number),
                "symbol": _v(r.symbol), "date": _v(r.date), "issuer": _v(r.issuer), "title": _v(r.title),
                "start": r.span[0], "end": r.span[1], "in_footnote": int(r.in_footnote), "mentions": len(r.mentions),
            }
            for r in d.references
        ] + [
            {
                "document_id": doc_id, "key": name_key(n.value), "title": n.value,
                "start": _sp(n, 0), "end": _sp(n, 1), "in_footnote": 0, "mentions": 1,
            }
            for n in d.named_references
        ])
        if old_tasks is None:
            self._link_new(doc_id, d.key)
        else:
            self.relink([d.key, *(r.key for r in d.references)])
        new_rows = [
            {
                "document_id": doc_id, "seq": i, "assignee": _v(t.assignee),
                "assignees": json.dumps(t.assignees, ensure_ascii=False), "action": t.action.value,
                "deliverable": t.deliverable, "send_to": t.send_to,
                "deadline_date": t.deadline.date if t.deadline else None,
                "deadline_time": t.deadline.time if t.deadline else None,
                "deadline_kind": t.deadline.kind if t.deadline else None,
                "deadline_text": t.deadline.text if t.deadline else None,
                "start": t.span[0], "end": t.span[1], "status": "open", "detached": 0,
            }
            for i, t in enumerate(d.tasks)
        ]
        for old in old_tasks or []:
            if old["status"] == "open" and not old["note"] and not old["updated_at"]:
                continue  # nothing a person set
            match = carry_over(old, new_rows)
            if match is not None:
                match.update({k: old[k] for k in ("id", "status", "note", "updated_at")})
            else:
                new_rows.append(old | {"detached": 1})
        self.db["tasks"].insert_all(new_rows)
        self.db["deadlines"].insert_all([
            {
                "document_id": doc_id, "text": x.text, "kind": x.kind, "date": x.date, "time": x.time,
                "amount": x.amount, "unit": x.unit, "anchor": x.anchor, "recurrence": x.recurrence,
                "start": x.span[0], "end": x.span[1],
            }
            for x in d.deadlines
        ])
        self.db.execute(f"UPDATE tasks SET {TASK_DUE_SET} WHERE document_id = ?", [doc_id])
        keys = [d.key or ""] + [r.key for r in d.references]
        symbols = [fold_symbol(v) for v in ([d.symbol.value] if d.symbol else []) + [r.symbol.value for r in d.references if r.symbol]]
        self.db.execute(
            "INSERT INTO documents_fts(rowid, subject, body, keys, words) VALUES (?, ?, ?, ?, ?)",
            [
                doc_id, fold(_v(d.subject) or ""), fold(d.text),
                " ".join(keys + symbols).replace("/", " ").replace("@", " "),
                index_words(d) if words is None else words,
            ],
        )

    def _link_new(self, doc_id: int, key: str | None) -> None:
        """Links for a document just added: its own references, and those waiting for it.

        Touches only those rows (a decision cited by thousands of documents is not revisited
        each time one more cites it); gives the same links as :meth:`relink`.
        """
        self.db.execute(
            "UPDATE refs SET target_id = CASE WHEN key LIKE '%@?' THEN "
            "  CASE WHEN (SELECT COUNT(*) FROM documents d WHERE d.key_base = refs.key_base) = 1 "
            "  THEN (SELECT d.id FROM documents d WHERE d.key_base = refs.key_base) END "
            "ELSE (SELECT MIN(d.id) FROM documents d WHERE d.key = refs.key) END "
            "WHERE document_id = ? AND key NOT LIKE 'name:%'",
            [doc_id],
        )
        if key:
            self.db.execute("UPDATE refs SET target_id = ? WHERE key = ? AND target_id IS NULL", [doc_id, key])
            base = key_base(key)
            self.db.execute(
                "UPDATE refs SET target_id = CASE WHEN (SELECT COUNT(*) FROM documents d WHERE d.key_base = ?) = 1 "
                "THEN ? END WHERE key_base = ? AND key LIKE '%@?'",
                [base, doc_id, base],
            )

    def relink(self, keys: Iterable[str | None]) -> None:
        """Point every reference with one of ``keys`` at the stored document it names.

        Links are recomputed from the keys alone, so the result does not depend on which of the
        citing and the cited document arrived first. A reference whose year is unknown (``@?``)
        links when exactly one stored document has that number and symbol.
        """
        bases = {key_base(k) for k in keys if k and not k.startswith("name:")}
        for base in bases:
            # two statements, each answered from an index (an OR across them would scan documents)
            self.db.execute(
                "UPDATE refs SET target_id = (SELECT MIN(d.id) FROM documents d WHERE d.key = refs.key) "
                "WHERE key_base = ? AND key NOT LIKE '%@?'",
                [base],
            )
            self.db.execute(
                "UPDATE refs SET target_id = CASE WHEN (SELECT COUNT(*) FROM documents d WHERE d.key_base = refs.key_base) = 1 "
                "THEN (SELECT d.id FROM documents d WHERE d.key_base = refs.key_base) END "
                "WHERE key_base = ? AND key LIKE '%@?'",
                [base],
            )

    # --- reading --------------------------------------------------------------------------

    def get(self, doc_id: int) -> dict | None:
        """A stored document with its parties, references, tasks and deadlines."""
        rows = list(self.db["documents"].rows_where("id = ?", [doc_id]))
        if not rows:
            return None
        doc = rows[0]
        doc["warnings"] = json.loads(doc["warnings"] or "[]")
        for table in ("parties", "refs", "tasks", "deadlines"):
            doc[table] = list(self.db[table].rows_where("document_id = ?", [doc_id], order_by="id"))
        return doc

    def count(self) -> int:
        return self.db["documents"].count
