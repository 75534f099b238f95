"""Tasks as the home page and the board show them: counted and chosen in SQL with the tracker's rules.

:func:`home_page` and :func:`board_page` give the answers of :func:`pipeline.tracker.list_tasks` —
tests compare them — with SQL aggregates and limits (:func:`pipeline.tracker.count_tasks`,
:func:`pipeline.tracker.select_tasks`: a task's fixed due date is kept in an indexed column; a
recurring task is due at its next occurrence, computed once per distinct rule and stored date),
and read in full only the tasks they show.

>>> from pipeline.store import Store
>>> board_page(Store(":memory:"), today=dt.date(2024, 5, 2)).counts
{'overdue': 0, 'week': 0, 'later': 0, 'nodate': 0}
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from extractors.lines import fold
from pipeline.store import Store
from pipeline.tracker import (
    TaskFilter,
    count_tasks,
    list_tasks,
    rule_dues,
    select_tasks,
    task_rows,
    today_in_vietnam,
)

WEEK = dt.timedelta(days=7)
PENDING = ("open", "in_progress")
OVERDUE_SQL = "+t.status IN ('open', 'in_progress') AND +t.due_fixed < ?"
"""A pending task is overdue (the parameter is today, ISO): the tracker's rule, in SQL (a task with a
rule is due at its next occurrence, never before today). "+": for one document's tasks (found by
its index), not a walk of the status and due-date indexes."""


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

    Counted and chosen in SQL with the tracker's rules (:func:`pipeline.tracker.count_tasks`,
    :func:`pipeline.tracker.select_tasks`: pending = open or in progress; a partial date is due at
    the end of its period; a recurring task is due at its next occurrence and never overdue), so
    the page stays fast on a store with hundreds of thousands of tasks; the tasks listed are the
    tracker's own rows.
    """
    today = today or today_in_vietnam()
    pending = TaskFilter(status=PENDING)
    dues = rule_dues(store, today)
    counts = count_tasks(store, pending, today, WEEK, dues=dues)
    week = select_tasks(store, pending, today, due_from=today.isoformat(), due_to=(today + WEEK).isoformat(),
                        dated=True, limit=limit, dues=dues)
    overdue = _latest_overdue(store, today, limit, dues)
    rows = {r["id"]: r for r in task_rows(store, [r[3] for r in week] + overdue, today, WEEK, record=False)}
    unresolved = store.db.execute(
        "SELECT COUNT(DISTINCT key) FROM refs WHERE target_id IS NULL AND key NOT LIKE 'name:%'"
    ).fetchone()[0]
    corrected = (store.db.execute("SELECT COUNT(DISTINCT document_id) FROM corrections").fetchone()[0]
                 if store.db["corrections"].exists() else 0)
    recent = dict_rows(store, "SELECT id, doc_type, number, symbol, date, subject, issuer, ingested_at FROM documents "
                          "ORDER BY id DESC LIMIT ?", [limit])
    return Home(store.count(), sum(counts.values()), counts["overdue"], counts["week"], unresolved, corrected,
                [rows[r[3]] for r in week if r[3] in rows], [rows[i] for i in overdue if i in rows], recent)


def _latest_overdue(store: Store, today: dt.date, limit: int, dues: str) -> list[int]:
    """The ids of the ``limit`` pending tasks most recently overdue (latest due date first, then id)."""
    iso = today.isoformat()
    pending = "t.status IN ('open', 'in_progress')"
    cut = store.db.execute(  # the limit-th latest due date before today, from the index
        f"SELECT t.due_fixed FROM tasks t INDEXED BY idx_tasks_due_order WHERE t.due_fixed < ? AND {pending} "
        "ORDER BY t.due_fixed DESC LIMIT 1 OFFSET ?",
        [iso, limit - 1]).fetchone()
    rows = store.db.execute(
        f"SELECT t.due_fixed, t.id FROM tasks t WHERE t.due_fixed >= ? AND t.due_fixed < ? AND {pending}",
        [cut[0] if cut else "", iso]).fetchall()
    rows += [(due, id_) for due, _, _, id_ in select_tasks(  # a rule's next occurrence is never before today,
        store, TaskFilter(status=PENDING), today, due_to=(today - dt.timedelta(days=1)).isoformat(),  # but a bad
        dated=True, dues=dues, fixed=False)]  # rule falls back to the stored date
    rows.sort(key=lambda r: r[1])
    rows.sort(key=lambda r: r[0], reverse=True)  # stable: id order within a day
    return [r[1] for r in rows[:limit]]


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


def board_page(
    store: Store, assignee: str | None = None, status: str | None = None, today: dt.date | None = None,
    limit: int = BOARD_LIMIT,
) -> Board:
    """Tasks grouped by deadline — overdue, this week, later, no date — for one assignee/status filter.

    The same tasks, due dates and order as :func:`list_tasks` grouped by :func:`group_of`, but
    counted with SQL aggregates (:func:`pipeline.tracker.count_tasks`) and each column's first
    ``limit`` cards chosen in SQL in due order (:func:`pipeline.tracker.select_tasks`), so a store
    with hundreds of thousands of tasks shows its board at once; only the cards shown are read
    in full (without ``task_record``: a card does not show it).
    """
    today = today or today_in_vietnam()
    status = status if status in STATUS_FILTERS else "pending"
    which = TaskFilter(status=STATUS_FILTERS[status], assignee=assignee if assignee and fold(assignee).strip() else None)
    dues = rule_dues(store, today)
    counts = count_tasks(store, which, today, WEEK, dues=dues)
    day = dt.timedelta(days=1)
    windows = {"overdue": (None, today - day), "week": (today, today + WEEK), "later": (today + WEEK + day, None)}
    picked = {g: select_tasks(store, which, today, due_from=lo and lo.isoformat(), due_to=hi and hi.isoformat(),
                              dated=True, limit=limit, dues=dues) for g, (lo, hi) in windows.items()}
    picked["nodate"] = select_tasks(store, which, today, dated=False, limit=limit, dues=dues)
    rows = {r["id"]: r for r in task_rows(store, [x[3] for ids in picked.values() for x in ids], today, WEEK, record=False)}
    names = cached(store, ("assignees",), lambda: [r[0] for r in store.db.execute(
        "SELECT assignee, COUNT(*) AS n FROM tasks WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY n DESC LIMIT 100"
    ).fetchall()])
    return Board(assignee or "", status, {g: [rows[x[3]] for x in ids if x[3] in rows] for g, ids in picked.items()},
                 counts, names)
