"""Born-digital PDFs rendered from corpus documents, read back and extracted; bad PDFs refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from render import field_errors, legacy_pdf, load, rename_fonts, render_pdf, render_scan

from extractors.extract import extract
from pipeline.ingest import extract_file
from pipeline.readers import ReadError, read_file

TWO_PAGES = "101_nghean-syt-sot-xuat-huyet"  # interleaved header in the corpus text, KHẨN, 2 pages
FOOTNOTES = "102_danang-stttt-chi-so-dti"  # footnotes ¹ ² at the page foot
DECISION = "201_qd_quangnam_kiemtra_cchc"  # QĐ with a centred title, header given as a pipe table
PARTY = "403_cv-btgtu-quang-ngai-dien-bien-phu"  # Party style: Số 512-CV/BTGTU, ĐẢNG CỘNG SẢN VIỆT NAM
FOOTER = "Sở Y tế Nghệ An - Văn bản điện tử"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pdf")
    out = {name: render_pdf(name, d / f"{name}.pdf") for name in (FOOTNOTES, DECISION, PARTY)}
    out[TWO_PAGES] = render_pdf(TWO_PAGES, d / f"{TWO_PAGES}.pdf", footer=FOOTER)
    return out


@pytest.mark.parametrize("name", [TWO_PAGES, FOOTNOTES, DECISION, PARTY])
def test_fields_match_gold(pdfs, name):
    r = read_file(pdfs[name])
    assert r.media_type == "application/pdf"
    assert {p.method for p in r.pages} == {"pdf-text"}
    gold = load(name)[1]
    assert field_errors(extract(r.text), gold, ("issuer", "number", "symbol", "date", "subject", "recipients", "signer", "distribution")) == []


def test_header_columns_come_out_one_after_the_other(pdfs):
    text = read_file(pdfs[TWO_PAGES]).text
    lines = text.splitlines()
    # left column (bodies, Số, V/v) first, then the right column (motto, place and date)
    assert lines[:3] == ["UBND TỈNH NGHỆ AN", "SỞ Y TẾ", "Số: 2035/SYT-NVY"]
    assert lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") > lines.index("Số: 2035/SYT-NVY")
    assert lines.index("Nghệ An, ngày 12 tháng 7 năm 2022") < lines.index("KHẨN") < lines.index("Kính gửi:")
    # closing block: the distribution list, then the signer
    assert lines.index("Nơi nhận:") < lines.index("- Lưu: VT, NVY.") < lines.index("KT. GIÁM ĐỐC") < lines.index("Trần Đình Khang")


def test_pages_running_footer_and_page_number(pdfs):
    r = read_file(pdfs[TWO_PAGES])
    assert [p.number for p in r.pages] == [1, 2]
    p1, p2 = r.pages
    assert p1.start == 0 and p1.end < p2.start and p2.end == len(r.text)
    assert "Kính gửi" in r.text[p1.start : p1.end] and "Trần Đình Khang" in r.text[p2.start : p2.end]
    assert r.page_of(r.text.index("Trần Đình Khang")) == 2
    assert FOOTER not in r.text  # repeated on both pages: a running footer
    assert "\n2\n" not in r.text and not r.text.startswith("2\n")  # page number of page 2
    # a paragraph cut by the page break is read as one paragraph
    assert "phòng chống lây nhiễm chéo trong bệnh vi" in r.text


def test_footnotes_follow_the_body_text_of_their_page(pdfs):
    r = read_file(pdfs[FOOTNOTES])
    text = r.text
    note = text.index("¹ Quyết định số 922/QĐ-BTTTT")
    assert text.index("² Năm 2022") > note
    page = r.page_of(note)
    body_of_page = text[r.pages[page - 1].start : note]
    assert "Kính gửi" in body_of_page or page > 1
    # the marker in the body is a superscript, as printed
    assert "¹" in text[:note]
    refs = {x.key for x in extract(text).references}
    assert any(k.startswith("922/QDBTTTT") for k in refs)


def test_legacy_vntime_pdf_is_converted(tmp_path):
    name = "110_gialai-snnmt-thong-ke-dat-dai-2025"
    path = legacy_pdf(name, tmp_path / "vntime.pdf")
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        fonts = {c["fontname"] for c in pdf.pages[0].chars}
        raw = pdf.pages[0].extract_text()
    assert fonts <= {"ABCDEF+.VnTime", "ABCDEF+.VnTime,Bold", "ABCDEF+.VnTime,Italic"}
    assert "Céng hßa" in raw.replace("CéNG HßA", "Céng hßa") or "CéNG HßA" in raw
    r = read_file(path)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in r.text and "Kính gửi" in r.text
    assert field_errors(extract(r.text), load(name)[1]) == []


def test_vntimeh_font_is_read_as_capitals(tmp_path):
    from reportlab.pdfgen import canvas

    src = tmp_path / "h.unicode.pdf"
    c = canvas.Canvas(str(src))
    from render import fonts

    c.setFont(fonts()["b"], 13)
    c.drawString(100, 700, "céng hoµ x· héi chñ nghÜa viÖt nam")
    c.setFont(fonts()[""], 13)
    c.drawString(100, 680, "§éc lËp - Tù do - H¹nh phóc")
    c.save()
    path = rename_fonts(src, tmp_path / "h.pdf", {"Bold": ".VnTimeH", "": ".VnTime"})
    text = read_file(path).text
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text


def test_mixed_pdf_reads_scanned_pages_by_ocr(tmp_path):
    """Page 1 born-digital, page 2 a scan (one OCR page at 200 dpi)."""
    from pypdf import PdfReader, PdfWriter

    born = render_pdf(TWO_PAGES, tmp_path / "born.pdf")
    scan = render_scan(TWO_PAGES, tmp_path / "scan.pdf", dpi=200, angle=1.0, seed=3)
    w = PdfWriter()
    w.add_page(PdfReader(born).pages[0])
    w.add_page(PdfReader(scan).pages[1])
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as f:
        w.write(f)
    r = read_file(mixed)
    assert [p.method for p in r.pages] == ["pdf-text", "ocr"]
    assert r.pages[0].ocr_confidence is None and r.pages[1].ocr_confidence > 80
    assert any("mixed PDF" in x for x in r.warnings)
    d = extract(r.text)
    assert field_errors(d, load(TWO_PAGES)[1], ("number", "symbol", "date", "signer")) == []


# --- bad inputs ---------------------------------------------------------------------------


def test_encrypted_pdf(tmp_path, pdfs):
    from pypdf import PdfWriter

    w = PdfWriter(clone_from=str(pdfs[DECISION]))
    w.encrypt(user_password="mật khẩu", owner_password="owner", algorithm="AES-256")
    path = tmp_path / "khoa.pdf"
    with open(path, "wb") as f:
        w.write(f)
    with pytest.raises(ReadError, match="encrypted PDF: it cannot be opened without a password"):
        read_file(path)


def test_owner_password_only_pdf_is_readable(tmp_path, pdfs):
    from pypdf import PdfWriter

    w = PdfWriter(clone_from=str(pdfs[DECISION]))
    w.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    path = tmp_path / "in-only.pdf"
    with open(path, "wb") as f:
        w.write(f)
    assert "QUYẾT ĐỊNH" in read_file(path).text


def test_truncated_pdf(tmp_path, pdfs):
    data = pdfs[DECISION].read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match="truncated PDF"):
        read_file(path)


def test_damaged_pdf(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x8f garbage \x00" * 200 + b"\n%%EOF\n")
    with pytest.raises(ReadError, match="damaged PDF|PDF has no pages"):
        read_file(path)


def test_not_a_pdf(tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_text("Kính gửi: Sở Nội vụ", encoding="utf-8")
    with pytest.raises(ReadError, match="not a PDF"):
        read_file(path)


def test_zero_byte_pdf(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match="empty file"):
        read_file(path)


def test_pdf_with_no_pages(tmp_path):
    from pypdf import PdfWriter

    path = tmp_path / "nopages.pdf"
    with open(path, "wb") as f:
        PdfWriter().write(f)
    with pytest.raises(ReadError, match="PDF has no pages"):
        read_file(path)


def test_blank_page_pdf_has_no_text(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "blank.pdf"
    c = canvas.Canvas(str(path))
    c.showPage()
    c.save()
    with pytest.raises(ReadError, match="no text found"):
        read_file(path)


def test_vietnamese_file_name_with_spaces(tmp_path, pdfs):
    path = tmp_path / "Công văn số 2035 – Sở Y tế (bản chính).pdf"
    path.write_bytes(pdfs[TWO_PAGES].read_bytes())
    d = extract_file(path)
    assert d.symbol.value == "SYT-NVY"
    assert d.source.path == str(path)


@pytest.mark.slow
def test_300_page_pdf(tmp_path, pdfs):
    """A long file is read page by page (about 15 s of CPU), every page accounted for."""
    from pypdf import PdfReader, PdfWriter

    src = PdfReader(str(pdfs[TWO_PAGES]))
    w = PdfWriter()
    for _ in range(150):
        for page in src.pages:
            w.add_page(page)
    path = tmp_path / "300 trang.pdf"
    with open(path, "wb") as f:
        w.write(f)
    r = read_file(path)
    assert len(r.pages) == 300 and all(p.method == "pdf-text" for p in r.pages)
    assert r.text.count("Trần Đình Khang") == 150
