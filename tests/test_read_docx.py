"""Word files built from corpus documents (header and closing as borderless tables) read back."""

from __future__ import annotations

import pytest
from render import field_errors, load, render_docx

from extractors.extract import extract
from pipeline.readers import ReadError, read_file


@pytest.mark.parametrize(
    "name",
    ["101_nghean-syt-sot-xuat-huyet", "201_qd_quangnam_kiemtra_cchc", "403_cv-btgtu-quang-ngai-dien-bien-phu", "412_qd-ubnd-quynh-luu-pctt-ocr"],
)
def test_fields_match_gold(tmp_path, name):
    r = read_file(render_docx(name, tmp_path / f"{name}.docx"))
    assert r.media_type.endswith("wordprocessingml.document")
    assert [(p.number, p.method) for p in r.pages] == [(1, "docx")]
    fields = ("issuer", "number", "symbol", "date", "subject", "recipients", "signer", "distribution")
    assert field_errors(extract(r.text), load(name)[1], fields) == []


def test_header_table_is_read_column_by_column(tmp_path):
    text = read_file(render_docx("101_nghean-syt-sot-xuat-huyet", tmp_path / "cv.docx")).text
    lines = text.splitlines()
    assert lines[:3] == ["UBND TỈNH NGHỆ AN", "SỞ Y TẾ", "Số: 2035/SYT-NVY"]
    assert lines.index("bệnh sốt xuất huyết Dengue trên địa bàn tỉnh") < lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert lines.index("- Lưu: VT, NVY.") < lines.index("KT. GIÁM ĐỐC") < lines.index("Trần Đình Khang")


def test_data_table_is_read_row_by_row(tmp_path):
    text = read_file(render_docx("412_qd-ubnd-quynh-luu-pctt-ocr", tmp_path / "qd.docx")).text
    assert "1\tÔng Hồ Văn Tâm\tChủ tịch UBND huyện\tTrưởng ban" in text


def test_legacy_font_runs_are_converted(tmp_path):
    import docx

    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("Kính gửi: ")
    run = p.add_run("Së Néi vô tØnh Hµ TÜnh")
    run.font.name = ".VnTime"
    caps = d.add_paragraph().add_run("céng hoµ x· héi chñ nghÜa viÖt nam")
    caps.font.name = ".VnTimeH"
    path = tmp_path / "cu.docx"
    d.save(path)
    text = read_file(path).text
    assert "Kính gửi: Sở Nội vụ tỉnh Hà Tĩnh" in text
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


def test_damaged_and_old_word_files(tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ReadError, match="damaged Word file"):
        read_file(bad)
    old = tmp_path / "old.docx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(ReadError, match="Word 97-2003"):
        read_file(old)


def test_empty_word_file(tmp_path):
    import docx

    path = tmp_path / "trống.docx"
    docx.Document().save(path)
    with pytest.raises(ReadError, match="no text found"):
        read_file(path)
