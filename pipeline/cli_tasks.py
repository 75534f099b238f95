"""``congvan tasks`` and ``congvan export tasks``: the tracker on the command line.

Each command is one call of :func:`pipeline.tracker.list_tasks`, :func:`pipeline.tracker.set_status`
or :func:`pipeline.export.export_tasks`. Examples::

    congvan tasks --db congvan.db                       # every task, soonest due first
    congvan tasks --overdue --assignee "so noi vu"      # diacritics optional
    congvan tasks --due-within 7d --status open --status in_progress
    congvan tasks --doc 3 --json
    congvan tasks set 12 in_progress --note "đã giao chị Lan"
    congvan tasks set 12 done --note "đã gửi báo cáo số 45/BC-SNV"
    congvan tasks history 12
    congvan export tasks --format csv --out tasks.csv
    congvan export tasks --format ics --events --overdue --due-within 14d --out tasks.ics
    congvan export tasks --format md --assignee "UBND" --out checklist.md
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import sys
from pathlib import Path

import click

# The library is imported inside the commands: every `congvan` start imports this module.
FORMATS = ("csv", "json", "ics", "md", "jira")  # = pipeline.export.FORMATS
STATUSES = ("open", "in_progress", "done", "cancelled")  # = pipeline.tracker.STATUSES

DB = click.option(
    "--db", "db_path", default="congvan.db", show_default=True, type=click.Path(dir_okay=False),
    help="SQLite database file.",
)


class Duration(click.ParamType):
    """``7d``, ``2w``, ``36h`` or a bare number of days."""

    name = "duration"
    _RE = re.compile(r"^\s*(\d+)\s*([dwh]?)\s*$", re.IGNORECASE)

    def convert(self, value, param, ctx) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        m = self._RE.match(str(value))
        if not m:
            self.fail(f"{value!r} is not a duration like 7d, 2w or 36h", param, ctx)
        n, unit = int(m[1]), (m[2] or "d").lower()
        return dt.timedelta(hours=n) if unit == "h" else dt.timedelta(days=n * (7 if unit == "w" else 1))


class Status(click.ParamType):
    name = "status"

    def convert(self, value, param, ctx) -> str:
        from pipeline.tracker import normalize_status

        try:
            return normalize_status(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _filters(f):
    """The filter options shared by ``tasks`` and ``export tasks``."""
    for opt in reversed([
        click.option("--overdue", is_flag=True, help="Only overdue tasks (with --due-within: overdue or due soon)."),
        click.option("--due-within", type=Duration(), help="Only open tasks due within this time, e.g. 7d, 2w."),
        click.option("--assignee", help="Assignee contains this text; case and diacritics optional."),
        click.option("--doc", "doc_id", type=int, help="Only the tasks of this document id."),
        click.option("--status", "statuses", type=Status(), multiple=True,
                     help=f"Only this status (repeatable): {', '.join(STATUSES)}."),
        click.option("--today", type=click.DateTime(["%Y-%m-%d"]),
                     help="Compute overdue/due soon as of this date (default: today in Viet Nam)."),
        DB,
    ]):
        f = opt(f)
    return f


def _open_store(db_path: str):
    from pipeline.store import Store

    if db_path != ":memory:" and not Path(db_path).exists():
        click.echo(f"error: no database {db_path} (congvan ingest FILES --db {db_path} first)", err=True)
        sys.exit(2)
    return Store(db_path)


def _rows(db_path, overdue, due_within, assignee, doc_id, statuses, today) -> list[dict]:
    from pipeline.tracker import list_tasks

    return list_tasks(
        _open_store(db_path), overdue=overdue, due_within=due_within, assignee=assignee, doc_id=doc_id,
        status=list(statuses) or None, today=today.date() if today else None,
    )


def _fit(s: str | None, n: int) -> str:
    s = " ".join((s or "").split())
    return (s if len(s) <= n else s[: n - 1] + "…").ljust(n)


def _table(rows: list[dict]) -> None:
    from pipeline.export import doc_label

    if not rows:
        click.echo("no tasks")
        return
    click.echo(f"{'id':>5}  {'status':<11} {'due':<17} {'assignee':<28} {'action':<52} document")
    for r in rows:
        due = (r["due"] or "—") + (f" {r['deadline_time']}" if r.get("deadline_time") else "")
        flag = ("!" if r["overdue"] else "~" if r["due_soon"] else "") + ("↻" if r.get("recurrence") else "")
        who = r["assignee"] or "; ".join(r["assignees"]) or "?"
        click.echo(f"{r['id']:>5}  {r['status']:<11} {_fit(flag + ' ' + due if flag else due, 17)} "
                   f"{_fit(who, 28)} {_fit(r['action'], 52)} {doc_label(r)}")
    over = sum(r["overdue"] for r in rows)
    soon = sum(r["due_soon"] for r in rows)
    click.echo(f"\n{len(rows)} tasks: {over} overdue (!), {soon} due soon (~); ↻ recurring")


@click.group(invoke_without_command=True)
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.pass_context
def tasks(ctx, db_path, overdue, due_within, assignee, doc_id, statuses, today, as_json) -> None:
    """List tracked tasks, soonest due first; or change one (tasks set, tasks history).

    \b
    Examples:
      congvan tasks --overdue
      congvan tasks --due-within 7d --assignee "so noi vu"
      congvan tasks set 12 done --note "đã gửi báo cáo"
    """
    ctx.ensure_object(dict)["db_path"] = db_path
    if ctx.invoked_subcommand is not None:
        return
    rows = _rows(db_path, overdue, due_within, assignee, doc_id, statuses, today)
    if as_json:
        for r in rows:
            r.pop("task_record", None)
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _table(rows)


@tasks.command(name="set")
@click.argument("task_id", type=int)
@click.argument("status", type=Status())
@click.option("--note", help="Replace the task's note (\"\" clears it).")
@click.option("--who", default=lambda: getpass.getuser(), show_default="your login name", help="Recorded in the history.")
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False), help="SQLite database file.")
@click.pass_context
def set_cmd(ctx, task_id: int, status: str, note: str | None, who: str, db_path: str | None) -> None:
    """Set task TASK_ID's STATUS (open, in_progress, done, cancelled), with an optional note.

    Example: congvan tasks set 12 done --note "đã gửi báo cáo số 45/BC-SNV"
    """
    from pipeline.tracker import TaskNotFound, set_status

    store = _open_store(db_path or ctx.obj["db_path"])
    try:
        row = set_status(store, task_id, status, note=note, who=who)
    except TaskNotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"task {task_id}: {row['status']}" + (f" — {row['note']}" if row["note"] else ""))


@tasks.command(name="history")
@click.argument("task_id", type=int)
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False), help="SQLite database file.")
@click.pass_context
def history_cmd(ctx, task_id: int, db_path: str | None) -> None:
    """Every recorded change of task TASK_ID.  Example: congvan tasks history 12"""
    from pipeline.tracker import history

    entries = history(_open_store(db_path or ctx.obj["db_path"]), task_id)
    if not entries:
        click.echo(f"no recorded changes for task {task_id}")
    for h in entries:
        click.echo(f"{h['at']}  {h['who'] or '?':<12} {h['field']}: {h['old'] or '—'} → {h['new'] or '—'}")


@click.group()
def export() -> None:
    """Export stored data to files other tools open."""


@export.command(name="tasks")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv (Excel, UTF-8 with BOM), json, ics (VTODO; --events adds VEVENTs), md checklist, jira CSV.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--events", is_flag=True, help="ics: add an all-day VEVENT per deadline (for calendars that ignore VTODO).")
@click.option("--floating", is_flag=True, help="ics: times without a time zone instead of Asia/Ho_Chi_Minh.")
@click.option("--link", help="Link template back to a document: {doc_id}, {path}, {key}, {sha256}.")
@_filters
def export_tasks_cmd(fmt, out, events, floating, link, db_path, overdue, due_within, assignee, doc_id, statuses, today) -> None:
    """Export tasks (same filters as `congvan tasks`) as CSV, JSON, iCalendar, Markdown or Jira CSV.

    \b
    Examples:
      congvan export tasks --format csv --out tasks.csv
      congvan export tasks --format ics --events --out tasks.ics
      congvan export tasks --format md --overdue
    """
    from pipeline.export import export_tasks

    rows = _rows(db_path, overdue, due_within, assignee, doc_id, statuses, today)
    data = export_tasks(rows, fmt, events=events, tz=None if floating else "Asia/Ho_Chi_Minh", link=link)
    if out is None:
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    out.write_bytes(data)
    click.echo(f"{len(rows)} tasks → {out} ({fmt})", err=True)
