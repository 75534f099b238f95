"""Deadline expressions (extractors/deadlines.py).

Every expected date was counted by hand on a calendar; weekdays were checked with Python's
``calendar`` module and days off against the announcements cited in
``extractors/data/workday_overrides.tsv``. The reasoning is next to each case.
"""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.deadlines import find_deadlines, next_occurrence
from extractors.tables import read_tsv
from schemas import Deadline, PartialDate

D = dt.date


def find(text: str, doc: str | None = None, **kw: int) -> list[Deadline]:
    return find_deadlines(text, PartialDate(doc) if doc else None, **kw)


def one(text: str, doc: str | None = None) -> Deadline:
    found = [d for d in find(text, doc) if d.kind != "vague"]
    assert len(found) == 1, found
    return found[0]


def spanned(text: str, d: Deadline) -> str:
    return text[d.span[0] : d.span[1]]


# --------------------------------------------------------------------------- absolute


@pytest.mark.parametrize(
    ("text", "doc", "phrase", "date", "time"),
    [
        ("Gửi về Sở Nội vụ trước ngày 02/12/2022 để tổng hợp.", "2022-11-03",
         "trước ngày 02/12/2022", "2022-12-02", None),
        ("Báo cáo gửi chậm nhất ngày 15 tháng 9 năm 2023.", None,
         "chậm nhất ngày 15 tháng 9 năm 2023", "2023-09-15", None),
        ("Các đơn vị gửi chậm nhất là ngày 15/9/2023.", None,
         "chậm nhất là ngày 15/9/2023", "2023-09-15", None),
        ("Gửi văn bản trước 16 giờ 00 ngày 20/10/2023 (qua hệ thống).", None,
         "trước 16 giờ 00 ngày 20/10/2023", "2023-10-20", "16:00"),
        ("Gửi văn bản trước 16h00 ngày 20/10/2023.", None,
         "trước 16h00 ngày 20/10/2023", "2023-10-20", "16:00"),
        ("Gửi trước 10 giờ 30 phút, thứ Sáu, ngày 20/10/2023.", None,
         "trước 10 giờ 30 phút, thứ Sáu, ngày 20/10/2023", "2023-10-20", "10:30"),
        ("Hạn cuối ngày 30/6/2023.", None, "Hạn cuối ngày 30/6/2023", "2023-06-30", None),
        ("Nộp hồ sơ không muộn hơn ngày 30/6/2023.", None,
         "không muộn hơn ngày 30/6/2023", "2023-06-30", None),
        # "hoàn thành trước": the text starts at "trước", as the corpus gold does
        ("Hoàn thành trước ngày 30/6/2023.", None, "trước ngày 30/6/2023", "2023-06-30", None),
        ("Thời hạn hoàn thành: 30/6/2023.", None, "Thời hạn hoàn thành: 30/6/2023", "2023-06-30", None),
        # a line break inside the phrase (PDF text)
        ("gửi về Sở trước\nngày 15/9/2023.", None, "trước\nngày 15/9/2023", "2023-09-15", None),
    ],
)  # fmt: skip
def test_absolute(text: str, doc: str | None, phrase: str, date: str, time: str | None) -> None:
    d = one(text, doc)
    assert (d.kind, d.date, d.time) == ("absolute", date, time)
    assert spanned(text, d) == phrase
    assert d.text == " ".join(phrase.split())


def test_markdown_bold_is_tolerated() -> None:
    text = "gửi về Sở Nội vụ trước ngày **02/12/2022** để tổng hợp"
    d = one(text, "2022-11-03")
    assert spanned(text, d) == "trước ngày **02/12/2022"  # ends with the date, not the "**"
    assert d.text == "trước ngày 02/12/2022"
    assert d.date == "2022-12-02"
    text = "gửi báo cáo về Sở Nội vụ **trước ngày 15/9/2023**, để tổng hợp"
    assert spanned(text, one(text)) == "trước ngày 15/9/2023"


