"""OCR post-correction (extractors/ocrfix.py): what the tables and lexicon decide, and nothing else."""

from __future__ import annotations

import pytest

from extractors.extract import extract
from extractors.normalize import normalize
from extractors.ocrfix import ocr_repair


def fixed(text: str) -> str:
    return ocr_repair(normalize(text))[0].text


HEADER = "UBND TỈNH BẾN TRE\nSỞ NỘI VỤ\n{number}\nV/v góp ý dự thảo quy chế\nBến Tre, ngày 04 tháng 6 năm 2024\nKính gửi: Các sở, ngành.\n"


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("Số: 41/2023/QĐĐ-UBND", "Số: 41/2023/QĐ-UBND"),  # a doubled letter the table does not know
        ("Số: 9/KHH-SYT", "Số: 9/KH-SYT"),
        ("theo Tờ trình số 77/TIr-STC ngày 2/5/2024", "theo Tờ trình số 77/TTr-STC ngày 2/5/2024"),
        ("Tờ trình số 12/Tlr-SXD", "Tờ trình số 12/TTr-SXD"),
        ("Số: 230/CIr-UBND", "Số: 230/CTr-UBND"),
        ("Số: 15/STNMT-QLĐD", "Số: 15/STNMT-QLĐĐ"),  # a drafting unit of the table
    ],
)
def test_symbol_parts_the_tables_decide(ocr, right):
    assert fixed(ocr) == right


@pytest.mark.parametrize(
    "clean",
    [
        "Số: 41/2023/QĐ-UBND",
        "Số: 310/STTTT-CĐS",  # TTTT: a doubled letter the table knows as it is
        "Số: 18/SNV-CCHC",
        "Số: 6/SYT-NVD",  # Nghiệp vụ Dược: the D stays
        "Số: 52/UBND-XDCQ",
        "Số: 88/BQLDA-KHTH",  # unknown parts with no single known reading are left alone
        "Số: 27/TTr-SNV",
        "Số: 12/QĐ-SSS",
    ],
)
def test_correct_and_undecided_symbols_are_left_alone(clean):
    assert fixed(clean) == clean


def test_slash_read_as_a_comma_on_the_number_line():
    d = extract(HEADER.format(number="Số 56 ,SNV-CCHC"), ocr=True)
    assert (d.number.value, d.symbol.value) == ("56", "SNV-CCHC")
    assert d.symbol.confidence < 0.97  # read from repaired text
    assert d.text[d.symbol.span[0] - 1] == "/"


def test_comma_after_a_number_in_a_sentence_stays():
    assert fixed("theo số 12, UBND tỉnh đề nghị") == "theo số 12, UBND tỉnh đề nghị"
    assert fixed("Số 56, Ngõ 4") == "Số 56, Ngõ 4"


def test_symbol_shortened_by_a_repair_keeps_its_span_and_what_follows_moves():
    d = extract(HEADER.format(number="Số: 105/2024/QĐĐ-UBND").replace("V/v", "ngày23\nV/v"), ocr=True)
    assert d.symbol.value == "2024/QĐ-UBND"
    assert d.text[d.symbol.span[0] : d.symbol.span[1]] == "2024/QĐ-UBND"
    n, repaired = ocr_repair(normalize("Số: 105/2024/QĐĐ-UBND ngày23"))
    assert [n.text[a:b] for a, b in repaired] == ["QĐ", " "]


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("- TT HĐND tình (b/c);", "- TT HĐND tỉnh (b/c);"),
        ("Văn phòng UBND tính;", "Văn phòng UBND tỉnh;"),
        ("Chủ tịch Ủy ban nhân dân tình Lào Cai", "Chủ tịch Ủy ban nhân dân tỉnh Lào Cai"),
        ("tiếp nhận hô sơ đăng ký", "tiếp nhận hồ sơ đăng ký"),
        ("công tác chính lý tài liệu", "công tác chỉnh lý tài liệu"),
        ("Giao Chỉ cục Thủy lợi chủ trì", "Giao Chi cục Thủy lợi chủ trì"),
    ],
)
def test_administrative_set_phrases(ocr, right):
    assert fixed(ocr) == right


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("V/v đẩy mạnh công tác phòng. chống tác hại của thuốc lá", "V/v đẩy mạnh công tác phòng, chống tác hại của thuốc lá"),
        ("kế hoạch phòng.\nchống thiên tai năm 2025", "kế hoạch phòng,\nchống thiên tai năm 2025"),
        ("họp tại phòng. Chống chỉ định: không", "họp tại phòng. Chống chỉ định: không"),  # a new sentence: left
        ("công tác phòng, chống dịch", "công tác phòng, chống dịch"),
    ],
)
def test_comma_of_a_set_phrase_read_as_a_point(ocr, right):
    assert fixed(ocr) == right


