"""Vietnamese labels and formats for the web pages: field names, statuses, dates as dd/mm/yyyy.

>>> vn_date("2022-12-02"), vn_date("2022-11"), vn_date("2022"), vn_date(None)
('02/12/2022', '11/2022', '2022', '')
>>> field_label("tasks.2.deadline.date"), status_label("in_progress")
('Nhiệm vụ 3 · hạn (ngày)', 'Đang xử lý')
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from extractors.keys import number_symbol

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FIELD_LABELS = {
    "doc_type": "Loại văn bản",
    "issuer": "Cơ quan ban hành",
    "issuer_parent": "Cơ quan chủ quản",
    "number": "Số",
    "symbol": "Ký hiệu",
    "place": "Địa danh",
    "date": "Ngày ban hành",
    "subject": "Trích yếu",
    "urgency": "Độ khẩn",
    "confidentiality": "Độ mật",
    "signer.authority": "Thẩm quyền ký",
    "signer.title": "Chức vụ người ký",
    "signer.name": "Người ký",
}
LIST_LABELS = {
    "recipients": "Kính gửi",
    "named_references": "Văn bản dẫn chiếu theo tên",
    "distribution": "Nơi nhận",
    "references": "Văn bản dẫn chiếu",
    "tasks": "Nhiệm vụ",
    "deadlines": "Thời hạn",
}
PART_LABELS = {
    "type": "loại", "number": "số", "symbol": "ký hiệu", "date": "ngày", "issuer": "cơ quan", "title": "trích yếu",
    "assignee": "đơn vị thực hiện", "action": "nội dung", "deliverable": "sản phẩm", "send_to": "gửi về",
    "deadline.date": "hạn (ngày)", "deadline.text": "hạn (nguyên văn)", "name": "tên", "purpose": "mục đích",
    "text": "nguyên văn",
}  # fmt: skip
STATUS_LABELS = {"open": "Chưa xử lý", "in_progress": "Đang xử lý", "done": "Đã hoàn thành", "cancelled": "Đã hủy"}
KIND_LABELS = {
    "absolute": "hạn cụ thể", "relative": "hạn tương đối", "recurring": "định kỳ", "period": "trong khoảng",
    "vague": "không rõ ngày",
}  # fmt: skip
GROUP_LABELS = {
    "overdue": "Quá hạn", "week": "Trong 7 ngày tới", "later": "Sau đó", "nodate": "Không có hạn",
}  # fmt: skip


def field_label(path: str) -> str:
    """A field path as a clerk reads it (``recipients.0`` → ``Kính gửi 1``)."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] in LIST_LABELS and parts[1].isdigit():
        head = f"{LIST_LABELS[parts[0]]} {int(parts[1]) + 1}"
        rest = ".".join(parts[2:])
        return f"{head} · {PART_LABELS.get(rest, rest)}" if rest else head
    return path


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "open", status or "")


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", kind or "")


def vn_date(iso: str | None) -> str:
    """An ISO date (possibly partial) as Vietnamese write it: ``dd/mm/yyyy``, ``mm/yyyy``, ``yyyy``."""
    if not iso:
        return ""
    parts = iso[:10].split("-")
    return "/".join(reversed(parts))


def vn_datetime(iso: str | None) -> str:
    """A UTC ISO timestamp as Viet Nam's local ``dd/mm/yyyy HH:MM``.

    >>> vn_datetime("2024-05-02T03:04:00+00:00")
    '02/05/2024 10:04'
    """
    if not iso:
        return ""
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def doc_title(row: dict) -> str:
    """``Quyết định 2629/QĐ-UBND`` for a documents row (or ``Văn bản #12``)."""
    num = number_symbol(row.get("number"), row.get("symbol")) if row.get("symbol") else None
    bits = [row.get("doc_type") or ("Văn bản" if not num else None), num]
    title = " ".join(b for b in bits if b)
    return title if num else f"{title} #{row.get('id')}"


def filesize(n: int | None) -> str:
    """``1536`` → ``1,5 KB`` (Vietnamese decimal comma)."""
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return ""


FILTERS = {
    "vn_date": vn_date, "vn_datetime": vn_datetime, "field_label": field_label, "status_label": status_label,
    "kind_label": kind_label, "doc_title": doc_title, "filesize": filesize, "number_symbol": number_symbol,
}  # fmt: skip
"""Jinja2 filters registered by :mod:`pipeline.web.app`."""
