"""Human corrections of extracted fields, kept in a ``corrections`` table and re-applied on every re-extraction.

A correction names a field by its path in the record — ``subject``, ``signer.name``,
``recipients.1``, ``references.0.date``, ``tasks.2.deadline.date`` (see :data:`FIELD_PATH`) —
and keeps the corrected value, the value the extractor had given (``original``), who and when.
The table is a history: every change is a row, the latest row of a field wins, and a
``revert`` row hands the field back to the extractor.

Corrections are applied **when a record is written**: :meth:`pipeline.store.Store.replace` calls
:func:`apply_corrections` first, so a newer extractor (:func:`reextract`) never undoes what a
person fixed, and the store's columns, search index, canonical keys, citation links, tasks and
exports all carry the corrected value. The extracted value stays visible in ``original``.

>>> from pipeline.store import Store
>>> from extractors.extract import extract
>>> s = Store(":memory:")
>>> doc = s.add(extract("UBND TỈNH A\\nSố: 12/QĐ-UBND\\nA, ngày 02 tháng 3 năm 2023\\nQUYẾT ĐỊNH\\n"
...                     "Về việc ban hành Quy chế"), "h1")
>>> c = correct(s, doc, "subject", "ban hành Quy chế làm việc", who="văn thư")
>>> c.original, s.get(doc)["subject"]
('ban hành Quy chế', 'ban hành Quy chế làm việc')
>>> s.replace(doc, extract(s.get(doc)["text"]))  # a newer extractor reads the document again
>>> s.get(doc)["subject"], [(x.field, x.value, x.who) for x in history(s, doc)]
('ban hành Quy chế làm việc', [('subject', 'ban hành Quy chế làm việc', 'văn thư')])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import regex as re

from extractors.keys import document_key
from schemas import Dispatch

if TYPE_CHECKING:
    from pipeline.store import Store

__all__ = [
    "FIELD_PATH",
    "Correction",
    "CorrectionError",
    "active",
    "apply_corrections",
    "correct",
    "history",
    "normalize_value",
    "record",
    "reextract",
    "revert",
    "value_at",
]

FIELD_PATH = re.compile(
    r"(?:doc_type|issuer|issuer_parent|number|symbol|place|date|subject|urgency|confidentiality)"
    r"|signer\.(?:authority|title|name)"
    r"|(?:recipients|named_references)\.\d{1,4}"
    r"|distribution\.\d{1,4}\.(?:name|purpose)"
    r"|references\.\d{1,4}\.(?:type|number|symbol|date|issuer|title)"
    r"|tasks\.\d{1,4}\.(?:assignee|action|deliverable|send_to|deadline\.date|deadline\.text)"
    r"|deadlines\.\d{1,4}\.(?:date|text)"
)
"""The fields a person may correct, as paths into the record's JSON."""

_PLAIN = re.compile(r".*\.(?:deliverable|send_to|purpose|name|text|date)")
"""Paths whose value is a plain string, not an ``Extracted`` (value, span, confidence)."""
_REQUIRED = re.compile(r"tasks\.\d+\.action|tasks\.\d+\.deadline\.text|distribution\.\d+\.name|deadlines\.\d+\.text")
_KEY_PARTS = {"number", "symbol", "date"}


class CorrectionError(ValueError):
    """A correction that cannot be made; the message says why (in Vietnamese, for the page)."""


@dataclass(frozen=True)
class Correction:
    """One row of the history: ``field`` set to ``value`` (was ``original`` as extracted)."""

    id: int
    document_id: int
    field: str
    value: str | None
    original: str | None
    who: str | None
    at: str
    action: str = "set"  # set | revert


def _plain_path(path: str) -> bool:
    return bool(_PLAIN.fullmatch(path)) and not path.startswith(("signer.", "references."))


def ensure_table(store: Store) -> None:
    """Create the ``corrections`` table if missing (no foreign key: rows outlive nothing, they are history)."""
    table = store.db["corrections"]
    if not table.exists():
        table.create(
            {"id": int, "document_id": int, "field": str, "value": str, "original": str, "who": str, "at": str,
             "action": str},
            pk="id",
        )
        table.create_index(["document_id"])


def history(store: Store, doc_id: int) -> list[Correction]:
    """Every correction of a document, oldest first."""
    if not store.db["corrections"].exists():
        return []
    rows = store.db["corrections"].rows_where("document_id = ?", [doc_id], order_by="id")
    return [Correction(**r) for r in rows]


def active(store: Store, doc_id: int) -> dict[str, Correction]:
    """The correction in force for each corrected field (its latest row, unless that is a revert)."""
    latest: dict[str, Correction] = {}
    for c in history(store, doc_id):
        latest[c.field] = c
    return {f: c for f, c in latest.items() if c.action == "set"}


