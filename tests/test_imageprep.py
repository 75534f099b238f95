"""Page clean-up before OCR (pipeline.imageprep), on small synthetic pages: no OCR, fast."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors.extract import extract
from pipeline.imageprep import (
    STAMP_DPI,
    PreparedPage,
    drop_colour,
    find_stamp_box,
    page_dpi,
    prepare_page,
)
from pipeline.layout import PageWords, Word, order_pages
from pipeline.stampread import stamp_block, stamp_words
from schemas import SourceInfo

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
LINES = [
    "UBND TỈNH NGHỆ AN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Số: 2035/SYT-NVY             Nghệ An, ngày 12 tháng 7 năm 2022",
    "Kính gửi: Trung tâm Kiểm soát bệnh tật tỉnh và các đơn vị",
    "Theo báo cáo của Trung tâm Kiểm soát bệnh tật tỉnh, từ đầu năm",
    "đến nay toàn tỉnh ghi nhận nhiều trường hợp mắc sốt xuất huyết,",
    "tăng so với cùng kỳ năm trước; đã xuất hiện ổ dịch tại các huyện.",
    "Sở Y tế đề nghị Thủ trưởng các đơn vị triển khai thực hiện ngay.",
    "Nơi nhận:                                          KT. GIÁM ĐỐC",
    "- Như trên;                                         PHÓ GIÁM ĐỐC",
    "- Lưu: VT, NVY.                                   Trần Đình Khang",
]
DPI = 260
"""Between the up- and down-scaling thresholds: pages stay at their size (fast tests)."""


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def text_page(width: int = 1000, height: int = 1400, colour: bool = True) -> Image.Image:
    """A page of black print, ten lines spread over its height."""
    img = Image.new("RGB" if colour else "L", (width, height), "white")
    d = ImageDraw.Draw(img)
    for i, line in enumerate(LINES):
        d.text((40, 80 + i * 120), line, fill="black" if colour else 0, font=font(26))
    return img


def dark(img: Image.Image, box: tuple[int, int, int, int] | None = None, level: int = 128) -> int:
    a = np.asarray(img.convert("L").crop(box) if box else img.convert("L"))
    return int((a < level).sum())


def test_red_and_blue_ink_dropped_black_print_kept():
    clean = text_page()
    page = clean.copy()
    d = ImageDraw.Draw(page, "RGBA")
    d.ellipse((560, 760, 900, 1100), outline=(205, 35, 45, 230), width=14)          # seal ring over the signer
    d.text((600, 900), "ỦY BAN NHÂN DÂN", fill=(205, 35, 45, 230), font=font(30))    # seal text
    d.line([(560, 1000), (700, 930), (820, 1060), (940, 950)], fill=(25, 45, 150, 240), width=6)  # signature
    d.rectangle((60, 180, 420, 360), outline=(35, 65, 185, 230), width=6)          # incoming stamp
    d.text((160, 200), "ĐẾN", fill=(35, 65, 185, 230), font=font(40))
    p = prepare_page(page, DPI)
    assert p.scale == 1.0 and p.image.size == page.size
    # the print is all there ...
    assert dark(p.image) == pytest.approx(dark(clean), rel=0.08)
    # ... and nothing of the inks where there is no print
    print_mask = np.asarray(clean.convert("L")) < 200
    ink_only = (np.asarray(page.convert("L")) < 200) & ~print_mask
    assert ink_only.sum() > 3000
    assert (np.asarray(p.image)[ink_only] < 128).mean() < 0.01
    assert 0.001 < p.dropped < 0.05


def test_print_under_the_ink_stays_black():
    """Ink lies on paper by multiplication: black print under a seal is still black."""
    a = np.full((60, 60, 3), 255, np.uint8)
    a[20:40, 10:50] = (205, 35, 45)  # a red band ...
    a[28:32, :] = 0  # ... crossed by a black rule
    grey, mask = drop_colour(a)
    assert (grey[28:32, :] == 0).all()
    assert (grey[21:27, 10:50] > 240).all() and (grey[33:39, 10:50] > 240).all()


def test_dark_blue_black_pen_is_not_dropped():
    """The clerk's black pen (bluish black, little colour) is kept: the number it wrote must be read."""
    a = np.full((40, 40, 3), 255, np.uint8)
    a[10:30, 18:22] = (30, 30, 45)
    grey, mask = drop_colour(a)
    assert not mask.any() and (grey[10:30, 18:22] < 60).all()


