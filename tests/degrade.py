"""Office scans as archivists receive them, made from corpus documents (issue 9).

:mod:`render` lays a corpus document out as a clean PDF; this module turns it into the pages a
văn thư actually scans:

- the document's own **number and day written by hand** into printed blanks (``Số:      /SYT-NVY``,
  ``ngày      tháng 7``): the corpus text is rendered with placeholders there, the placeholders are
  whited out and handwriting-style digits (an oblique sans font, jittered, slanted) drawn in;
- a round **red seal** (double ring, the issuer's name around it, a star) stamped over the signer's
  title and name, and a **blue signature** scrawled across it;
- a blue rectangular **incoming stamp** (``ĐẾN`` / ``Số: 1234`` / ``Ngày: 05/12/2023``, the number and
  date by hand) pressed onto the header, with its number and date chosen by the caller;
- the result as a **200-dpi colour JPEG** scan (turned under a degree or two, blurred, speckled), or
  as a **phone photo**: skewed 2–4°, unevenly lit, warmer, softer.

Everything is deterministic for a given ``seed``. Ink is laid on by multiplication, as ink on paper
is: black print under a red seal stays black.

>>> scan = degraded_scan("408_gm-ubnd-xa-phat-tich-ntm", seed=1, received=("1234", "05/12/2023"))
>>> scan.pages[0].mode, scan.pages[0].size, scan.dpi
('RGB', (1654, 2339), 200)
>>> scan.received, scan.handwritten
(('1234', '05/12/2023'), ('18', '10'))
"""

from __future__ import annotations

import io
import math
import random
import tempfile
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import regex as re
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from render import Doc, Styled, load, parse, render_pdf

RED_INK = (205, 35, 45)
BLUE_INK = (35, 65, 185)
PEN_INK = (25, 45, 150)
"""Blue ballpoint (signature, the clerk's writing on the incoming stamp)."""
DARK_INK = (30, 30, 45)
"""The clerk's black pen (number and day written into the document's blanks)."""
NUMBER_HOLDER = "0000000"
DAY_HOLDER = "00000"
SUPERSAMPLE = 1.5
"""Pages are drawn at 1.5 × the output resolution, then scaled down (anti-aliased ink)."""

FONTS = Path("/usr/share/fonts/truetype")
HAND_FONTS = ("dejavu/DejaVuSans.ttf", "liberation2/LiberationSans-Regular.ttf", "dejavu/DejaVuSansCondensed.ttf")
"""Sans faces for handwriting-style digits (slanted and jittered by :func:`handwrite`): a clerk's careful
digits. The faces' own italics, slanted again, are beyond Tesseract: 1 in 24 read right."""
STAMP_FONT = "dejavu/DejaVuSans-Bold.ttf"
STAMP_LABEL_FONT = "dejavu/DejaVuSans.ttf"
RECEIVERS = ("VĂN PHÒNG UBND TỈNH", "SỞ NỘI VỤ", "UBND HUYỆN", "SỞ TÀI CHÍNH", "VĂN PHÒNG ĐOÀN ĐBQH")


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


@dataclass
class DegradedScan:
    """The pages of one degraded rendering and what was put on them."""

    name: str
    pages: list[Image.Image]
    """RGB pages, as decoded from their JPEG."""
    dpi: int
    received: tuple[str, str] | None
    """The incoming stamp's number and date (``dd/mm/yyyy``), if one was pressed on."""
    handwritten: tuple[str | None, str | None]
    """The number and the day written by hand (``None`` where the document has none)."""
    photo: bool = False
    marks: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """Where each mark went on its page, in output pixels: ``seal``, ``stamp``, ``signature``."""
    jpegs: list[bytes] = field(default_factory=list, repr=False)
    """Each page's JPEG file, as the scanner (or phone) wrote it."""

    def save(self, path: Path) -> Path:
        """Write the pages: ``.jpg`` — the first page's JPEG as it is; ``.tif`` — every page, the
        decoded JPEG pixels kept losslessly (LZW), so nothing is compressed twice."""
        path = Path(path)
        if path.suffix.lower() in (".tif", ".tiff"):
            self.pages[0].save(path, "TIFF", save_all=True, append_images=self.pages[1:], compression="tiff_lzw",
                               dpi=(self.dpi, self.dpi))
        else:
            path.write_bytes(self.jpegs[0])
        return path


