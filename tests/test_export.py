"""Exports of tracked tasks (pipeline/export.py) and the tasks CLI (pipeline/cli_tasks.py)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from pathlib import Path

import icalendar
import pytest
from pydantic import TypeAdapter

from pipeline.cli import main
from pipeline.export import CSV_COLUMNS, TrackedTask, export_tasks, split_calendar, task_uid
from pipeline.ingest import extract_file, ingest_paths
from pipeline.store import Store
from pipeline.tracker import list_tasks, set_status
from schemas import Task

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOCS = ["101_nghean-syt-sot-xuat-huyet.txt", "103_quangninh-stc-du-toan-2024.txt", "105_lamdong-ubnd-ho-so-dia-chinh.txt"]
TODAY = dt.date(2022, 7, 20)
NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "x.db")
    assert {o.status for o in ingest_paths(s, [CORPUS / n for n in DOCS])} == {"stored"}
    return s


def by_text(rows: list[dict], text: str) -> dict:
    [row] = [r for r in rows if r["deadline_text"] == text]
    return row


# --------------------------------------------------------------------------- CSV


def test_csv_opens_in_excel_and_round_trips(store):
    rows = list_tasks(store, today=TODAY)
    data = export_tasks(rows, "csv")
    assert data.startswith(codecs.BOM_UTF8)  # Excel reads the file as UTF-8 only with the BOM
    assert b"\r\n" in data

    back = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(back[0]) == CSV_COLUMNS
    assert [int(r["id"]) for r in back] == [r["id"] for r in rows]  # one row per task
    for got, row in zip(back, rows, strict=True):
        assert got["action"] == row["action"]  # Vietnamese intact, byte for byte
        assert got["assignee"] == (row["assignee"] or "")
        assert got["doc_subject"] == row["doc_subject"]
        assert got["uid"] == task_uid(row)

    t = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    got = next(r for r in back if r["id"] == str(t["id"]))
    assert (got["document"], got["doc_date"], got["due"], got["due_time"]) == ("2035/SYT-NVY", "2022-07-12", "2022-07-22", "16:00")
    assert (got["status"], got["overdue"], got["due_soon"], got["deadline_kind"]) == ("open", "no", "yes", "absolute")
    assert got["doc_subject"] == "tăng cường công tác phòng, chống bệnh sốt xuất huyết Dengue trên địa bàn tỉnh"
    assert got["source_path"].endswith(DOCS[0])
    assert got["link"].startswith("file:///") and got["link"].endswith(DOCS[0])
    resolved = by_text(rows, "chậm nhất ngày 15 tháng 8 năm 2023")
    got = next(r for r in back if r["id"] == str(resolved["id"]))
    assert got["assignees"].split("; ") == resolved["assignees"]
    assert got["document"] == "3152/STC-QLNS"


def test_csv_cells_excel_would_run_as_formulas_are_quoted(store):
    row = list_tasks(store)[0] | {"action": "- Khẩn trương rà soát", "note": "=1+1", "assignee": "@Sở Nội vụ"}
    [got] = csv.DictReader(io.StringIO(export_tasks([row], "csv").decode("utf-8-sig")))
    assert (got["action"], got["note"], got["assignee"]) == ("'- Khẩn trương rà soát", "'=1+1", "'@Sở Nội vụ")


def test_link_template(store):
    rows = list_tasks(store)
    data = export_tasks(rows[:1], "csv", link="https://congvan.example/documents/{doc_id}")
    [got] = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert got["link"] == f"https://congvan.example/documents/{rows[0]['document_id']}"


def test_jira_csv(store):
    rows = list_tasks(store, today=TODAY)
    set_status(store, rows[0]["id"], "done")
    rows = list_tasks(store, today=TODAY)
    back = list(csv.DictReader(io.StringIO(export_tasks(rows, "jira").decode("utf-8"))))
    assert len(back) == len(rows)
    assert list(back[0]) == ["Summary", "Issue Type", "Status", "Resolution", "Due Date", "Labels", "Description", "External ID"]
    assert (back[0]["Status"], back[0]["Resolution"], back[0]["Issue Type"]) == ("Done", "Done", "Task")
    t = by_text(rows, "trước ngày 25/7/2022")
    got = next(r for r in back if r["External ID"] == task_uid(t))
    assert got["Due Date"] == "2022-07-25" and got["Status"] == "To Do"
    assert "2035/SYT-NVY" in got["Description"] and len(got["Summary"]) <= 255


# --------------------------------------------------------------------------- JSON


def test_json_matches_the_task_schema(store):
    rows = list_tasks(store, today=TODAY)
    set_status(store, rows[0]["id"], "in_progress", note="đang làm")
    rows = list_tasks(store, today=TODAY)
    data = export_tasks(rows, "json")
    tasks = TypeAdapter(list[TrackedTask]).validate_json(data)
    assert [t.id for t in tasks] == [r["id"] for r in rows]
    for item in json.loads(data):
        Task.model_validate(item)  # the plain Task schema reads every item
    first = tasks[0]
    assert (first.status, first.note) == ("in_progress", "đang làm")

    t = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    got = next(x for x in tasks if x.id == t["id"])
    assert got.deadline.date == "2022-07-22" and got.deadline.time == "16:00" and got.due == "2022-07-22"
    assert got.due_soon and not got.overdue
    assert got.document.number == "2035" and got.document.symbol == "SYT-NVY" and got.document.date == "2022-07-12"
    assert got.document.source_path.endswith(DOCS[0])
    # spans come from the stored record: they point into the document's normalised text
    text = store.get(t["document_id"])["text"]
    assert text[got.deadline.span[0]:got.deadline.span[1]].replace("\n", " ") == "trước 16 giờ 00 ngày 22/7/2022"
    assert got.action.value == t["action"]
    rec = next(x for x in tasks if x.recurrence)
    assert rec.recurrence == rec.deadline.recurrence == "FREQ=MONTHLY;BYMONTHDAY=20"


# --------------------------------------------------------------------------- iCalendar


def todos(data: bytes) -> dict[str, icalendar.Todo]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(t["UID"]): t for t in cal.walk("VTODO")}


def test_ics_one_vtodo_per_task(store):
    rows = list_tasks(store, today=TODAY)
    t22, t25 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022"), by_text(rows, "trước ngày 25/7/2022")
    set_status(store, t25["id"], "done", note="đã báo cáo")
    other = next(r for r in rows if r["id"] not in (t22["id"], t25["id"]))
    set_status(store, other["id"], "cancelled")
    rows = list_tasks(store, today=TODAY)
    data = export_tasks(rows, "ics", now=NOW)

    cal = icalendar.Calendar.from_ical(data)
    assert (str(cal["VERSION"]), str(cal["PRODID"])) == ("2.0", "-//congvan//congvan task export//VI")
    found = todos(data)
    assert len(cal.walk("VTODO")) == len(rows) == len(found)  # one VTODO per task, UIDs unique
    assert set(found) == {task_uid(r) for r in rows}
    for todo in found.values():
        assert todo["DTSTAMP"].dt == NOW and str(todo["SUMMARY"]) and str(todo["DESCRIPTION"])

    due = found[task_uid(t22)]["DUE"].dt  # a time is written: DATE-TIME in Viet Nam's zone
    assert isinstance(due, dt.datetime) and (due.hour, due.minute) == (16, 0)
    assert due.utcoffset() == dt.timedelta(hours=7) and found[task_uid(t22)]["DUE"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    assert str(found[task_uid(t22)]["STATUS"]) == "NEEDS-ACTION"

    done = found[task_uid(t25)]
    assert done["DUE"].dt == dt.date(2022, 7, 25) and not isinstance(done["DUE"].dt, dt.datetime)  # all-day
    assert str(done["STATUS"]) == "COMPLETED" and "COMPLETED" in done and int(done["PERCENT-COMPLETE"]) == 100
    assert "Note: đã báo cáo" in str(done["DESCRIPTION"]) and "2035/SYT-NVY" in str(done["SUMMARY"])
    assert str(found[task_uid(other)]["STATUS"]) == "CANCELLED"
    undated = next(r for r in rows if r["due"] is None)
    assert "DUE" not in found[task_uid(undated)]

    rec = next(r for r in rows if r["recurrence"])
    assert found[task_uid(rec)]["DUE"].dt == dt.date(2024, 9, 20)
    assert "repeats FREQ=MONTHLY;BYMONTHDAY=20" in str(found[task_uid(rec)]["DESCRIPTION"])


def test_ics_uids_are_stable_across_exports_and_reextraction(store):
    first = todos(export_tasks(list_tasks(store), "ics", now=NOW))
    second = todos(export_tasks(list_tasks(store), "ics", now=NOW + dt.timedelta(days=3)))
    assert list(first) == list(second)
    assert all(first[u]["DTSTAMP"].dt != second[u]["DTSTAMP"].dt for u in first)
    doc_id = list_tasks(store)[0]["document_id"]
    store.replace(doc_id, extract_file(CORPUS / DOCS[0]))  # re-extracted: new rows, same UIDs
    assert list(todos(export_tasks(list_tasks(store), "ics"))) == list(first)
    # the same documents in another database give the same UIDs
    other = Store(":memory:")
    ingest_paths(other, [CORPUS / n for n in reversed(DOCS)])
    assert set(todos(export_tasks(list_tasks(other), "ics"))) == set(first)


def test_ics_floating_times(store):
    rows = list_tasks(store, today=TODAY)
    t22 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    data = export_tasks(rows, "ics", tz=None)
    due = todos(data)[task_uid(t22)]["DUE"]
    assert due.dt == dt.datetime(2022, 7, 22, 16, 0) and due.dt.tzinfo is None
    assert b"VTIMEZONE" not in data


def test_ics_events_one_all_day_vevent_per_deadline(store):
    rows = list_tasks(store, today=TODAY)
    data = export_tasks(rows, "ics", events=True, now=NOW)
    cal = icalendar.Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(cal.walk("VTODO")) == len(rows)
    deadlines = {(r["document_id"], r["recurrence"] or r["due"]) for r in rows if r["due"]}
    assert len(events) == len(deadlines)
    for ev in events:
        start, end = ev["DTSTART"].dt, ev["DTEND"].dt
        assert type(start) is dt.date and end - start == dt.timedelta(days=1)  # all-day
        assert str(ev["SUMMARY"]).startswith("Due: ")
    [rec] = [e for e in events if "RRULE" in e]
    assert rec["RRULE"].to_ical() == b"FREQ=MONTHLY;BYMONTHDAY=20" and rec["DTSTART"].dt == dt.date(2024, 9, 20)
    t22 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    [ev] = [e for e in events if e["DTSTART"].dt == dt.date(2022, 7, 22)]
    assert "16:00" in str(ev["SUMMARY"]) and "2035/SYT-NVY" in str(ev["SUMMARY"]) and t22["action"][:20] in str(ev["DESCRIPTION"])
    again = icalendar.Calendar.from_ical(export_tasks(rows, "ics", events=True))
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(str(e["UID"]) for e in events)

    # cancelled: the event stays, marked cancelled, so that re-importing it cancels it in the calendar
    set_status(store, t22["id"], "cancelled")
    cancelled = icalendar.Calendar.from_ical(export_tasks(list_tasks(store, today=TODAY), "ics", events=True))
    [ev] = [e for e in cancelled.walk("VEVENT") if e["DTSTART"].dt == dt.date(2022, 7, 22)]
    assert str(ev["STATUS"]) == "CANCELLED" and len(cancelled.walk("VEVENT")) == len(events)


def test_split_calendar_one_object_per_uid(store):
    rows = list_tasks(store, today=TODAY)
    parts = split_calendar(export_tasks(rows, "ics", events=True))
    assert len(parts) == len(rows) + len({(r["document_id"], r["recurrence"] or r["due"]) for r in rows if r["due"]})
    t22 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    one = icalendar.Calendar.from_ical(parts[task_uid(t22)])
    assert [c.name for c in one.subcomponents] == ["VTIMEZONE", "VTODO"]
    t25 = by_text(rows, "trước ngày 25/7/2022")
    assert [c.name for c in icalendar.Calendar.from_ical(parts[task_uid(t25)]).subcomponents] == ["VTODO"]


# --------------------------------------------------------------------------- Markdown


def test_markdown_checklist_grouped_by_assignee(store):
    rows = list_tasks(store, today=dt.date(2022, 7, 23))
    t22, t25 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022"), by_text(rows, "trước ngày 25/7/2022")
    set_status(store, t25["id"], "done", note="đã báo cáo")
    rows = list_tasks(store, today=dt.date(2022, 7, 23))
    md = export_tasks(rows, "md").decode("utf-8")
    lines = md.splitlines()
    assert lines[0].startswith(f"# Tasks ({len(rows)}")
    assert sum(1 for ln in lines if ln.startswith(("- [ ] ", "- [x] "))) == len(rows)
    heading = lines.index(f"## {t25['assignee']}")
    item = next(ln for ln in lines[heading:] if ln.startswith("- "))
    assert item.startswith("- [x] ") and "due 2022-07-25 (trước ngày 25/7/2022)" in item and item.endswith(f"#{t25['id']}")
    assert "  > đã báo cáo" in lines
    line22 = next(ln for ln in lines if ln.endswith(f"#{t22['id']}"))
    assert line22.startswith("- [ ] ") and "**due 2022-07-22 16:00, OVERDUE**" in line22
    assert "## Sở Tài chính" in lines


def test_unknown_format(store):
    with pytest.raises(ValueError, match="unknown format"):
        export_tasks([], "xlsx")


def test_cli_constants_match_the_library():
    import pipeline.cli_tasks
    import pipeline.export
    import pipeline.tracker

    assert pipeline.cli_tasks.FORMATS == pipeline.export.FORMATS
    assert pipeline.cli_tasks.STATUSES == pipeline.tracker.STATUSES


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def db(store) -> str:
    return str(store.path)


def test_cli_tasks_list_set_history(runner, db, store):
    rows = list_tasks(store, today=TODAY)
    t22 = by_text(rows, "trước 16 giờ 00 ngày 22/7/2022")
    out = runner.invoke(main, ["tasks", "--db", db, "--today", "2022-07-20"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].split() == ["id", "status", "due", "assignee", "action", "document"]
    assert "2035/SYT-NVY" in out.output and f"{len(rows)} tasks:" in out.output

    out = runner.invoke(main, ["tasks", "--db", db, "--today", "2022-07-20", "--due-within", "3d", "--json"])
    assert out.exit_code == 0, out.output
    assert [r["id"] for r in json.loads(out.output)] == [t22["id"]]

    out = runner.invoke(main, ["tasks", "set", str(t22["id"]), "in-progress", "--note", "đã giao", "--who", "Lan", "--db", db])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"task {t22['id']}: in_progress — đã giao"
    out = runner.invoke(main, ["tasks", "--db", db, "set", str(t22["id"]), "done"])  # --db on the group works too
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["tasks", "--db", db, "--status", "done", "--json"])
    assert [(r["id"], r["note"]) for r in json.loads(out.output)] == [(t22["id"], "đã giao")]
    out = runner.invoke(main, ["tasks", "history", str(t22["id"]), "--db", db])
    assert out.exit_code == 0 and len(out.output.splitlines()) == 3 and "open → in_progress" in out.output

    out = runner.invoke(main, ["tasks", "--db", db, "--assignee", "trung tam y te", "--overdue", "--today", "2022-07-26"])
    assert out.exit_code == 0 and "2022-07-25" in out.output and "2022-07-22" not in out.output

    assert runner.invoke(main, ["tasks", "set", "99999", "done", "--db", db]).exit_code == 2
    assert runner.invoke(main, ["tasks", "set", "1", "finished", "--db", db]).exit_code == 2
    assert runner.invoke(main, ["tasks", "--db", db, "--due-within", "soon"]).exit_code == 2
    missing = runner.invoke(main, ["tasks", "--db", db + ".missing"])
    assert missing.exit_code == 2 and "no database" in missing.output


def test_cli_export(runner, db, store, tmp_path):
    n = len(list_tasks(store))
    out_file = tmp_path / "tasks.csv"
    res = runner.invoke(main, ["export", "tasks", "--format", "csv", "--out", str(out_file), "--db", db])
    assert res.exit_code == 0, res.output
    data = out_file.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and len(list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))) == n

    res = runner.invoke(main, ["export", "tasks", "--format", "ics", "--events", "--db", db, "--doc", "1"])
    assert res.exit_code == 0, res.output
    cal = icalendar.Calendar.from_ical(res.stdout_bytes)
    assert len(cal.walk("VTODO")) == len(list_tasks(store, doc_id=1)) and cal.walk("VEVENT")

    res = runner.invoke(main, ["export", "tasks", "--format", "md", "--db", db, "--overdue", "--today", "2022-07-26"])
    assert res.exit_code == 0 and res.output.startswith("# Tasks (2, 2 overdue)")
    res = runner.invoke(main, ["export", "tasks", "--format", "json", "--db", db, "--assignee", "sở tài chính"])
    assert [t["assignee"]["value"] for t in json.loads(res.output)] == ["Sở Tài chính"]