@pytest.mark.parametrize("angle", [-4.2, -2.5, 0.0, 1.7, 3.4])
def test_deskew_recovers_a_known_angle(angle):
    page = text_page().rotate(angle, resample=Image.BICUBIC, fillcolor="white")
    p = prepare_page(page, DPI)
    assert p.skew == pytest.approx(angle, abs=0.5)
    from pipeline.ocr import measure_skew

    assert measure_skew(p.image) == pytest.approx(0.0, abs=0.5)  # level after the turn


def test_deskew_under_uneven_light():
    """A phone photo: light falling off to one side, tinted paper, skewed 3°."""
    page = text_page().rotate(3.0, resample=Image.BICUBIC, fillcolor="white")
    a = np.asarray(page, dtype=np.float32)
    ramp = np.linspace(1.0, 0.5, a.shape[1], dtype=np.float32)[None, :, None]
    lit = Image.fromarray((a * ramp * np.array([1.0, 0.95, 0.85], np.float32)).astype(np.uint8))
    p = prepare_page(lit, DPI)
    assert p.evened and p.skew == pytest.approx(3.0, abs=0.5)
    right = np.asarray(p.image)[:, -200:]
    assert np.median(right) > 235  # the dim side's paper is white again


def test_low_resolution_is_scaled_up_and_high_down():
    small = text_page(827, 1170)  # an A4 page at 100 dpi
    p = prepare_page(small, 100)
    assert (p.dpi, p.scale) == (300, 3.0) and p.image.size == (2481, 3510)
    p = prepare_page(text_page(1654, 2339), 200)  # 200 dpi: read as it is (measured: no gain at 300)
    assert p.dpi == 200 and p.scale == 1.0
    p = prepare_page(text_page(1240, 1754), 150)
    assert p.dpi == 300 and p.scale == 2.0
    big = Image.new("L", (4960, 7016), 255)  # A4 at 600 dpi
    p = prepare_page(big, 600)
    assert (p.dpi, p.image.size) == (225, (1860, 2631))  # read at 225 dpi
    p = prepare_page(Image.new("L", (2480, 3508), 255), 300)  # an office scan at 300 dpi: the same
    assert (p.dpi, p.scale, p.image.size) == (225, 0.75, (1860, 2631))
    p = prepare_page(Image.new("L", (2067, 2923), 255), 250)  # close enough to be read as it is
    assert (p.dpi, p.scale) == (250, 1.0)
    assert prepare_page(text_page(), DPI).scale == 1.0


def test_resolution_a_photo_claims_is_not_trusted():
    assert page_dpi(Image.new("L", (1654, 2339)), 72) == 200  # 23 inches wide at 72 dpi: no
    assert page_dpi(Image.new("L", (1654, 2339)), None) == 200
    assert page_dpi(Image.new("L", (2480, 3508)), 300) == 300


def test_greyscale_and_palette_pages():
    grey = text_page(colour=False)
    p = prepare_page(grey, DPI)
    assert p.dropped == 0.0 and p.stamp_box is None
    assert dark(p.image) == pytest.approx(dark(grey), rel=0.02)
    pal = text_page().convert("P")
    assert prepare_page(pal, DPI).image.mode == "L"


def test_the_original_image_is_not_changed():
    page = text_page()
    ImageDraw.Draw(page).rectangle((60, 180, 420, 360), outline=(35, 65, 185), width=6)
    before = hashlib.sha256(page.tobytes()).hexdigest()
    p = prepare_page(page.rotate(2.0, fillcolor="white"), DPI)
    prepare_page(page, DPI)
    assert hashlib.sha256(page.tobytes()).hexdigest() == before
    assert p.image is not page


