"""Header variants beyond the seeds: layouts, number styles, partial dates, marks."""

from __future__ import annotations

import pytest

from extractors.extract import extract


def v(x):
    return x.value if x is not None else None


def test_interleaved_columns_from_pdf_text():
    d = extract(
        "UBND TỈNH HÀ TĨNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "SỞ NỘI VỤ Độc lập - Tự do - Hạnh phúc\n"
        "Số: 1961/SNV-TCBC Hà Tĩnh, ngày 12 tháng 8 năm 2024\n"
        "V/v tăng cường công tác văn thư\n\nKính gửi: Các sở, ban, ngành.\n"
    )
    assert (v(d.issuer_parent), v(d.issuer)) == ("UBND TỈNH HÀ TĨNH", "SỞ NỘI VỤ")
    assert (v(d.number), v(d.symbol), v(d.place), v(d.date)) == ("1961", "SNV-TCBC", "Hà Tĩnh", "2024-08-12")
    assert v(d.subject) == "tăng cường công tác văn thư"


def test_party_document():
    d = extract(
        "ĐẢNG BỘ TỈNH NGHỆ AN\nTỈNH ỦY\n*\nSố 12-NQ/TU\n\nĐẢNG CỘNG SẢN VIỆT NAM\n\n"
        "Nghệ An, ngày 05 tháng 01 năm 2024\n\nNGHỊ QUYẾT\nvề chuyển đổi số\n\nI. TÌNH HÌNH\n"
    )
    assert (v(d.issuer_parent), v(d.issuer)) == ("ĐẢNG BỘ TỈNH NGHỆ AN", "TỈNH ỦY")
    assert (v(d.number), v(d.symbol), v(d.date)) == ("12", "NQ/TU", "2024-01-05")
    assert (v(d.doc_type), v(d.subject)) == ("Nghị quyết", "về chuyển đổi số")
    assert d.key == "12/NQTU@2024"


def test_decision_with_normative_symbol_and_two_line_body():
    d = extract(
        "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NAM\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
        "Số: 06/2024/QĐ-UBND\n\nQuảng Nam, ngày 15 tháng 3 năm 2024\n\nQUYẾT ĐỊNH\n"
        "Về việc ban hành Quy chế công tác văn thư,\nlưu trữ của tỉnh\n\n"
        "ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM\n\nCăn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n"
    )
    assert d.issuer_parent is None and v(d.issuer) == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM"
    assert (v(d.number), v(d.symbol)) == ("06", "2024/QĐ-UBND")
    assert d.key == "6/QDUBND@2024"
    assert v(d.doc_type) == "Quyết định"
    assert v(d.subject) == "ban hành Quy chế công tác văn thư, lưu trữ của tỉnh"


def test_blank_day_and_month_give_a_year():
    d = extract("UBND HUYỆN ĐỨC THỌ\nSố: /UBND-NC\nĐức Thọ, ngày tháng năm 2025\nV/v dự thảo\nKính gửi: Các xã.")
    assert d.number is None and v(d.date) == "2025"


def test_marks_and_draft():
    d = extract(
        "BỘ Y TẾ\nSố: 45/BYT-DP\nV/v phòng chống dịch\nHà Nội, ngày 02 tháng 02 năm 2024\n\nHỎA TỐC\nMẬT\nDỰ THẢO\n\n"
        "Kính gửi: Sở Y tế các tỉnh, thành phố.\n"
    )
    assert v(d.urgency) == "HỎA TỐC" and v(d.confidentiality) == "MẬT" and d.is_draft
    assert v(d.issuer) == "BỘ Y TẾ" and v(d.date) == "2024-02-02"


@pytest.mark.parametrize(("line", "field", "value", "confidence"), [
    ("MẠT", "confidentiality", "MẬT", 0.8),       # OCR: the breve read for the circumflex
    ("KHÂN", "urgency", "KHẨN", 0.8),             # the hook lost
    ("THUỢNG KHẨN", "urgency", "THƯỢNG KHẨN", 0.8),
    ("HOẢ TỐC", "urgency", "HỎA TỐC", 0.95),      # old-style tone placement: normalised, not repaired
    ("TỐI MẬT", "confidentiality", "TỐI MẬT", 0.95),
])
def test_a_mark_read_with_wrong_marks_is_the_tables_mark(line, field, value, confidence):
    d = extract(f"BỘ Y TẾ\nSố: 45/BYT-DP\nV/v phòng chống dịch\nHà Nội, ngày 02 tháng 02 năm 2024\n\n{line}\n\n"
                "Kính gửi: Sở Y tế các tỉnh, thành phố.\n")
    mark = getattr(d, field)
    assert (mark.value, mark.confidence) == (value, confidence)


def test_issue_date_is_the_place_date_line_not_a_cited_date():
    d = extract(
        "UBND TỈNH BẮC NINH\nSỞ Y TẾ\nSố: 12/SYT-NVY\nBắc Ninh, ngày 20 tháng 10 năm 2023\n"
        "V/v thực hiện Quyết định số 88/QĐ-UBND ngày 01/9/2023\nKính gửi: Các bệnh viện."
    )
    assert v(d.date) == "2023-10-20"
    assert [r.key for r in d.references] == ["88/QDUBND@2023"]


def test_stray_quote_or_comma_before_a_body_line():
    # OCR of a photo reads a speck as a quote or comma before a header line
    for speck in ("'", "‘", ",", "“"):
        d = extract(
            f"ỦY BAN NHÂN DÂN\n{speck}TỈNH QUẢNG TRỊ\nSố: 88/QĐ-UBND\n\n"
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
            "Quảng Trị, ngày 05 tháng 3 năm 2024\n\nQUYẾT ĐỊNH\nVề việc thành lập Tổ công tác\n",
            ocr=True,
        )
        assert (v(d.issuer), d.issuer_parent) == ("ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ", None), speck


def test_trailing_comma_still_joins_a_body_over_two_lines():
    d = extract(
        "UBND TỈNH AN GIANG\nSỞ VĂN HÓA,\nTHỂ THAO VÀ DU LỊCH\nSố: 210/SVHTTDL-VP\nV/v tổ chức giải chạy\n"
        "An Giang, ngày 02 tháng 4 năm 2024\nKính gửi: UBND các huyện.\n"
    )
    assert (v(d.issuer_parent), v(d.issuer)) == ("UBND TỈNH AN GIANG", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH")


def test_symbol_broken_off_its_number_line_is_not_a_body():
    d = extract(
        "UBND TỈNH ĐỒNG THÁP\nSỞ XÂY DỰNG\n/SXD-QLN\nSố: 417\nV/v rà soát nhà ở xã hội\n"
        "Đồng Tháp, ngày 11 tháng 9 năm 2023\nKính gửi: UBND các huyện.\n",
        ocr=True,
    )
    assert (v(d.issuer_parent), v(d.issuer)) == ("UBND TỈNH ĐỒNG THÁP", "SỞ XÂY DỰNG")