def test_yearless_date_takes_the_document_year() -> None:
    text = "Báo cáo gửi trước ngày 15/9 để tổng hợp."
    d = one(text, "2023-05-03")  # 15/9/2023 is after 3/5/2023
    assert (d.date, spanned(text, d)) == ("2023-09-15", "trước ngày 15/9")
    assert d.confidence < one("trước ngày 15/9/2023", "2023-05-03").confidence


def test_yearless_date_already_past_goes_to_next_year() -> None:
    # document of 3/11/2023: 15/9/2023 has passed, so 15/9/2024
    assert one("trước ngày 15/9", "2023-11-03").date == "2024-09-15"
    # document month known only (11/2023): 15/9 cannot fall in it, so 2024 as well
    assert one("trước ngày 15/9", "2023-11").date == "2024-09-15"


def test_yearless_date_without_document_date_has_no_date() -> None:
    d = one("trước ngày 15/9")
    assert d.kind == "absolute" and d.date is None and d.confidence <= 0.5


def test_xong_truoc_without_ngay() -> None:
    text = "Giải phóng mặt bằng xong trước 30/6."
    d = one(text, "2024-05-17")
    assert (spanned(text, d), d.date) == ("xong trước 30/6", "2024-06-30")


def test_yearless_long_form() -> None:
    assert one("chậm nhất ngày 15 tháng 9", "2023-05-03").date == "2023-09-15"


def test_cited_document_date_is_not_a_deadline() -> None:
    text = (
        "Để triển khai hiệu quả Quyết định số 2629/QĐ-UBND ngày 23/12/2022 của UBND tỉnh về "
        "ban hành Kế hoạch cải cách hành chính (CCHC) tỉnh năm 2023, Sở Nội vụ đề nghị các cơ "
        "quan, đơn vị lựa chọn xây dựng mô hình."
    )
    assert [d for d in find(text, "2023-03-10") if d.kind != "vague"] == []


def test_cited_document_then_real_deadline() -> None:
    text = "Báo cáo kết quả thực hiện Quyết định số 2629/QĐ-UBND ngày 23/12/2022 trước ngày 15/01/2023."
    d = one(text, "2023-01-05")
    assert (spanned(text, d), d.date) == ("trước ngày 15/01/2023", "2023-01-15")


def test_meeting_time_is_not_a_deadline() -> None:
    assert find("Thời gian: 08 giờ 00, ngày 15/3/2023 (thứ Tư).", "2023-03-10") == []


def test_every_absolute_trigger_in_the_table_works() -> None:
    triggers = [row[0] for row in read_tsv("deadline_triggers.tsv") if row[1] == "absolute"]
    assert "trước" in triggers and "chậm nhất" in triggers
    for trigger in triggers:
        text = f"Đơn vị gửi báo cáo {trigger} ngày 15/9/2023."
        d = one(text)
        assert d.date == "2023-09-15", trigger
        assert spanned(text, d).lower().startswith(trigger.rstrip(":")), trigger


# --------------------------------------------------------------------------- relative


def test_relative_working_days_from_receipt() -> None:
    text = "Đề nghị góp ý trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản."
    d = one(text, "2023-11-03")
    assert spanned(text, d) == "trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản"
    assert (d.kind, d.amount, d.unit, d.anchor) == ("relative", 5, "working_day", "receipt")
    # Fri 3/11/2023 + 5 working days: Mon 6 (1), Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5)
    assert d.date == "2023-11-10"
    signed = one("trong thời hạn 05 ngày làm việc kể từ ngày ký văn bản này.", "2023-11-03")
    assert signed.anchor == "signing" and signed.date == "2023-11-10"
    assert d.confidence < signed.confidence  # the day the letter arrives is unknown


