"""Scans made from corpus documents (turned, blurred, speckled, JPEG'd) read by Tesseract (vie)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render import field_errors, load, rasterize, render_pdf, render_scan

from extractors.extract import extract
from pipeline.ocr import measure_skew, ocr_image
from pipeline.readers import ReadError, read_file
from pipeline.searchable_pdf import make_searchable_pdf

ONE_PAGE = "110_gialai-snnmt-thong-ke-dat-dai-2025"
INVITATION = "408_gm-ubnd-xa-phat-tich-ntm"


@pytest.fixture(scope="module")
def scan_png(tmp_path_factory) -> Path:
    """A 300-dpi copier scan of a one-page dispatch, turned 1.5°."""
    return render_scan(ONE_PAGE, tmp_path_factory.mktemp("scan") / "cv 215 – Sở NN&MT.png", dpi=300, angle=1.5, seed=1)


@pytest.fixture(scope="module")
def scan_read(scan_png):
    return read_file(scan_png)


def test_scan_fields_match_gold(scan_read):
    r = scan_read
    assert r.media_type == "image/png"
    [page] = r.pages
    assert page.method == "ocr" and page.ocr_confidence > 85
    assert (page.start, page.end) == (0, len(r.text))
    assert field_errors(extract(r.text), load(ONE_PAGE)[1]) == []


def test_scan_header_is_read_column_by_column(scan_read):
    lines = scan_read.text.splitlines()
    assert lines[0] == "UBND TỈNH GIA LAI"
    assert lines.index("V/v thực hiện thống kê đất đai năm 2025") < lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert lines.index("Nơi nhận:") < lines.index("KT. GIÁM ĐỐC")


def test_skew_is_measured():
    page = rasterize(render_pdf(INVITATION, Path(_tmp()) / "gm.pdf"), dpi=100)[0]
    for angle in (-2.0, 0.0, 1.3):
        assert measure_skew(page.rotate(angle, fillcolor=255)) == pytest.approx(angle, abs=0.15)


def _tmp() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="congvan-test-")


def test_multipage_tiff_and_jpeg(tmp_path):
    """A two-frame TIFF (two small crops) gives two pages; a JPEG with no dpi is read too."""
    from PIL import Image

    page = rasterize(render_pdf(INVITATION, tmp_path / "gm.pdf"), dpi=200)[0]
    top = page.crop((0, 0, page.width, page.height // 4))
    bottom = page.crop((0, page.height // 4, page.width, page.height // 2))
    tif = tmp_path / "two frames.tif"
    top.save(tif, save_all=True, append_images=[bottom], dpi=(200, 200))
    r = read_file(tif)
    assert [p.number for p in r.pages] == [1, 2]
    assert all(p.method == "ocr" and p.ocr_confidence > 80 for p in r.pages)
    assert "UBND XÃ PHẬT TÍCH" in r.text[r.pages[0].start : r.pages[0].end]
    jpg = tmp_path / "photo.jpg"
    Image.open(tif).convert("RGB").save(jpg, quality=85)  # no dpi recorded
    assert "PHẬT TÍCH" in read_file(jpg).text


def test_image_with_no_text(tmp_path):
    from PIL import Image, ImageDraw

    img = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(img).ellipse((300, 400, 900, 1000), outline=0, width=6)  # a seal-like circle, no text
    path = tmp_path / "blank.png"
    img.save(path, dpi=(150, 150))
    with pytest.raises(ReadError, match="no text found"):
        read_file(path)


def test_not_an_image(tmp_path):
    path = tmp_path / "fake.jpg"
    path.write_bytes(b"<html>not an image</html>")
    with pytest.raises(ReadError, match="not a readable image"):
        read_file(path)


def test_truncated_image(tmp_path, scan_png):
    path = tmp_path / "cut.png"
    path.write_bytes(scan_png.read_bytes()[:5000])
    with pytest.raises(ReadError):
        read_file(path)


def test_image_only_pdf(tmp_path):
    path = render_scan(INVITATION, tmp_path / "scan.pdf", dpi=200, angle=-1.2, seed=2)
    r = read_file(path)
    assert [p.method for p in r.pages] == ["ocr"]
    assert field_errors(extract(r.text), load(INVITATION)[1], ("issuer", "number", "symbol", "date", "signer")) == []


def test_searchable_pdf_of_a_scan(tmp_path, scan_png):
    import pdfplumber

    out = make_searchable_pdf(scan_png, tmp_path / "searchable.pdf")
    with pdfplumber.open(out) as pdf:
        assert len(pdf.pages) == 1
        text = pdf.pages[0].extract_text()
        assert abs(pdf.pages[0].width - 595) < 3  # A4 at the scan's 300 dpi
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    # and the copy reads back through the PDF reader's text layer, without OCR
    r = read_file(out)
    assert [p.method for p in r.pages] == ["pdf-text"]


def _no_second_ocr(monkeypatch):
    import pipeline.searchable_pdf as sp

    def refuse(job):
        raise AssertionError("the page was OCR'd a second time")

    monkeypatch.setattr(sp, "_ocr_to_pdf", refuse)


def test_searchable_pdf_reuses_the_readers_text_layer(tmp_path, scan_png, scan_read, monkeypatch):
    """The ingest path: the reader's OCR leaves a text layer per page; the copy lays it over the
    original image instead of running tesseract again."""
    import pdfplumber

    assert set(scan_read.text_layers) == {0} and scan_read.text_layers[0].startswith(b"%PDF")
    _no_second_ocr(monkeypatch)
    out = make_searchable_pdf(scan_png, tmp_path / "copy.pdf", text_layers=scan_read.text_layers)
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[0]
        text = page.extract_text()
        assert abs(page.width - 595) < 3 and abs(page.height - 842) < 3
        [img] = page.images
        assert abs(img["width"] - page.width) < 3  # the page is the scan, full size
        words = page.extract_words()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "215/SNNMT-QLĐĐ" in text.replace(" ", "")
    # the words sit where they are on the scan: the motto in the top right quarter
    cong = next(w for w in words if w["text"] == "CỘNG")
    assert cong["x0"] > 595 * 0.4 and cong["top"] < 842 * 0.15


def test_searchable_pdf_of_an_image_only_pdf_without_second_ocr(tmp_path, monkeypatch):
    import pdfplumber

    path = render_scan(INVITATION, tmp_path / "scan.pdf", dpi=200, angle=-1.2, seed=2)
    r = read_file(path)
    assert set(r.text_layers) == {0}
    _no_second_ocr(monkeypatch)
    out = make_searchable_pdf(path, tmp_path / "copy.pdf", text_layers=r.text_layers)
    with pdfplumber.open(out) as pdf, pdfplumber.open(path) as orig:
        assert (pdf.pages[0].width, pdf.pages[0].height) == (orig.pages[0].width, orig.pages[0].height)
        assert "GIẤY MỜI" in pdf.pages[0].extract_text()


def test_searchable_pdf_keeps_born_digital_pdf(tmp_path):
    born = render_pdf(INVITATION, tmp_path / "born.pdf")
    out = make_searchable_pdf(born, tmp_path / "copy.pdf")
    assert out.read_bytes() == born.read_bytes()


def test_upside_down_scan_is_turned(tmp_path):
    from PIL import Image

    path = render_scan(INVITATION, tmp_path / "ud.png", dpi=200, angle=0.8, seed=4)
    Image.open(path).rotate(180).save(path, dpi=(200, 200))
    r = read_file(path)
    assert any("turned 180°" in w for w in r.warnings)
    assert field_errors(extract(r.text), load(INVITATION)[1], ("number", "symbol", "date")) == []


@pytest.mark.slow
def test_sideways_scan_is_turned(tmp_path):
    from PIL import Image

    path = render_scan(INVITATION, tmp_path / "side.png", dpi=200, angle=0.0, seed=5)
    Image.open(path).rotate(90, expand=True).save(path, dpi=(200, 200))
    page = ocr_image(Image.open(path), 200)
    assert page.rotation in (90, 270) and page.confidence > 85


@pytest.mark.slow
def test_two_page_scan_at_300_dpi(tmp_path):
    name = "101_nghean-syt-sot-xuat-huyet"
    r = read_file(render_scan(name, tmp_path / "scan.tif", dpi=300, seed=6))
    assert len(r.pages) == 2
    assert field_errors(extract(r.text), load(name)[1], ("issuer", "number", "symbol", "date", "recipients", "signer")) == []