# --- the document with blanks ------------------------------------------------------------------

_NUMBER = re.compile(r"^(Số\s*:?\s*)(\d{1,6})(\s*/)")
_DAY = re.compile(r"(ngày\s+)(\d{1,2})(\s+tháng)")


def with_blanks(doc: Doc) -> tuple[Doc, str | None, str | None]:
    """``doc`` with placeholders where the clerk writes the number and the day; and those values."""
    number = day = None
    left = []
    for line in doc.header_left:
        m = _NUMBER.match(line)
        if m and number is None:
            number = m.group(2)
            line = _NUMBER.sub(lambda m: m.group(1) + NUMBER_HOLDER + m.group(3), line, count=1)
        left.append(line)
    right = []
    for s in doc.header_right:
        m = _DAY.search(s.text)
        if m and day is None and ", ngày" in s.text:
            day = m.group(2)
            s = Styled(_DAY.sub(lambda m: m.group(1) + DAY_HOLDER + m.group(3), s.text, count=1), s.style, s.size)
        right.append(s)
    return replace(doc, header_left=left, header_right=right), number, day


@dataclass
class _Layout:
    """Boxes on the born PDF's pages (points, top-left origin) that the marks are placed by."""

    number_blank: tuple[float, float, float, float] | None = None
    day_blank: tuple[float, float, float, float] | None = None
    header: tuple[float, float, float, float] | None = None
    signer: tuple[int, tuple[float, float, float, float]] | None = None
    """Page index and box of the signer's title and name lines."""


def _box(hits: list[dict]) -> tuple[float, float, float, float]:
    return (min(h["x0"] for h in hits), min(h["top"] for h in hits), max(h["x1"] for h in hits), max(h["bottom"] for h in hits))


def _layout(pdf: Path, gold: dict) -> _Layout:
    import pdfplumber

    out = _Layout()
    with pdfplumber.open(str(pdf)) as p:
        first = p.pages[0]
        for attr, pattern in (("number_blank", rf"Số:?\s*{NUMBER_HOLDER}"), ("day_blank", rf"ngày\s+{DAY_HOLDER}")):
            hits = first.search(pattern, regex=True, return_chars=True)
            if hits:
                setattr(out, attr, _box([c for c in hits[0]["chars"] if c["text"] == "0"]))
        words = first.extract_words()
        top_words = [w for w in words if w["top"] < first.height * 0.3]
        if top_words:
            out.header = _box(top_words)
        signer = gold.get("signer") or {}
        for i in range(len(p.pages) - 1, -1, -1):
            page = p.pages[i]
            hits = []
            for key in (signer.get("title"), signer.get("name"), signer.get("authority")):
                if key:
                    found = page.search(re.escape(key), regex=True, return_chars=False)
                    if found:
                        hits.append(found[-1])
            if hits:
                out.signer = (i, _box(hits))
                break
    return out


# --- ink ---------------------------------------------------------------------------------------