def test_relative_calendar_days_from_signing() -> None:
    text = "Các đơn vị hoàn thành trong vòng 10 ngày kể từ ngày ký."
    d = one(text, "2023-11-03")
    assert spanned(text, d) == "trong vòng 10 ngày kể từ ngày ký"
    assert (d.amount, d.unit, d.anchor) == (10, "day", "signing")
    assert d.date == "2023-11-13"  # 3/11 + 10 calendar days


def test_relative_after_issue() -> None:
    text = "Quy chế được rà soát sau 15 ngày kể từ ngày ban hành."
    d = one(text, "2023-11-03")
    assert spanned(text, d) == "sau 15 ngày kể từ ngày ban hành"
    assert (d.amount, d.unit, d.anchor, d.date) == (15, "day", "document_date", "2023-11-18")


def test_relative_without_anchor_across_tet() -> None:
    text = "Đề nghị báo cáo trong 03 ngày làm việc."
    d = one(text, "2024-02-07")
    assert spanned(text, d) == "trong 03 ngày làm việc"
    assert (d.amount, d.unit, d.anchor) == (3, "working_day", None)
    # Wed 7/2/2024; Tết off Thu 8/2-Wed 14/2: Thu 15 (1), Fri 16 (2), Mon 19 (3)
    assert d.date == "2024-02-19"


def test_relative_across_labour_day_2025() -> None:
    # Fri 25/4/2025 + 3 working days: Sat 26/4 (làm bù, 1), Mon 28 (2), Tue 29 (3)
    assert one("trong 03 ngày làm việc", "2025-04-25").date == "2025-04-29"


def test_relative_from_partial_document_date_has_no_date() -> None:
    d = one("trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản này", "2023-10")
    assert (d.amount, d.unit, d.date) == (5, "working_day", None)
    assert one("trong vòng 10 ngày kể từ ngày ký", "2025").date is None
    assert one("trong vòng 10 ngày kể từ ngày ký").date is None


def test_relative_from_an_event_we_cannot_date() -> None:
    text = "giải quyết trong thời hạn 10 ngày làm việc\nkể từ ngày nhận đủ hồ sơ hợp lệ."
    d = one(text, "2024-05-17")
    assert spanned(text, d) == "trong thời hạn 10 ngày làm việc\nkể từ ngày nhận đủ hồ sơ hợp lệ"
    assert (d.amount, d.unit, d.anchor, d.date) == (10, "working_day", None, None)


def test_relative_from_an_explicit_date_and_months() -> None:
    d = one("trong vòng 02 tháng kể từ ngày 31/12/2023")
    assert (d.amount, d.unit, d.date) == (2, "month", "2024-02-29")  # no 31/2: the month's last day


def test_relative_number_words() -> None:
    d = one("trong vòng mười ngày kể từ ngày ký Quyết định này", "2023-11-03")
    assert (d.amount, d.date) == (10, "2023-11-13")


@pytest.mark.parametrize(
    "text",
    [
        "Hội nghị diễn ra trong 02 ngày.",  # a duration
        "Trong 10 ngày qua, tỉnh đã tiếp nhận 500 hồ sơ.",  # looking back
        "Sau 3 tháng triển khai, mô hình đạt kết quả tốt.",  # "sau" without "kể từ"
        "Báo cáo trong 6 tháng đầu năm phải đầy đủ.",  # a period, handled there
    ],
)
def test_not_relative(text: str) -> None:
    assert all(d.kind != "relative" for d in find(text, "2023-11-03"))


# --------------------------------------------------------------------------- period


