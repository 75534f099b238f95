"""The web interface end to end: real headless Chromium (Playwright) against a real uvicorn server.

One server on a free port of 127.0.0.1 serves a small store (a citing dispatch and a few others)
and runs the inbox watcher. The tests follow an archivist's day, in order, on that one store:
upload a scanned dispatch and see it stored, drop a file on the page, search without diacritics,
click a field to see where it came from, follow a citation and come back through "cited by",
correct a field and re-extract, mark a task done and export the board as ICS. They save
screenshots of the main pages into ``docs/screenshots/`` (shown in the README).

Needs Debian's ``chromium`` (packages.apt) and the ``playwright`` package (test extra).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file, supported_suffixes
from pipeline.store import Store
from pipeline.web import WebConfig, create_app

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (see packages.apt)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHOTS = ROOT / "docs" / "screenshots"
TODAY = dt.date(2022, 7, 20)  # 2035/SYT-NVY has tasks due on 22/07 and 25/07/2022
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
PRELOADED = ["seed_004.txt", "101_nghean-syt-sot-xuat-huyet.txt", "103_quangninh-stc-du-toan-2024.txt",
             "205_kh_longan_cchc_2024.txt", "302_vpcp-du-lieu-dan-cu-tthc.txt", "308_btc-hoa-toc-giai-ngan-dau-tu-cong.txt"]
CITED = "301_bnv-dieu-tra-xhh-par-index"  # cited by seed_004 as 385/BNV-CCHC; uploaded during the tests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "congvan.db"
    store = Store(db)
    ids = {}
    for name in PRELOADED:
        o = ingest_file(store, CORPUS / name)
        assert o.status == "stored", o.reason
        ids[name] = o.doc_id
    store.db.close()
    port = free_port()
    cfg = WebConfig(db, port=port, watch=True, workers=0, settle=0.2, today=TODAY)
    srv = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < end and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "db": db, "ids": ids, "folder": folder}
    srv.should_exit = True
    thread.join(20)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=LAPTOP, base_url=server["url"], accept_downloads=True, locale="vi-VN")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert not errors, errors  # no JavaScript errors, no CSP violations


def shot(pg, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def doc_id_of(server, symbol: str) -> int | None:
    row = Store(server["db"]).db.execute("SELECT id FROM documents WHERE symbol = ?", [symbol]).fetchone()
    return row[0] if row else None


def cited_document(server) -> int:
    """The id of 385/BNV-CCHC: uploaded by the first test; ingested from text when run alone."""
    doc = doc_id_of(server, "BNV-CCHC")
    if doc is None:
        o = ingest_file(Store(server["db"]), CORPUS / f"{CITED}.txt")
        doc = o.doc_id
    return doc


def expect(locator):
    return playwright_api.expect(locator)


# --- the tests, in the order of a day at the archive --------------------------------------------------------


def test_upload_a_scanned_dispatch_and_see_it_stored(page, server, tmp_path):
    if {".png", ".pdf"} <= supported_suffixes() and shutil.which("tesseract"):
        sys.path.insert(0, str(ROOT / "tests"))
        from render import load, parse, render_scan

        upload = render_scan(parse(*load(CITED)), tmp_path / "Công văn 385 (bản quét).png", dpi=200, seed=3)
    else:  # no OCR on this machine: the same dispatch as text
        upload = tmp_path / "Công văn 385.txt"
        shutil.copy(CORPUS / f"{CITED}.txt", upload)
    page.goto("/inbox")
    expect(page.get_by_role("heading", name="Tiếp nhận văn bản")).to_be_visible()
    page.set_input_files("#files", str(upload))
    page.get_by_role("button", name="Gửi lên").click()
    expect(page.locator("li.ok")).to_contain_text("Đã nhận")
    # the page refreshes its lists by itself while a file is being read (OCR takes a few seconds)
    stored = page.locator("#inbox-lists .files.done a", has_text="385/BNV-CCHC")
    expect(stored).to_be_visible(timeout=90_000)
    stored.click()
    expect(page.locator("h1")).to_contain_text("385/BNV-CCHC")
    if upload.suffix == ".png":
        expect(page.get_by_role("tab", name="Bản gốc (1 trang)")).to_be_visible()
        img = page.locator(".pages img").first
        expect(img).to_be_visible()
        assert img.evaluate("i => i.decode().then(() => i.naturalWidth)") > 500  # waits for the page image
        shot(page, "document-scan")


def test_drop_a_file_on_the_inbox_page(page, server):
    page.goto("/inbox")
    text = (CORPUS / "104_cantho-stp-ho-tich.txt").read_text(encoding="utf-8")
    page.evaluate(
        """(text) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], "Công văn hộ tịch.txt", {type: "text/plain"}));
            const zone = document.getElementById("dropzone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""",
        text,
    )
    expect(page.locator("#upload-progress li.ok")).to_contain_text("Đã nhận Công văn hộ tịch.txt")
    expect(page.locator("#inbox-lists .files.done a", has_text="05/STP-HCTP")).to_be_visible(timeout=30_000)
    shot(page, "inbox")