class _Ink:
    """Marks on one page, combined by multiplication: ``page × (1 − coverage × (1 − colour))``.

    Stamp-pad ink (seal, stamp) lies unevenly, a pen's evenly: each layer's coverage is scaled by
    a smooth random field between ``evenness`` and 1.
    """

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.layers: list[tuple[Image.Image, tuple[int, int, int], float, float]] = []

    def layer(self, colour: tuple[int, int, int], opacity: float = 0.92, evenness: float = 0.55) -> ImageDraw.ImageDraw:
        mask = Image.new("L", self.size, 0)
        self.layers.append((mask, colour, opacity, evenness))
        return ImageDraw.Draw(mask)

    @property
    def mask(self) -> Image.Image:
        return self.layers[-1][0]

    def apply(self, page: Image.Image, rng: np.random.Generator) -> Image.Image:
        a = np.asarray(page, dtype=np.float32) / 255.0
        for mask, colour, opacity, evenness in self.layers:
            cover = np.asarray(mask, dtype=np.float32) / 255.0
            if not cover.any():
                continue
            h, w = cover.shape
            field_small = rng.uniform(evenness, 1.0, (max(2, h // 40), max(2, w // 40))).astype(np.float32)
            texture = np.asarray(Image.fromarray(field_small).resize((w, h), Image.BILINEAR))
            k = (cover * texture * opacity)[..., None]
            ink = np.array(colour, dtype=np.float32) / 255.0
            a *= 1.0 - k * (1.0 - ink)
        return Image.fromarray(np.clip(a * 255.0, 0, 255).astype(np.uint8))


def _paste_text(mask: Image.Image, xy: tuple[float, float], text: str, fnt: ImageFont.FreeTypeFont,
                angle: float = 0.0, shear: float = 0.0, anchor: str = "ls") -> None:
    """Draw ``text`` into ``mask`` (coverage) at ``xy``, turned by ``angle`` and slanted by ``shear``."""
    left, top, right, bottom = fnt.getbbox(text, anchor=anchor)
    pad = int(abs(bottom - top) * (1 + abs(shear))) + 4
    tile = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(tile).text((pad - left, pad - top), text, fill=255, font=fnt, anchor=anchor)
    ox, oy = pad - left, pad - top  # the anchor point inside the tile
    if shear:
        tile = tile.transform(tile.size, Image.AFFINE, (1, shear, -shear * oy, 0, 1, 0), resample=Image.BICUBIC)
    if angle:
        cx, cy = tile.width / 2, tile.height / 2
        tile = tile.rotate(angle, resample=Image.BICUBIC, center=(ox, oy), translate=(cx - ox, cy - oy), expand=False)
        ox, oy = cx, cy
    x, y = int(round(xy[0] - ox)), int(round(xy[1] - oy))
    region = mask.crop((x, y, x + tile.width, y + tile.height))
    mask.paste(Image.fromarray(np.maximum(np.asarray(region), np.asarray(tile))), (x, y))


def handwrite(mask: Image.Image, x: float, baseline: float, text: str, height: float, rng: random.Random) -> float:
    """Handwriting-style ``text`` (digits, ``/``) from ``x`` on ``baseline``; returns the x after it.

    Each character: a sans face unlike the print, slanted by 3–11°, with its own size (±6 %),
    tilt (±3°), baseline (±4 %) and spacing jitter.
    """
    face = rng.choice(HAND_FONTS)
    slant = rng.uniform(0.05, 0.2)
    for ch in text:
        size = int(height * rng.uniform(0.94, 1.06))
        fnt = font(face, size)
        _paste_text(mask, (x, baseline + rng.uniform(-0.04, 0.04) * height), ch, fnt,
                    angle=rng.uniform(-3, 3), shear=slant + rng.uniform(-0.03, 0.03))
        x += fnt.getlength(ch) * rng.uniform(0.98, 1.12)
    return x


def draw_seal(ink: _Ink, centre: tuple[float, float], radius: float, ring_text: str, rng: random.Random) -> None:
    """A round red seal: a thick outer ring, a thin inner ring, ``ring_text`` around, a star inside."""
    d = ink.layer(RED_INK, opacity=rng.uniform(0.8, 0.95))
    cx, cy = centre
    w = max(3, int(radius * 0.05))
    d.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=255, width=w)
    r2 = radius * 0.64
    d.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), outline=255, width=max(2, w // 2))
    text = f"{ring_text} ★ "
    size = int(radius * 0.19)
    fnt = font(STAMP_FONT, size)
    r_text = (radius - w + r2) / 2 - size * 0.35
    n = len(text)
    start = rng.uniform(0, 360)
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        theta = math.radians(start + 360 * i / n)
        x, y = cx + r_text * math.sin(theta), cy - r_text * math.cos(theta)
        _paste_text(ink.mask, (x, y), ch, fnt, angle=-math.degrees(theta), anchor="mm")
    star = font("dejavu/DejaVuSans.ttf", int(radius * 0.7))
    _paste_text(ink.mask, (cx, cy), "★", star, anchor="mm")


def draw_signature(ink: _Ink, box: tuple[float, float, float, float], rng: random.Random) -> None:
    """A ballpoint scrawl across ``box``: loops along a wavy line, and a flourish under it."""
    d = ink.layer(PEN_INK, opacity=0.95, evenness=0.85)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    pts = []
    loops = rng.randint(4, 7)
    phase = rng.uniform(0, math.pi)
    for k in range(400):
        t = k / 399
        x = x0 + t * w + 0.06 * w * math.sin(2 * math.pi * loops * t + phase)
        y = y0 + h * (0.5 + 0.35 * math.cos(2 * math.pi * loops * t) * (1 - 0.5 * t) - 0.25 * t)
        pts.append((x, y))
    width = max(2, int(h * 0.05))
    d.line(pts, fill=255, width=width, joint="curve")
    fl = [(x0 + 0.1 * w + t * 0.9 * w, y1 - 0.05 * h - 0.15 * h * math.sin(math.pi * t)) for t in np.linspace(0, 1, 60)]
    d.line(fl, fill=255, width=width, joint="curve")


def draw_incoming_stamp(ink: _Ink, box: tuple[float, float, float, float], number: str, date: str, receiver: str,
                        rng: random.Random) -> None:
    """The ``ĐẾN`` stamp: a blue frame, the receiving office, ``ĐẾN``, then ``Số:`` and ``Ngày:`` by hand."""
    d = ink.layer(BLUE_INK, opacity=rng.uniform(0.85, 0.95))
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lw = max(3, int(h * 0.025))
    d.rectangle(box, outline=255, width=lw)
    unit = h / 5.2
    label = font(STAMP_LABEL_FONT, int(unit * 0.55))
    big = font(STAMP_FONT, int(unit * 0.95))
    d.text((x0 + w / 2, y0 + unit * 0.85), receiver, fill=255, font=label, anchor="ms")
    d.text((x0 + w / 2, y0 + unit * 2.0), "ĐẾN", fill=255, font=big, anchor="ms")
    lx = x0 + w * 0.08
    for row, (lab, value) in enumerate((("Số:", number), ("Ngày:", date))):
        base = y0 + unit * (3.2 + 1.35 * row)
        d.text((lx, base), lab, fill=255, font=font(STAMP_FONT, int(unit * 0.7)), anchor="ls")
        start = lx + font(STAMP_FONT, int(unit * 0.7)).getlength(lab) + unit * 0.35
        ink.layer(PEN_INK, opacity=0.95, evenness=0.85)
        handwrite(ink.mask, start, base, value, unit * 0.85, rng)


# --- finishing: scanner or phone ---------------------------------------------------------------


def _jpeg(img: Image.Image, quality: int, dpi: int | None = None) -> tuple[Image.Image, bytes]:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, **({"dpi": (dpi, dpi)} if dpi else {}))  # 4:2:0 chroma, as devices write it
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), buf.getvalue()