@pytest.mark.parametrize(
    ("text", "doc", "phrase", "date"),
    [
        ("Hoàn thiện hồ sơ trong tháng 12/2023.", "2023-11-03", "trong tháng 12/2023", "2023-12-31"),
        ("Tổ chức kiểm tra trong Quý I/2023.", "2023-01-03", "trong Quý I/2023", "2023-03-31"),
        # "hoàn thành trong ...": the text starts at "trong", as the corpus gold does
        ("Hoàn thành trong Quý III năm 2024.", "2024-01-03", "trong Quý III năm 2024", "2024-09-30"),
        ("Thời gian thực hiện: Quý III/2024.", "2024-01-03", "Thời gian thực hiện: Quý III/2024", "2024-09-30"),
        ("Triển khai trong 6 tháng đầu năm 2023.", "2023-01-03", "trong 6 tháng đầu năm 2023", "2023-06-30"),
        ("Thực hiện trong 6 tháng cuối năm.", "2023-03-01", "trong 6 tháng cuối năm", "2023-12-31"),
        ("Thời hạn: năm 2024.", "2023-11-03", "Thời hạn: năm 2024", "2024-12-31"),
        ("Chậm nhất trong năm 2024 phải hoàn thành.", "2023-11-03", "Chậm nhất trong năm 2024", "2024-12-31"),
        ("Hoàn thành trong tháng 12.", "2023-11-03", "trong tháng 12", "2023-12-31"),
        # written in December: "trong tháng 1" is next January
        ("Hoàn thành trong tháng 1.", "2023-12-15", "trong tháng 1", "2024-01-31"),
        # "trước tháng 6/2023": by the end of May
        ("Hoàn thành trước tháng 6/2023.", "2023-03-01", "trước tháng 6/2023", "2023-05-31"),
    ],
)  # fmt: skip
def test_period_end_dates(text: str, doc: str, phrase: str, date: str) -> None:
    d = one(text, doc)
    assert (d.kind, d.date, spanned(text, d)) == ("period", date, phrase)


@pytest.mark.parametrize(
    "text",
    [
        "Báo cáo kết quả 9 tháng đầu năm 2023 cho thấy nhiều chuyển biến.",  # no time-limit word
        "Kết quả thực hiện Quý III/2023 đạt 95%.",
        "những tồn tại đã được chỉ ra trong năm 2022 và đầu năm 2023",  # a past period
        "tập trung chỉ đạo xây dựng, nhân rộng trong năm 2023.",  # whole year after bare "trong"
    ],
)
def test_not_a_period_deadline(text: str) -> None:
    assert [d for d in find(text, "2023-10-05") if d.kind != "vague"] == []


# --------------------------------------------------------------------------- recurring


def test_recurring_quarterly() -> None:
    text = "Định kỳ hằng quý, trước ngày 15 của tháng cuối quý, các đơn vị gửi báo cáo."
    d = one(text, "2023-11-03")
    assert spanned(text, d) == "Định kỳ hằng quý, trước ngày 15 của tháng cuối quý"
    assert d.kind == "recurring"
    assert d.recurrence == "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15"
    assert d.date == "2023-12-15"  # quarter-end months after 3/11/2023: December


def test_recurring_monthly_in_brackets() -> None:
    text = "Báo cáo định kỳ hằng tháng (trước ngày 25) về Sở Nội vụ."
    d = one(text, "2023-11-03")
    assert spanned(text, d) == "định kỳ hằng tháng (trước ngày 25)"
    assert (d.recurrence, d.date) == ("FREQ=MONTHLY;BYMONTHDAY=25", "2023-11-25")


def test_recurring_yearly() -> None:
    text = "Gửi báo cáo trước ngày 20/12 hằng năm."
    d = one(text, "2023-12-25")
    assert spanned(text, d) == "trước ngày 20/12 hằng năm"
    assert d.recurrence == "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"
    assert d.date == "2024-12-20"  # 20/12/2023 is before the document of 25/12/2023
    assert one("Gửi báo cáo trước ngày 20/12 hàng năm.", "2023-11-03").date == "2023-12-20"


def test_recurring_half_yearly() -> None:
    text = "định kỳ 6 tháng, trước ngày 15/6 và 15/12 hằng năm"
    d = one(text, "2023-07-01")
    assert spanned(text, d) == text
    assert (d.recurrence, d.date) == ("FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=15", "2023-12-15")