def stamped_page() -> tuple[Image.Image, tuple[int, int, int, int]]:
    page = text_page()
    d = ImageDraw.Draw(page)
    box = (80, 150, 440, 330)
    d.rectangle(box, outline=(35, 65, 185), width=5)
    d.text((220, 165), "ĐẾN", fill=(35, 65, 185), font=font(40))
    d.text((110, 225), "Số: 1234", fill=(35, 65, 185), font=font(30))
    d.text((110, 275), "Ngày: 05/12/2023", fill=(35, 65, 185), font=font(30))
    d.ellipse((560, 900, 880, 1220), outline=(205, 35, 45), width=12)  # a seal lower down: not a stamp
    return page, box


def test_stamp_region_found_in_the_top_third():
    page, box = stamped_page()
    p = prepare_page(page, DPI)
    assert p.stamp_box is not None
    assert all(abs(a - b) <= 6 for a, b in zip(p.stamp_box, box, strict=True))
    # the crop keeps the stamp's ink (dark) and leaves the black print under it out
    crop = np.asarray(p.stamp_image)
    assert p.stamp_image.width >= 0.95 * (box[2] - box[0]) * STAMP_DPI / DPI  # read finer than the page
    assert (crop < 128).mean() > 0.02
    # and no stamp is found where there is none
    assert prepare_page(text_page(), DPI).stamp_box is None


def test_stamp_box_ignores_small_marks_and_the_seal():
    m = np.zeros((2339, 1654), bool)
    m[100:108, 100:108] = True  # a speck
    m[1700:2000, 900:1200] = True  # a seal, low on the page
    assert find_stamp_box(m, 200) is None


def test_stamp_block_reads_look_alikes_and_refuses_garbage():
    assert stamp_block("ĐÉN\nSố: l234\nNgày: O5/12/2023") == "ĐẾN\nSố: 1234\nNgày: 05/12/2023"
    assert stamp_block("ĐẾN\nSố: 1234\nNgày: 05/1?/2023") == "ĐẾN\nSố: 1234"  # date unreadable: left out
    # no number read: no block, or the extractors would take the document's own Số line for it
    assert stamp_block("ĐẾN\nSố: 1z >b\nNgày: 05/12/2023") is None
    assert stamp_block("KHẨN\nSố: 12") is None


def test_stamp_block_is_read_before_the_header_and_kept_out_of_it():
    """The stamp's words go above the page: reading order puts them first, on lines of their own,
    and the extractors take them as số đến / ngày đến, not as the document's number and date."""
    page = PreparedPage(Image.new("L", (2480, 3508), 255), 300, 1.0)
    h = 50
    words = []
    for i, (left, right) in enumerate([
        ("UBND TỈNH HÀ TĨNH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("SỞ NỘI VỤ", "Độc lập - Tự do - Hạnh phúc"),
        ("Số: 2097/SNV-CCHC", "Hà Tĩnh, ngày 03 tháng 11 năm 2022"),
    ]):
        y = 200 + i * 80
        for text, x0 in ((left, 250), (right, 1300)):
            x = x0
            for tok in text.split():
                words.append(Word(tok, x, y, x + 25 * len(tok), y + h, conf=95))
                x += 25 * len(tok) + 20
    y = 600
    words += [Word(t, 250 + 150 * i, y, 250 + 150 * i + 120, y + h, conf=95) for i, t in enumerate("Kính gửi: Các sở, ngành.".split())]
    words += stamp_words("ĐẾN\nSố: 1234\nNgày: 05/12/2023", page, 80.0)
    assert all(w.bottom < 0 for w in words[-6:])
    text = order_pages([PageWords(words, 2480, 3508)])[0]
    assert text.startswith("ĐẾN\nSố: 1234\nNgày: 05/12/2023\n\nUBND TỈNH HÀ TĨNH\nSỞ NỘI VỤ\nSố: 2097/SNV-CCHC")
    d = extract(text, SourceInfo(ocr=True))
    assert (d.received_number.value, d.received_date.value) == ("1234", "2023-12-05")
    assert (d.number.value, d.symbol.value, d.date.value) == ("2097", "SNV-CCHC", "2022-11-03")
    assert d.issuer.value == "SỞ NỘI VỤ"
