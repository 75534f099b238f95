"""Canonical keys and reference parsing."""

from __future__ import annotations

import pytest

from extractors.extract import extract
from extractors.keys import document_key, key_prefix, parse_number_symbol
from extractors.normalize import normalize
from extractors.references import extract_references


@pytest.mark.parametrize(
    "spelling",
    [
        "Quyết định số 2629/QĐ-UBND ngày 23/12/2022",
        "QĐ 2629/QĐ-UBND ngày 23/12/2022",
        "theo 2629/QĐ-UBND ngày 23/12/2022",
        "Quyết định 2629/QD-UBND ngày 23/12/2022",
        "Quyết định 2629/Qđ-UBND ngày 23/12/2022",
        "Quyết định 2629/QĐUBND ngày 23/12/2022",
        "Quyết định 2629 / QĐ - UBND ngày 23/12/2022",
        "Quyết định số 2629/QĐ-UBND ngày 23 tháng 12 năm 2022",
    ],
)
def test_every_spelling_gives_the_same_key(spelling):
    refs = extract_references(normalize(spelling).text)
    assert [r.key for r in refs] == ["2629/QDUBND@2022"]


def test_same_number_and_symbol_in_two_years_stay_two_documents():
    text = "Quyết định số 12/QĐ-UBND ngày 05/01/2022 và Quyết định số 12/QĐ-UBND ngày 06/01/2023."
    assert sorted(r.key for r in extract_references(text)) == ["12/QDUBND@2022", "12/QDUBND@2023"]


def test_normative_party_and_letter_keys():
    assert document_key("30", "2020/NĐ-CP") == document_key("30", "2020/ND-CP", 2021) == "30/NDCP@2020"
    assert parse_number_symbol("Nghị quyết số 12-NQ/TU ngày") == ("12", "NQ/TU")
    assert document_key("05", "QĐ-UBND", 2024) == document_key("5", "QĐ-UBND", 2024)
    assert key_prefix("Văn bản số 2097/SNV-CCHC") == "2097/SNVCCHC@"


def test_short_later_mention_joins_the_dated_one():
    text = (
        "Thực hiện Nghị quyết số 12-NQ/TU ngày 26/5/2022 của Ban Chấp hành Đảng bộ tỉnh về cải cách hành chính; "
        "để triển khai Nghị quyết 12-NQ/TU, Sở đề nghị."
    )
    (ref,) = extract_references(text)
    assert ref.key == "12/NQTU@2022" and len(ref.mentions) == 2
    assert ref.issuer.value == "Ban Chấp hành Đảng bộ tỉnh" and ref.title.value == "cải cách hành chính"


def test_undated_reference_has_unknown_year_and_own_number_is_not_a_reference():
    d = extract("BỘ NỘI VỤ\nSố: 385/BNV-CCHC\nHà Nội, ngày 06 tháng 02 năm 2023\nV/v điều tra\n"
                "Kính gửi: Các Bộ.\nTiếp theo Công văn số 15/BNV-CCHC, Bộ Nội vụ đề nghị.")
    assert [r.key for r in d.references] == ["15/BNVCCHC@?"]
    assert d.key == "385/BNVCCHC@2023"


def test_not_references():
    text = "xếp hạng 60/63 tỉnh; số liệu tới 10/9/2023; khoản 2/Điều 3; giai đoạn 2021-2030"
    assert extract_references(text) == []
