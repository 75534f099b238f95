"""Tasks as the home page and the board show them: counted and chosen in SQL with the tracker's rules.

:func:`pipeline.tracker.list_tasks` reads every task (with its document's record) and computes
due dates in Python: exact, and the right call for an export, but seconds on a store with
hundreds of thousands of tasks. :func:`home_page` and :func:`board_page` give the same answers —
tests compare them with :func:`list_tasks` — by counting in SQL (:data:`DUE_SQL`: a partial date
is due at the end of its period; a recurring task at its next occurrence, through
:func:`pipeline.tracker.due_date`, and never overdue) and reading in full, with
:func:`list_tasks`, only the tasks they show.

>>> from pipeline.store import Store
>>> board_page(Store(":memory:"), today=dt.date(2024, 5, 2)).counts
{'overdue': 0, 'week': 0, 'later': 0, 'nodate': 0}
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from extractors.lines import fold
from pipeline.store import Store
from pipeline.tracker import due_date, list_tasks, today_in_vietnam

WEEK = dt.timedelta(days=7)
PENDING = ("open", "in_progress")
OVERDUE_SQL = ("t.status IN ('open', 'in_progress') AND t.deadline_date IS NOT NULL "
               "AND COALESCE(t.deadline_kind, '') != 'recurring' AND t.deadline_date < substr(?, 1, length(t.deadline_date))")
"""A pending task is overdue (the parameter is today, ISO): the tracker's rule, in SQL."""


# --- the home page --------------------------------------------------------------------------------------


@dataclass
class Home:
    documents: int
    open_tasks: int
    overdue: int
    due_this_week: int
    unresolved: int
    corrected: int
    week: list[dict]
    overdue_tasks: list[dict]
    recent: list[dict]


def dict_rows(store: Store, sql: str, params: list | tuple = ()) -> list[dict]:
    cur = store.db.execute(sql, list(params))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


DUE_SQL = ("CASE length(t.deadline_date) WHEN 10 THEN t.deadline_date "
           "WHEN 7 THEN date(t.deadline_date || '-01', '+1 month', '-1 day') "
           "WHEN 4 THEN t.deadline_date || '-12-31' END")
"""A non-recurring task's due date as :func:`pipeline.tracker.due_date` computes it (a period is due at its end)."""
RULE_SQL = """COALESCE(
    (SELECT dl.recurrence FROM deadlines dl WHERE dl.document_id = t.document_id
        AND dl.text = t.deadline_text AND dl.recurrence IS NOT NULL ORDER BY dl.id LIMIT 1),
    CASE WHEN t.detached = 0 THEN json_extract(d.record, '$.tasks[' || t.seq || '].deadline.recurrence') END)"""
"""A recurring task's rule: the document's deadline with the task's deadline text (the same Deadline the
extractor attached to the task), else the task's own copy in the record — the sources of
:func:`pipeline.tracker.list_tasks`, cheapest first (reading the record's JSON is the slow part)."""