def test_recurring_hang_spelling_and_prefix_before_day() -> None:
    text = "báo cáo tình hình định kỳ trước ngày 18 hàng tháng theo quy định"
    d = one(text, "2021-06-14")
    assert spanned(text, d) == "định kỳ trước ngày 18 hàng tháng"
    assert (d.recurrence, d.date) == ("FREQ=MONTHLY;BYMONTHDAY=18", "2021-06-18")


def test_recurring_next_month() -> None:
    text = "định kỳ hằng tháng, trước ngày 05 của tháng sau."
    d = one(text, "2025-08-14")
    assert spanned(text, d) == "định kỳ hằng tháng, trước ngày 05 của tháng sau"
    assert d.date == "2025-09-05"


def test_recurring_date_from_partial_document_date() -> None:
    quarterly = "định kỳ hằng quý, trước ngày 15 của tháng cuối quý"
    # any day of January 2026 is followed by 15/3/2026
    assert one(quarterly, "2026-01").date == "2026-03-15"
    # March 2021: before the 15th it is 15/3, after it 15/6 - unknown
    assert one(quarterly, "2021-03").date is None
    assert one(quarterly).date is None
    assert one(quarterly).recurrence == "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15"


def test_next_occurrence() -> None:
    quarterly = "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15"
    assert next_occurrence(quarterly, D(2023, 11, 3)) == D(2023, 12, 15)
    assert next_occurrence(quarterly, D(2023, 12, 15)) == D(2023, 12, 15)  # on or after
    assert next_occurrence(quarterly, D(2023, 12, 16)) == D(2024, 3, 15)
    yearly = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"
    assert next_occurrence(yearly, D(2023, 11, 3)) == D(2023, 12, 20)
    assert next_occurrence(yearly, D(2023, 12, 21)) == D(2024, 12, 20)
    assert next_occurrence("FREQ=MONTHLY;BYMONTHDAY=-1", D(2024, 2, 3)) == D(2024, 2, 29)
    assert next_occurrence("FREQ=MONTHLY;BYMONTHDAY=31", D(2023, 4, 3)) == D(2023, 5, 31)  # April skipped
    assert next_occurrence("FREQ=WEEKLY;BYDAY=FR", D(2023, 11, 4)) == D(2023, 11, 10)  # Sat -> Fri
    two = "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=15\nFREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"
    assert next_occurrence(two, D(2023, 7, 1)) == D(2023, 12, 20)
    with pytest.raises(ValueError):
        next_occurrence("FREQ=YEARLY", D(2023, 1, 1))  # needs a DTSTART


# --------------------------------------------------------------------------- vague


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Đề nghị các đơn vị kịp thời báo cáo.", "kịp thời"),
        ("Đề nghị triển khai ngay.", "ngay"),
        ("Ngay sau khi nhận được văn bản, đề nghị các đơn vị triển khai.", "Ngay sau khi"),
        ("Gửi báo cáo ngay khi có kết quả.", "ngay khi"),
        ("Thường xuyên cập nhật thông tin.", "Thường xuyên"),
        ("Khẩn trương hoàn thành các nhiệm vụ.", "Khẩn trương"),
        ("Đề nghị Sở Tài chính sớm gửi ý kiến.", "sớm"),
    ],
)
def test_vague(text: str, phrase: str) -> None:
    found = find(text, "2023-11-03")
    assert len(found) == 1
    d = found[0]
    assert (d.kind, d.date, spanned(text, d)) == ("vague", None, phrase)


def test_ngay_does_not_match_inside_ngay_with_accent() -> None:
    text = "Hà Tĩnh, ngày 03 tháng 11 năm 2022. Ngày nay, hằng ngày, các ngày lễ."
    assert find(text, "2022-11-03") == []


