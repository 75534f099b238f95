"""The task tracker (pipeline/tracker.py) on small real stores built from corpus documents.

Tasks are picked by what they say (their deadline as written), not by id, so the tests keep
working when task extraction finds more or fewer tasks elsewhere in a document.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.ingest import extract_file, ingest_paths
from pipeline.store import Store
from pipeline.tracker import (
    TaskNotFound,
    due_date,
    history,
    list_tasks,
    normalize_status,
    set_status,
)
from schemas import Extracted

D = dt.date
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOCS = {
    "syt": "101_nghean-syt-sot-xuat-huyet.txt",  # 2035/SYT-NVY: "trước 16 giờ 00 ngày 22/7/2022", "trước ngày 25/7/2022"
    "stc": "103_quangninh-stc-du-toan-2024.txt",  # 3152/STC-QLNS: "các cơ quan, đơn vị, địa phương" resolved
    "stp": "104_cantho-stp-ho-tich.txt",  # 05/STP-HCTP: 17/01/2022 and 25/01/2022
    "ubnd": "105_lamdong-ubnd-ho-so-dia-chinh.txt",  # 6318/UBND-ĐC: "định kỳ hằng tháng (trước ngày 20)"
}


def make_store(path: Path) -> tuple[Store, dict[str, int]]:
    store = Store(path)
    outcomes = ingest_paths(store, [CORPUS / name for name in DOCS.values()])
    assert [o.status for o in outcomes] == ["stored"] * len(DOCS), [o.reason for o in outcomes]
    ids = {key: o.doc_id for key, o in zip(DOCS, outcomes, strict=True)}
    return store, ids


@pytest.fixture
def built(tmp_path: Path) -> tuple[Store, dict[str, int]]:
    return make_store(tmp_path / "x.db")


def one(rows: list[dict], **where) -> dict:
    """The single row whose fields have these values (``deadline_text__contains=...`` for substrings)."""
    found = []
    for r in rows:
        ok = True
        for k, v in where.items():
            if k.endswith("__contains"):
                ok &= v in (r[k.removesuffix("__contains")] or "")
            else:
                ok &= r[k] == v
        if ok:
            found.append(r)
    assert len(found) == 1, f"{len(found)} rows match {where}"
    return found[0]


# --------------------------------------------------------------------------- statuses and history


def test_set_status_records_every_change(built):
    store, ids = built
    task = one(list_tasks(store, doc_id=ids["syt"]), deadline_text="trước ngày 25/7/2022")
    assert task["status"] == "open" and task["note"] is None and task["updated_at"] is None

    at1 = dt.datetime(2022, 7, 20, 8, 30, tzinfo=dt.UTC)
    row = set_status(store, task["id"], "in-progress", note="đã giao Khoa Kiểm soát dịch bệnh", who="Lan", at=at1)
    assert (row["status"], row["note"], row["updated_at"]) == (
        "in_progress", "đã giao Khoa Kiểm soát dịch bệnh", "2022-07-20T08:30:00+00:00")
    row = set_status(store, task["id"], "done", who="Hùng", at=dt.datetime(2022, 7, 24, 9, 0, tzinfo=dt.UTC))
    assert row["note"] == "đã giao Khoa Kiểm soát dịch bệnh"  # note=None keeps the note
    set_status(store, task["id"], "done", who="Hùng")  # nothing changes: nothing recorded

    assert [(h["field"], h["old"], h["new"], h["who"], h["at"][:10]) for h in history(store, task["id"])] == [
        ("status", "open", "in_progress", "Lan", "2022-07-20"),
        ("note", None, "đã giao Khoa Kiểm soát dịch bệnh", "Lan", "2022-07-20"),
        ("status", "in_progress", "done", "Hùng", "2022-07-24"),
    ]
    listed = one(list_tasks(store), id=task["id"])
    assert listed["status"] == "done" and listed["changes"] == 3

    set_status(store, task["id"], "done", note="", who="Hùng")  # "" clears the note
    assert one(list_tasks(store), id=task["id"])["note"] is None
    assert history(store, task["id"])[-1]["field"] == "note"


def test_set_status_rejects_unknown_status_and_task(built):
    store, _ = built
    with pytest.raises(ValueError, match="unknown status"):
        set_status(store, 1, "finished")
    with pytest.raises(TaskNotFound):
        set_status(store, 99999, "done")
    assert [normalize_status(s) for s in ("OPEN", "in progress", "canceled", "done")] == [
        "open", "in_progress", "cancelled", "done"]
    assert history(store, 1) == []


# --------------------------------------------------------------------------- overdue, due soon


def test_overdue_and_due_soon_for_a_fixed_today(built):
    store, ids = built
    rows = list_tasks(store, today=D(2022, 7, 20))
    t22 = one(rows, deadline_text="trước 16 giờ 00 ngày 22/7/2022")
    t25 = one(rows, deadline_text="trước ngày 25/7/2022")
    assert (t22["due"], t22["deadline_time"], t22["due_soon"], t22["overdue"]) == ("2022-07-22", "16:00", True, False)
    assert (t25["due"], t25["due_soon"], t25["overdue"]) == ("2022-07-25", True, False)
    assert {r["due"] for r in rows if r["overdue"]} == {"2022-01-17", "2022-01-25"}  # 05/STP-HCTP
    assert one(rows, deadline_text="trước ngày 17/01/2022")["document_id"] == ids["stp"]

    # a deadline day itself is not overdue; the day after is
    assert not one(list_tasks(store, today=D(2022, 7, 25)), id=t25["id"])["overdue"]
    overdue = list_tasks(store, overdue=True, today=D(2022, 7, 26))
    assert {r["due"] for r in overdue} == {"2022-01-17", "2022-01-25", "2022-07-22", "2022-07-25"}
    assert all(r["overdue"] for r in overdue)

    # done and cancelled tasks are never overdue or due soon
    set_status(store, t22["id"], "done")
    set_status(store, t25["id"], "cancelled")
    assert {r["due"] for r in list_tasks(store, overdue=True, today=D(2022, 7, 26))} == {"2022-01-17", "2022-01-25"}
    rows = list_tasks(store, today=D(2022, 7, 20))
    assert not one(rows, id=t22["id"])["due_soon"] and not one(rows, id=t25["id"])["due_soon"]


def test_due_within(built):
    store, ids = built
    # 3152/STC-QLNS: "trước ngày 10/8/2023" (Sở KH&ĐT) and "chậm nhất ngày 15 tháng 8 năm 2023"
    week = list_tasks(store, due_within=dt.timedelta(days=7), today=D(2023, 8, 5))
    assert [r["due"] for r in week] == ["2023-08-10"]
    assert week[0]["due_soon"] and week[0]["doc_number"] == "3152" and week[0]["doc_symbol"] == "STC-QLNS"
    ten = list_tasks(store, due_within=dt.timedelta(days=10), today=D(2023, 8, 5))
    assert [r["due"] for r in ten] == ["2023-08-10", "2023-08-15"]  # soonest first
    # with --overdue too: overdue or due soon; recurring tasks never count as overdue
    both = list_tasks(store, overdue=True, due_within=dt.timedelta(days=7), today=D(2023, 8, 5))
    assert [r["due"] for r in both] == ["2022-01-17", "2022-01-25", "2022-07-22", "2022-07-25", "2023-08-10"]


def test_recurring_deadline_rolls_to_next_occurrence(built):
    store, ids = built
    rows = list_tasks(store, doc_id=ids["ubnd"], today=D(2024, 8, 28))
    rec = one(rows, deadline_kind="recurring")
    assert rec["deadline_text"] == "định kỳ hằng tháng (trước ngày 20)"
    assert rec["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=20"
    assert rec["deadline_date"] == "2024-09-20" and rec["due"] == "2024-09-20"  # first after 27/8/2024
    later = one(list_tasks(store, doc_id=ids["ubnd"], today=D(2024, 10, 21)), id=rec["id"])
    assert later["due"] == "2024-11-20" and not later["overdue"]
    assert one(list_tasks(store, doc_id=ids["ubnd"], today=D(2024, 11, 15)), id=rec["id"])["due_soon"]
    assert all(r["recurrence"] is None for r in rows if r["deadline_kind"] != "recurring")


def test_due_date_of_partial_and_missing_dates():
    assert due_date({"deadline_date": "2023-02"}) == D(2023, 2, 28)
    assert due_date({"deadline_date": "2024"}) == D(2024, 12, 31)
    assert due_date({"deadline_date": None}) is None
    rule = {"deadline_date": None, "recurrence": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15"}
    assert due_date(rule, today=D(2024, 12, 16)) == D(2025, 12, 15)


# --------------------------------------------------------------------------- filters


def test_filters(built):
    store, ids = built
    today = D(2024, 1, 1)
    # diacritics- and case-insensitive, on the assignee as printed ...
    assert {r["assignee"] for r in list_tasks(store, assignee="SO TAI CHINH", today=today)} == {"Sở Tài chính"}
    # ... and on the resolved assignees: "các cơ quan, đơn vị, địa phương" → the recipients
    resolved = list_tasks(store, assignee="uy ban nhan dan cac huyen, thi xa", today=today)
    assert resolved and {r["document_id"] for r in resolved} == {ids["stc"]}
    sent = one(resolved, deadline_text="chậm nhất ngày 15 tháng 8 năm 2023")
    assert sent["assignee"] == "các cơ quan, đơn vị, địa phương"
    assert "Ủy ban nhân dân các huyện, thị xã, thành phố" in sent["assignees"]
    assert list_tasks(store, assignee="bộ quốc phòng", today=today) == []

    by_doc = list_tasks(store, doc_id=ids["stp"], today=today)
    assert by_doc and {r["doc_symbol"] for r in by_doc} == {"STP-HCTP"}
    assert {(r["doc_number"], r["doc_date"]) for r in by_doc} == {("05", "2022-01-10")}
    assert all(r["source_path"].endswith(DOCS["stp"]) and r["doc_key"] for r in by_doc)
    assert all(r["doc_subject"].startswith("báo cáo thống kê công tác hộ tịch") for r in by_doc)

    first, second = by_doc[0]["id"], by_doc[1]["id"]
    set_status(store, first, "done")
    set_status(store, second, "in_progress")
    assert [r["id"] for r in list_tasks(store, status="done", today=today)] == [first]
    assert {r["id"] for r in list_tasks(store, status=["done", "in-progress"], today=today)} == {first, second}
    assert len(list_tasks(store, status="open", today=today)) == len(list_tasks(store, today=today)) - 2
    with pytest.raises(ValueError):
        list_tasks(store, status="closed")


# --------------------------------------------------------------------------- surviving re-extraction


def test_status_survives_reingest_and_newer_extractor(built):
    store, ids = built
    path = CORPUS / DOCS["stc"]
    rows = list_tasks(store, doc_id=ids["stc"])
    n_before = len(rows)
    sent = one(rows, deadline_text="chậm nhất ngày 15 tháng 8 năm 2023")
    plan = one(rows, deadline_text="trước ngày 10/8/2023")
    set_status(store, sent["id"], "in_progress", note="Phòng QLNS đang tổng hợp", who="Mai")
    set_status(store, plan["id"], "done", note="đã gửi Sở KH&ĐT ngày 9/8", who="Mai")

    # 1. the same file again: recognised as a duplicate, nothing touched
    again = ingest_paths(store, [path])
    assert [(o.status, o.doc_id) for o in again] == [("duplicate", ids["stc"])]
    assert one(list_tasks(store), id=sent["id"])["status"] == "in_progress"

    # 2. a newer extractor: the record re-extracted, one action worded differently, a new task found first
    d = extract_file(path)
    d.extractor_version = "newer"
    i = next(k for k, t in enumerate(d.tasks) if t.deadline and t.deadline.text == sent["deadline_text"])
    words = d.tasks[i].action.value.split()
    reworded = " ".join(["khẩn trương", *words[:-1]])  # a word added in front, the last one dropped
    d.tasks[i] = d.tasks[i].model_copy(update={"action": Extracted[str](value=reworded, span=d.tasks[i].action.span)})
    d.tasks.insert(0, d.tasks[-1].model_copy(update={"action": Extracted[str](value="một nhiệm vụ mới tìm thấy", span=(0, 5))}))
    store.replace(ids["stc"], d)

    rows = list_tasks(store, doc_id=ids["stc"])
    assert len(rows) == n_before + 1
    kept = one(rows, id=sent["id"])
    assert (kept["status"], kept["note"], kept["action"], kept["detached"]) == (
        "in_progress", "Phòng QLNS đang tổng hợp", reworded, False)
    assert kept["seq"] == sent["seq"] + 1  # it moved down one place
    done = one(rows, id=plan["id"])
    assert (done["status"], done["note"], done["detached"]) == ("done", "đã gửi Sở KH&ĐT ngày 9/8", False)
    assert [h["new"] for h in history(store, sent["id"]) if h["field"] == "status"] == ["in_progress"]
    assert {r["status"] for r in rows if r["id"] not in (sent["id"], plan["id"])} == {"open"}
    assert store.get(ids["stc"])["extractor_version"] == "newer"

    # 3. a still newer extractor no longer finds one task: kept, detached, state intact
    d2 = extract_file(path)
    d2.tasks = [t for t in d2.tasks if not (t.deadline and t.deadline.text == plan["deadline_text"])]
    store.replace(ids["stc"], d2)
    gone = one(list_tasks(store, doc_id=ids["stc"]), id=plan["id"])
    assert (gone["status"], gone["note"], gone["detached"]) == ("done", "đã gửi Sở KH&ĐT ngày 9/8", True)
    assert gone["task_record"] is None  # its record is an older extraction's
    assert one(list_tasks(store), id=sent["id"])["status"] == "in_progress"

    # 4. and back: the detached task is found again and re-attached
    store.replace(ids["stc"], extract_file(path))
    back = one(list_tasks(store, doc_id=ids["stc"]), id=plan["id"])
    assert (back["status"], back["detached"]) == ("done", False)
    assert len(list_tasks(store, doc_id=ids["stc"])) == n_before


def test_state_follows_the_right_agency_when_actions_are_alike(built):
    """Per-agency lists repeat one action; a newer extractor may also spell the agencies differently."""
    store, ids = built
    path = CORPUS / DOCS["ubnd"]
    d = extract_file(path)
    action = "rà soát, báo cáo kết quả về Sở Tài nguyên và Môi trường trước ngày 30/9/2024"
    agencies = ["Sở Tư pháp", "Sở Tài chính", "Sở Xây dựng"]
    base = d.tasks[0]
    d.tasks = [base.model_copy(update={"assignee": Extracted[str](value=a), "assignees": [a],
                                       "action": Extracted[str](value=action, span=base.action.span)})
               for a in agencies]
    store.replace(ids["ubnd"], d)
    rows = {r["assignee"]: r for r in list_tasks(store, doc_id=ids["ubnd"])}
    set_status(store, rows["Sở Tài chính"]["id"], "done", note="đã báo cáo")
    set_status(store, rows["Sở Xây dựng"]["id"], "in_progress")

    # the newer extractor writes "Sở Tài chính tỉnh", "Sở Xây dựng tỉnh" ... and lists them in another order
    d.tasks = [t.model_copy(update={"assignee": Extracted[str](value=t.assignee.value + " tỉnh"),
                                    "assignees": [t.assignee.value + " tỉnh"]}) for t in reversed(d.tasks)]
    store.replace(ids["ubnd"], d)
    after = {r["assignee"]: r for r in list_tasks(store, doc_id=ids["ubnd"])}
    assert (after["Sở Tài chính tỉnh"]["status"], after["Sở Tài chính tỉnh"]["note"]) == ("done", "đã báo cáo")
    assert after["Sở Tài chính tỉnh"]["id"] == rows["Sở Tài chính"]["id"]
    assert after["Sở Xây dựng tỉnh"]["status"] == "in_progress"
    assert after["Sở Tư pháp tỉnh"]["status"] == "open"
    assert not any(r["detached"] for r in after.values())


def test_status_survives_an_identical_reextraction(built):
    store, ids = built
    rows = list_tasks(store)
    for r in rows[::3]:
        set_status(store, r["id"], "done", note=f"xong {r['id']}")
    for key, name in DOCS.items():
        store.replace(ids[key], extract_file(CORPUS / name))
    after = {r["id"]: r for r in list_tasks(store)}
    assert len(after) == len(rows)
    for r in rows[::3]:
        assert (after[r["id"]]["status"], after[r["id"]]["note"], after[r["id"]]["action"]) == (
            "done", f"xong {r['id']}", r["action"])
