"""Run the extractors in order and assemble a :class:`~schemas.Dispatch`.

>>> d = extract('''UBND TỈNH HÀ TĨNH
... SỞ NỘI VỤ
... Số: 2097/SNV-CCHC
... V/v góp ý dự thảo kế hoạch
... Hà Tĩnh, ngày 03 tháng 11 năm 2022
... Kính gửi: Các sở, ngành cấp tỉnh.
... Sở Nội vụ đề nghị các cơ quan, đơn vị gửi ý kiến về Sở Nội vụ trước ngày 10/11/2022./.
... Nơi nhận:
... - Như trên;
... - Lưu: VT, CCHC.
... GIÁM ĐỐC
... Lê Minh Đạo''')
>>> d.key, d.recipients[0].value, d.signer.name.value, d.tasks[0].deadline.date
('2097/SNVCCHC@2022', 'Các sở, ngành cấp tỉnh', 'Lê Minh Đạo', '2022-11-10')
"""

from __future__ import annotations

from extractors.deadlines import find_deadlines
from extractors.header import extract_header
from extractors.keys import document_key
from extractors.lines import Line, is_caps, split_lines
from extractors.normalize import Normalized, normalize
from extractors.ocrfix import ocr_repair
from extractors.parties import extract_distribution, extract_recipients
from extractors.references import extract_named_references, extract_references
from extractors.signer import NAME, extract_signer
from extractors.stamp import find_stamp
from extractors.tasks import extract_tasks
from schemas import Dispatch, PartialDate, SourceInfo, Span

EXTRACTOR_VERSION = "0.1.0"
"""Bumped whenever extraction output changes; stored with each record."""

ANCHORS = ("number", "symbol", "date", "issuer", "doc_type", "recipients", "signer")
HANDWRITTEN = 0.6
"""Confidence factor of a value a clerk wrote by hand (two OCR readings agreed, but handwriting)."""


def anchors_found(d: Dispatch) -> int:
    """How many of the genre's anchors a record has (a dispatch has several)."""
    found = sum(getattr(d, f) is not None for f in ("symbol", "date", "issuer", "doc_type"))
    found += bool(d.recipients) + bool(d.signer.name or d.signer.title) + bool(d.distribution)
    return found


def _closing_block_start(lines: list[Line], pos: int, floor: int) -> int:
    """Move ``pos`` back over a signature block printed above it (short caps/name lines)."""
    idx = next((ln.index for ln in lines if ln.start >= pos), len(lines))
    start = pos
    i = idx - 1
    while i >= 0 and lines[i].start >= floor:
        t = lines[i].text
        if t and (len(t) > 60 or not (is_caps(t) or NAME.match(t) or t.startswith("("))):
            break
        if t:
            start = lines[i].start
        i -= 1
    return start


def extract_normalized(n: Normalized, source: SourceInfo | None = None, repaired: list[Span] | None = None) -> Dispatch:
    """Extract a record from already normalised text (``repaired``: spans changed by OCR repair)."""
    text = n.text
    lines = split_lines(text)
    stamp = find_stamp(text)
    if stamp:  # the header must not read the receiving office's number and date as the document's
        a, b = stamp.span
        head_text = text[:a] + "".join(c if c == "\n" else " " for c in text[a:b]) + text[b:]
        h = extract_header(head_text, split_lines(head_text))
    else:
        h = extract_header(text, lines)
    d = Dispatch(
        doc_type=h.doc_type,
        issuer=h.issuer,
        issuer_parent=h.issuer_parent,
        number=h.number,
        symbol=h.symbol,
        place=h.place,
        date=h.date,
        subject=h.subject,
        urgency=h.urgency,
        confidentiality=h.confidentiality,
        is_draft=h.is_draft,
        warnings=list(h.warnings),
        source=source or SourceInfo(),
        extractor_version=EXTRACTOR_VERSION,
    )
    rec = extract_recipients(text, lines, start=h.end)
    d.recipients = rec.recipients
    body_start = max(h.end, rec.span[1] if rec.span else 0)

    dist = extract_distribution(text, lines, start=body_start)
    d.distribution = dist.entries
    d.warnings.extend(dist.warnings)
    closing = text.rfind("./.", body_start)
    candidates = [p for p in (dist.span[0] if dist.span else None, closing + 3 if closing >= 0 else None) if p is not None]
    signer_start = min(candidates) if candidates else max(body_start, len(text) - 600)
    signer_start = _closing_block_start(lines, signer_start, body_start)
    d.signer = extract_signer(text, dist.leftovers, start=signer_start, skip=[dist.span] if dist.span else [])
    body_end = dist.span[0] if dist.span and dist.span[0] > body_start else len(text)
    if closing >= body_start:
        body_end = min(body_end, closing + 3)

    doc_date = PartialDate(h.date.value) if h.date else None
    d.deadlines = find_deadlines(text, doc_date, body_start, body_end)
    d.tasks = extract_tasks(text, body_start, body_end, d.deadlines, [r.value for r in d.recipients])
    own = [h.symbol.span] if h.symbol else []
    if h.number:
        own.append((h.number.span[0], h.symbol.span[1] if h.symbol else h.number.span[1]))
    d.references = extract_references(text, exclude=own)
    # a programme named in a numbered reference's title is part of that reference, not another one
    d.named_references = extract_named_references(text, exclude=[r.span for r in d.references] + [(body_end, len(text))])
    if h.symbol:
        d.key = document_key(h.number.value if h.number else None, h.symbol.value, doc_date.year if doc_date else None)
    d.text = text
    if stamp:
        d.received_number, d.received_date = stamp.number, stamp.date
    if anchors_found(d) < 2:
        d.warnings.append("not_a_dispatch: none of the header anchors (Số, date line, issuing body, type) was found")
    _review(d, h, repaired or [])
    return d


