"""Read a Word (.docx) file into text with python-docx, in document order.

Paragraphs come out one per line, a blank line between them (not between the centred lines of
a title block). A dispatch's header and its ``Nơi nhận`` / signer block are
borderless two-column tables: those are read cell by cell, column by column (the left cell's
text, then the right cell's), so the columns do not interleave. Other tables (data tables in
the body) are read row by row, cells separated by a tab. Text in legacy ``.VnTime`` or
``VNI-Times`` fonts is converted to Unicode run by run. Word has no fixed pages: the result is
one :class:`~pipeline.readers.Page`.

>>> import tempfile, pathlib, docx
>>> d = docx.Document(); t = d.add_table(rows=1, cols=2)
>>> t.cell(0, 0).text = "UBND TỈNH HÀ TĨNH"; t.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
>>> _ = d.add_paragraph("Kính gửi: Các sở, ngành.")
>>> p = pathlib.Path(tempfile.mkdtemp()) / "cv.docx"; d.save(p)
>>> print(read_docx(p, p.read_bytes()).text)
UBND TỈNH HÀ TĨNH
<BLANKLINE>
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
<BLANKLINE>
Kính gửi: Các sở, ngành.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pipeline.readers import Page, ReadError, ReadResult, sha256_of

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _run_font(run, paragraph) -> str | None:
    name = run.font.name
    if not name and paragraph.style is not None and paragraph.style.font is not None:
        name = paragraph.style.font.name
    return name


def _paragraph_text(paragraph) -> str:
    """A paragraph's text, legacy-font runs converted."""
    from extractors.legacy import convert_font_text, font_encoding

    runs = paragraph.runs
    if not runs or not any(font_encoding(_run_font(r, paragraph)) for r in runs):
        return paragraph.text
    return "".join(convert_font_text(r.text, _run_font(r, paragraph)) for r in runs)


def _centred(paragraph) -> bool:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    align = paragraph.alignment
    if align is None and paragraph.style is not None:
        align = paragraph.style.paragraph_format.alignment
    return align == WD_ALIGN_PARAGRAPH.CENTER


def _cell_text(cell) -> list[str]:
    """Lines of a table cell: its paragraphs, and nested tables."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for child in cell._element.iterchildren():
        if child.tag == f"{_W}p":
            lines.append(_paragraph_text(Paragraph(child, cell)))
        elif child.tag == f"{_W}tbl":
            lines.extend(t for t in _table_lines(Table(child, cell)) if t)
    return lines


def _borderless(table) -> bool:
    """No visible borders: no border definition, or every border set to none/nil."""
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.find(f"{_W}tblBorders") if tbl_pr is not None else None
    if borders is None:
        style = table.style.name if table.style is not None else ""
        return "Grid" not in style and "Bordered" not in style
    return all(b.get(f"{_W}val") in ("nil", "none") for b in borders)


def _unique_cells(row) -> list:
    seen: list = []
    cells = []
    for c in row.cells:  # a merged cell comes back once per grid column it spans
        if not any(c._tc is t for t in seen):
            seen.append(c._tc)
            cells.append(c)
    return cells


def _table_lines(table) -> list[str]:
    rows = [_unique_cells(r) for r in table.rows]
    ncols = max((len(r) for r in rows), default=0)
    if ncols == 2 and _borderless(table):
        out: list[str] = []
        for col in range(2):
            for cells in rows:
                if col < len(cells):
                    out.extend(t for t in _cell_text(cells[col]) if t.strip())
            out.append("")
        return out
    return ["\t".join(" ".join(_cell_text(c)).strip() for c in cells) for cells in rows] + [""]


def read_docx(path: Path, data: bytes) -> ReadResult:
    """Read a .docx file (``data`` are its bytes) into a :class:`~pipeline.readers.ReadResult`."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise ReadError("old Word 97-2003 file (.doc, or encrypted .docx) saved as .docx: save it as .docx again")
        raise ReadError("not a Word .docx file (not a ZIP package)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"damaged Word file: {type(exc).__name__}: {exc}") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    lines: list[str] = []
    centred_before = False
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            centred = _centred(paragraph)
            if lines and lines[-1].strip() and not (centred and centred_before):
                lines.append("")  # paragraphs apart; the lines of a centred title block together
            lines.append(_paragraph_text(paragraph))
            centred_before = centred
        elif child.tag == f"{_W}tbl":
            centred_before = False
            if lines and lines[-1].strip():
                lines.append("")
            lines.extend(_table_lines(Table(child, document)))
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    text = text.strip("\n")
    if not text.strip():
        raise ReadError("no text found: the Word file is empty")
    return ReadResult(
        text=text, sha256=sha256_of(data), media_type=MEDIA_TYPE, encoding=None,
        pages=[Page(1, 0, len(text), "docx")], warnings=[],
    )
