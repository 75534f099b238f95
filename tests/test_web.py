"""The web interface in-process (Starlette TestClient) on a small real store built from corpus documents.

Pages and API, corrections kept across ``Store.replace`` and re-extraction, the task board and its
exports, the inbox (upload, failure, retry), and the security cases: a document whose text holds
``<script>``, ``../`` in an original's id, forged POSTs, an oversized upload, a non-local bind
without credentials, login, and the Host check.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.cli import main
from pipeline.corrections import active, history
from pipeline.ingest import extract_file, ingest_file, supported_suffixes
from pipeline.store import Store
from pipeline.tracker import list_tasks
from pipeline.web import ConfigError, Credentials, WebConfig, create_app
from pipeline.web.api import DocumentOut, SearchOut, openapi
from pipeline.web.security import hash_secret

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOCS = {
    "syt": "101_nghean-syt-sot-xuat-huyet.txt",  # 2035/SYT-NVY, tasks due 22/7/2022 and 25/7/2022
    "stc": "103_quangninh-stc-du-toan-2024.txt",  # 3152/STC-QLNS
    "bnv": "301_bnv-dieu-tra-xhh-par-index.txt",  # 385/BNV-CCHC, cited by seed_004
    "cites": "seed_004.txt",  # cites 385/BNV-CCHC (and documents not in the archive)
}
TODAY = dt.date(2022, 7, 20)
BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("webstore")
    store = Store(folder / "congvan.db")
    ids = {}
    for key, name in DOCS.items():
        o = ingest_file(store, CORPUS / name)
        assert o.status == "stored", o.reason
        ids[key] = o.doc_id
    store.db.close()
    return folder, ids


@pytest.fixture
def site(template, tmp_path) -> tuple[Path, dict[str, int]]:
    """A private copy of the small store (database and archive)."""
    folder, ids = template
    dest = tmp_path / "site"
    shutil.copytree(folder, dest)
    return dest / "congvan.db", ids


def make_client(db: Path, **kw) -> TestClient:
    kw.setdefault("watch", False)
    kw.setdefault("today", TODAY)
    return TestClient(create_app(WebConfig(db, **kw)), base_url=BASE)


@pytest.fixture
def client(site):
    with make_client(site[0]) as c:
        yield c


def token(client: TestClient) -> str:
    """The CSRF token, as a page's forms carry it."""
    page = client.get("/")
    m = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert m and client.cookies.get("congvan_csrf") == m.group(1)
    return m.group(1)


# --- pages and API -----------------------------------------------------------------------------------


def test_pages_render_in_vietnamese(client, site):
    _, ids = site
    home = client.get("/")
    assert home.status_code == 200 and "văn bản trong kho" in home.text
    assert "22/07/2022" in home.text  # due this week, dd/mm/yyyy
    assert "Công việc đến hạn trong 7 ngày tới" in home.text
    for url, needle in [
        ("/search?q=sot+xuat+huyet", "sốt xuất huyết"),
        (f"/documents/{ids['syt']}", "Trích yếu"),
        ("/tasks", "Bảng công việc"),
        ("/inbox", "Tiếp nhận văn bản"),
    ]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert needle in r.text, url
        assert r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
    doc = client.get(f"/documents/{ids['syt']}").text
    assert "ngày 12/07/2022" in doc and "<script src=\"/static/app.js\" defer></script>" in doc
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/documents/99999").status_code == 404
    assert "Không có văn bản số 99999" in client.get("/documents/99999").text