@pytest.mark.parametrize(
    "text",
    [
        "ngay cả khi chưa có hướng dẫn",  # "even"
        "đặt ngay tại trụ sở",  # "right at"
        "dự toán chi thường xuyên năm 2024",  # recurrent expenditure
        "việc báo cáo còn chưa kịp thời",  # criticism, not a request
        "phát hiện sớm các ổ dịch",  # "sớm" not before a verb
    ],
)
def test_not_vague(text: str) -> None:
    assert find(text) == []


def test_purpose_lowers_vague_confidence() -> None:
    purpose, request = find("Để kịp thời tham mưu UBND tỉnh; đề nghị kịp thời báo cáo.")
    assert purpose.confidence < request.confidence


# --------------------------------------------------------------------------- the whole text


TEXT = (
    "Thực hiện Quyết định số 2629/QĐ-UBND ngày 23/12/2022 của UBND tỉnh, Sở Nội vụ đề nghị:\n"
    "1. Các cơ quan, đơn vị gửi báo cáo về Sở Nội vụ trước 16h00 ngày 20/11/2023.\n"
    "2. Góp ý dự thảo trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản này.\n"
    "3. Định kỳ hằng quý, trước ngày 15 của tháng cuối quý, báo cáo kết quả; khẩn trương "
    "hoàn thành trong tháng 12/2023.\n"
    "Kết quả 9 tháng đầu năm 2023 đạt khá./."
)


def test_text_order_spans_and_no_overlap() -> None:
    found = find(TEXT, "2023-11-03")
    assert [(d.kind, spanned(TEXT, d)) for d in found] == [
        ("absolute", "trước 16h00 ngày 20/11/2023"),
        ("relative", "trong thời hạn 05 ngày làm việc kể từ ngày nhận được văn bản này"),
        ("recurring", "Định kỳ hằng quý, trước ngày 15 của tháng cuối quý"),
        ("vague", "khẩn trương"),
        ("period", "trong tháng 12/2023"),
    ]
    assert [d.date for d in found] == ["2023-11-20", "2023-11-10", "2023-12-15", None, "2023-12-31"]
    assert found[0].time == "16:00"
    assert all(a.span[1] <= b.span[0] for a, b in zip(found, found[1:], strict=False))


def test_start_and_end_window() -> None:
    a = TEXT.index("2. Góp ý")
    b = TEXT.index("3. Định kỳ")
    found = find(TEXT, "2023-11-03", start=a, end=b)
    assert [d.kind for d in found] == ["relative"]
    assert a <= found[0].span[0] < found[0].span[1] <= b
    assert spanned(TEXT, found[0]).startswith("trong thời hạn 05")


def test_uppercase_and_empty() -> None:
    assert one("ĐỀ NGHỊ GỬI TRƯỚC NGÀY 15/9/2023.").date == "2023-09-15"
    assert find("") == []
    assert find("Không có thời hạn nào ở đây.") == []


@pytest.mark.parametrize(
    ("text", "phrase", "next_date"),
    [
        # 2022-08-15 is a Monday; the next Friday is 2022-08-19 (checked on a calendar)
        ("Các Chi cục định kỳ vào thứ Sáu hằng tuần tổng hợp số liệu.", "định kỳ vào thứ Sáu hằng tuần", "2022-08-19"),
        ("định kỳ hằng tuần (vào chiều thứ Sáu) báo cáo tiến độ", "định kỳ hằng tuần (vào chiều thứ Sáu)", "2022-08-19"),
        ("gửi báo cáo hằng tuần vào thứ Hai", "hằng tuần vào thứ Hai", "2022-08-15"),  # the same Monday
    ],
)
def test_weekly_recurring_on_a_weekday(text, phrase, next_date):
    (d,) = [x for x in find_deadlines(text, PartialDate("2022-08-15")) if x.kind == "recurring"]
    assert text[d.span[0]:d.span[1]] == phrase
    assert d.recurrence.startswith("FREQ=WEEKLY;BYDAY=") and d.date == next_date
