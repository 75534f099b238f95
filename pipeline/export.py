"""Export tracked tasks for the tools people already use: CSV, JSON, iCalendar, Markdown, Jira CSV.

:func:`export_tasks` takes the rows of :func:`pipeline.tracker.list_tasks` and returns the bytes of
a file:

- ``csv``: UTF-8 *with BOM* (Excel then opens Vietnamese intact), one row per task, the columns
  of :data:`CSV_COLUMNS`; a cell that Excel would read as a formula (``=``, ``+``, ``-``, ``@``
  first) gets a leading ``'``;
- ``json``: a list of :class:`TrackedTask` — a :class:`schemas.Task` plus the tracker's fields and
  the document;
- ``ics``: RFC 5545, one ``VTODO`` per task with a stable ``UID`` (:func:`task_uid`), ``DUE`` (an
  all-day ``DATE``, or a ``DATE-TIME`` in ``Asia/Ho_Chi_Minh`` with its ``VTIMEZONE`` when the
  time is written; floating with ``tz=None``), ``STATUS``, ``SUMMARY``, ``DESCRIPTION``;
  ``events=True`` adds one all-day ``VEVENT`` per deadline (with its ``RRULE`` when it recurs),
  for calendars that ignore to-dos;
- ``md``: a checklist grouped by assignee; ``jira``: a CSV for Jira's importer.

>>> row = {"id": 7, "seq": 2, "doc_sha256": "ab" * 32, "status": "open", "assignee": "Sở Tư pháp",
...        "assignees": ["Sở Tư pháp"], "action": "gửi báo cáo", "deadline_date": "2022-12-02",
...        "deadline_time": None, "deadline_kind": "absolute", "deadline_text": "trước ngày 02/12/2022",
...        "due": "2022-12-02", "detached": False, "doc_number": "2097", "doc_symbol": "SNV-CCHC"}
>>> task_uid(row)
'abababababababababababababababababababababababababababababababab-2@congvan.invalid'
>>> print(export_tasks([row], "md").decode())
# Tasks (1)
<BLANKLINE>
## Sở Tư pháp
<BLANKLINE>
- [ ] gửi báo cáo — due 2022-12-02 (trước ngày 02/12/2022) — 2097/SNV-CCHC · #7
<BLANKLINE>
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
from pydantic import BaseModel, TypeAdapter

from extractors.deadlines import next_occurrence
from extractors.lines import fold
from schemas import Deadline, Extracted, Task

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "TrackedTask",
    "export_tasks",
    "split_calendar",
    "task_uid",
    "to_csv",
    "to_ics",
    "to_jira_csv",
    "to_json",
    "to_markdown",
]

FORMATS = ("csv", "json", "ics", "md", "jira")
UID_DOMAIN = "congvan.invalid"  # RFC 2606 reserved: never anyone's real domain
PRODID = "-//congvan//congvan task export//VI"
ICS_STATUS = {"open": "NEEDS-ACTION", "in_progress": "IN-PROCESS", "done": "COMPLETED", "cancelled": "CANCELLED"}
CSV_COLUMNS = [
    "id", "uid", "status", "overdue", "due_soon", "due", "due_time", "deadline_kind", "deadline_text",
    "recurrence", "assignee", "assignees", "action", "deliverable", "send_to", "note", "updated_at",
    "detached", "document_id", "document", "doc_type", "doc_symbol", "doc_date", "doc_subject",
    "doc_issuer", "doc_key", "source_path", "link",
]  # fmt: skip


def export_tasks(
    rows: Iterable[dict],
    format: str,
    *,
    events: bool = False,
    tz: str | None = "Asia/Ho_Chi_Minh",
    now: dt.datetime | None = None,
    link: str | None = None,
) -> bytes:
    """The tasks ``rows`` (from :func:`pipeline.tracker.list_tasks`) as a file in ``format``.

    ``link`` is a template for the link back to each document, with ``{doc_id}``, ``{path}``,
    ``{key}`` and ``{sha256}`` (``"https://congvan.example/documents/{doc_id}"``); without it the
    link is the source file's ``file://`` URI when the file is found, else its stored path.
    ``events``, ``tz`` and ``now`` (``DTSTAMP``) apply to ``ics``.

    >>> export_tasks([], "csv")[:3] == "\\ufeff".encode()
    True
    """
    rows = list(rows)
    if format == "csv":
        return to_csv(rows, link=link)
    if format == "json":
        return to_json(rows, link=link)
    if format == "ics":
        return to_ics(rows, events=events, tz=tz, now=now, link=link)
    if format == "md":
        return to_markdown(rows)
    if format == "jira":
        return to_jira_csv(rows, link=link)
    raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- shared


def task_uid(row: dict) -> str:
    """A UID that stays the same across exports, re-ingests and databases.

    ``<document sha256>-<task seq>@congvan.invalid``: the content hash of the original file and the
    task's position in it. A detached task (one a person touched that the newest extraction no
    longer finds) uses its task id instead, ``<sha256>-x<id>@...``, so it cannot collide with the
    task now at its old position.
    """
    sha = row.get("doc_sha256") or f"document{row.get('document_id')}"
    part = f"x{row['id']}" if row.get("detached") else str(row["seq"])
    return f"{sha}-{part}@{UID_DOMAIN}"


def doc_label(row: dict) -> str:
    """``3152/STC-QLNS`` as printed (``…/STTTT-CNTT`` without a number); ``document 3`` without either."""
    if row.get("doc_symbol"):
        return f"{row.get('doc_number') or '…'}/{row['doc_symbol']}"
    return row.get("doc_number") or f"document {row.get('document_id')}"


def _link(row: dict, template: str | None) -> str:
    path = row.get("source_path") or ""
    if template:
        return template.format(doc_id=row.get("document_id"), path=path, key=row.get("doc_key") or "",
                               sha256=row.get("doc_sha256") or "")
    if path and Path(path).is_file():
        return Path(path).resolve().as_uri()
    return path


def _who(row: dict) -> str:
    return row.get("assignee") or ", ".join(row.get("assignees") or []) or ""


def _short(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _deadline_line(row: dict) -> str | None:
    if not row.get("deadline_text") and not row.get("due"):
        return None
    bits = [row.get("deadline_text") or "", f"({row.get('deadline_kind')}"]
    bits[-1] += f", repeats {row['recurrence']})" if row.get("recurrence") else ")"
    if row.get("due"):
        bits.append(f"due {row['due']}" + (f" {row['deadline_time']}" if row.get("deadline_time") else ""))
    return " ".join(b for b in bits if b)


def _description(row: dict, link: str | None) -> str:
    """Plain text shared by the ICS DESCRIPTION and the Jira description."""
    lines = [" ".join((row.get("action") or "").split()), ""]

    def add(label: str, value) -> None:
        if value:
            lines.append(f"{label}: {value}")

    add("Assignee", row.get("assignee"))
    if row.get("assignees") and row.get("assignees") != [row.get("assignee")]:
        add("Resolved to", "; ".join(row["assignees"]))
    add("Deliverable", row.get("deliverable"))
    add("Send to", row.get("send_to"))
    add("Deadline", _deadline_line(row))
    add("Status", row.get("status"))
    add("Note", row.get("note"))
    doc = " ".join(x for x in (row.get("doc_type"), doc_label(row)) if x)
    if row.get("doc_date"):
        doc += f" ({row['doc_date']})"
    if row.get("doc_subject"):
        doc += f": {row['doc_subject']}"
    add("Document", doc)
    add("Issuer", row.get("doc_issuer"))
    add("Source", _link(row, link))
    lines.append(f"congvan task #{row['id']}")
    return "\n".join(lines)


def _yes(v) -> str:
    return "yes" if v else "no"


def _cell(v) -> str:
    """A CSV cell as text; one Excel would run as a formula gets a leading ``'``."""
    s = "" if v is None else str(v)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