def _task_rows(store: Store, ids: list[int], today: dt.date) -> dict[int, dict]:
    """Full tracker rows (:func:`list_tasks`) of a few tasks, one call per document."""
    docs = {r[0] for r in store.db.execute(
        f"SELECT DISTINCT document_id FROM tasks WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()} if ids else set()
    wanted, out = set(ids), {}
    for doc in docs:
        out.update({r["id"]: r for r in list_tasks(store, doc_id=doc, today=today, soon=WEEK) if r["id"] in wanted})
    return out


def changed_marker(store: Store) -> tuple | None:
    """Something that changes whenever anything is written to the store's file (None for ``:memory:``).

    A commit in WAL mode appends to ``-wal`` and a checkpoint rewrites the database file, so
    their sizes and modification times tell a cached page when to compute again.
    """
    if str(store.path) == ":memory:":
        return None
    marks = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{store.path}{suffix}")
            marks.append((st.st_mtime_ns, st.st_size))
        except OSError:
            marks.append(None)
    return tuple(marks)


_CACHE: dict[tuple, tuple[tuple, object]] = {}
_CACHE_LOCK = threading.Lock()


def cached(store: Store, key: tuple, compute):
    """``compute()``, remembered until the store's file changes (see :func:`changed_marker`)."""
    marker = changed_marker(store)
    if marker is None:
        return compute()
    full = (str(Path(store.path).resolve()), *key)
    with _CACHE_LOCK:
        hit = _CACHE.get(full)
    if hit is not None and hit[0] == marker:
        return hit[1]
    value = compute()
    with _CACHE_LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[full] = (marker, value)
    return value


def home_page(store: Store, today: dt.date | None = None, limit: int = 12) -> Home:
    """:func:`home_data`, remembered until the store changes (it reads every task)."""
    today = today or today_in_vietnam()
    return cached(store, ("home", today, limit), lambda: home_data(store, today, limit))


def home_data(store: Store, today: dt.date | None = None, limit: int = 12) -> Home:
    """Counts, tasks due in the next 7 days and the latest overdue ones, the latest documents.

    Counted in SQL with the tracker's rules (:func:`pipeline.tracker.list_tasks`: pending = open
    or in progress; a partial date is due at the end of its period; a recurring task is due at
    its next occurrence and never overdue), so the page stays fast on a store with hundreds of
    thousands of tasks; the tasks listed are the tracker's own rows.
    """
    today = today or today_in_vietnam()
    iso, week_end = today.isoformat(), (today + WEEK).isoformat()
    pending = "t.status IN ('open', 'in_progress')"
    dated = f"{pending} AND COALESCE(t.deadline_kind, '') != 'recurring' AND t.deadline_date IS NOT NULL"
    n_pending, n_overdue, n_week = store.db.execute(
        f"SELECT COUNT(*), SUM({dated.replace(pending, '1')} AND {DUE_SQL} < ?), "
        f"SUM({dated.replace(pending, '1')} AND {DUE_SQL} BETWEEN ? AND ?) FROM tasks t WHERE {pending}",
        [iso, iso, week_end],
    ).fetchone()
    week = [(due, id_) for id_, due in store.db.execute(
        f"SELECT t.id, {DUE_SQL} AS due FROM tasks t WHERE {dated} AND due BETWEEN ? AND ? ORDER BY due, t.id LIMIT ?",
        [iso, week_end, limit]).fetchall()]
    for id_, stored, rule in store.db.execute(
        f"SELECT t.id, t.deadline_date, {RULE_SQL} FROM tasks t JOIN documents d ON d.id = t.document_id "
        f"WHERE {pending} AND t.deadline_kind = 'recurring'").fetchall():
        due = due_date({"deadline_date": stored, "recurrence": rule}, today)
        if due is not None and today <= due <= today + WEEK:
            n_week = (n_week or 0) + 1
            week.append((due.isoformat(), id_))
    week = sorted(week)[:limit]
    overdue = [r[0] for r in store.db.execute(
        f"SELECT t.id FROM tasks t WHERE {dated} AND {DUE_SQL} < ? ORDER BY {DUE_SQL} DESC, t.id LIMIT ?",
        [iso, limit]).fetchall()]
    rows = _task_rows(store, [i for _, i in week] + overdue, today)
    unresolved = store.db.execute(
        "SELECT COUNT(DISTINCT key) FROM refs WHERE target_id IS NULL AND key NOT LIKE 'name:%'"
    ).fetchone()[0]
    corrected = (store.db.execute("SELECT COUNT(DISTINCT document_id) FROM corrections").fetchone()[0]
                 if store.db["corrections"].exists() else 0)
    recent = dict_rows(store, "SELECT id, doc_type, number, symbol, date, subject, issuer, ingested_at FROM documents "
                          "ORDER BY id DESC LIMIT ?", [limit])
    return Home(store.count(), n_pending or 0, n_overdue or 0, n_week or 0, unresolved, corrected,
                [rows[i] for _, i in week if i in rows], [rows[i] for i in overdue if i in rows], recent)


# --- the task board ----------------------------------------------------------------------------

STATUS_FILTERS = {"pending": PENDING, "all": None, "open": ("open",), "in_progress": ("in_progress",),
                  "done": ("done",), "cancelled": ("cancelled",)}
GROUPS = ("overdue", "week", "later", "nodate")


BOARD_LIMIT = 100
"""Cards shown per column; the column's heading gives the full count."""


@dataclass
class Board:
    assignee: str
    status: str
    groups: dict[str, list[dict]]  # at most BOARD_LIMIT rows of list_tasks per group, in its order
    counts: dict[str, int]  # every task of each group
    assignees: list[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def board_rows(store: Store, assignee: str | None, status: str | None, today: dt.date | None = None) -> list[dict]:
    """Every task of the board's filter (``status``: a key of :data:`STATUS_FILTERS`): what the exports hold."""
    today = today or today_in_vietnam()
    wanted = STATUS_FILTERS.get(status or "pending", PENDING)
    return list_tasks(store, assignee=assignee or None, status=wanted, today=today, soon=WEEK)


def group_of(row: dict, today: dt.date) -> str:
    """``overdue`` (due before today), ``week`` (the next 7 days), ``later`` or ``nodate``."""
    if not row.get("due"):
        return "nodate"
    due = dt.date.fromisoformat(row["due"])
    return "overdue" if due < today else ("week" if due <= today + WEEK else "later")


@functools.lru_cache(maxsize=65536)
def _fold_cached(text: str | None) -> str:
    """:func:`fold` for SQL, remembered: a board filter folds the same few assignee names again and again."""
    return fold(text) if text else ""


def _group(due: str | None, today: str, week_end: str) -> str:
    return "nodate" if not due else "overdue" if due < today else "week" if due <= week_end else "later"


def board_page(
    store: Store, assignee: str | None = None, status: str | None = None, today: dt.date | None = None,
    limit: int = BOARD_LIMIT,
) -> Board:
    """Tasks grouped by deadline — overdue, this week, later, no date — for one assignee/status filter.

    The same tasks, due dates and order as :func:`list_tasks` grouped by :func:`group_of`, but
    chosen and counted in SQL (:data:`DUE_SQL`; recurring tasks through
    :func:`pipeline.tracker.due_date`), so a store with hundreds of thousands of tasks shows its
    board at once; only the cards shown are read in full, with :func:`list_tasks`.
    """
    today = today or today_in_vietnam()
    status = status if status in STATUS_FILTERS else "pending"
    iso, week_end = today.isoformat(), (today + WEEK).isoformat()
    where, params = ["1"], []
    if STATUS_FILTERS[status]:
        where.append(f"t.status IN ({', '.join('?' * len(STATUS_FILTERS[status]))})")
        params += list(STATUS_FILTERS[status])
    if assignee and fold(assignee).strip():
        store.db.conn.create_function("fold", 1, _fold_cached, deterministic=True)
        needle = "%" + fold(assignee).strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(fold(t.assignee) LIKE ? ESCAPE '\\' OR fold(t.assignees) LIKE ? ESCAPE '\\')")
        params += [needle, needle]
    cond = " AND ".join(where)
    items = store.db.execute(
        f"SELECT t.id, t.document_id, t.seq, t.deadline_kind, t.deadline_date, {DUE_SQL} FROM tasks t WHERE {cond}", params
    ).fetchall()
    recurring = [r[0] for r in items if r[3] == "recurring"]
    rules = dict(store.db.execute(
        f"SELECT t.id, {RULE_SQL} FROM tasks t JOIN documents d ON d.id = t.document_id "
        "WHERE t.id IN (SELECT value FROM json_each(?))", [json.dumps(recurring)]).fetchall()) if recurring else {}
    counts = dict.fromkeys(GROUPS, 0)
    keyed: dict[str, list[tuple]] = {g: [] for g in GROUPS}
    for id_, doc, seq, kind, stored, due in items:
        if kind == "recurring":
            d = due_date({"deadline_date": stored, "recurrence": rules.get(id_)}, today)
            due = d.isoformat() if d else None
        group = _group(due, iso, week_end)
        counts[group] += 1
        keyed[group].append((due or "", doc, seq, id_))
    picked = {g: [x[3] for x in heapq.nsmallest(limit, keyed[g])] for g in GROUPS}
    rows = _task_rows(store, [i for ids in picked.values() for i in ids], today)
    names = cached(store, ("assignees",), lambda: [r[0] for r in store.db.execute(
        "SELECT assignee, COUNT(*) AS n FROM tasks WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY n DESC LIMIT 100"
    ).fetchall()])
    return Board(assignee or "", status, {g: [rows[i] for i in ids if i in rows] for g, ids in picked.items()}, counts, names)