def test_search_without_diacritics_facets_and_highlight(client, site):
    _, ids = site
    r = client.get("/search", params={"q": "sot xuat huyet"})
    assert f'href="/documents/{ids["syt"]}"' in r.text
    assert "<mark>sốt</mark>" in r.text or "<mark>Sốt</mark>" in r.text
    assert "Loại văn bản" in r.text and "Cơ quan ban hành" in r.text and "Năm" in r.text
    api = SearchOut.model_validate(client.get("/api/search", params={"q": "2035/SYT-NVY"}).json())
    assert api.hits[0].id == ids["syt"]
    facets = {k: {f.value: f.count for f in v} for k, v in api.facets.items()}
    assert facets["year"] == {2022: 1} and facets["type"] == {"Công văn": 1}
    # a facet narrows: every document is a Công văn; only one is from 2022 … and has an overdue task on 20/07?
    everything = SearchOut.model_validate(client.get("/api/search", params={"q": "cong van"}).json())
    by_year = SearchOut.model_validate(client.get("/api/search", params={"q": "cong van", "year": 2023}).json())
    assert 0 < by_year.total < everything.total
    assert all((h.date or "").startswith("2023") for h in by_year.hits)
    overdue = SearchOut.model_validate(client.get("/api/search", params={"q": "cong van", "tasks": "overdue"}).json())
    assert all(h.overdue_tasks for h in overdue.hits)
    assert client.get("/search", params={"q": ""}).status_code == 200  # the prompt, no error


def test_document_page_spans_references_cited_by(client, site):
    _, ids = site
    citing = client.get(f"/documents/{ids['cites']}").text
    assert f'href="/documents/{ids["bnv"]}"' in citing  # resolved reference is a link
    assert "chưa có trong kho lưu trữ" in citing  # the others are marked
    cited = client.get(f"/documents/{ids['bnv']}").text
    block = cited.split('id="cited-by"')[1].split("</div>")[0]
    assert f'href="/documents/{ids["cites"]}"' in block
    # a field's span, highlighted server-side without JavaScript
    doc = DocumentOut.model_validate(client.get(f"/api/documents/{ids['syt']}").json())
    subject = next(f for f in doc.fields if f.path == "subject")
    a, b = subject.span
    page = client.get(f"/documents/{ids['syt']}", params={"hl": f"{a}-{b}"}).text
    lit = "".join(re.findall(r'<span data-s="\d+" data-e="\d+" class="hl"(?: id="hl")?>([^<]*)</span>', page))
    assert " ".join(lit.split()) == subject.value  # the value joins the lines it spans
    assert f'data-span="{a}-{b}"' in page
    assert doc.references and any(r["resolved"] for r in client.get(f"/api/documents/{ids['cites']}").json()["references"])
    assert doc.tasks and doc.record.key == doc.key


def test_original_download_and_pages(client, site):
    _, ids = site
    r = client.get(f"/documents/{ids['syt']}/original")
    assert r.status_code == 200
    assert r.content == (CORPUS / DOCS["syt"]).read_bytes()
    assert r.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/documents/{ids['syt']}/pages/1.png").status_code == 404  # a text original has no page images


def test_openapi_describes_every_api_route(client):
    spec = client.get("/api/openapi.json").json()
    assert spec == json.loads(json.dumps(openapi()))
    schemas = spec["components"]["schemas"]
    assert {"DocumentOut", "SearchOut", "CorrectionIn", "TrackedTask", "Dispatch"} <= set(schemas)
    routes = {(m.lower(), re.sub(r":int", "", r.path)) for r in client.app.routes if isinstance(r, Route)
              for m in (r.methods or ()) if m != "HEAD" and r.path.startswith("/api/")}
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert routes - documented == {("get", "/api/openapi.json")}
    assert documented <= routes


@pytest.mark.parametrize("today", [dt.date(2022, 7, 20), dt.date(2022, 12, 1), dt.date(2023, 3, 20), dt.date(2026, 1, 1)])
def test_home_and_board_agree_with_the_tracker(site, today):
    """The home page and the board count and choose in SQL; they must say what list_tasks says."""
    from pipeline.web import board

    db, ids = site
    store = Store(db)
    from pipeline.tracker import set_status

    set_status(store, list_tasks(store, doc_id=ids["stc"], today=today)[0]["id"], "done")
    pending = list_tasks(store, status=("open", "in_progress"), today=today)
    h = board.home_data(store, today)
    assert (h.open_tasks, h.overdue, h.due_this_week) == (
        len(pending), sum(r["overdue"] for r in pending), sum(r["due_soon"] for r in pending))
    assert [r["id"] for r in h.week] == [r["id"] for r in pending if r["due_soon"]][:12]
    for assignee in (None, "so", "Sở Y tế", "uy ban nhan dan", "50%_x"):
        for status in ("pending", "all", "done", "open", "bogus"):
            b = board.board_page(store, assignee, status, today, limit=1000)
            expected = {g: [] for g in board.GROUPS}
            for r in board.board_rows(store, assignee, b.status, today):
                expected[board.group_of(r, today)].append(r["id"])
            assert {g: [r["id"] for r in rows] for g, rows in b.groups.items()} == expected, (assignee, status)
            assert b.counts == {g: len(v) for g, v in expected.items()}
    small = board.board_page(store, None, "all", today, limit=2)
    assert all(len(v) <= 2 for v in small.groups.values()) and small.total == len(list_tasks(store, today=today))


