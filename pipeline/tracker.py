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
from zoneinfo import ZoneInfo

from extractors.dates import month_end
from extractors.deadlines import next_occurrence
from extractors.lines import fold
from pipeline.store import Store

__all__ = [
    "CLOSED",
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
    CASE WHEN t.deadline_kind = 'recurring' THEN COALESCE(
        CASE WHEN t.detached = 0 THEN json_extract(d.record, '$.tasks[' || t.seq || '].deadline.recurrence') END,
        (SELECT dl.recurrence FROM deadlines dl WHERE dl.document_id = t.document_id
            AND dl.text = t.deadline_text AND dl.recurrence IS NOT NULL ORDER BY dl.id LIMIT 1)
    ) END AS recurrence,
    (SELECT count(*) FROM task_history h WHERE h.task_id = t.id) AS changes
FROM tasks t JOIN documents d ON d.id = t.document_id
"""


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


def list_tasks(
    store: Store,
    overdue: bool = False,
    due_within: dt.timedelta | None = None,
    assignee: str | None = None,
    doc_id: int | None = None,
    status: str | Iterable[str] | None = None,
    today: dt.date | None = None,
    soon: dt.timedelta | None = None,
) -> list[dict]:
    """Tasks with their document, soonest due first (undated last), filtered.

    - ``overdue``: only overdue tasks; ``due_within``: only open tasks due from ``today`` to
      ``today + due_within``; both given: either (the "needs attention" view);
    - ``assignee``: a substring of the assignee as printed or of any resolved assignee, compared
      without case or diacritics (``so noi vu`` finds ``Sở Nội vụ``);
    - ``doc_id``: one document; ``status``: one status or several.

    ``today`` defaults to today in Viet Nam; ``soon`` (default ``due_within`` or 7 days) sets the
    ``due_soon`` flag. Each row is the ``tasks`` row (``assignees`` parsed into a list,
    ``detached`` a bool) plus ``doc_number, doc_symbol, doc_date, doc_subject, doc_key, doc_type,
    doc_issuer, doc_sha256, source_path``, ``recurrence`` (the RRULE of a recurring deadline),
    ``task_record`` (the extracted :class:`~schemas.Task` as JSON, while the task is attached),
    ``changes`` (number of history entries) and the computed ``due`` (ISO), ``overdue``,
    ``due_soon``.
    """
    ensure_history(store)
    today = today or today_in_vietnam()
    soon = soon or due_within or DEFAULT_SOON
    where, params = [], []
    if doc_id is not None:
        where.append("t.document_id = ?")
        params.append(doc_id)
    if status is not None:
        wanted = [normalize_status(s) for s in ([status] if isinstance(status, str) else status)]
        where.append(f"t.status IN ({', '.join('?' * len(wanted))})")
        params += wanted
    sql = _QUERY + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY t.document_id, t.seq, t.id"
    cur = store.db.execute(sql, params)
    names = [c[0] for c in cur.description]
    needle = fold(assignee).strip() if assignee else None
    rows = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        row["assignees"] = json.loads(row["assignees"] or "[]")
        row["detached"] = bool(row["detached"])
        if needle and not any(needle in fold(a) for a in [row["assignee"] or "", *row["assignees"]]):
            continue
        due = due_date(row, today)
        open_ = row["status"] not in CLOSED
        row["due"] = due.isoformat() if due else None
        row["overdue"] = bool(open_ and due and due < today)
        row["due_soon"] = bool(open_ and due and today <= due <= today + soon)
        if overdue or due_within is not None:
            within = bool(open_ and due and due_within is not None and today <= due <= today + due_within)
            if not ((overdue and row["overdue"]) or within):
                continue
        rows.append(row)
    rows.sort(key=lambda r: (r["due"] is None, r["due"] or ""))  # stable: document order within a day
    return rows
