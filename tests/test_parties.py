"""Recipients and distribution lists."""

from __future__ import annotations

from extractors.parties import extract_distribution, extract_recipients


def names(text):
    return [r.value for r in extract_recipients(text).recipients]


def test_one_line_recipient():
    assert names("Kính gửi: Ủy ban nhân dân tỉnh Nghệ An.") == ["Ủy ban nhân dân tỉnh Nghệ An"]


def test_bullets_with_wrapped_entry_and_first_bullet_on_salutation_line():
    text = "Kính gửi: - Sở Tài nguyên và\nMôi trường;\n- Sở Y tế;\n- UBND các huyện.\n\nThực hiện ..."
    assert names(text) == ["Sở Tài nguyên và Môi trường", "Sở Y tế", "UBND các huyện"]


def test_first_entry_whose_dash_the_scan_lost():
    """OCR drops a short dash at a line's start: the first entry, ended by ``;`` and followed by
    dashed ones, is still the list's first, and the list still ends at its ``.``."""
    text = "Kính gửi:\n\nTrung tâm Kiểm soát bệnh tật tỉnh;\n\n- Các bệnh viện tuyến tỉnh;\n- Trung tâm Y tế các huyện.\n\nTheo ..."
    assert names(text) == ["Trung tâm Kiểm soát bệnh tật tỉnh", "Các bệnh viện tuyến tỉnh", "Trung tâm Y tế các huyện"]
    assert names("Kính gửi:\nSở Y tế;\n- Sở Tài chính.\nThực hiện Công văn số 12/UBND;\n- Sở Nội vụ.") == [
        "Sở Y tế", "Sở Tài chính"]


def test_inline_label_list_and_commas_do_not_split():
    assert names("Kính gửi: Các Bộ: Công an, Tư pháp, Tài chính.") == ["Các Bộ: Công an, Tư pháp, Tài chính"]
    assert names("Kính gửi: Sở Tư pháp; Sở Văn hóa, Thể thao và Du lịch.") == [
        "Sở Tư pháp",
        "Sở Văn hóa, Thể thao và Du lịch",
    ]


def test_invitation_and_telegram_headers():
    assert names("Ủy ban nhân dân xã trân trọng kính mời:\n- Đồng chí Bí thư Đảng ủy;\n- Trưởng các thôn.") == [
        "Đồng chí Bí thư Đảng ủy",
        "Trưởng các thôn",
    ]
    assert names("THỦ TƯỚNG CHÍNH PHỦ điện:\n- Bộ trưởng các Bộ;\n- Chủ tịch UBND các tỉnh.") == [
        "Bộ trưởng các Bộ",
        "Chủ tịch UBND các tỉnh",
    ]


def test_distribution_with_signer_column_beside_it():
    text = "Nơi nhận: KT. GIÁM ĐỐC\n- Như trên; PHÓ GIÁM ĐỐC\n- Bộ Tư pháp (Vụ HTQT) (b/c);\n- Lưu: VT, TH (02b).\n"
    d = extract_distribution(text)
    assert [(e.name, e.purpose, e.kind) for e in d.entries] == [
        ("Như trên", None, "as_above"),
        ("Bộ Tư pháp (Vụ HTQT)", "b/c", "informed"),
        ("Lưu: VT, TH (02b)", None, "archive"),  # a copy count, not a purpose
    ]
    assert [text[s:e] for s, e in d.leftovers] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]


def test_purpose_whose_slash_the_scan_lost():
    text = (
        "Nơi nhận:\n- Như trên;\n- Sở Xây dựng (ph);\n- Chi cục Kiểm lâm (để th);\n- Phòng Tư pháp (đb);\n"
        "- Ban Dân tộc (b/c);\n- Trung tâm Lưu trữ (theo dõi);\n- Lưu: VT, TH.\n"
    )
    got = {(e.name, e.purpose, e.confidence < 0.9) for e in extract_distribution(text).entries}
    assert ("Sở Xây dựng", "p/h", True) in got
    assert ("Chi cục Kiểm lâm", "để t/h", True) in got
    assert ("Phòng Tư pháp", "đ/b", True) in got
    assert ("Ban Dân tộc", "b/c", False) in got  # printed right: as printed
    assert ("Trung tâm Lưu trữ", "theo dõi", False) in got  # not an abbreviation of the table