def record(store: Store, doc_id: int) -> Dispatch:
    """The stored record of a document (corrections included), with the text its spans point into."""
    row = store.db.execute("SELECT record, text FROM documents WHERE id = ?", [doc_id]).fetchone()
    if row is None:
        raise LookupError(f"no document {doc_id}")
    d = Dispatch.model_validate_json(row[0])
    d.text = row[1] or ""
    return d


# --- paths ----------------------------------------------------------------------------------


def check_path(field: str) -> list[str]:
    """The parts of a correctable field path; raises :class:`CorrectionError` for any other.

    >>> check_path("tasks.2.deadline.date")
    ['tasks', '2', 'deadline', 'date']
    """
    if not FIELD_PATH.fullmatch(field or ""):
        raise CorrectionError(f"không sửa được trường {field!r}")
    return field.split(".")


def _walk(data: Any, parts: list[str]) -> tuple[Any, str | int]:
    """The container holding the last part, and that part's key (raises LookupError)."""
    node = data
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
        if node is None:
            raise LookupError(".".join(parts))
    last = parts[-1]
    if isinstance(node, list):
        i = int(last)
        if i >= len(node):
            raise LookupError(".".join(parts))
        return node, i
    if last not in node:
        raise LookupError(".".join(parts))
    return node, last


def _get(data: dict, parts: list[str]) -> str | None:
    node, key = _walk(data, parts)
    v = node[key]
    return v.get("value") if isinstance(v, dict) else v


def _set(data: dict, parts: list[str], value: str | None) -> None:
    node, key = _walk(data, parts)
    cur = node[key]
    path = ".".join(parts)
    if isinstance(cur, dict) and "value" in cur:
        node[key] = None if value is None else {"value": value, "span": cur.get("span"), "confidence": 1.0}
    elif cur is None and not _plain_path(path):
        node[key] = None if value is None else {"value": value, "span": None, "confidence": 1.0}
    else:
        node[key] = value
    if parts[0] == "tasks" and parts[-1] == "assignee":  # the resolved bodies follow the corrected assignee
        data["tasks"][int(parts[1])]["assignees"] = [value] if value else []


def value_at(d: Dispatch, field: str) -> str | None:
    """The value of a field in a record (``None`` when absent); raises :class:`CorrectionError` if it cannot exist.

    >>> from schemas import Extracted
    >>> value_at(Dispatch(subject=Extracted[str](value="về việc X")), "subject")
    'về việc X'
    """
    try:
        return _get(d.model_dump(mode="json"), check_path(field))
    except (LookupError, ValueError, TypeError):
        raise CorrectionError(f"văn bản không có trường {field}") from None


# --- values ---------------------------------------------------------------------------------


def normalize_value(field: str, value: str | None) -> str | None:
    """A value as stored: trimmed, ``None`` when empty; dates as ISO from ``dd/mm/yyyy``, ``mm/yyyy`` or ISO.

    >>> normalize_value("date", " 2/3/2023 "), normalize_value("references.0.date", "11/2022"), normalize_value("subject", " ")
    ('2023-03-02', '2022-11', None)
    """
    v = " ".join((value or "").split()) or None
    if v is None:
        if _REQUIRED.fullmatch(field):
            raise CorrectionError(f"trường {field} không được để trống")
        return None
    if field.split(".")[-1] != "date":
        return v
    m = re.fullmatch(r"(?:(\d{1,2})[/.-])?(?:(\d{1,2})[/.-])?(\d{4})", v)
    iso = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", v)
    try:
        if iso:
            y, mo, d = (int(x) if x else None for x in iso.groups())
        elif m:
            a, b, y = m.groups()
            d, mo, y = (int(a), int(b), int(y)) if b else (None, int(a) if a else None, int(y))
        else:
            raise ValueError(v)
        if d is not None:
            return dt.date(y, mo, d).isoformat()
        if mo is not None:
            if not 1 <= mo <= 12:
                raise ValueError(v)
            return f"{y:04d}-{mo:02d}"
        return f"{y:04d}"
    except (ValueError, TypeError):
        raise CorrectionError(f"ngày không hợp lệ: {v!r} (viết dd/mm/yyyy, mm/yyyy hoặc yyyy)") from None


# --- applying -------------------------------------------------------------------------------


def _locate(data: dict, parts: list[str], c: Correction) -> list[str] | None:
    """Where a correction applies in a (new) record: its own path, or — for a list item that moved
    after re-extraction — the item that still holds the original value; None if nowhere."""
    try:
        now = _get(data, parts)
        if now in (c.original, c.value):
            return parts
    except (LookupError, ValueError, TypeError):
        now = None
    if len(parts) < 2 or not parts[1].isdigit():
        return parts  # a single field: the person's value wins whatever the extractor says now
    items = data.get(parts[0]) or []
    for i in range(len(items)):
        cand = [parts[0], str(i), *parts[2:]]
        try:
            if _get(data, cand) == c.original:
                return cand
        except (LookupError, ValueError, TypeError):
            continue
    return None


