"""Pydantic models: the contract between extractors, the store and every output.

Every extracted value is an :class:`Extracted` — the value as printed, its character
span in the *normalised* text and a confidence — so a user interface can highlight it,
a correction can replace it without losing it, and a test can say exactly what went wrong.

>>> v = Extracted[str](value="2097", span=(120, 124), confidence=0.98)
>>> v.model_dump()
{'value': '2097', 'span': (120, 124), 'confidence': 0.98}

The JSON Schema printed by ``congvan schema`` is generated from these classes.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

T = TypeVar("T")

Span = tuple[int, int]
"""Half-open ``[start, end)`` character offsets into the normalised text."""

ISO_PARTIAL = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class PartialDate(RootModel[str]):
    """A date that may lack its day or month, serialised as ISO ``YYYY[-MM[-DD]]``.

    Drafts leave blanks on the place-date line (``Hà Tĩnh, ngày   tháng 11 năm 2022``).

    >>> PartialDate.of(2022, 11).root
    '2022-11'
    >>> PartialDate("2023-09-15").as_date()
    datetime.date(2023, 9, 15)
    """

    root: str = Field(pattern=ISO_PARTIAL)

    @classmethod
    def of(cls, year: int, month: int | None = None, day: int | None = None) -> PartialDate:
        if day is not None and month is not None:
            dt.date(year, month, day)  # raises ValueError for impossible dates
            return cls(f"{year:04d}-{month:02d}-{day:02d}")
        if month is not None:
            if not 1 <= month <= 12:
                raise ValueError(f"month out of range: {month}")
            return cls(f"{year:04d}-{month:02d}")
        return cls(f"{year:04d}")

    @property
    def year(self) -> int:
        return int(self.root[:4])

    @property
    def month(self) -> int | None:
        return int(self.root[5:7]) if len(self.root) >= 7 else None

    @property
    def day(self) -> int | None:
        return int(self.root[8:10]) if len(self.root) == 10 else None

    @property
    def is_complete(self) -> bool:
        return len(self.root) == 10

    def as_date(self) -> dt.date | None:
        """The full date, or ``None`` when the day or month is missing."""
        return dt.date.fromisoformat(self.root) if self.is_complete else None


class Extracted(BaseModel, Generic[T]):
    """A value as printed, where it was found and how sure we are of it."""

    model_config = ConfigDict(frozen=True)

    value: T
    span: Span | None = Field(None, description="[start, end) in the normalised text")
    confidence: float = Field(1.0, ge=0.0, le=1.0)


class DistributionEntry(BaseModel):
    """One line of ``Nơi nhận:``: who gets a copy and why.

    ``- UBND tỉnh (b/c);`` gives ``name='UBND tỉnh', purpose='b/c', kind='informed'``;
    ``- Lưu: VT, CCHC.`` gives ``kind='archive'`` with ``units=['VT', 'CCHC']``.
    """

    name: str
    purpose: str | None = None
    kind: Literal["as_above", "informed", "archive"] = "informed"
    units: list[str] = Field(default_factory=list)
    span: Span | None = None
    confidence: float = 1.0


class Signer(BaseModel):
    """The signature block: ``KT. GIÁM ĐỐC`` / ``PHÓ GIÁM ĐỐC`` / ``Cù Huy Cẩm``.

    ``authority`` is the authority line(s) as printed (``KT. GIÁM ĐỐC``; stacked prefixes are
    joined by a space, ``TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH``); ``prefixes`` lists the codes
    (``["TM.", "KT."]``).
    """

    authority: Extracted[str] | None = None
    prefixes: list[str] = Field(default_factory=list)
    title: Extracted[str] | None = None
    name: Extracted[str] | None = None


class DocRef(BaseModel):
    """A cited document: ``Quyết định số 2629/QĐ-UBND ngày 23/12/2022 của UBND tỉnh về ...``.

    ``key`` is the canonical document key shared with stored documents
    (see :func:`extractors.keys.document_key`); unnumbered references to named programmes
    have ``number=None`` and a key starting with ``name:``.
    """

    type: Extracted[str] | None = None
    number: Extracted[str] | None = None
    symbol: Extracted[str] | None = None
    date: Extracted[str] | None = None
    issuer: Extracted[str] | None = None
    title: Extracted[str] | None = None
    key: str
    span: Span
    in_footnote: bool = False
    mentions: list[Span] = Field(default_factory=list, description="every place it is cited")
    confidence: float = 1.0


DeadlineKind = Literal["absolute", "relative", "recurring", "period", "vague"]


class Deadline(BaseModel):
    """A time limit as written and, where it can be computed, as a date.

    >>> Deadline(text="trước ngày 02/12/2022", kind="absolute", date="2022-12-02", span=(10, 31))
    ... # doctest: +ELLIPSIS
    Deadline(text='trước ngày 02/12/2022', kind='absolute', date='2022-12-02', ...)
    """

    text: str
    kind: DeadlineKind
    date: str | None = Field(None, pattern=ISO_PARTIAL, description="due date (ISO)")
    time: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", description="due time, HH:MM")
    amount: int | None = Field(None, description="relative: how many units")
    unit: Literal["day", "working_day", "week", "month"] | None = None
    anchor: Literal["signing", "receipt", "document_date"] | None = None
    recurrence: str | None = Field(None, description="RFC 5545 RRULE for recurring deadlines")
    span: Span
    confidence: float = 1.0

    @field_validator("date")
    @classmethod
    def _real_date(cls, v: str | None) -> str | None:
        if v is not None and len(v) == 10:
            dt.date.fromisoformat(v)
        return v


class Task(BaseModel):
    """Who must do what, by when: ``đề nghị các cơ quan ... gửi về Sở Nội vụ trước ngày ...``."""

    assignee: Extracted[str] | None = None
    assignees: list[str] = Field(
        default_factory=list, description="assignee resolved to named bodies where possible"
    )
    action: Extracted[str]
    deliverable: str | None = None
    send_to: str | None = None
    deadline: Deadline | None = None
    span: Span
    confidence: float = 1.0


class SourceInfo(BaseModel):
    """Where the text came from."""

    path: str | None = None
    sha256: str | None = None
    media_type: str = "text/plain"
    pages: int | None = None
    encoding: str | None = None
    ocr: bool = False
    ocr_confidence: list[float] = Field(default_factory=list, description="mean word confidence per OCR page, 0–100")
    handwritten: dict[str, str | None] = Field(
        default_factory=dict,
        description="header values written by hand on a scan ('number', 'day') → what two readings agreed on (null: unreadable)",
    )


class Dispatch(BaseModel):
    """The typed record of one administrative document.

    Keys follow the JSON contract of ``congvan extract FILE --json``: ``doc_type, issuer,
    issuer_parent, number, symbol, place, date, subject, urgency, recipients, distribution,
    signer, references, tasks, deadlines, warnings`` (plus a few more).
    """

    doc_type: Extracted[str] | None = None
    issuer: Extracted[str] | None = None
    issuer_parent: Extracted[str] | None = None
    number: Extracted[str] | None = None
    symbol: Extracted[str] | None = None
    place: Extracted[str] | None = None
    date: Extracted[str] | None = Field(None, description="ISO YYYY-MM-DD, YYYY-MM or YYYY")
    subject: Extracted[str] | None = None
    urgency: Extracted[str] | None = None
    confidentiality: Extracted[str] | None = None
    is_draft: bool = False
    recipients: list[Extracted[str]] = Field(default_factory=list)
    distribution: list[DistributionEntry] = Field(default_factory=list)
    signer: Signer = Field(default_factory=Signer)
    references: list[DocRef] = Field(default_factory=list)
    named_references: list[Extracted[str]] = Field(
        default_factory=list, description="unnumbered programmes, plans and laws cited by name"
    )
    tasks: list[Task] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    key: str | None = Field(None, description="canonical key of this document")
    received_number: Extracted[str] | None = Field(None, description="số đến, from the incoming stamp (ĐẾN)")
    received_date: Extracted[str] | None = Field(None, description="ngày đến, from the incoming stamp (ĐẾN)")
    needs_review: bool = Field(False, description="a person should check or fill in some fields")
    review_reasons: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    source: SourceInfo = Field(default_factory=SourceInfo)
    extractor_version: str = ""
    text: str = Field("", exclude=True, description="the normalised text the spans point into")

    def plain(self) -> dict:
        """The record with every :class:`Extracted` unwrapped to its value (for gold comparison)."""
        return _unwrap(self.model_dump(mode="json"))

    def __reduce__(self):
        # Parametrised generics (Extracted[str]) cannot be pickled by reference; a record crosses
        # process boundaries (extraction workers) as its JSON plus the text it points into.
        return (_dispatch_from_json, (self.model_dump_json(), self.text))


def _dispatch_from_json(data: str, text: str) -> Dispatch:
    d = Dispatch.model_validate_json(data)
    d.text = text
    return d


def _unwrap(obj):
    if isinstance(obj, dict):
        if set(obj) == {"value", "span", "confidence"}:
            return _unwrap(obj["value"])
        return {k: _unwrap(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unwrap(v) for v in obj]
    return obj
