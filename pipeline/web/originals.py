"""A document's original, by document id only: its path in the archive, its pages as images.

The path comes from :func:`pipeline.archive.get_original` (looked up by the integer id) and must
lie inside the archive; nothing a request sends is ever joined to a path. PDF pages are
rendered with pypdfium2, image pages (PNG, JPEG, multi-page TIFF) with Pillow, as PNG.

>>> import tempfile, pathlib
>>> from pipeline.store import Store
>>> original_path(Store(pathlib.Path(tempfile.mkdtemp()) / "c.db"), 1)
Traceback (most recent call last):
...
pipeline.archive.ArchiveError: no document 1 in ...
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from pipeline.archive import ArchiveError, archive_for, get_original
from pipeline.store import Store

PAGE_SCALE = 1.5  # 72 dpi × 1.5 ≈ 108 dpi: an A4 page ≈ 890 px wide
MAX_PAGES = 200
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def original_path(store: Store, doc_id: int) -> Path:
    """The archived original of document ``doc_id`` (raises :class:`ArchiveError` if there is none)."""
    path = get_original(store, int(doc_id), verify=False).resolve()
    archive = archive_for(store.path)
    if archive is None or archive.root.resolve() not in path.parents:
        raise ArchiveError(f"the original of document {doc_id} is outside the archive")
    return path


def has_pages(path: Path) -> bool:
    """True when the original can be shown as page images (a PDF or an image)."""
    return path.suffix.lower() in IMAGE_SUFFIXES | {".pdf"}


@functools.lru_cache(maxsize=256)
def _count(path: str, mtime: float) -> int:
    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            return len(pdf)
        finally:
            pdf.close()
    from PIL import Image

    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def page_count(path: Path) -> int:
    """How many pages the original has as images (0 for text originals or an unreadable file)."""
    if not has_pages(path):
        return 0
    try:
        return min(MAX_PAGES, _count(str(path), path.stat().st_mtime))
    except Exception:
        return 0


@functools.lru_cache(maxsize=64)
def _render(path: str, mtime: float, page: int, scale: float) -> bytes:
    suffix = Path(path).suffix.lower()
    out = io.BytesIO()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path)
        try:
            pdf[page - 1].render(scale=scale).to_pil().save(out, "PNG", optimize=False)
        finally:
            pdf.close()
    else:
        from PIL import Image

        with Image.open(path) as im:
            im.seek(page - 1)
            img = im.convert("RGB")
            img.thumbnail((1400, 1980))
            img.save(out, "PNG")
    return out.getvalue()


def render_page(path: Path, page: int, scale: float = PAGE_SCALE) -> bytes:
    """Page ``page`` (1-based) of a PDF or image original as PNG bytes; raises IndexError if there is no such page."""
    if not 1 <= page <= page_count(path):
        raise IndexError(page)
    return _render(str(path), path.stat().st_mtime, page, scale)
