"""Rows from OCR word boxes that a skewed photo or a stroke under a word has disturbed."""

from __future__ import annotations

from pipeline.layout import Word, make_rows


def texts(words: list[Word]) -> list[str]:
    return [r.text for r in make_rows(words)]


def test_box_swollen_by_a_stroke_stays_on_its_line():
    # "07/KH-SYT": the slash and a handwritten "07" made the symbol's box twice as tall, its
    # centre halfway to the line above
    words = [
        Word("SỞ", 380, 250, 420, 280), Word("Y", 430, 250, 450, 280), Word("TẾ", 460, 250, 500, 280),
        Word("Số:", 300, 335, 345, 362), Word("07", 360, 333, 400, 366), Word("/KH-SYT", 420, 300, 560, 362),
        Word("V/v", 200, 378, 248, 402), Word("tổ", 258, 378, 280, 402), Word("chức", 290, 378, 350, 402),
    ]
    assert texts(words) == ["SỞ Y TẾ", "Số: 07 /KH-SYT", "V/v tổ chức"]


def test_rest_of_a_word_boxed_apart_is_glued_back():
    # "QUẢNG" read as "QUẢ" + "NG", the second box overlapping the first a little and swollen by
    # the rule under the line
    words = [
        Word("TỈNH", 340, 209, 425, 239), Word("QUẢ", 435, 209, 505, 239), Word("NG", 500, 211, 560, 271),
        Word("TRỊ", 570, 209, 620, 239), Word("———", 420, 250, 540, 254),
    ]
    assert texts(words)[0] == "TỈNH QUẢNG TRỊ"


def test_tall_box_far_from_any_line_is_a_row_of_its_own():
    # a seal's scribble beside the signer's name, nowhere near its words, is not put into that line
    words = [
        Word("Nguyễn", 1000, 1200, 1100, 1226), Word("Văn", 1110, 1200, 1160, 1226), Word("An", 1170, 1200, 1210, 1226),
        Word("@@", 600, 1170, 640, 1250),
    ]
    assert texts(words) == ["@@", "Nguyễn Văn An"]


def test_ordinary_lines_unchanged():
    words = [
        Word("Kính", 200, 500, 250, 525), Word("gửi:", 260, 500, 310, 528), Word("Sở", 320, 502, 350, 526),
        Word("Nội", 360, 501, 400, 526), Word("vụ", 410, 503, 440, 528),
        Word("Sở", 200, 545, 230, 570), Word("Tài", 240, 545, 280, 570), Word("chính", 290, 545, 360, 574),
    ]
    assert texts(words) == ["Kính gửi: Sở Nội vụ", "Sở Tài chính"]


def test_box_inside_another_is_not_glued():
    # Tesseract sometimes boxes a word over its neighbours; a box inside it is a word of its own
    words = [Word("SỞ", 420, 209, 550, 239), Word("Y", 474, 205, 493, 249), Word("TẾ", 510, 209, 549, 239)]
    assert texts(words) == ["SỞ Y TẾ"]
