"""Handwritten header values (pipeline.handwriting): which words are read again, and what a
disagreement or an agreement does to the record.

The digit readings themselves come from tesseract; here they are given, so that the decision
rules are checked exactly. The real OCR path is exercised by tests/test_degraded_scans.py.
"""

from __future__ import annotations

import pytest
from PIL import Image

import pipeline.handwriting as hw
from extractors.extract import extract
from pipeline.layout import PageWords, Word, order_pages
from schemas import SourceInfo

PAGE = Image.new("L", (2480, 3508), 255)


def header(number_words: list[tuple[str, float]], day: tuple[str, float]) -> list[Word]:
    """Words of a two-column header; ``number_words`` follow ``Số:`` on the left, ``day`` follows ``ngày``."""
    h, words = 50, []
    left = [("UBND", 95), ("TỈNH", 95), ("GIA", 95), ("LAI", 95)], [("SỞ", 95), ("TƯ", 95), ("PHÁP", 95)], \
        [("Số:", 93)] + number_words
    right = [("CỘNG", 96), ("HÒA", 96), ("XÃ", 96), ("HỘI", 96)], [("Độc", 96), ("lập", 96)], \
        [("Gia", 96), ("Lai,", 96), ("ngày", 96), day, ("tháng", 96), ("6", 96), ("năm", 96), ("2024", 96)]
    for i in range(3):
        y = 200 + i * 80
        for row, x in ((left[i], 250), (right[i], 1300)):
            for text, conf in row:
                gap = 160 if text.startswith("/") or (row is left[2] and text.isdigit()) else 20
                x += gap if text.startswith("/") else 0
                words.append(Word(text, x, y, x + 25 * max(1, len(text)), y + h, conf=conf))
                x += 25 * max(1, len(text)) + 20
    words += [Word(t, 250 + 160 * i, 700, 250 + 160 * i + 120, 750, conf=95) for i, t in enumerate("V/v cấp giấy phép".split())]
    return words


@pytest.fixture
def readings(monkeypatch):
    """The digit readings tesseract would give, one list per scale; records what was asked."""
    calls: list[int] = []
    given: dict[str, list[list[str]]] = {}

    def read_digits(crops, scales=hw.DIGIT_SCALES):
        calls.append(len(crops))
        return given["value"]

    monkeypatch.setattr(hw, "read_digits", read_digits)
    return given, calls


def text_of(words: list[Word]) -> str:
    return order_pages([PageWords(words, 2480, 3508)])[0]


def test_printed_number_and_day_are_not_read_again(readings):
    _, calls = readings
    words = header([("1943/STP-HCTP", 92)], ("14", 96.9))
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert (out, blanks, calls) == (words, [], [])


def test_disagreeing_readings_leave_the_number_empty_for_review(readings):
    given, calls = readings
    given["value"] = [["1943", "14"], ["1943", "14"]]
    words = header([("19443", 82.9), ("/STP-HCTP", 92)], ("14", 73.9))
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert calls == [2]  # the number and the day, in one tesseract run
    assert blanks == [hw.Blank("number", "19443", None), hw.Blank("day", "14", "14")]
    text = text_of(out)
    assert "Số: ? /STP-HCTP" in text and "ngày 14 tháng 6 năm 2024" in text
    d = extract(text, SourceInfo(ocr=True, handwritten={b.field: b.value for b in blanks}))
    assert d.number is None and d.symbol.value == "STP-HCTP"
    assert d.needs_review and any("handwritten or unreadable" in r for r in d.review_reasons)
    # the day the readings agreed on is kept, with less confidence and a note to check it
    assert d.date.value == "2024-06-14" and d.date.confidence < 0.7
    assert any("day of the issue date is handwritten" in r for r in d.review_reasons)


def test_agreeing_readings_keep_the_number_with_lowered_confidence(readings):
    given, _ = readings
    given["value"] = [["1943", "I7"], ["1943", "17"]]
    words = header([("1943", 80.0), ("/STP-HCTP", 92)], ("1Ø", 51.0))
    out, blanks = hw.check_blanks(PAGE, words, 300)
    # the day: the page read 1Ø, the digit readings 17 and 17 — 1Ø does not fit 17: left out
    assert blanks == [hw.Blank("number", "1943", "1943"), hw.Blank("day", "1Ø", None)]
    d = extract(text_of(out), SourceInfo(ocr=True, handwritten={b.field: b.value for b in blanks}))
    assert d.number.value == "1943" and d.number.confidence < 0.7
    assert any("number is handwritten, read as 1943" in r for r in d.review_reasons)
    assert d.date.value == "2024-06" and any("incomplete" in r for r in d.review_reasons)


def test_a_scribble_is_read_when_the_digit_readings_fit_it(readings):
    given, _ = readings
    given["value"] = [["42", "10"], ["42", "10"]]
    words = header([("#2", 30.0), ("/QĐ-TTg", 92)], ("1Ø", 51.0))
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert blanks == [hw.Blank("number", "#2", "42"), hw.Blank("day", "1Ø", "10")]
    assert "Số: 42 /QĐ-TTg" in text_of(out)