def test_search_without_diacritics_and_open_the_hit(page, server):
    page.goto("/search?q=cai+cach+hanh+chinh")
    expect(page.locator(".hit").first).to_be_visible()
    shot(page, "search")
    page.goto("/")
    shot(page, "home")
    page.locator(".bigsearch input[name=q]").fill("sot xuat huyet")
    page.locator(".bigsearch input[name=q]").press("Enter")
    expect(page).to_have_url(f"{server['url']}/search?q=sot+xuat+huyet")
    first = page.locator(".hit").first
    expect(first.locator("mark").first).to_have_text("sốt", ignore_case=True)
    expect(page.locator(".facets")).to_contain_text("Loại văn bản")
    first.locator("a.title").click()
    expect(page.locator("h1")).to_contain_text("2035/SYT-NVY")


def test_click_a_field_and_see_its_span_highlighted(page, server):
    doc = doc_id_of(server, "SYT-NVY")
    page.goto(f"/documents/{doc}")
    assert not page.locator(".doctext .hl").count()
    field = page.locator('[id="f-subject"] .span-link')
    value = field.inner_text()
    field.click()
    lit = page.locator(".doctext .hl")
    expect(lit.first).to_be_in_viewport()
    assert " ".join("".join(lit.all_inner_texts()).split()) == value
    assert "hl=" in page.url  # bookmarkable: the same highlight without JavaScript
    page.locator('[id="f-date"] .span-link').click()
    assert "ngày 12 tháng 7 năm 2022" in " ".join("".join(page.locator(".doctext .hl").all_inner_texts()).split())
    page.locator('[id="f-subject"] .span-link').click()
    shot(page, "document")
    page.set_viewport_size(TABLET)
    page.reload()
    shot(page, "document-tablet")


def test_follow_a_reference_and_come_back_through_cited_by(page, server):
    cited = cited_document(server)
    citing = server["ids"]["seed_004.txt"]
    page.goto(f"/documents/{citing}")
    refs = page.locator("#references")
    expect(refs).to_contain_text("chưa có trong kho lưu trữ")  # the cited documents not held
    refs.locator(f'a.ref-target[href="/documents/{cited}"]').click()
    expect(page).to_have_url(f"{server['url']}/documents/{cited}")
    expect(page.locator("h1")).to_contain_text("385/BNV-CCHC")
    back = page.locator("#cited-by").get_by_role("link").first
    expect(back).to_have_attribute("href", f"/documents/{citing}")
    back.click()
    expect(page).to_have_url(f"{server['url']}/documents/{citing}")


def test_correct_a_field_and_keep_it_through_reextraction_and_reingest(page, server):
    doc = doc_id_of(server, "STC-QLNS")
    page.goto(f"/documents/{doc}")
    row = page.locator('[id="f-subject"]')
    original = row.locator(".span-link").inner_text()
    row.locator("summary", has_text="Sửa").click()
    row.locator("textarea[name=value]").fill("hướng dẫn lập dự toán ngân sách năm 2024 (đã hiệu đính)")
    row.locator("input[name=who]").fill("Văn thư Lan")
    row.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_have_text("Đã lưu chỉnh sửa.")
    row = page.locator('[id="f-subject"]')
    expect(row.locator(".span-link")).to_have_text("hướng dẫn lập dự toán ngân sách năm 2024 (đã hiệu đính)")
    expect(row.locator(".original del")).to_have_text(" ".join(original.split()))
    expect(row.locator(".original")).to_contain_text("Văn thư Lan")
    page.get_by_role("button", name="Trích xuất lại").click()
    expect(page.locator(".flash")).to_contain_text("Đã trích xuất lại")
    expect(page.locator('[id="f-subject"] .span-link')).to_have_text("hướng dẫn lập dự toán ngân sách năm 2024 (đã hiệu đính)")
    # the same file through the inbox again: recognised as this document, the correction still there
    page.goto("/inbox")
    page.set_input_files("#files", str(CORPUS / "103_quangninh-stc-du-toan-2024.txt"))
    page.get_by_role("button", name="Gửi lên").click()
    expect(page.locator("#inbox-lists")).to_contain_text("Trùng với văn bản đã có", timeout=30_000)
    page.goto(f"/documents/{doc}")
    expect(page.locator('[id="f-subject"] .span-link')).to_have_text("hướng dẫn lập dự toán ngân sách năm 2024 (đã hiệu đính)")
    expect(page.locator("#history")).to_contain_text("Văn thư Lan")


def test_mark_a_task_done_and_export_the_board_as_ics(page, server):
    page.goto("/tasks")
    week = page.locator("#g-week")
    expect(week.locator(".taskcard").first).to_be_visible()
    shot(page, "tasks")
    card = week.locator(".taskcard").first
    task_id = card.get_attribute("id")
    card.locator("select[name=status]").select_option("done")
    card.locator("input[name=note]").fill("Đã gửi báo cáo qua hệ thống")
    card.get_by_role("button", name="Cập nhật").click()
    expect(page.locator(".flash")).to_have_text("Đã cập nhật trạng thái công việc.")
    expect(page.locator(f'[id="{task_id}"]')).to_have_count(0)  # the default view lists what is not done
    page.locator("form.filters select[name=status]").select_option("done")
    page.get_by_role("button", name="Lọc").click()
    done = page.locator(f'[id="{task_id}"]')
    expect(done.locator(".status")).to_have_text("Đã hoàn thành")
    expect(done).to_contain_text("Đã gửi báo cáo qua hệ thống")
    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất lịch (ICS)").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    ics = Path(download.path()).read_text(encoding="utf-8").replace("\r\n ", "")
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VTODO") == 1
    assert "STATUS:COMPLETED" in ics and "Đã gửi báo cáo qua hệ thống" in ics
    assert f"X-CONGVAN-TASK-ID:{task_id.removeprefix('t-')}" in ics