def _noise(img: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0, sigma, a.shape[:2])[..., None]  # luminance grain
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def scanner(img: Image.Image, rng: random.Random, nrng: np.random.Generator, dpi: int) -> tuple[Image.Image, bytes]:
    """A copier's colour scan: turned by 0.3–1.5°, a little blur and grain, JPEG quality 70."""
    angle = rng.choice((-1, 1)) * rng.uniform(0.3, 1.5)
    img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    return _jpeg(_noise(img, 6.0, nrng), 70, dpi)


def phone(img: Image.Image, rng: random.Random, nrng: np.random.Generator, dpi: int) -> tuple[Image.Image, bytes]:
    """A phone photo: skewed 2–4°, light falling off across the page, warm cast, soft, JPEG 80,
    no resolution recorded (``dpi`` is ignored: a camera does not know the paper)."""
    angle = rng.choice((-1, 1)) * rng.uniform(2.0, 4.0)
    img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=(236, 233, 226))
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    ramp = (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) / math.hypot(gx, gy)  # -0.7 … 0.7
    cxv, cyv = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    vignette = ((xx - cxv) / w) ** 2 + ((yy - cyv) / h) ** 2
    light = np.clip(1.0 - 0.28 * (ramp + 0.7) - 0.5 * vignette, 0.45, 1.0)
    tint = np.array([1.0, 0.96, 0.88], dtype=np.float32)
    a = np.asarray(img, dtype=np.float32) * light[..., None] * tint
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.9))
    return _jpeg(_noise(img, 7.0, nrng), 80)


# --- the whole page ----------------------------------------------------------------------------


def _render_rgb(pdf: Path, dpi: float) -> list[Image.Image]:
    import pypdfium2 as pdfium

    pdf_doc = pdfium.PdfDocument(str(pdf))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in pdf_doc]
    finally:
        pdf_doc.close()


