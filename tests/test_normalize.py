"""Normalisation: each repair, and the offset map back to the raw text."""

from __future__ import annotations

import unicodedata

import pytest

from extractors.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Số: 1961/QĐUBND ngày", "Số: 1961/QĐ-UBND ngày"),  # lost hyphen, known type + issuer
        ("Nghị định 30/2020/NĐCP", "Nghị định 30/2020/NĐ-CP"),
        ("theo 2629 / QĐ - UBND", "theo 2629/QĐ-UBND"),  # stray spaces in a symbol
        ("Số: /SNV-CCHCVTLT", "Số: /SNV-CCHCVTLT"),  # a real unit name is not split
        ("Ban BCĐCCHC-TGV", "Ban BCĐCCHC-TGV"),
        ("TRƯỞNG BAN THI ĐUA - KHEN THƯỞNG", "TRƯỞNG BAN THI ĐUA - KHEN THƯỞNG"),  # not a symbol
        ("hoà thuỷ khoẻ hoá", "hòa thủy khỏe hóa"),  # old tone placement
        ("quý hoàn toàn", "quý hoàn toàn"),  # qu- and closed syllables untouched
        ("trước ngày **02/12/2022**", "trước ngày 02/12/2022"),
        ("Đề án “*Đẩy mạnh*”", "Đề án “Đẩy mạnh”"),
        ("thực hi-\nện tốt", "thực hiện tốt"),  # word broken across lines
        ("của tỉnh¹ năm 2023", "của tỉnh năm 2023"),  # inline footnote marker
        ("¹ Quyết định số 1", "¹ Quyết định số 1"),  # a footnote's own marker is kept
        ("a\u00a0b\u200bc", "a bc"),
        ("Kính gửi:\r\n- A;", "Kính gửi:\n- A;"),
    ],
)
def test_repairs(raw, expected):
    assert normalize(raw).text == expected


def test_nfd_becomes_nfc_and_maps_back():
    raw = unicodedata.normalize("NFD", "Thành phố Hồ Chí Minh")
    n = normalize(raw)
    assert n.text == "Thành phố Hồ Chí Minh"
    s = n.text.index("Hồ")
    assert unicodedata.normalize("NFC", n.raw[slice(*n.to_raw((s, s + 2)))]) == "Hồ"


def test_pipe_table_is_read_column_by_column():
    raw = "| UBND TỈNH A | CỘNG HÒA XÃ HỘI |\n|---|---|\n| SỞ Y TẾ | Độc lập |\n\nKính gửi: X"
    n = normalize(raw)
    assert n.text.split("\n")[:5] == ["UBND TỈNH A", "SỞ Y TẾ", "", "CỘNG HÒA XÃ HỘI", "Độc lập"]
    i = n.text.index("SỞ Y TẾ")
    assert n.raw[slice(*n.to_raw((i, i + 7)))] == "SỞ Y TẾ"


def test_offset_map_round_trip_on_unchanged_words():
    raw = "Căn cứ  Quyết định số 2629 / QĐ - UBND ngày 23/12/2022 của **UBND tỉnh** Hoà Bình;"
    n = normalize(raw)
    for word in ("Căn cứ", "Quyết định", "23/12/2022", "UBND tỉnh", "Bình"):
        s = n.text.index(word)
        assert n.raw[slice(*n.to_raw((s, s + len(word))))] == word
    s = n.text.index("2629/QĐ-UBND")
    assert n.raw[slice(*n.to_raw((s, s + 12)))] == "2629 / QĐ - UBND"
