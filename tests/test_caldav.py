"""The exported iCalendar is accepted by a real CalDAV server: Radicale, started on loopback.

The server runs as a subprocess on 127.0.0.1 with a free port, ``[auth] type = none`` (any user
name, no password check) and its storage in ``tmp_path``. The test creates a calendar collection
(MKCALENDAR), PUTs one resource per UID (as :func:`pipeline.export.split_calendar` cuts them), asks
the server for its to-dos (REPORT calendar-query, which Radicale answers from the parsed objects),
GETs each one back and compares it with what was sent, then PUTs a re-export: the resources are
updated in place, nothing is duplicated.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import icalendar
import pytest

from pipeline.export import export_tasks, split_calendar, task_uid
from pipeline.ingest import ingest_paths
from pipeline.store import Store
from pipeline.tracker import list_tasks, set_status

pytest.importorskip("radicale")

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOCS = ["101_nghean-syt-sot-xuat-huyet.txt", "105_lamdong-ubnd-ho-so-dia-chinh.txt"]
USER = "congvan"
COLLECTION = f"/{USER}/tasks/"
NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DAV:
    """A tiny CalDAV client over http.client."""

    def __init__(self, port: int) -> None:
        self.port = port
        # [auth] type = none accepts any credentials; they only name the owner of /congvan/
        self.auth = "Basic " + base64.b64encode(f"{USER}:x".encode()).decode()

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            hdrs = {"Authorization": self.auth} | {k.replace("_", "-"): v for k, v in headers.items()}
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[DAV]:
    port = free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        "[auth]\ntype = none\n"
        f"[storage]\nfilesystem_folder = {tmp_path / 'collections'}\n"
        "[logging]\nlevel = warning\n",
        encoding="utf-8",
    )
    log = (tmp_path / "radicale.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)], stdout=log, stderr=log)
    try:
        dav = DAV(port)
        deadline = time.monotonic() + 30
        while True:
            try:
                dav.request("OPTIONS", "/")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Radicale did not start: " + (tmp_path / "radicale.log").read_text(errors="replace"))
                time.sleep(0.1)
        yield dav
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:set><d:prop>
    <d:displayname>congvan tasks</d:displayname>
    <c:supported-calendar-component-set><c:comp name="VTODO"/><c:comp name="VEVENT"/></c:supported-calendar-component-set>
  </d:prop></d:set>
</c:mkcalendar>"""

QUERY = """<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="{comp}"/></c:comp-filter></c:filter>
</c:calendar-query>"""


def query(dav: DAV, comp: str) -> dict[str, bytes]:
    """href -> calendar data of every object with a ``comp`` component, as the server reports it."""
    status, body = dav.request("REPORT", COLLECTION, QUERY.format(comp=comp).encode(),
                               Depth="1", Content_Type="application/xml; charset=utf-8")
    assert status == 207, body
    out = {}
    for resp in ET.fromstring(body).findall("d:response", NS):
        data = resp.find(".//c:calendar-data", NS)
        out[unquote(resp.find("d:href", NS).text)] = data.text.encode("utf-8")
    return out


def put_all(dav: DAV, parts: dict[str, bytes], expect: int) -> None:
    for uid, data in parts.items():
        status, body = dav.request("PUT", COLLECTION + quote(uid, safe="") + ".ics", data,
                                   Content_Type="text/calendar; charset=utf-8")
        assert status == expect, (uid, status, body)


def same(sent: icalendar.Component, got: icalendar.Component) -> None:
    for prop in ("UID", "SUMMARY", "DESCRIPTION", "STATUS", "DTSTAMP", "CATEGORIES", "RRULE"):
        assert (prop in sent) == (prop in got), prop
        if prop in sent:
            assert got[prop].to_ical() == sent[prop].to_ical(), prop
    for prop in ("DUE", "DTSTART", "DTEND"):
        assert (prop in sent) == (prop in got), prop
        if prop in sent:
            assert got[prop].dt == sent[prop].dt and type(got[prop].dt) is type(sent[prop].dt), prop


def test_radicale_accepts_the_exported_tasks(radicale: DAV, tmp_path: Path):
    store = Store(tmp_path / "x.db")
    assert {o.status for o in ingest_paths(store, [CORPUS / n for n in DOCS])} == {"stored"}
    rows = list_tasks(store, today=dt.date(2024, 8, 28))
    set_status(store, rows[0]["id"], "done", note="đã xong")
    set_status(store, rows[1]["id"], "in_progress")
    rows = list_tasks(store, today=dt.date(2024, 8, 28))
    assert any(r["deadline_time"] for r in rows) and any(r["recurrence"] for r in rows)

    status, body = radicale.request("MKCALENDAR", COLLECTION, MKCALENDAR, Content_Type="application/xml")
    assert status == 201, body

    parts = split_calendar(export_tasks(rows, "ics", events=True))
    uids = {task_uid(r) for r in rows}
    assert uids < set(parts)
    put_all(radicale, parts, expect=201)

    # the server parsed them: it finds every to-do and every event by component
    todos = query(radicale, "VTODO")
    assert len(todos) == len(rows)
    events = query(radicale, "VEVENT")
    assert len(events) == len(parts) - len(rows)

    for uid, data in parts.items():
        status, body = radicale.request("GET", COLLECTION + quote(uid, safe="") + ".ics")
        assert status == 200, (uid, body)
        [sent] = [c for c in icalendar.Calendar.from_ical(data).subcomponents if c.name in ("VTODO", "VEVENT")]
        [got] = [c for c in icalendar.Calendar.from_ical(body).subcomponents if c.name in ("VTODO", "VEVENT")]
        same(sent, got)
        if b"TZID=" in data:  # the time zone travels with the object
            assert b"BEGIN:VTIMEZONE" in body and b"TZID:Asia/Ho_Chi_Minh" in body

    got = {str(c["UID"]): c for d in todos.values() for c in icalendar.Calendar.from_ical(d).walk("VTODO")}
    assert set(got) == uids
    assert str(got[task_uid(rows[0])]["STATUS"]) == "COMPLETED"
    assert str(got[task_uid(rows[1])]["STATUS"]) == "IN-PROCESS"
    timed = next(r for r in rows if r["deadline_time"])
    due = got[task_uid(timed)]["DUE"].dt
    assert due.utcoffset() == dt.timedelta(hours=7) and f"{due:%H:%M}" == timed["deadline_time"]

    # a re-export after a change updates the same resources: nothing is duplicated
    set_status(store, rows[2]["id"], "cancelled")
    again = split_calendar(export_tasks(list_tasks(store, today=dt.date(2024, 8, 28)), "ics", events=True))
    assert set(again) == set(parts)
    put_all(radicale, again, expect=204)
    todos = query(radicale, "VTODO")
    assert len(todos) == len(rows)
    got = {str(c["UID"]): c for d in todos.values() for c in icalendar.Calendar.from_ical(d).walk("VTODO")}
    assert str(got[task_uid(rows[2])]["STATUS"]) == "CANCELLED"
