"""A searchable PDF copy of a scan: the page images with Tesseract's invisible text layer.

For the archive: a scan (PNG/JPEG/TIFF, multi-page TIFF, image-only or mixed PDF) becomes a PDF
whose text can be searched, selected and copied. Pages that already have a text layer are kept
as they are; each scanned page gets Tesseract's invisible text layer (its ``textonly_pdf``
renderer: the recognised words, in place) laid over the page image — the layer the OCR reader
already made when it read the page (:attr:`~pipeline.readers.ReadResult.text_layers`), or one
read here, whose confidence tells when the page lies sideways or upside down and must be turned
first. Pages are OCR'd ``CONGVAN_OCR_WORKERS`` at a time and assembled with pypdf.

Why not OCRmyPDF: measured here on a two-page 300-dpi scan with 2 jobs, OCRmyPDF 17 took
8–10 s (tesseract itself ~2 s a page; the rest is its rasterising, hOCR parsing and text-layer
rendering in Python) and needs Ghostscript for PDF/A output; this module takes ~2.5 s for the
same file with no dependency beyond pypdf. The original is kept byte for byte by the archive, so
the copy does not need OCRmyPDF's lossless image grafting.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "out.pdf"
>>> make_searchable_pdf(pathlib.Path(tempfile.mkdtemp()) / "missing.png", out)
Traceback (most recent call last):
...
pipeline.readers.ReadError: no such file: ...missing.png
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from pipeline.ocr import (
    IMAGE_SUFFIXES,
    LOW_CONFIDENCE,
    _mean_conf,
    _upright,
    bounded_map,
    detect_rotation,
    open_frames,
    prepare,
    rasterize_pdf,
    read_page,
    workers,
)
from pipeline.readers import ReadError

JPEG_QUALITY = 85
"""Quality of the page images in the copy (the original is archived unchanged)."""


def _ocr_to_pdf(job: tuple[object, int | None]) -> tuple[object, int, bytes]:
    """One page image → what its searchable page is made of: the image (greyscale, turned upright
    if it reads better so), its resolution and its text layer."""
    img, dpi = prepare(*job)
    words, layer = read_page(img, dpi, text_layer=True)
    conf = _mean_conf(words)
    if conf is None or conf < LOW_CONFIDENCE:
        turn = detect_rotation(img, dpi)
        if turn:
            turned = _upright(img, turn)
            words2, layer2 = read_page(turned, dpi, text_layer=True)
            if (_mean_conf(words2) or 0) > (conf or 0):
                img, layer = turned, layer2
    return img, dpi, layer


def _image_page(img, dpi: int | None):
    """A one-page PDF (pypdf page) showing ``img`` at its size on paper, in colour if it has any."""
    from PIL import Image
    from pypdf import PdfReader

    from pipeline.imageprep import page_dpi

    if img.mode not in ("L", "RGB"):
        img = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=float(page_dpi(img, dpi)), quality=JPEG_QUALITY)
    return PdfReader(io.BytesIO(buf.getvalue())).pages[0]


def _lay_over(page, layer: bytes):
    """``page`` with the invisible words of ``layer`` (a one-page text-only PDF) laid over it,
    scaled to the page's size (the layer was made from the same page, cleaned up for OCR)."""
    from pypdf import PdfReader, Transformation

    text = PdfReader(io.BytesIO(layer)).pages[0]
    box, tbox = page.mediabox, text.mediabox
    sx, sy = float(box.width) / float(tbox.width), float(box.height) / float(tbox.height)
    page.merge_transformed_page(text, Transformation().scale(sx, sy).translate(float(box.left), float(box.bottom)))
    return page


def make_searchable_pdf(input_path: Path, output_path: Path, n: int | None = None,
                        text_layers: dict[int, bytes] | None = None) -> Path:
    """Write a searchable PDF copy of the scan ``input_path`` to ``output_path``; returns it.

    ``input_path`` is an image (``.png .jpg .jpeg .tif .tiff``, every TIFF frame a page) or a
    PDF; a PDF whose pages all have a text layer is copied unchanged. ``text_layers`` (0-based
    page → one-page text-only PDF, as the OCR reader leaves them in
    :attr:`~pipeline.readers.ReadResult.text_layers`) are laid over the original pages — in colour,
    seals and stamps as scanned — with no second OCR; pages without one are OCR'd here. Raises
    :class:`~pipeline.readers.ReadError` for an unreadable input.
    """
    from pypdf import PdfReader, PdfWriter

    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise ReadError(f"no such file: {input_path}")
    data = input_path.read_bytes()
    suffix = input_path.suffix.lower()
    layers = text_layers or {}
    writer = PdfWriter()
    if suffix == ".pdf":
        scanned, dpis = _scanned_pages(input_path, data)
        if not scanned:
            shutil.copyfile(input_path, output_path)
            return output_path
        todo = [i for i in scanned if i not in layers]
        done = dict(zip(todo, bounded_map(_ocr_to_pdf, rasterize_pdf(data, todo, dpis), n or workers()), strict=True))
        for i, page in enumerate(PdfReader(io.BytesIO(data)).pages):
            if i in done:
                img, dpi, layer = done[i]
                _lay_over(writer.add_page(_image_page(img, dpi)), layer)
            else:
                added = writer.add_page(page)
                if i in layers and i in scanned:
                    _lay_over(added, layers[i])
    elif suffix in IMAGE_SUFFIXES:
        frames = open_frames(data)
        todo = [i for i in range(len(frames)) if i not in layers]
        done = dict(zip(todo, bounded_map(_ocr_to_pdf, (frames[i] for i in todo), n or workers()), strict=True))
        for i, (img, dpi) in enumerate(frames):
            if i in done:
                img, dpi, layer = done[i]
            else:
                layer = layers[i]
            _lay_over(writer.add_page(_image_page(img, dpi)), layer)
    else:
        raise ReadError(f"cannot make a searchable PDF of a {suffix or 'suffix-less'} file: a scan (PDF or image) is needed")
    tmp_out = output_path.with_name(output_path.name + ".part")
    with open(tmp_out, "wb") as f:
        writer.write(f)
    tmp_out.replace(output_path)
    return output_path


def _scanned_pages(path: Path, data: bytes) -> tuple[list[int], dict[int, int]]:
    """Indexes of the pages without a text layer, and the resolution to rasterise each at."""
    from pipeline.read_pdf import MIN_TEXT_CHARS, _check_bytes, _scan_dpi, _visible_chars, _words_of, open_pdf

    _check_bytes(data)
    scanned, dpis = [], {}
    with open_pdf(data) as pdf:
        for i, page in enumerate(pdf.pages):
            if _visible_chars(_words_of(page)) < MIN_TEXT_CHARS and page.images:
                scanned.append(i)
                dpis[i] = _scan_dpi(page)
            page.close()
    return scanned, dpis