def test_api_stats_and_tasks(client):
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 4 and stats["due_this_week"] >= 1
    tasks = client.get("/api/tasks", params={"assignee": "so y te"}).json()
    assert isinstance(tasks, list)


# --- corrections -------------------------------------------------------------------------------------


def test_correction_survives_replace_and_reextract(client, site):
    db, ids = site
    doc_id = ids["syt"]
    t = token(client)
    r = client.post(f"/documents/{doc_id}/corrections", data={
        "csrf_token": t, "field": "subject", "value": "phòng, chống sốt xuất huyết (đã sửa)", "who": "Nguyễn Lan"},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/documents/{doc_id}?msg=corrected")
    page = client.get(f"/documents/{doc_id}").text
    assert "phòng, chống sốt xuất huyết (đã sửa)" in page
    assert "<del>tăng cường công tác phòng, chống bệnh sốt xuất huyết Dengue trên địa bàn tỉnh</del>" in page
    assert "Nguyễn Lan" in page and "Lịch sử chỉnh sửa" in page
    # a list item and a date, through the API
    r = client.post(f"/api/documents/{doc_id}/corrections", headers={"X-CSRF-Token": t},
                    json={"field": "date", "value": "13/07/2022", "who": "Lan"})
    assert r.status_code == 201 and r.json()["original"] == "2022-07-12"
    assert client.post(f"/api/documents/{doc_id}/corrections", headers={"X-CSRF-Token": t},
                       json={"field": "date", "value": "31/02/2022"}).status_code == 422
    assert client.post(f"/api/documents/{doc_id}/corrections", headers={"X-CSRF-Token": t},
                       json={"field": "text", "value": "x"}).status_code == 422

    store = Store(db)
    assert store.get(doc_id)["subject"] == "phòng, chống sốt xuất huyết (đã sửa)"
    assert store.get(doc_id)["date"] == "2022-07-13" and store.get(doc_id)["key"] == "2035/SYTNVY@2022"
    # re-extraction by a newer extractor: Store.replace keeps what a person fixed
    store.replace(doc_id, extract_file(CORPUS / DOCS["syt"]))
    row = store.get(doc_id)
    assert row["subject"] == "phòng, chống sốt xuất huyết (đã sửa)" and row["date"] == "2022-07-13"
    hits = client.get("/api/search", params={"q": "da sua"}).json()["hits"]  # the search index follows
    assert [h["id"] for h in hits] == [doc_id]
    # re-extraction from the archived original, from the page
    r = client.post(f"/documents/{doc_id}/reextract", data={"csrf_token": t}, follow_redirects=False)
    assert r.status_code == 303
    api = client.get(f"/api/documents/{doc_id}").json()
    subject = next(f for f in api["fields"] if f["path"] == "subject")
    assert subject["value"] == "phòng, chống sốt xuất huyết (đã sửa)" and subject["corrected"]
    assert subject["original"].startswith("tăng cường công tác")
    assert [c.field for c in history(store, doc_id)] == ["subject", "date"]
    # re-ingesting the same file is recognised as the same document: nothing changes
    assert ingest_file(store, CORPUS / DOCS["syt"]).status == "duplicate"
    assert store.get(doc_id)["subject"] == "phòng, chống sốt xuất huyết (đã sửa)"
    # undo
    r = client.post(f"/documents/{doc_id}/corrections/revert", data={"csrf_token": t, "field": "subject"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert Store(db).get(doc_id)["subject"].startswith("tăng cường công tác")
    assert set(active(Store(db), doc_id)) == {"date"}


def test_correction_of_a_list_item_follows_it_after_reextraction(site):
    db, ids = site
    store = Store(db)
    from pipeline.corrections import correct

    rec = extract_file(CORPUS / DOCS["cites"])
    first = rec.recipients[0].value
    correct(store, ids["cites"], "recipients.0", first + " (sửa)", who="t")
    shifted = rec.model_copy(deep=True)
    shifted.recipients = [shifted.recipients[1], shifted.recipients[0], *shifted.recipients[2:]]
    shifted.text = rec.text
    store.replace(ids["cites"], shifted)  # the extractor now lists that recipient second
    names = [p["name"] for p in store.get(ids["cites"])["parties"] if p["role"] == "recipient"]
    assert names[1] == first + " (sửa)" and names[0] == rec.recipients[1].value


def test_correcting_a_reference_relinks_it(site):
    db, ids = site
    store = Store(db)
    from pipeline.corrections import correct

    doc = store.get(ids["cites"])
    i = next(i for i, r in enumerate(json.loads(doc["record"])["references"]) if r["key"] == "2629/QDUBND@2022")
    stc = store.get(ids["stc"])
    correct(store, ids["cites"], f"references.{i}.number", stc["number"])
    correct(store, ids["cites"], f"references.{i}.symbol", stc["symbol"])
    correct(store, ids["cites"], f"references.{i}.date", "24/07/2023")
    linked = [r["target_id"] for r in store.get(ids["cites"])["refs"]]
    assert ids["stc"] in linked


# --- tasks ---------------------------------------------------------------------------------------------


def test_task_board_status_change_and_exports(client, site):
    db, ids = site
    board = client.get("/tasks").text
    for title in ("Quá hạn", "Trong 7 ngày tới", "Sau đó", "Không có hạn"):
        assert title in board
    task = next(t for t in list_tasks(Store(db), doc_id=ids["syt"], today=TODAY) if t["due"] == "2022-07-22")
    assert f'id="t-{task["id"]}"' in board.split('id="g-week"')[1].split('id="g-later"')[0]
    t = token(client)
    r = client.post(f"/tasks/{task['id']}/status", data={
        "csrf_token": t, "status": "done", "note": "đã gửi báo cáo", "who": "Trần Minh", "next": "/tasks?status=all"},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/tasks?status=all&msg=status")
    row = next(x for x in list_tasks(Store(db), doc_id=ids["syt"], today=TODAY) if x["id"] == task["id"])
    assert (row["status"], row["note"]) == ("done", "đã gửi báo cáo")
    assert f'id="t-{task["id"]}"' not in client.get("/tasks").text  # pending only by default
    ics = client.get("/tasks/export.ics", params={"status": "done"})
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    body = ics.text.replace("\r\n ", "")
    assert body.count("BEGIN:VTODO") == 1 and "STATUS:COMPLETED" in body
    assert f"http://127.0.0.1:8000/documents/{ids['syt']}" in body
    csv = client.get("/tasks/export.csv", params={"assignee": "xyz-nobody"})
    assert csv.content.startswith("\ufeff".encode()) and csv.text.count("\n") == 1  # header only
    js = client.get("/tasks/export.json", params={"status": "all"}).json()
    assert len(js) == len(list_tasks(Store(db), today=TODAY))
    api = client.post(f"/api/tasks/{task['id']}/status", headers={"X-CSRF-Token": t}, json={"status": "in-progress"})
    assert api.status_code == 200 and api.json()["status"] == "in_progress"
    assert client.post(f"/api/tasks/{task['id']}/status", headers={"X-CSRF-Token": t},
                       json={"status": "finished"}).status_code == 422
    assert client.get("/tasks/export.exe").status_code == 404


# --- inbox -----------------------------------------------------------------------------------------------


def wait_for(predicate, timeout: float = 30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_upload_goes_through_the_inbox_and_failures_can_be_retried(site):
    db, _ = site
    with make_client(db, watch=True, workers=0, settle=0.05) as client:
        t = token(client)
        text = (CORPUS / "104_cantho-stp-ho-tich.txt").read_bytes()
        r = client.post("/inbox", data={"csrf_token": t}, files=[("files", ("Công văn hộ tịch.txt", text, "text/plain"))])
        assert r.status_code == 200 and "Đã nhận" in r.text
        done = wait_for(lambda: client.get("/api/inbox").json()["done"])
        assert done[0]["name"] == "Công văn hộ tịch.txt" and done[0]["doc_id"]
        assert client.get(f"/documents/{done[0]['doc_id']}").status_code == 200
        assert "Công văn hộ tịch.txt" in client.get("/inbox").text
        # the same content again: a duplicate, pointing to the stored document
        client.post("/api/inbox", headers={"X-CSRF-Token": t}, files=[("files", ("again.txt", text, "text/plain"))])
        dup = wait_for(lambda: client.get("/api/inbox").json()["duplicates"])
        assert dup[0]["doc_id"] == done[0]["doc_id"]
        # a text that is not a dispatch fails with its reason; retry puts it back
        r = client.post("/api/inbox", headers={"X-CSRF-Token": t},
                        files=[("files", ("ghi chú.txt", "Chỉ là một ghi chú.".encode(), "text/plain"))])
        assert r.status_code == 201
        failed = wait_for(lambda: client.get("/api/inbox").json()["failed"])
        assert failed[0]["name"] == "ghi chú.txt" and "not an administrative document" in failed[0]["reason"]
        assert "Không thấy dấu hiệu của văn bản hành chính" in client.get("/inbox").text
        r = client.post("/inbox/retry", data={"csrf_token": t, "name": "ghi chú.txt"}, follow_redirects=False)
        assert r.status_code == 303
        wait_for(lambda: client.get("/api/inbox").json()["failed"])  # read again, failed again
        assert client.post("/inbox/retry", data={"csrf_token": t, "name": "../congvan.db"}).status_code == 404


def test_upload_type_is_decided_by_content(client, site):
    t = token(client)
    inbox = client.app.state.config.inbox
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256)) * 4
    r = client.post("/api/inbox", headers={"X-CSRF-Token": t}, files=[("files", ("công văn.pdf", exe, "application/pdf"))])
    assert r.status_code == 415 and r.json()["refused"][0]["reason"].startswith("Loại tệp không được nhận")
    assert not [p for p in inbox.iterdir() if p.is_file()]
    if ".pdf" in supported_suffixes():  # a PDF named .txt is kept as what it is
        pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
        r = client.post("/api/inbox", headers={"X-CSRF-Token": t}, files=[("files", ("../../cv.txt", pdf, "text/plain"))])
        assert r.status_code == 201 and r.json()["accepted"][0]["name"] == "cv.pdf"
        assert (inbox / "cv.pdf").read_bytes() == pdf
    r = client.post("/api/inbox", headers={"X-CSRF-Token": t}, files=[("files", ("empty.txt", b"", "text/plain"))])
    assert r.status_code == 422


# --- security --------------------------------------------------------------------------------------------

SCRIPT_DOC = (
    "UBND TỈNH HÀ TĨNH\nSỞ NỘI VỤ\nSố: 77/SNV-VP\nHà Tĩnh, ngày 05 tháng 3 năm 2023\n"
    "V/v <script>alert('xss')</script> kiểm tra\n\nKính gửi: <img src=x onerror=alert(1)>\n\n"
    "Đề nghị các đơn vị gửi báo cáo <script>document.cookie</script> trước ngày 10/3/2023.\n"
)


def test_document_text_with_script_renders_as_text(client, site, tmp_path):
    db, _ = site
    f = tmp_path / "xss.txt"
    f.write_text(SCRIPT_DOC, encoding="utf-8")
    o = ingest_file(Store(db), f)
    assert o.status == "stored", o.reason
    for url in (f"/documents/{o.doc_id}", "/search?q=kiem+tra+alert", "/", "/tasks?status=all"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<script>document" not in page and "<img src=x" not in page, url
    page = client.get(f"/documents/{o.doc_id}").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    search = client.get("/search", params={"q": "<script>alert"}).text
    assert "<script>alert" not in search


@pytest.mark.skipif(".pdf" not in supported_suffixes(), reason="no PDF reader installed")
def test_pdf_with_script_text_renders_as_text(client, site, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from render import parse, render_pdf

    db, _ = site
    pdf = render_pdf(parse(SCRIPT_DOC, {}), tmp_path / "xss.pdf")
    o = ingest_file(Store(db), pdf)
    assert o.status == "stored", o.reason
    page = client.get(f"/documents/{o.doc_id}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert client.get(f"/documents/{o.doc_id}/pages/1.png").headers["content-type"] == "image/png"


@pytest.mark.parametrize("path", [
    "/documents/..%2F..%2Fetc%2Fpasswd/original", "/documents/../../etc/passwd", "/documents/1%2F..%2F..%2F/original",
    "/documents/..%2Fcongvan.db/original", "/documents/-1/original", "/documents/1.0/original",
    "/documents/%2e%2e/original", "/documents/1/pages/..%2F..%2Fcongvan.db", "/static/..%2F..%2Fapp.py",
])
def test_originals_only_by_id(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404), path
    assert b"SQLite format" not in r.content and b"root:" not in r.content


def test_original_outside_the_archive_is_refused(client, site):
    db, ids = site
    Store(db).db.execute("UPDATE documents SET original = '../../../etc/hostname' WHERE id = ?", [ids["syt"]])
    assert client.get(f"/documents/{ids['syt']}/original").status_code == 404


def test_every_post_needs_the_csrf_token(client, site):
    db, ids = site
    before = Store(db).get(ids["syt"])["subject"]
    posts = [r.path for r in client.app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    assert len(posts) >= 12
    token(client)  # the cookie is there; a forged request cannot send it back
    for path in posts:
        url = path.replace("{doc_id:int}", str(ids["syt"])).replace("{task_id:int}", "1")
        for kwargs in ({"data": {"field": "subject", "value": "forged"}},
                       {"data": {"csrf_token": "forged.value", "field": "subject", "value": "forged"}},
                       {"json": {"field": "subject", "value": "forged"}},
                       {"json": {"field": "subject", "value": "forged"}, "headers": {"X-CSRF-Token": "x.y"}}):
            r = client.post(url, follow_redirects=False, **kwargs)
            assert r.status_code == 403, (url, kwargs, r.status_code)
    # a token signed with another server's secret, sent back in both places, is refused too
    other = TestClient(create_app(WebConfig(db, watch=False, secret=b"another secret")), base_url=BASE)
    foreign = token(other)
    client.cookies.set("congvan_csrf", foreign)
    r = client.post(f"/documents/{ids['syt']}/corrections", data={"csrf_token": foreign, "field": "subject", "value": "x"})
    assert r.status_code == 403
    assert Store(db).get(ids["syt"])["subject"] == before
    assert not Store(db).db["corrections"].exists() or not history(Store(db), ids["syt"])


def test_oversized_upload_is_refused(site):
    db, _ = site
    with make_client(db, max_upload=1024 * 1024) as client:
        t = token(client)
        big = b"A" * (2 * 1024 * 1024)
        r = client.post("/inbox", data={"csrf_token": t}, files=[("files", ("big.txt", big, "text/plain"))])
        assert r.status_code == 413 and "quá lớn" in r.text
        r = client.post("/api/inbox", headers={"X-CSRF-Token": t}, files=[("files", ("big.txt", big, "text/plain"))])
        assert r.status_code == 413
        # just under the request limit but over the file limit: refused by the upload check
        r = client.post("/api/inbox", headers={"X-CSRF-Token": t},
                        files=[("files", ("b.txt", b"A" * (1024 * 1024 + 10), "text/plain"))])
        assert r.status_code == 413
        # a body sent without Content-Length (chunked) is counted as it arrives
        def chunks():
            for _ in range(40):
                yield b"x" * 65536
        r = client.post("/api/inbox", headers={"X-CSRF-Token": t, "content-type": "multipart/form-data; boundary=b"},
                        content=chunks())
        assert r.status_code == 413
        inbox = client.app.state.config.inbox
        assert not [p for p in inbox.rglob("*") if p.is_file()]


def test_non_local_bind_needs_credentials(site, tmp_path):
    db, _ = site
    for host in ("0.0.0.0", "192.168.1.20", "::", "congvan.example"):
        with pytest.raises(ConfigError, match="without credentials"):
            create_app(WebConfig(db, host=host, watch=False))
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2 and "without credentials" in result.output
    # credentials must be stored hashed
    plain = tmp_path / "plain"
    plain.write_text("s3cret\n")
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--host", "0.0.0.0", "--token-file", str(plain)])
    assert result.exit_code != 0 and "hashed" in result.output


def test_login_with_a_hashed_token(site, tmp_path):
    db, ids = site
    made = CliRunner().invoke(main, ["serve", "--make-token", str(tmp_path / "token")])
    shared = made.output.strip().splitlines()[-1]
    stored = (tmp_path / "token").read_text()
    assert shared not in stored and stored.startswith("pbkdf2_sha256$")
    creds = Credentials.load(tmp_path / "token")
    creds.accounts["lan"] = hash_secret("mật khẩu", iterations=1000)
    with make_client(db, host="0.0.0.0", credentials=creds) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        assert client.get("/api/stats").status_code == 401
        assert client.get(f"/documents/{ids['syt']}/original", follow_redirects=False).status_code == 303
        login = client.get("/login")
        t = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        assert client.post("/login", data={"csrf_token": t, "secret": "wrong"}).status_code == 401
        assert client.post("/login", data={"secret": shared}, follow_redirects=False).status_code == 403  # no token
        r = client.post("/login", data={"csrf_token": t, "secret": shared}, follow_redirects=False)
        assert r.status_code == 303 and "congvan_session" in r.headers["set-cookie"]
        assert "HttpOnly" in r.headers["set-cookie"]
        assert client.get("/").status_code == 200 and "Đăng xuất" in client.get("/").text
        t2 = token(client)  # a new CSRF token, bound to the session
        assert t2 != t
        r = client.post(f"/api/documents/{ids['syt']}/corrections", headers={"X-CSRF-Token": t2},
                        json={"field": "place", "value": "Nghệ An", "who": "someone else"})
        assert r.status_code in (200, 201)
    with make_client(db, host="0.0.0.0", credentials=creds) as api:
        assert api.get("/api/stats", headers={"Authorization": f"Bearer {shared}"}).status_code == 200
        assert api.get("/api/stats", headers={"Authorization": "Bearer nope"}).status_code == 401
        r = api.post("/api/tasks/1/status", headers={"Authorization": f"Bearer {shared}"}, json={"status": "open"})
        assert r.status_code in (200, 404)
        login = api.get("/login")
        t = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        r = api.post("/login", data={"csrf_token": t, "name": "lan", "secret": "mật khẩu"}, follow_redirects=False)
        assert r.status_code == 303
        r = api.post(f"/api/documents/{ids['syt']}/corrections", headers={"X-CSRF-Token": token(api)},
                     json={"field": "place", "value": "Vinh", "who": "impostor"})
        assert r.json()["who"] == "lan"  # the account, not what the request claims


def test_host_header_is_checked_without_login(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200


def test_every_response_has_security_headers(client):
    r = client.get("/")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    cookie = r.headers["set-cookie"]
    assert "congvan_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "<script>" not in r.text.replace('<script src="/static/app.js" defer></script>', "")  # no inline script


def test_serve_help_and_cli_registration():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--token-file" in result.output and "127.0.0.1" in result.output


def test_who_cookie_is_ascii_safe(client, site):
    _, ids = site
    t = token(client)
    r = client.post(f"/documents/{ids['stc']}/corrections", data={
        "csrf_token": t, "field": "place", "value": "Hạ Long", "who": "Đỗ Thị Hà"}, follow_redirects=False)
    assert r.status_code == 303
    assert 'value="Đỗ Thị Hà"' in client.get(f"/documents/{ids['stc']}").text