def split_day(words: list[Word], first: str, second: str) -> list[Word]:
    """The header's day word cut into two words, as the OCR splits a scribbled ``17``."""
    i = next(k for k, w in enumerate(words) if w.text == "DAY")
    w = words[i]
    mid = (w.x0 + w.x1) / 2
    return words[:i] + [Word(first, w.x0, w.top, mid - 5, w.bottom, conf=41.0),
                        Word(second, mid + 5, w.top, w.x1, w.bottom, conf=22.0)] + words[i + 1:]


def test_a_day_the_ocr_split_in_two_is_read_again_as_one(readings):
    """``ngày 1 7 tháng``: the two pieces are one blank, read again as one and kept as one word."""
    given, calls = readings
    given["value"] = [["17"], ["17"]]
    words = split_day(header([("371/TB-UBND", 95)], ("DAY", 96)), "1", "7")
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert calls == [1] and blanks == [hw.Blank("day", "1 7", "17")]
    assert "ngày 17 tháng 6 năm 2024" in text_of(out)
    d = extract(text_of(out), SourceInfo(ocr=True, handwritten={b.field: b.value for b in blanks}))
    assert d.date.value == "2024-06-17"


def test_a_split_day_the_readings_do_not_fit_is_left_out_not_the_date(readings):
    """``ngày 1 Z_ tháng`` read 17 twice: the page's 1Z (12) does not fit, so the day goes and
    the month and year stay, flagged (before, the split day hid the whole date)."""
    given, _ = readings
    given["value"] = [["17"], ["17"]]
    words = split_day(header([("371/TB-UBND", 95)], ("DAY", 96)), "1", "Z_")
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert blanks == [hw.Blank("day", "1 Z_", None)]
    d = extract(text_of(out), SourceInfo(ocr=True, handwritten={b.field: b.value for b in blanks}))
    assert d.date.value == "2024-06" and d.needs_review


def test_without_a_blank_nothing_is_asked(readings):
    _, calls = readings
    words = header([("/STP-HCTP", 92)], ("", 0.0))
    words = [w for w in words if w.text]  # "Số:  /STP-HCTP", "ngày  tháng 6 năm 2024": blanks left empty
    out, blanks = hw.check_blanks(PAGE, words, 300)
    assert (blanks, calls) == ([], [])


@pytest.mark.parametrize(("first", "second", "third", "expected"), [
    ("4521", "4521", "4527", "4521"),   # the page's reading and one digit reading agree
    ("4521", "4527", "4527", None),     # the digit readings agree against the page: no
    ("45?1", "4521", "4521", "4521"),   # an unreadable digit, the rest fits
    ("45?1", "4721", "4721", None),     # 7 where the page shows 5
    ("45?", "4521", "4521", None),      # a digit more than the page shows
    ("", "4521", "4521", None),         # nothing on the page to check them against
    ("4521_", "4521", "", "4521"),      # the blank's dotted line read after it
    ("(4521", "4527", "", None),        # ...but the value still has to agree
])
def test_agree(first, second, third, expected):
    assert hw.agree(first, hw.digits_value, second, third) == expected


@pytest.mark.parametrize(("first", "second", "third", "expected"), [
    ("9", "09", "", "09"),              # one day written two ways
    ("9.", "9", "", "09"),
    ("6", "16", "16", None),            # the page lost a digit the digit readings see: not kept
    ("(O3", "03", "08", "03"),
])
def test_agree_on_a_day(first, second, third, expected):
    assert hw.agree(first, hw.day_value, second, third) == expected


def test_blanks_are_cut_at_the_digit_readings_resolution():
    """Whatever the page's resolution, the blanks reach tesseract at DIGITS_DPI (at the page's
    own 200 dpi the smaller reading came out empty)."""
    words = header([("19443", 82.9), ("/STP-HCTP", 92)], ("14", 73.9))
    for dpi in (200, 300):
        scale = dpi / 300
        page_words = [Word(w.text, w.x0 * scale, w.top * scale, w.x1 * scale, w.bottom * scale, conf=w.conf) for w in words]
        page = PAGE.resize((round(PAGE.width * scale), round(PAGE.height * scale)))
        candidates, crops = hw.blank_crops(page, page_words, dpi)
        assert [c.field for c in candidates] == ["number", "day"]
        heights = [c.height - 40 for c in crops]  # 20 px of white added on each side
        assert all(abs(h - 1.6 * 50 * hw.DIGITS_DPI / 300) <= 3 for h in heights), (dpi, heights)


def test_values():
    assert hw.day_value("32") is None and hw.day_value("0") is None and hw.day_value("O7") == "07"
    assert hw.date_value("17.1O/2O23") == "17/10/2023" and hw.date_value("17/10/1890") is None


def test_a_scan_without_its_number_line_goes_to_review():
    """The whole ``Số:`` line lost under a stamp or a fold: nothing to fill in from, so say so."""
    text = "ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG\nHà Giang, ngày 12 tháng 3 năm 2023\nQUYẾT ĐỊNH\nVề việc kiểm tra"
    d = extract(text, SourceInfo(ocr=True))
    assert d.number is None and d.symbol is None
    assert d.needs_review and any("number and symbol missing" in r for r in d.review_reasons)
    assert not any("number and symbol missing" in r for r in extract(text).review_reasons)  # typed text: its own affair
