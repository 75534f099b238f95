"""The task tracker: status, note and a history of every change, over the store's ``tasks`` table.

A task is ``open``, ``in_progress``, ``done`` or ``cancelled``. :func:`set_status` changes it and
writes one ``task_history`` row per changed field (who, when, old and new value, the note given);
:func:`list_tasks` reads tasks joined with their document and computes, for a given ``today``:

- ``due``: the date the task is due — the stored deadline date; a partial one (``2022-11``) counts
  as the period's last day; for a *recurring* deadline the next occurrence on or after ``today``,
  so a recurring task rolls forward and is never overdue;
- ``overdue``: ``due`` before ``today`` and the task not done or cancelled;
- ``due_soon``: ``due`` within ``soon`` days from ``today`` (inclusive) and not done or cancelled.

Statuses, notes and task ids survive re-extraction (see :meth:`pipeline.store.Store.replace`).

>>> from schemas import Deadline, Dispatch, Extracted, Task
>>> store = Store(":memory:")
>>> task = Task(action=Extracted[str](value="gửi báo cáo về Sở Nội vụ"), span=(0, 24),
...             assignee=Extracted[str](value="Sở Tư pháp"), assignees=["Sở Tư pháp"],
...             deadline=Deadline(text="trước ngày 02/12/2022", kind="absolute", date="2022-12-02", span=(25, 46)))
>>> doc_id = store.add(Dispatch(tasks=[task]), sha256="0" * 64)
>>> [(t["id"], t["status"], t["due"], t["overdue"]) for t in list_tasks(store, today=dt.date(2022, 12, 5))]
[(1, 'open', '2022-12-02', True)]
>>> set_status(store, 1, "done", note="đã gửi", who="văn thư")["status"]
'done'
>>> list_tasks(store, assignee="so tu phap", today=dt.date(2022, 12, 5))[0]["overdue"]
False
>>> [(h["field"], h["old"], h["new"], h["who"]) for h in history(store, 1)]
[('status', 'open', 'done', 'văn thư'), ('note', None, 'đã gửi', 'văn thư')]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from extractors.dates import month_end
from extractors.deadlines import next_occurrence
from extractors.lines import fold
from pipeline.store import Store

__all__ = [
    "CLOSED",
    "TaskFilter",
    "count_tasks",
    "select_tasks",
    "task_rows",
    "STATUSES",
    "TaskNotFound",
    "due_date",
    "history",
    "list_tasks",
    "normalize_status",
    "set_status",
    "today_in_vietnam",
]

STATUSES = ("open", "in_progress", "done", "cancelled")
#: statuses that end a task: never overdue, never due soon
CLOSED = frozenset({"done", "cancelled"})
_ALIASES = {"in-progress": "in_progress", "in progress": "in_progress", "inprogress": "in_progress",
            "canceled": "cancelled", "todo": "open"}  # fmt: skip

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SOON = dt.timedelta(days=7)


class TaskNotFound(LookupError):
    """No task with that id in the store."""


def today_in_vietnam() -> dt.date:
    """Today's date in Viet Nam (deadlines are Vietnamese calendar days, whatever the server's zone)."""
    return dt.datetime.now(VN_TZ).date()


def normalize_status(status: str) -> str:
    """A status as stored; accepts ``in-progress``, ``in progress``, ``canceled``.

    >>> normalize_status("In-Progress")
    'in_progress'
    """
    s = status.strip().lower()
    s = _ALIASES.get(s, s)
    if s not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    return s


# --------------------------------------------------------------------------- history


def ensure_history(store: Store) -> None:
    """Create the ``task_history`` table if missing.

    No foreign key on ``task_id``: :meth:`Store.replace` deletes and re-inserts task rows (keeping
    the ids of tasks a person touched), which a foreign key would forbid.
    """
    table = store.db["task_history"]
    if not table.exists():
        table.create(
            {"id": int, "task_id": int, "at": str, "who": str, "field": str, "old": str, "new": str, "note": str},
            pk="id",
        )
        table.create_index(["task_id"])


def history(store: Store, task_id: int) -> list[dict]:
    """Every recorded change of a task, oldest first."""
    ensure_history(store)
    return list(store.db["task_history"].rows_where("task_id = ?", [task_id], order_by="id"))


def set_status(
    store: Store,
    task_id: int,
    status: str,
    note: str | None = None,
    who: str | None = None,
    at: dt.datetime | None = None,
) -> dict:
    """Set a task's status (and, if given, its note); record each change; return the task row.

    ``note=None`` keeps the current note, ``note=""`` clears it. Setting what is already there
    records nothing and leaves ``updated_at`` alone. Raises :class:`ValueError` for an unknown
    status and :class:`TaskNotFound` for an unknown id.
    """
    status = normalize_status(status)
    ensure_history(store)
    stamp = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    db = store.db
    with store.transaction():
        row = db.execute("SELECT status, note FROM tasks WHERE id = ?", [task_id]).fetchone()
        if row is None:
            raise TaskNotFound(f"no task {task_id}")
        old_status, old_note = row
        new_note = old_note if note is None else (note.strip() or None)
        changes = [
            (field, old, new)
            for field, old, new in (("status", old_status, status), ("note", old_note, new_note))
            if old != new
        ]
        if changes:
            db.execute(
                "UPDATE tasks SET status = ?, note = ?, updated_at = ? WHERE id = ?",
                [status, new_note, stamp, task_id],
            )
            db.conn.executemany(
                "INSERT INTO task_history (task_id, at, who, field, old, new, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(task_id, stamp, who, field, old, new, note) for field, old, new in changes],
            )
    return db["tasks"].get(task_id)


# --------------------------------------------------------------------------- reading

_QUERY = """
SELECT t.*,
    d.number AS doc_number, d.symbol AS doc_symbol, d.date AS doc_date, d.subject AS doc_subject,
    d.key AS doc_key, d.doc_type AS doc_type, d.issuer AS doc_issuer, d.sha256 AS doc_sha256,
    d.source_path AS source_path,
    CASE WHEN t.detached = 0 THEN json_extract(d.record, '$.tasks[' || t.seq || ']') END AS task_record,
    t.rrule AS recurrence,
    (SELECT count(*) FROM task_history h WHERE h.task_id = t.id) AS changes
