"""A word alone on its line that the page's OCR dropped (pipeline.missed_words): found, read,
placed; and nothing made up from rules, specks or words inside a line."""

from __future__ import annotations

import io

import pytest
from degrade import degraded_scan
from PIL import Image, ImageDraw

from extractors.extract import extract
from pipeline.imageprep import prepare_page
from pipeline.layout import Word, join_pages, order_pages
from pipeline.missed_words import candidates, find_missed
from pipeline.ocr import LANG, PSM, READ_VARIABLES, ocr_image
from pipeline.tesseract import read

URGENT = "101_nghean-syt-sot-xuat-huyet"  # **KHẨN** alone under the subject, as in the corpus text


@pytest.fixture(scope="module")
def scan():
    """The first page of a 200-dpi office scan of an urgent dispatch (seal, stamp, handwriting)."""
    s = degraded_scan(URGENT, seed=0, received=("1000", "01/01/2023"))
    return Image.open(io.BytesIO(s.jpegs[0])), s.dpi


@pytest.fixture(scope="module")
def page(scan):
    """The cleaned page and the words the page's reading gave, as ocr_image has them."""
    p = prepare_page(*scan)
    return p.image, p.dpi, read(p.image, p.dpi, LANG, PSM, READ_VARIABLES).words


def test_urgent_mark_is_read_and_makes_the_record_urgent(scan):
    got = ocr_image(*scan)
    assert "KHẨN" in [w.text for w in got.words.words]
    assert extract(join_pages(order_pages([got.words]))[0]).urgency.value == "KHẨN"


def test_a_dropped_mark_is_found_where_it_is(page):
    image, dpi, words = page
    kept = [w for w in words if w.text != "KHẨN"]  # as when the page's reading drops it
    [mark] = find_missed(image, kept, dpi)
    subject_end = next(w for w in words if w.text == "tỉnh" and w.top < image.height * 0.3)
    salutation = next(w for w in words if w.text == "Kính")
    assert mark.text == "KHẨN" and mark.conf >= 80
    assert subject_end.bottom < mark.top < mark.bottom < salutation.top  # between the subject and Kính gửi
    assert image.width * 0.3 < mark.x0 < mark.x1 < image.width * 0.7  # centred


def test_a_word_inside_a_line_is_left_to_its_line(page):
    image, dpi, words = page
    body = next(w for w in words if w.text == "Dengue")
    kept = [w for w in words if w is not body]
    boxes = candidates(image, kept, dpi)
    assert not any(b[0] < body.x1 and body.x0 < b[2] and b[1] < body.bottom and body.top < b[3] for b in boxes)
    assert all(w.text != "Dengue" for w in find_missed(image, kept, dpi))


def test_rules_specks_and_scribbles_are_not_read_as_words():
    page = Image.new("L", (1654, 2339), 255)
    d = ImageDraw.Draw(page)
    d.line((300, 400, 700, 400), fill=0, width=3)  # a rule under a header
    for x in range(300, 700, 40):  # specks
        d.ellipse((x, 600, x + 5, 605), fill=0)
    d.arc((800, 900, 1000, 980), 10, 300, fill=0, width=6)  # a stroke left of a signature
    d.line((820, 960, 990, 910), fill=0, width=5)
    words = [Word("Nơi", 200, 1500, 260, 1530, conf=95)]
    assert find_missed(page, words, 200) == []


def test_what_was_found_is_not_found_again(page):
    image, dpi, words = page
    found = find_missed(image, words, dpi)
    assert [w.text for w in found] == ["KHẨN"]  # the page's reading dropped it
    assert find_missed(image, words + found, dpi) == []
