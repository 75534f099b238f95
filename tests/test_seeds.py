"""The four real dispatches from shared/seeds, field by field.

Every expected value below was read off the seed text by hand (not copied from output).
"""

from __future__ import annotations

import pytest

from extractors.extract import extract


@pytest.fixture(scope="module")
def seeds():
    from tests.conftest import CORPUS

    return {n: extract((CORPUS / f"seed_{n}.txt").read_text(encoding="utf-8")) for n in ("000", "002", "003", "004")}


def v(x):
    return x.value if x is not None else None


def test_seed_000_header(seeds):
    d = seeds["000"]
    assert v(d.doc_type) == "Công văn"
    assert v(d.issuer_parent) == "UBND TỈNH HÀ TĨNH"
    assert v(d.issuer) == "SỞ NỘI VỤ"
    assert d.number is None  # "Số: /SNV-CCHC&VTLT" — a draft with a blank number
    assert v(d.symbol) == "SNV-CCHC&VTLT"
    assert v(d.place) == "Hà Tĩnh"
    assert v(d.date) == "2022-11"  # "ngày tháng 11 năm 2022": the day is blank
    assert v(d.subject) == "cho ý kiến góp ý đối với dự thảo kế hoạch CCHC năm 2023"
    assert d.urgency is None


def test_seed_000_parties_and_signer(seeds):
    d = seeds["000"]
    assert [r.value for r in d.recipients] == [
        "Các sở, ngành cấp tỉnh",
        "Các cơ quan Trung ương đóng trên địa bàn tỉnh",
        "Thành viên Ban Chỉ đạo CCHC tỉnh",
        "UBND cấp huyện",
    ]
    assert [(e.name, e.purpose, e.kind) for e in d.distribution] == [
        ("Như trên", None, "as_above"),
        ("UBND tỉnh", "b/c", "informed"),
        ("Giám đốc, các PGĐ", None, "informed"),
        ("Các phòng: CCVC, XDCQ&TCBC", "để thực hiện", "informed"),
        ("Lưu: VT, CCHC&VTLT", None, "archive"),
    ]
    assert d.distribution[-1].units == ["VT", "CCHC&VTLT"]
    assert (v(d.signer.authority), v(d.signer.title), v(d.signer.name)) == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Cù Huy Cẩm")
    assert d.signer.prefixes == ["KT."]


def test_seed_000_references_and_deadline(seeds):
    d = seeds["000"]
    refs = {r.key: r for r in d.references}
    assert set(refs) == {"371/TBKL@2022", "2097/CCHC&VTLT@?", "12/NQTU@2022"}
    tb = refs["371/TBKL@2022"]
    assert (v(tb.type), v(tb.date), v(tb.issuer)) == ("Thông báo", "2022-10-03", "UBND tỉnh")
    assert v(tb.title) == "Kết luận phiên họp UBND tỉnh ngày 25/9/2022"
    nq = refs["12/NQTU@2022"]
    assert v(nq.issuer) == "Ban Chấp hành Đảng bộ tỉnh"
    assert len(nq.mentions) == 3  # full mention, "(sau đây gọi là Nghị quyết 12-NQ/TU)", "triển khai Nghị quyết 12-NQ/TU"
    dated = [t for t in d.tasks if t.deadline and t.deadline.date]
    assert [(t.assignee.value, t.deadline.date) for t in dated] == [("các cơ quan, đơn vị, địa phương", "2022-12-02")]
    assert dated[0].send_to == "Sở Nội vụ"


def test_seed_002(seeds):
    d = seeds["002"]
    assert (v(d.issuer), v(d.symbol), v(d.date)) == ("SỞ NỘI VỤ", "SNV-CCHC&VTLT", "2023-03")
    assert v(d.subject) == "đăng ký xây dựng các mô hình, sáng kiến, cách làm hay trong cải cách hành chính năm 2023"
    assert len(d.recipients) == 4 and d.recipients[-1].value == "UBND các huyện, thành phố, thị xã"
    assert d.signer.authority is None
    assert (v(d.signer.title), v(d.signer.name)) == ("GIÁM ĐỐC", "Lê Minh Đạo")
    assert [r.key for r in d.references] == ["2629/QDUBND@2022"]
    assert [x.date for x in d.deadlines if x.kind == "absolute"] == ["2023-03-24"]


def test_seed_003_inline_recipients_and_per_agency_tasks(seeds):
    d = seeds["003"]
    assert d.issuer is None and d.issuer_parent is None  # this copy has no header bodies
    assert v(d.place) == "Hung Yên"  # printed so (a typo of Hưng Yên); values stay as printed
    names = [r.value for r in d.recipients]
    assert len(names) == 16
    assert names[:3] == ["Văn phòng UBND tỉnh", "Tư pháp", "Tài chính"]
    assert "Văn hóa, Thể thao và Du lịch" in names  # a comma never splits a name
    assert names[-1] == "Thanh tra tỉnh"
    per_agency = [t for t in d.tasks if t.action.value.startswith("đánh giá")]
    assert len(per_agency) == 17
    assert per_agency[2].assignee.value == "Sở Tư pháp" and "Phụ lục III" in per_agency[2].action.value
    closing = [t for t in d.tasks if t.deadline and t.deadline.date == "2023-09-15"]
    assert len(closing) == 1 and closing[0].assignee.value == "các đơn vị"
    assert (v(d.signer.title), v(d.signer.name)) == ("PHÓ GIÁM ĐỐC", "Nguyễn Thị Thiều Hương")


def test_seed_004_references_in_body_and_footnotes(seeds):
    d = seeds["004"]
    assert (v(d.issuer), v(d.issuer_parent), v(d.symbol)) == ("BAN CHỈ ĐẠO CCHC TỈNH", "UBND TỈNH HÀ TĨNH", "BCĐCCHC-TGV")
    keys = [r.key for r in d.references]
    assert keys == [
        "3/CTTTG@2023", "2454/QDUBND@2022", "2629/QDUBND@2022", "12/NQTU@2022",
        "2088/QDUBND@2021", "525/KHUBND@2022", "385/BNVCCHC@2023",
    ]
    by_key = {r.key: r for r in d.references}
    assert by_key["385/BNVCCHC@2023"].in_footnote  # only cited in footnote ²
    assert not by_key["2454/QDUBND@2022"].in_footnote  # cited in the body and in footnote ¹
    assert v(by_key["2088/QDUBND@2021"].symbol) == "QĐ-UBND"  # printed "2088/QĐUBND": hyphen restored
    assert v(by_key["3/CTTTG@2023"].issuer) == "Thủ tướng Chính phủ"
    assert (v(d.signer.title), v(d.signer.name)) == ("TRƯỞNG BAN", "Võ Trọng Hải")
    giao = [t for t in d.tasks if t.assignee and t.assignee.value.startswith("Sở Nội vụ")]
    assert len(giao) == 1 and "đôn đốc" in giao[0].action.value


def test_spans_point_at_the_values(seeds):
    """Every extracted value's span, read in the normalised text, gives the value back."""
    for d in seeds.values():
        for field in ("issuer", "issuer_parent", "symbol", "place", "number"):
            x = getattr(d, field)
            if x is not None:
                assert d.text[x.span[0]:x.span[1]] == x.value, field
        for r in d.recipients:
            assert " ".join(d.text[r.span[0]:r.span[1]].split()) == r.value
        for r in d.references:
            s, e = r.number.span
            assert d.text[s:e] == r.number.value