# --------------------------------------------------------------------------- CSV


def to_csv(rows: Iterable[dict], link: str | None = None) -> bytes:
    """One row per task, :data:`CSV_COLUMNS`, UTF-8 with BOM, CRLF line ends (as Excel writes)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in {
            "id": r["id"], "uid": task_uid(r), "status": r.get("status"), "overdue": _yes(r.get("overdue")),
            "due_soon": _yes(r.get("due_soon")), "due": r.get("due"), "due_time": r.get("deadline_time"),
            "deadline_kind": r.get("deadline_kind"), "deadline_text": r.get("deadline_text"),
            "recurrence": r.get("recurrence"), "assignee": r.get("assignee"),
            "assignees": "; ".join(r.get("assignees") or []), "action": r.get("action"),
            "deliverable": r.get("deliverable"), "send_to": r.get("send_to"), "note": r.get("note"),
            "updated_at": r.get("updated_at"), "detached": _yes(r.get("detached")),
            "document_id": r.get("document_id"), "document": doc_label(r), "doc_type": r.get("doc_type"),
            "doc_symbol": r.get("doc_symbol"), "doc_date": r.get("doc_date"), "doc_subject": r.get("doc_subject"),
            "doc_issuer": r.get("doc_issuer"), "doc_key": r.get("doc_key"), "source_path": r.get("source_path"),
            "link": _link(r, link),
        }.items()})  # fmt: skip
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


JIRA_STATUS = {"open": "To Do", "in_progress": "In Progress", "done": "Done", "cancelled": "Done"}


def to_jira_csv(rows: Iterable[dict], link: str | None = None) -> bytes:
    """A CSV for Jira's *External system import → CSV* (plain UTF-8: Jira asks for the encoding).

    Columns: Summary, Issue Type, Status, Resolution, Due Date (``yyyy-MM-dd``), Labels,
    Description, External ID (the ICS UID, to recognise a task imported before).
    """
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Summary", "Issue Type", "Status", "Resolution", "Due Date", "Labels", "Description", "External ID"])
    for r in rows:
        status = r.get("status") or "open"
        resolution = {"done": "Done", "cancelled": "Won't Do"}.get(status, "")
        w.writerow([_cell(x) for x in (
            _summary(r, 250), "Task", JIRA_STATUS[status], resolution, r.get("due") or "",
            "congvan", _description(r, link), task_uid(r),
        )])  # fmt: skip
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- JSON


class DocumentInfo(BaseModel):
    """The document a task comes from."""

    id: int
    key: str | None = None
    doc_type: str | None = None
    number: str | None = None
    symbol: str | None = None
    date: str | None = None
    subject: str | None = None
    issuer: str | None = None
    sha256: str | None = None
    source_path: str | None = None
    link: str | None = None


class TrackedTask(Task):
    """A :class:`schemas.Task` as the tracker knows it: status, note, computed due date, document."""

    id: int
    uid: str
    status: Literal["open", "in_progress", "done", "cancelled"] = "open"
    note: str | None = None
    updated_at: str | None = None
    due: str | None = None
    overdue: bool = False
    due_soon: bool = False
    detached: bool = False
    recurrence: str | None = None
    document: DocumentInfo


def _task(row: dict) -> Task:
    """The task as extracted (spans, confidences) while attached; rebuilt from the row otherwise."""
    if row.get("task_record"):
        return Task.model_validate_json(row["task_record"])
    span = (row.get("start") or 0, row.get("end") or 0)
    deadline = None
    if row.get("deadline_kind") and row.get("deadline_text"):
        deadline = Deadline(
            text=row["deadline_text"], kind=row["deadline_kind"], date=row.get("deadline_date"),
            time=row.get("deadline_time"), recurrence=row.get("recurrence"), span=span,
        )
    return Task(
        assignee=Extracted[str](value=row["assignee"]) if row.get("assignee") else None,
        assignees=row.get("assignees") or [], action=Extracted[str](value=row.get("action") or "", span=span),
        deliverable=row.get("deliverable"), send_to=row.get("send_to"), deadline=deadline, span=span,
    )


def tracked_task(row: dict, link: str | None = None) -> TrackedTask:
    """One row as a validated :class:`TrackedTask`."""
    return TrackedTask(
        **_task(row).model_dump(),
        id=row["id"], uid=task_uid(row), status=row.get("status") or "open", note=row.get("note"),
        updated_at=row.get("updated_at"), due=row.get("due"), overdue=bool(row.get("overdue")),
        due_soon=bool(row.get("due_soon")), detached=bool(row.get("detached")), recurrence=row.get("recurrence"),
        document=DocumentInfo(
            id=row.get("document_id") or 0, key=row.get("doc_key"), doc_type=row.get("doc_type"),
            number=row.get("doc_number"), symbol=row.get("doc_symbol"), date=row.get("doc_date"),
            subject=row.get("doc_subject"), issuer=row.get("doc_issuer"), sha256=row.get("doc_sha256"),
            source_path=row.get("source_path"), link=_link(row, link),
        ),
    )


def to_json(rows: Iterable[dict], link: str | None = None) -> bytes:
    """A JSON list of :class:`TrackedTask`; ``TypeAdapter(list[TrackedTask]).validate_json`` reads it."""
    tasks = [tracked_task(r, link) for r in rows]
    return TypeAdapter(list[TrackedTask]).dump_json(tasks, indent=2) + b"\n"


# --------------------------------------------------------------------------- iCalendar


def _summary(row: dict, n: int = 120) -> str:
    """``assignee: action``, at most ``n`` characters."""
    who, action = _who(row), " ".join((row.get("action") or "").split())
    return _short(f"{who}: {action}" if who else action, n)


def _due_value(row: dict, tz: str | None) -> dt.date | dt.datetime | None:
    if not row.get("due"):
        return None
    day = dt.date.fromisoformat(row["due"])
    if not row.get("deadline_time"):
        return day
    h, m = (int(x) for x in row["deadline_time"].split(":"))
    when = dt.datetime.combine(day, dt.time(h, m))
    return when.replace(tzinfo=ZoneInfo(tz)) if tz else when


def _utc(iso: str | None) -> dt.datetime | None:
    if not iso:
        return None
    t = dt.datetime.fromisoformat(iso)
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _todo(row: dict, stamp: dt.datetime, tz: str | None, link: str | None) -> icalendar.Todo:
    todo = icalendar.Todo()
    todo.add("uid", task_uid(row))
    todo.add("dtstamp", stamp)
    todo.add("summary", f"{_summary(row)} ({doc_label(row)})")
    todo.add("description", _description(row, link))
    status = row.get("status") or "open"
    todo.add("status", ICS_STATUS[status])
    due = _due_value(row, tz)
    if due is not None:
        todo.add("due", due)
    changed = _utc(row.get("updated_at"))
    if changed is not None:
        todo.add("last-modified", changed)
    if status == "done":
        todo.add("completed", changed or stamp)
        todo.add("percent-complete", 100)
    todo.add("sequence", int(row.get("changes") or 0))
    todo.add("categories", ["congvan"] + ([row["deadline_kind"]] if row.get("deadline_kind") else []))
    url = _link(row, link)
    if "://" in url:
        todo.add("url", url)
    todo.add("x-congvan-task-id", str(row["id"]))
    todo.add("x-congvan-document-id", str(row.get("document_id")))
    if row.get("recurrence"):
        todo.add("x-congvan-recurrence", row["recurrence"].replace("\n", " "))
    return todo


def _events(rows: list[dict], stamp: dt.datetime) -> list[icalendar.Event]:
    """One all-day VEVENT per distinct deadline: per document and date, or per document and RRULE.

    An event whose tasks are all cancelled is kept with ``STATUS:CANCELLED``; all done (or
    cancelled), its summary starts with ``[done]``.
    """
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if not (r.get("due") or r.get("recurrence")):
            continue
        sha = r.get("doc_sha256") or f"document{r.get('document_id')}"
        if r.get("recurrence"):
            for rule in r["recurrence"].splitlines():
                if rule.strip():
                    groups[(sha, "rrule", rule.strip())].append(r)
        else:
            groups[(sha, "date", r["due"])].append(r)
    out = []
    for (sha, kind, what), members in groups.items():
        first = members[0]
        ev = icalendar.Event()
        if kind == "rrule":
            base = dt.date.fromisoformat(first["deadline_date"][:10]) if len(first.get("deadline_date") or "") == 10 \
                else dt.date.fromisoformat(first["due"])
            start = next_occurrence(what, base)
            ev.add("uid", f"{sha}-rrule-{hashlib.sha1(what.encode()).hexdigest()[:10]}@{UID_DOMAIN}")
            ev.add("rrule", icalendar.vRecur.from_ical(what))
        else:
            start = dt.date.fromisoformat(what)
            ev.add("uid", f"{sha}-due-{start:%Y%m%d}@{UID_DOMAIN}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", start)
        ev.add("dtend", start + dt.timedelta(days=1))
        ev.add("transp", "TRANSPARENT")
        statuses = {m.get("status") for m in members}
        if statuses == {"cancelled"}:
            ev.add("status", "CANCELLED")  # kept, so that a re-import cancels it instead of leaving it
        done = statuses <= {"done", "cancelled"} and "done" in statuses
        times = sorted({m["deadline_time"] for m in members if m.get("deadline_time")})
        head = ("[done] " if done else "") + f"Due: {doc_label(first)}" + (f" {times[0]}" if times else "")
        what_ = _summary(first, 80) if len(members) == 1 else f"{len(members)} tasks"
        ev.add("summary", f"{head} — {what_}")
        ev.add("description", "\n\n".join(_description(m, None) for m in members))
        ev.add("categories", ["congvan", "deadline"])
        out.append(ev)
    return out


def to_ics(
    rows: Iterable[dict],
    *,
    events: bool = False,
    tz: str | None = "Asia/Ho_Chi_Minh",
    now: dt.datetime | None = None,
    link: str | None = None,
) -> bytes:
    """An iCalendar file: one VTODO per task (and with ``events`` one all-day VEVENT per deadline).

    A recurring task's ``DUE`` is its next occurrence (``due``); the rule itself is in the
    description, in ``X-CONGVAN-RECURRENCE`` and, with ``events``, in the VEVENT's ``RRULE``.
    """
    rows = list(rows)
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "congvan tasks")
    for r in rows:
        cal.add_component(_todo(r, stamp, tz, link))
    if events:
        for ev in _events(rows, stamp):
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def split_calendar(data: bytes) -> dict[str, bytes]:
    """One calendar object per UID (with the time zones it uses), as CalDAV stores them.

    A CalDAV collection holds one resource per UID; ``PUT`` each value to ``<collection>/<uid>.ics``
    (after quoting the UID for a URL).
    """
    cal = icalendar.Calendar.from_ical(data)
    zones = {str(z["TZID"]): z for z in cal.walk("VTIMEZONE")}
    out: dict[str, bytes] = {}
    for comp in cal.subcomponents:
        if comp.name in ("VTODO", "VEVENT"):
            one = icalendar.Calendar()
            one.add("prodid", cal.get("prodid", PRODID))
            one.add("version", "2.0")
            used = {v.params["TZID"] for _, v in comp.property_items(recursive=False)
                    if "TZID" in getattr(v, "params", {})}
            for tzid in sorted(used & set(zones)):
                one.add_component(zones[tzid])
            one.add_component(comp)
            out[str(comp["UID"])] = one.to_ical()
    return out


# --------------------------------------------------------------------------- Markdown


def to_markdown(rows: Iterable[dict]) -> bytes:
    """A checklist grouped by assignee: ``- [ ]`` open or in progress, ``- [x]`` done.

    A cancelled task is struck through; overdue and in-progress tasks are marked.
    """
    rows = list(rows)
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[_who(r) or "(no assignee)"].append(r)
    n_over = sum(1 for r in rows if r.get("overdue"))
    out = [f"# Tasks ({len(rows)}{f', {n_over} overdue' if n_over else ''})", ""]
    for who in sorted(groups, key=lambda w: (w == "(no assignee)", fold(w))):
        out += [f"## {who}", ""]
        for r in groups[who]:
            status = r.get("status") or "open"
            text = _short(r.get("action") or "", 300)
            if status == "cancelled":
                text = f"~~{text}~~ (cancelled)"
            elif status == "in_progress":
                text += " (in progress)"
            bits = [text]
            if r.get("due") or r.get("deadline_text"):
                due = f"due {r['due']}" if r.get("due") else "due"
                if r.get("deadline_time"):
                    due += f" {r['deadline_time']}"
                if r.get("overdue"):
                    due = f"**{due}, OVERDUE**"
                extra = r.get("deadline_text") or ""
                if r.get("recurrence"):
                    extra += ", recurring"
                bits.append(f"{due} ({extra})" if extra else due)
            doc = doc_label(r) + (f", {r['doc_date']}" if r.get("doc_date") else "")
            bits.append(f"{doc} · #{r['id']}")
            line = f"- [{'x' if status in ('done', 'cancelled') else ' '}] " + " — ".join(bits)
            if r.get("note"):
                line += f"\n  > {' '.join(r['note'].split())}"
            out.append(line)
        out.append("")
    return "\n".join(out).encode("utf-8")