def degraded_scan(
    name: str,
    *,
    seed: int = 0,
    dpi: int = 200,
    received: tuple[str, str] | None = ("1234", "05/12/2023"),
    seal: bool = True,
    signature: bool = True,
    handwritten: bool = True,
    photo: bool = False,
    receiver: str | None = None,
) -> DegradedScan:
    """Render the corpus document ``name`` as a degraded office scan (see the module docstring).

    ``received`` is the incoming stamp's ``(number, dd/mm/yyyy)`` (``None``: no stamp).
    """
    text, gold = load(name)
    doc = parse(text, gold)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    number = day = None
    if handwritten:
        doc, number, day = with_blanks(doc)
    work = dpi * SUPERSAMPLE
    px = work / 72  # points → working pixels
    with tempfile.TemporaryDirectory(prefix="congvan-degrade-") as tmp:
        pdf = render_pdf(doc, Path(tmp) / "born.pdf")
        layout = _layout(pdf, gold)
        pages = _render_rgb(pdf, work)
    marks: dict[str, tuple[float, float, float, float]] = {}
    inks = [_Ink(p.size) for p in pages]
    first = inks[0]
    body = 13 * px
    for blank, value in ((layout.number_blank, number), (layout.day_blank, day)):
        if blank and value:
            x0, t, x1, b = (v * px for v in blank)
            ImageDraw.Draw(pages[0]).rectangle((x0 - 1, t, x1 + 1, b + 2), fill=(255, 255, 255))
            first.layer(DARK_INK, opacity=0.95, evenness=0.85)
            width = sum(font(HAND_FONTS[0], int(body * 1.2)).getlength(c) for c in value)
            start = x0 + max(0.0, (x1 - x0 - width) / 2) + rng.uniform(-0.1, 0.1) * body
            handwrite(first.mask, start, b - 0.2 * body + rng.uniform(-0.1, 0.15) * body, value, body * 1.2, rng)
    if received and layout.header:
        hx0, ht, hx1, hb = (v * px for v in layout.header)
        sw, sh = 50 / 25.4 * work, 28 / 25.4 * work  # a 50 × 28 mm stamp
        x = rng.uniform(hx0 - 0.05 * sw, hx0 + 0.45 * (hx1 - hx0) - sw)
        y = rng.uniform(ht + 0.1 * sh, max(ht + 0.1 * sh, min(hb, ht + 1.6 * sh)))
        box = (x, y, x + sw, y + sh)
        draw_incoming_stamp(first, box, received[0], received[1], receiver or rng.choice(RECEIVERS), rng)
        marks["stamp"] = box
    if layout.signer and (seal or signature):
        i, (sx0, st, sx1, sb) = layout.signer
        sx0, st, sx1, sb = sx0 * px, st * px, sx1 * px, sb * px
        ink = inks[i]
        if signature:
            box = (sx0 + 0.1 * (sx1 - sx0), st + 0.35 * (sb - st), sx1 - 0.05 * (sx1 - sx0), sb - 0.1 * (sb - st))
            draw_signature(ink, box, rng)
            marks["signature"] = box
        if seal:
            radius = rng.uniform(17, 20) / 25.4 * work
            centre = (sx0 + rng.uniform(0.0, 0.25) * (sx1 - sx0), (st + sb) / 2 + rng.uniform(-0.1, 0.1) * (sb - st))
            ring = " ".join(x for x in (gold.get("issuer_parent"), gold.get("issuer")) if x) or "ỦY BAN NHÂN DÂN"
            draw_seal(ink, centre, radius, ring.upper(), rng)
            marks["seal"] = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    finish = phone if photo else scanner
    out, files = [], []
    for page, ink in zip(pages, inks, strict=True):
        page = ink.apply(page, nrng)
        page = page.resize((round(page.width / SUPERSAMPLE), round(page.height / SUPERSAMPLE)), Image.LANCZOS)
        img, data = finish(page, rng, nrng, dpi)
        out.append(img)
        files.append(data)
    marks = {k: tuple(v / SUPERSAMPLE for v in box) for k, box in marks.items()}
    return DegradedScan(name, out, dpi, received, (number, day), photo, marks, files)


def reference_text(name: str) -> str:
    """The text of the clean rendering (number and day printed), in the readers' reading order."""
    from pipeline.readers import read_file

    with tempfile.TemporaryDirectory(prefix="congvan-degrade-") as tmp:
        return read_file(render_pdf(name, Path(tmp) / "clean.pdf")).text