FROM tasks t JOIN documents d ON d.id = t.document_id
"""
_HELPERS = ("rrule", "due_fixed")  # kept in the row for SQL (see pipeline.store.TASK_DUE_SET), not shown
PENDING = ("open", "in_progress")


def due_date(row: dict, today: dt.date | None = None) -> dt.date | None:
    """When a task row is due (see the module docstring); ``None`` without a date.

    >>> due_date({"deadline_date": "2022-11", "recurrence": None})
    datetime.date(2022, 11, 30)
    >>> due_date({"deadline_date": "2024-03-15", "recurrence": "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15"},
    ...          today=dt.date(2024, 8, 1))
    datetime.date(2024, 9, 15)
    """
    stored = _as_date(row.get("deadline_date"))
    rule = row.get("recurrence")
    if rule:
        base = max(d for d in (today, stored) if d is not None) if today or stored else None
        if base is not None:
            try:
                return next_occurrence(rule, base)
            except ValueError:
                return stored
    return stored


def _as_date(iso: str | None) -> dt.date | None:
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        return month_end(*parts)
    return dt.date(parts[0], 12, 31)


@dataclass
class TaskFilter:
    """Which tasks: the filters of :func:`list_tasks`, as SQL on ``tasks t`` (every one exact)."""

    doc_id: int | None = None
    status: tuple[str, ...] | None = None
    assignee: str | None = None

    def sql(self, store: Store) -> tuple[str, list]:
        where, params = ["1"], []
        if self.doc_id is not None:
            where.append("t.document_id = ?")
            params.append(self.doc_id)
        if self.status is not None:
            # "+": never by the status indexes here (a document's or an assignee's few tasks are found by theirs)
            where.append(f"+t.status IN ({', '.join('?' * len(self.status))})")
            params += list(self.status)
        if self.assignee and fold(self.assignee).strip():  # distinct names compared in Python; tasks by index
            names, lists = self.assignee_values(store)
            where.append("(t.assignee IN (SELECT value FROM json_each(?)) OR t.assignees IN (SELECT value FROM json_each(?)))")
            params += [json.dumps(names, ensure_ascii=False), json.dumps(lists, ensure_ascii=False)]
        return " AND ".join(where), params

    def assignee_values(self, store: Store) -> tuple[list[str], list[str]]:
        """The distinct ``assignee`` and ``assignees`` values that the assignee filter matches."""
        needle = fold(self.assignee or "").strip()
        names = [a for a in _distinct(store, "assignee") if needle in fold(a)]
        lists = [a for a in _distinct(store, "assignees") if any(needle in fold(x) for x in json.loads(a or "[]"))]
        return names, lists


def _distinct(store: Store, col: str) -> list[str]:
    """The distinct non-null values of ``tasks.<col>``: a skip-scan of its index, one step per value."""
    return [r[0] for r in store.db.execute(
        f"WITH RECURSIVE v(x) AS (SELECT MIN({col}) FROM tasks UNION ALL "
        f"SELECT (SELECT MIN({col}) FROM tasks WHERE {col} > v.x) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL").fetchall()]


_MEMO: dict[tuple, tuple] = {}


def _memo(store: Store, key: tuple, compute):
    """``compute()``, remembered while nothing is written to the store (by this connection or another)."""
    conn = store.db.conn
    mark = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    full = (id(conn), str(store.path), *key)
    hit = _MEMO.get(full)
    if hit is not None and hit[0] is conn and hit[1] == mark:
        return hit[2]
    value = compute()
    if len(_MEMO) > 32:
        _MEMO.clear()
    _MEMO[full] = (conn, mark, value)
    return value


def rule_dues(store: Store, today: dt.date, pairs: list[tuple] | None = None) -> str:
    """``[[rule, stored date, due], ...]`` (JSON) for every distinct rule and stored date of a recurring task.

    A recurring task's due date depends on the day (its next occurrence); the distinct pairs are
    few (tens to hundreds), so :func:`due_date` runs once per pair, not once per task; remembered
    while the store is unchanged. ``pairs``: only these.
    """
    def compute(pairs: list[tuple] | None = None) -> str:
        if pairs is None:
            pairs = store.db.execute("SELECT DISTINCT rrule, deadline_date FROM tasks WHERE rrule IS NOT NULL").fetchall()
        out = []
        for rule, stored in pairs:
            due = due_date({"deadline_date": stored, "recurrence": rule}, today)
            out.append([rule, stored, due.isoformat() if due else None])
        return json.dumps(out, ensure_ascii=False)

    if pairs is not None:  # just these (rule, stored date) pairs
        return compute(pairs)
    return _memo(store, ("rule_dues", today), compute)


_DUES_CTE = ("WITH rd(rule, stored, due) AS MATERIALIZED "
             "(SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)) ")
_DUES_JOIN = "JOIN rd ON rd.rule = t.rrule AND rd.stored IS t.deadline_date"
SELECTIVE = 20_000
"""A task filter (one document, an assignee) choosing fewer tasks than this is read whole and sorted;
a broader one is read by walking the due-date index in order, stopping at the limit."""


def _has_rules(store: Store) -> bool:
    return store.db.execute("SELECT 1 FROM tasks WHERE rrule IS NOT NULL LIMIT 1").fetchone() is not None


def _narrow(store: Store, which: TaskFilter) -> bool:
    """Whether ``which`` picks few tasks by itself (one document, or an assignee with few tasks)."""
    if which.doc_id is not None:
        return True
    if not which.assignee or not fold(which.assignee).strip():
        return False
    where, params = TaskFilter(assignee=which.assignee).sql(store)
    (n,) = store.db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM tasks t WHERE {where} LIMIT ?)",
                            [*params, SELECTIVE]).fetchone()
    return n < SELECTIVE


def select_tasks(
    store: Store, which: TaskFilter, today: dt.date, due_from: str | None = None, due_to: str | None = None,
    dated: bool | None = None, pending: bool = False, limit: int | None = None, dues: str | None = None,
    fixed: bool = True,
) -> list[tuple[str | None, int, int, int]]:
    """``(due, document_id, seq, id)`` of the tasks ``which`` selects, in :func:`list_tasks`'s order.

    ``due_from``/``due_to`` (ISO, inclusive) keep tasks due in that window; ``dated`` only tasks with
    (True) or without (False) a due date; ``pending`` only open or in-progress ones. Tasks without a
    rule are read in due order from an index (``limit`` stops the walk; a narrow filter — one
    document, an assignee with few tasks — reads its tasks and sorts them instead); tasks with a
    rule (a few percent) have their due date from :func:`rule_dues`. ``dues``: that table, if at
    hand; ``fixed=False``: the tasks with a rule only.
    """
    key = lambda r: (r[0] is None, r[0] or "", r[1], r[2], r[3])  # noqa: E731
    where, params = which.sql(store)
    if pending:
        where += " AND +t.status IN ('open', 'in_progress')"
    lim, lim_params = (" LIMIT ?", [limit]) if limit is not None else ("", [])
    out: list[tuple] = []
    window, wparams = "", []
    if due_from is not None:
        window += " AND {due} >= ?"
        wparams.append(due_from)
    if due_to is not None:
        window += " AND {due} <= ?"
        wparams.append(due_to)
    walk = "" if limit is None or _narrow(store, which) else "INDEXED BY idx_tasks_due_order "
    if dated is not False and fixed:
        out += store.db.execute(
            f"SELECT t.due_fixed, t.document_id, t.seq, t.id FROM tasks t {walk}"
            f"WHERE t.due_fixed IS NOT NULL AND {where}{window.format(due='t.due_fixed')} "
            f"ORDER BY t.due_fixed, t.document_id, t.seq, t.id{lim}",
            [*params, *wparams, *lim_params]).fetchall()
    if dated is not True and fixed:
        out += store.db.execute(
            f"SELECT NULL, t.document_id, t.seq, t.id FROM tasks t {walk}WHERE t.due_fixed IS NULL AND t.rrule IS NULL "
            f"AND {where} ORDER BY t.document_id, t.seq, t.id{lim}", [*params, *lim_params]).fetchall()
    if _has_rules(store):
        if dues is None and which.doc_id is not None:  # one document: the due dates of its own rules only
            dues = rule_dues(store, today, store.db.execute(
                f"SELECT DISTINCT t.rrule, t.deadline_date FROM tasks t WHERE t.rrule IS NOT NULL AND {where}", params).fetchall())
        cond = window.format(due="rd.due") + (" AND rd.due IS NOT NULL" if dated else " AND rd.due IS NULL" if dated is False else "")
        out += store.db.execute(
            f"{_DUES_CTE}SELECT rd.due, t.document_id, t.seq, t.id FROM tasks t {_DUES_JOIN} "
            f"WHERE t.rrule IS NOT NULL AND {where}{cond} "
            f"ORDER BY rd.due IS NULL, rd.due, t.document_id, t.seq, t.id{lim}",
            [dues or rule_dues(store, today), *params, *wparams, *lim_params]).fetchall()
    out.sort(key=key)
    return out if limit is None else out[:limit]


def count_tasks(store: Store, which: TaskFilter, today: dt.date, week: dt.timedelta = DEFAULT_SOON,
                dues: str | None = None) -> dict[str, int]:
    """How many tasks ``which`` selects are due before ``today`` (``overdue``), from today to
    ``today + week`` (``week``), after that (``later``), or have no due date (``nodate``) — by
    their due date alone, whatever their status (filter the status with ``which``). SQL aggregates:
    an index holds the due date of every task without a rule."""
    iso, end = today.isoformat(), (today + week).isoformat()
    if which.assignee and fold(which.assignee).strip() and which.doc_id is None:
        # the assignee's tasks from two covering indexes (as printed; resolved, not already counted), in SQL
        names, lists = (json.dumps(v, ensure_ascii=False) for v in which.assignee_values(store))
        cols = "status, due_fixed, rrule, deadline_date"
        status, sparams = "1", []
        if which.status is not None:
            status, sparams = f"m.status IN ({', '.join('?' * len(which.status))})", list(which.status)
        m = (f"{_DUES_CTE}, m AS (SELECT {cols} FROM tasks INDEXED BY idx_tasks_assignee "
             "WHERE assignee IN (SELECT value FROM json_each(?)) "
             f"UNION ALL SELECT {cols} FROM tasks INDEXED BY idx_tasks_assignees WHERE assignees IN (SELECT value FROM json_each(?)) "
             "AND (assignee IS NULL OR assignee NOT IN (SELECT value FROM json_each(?)))) "
             "SELECT SUM(due < ?), SUM(due >= ? AND due <= ?), SUM(due > ?), SUM(due IS NULL) FROM ")
        args = [dues or rule_dues(store, today), names, lists, names, iso, iso, end, end, *sparams]
        rows = [store.db.execute(m + f"(SELECT m.due_fixed AS due FROM m WHERE m.rrule IS NULL AND {status})", args).fetchone(),
                store.db.execute(m + "(SELECT rd.due AS due FROM m JOIN rd ON rd.rule = m.rrule "
                                 f"AND rd.stored IS m.deadline_date WHERE m.rrule IS NOT NULL AND {status})", args).fetchone()]
        return dict(zip(("overdue", "week", "later", "nodate"), (sum(r[i] or 0 for r in rows) for i in range(4)), strict=True))
    where, params = which.sql(store)
    agg = "SUM({d} < ?), SUM({d} >= ? AND {d} <= ?), SUM({d} > ?), SUM({d} IS NULL)"
    if which.doc_id is not None:  # one pass over the tasks the document/assignee index finds
        rows = [store.db.execute(
            f"SELECT {agg.format(d='t.due_fixed')} FROM tasks t WHERE +t.rrule IS NULL AND {where}",
            [iso, iso, end, end, *params]).fetchone()]
    else:  # range counts in the due-date indexes: a few hundred thousand entries a second... per millisecond
        rows = []
        for st in which.status or [None]:
            by, p = ("t.status = ? AND ", [st]) if st is not None else ("", [])
            rows.append([store.db.execute(f"SELECT COUNT(*) FROM tasks t WHERE {by}{cond}", [*p, *cp]).fetchone()[0]
                         for cond, cp in (("t.due_fixed < ?", [iso]), ("t.due_fixed BETWEEN ? AND ?", [iso, end]),
                                          ("t.due_fixed > ?", [end]), ("t.due_fixed IS NULL AND t.rrule IS NULL", []))])
    if _has_rules(store):
        rows.append(store.db.execute(
            f"{_DUES_CTE}SELECT {agg.format(d='rd.due')} FROM tasks t {_DUES_JOIN} WHERE t.rrule IS NOT NULL AND {where}",
            [dues or rule_dues(store, today), iso, iso, end, end, *params]).fetchone())
    counts = [sum(r[i] or 0 for r in rows) for i in range(4)]
    return dict(zip(("overdue", "week", "later", "nodate"), counts, strict=True))


def task_rows(store: Store, ids: list[int], today: dt.date | None = None, soon: dt.timedelta | None = None,
              record: bool = True) -> list[dict]:
    """The full rows (see :func:`list_tasks`) of the tasks ``ids``, in that order.

    ``record=False``: without ``task_record`` (None; reading it parses the document's whole record).
    """
    today = today or today_in_vietnam()
    soon = soon or DEFAULT_SOON
    ensure_history(store)
    found: dict[int, dict] = {}
    query = _QUERY if record else _QUERY.replace("CASE WHEN t.detached = 0 THEN json_extract(d.record, "
                                                 "'$.tasks[' || t.seq || ']') END AS task_record", "NULL AS task_record")
    for i in range(0, len(ids), 10_000):
        chunk = ids[i:i + 10_000]
        cur = store.db.execute(query + " WHERE t.id IN (SELECT value FROM json_each(?))", [json.dumps(chunk)])
        names = [c[0] for c in cur.description]
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            found[row["id"]] = _finish(row, today, soon)
    return [found[i] for i in ids if i in found]


def _finish(row: dict, today: dt.date, soon: dt.timedelta) -> dict:
    for k in _HELPERS:
        row.pop(k, None)
    row["assignees"] = json.loads(row["assignees"] or "[]")
    row["detached"] = bool(row["detached"])
    due = due_date(row, today)
    open_ = row["status"] not in CLOSED
    row["due"] = due.isoformat() if due else None
    row["overdue"] = bool(open_ and due and due < today)
    row["due_soon"] = bool(open_ and due and today <= due <= today + soon)
    return row


def list_tasks(
    store: Store,
    overdue: bool = False,
    due_within: dt.timedelta | None = None,
    assignee: str | None = None,
    doc_id: int | None = None,
    status: str | Iterable[str] | None = None,
    today: dt.date | None = None,
    soon: dt.timedelta | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Tasks with their document, soonest due first (undated last), filtered.

    - ``overdue``: only overdue tasks; ``due_within``: only open tasks due from ``today`` to
      ``today + due_within``; both given: either (the "needs attention" view);
    - ``assignee``: a substring of the assignee as printed or of any resolved assignee, compared
      without case or diacritics (``so noi vu`` finds ``Sở Nội vụ``);
    - ``doc_id``: one document; ``status``: one status or several; ``limit``: the first this many.

    ``today`` defaults to today in Viet Nam; ``soon`` (default ``due_within`` or 7 days) sets the
    ``due_soon`` flag. Each row is the ``tasks`` row (``assignees`` parsed into a list,
    ``detached`` a bool) plus ``doc_number, doc_symbol, doc_date, doc_subject, doc_key, doc_type,
    doc_issuer, doc_sha256, source_path``, ``recurrence`` (the RRULE of a recurring deadline),
    ``task_record`` (the extracted :class:`~schemas.Task` as JSON, while the task is attached),
    ``changes`` (number of history entries) and the computed ``due`` (ISO), ``overdue``,
    ``due_soon``.

    The filters, the order and the limit are applied in SQL (:func:`select_tasks`); only the rows
    returned are read in full.
    """
    today = today or today_in_vietnam()
    soon = soon or due_within or DEFAULT_SOON
    wanted = None
    if status is not None:
        wanted = tuple(normalize_status(s) for s in ([status] if isinstance(status, str) else status))
    which = TaskFilter(doc_id=doc_id, status=wanted, assignee=assignee)
    if not (overdue or due_within is not None):
        picked = select_tasks(store, which, today, limit=limit)
    else:
        dues = rule_dues(store, today)
        picked = []
        if overdue:
            picked += select_tasks(store, which, today, due_to=(today - dt.timedelta(days=1)).isoformat(),
                                   dated=True, pending=True, limit=limit, dues=dues)
        if due_within is not None:
            picked += select_tasks(store, which, today, due_from=today.isoformat(),
                                   due_to=(today + due_within).isoformat(), dated=True, pending=True, limit=limit, dues=dues)
        picked = sorted(set(picked), key=lambda r: (r[0] is None, r[0] or "", r[1], r[2], r[3]))[:limit]
    return task_rows(store, [r[3] for r in picked], today, soon)