def apply_corrections(store: Store, doc_id: int, d: Dispatch) -> Dispatch:
    """``d`` with every correction in force for document ``doc_id`` applied (``d`` itself is not changed).

    Called by :meth:`pipeline.store.Store.replace` before it writes. A corrected number, symbol
    or date recomputes the canonical key (of the document, or of the cited document). A
    correction of a list item that no longer exists in the new record is not applied, and says
    so in the record's warnings.
    """
    if not store.db["corrections"].exists():
        return d
    fixes = active(store, doc_id)
    if not fixes:
        return d
    data = d.model_dump(mode="json")
    touched: set[str] = set()
    warnings = []
    for field, c in fixes.items():
        parts = _locate(data, field.split("."), c)
        try:
            if parts is None:
                raise LookupError(field)
            _set(data, parts, c.value)
            touched.add(".".join(parts))
        except (LookupError, ValueError, TypeError):
            warnings.append(f"correction_not_applied: {field} = {c.value!r} (the field is no longer extracted)")
    data["warnings"] = [w for w in data.get("warnings", []) if not w.startswith("correction_not_applied")] + warnings
    out = Dispatch.model_validate(data)
    out.text = d.text
    if touched & _KEY_PARTS and out.symbol is not None:
        year = int(out.date.value[:4]) if out.date else None
        out.key = document_key(out.number.value if out.number else None, out.symbol.value, year)
    for i, ref in enumerate(out.references):
        if any(f"references.{i}.{k}" in touched for k in _KEY_PARTS) and ref.number and ref.symbol:
            year = int(ref.date.value[:4]) if ref.date else None
            ref.key = document_key(ref.number.value, ref.symbol.value, year)
    return out


# --- changing -------------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> str:
    return (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")


def _insert(store: Store, doc_id: int, field: str, value, original, who, at: str, action: str) -> Correction:
    row = {"document_id": doc_id, "field": field, "value": value, "original": original, "who": who, "at": at,
           "action": action}
    pk = store.db["corrections"].insert(row).last_pk
    return Correction(id=pk, **row)


def correct(
    store: Store, doc_id: int, field: str, value: str | None, who: str | None = None, at: dt.datetime | None = None
) -> Correction:
    """Set ``field`` of document ``doc_id`` to ``value`` (``None`` or blank clears it); return the history row.

    The record is rewritten through :meth:`Store.replace`, so columns, search index, keys and
    tasks follow. Raises :class:`CorrectionError` (unknown field, bad date, required field
    cleared) and :class:`LookupError` (no such document). Setting the value already there
    records nothing and returns the correction in force (or a row with id 0).
    """
    check_path(field)
    value = normalize_value(field, value)
    ensure_table(store)
    with store.transaction():
        d = record(store, doc_id)
        current = value_at(d, field)
        prev = active(store, doc_id).get(field)
        if value == current:
            return prev or Correction(0, doc_id, field, value, current, who, _now(at))
        c = _insert(store, doc_id, field, value, prev.original if prev else current, who, _now(at), "set")
        store.replace(doc_id, d)  # re-applies every correction in force, this one included
    return c


def revert(store: Store, doc_id: int, field: str, who: str | None = None, at: dt.datetime | None = None) -> Correction:
    """Give ``field`` back its extracted value and stop correcting it; raises LookupError if it is not corrected."""
    ensure_table(store)
    with store.transaction():
        prev = active(store, doc_id).get(field)
        if prev is None:
            raise LookupError(f"{field} of document {doc_id} is not corrected")
        d = record(store, doc_id)
        c = _insert(store, doc_id, field, prev.original, prev.original, who, _now(at), "revert")
        data = d.model_dump(mode="json")
        parts = _locate(data, field.split("."), prev)
        if parts is not None:
            _set(data, parts, prev.original)
            text, d = d.text, Dispatch.model_validate(data)
            d.text = text
        store.replace(doc_id, d)
    return c


def reextract(store: Store, doc_id: int) -> Dispatch:
    """Read a document's archived original again, extract it with today's extractor and replace the record.

    Corrections in force are applied again (by :meth:`Store.replace`); task statuses carry over.
    Raises :class:`pipeline.archive.ArchiveError` when the original is not in the archive, and
    :class:`pipeline.readers.ReadError` / :class:`pipeline.ingest.NotADispatch` as ingest does.
    Example: ``reextract(Store("congvan.db"), 3).subject``.
    """
    from pipeline.archive import get_original
    from pipeline.ingest import extract_read
    from pipeline.readers import read_file

    row = store.db.execute("SELECT source_path FROM documents WHERE id = ?", [doc_id]).fetchone()
    if row is None:
        raise LookupError(f"no document {doc_id}")
    path = get_original(store, doc_id)
    d = extract_read(path, read_file(path))
    d.source.path = row[0] or d.source.path
    store.replace(doc_id, d)
    return record(store, doc_id)