def _review(d: Dispatch, h, repaired: list[Span]) -> None:
    """Lower the confidence of values read from repaired OCR text; say what a person should check."""
    reasons = []
    if repaired:
        d.warnings.append(f"{len(repaired)} OCR slips repaired")
        for name in ("issuer", "issuer_parent", "number", "symbol", "place", "date", "subject", "doc_type"):
            x = getattr(d, name)
            if x is not None and x.span and any(a < x.span[1] and x.span[0] < b for a, b in repaired):
                setattr(d, name, x.model_copy(update={"confidence": round(x.confidence * 0.75, 3)}))
                if name in ("number", "symbol", "date"):
                    reasons.append(f"{name} was repaired from OCR text ({x.value}): check it against the page")
        for name in ("authority", "title", "name"):
            x = getattr(d.signer, name)
            if x is not None and x.span and any(a < x.span[1] and x.span[0] < b for a, b in repaired):
                setattr(d.signer, name, x.model_copy(update={"confidence": round(x.confidence * 0.75, 3)}))
    hand = d.source.handwritten
    if d.number is not None and hand.get("number") == d.number.value:
        d.number = d.number.model_copy(update={"confidence": round(d.number.confidence * HANDWRITTEN, 3)})
        reasons.append(f"the number is handwritten, read as {d.number.value} by two readings: check it against the page")
    if d.date is not None and len(d.date.value) == 10 and hand.get("day") and int(hand["day"]) == int(d.date.value[8:]):
        d.date = d.date.model_copy(update={"confidence": round(d.date.confidence * HANDWRITTEN, 3)})
        reasons.append(f"the day of the issue date is handwritten, read as {int(hand['day'])}: check it against the page")
    if h.unreadable_number:
        reasons.append("the number is handwritten or unreadable: it was left empty, fill it in")
    elif d.number is None and d.symbol is not None and not d.is_draft:
        reasons.append("no number after 'Số:' (blank, handwritten, or only in the signature stamp): fill it in")
    elif d.symbol is None and d.source.ocr:
        reasons.append("no 'Số: .../...' line read on the scan: number and symbol missing, fill them in")
    if d.date is None:
        reasons.append("no issue date found")
    elif len(d.date.value) < 10 and not d.is_draft:
        reasons.append(f"the issue date is incomplete ({d.date.value}): the day was left blank or is handwritten")
    for i, conf in enumerate(d.source.ocr_confidence, start=1):
        if conf < 60:
            reasons.append(f"page {i} was read with low OCR confidence ({conf:.0f}/100)")
    d.review_reasons = reasons
    d.needs_review = bool(reasons)


def extract(raw: str, source: SourceInfo | None = None, ocr: bool | None = None) -> Dispatch:
    """Normalise ``raw`` text and extract the record (the one entry point of this package).

    ``ocr`` (default: ``source.ocr``) also repairs OCR slips first (:mod:`extractors.ocrfix`).
    """
    n = normalize(raw)
    repaired: list[Span] = []
    if ocr if ocr is not None else (source is not None and source.ocr):
        n, repaired = ocr_repair(n)
    return extract_normalized(n, source, repaired)