def test_set_phrase_wrapped_onto_the_next_line_keeps_the_line_break():
    assert fixed("mục tiêu, phương\nhương năm 2025") == "mục tiêu, phương\nhướng năm 2025"


@pytest.mark.parametrize(
    "clean",
    [
        "đề nghị UBND tính toán lại định mức",  # tính toán is a word: the marks are right
        "số hộ so với cùng kỳ giảm 3%",  # so với
        "UBND tình hình thực hiện",  # tình hình
        "chỉ đạo, chi cục kiểm lâm",
    ],
)
def test_set_phrases_leave_words_their_neighbours_confirm(clean):
    assert fixed(clean) == clean


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("PHÓ CHỦ TỊCH\n\nĐịnh Thị Hoa\n", "PHÓ CHỦ TỊCH\n\nĐinh Thị Hoa\n"),
        ("GIÁM ĐỐC\nPhùng Văn Tuấn Anh", "GIÁM ĐỐC\nPhùng Văn Tuấn Anh"),
        ("KT. GIÁM ĐỐC\nTrân Quốc Bảo", "KT. GIÁM ĐỐC\nTrần Quốc Bảo"),
    ],
)
def test_family_name_of_the_signer(ocr, right):
    assert fixed(ocr) == right


@pytest.mark.parametrize(
    "clean",
    [
        "Lê Thị Mỹ Hạnh",  # a family name of the table
        "Định Quán",  # two syllables: a place, not a full name
        "theo Định Văn Bản số 3",  # not a line of its own
        "Lu Văn Sáng",  # Lư or Lữ: the table cannot decide
    ],
)
def test_names_left_alone(clean):
    assert fixed(clean) == clean


def test_repaired_signer_name_keeps_its_span_with_a_lowered_confidence():
    text = HEADER.format(number="Số: 56/SNV-CCHC") + "Đề nghị các sở thực hiện./.\nNơi nhận:\n- Như trên;\n- Lưu: VT.\nGIÁM ĐỐC\n\nĐịnh Thị Hoa\n"
    clean = extract(text.replace("Định", "Đinh"))
    d = extract(text, ocr=True)
    assert d.signer.name.value == "Đinh Thị Hoa"
    assert d.text[d.signer.name.span[0] : d.signer.name.span[1]] == "Đinh Thị Hoa"
    assert d.signer.name.confidence < clean.signer.name.confidence


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("Kính gửi:\n~ Các sở;\n- Các huyện.", "Kính gửi:\n- Các sở;\n- Các huyện."),  # the dash read as ~
        ("Kính gửi:\n- Các sở;\n~- Các ban cán sự đảng.", "Kính gửi:\n- Các sở;\n- Các ban cán sự đảng."),  # a speck before it
        ("- Như trên;\n¬- Lưu: VT.", "- Như trên;\n- Lưu: VT."),
    ],
)
def test_list_dashes(ocr, right):
    assert fixed(ocr) == right


def test_a_speck_dropped_before_a_dash_keeps_the_entry_and_its_span():
    text = HEADER.format(number="Số: 56/SNV-CCHC").replace("Kính gửi: Các sở, ngành.", "Kính gửi:\n- Sở Y tế;\n~- Sở Tài chính.")
    d = extract(text, ocr=True)
    assert [r.value for r in d.recipients] == ["Sở Y tế", "Sở Tài chính"]
    last = d.recipients[1]
    assert d.text[last.span[0]:last.span[1]] == "Sở Tài chính"
    assert [r.value for r in extract(text).recipients] == ["Sở Y tế"]  # without the repair the list stops


@pytest.mark.parametrize(
    ("ocr", "right"),
    [
        ("Chỉ số cải cách hành chính nắm 2023 của các sở", "Chỉ số cải cách hành chính năm 2023 của các sở"),
        ("Hà Nội, ngày 12 tháng 7 nấm 2022", "Hà Nội, ngày 12 tháng 7 năm 2022"),
        ("KẾ HOẠCH\nNằm 2024", "KẾ HOẠCH\nNăm 2024"),
        ("số lao động nam 2023 người", "số lao động nam 2023 người"),  # no mark at all: a word of its own
        ("nắm 12 người", "nắm 12 người"),  # not a year
    ],
)
def test_year_word(ocr, right):
    assert fixed(ocr) == right
