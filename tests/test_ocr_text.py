"""Extraction that tolerates OCR errors, the incoming stamp, and 'needs review'."""

from __future__ import annotations

from extractors.extract import extract
from extractors.normalize import normalize
from extractors.ocrfix import ocr_repair
from tests.conftest import CORPUS

SCAN = """THỦ TƯỚNG CHÍNH PHỦ
ĐẾN
Số: 5123
Ngày: 25/4/2026
Só: #2 /QĐ-TTg Hà Nội, ngày23 tháng 4 năm 2026
QUYÉT ĐỊNH
Về việc phê duyệt Đề án chuyển đổi số
Căn cứ Luật Tổ chức Chính phủ ngày 19 tháng 6 năm 2015;
Điều 1. Phê duyệt Đề án./.
Nơi nhận:
- Như Điều 3;
- Lưu: VT.
KT. THỦ TƯỚNG
PHÓ THỦ TƯỚNG
Trần Hồng Hà
"""


def test_handwritten_number_is_left_empty_and_flagged():
    d = extract(SCAN, ocr=True)
    assert d.number is None  # "#2" is a scribble: never a guessed number
    assert d.symbol.value == "QĐ-TTg"
    assert d.needs_review and any("handwritten" in r for r in d.review_reasons)


def test_incoming_stamp_is_data_and_does_not_leak():
    d = extract(SCAN, ocr=True)
    assert (d.received_number.value, d.received_date.value) == ("5123", "2026-04-25")
    assert d.date.value == "2026-04-23"  # the document's own date, from "ngày23" repaired
    assert d.issuer.value == "THỦ TƯỚNG CHÍNH PHỦ"
    assert "5123" not in (d.number.value if d.number else "")


def test_repaired_values_get_lower_confidence_and_keep_spans():
    clean = extract(SCAN.replace("ngày23", "ngày 23").replace("QUYÉT", "QUYẾT"), ocr=True)
    d = extract(SCAN, ocr=True)
    assert d.doc_type.value == "Quyết định"  # from "QUYÉT ĐỊNH"
    assert d.date.confidence < clean.date.confidence
    assert d.text[d.date.span[0]:d.date.span[1]] == "ngày 23 tháng 4 năm 2026"


def test_lexicon_repairs_only_what_is_not_a_real_word():
    n, repaired = ocr_repair(normalize("Chú tịch ửy ban nhân dân tỉnh; Hội đông nhân dân; cơ cầu tổ chức"))
    assert n.text == "Chủ tịch ủy ban nhân dân tỉnh; Hội đồng nhân dân; cơ cấu tổ chức"
    assert len(repaired) == 4
    # words that fold alike but are both real stay as printed
    text = "Thủ trưởng các sở, Thứ trưởng Bộ Nội vụ, văn bản chỉ đạo, các cơ sở xây dựng"
    assert ocr_repair(normalize(text))[0].text == text


def test_digit_lookalikes_in_dates_and_numbers():
    n, _ = ocr_repair(normalize("Số: l2/UBND-VP, ngày O5 tháng 1] năm 2O24"))
    assert n.text == "Số: 12/UBND-VP, ngày 05 tháng 11 năm 2024"


def test_symbol_lookalikes_repaired_against_tables():
    n, _ = ocr_repair(normalize("theo Quyết định số 12/QD-UBND và Nghị quyết 5/NQ-HDND"))
    assert "12/QĐ-UBND" in n.text and "5/NQ-HĐND" in n.text


def test_clean_corpus_text_is_not_changed_by_ocr_repair():
    for path in sorted(CORPUS.glob("*.txt"))[:20]:
        n = normalize(path.read_text(encoding="utf-8"))
        fixed, repaired = ocr_repair(n)
        changed = [fixed.text[a:b] for a, b in repaired]
        assert all(c == " " for c in changed), (path.name, changed)  # at most a space after "số"


def test_complete_issued_document_needs_no_review():
    d = extract((CORPUS / "202_qd_binhdinh_quyche_vanthu.txt").read_text(encoding="utf-8"))
    assert not d.needs_review and d.review_reasons == []
    draft = extract((CORPUS / "seed_000.txt").read_text(encoding="utf-8"))
    assert draft.needs_review  # blank number and day: the clerk fills them in
