"""Page images cleaned up before OCR: coloured ink dropped, resolution raised, skew undone.

Office scans carry ink that is not the document's print: a round red seal over the signer, a
blue signature across it, a blue or red incoming stamp (``ĐẾN``) pressed onto the header.
Tesseract reads those as letters and mixes them into the lines they cover. :func:`prepare_page`
gives it the black print alone:

1. **colour dropout** — pixels whose colour is strongly red or blue (chroma = max − min channel
   over :data:`CHROMA`, the red or blue channel the largest) are replaced by the paper seen through
   the ink: the ink's own channel (red for red ink, blue for blue ink), stretched so the ink's
   paper is white. Black print under a seal stays black, as ink multiplies on paper;
2. **even lighting** — a phone photo's light falling off across the page is divided out (the
   background estimated by a max filter over a small copy), only when it varies;
3. **resolution** — a page under :data:`UPSCALE_BELOW` dpi is scaled up to :data:`TARGET_DPI`,
   one finer than :data:`DOWNSCALE_ABOVE` scaled down to :data:`READ_DPI` (Tesseract reads a
   300-dpi page as well at 225 dpi, in less time);
4. **deskew** — the text lines' angle (±5°) measured by a projection profile
   (:func:`pipeline.ocr.measure_skew`) and turned back, in the same resampling as the scaling;
5. **binarisation** — off by default (:data:`BINARISE`): see its note for the measurement.

The incoming stamp is found from the dropped colour itself: the largest red or blue block in the
top third of the page (:func:`find_stamp_box`). Its crop is kept *with* its colour
(:attr:`PreparedPage.stamp_image`: the ink dark, the black print under it white) so it can be read
on its own (:func:`pipeline.stampread.stamp_reading`) and handed to the extractors as a separate ``ĐẾN`` / ``Số:`` /
``Ngày:`` block — never mixed into the header lines it covers.

The input image is never changed: every step works on copies.

>>> from PIL import Image, ImageDraw
>>> page = Image.new("RGB", (1654, 2339), "white")
>>> d = ImageDraw.Draw(page)
>>> d.rectangle((200, 300, 700, 340), fill="black")                     # a line of print
>>> d.ellipse((150, 250, 450, 550), outline=(205, 35, 45), width=12)   # a red seal over it
>>> p = prepare_page(page, dpi=200)
>>> p.dpi, p.image.mode, p.image.size, p.scale
(200, 'L', (1654, 2339), 1.0)
>>> p.image.getpixel((300, 256)), p.image.getpixel((500, 320))  # the seal gone, the print kept
(255, 0)
>>> page.getpixel((300, 256))  # the original is untouched
(205, 35, 45)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

TARGET_DPI = 300
UPSCALE_BELOW = 170
"""Pages under this resolution are scaled up to :data:`TARGET_DPI` (measured in bench_scans)."""
DOWNSCALE_ABOVE = 260
READ_DPI = 225
"""Pages finer than :data:`DOWNSCALE_ABOVE` dpi are read at this resolution. Tesseract's line
recogniser scales every text line to a fixed height, so the extra pixels of 300 dpi only cost
page analysis time. Measured on 48 corpus documents scanned at 300 dpi (95 pages, degraded, 1–2°
skew; ``bench/bench_inputs.py --read-dpi 300,225,200``): field macro-F1 0.948 read at 300 dpi,
0.959 at 225, 0.930 at 200 (small marks such as ``KHẨN`` start to go); CPU per page −16 % at 225."""
A4_WIDTH_IN = 8.27
MAX_SKEW = 5.0
"""Degrees; the deskew looks for text lines turned by up to this."""
MIN_SKEW = 0.1
"""Degrees; a smaller skew is left alone."""
CHROMA = 48
"""Max − min channel above which a pixel is coloured ink (paper tint and JPEG fringes stay under ~30)."""
CHROMA_NEAR = 14
"""The same, next to pixels over :data:`CHROMA`: the soft edges of the strokes."""
PRINT_UNDER_INK = 32
"""Luma under which a coloured pixel is print under the ink (blue ink alone: ~70, a pen's ~50)."""
GHOST_LIGHT = 150
"""Grey level over which a pixel in the box around a dropped mark is taken for paper: the ink's
pale remains (faint letters of a stamp) otherwise join the print they cover (``Số:`` lost)."""
UNEVEN_LIGHT = 28
"""Grey levels of background variation over which the lighting is evened out."""
BINARISE = False
"""Whether the page is binarised before OCR. Measured on degraded 200-dpi scans and phone photos
(bench/bench_scans.py --binarise): Tesseract's own Otsu on the cleaned greyscale page read fewer
character errors than a Sauvola-binarised page; see the report in bench_scans."""
STAMP_DPI = 400
"""Resolution the stamp's crop is read at (its handwritten digits are small); its values are
cut out of it and brought to :data:`pipeline.handwriting.DIGITS_DPI`, to be read as digits with
the header's blanks."""
STAMP_MIN_IN = (0.8, 0.4)
STAMP_MAX_IN = (4.5, 2.6)
"""Width and height (inches) an incoming stamp's block may have."""


@dataclass
class PreparedPage:
    """A page ready for OCR, and what was learnt preparing it."""

    image: Image.Image
    """Greyscale (``L``), coloured ink dropped, upright, at :attr:`dpi`."""
    dpi: int
    scale: float
    """Pixels of :attr:`image` per pixel of the input."""
    skew: float = 0.0
    """Degrees the page was turned back by (PIL's counter-clockwise sense)."""
    dropped: float = 0.0
    """Fraction of the page's pixels that were coloured ink."""
    evened: bool = False
    """Whether uneven lighting was divided out."""
    binarised: bool = False
    stamp_box: tuple[int, int, int, int] | None = None
    """The incoming stamp's block in *input* pixels ``(left, top, right, bottom)``, if one was found."""
    stamp_image: Image.Image | None = None
    """The stamp's crop with its colour kept: ink dark, black print under it white, ≥ 300 dpi."""


def page_dpi(image: Image.Image, dpi: int | float | None) -> int:
    """The resolution to trust: ``dpi`` when it fits a sheet of paper, else the width of an A4 page.

    Phone photos say 72 dpi (or nothing): their width then tells.

    >>> page_dpi(Image.new("L", (1654, 2339)), 72), page_dpi(Image.new("L", (2480, 3508)), None)
    (200, 300)
    """
    guess = max(100, round(image.width / A4_WIDTH_IN))
    if not dpi:
        return guess
    inches = image.width / float(dpi)
    return int(round(float(dpi))) if 3.0 <= inches <= 17.0 else guess


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def _boxes(mask: np.ndarray, cell: int, margin: int = 1) -> list[tuple[slice, slice]]:
    """Bounding boxes (as slices, with ``margin`` cells around) of the groups of ``cell``-pixel
    cells that hold any of ``mask``: the separate marks on a page (stamp, seal, signature)."""
    h, w = mask.shape
    rows, cols = -(-h // cell), -(-w // cell)
    padded = np.zeros((rows * cell, cols * cell), bool)
    padded[:h, :w] = mask
    pooled = padded.reshape(rows, cell, cols, cell).any(axis=(1, 3))
    out = []
    for top, left, bottom, right in _components(pooled, gap=1):
        out.append((slice(max(0, (top - margin) * cell), min(h, (bottom + 1 + margin) * cell)),
                    slice(max(0, (left - margin) * cell), min(w, (right + 1 + margin) * cell))))
    return out


def _components(grid: np.ndarray, gap: int = 0) -> list[tuple[int, int, int, int]]:
    """Bounding boxes ``(top, left, bottom, right)`` (inclusive) of the connected groups of true
    cells of a small grid, cells up to ``gap`` cells apart counting as connected."""
    grown = grid.copy()
    for _ in range(gap):
        grown = _grow(grown)
    seen = np.zeros_like(grown)
    rows, cols = grid.shape
    boxes = []
    for y0, x0 in zip(*np.nonzero(grid), strict=True):
        if seen[y0, x0]:
            continue
        queue = deque([(y0, x0)])
        seen[y0, x0] = True
        box = [y0, x0, y0, x0]
        while queue:
            y, x = queue.popleft()
            box = [min(box[0], y), min(box[1], x), max(box[2], y), max(box[3], x)]
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < rows and 0 <= nx < cols and grown[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        boxes.append((int(box[0]), int(box[1]), int(box[2]), int(box[3])))
    return boxes


def colour_mask(rgb: np.ndarray, reach: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Masks of red and of blue ink in an ``(h, w, 3)`` uint8 array.

    A pixel is ink when its chroma is over :data:`CHROMA`, or over :data:`CHROMA_NEAR` within
    ``reach`` pixels of such a pixel (the soft edges of strokes, lighter ink) — with red or blue
    the strongest channel.
    """
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    chroma = mx - mn  # uint8: max ≥ min
    strong = chroma > CHROMA
    inked = strong
    if strong.any():
        near = strong
        for _ in range(reach):
            near = _grow(near)
        inked = strong | ((chroma > CHROMA_NEAR) & near)
    r, b = rgb[..., 0], rgb[..., 2]
    return inked & (r == mx), inked & (b == mx) & (r != mx)


def drop_colour(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greyscale of ``rgb`` with red and blue ink removed; and the mask of what was removed.

    Where ink is, the grey is the ink's own channel (red ink lets red light through) divided by
    how much of it the ink lets through, so the paper under the ink is white and print under the
    ink stays as dark as it was. Only the boxes around coloured marks are worked on.

    >>> a = np.full((40, 40, 3), 255, np.uint8); a[5:9, 5:9] = (35, 65, 185); a[20:24, 20:24] = 0
    >>> grey, mask = drop_colour(a)
    >>> int(grey[6, 6]), int(grey[21, 21]), int(mask.sum())
    (255, 0, 16)
    """
    image = Image.fromarray(rgb)
    grey = np.array(image.convert("L"))  # ITU-R 601 luma, in C
    mask = np.zeros(grey.shape, bool)
    strong = np.asarray(_chroma(image)) > CHROMA
    if not strong.any():
        return grey, mask
    for ys, xs in _boxes(strong, cell=max(8, rgb.shape[1] // 100)):
        _drop_region(rgb[ys, xs], grey[ys, xs], mask[ys, xs])
    return grey, mask


def _chroma(image: Image.Image) -> Image.Image:
    """Max − min channel of an RGB image (Pillow's per-pixel operations: ~10× numpy's ``max(axis=2)``)."""
    r, g, b = image.split()
    return ImageChops.subtract(ImageChops.lighter(ImageChops.lighter(r, g), b), ImageChops.darker(ImageChops.darker(r, g), b))


def _drop_region(rgb: np.ndarray, grey: np.ndarray, mask: np.ndarray) -> None:
    """:func:`drop_colour` on one mark's box (``grey`` and ``mask`` are views, changed in place)."""
    red, blue = colour_mask(rgb)
    chroma = (rgb.max(axis=2) - rgb.min(axis=2))
    # JPEG keeps colour at half resolution, so black print beside ink takes on its colour: (0, 10, 126)
    # under a blue stroke. Its luma (full resolution) still says print: such dark pixels are kept.
    red &= grey >= PRINT_UNDER_INK
    blue &= grey >= PRINT_UNDER_INK
    for ink, channel in ((red, 0), (blue, 2)):
        if not ink.any():
            continue
        through = rgb[..., channel][ink].astype(np.float32)
        core = through[chroma[ink] > CHROMA]  # the ink's own channel where it is densest, on bare paper
        level = max(100.0, float(np.percentile(core, 10))) if core.size else 255.0
        grey[ink] = np.minimum(255.0, through * (255.0 / level)).astype(np.uint8)
    both = red | blue
    mask |= both
    if both.any():
        _drop_crossings(grey, red, blue)
        # JPEG keeps colour at half resolution: a stroke's rim is left grey with no colour of its
        # own, and light ink falls under the chroma threshold. What is left of the ink is pale: in
        # the mark's box, pale is paper (print is dark).
        grey[grey > GHOST_LIGHT] = 255


def _drop_crossings(grey: np.ndarray, red: np.ndarray, blue: np.ndarray, reach: int = 3) -> None:
    """Where a blue stroke crosses red ink (a signature over the seal) the two inks together let
    little of any channel through: the dropout above leaves them dark. White out the ink pixels
    that have red and blue ink both within ``reach`` pixels (print under ink has no colour and is
    not among them)."""
    if not (red.any() and blue.any()):
        return
    ys, xs = np.nonzero(red)
    y0, y1 = max(0, ys.min() - reach), ys.max() + reach + 1
    x0, x1 = max(0, xs.min() - reach), xs.max() + reach + 1
    r, b = red[y0:y1, x0:x1], blue[y0:y1, x0:x1]
    if not b.any():
        return
    rr, bb = r, b
    for _ in range(reach):
        rr, bb = _grow(rr), _grow(bb)
    grey[y0:y1, x0:x1][rr & bb & (r | b)] = 255


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by one pixel (3 × 3)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    grown = out.copy()
    grown[:, 1:] |= out[:, :-1]
    grown[:, :-1] |= out[:, 1:]
    return grown


def even_light(image: Image.Image) -> tuple[Image.Image, bool]:
    """``image`` (``RGB`` or ``L``) with its paper made white: the background, estimated by a max
    filter over a small copy, divided out channel by channel — when it is darker than
    :data:`UNEVEN_LIGHT` grey levels anywhere (a phone photo's falling light, a tinted paper).

    In a dim corner blue ink is dull (``(43, 55, 105)`` on a ``(131, 124, 114)`` paper); divided
    by its paper it is as blue as on a scanner, and the colour dropout sees it.
    """
    small = image.reduce(max(1, image.width // 120))  # ~1.8 mm a pixel on A4: text is thinner
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(3))
    if float(np.percentile(np.asarray(background), 2)) >= 255 - UNEVEN_LIGHT:
        return image, False
    a = np.asarray(image).astype(np.uint16)
    a *= 255
    bg = np.asarray(background.resize(image.size, Image.BILINEAR)).astype(np.uint16)
    np.maximum(bg, 1, out=bg)
    a //= bg
    np.minimum(a, 255, out=a)
    return Image.fromarray(a.astype(np.uint8), image.mode), True


def sauvola(grey: Image.Image, window: int = 31, k: float = 0.2) -> Image.Image:
    """Sauvola's local threshold (for the binarisation measurement): black where darker than
    ``mean × (1 + k (sd / 128 − 1))`` over a ``window``-pixel square."""
    a = np.asarray(grey, dtype=np.float64)
    pad = window // 2
    p = np.pad(a, pad + 1, mode="edge")
    s1 = p.cumsum(0).cumsum(1)
    s2 = (p * p).cumsum(0).cumsum(1)
    h, w = a.shape

    def box(s: np.ndarray) -> np.ndarray:
        return s[window:window + h, window:window + w] - s[:h, window:window + w] - s[window:window + h, :w] + s[:h, :w]

    n = window * window
    mean = box(s1) / n
    sd = np.sqrt(np.maximum(box(s2) / n - mean * mean, 0))
    return Image.fromarray(np.where(a > mean * (1 + k * (sd / 128 - 1)), 255, 0).astype(np.uint8))


def find_stamp_box(mask: np.ndarray, dpi: int, top_fraction: float = 0.36) -> tuple[int, int, int, int] | None:
    """The largest block of coloured ink in the top third of the page, if it is stamp-sized.

    The mask is pooled into cells of ~1/25 inch, joined across small gaps, and its connected
    blocks measured; seals and signatures sit lower down, so only the page's top is looked at.

    >>> m = np.zeros((2339, 1654), bool); m[300:305, 200:600] = m[500:505, 200:600] = True
    >>> m[300:505, 200:205] = m[300:505, 595:600] = True; m[380:400, 250:550] = True
    >>> find_stamp_box(m, 200)
    (200, 300, 600, 505)
    """
    h, w = mask.shape
    cell = max(2, dpi // 25)
    rows = int(h * top_fraction) // cell
    cols = w // cell
    if rows < 2 or cols < 2:
        return None
    pooled = mask[: rows * cell, : cols * cell].reshape(rows, cell, cols, cell).mean(axis=(1, 3)) > 0.02
    if pooled.sum() < 8:
        return None
    grown = pooled.copy()  # close gaps of up to 2 cells between letters and the frame
    for dy in (-2, -1, 0, 1, 2):
        for dx in (-2, -1, 0, 1, 2):
            grown |= np.roll(np.roll(pooled, dy, 0), dx, 1)
    seen = np.zeros_like(grown)
    best: tuple[int, tuple[int, int, int, int]] | None = None
    for y0, x0 in zip(*np.nonzero(grown & ~seen), strict=True):
        if seen[y0, x0]:
            continue
        queue = deque([(y0, x0)])
        seen[y0, x0] = True
        box = [y0, x0, y0, x0]
        count = 0
        while queue:
            y, x = queue.popleft()
            count += pooled[y, x]
            box = [min(box[0], y), min(box[1], x), max(box[2], y), max(box[3], x)]
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < rows and 0 <= nx < cols and grown[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        bw, bh = (box[3] - box[1] + 1) * cell / dpi, (box[2] - box[0] + 1) * cell / dpi
        if not (STAMP_MIN_IN[0] <= bw <= STAMP_MAX_IN[0] and STAMP_MIN_IN[1] <= bh <= STAMP_MAX_IN[1]):
            continue
        if best is None or count > best[0]:
            best = (int(count), (box[1] * cell, box[0] * cell, (box[3] + 1) * cell, (box[2] + 1) * cell))
    if best is None:
        return None
    # tighten to the ink itself
    x0, y0, x1, y1 = best[1]
    sub = mask[y0:y1, x0:x1]
    ys, xs = np.nonzero(sub)
    return int(x0 + xs.min()), int(y0 + ys.min()), int(x0 + xs.max() + 1), int(y0 + ys.max() + 1)


def stamp_crop(rgb: np.ndarray, box: tuple[int, int, int, int], dpi: int, skew: float = 0.0) -> Image.Image:
    """The stamp's block as dark ink on white, black print under it left out, at ≥ 300 dpi,
    turned back by the page's ``skew``."""
    h, w = rgb.shape[:2]
    pad = dpi // 20
    x0, y0, x1, y1 = max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad), min(h, box[3] + pad)
    a = rgb[y0:y1, x0:x1].astype(np.int16)
    chroma = a.max(axis=2) - a.min(axis=2)
    strong = chroma[chroma > CHROMA]
    level = float(np.percentile(strong, 50)) if strong.size else 255.0
    ink = np.clip((chroma - 20) / max(level - 20, 1.0), 0, 1) ** 0.6 * 255  # pale strokes darkened
    crop = Image.fromarray((255 - ink).astype(np.uint8))
    scale = max(1.0, STAMP_DPI / dpi)  # small handwriting: read finer than the page
    return _transform(crop, scale, skew)


def _transform(grey: Image.Image, scale: float, skew: float, fast: bool = False) -> Image.Image:
    """``grey`` scaled by ``scale`` and turned by ``-skew`` degrees about its centre, in one
    bilinear resampling; with ``fast``, a (SIMD) resize then a nearest-neighbour turn, as
    :func:`pipeline.ocr.ocr_image` turns pages (3–4× cheaper on a page, the same text)."""
    out_w, out_h = round(grey.width * scale), round(grey.height * scale)
    if abs(skew) < MIN_SKEW or fast:
        if scale != 1:
            grey = grey.resize((out_w, out_h), Image.BICUBIC if scale > 1 else Image.LANCZOS)
        if abs(skew) < MIN_SKEW:
            return grey
        return grey.rotate(-skew, resample=Image.NEAREST, fillcolor=255)
    t = math.radians(skew)  # PIL's rotate(-skew): output → input mapping
    a, b, d, e = math.cos(t), math.sin(t), -math.sin(t), math.cos(t)
    cxo, cyo, cxi, cyi = out_w / 2, out_h / 2, grey.width / 2, grey.height / 2
    coeffs = (a / scale, b / scale, cxi - (a * cxo + b * cyo) / scale,
              d / scale, e / scale, cyi - (d * cxo + e * cyo) / scale)
    return grey.transform((out_w, out_h), Image.AFFINE, coeffs, resample=Image.BILINEAR, fillcolor=255)


def prepare_page(image: Image.Image, dpi: int | float | None = None, binarise: bool | None = None) -> PreparedPage:
    """Clean a page image up for OCR (see the module docstring); ``image`` is left unchanged.

    >>> from PIL import Image
    >>> p = prepare_page(Image.new("L", (2480, 3508), 255), dpi=300)
    >>> p.dpi, p.scale, p.image.size, p.skew, p.stamp_box
    (225, 0.75, (1860, 2631), 0.0, None)
    >>> prepare_page(Image.new("L", (1654, 2339), 255), dpi=200).dpi
    200
    """
    from pipeline.ocr import measure_skew

    binarise = BINARISE if binarise is None else binarise
    dpi = page_dpi(image, dpi)
    colour = image.mode not in ("1", "L", "I", "I;16", "F")
    stamp_box = stamp_image = None
    dropped = 0.0
    work, evened = even_light(_rgb(image) if colour else image.convert("L"))
    mask = None
    if colour:
        rgb = np.asarray(work)
        grey_a, mask = drop_colour(rgb)
        grey = Image.fromarray(grey_a)
        dropped = float(mask.mean())
    else:
        grey = work
    skew = measure_skew(grey, MAX_SKEW)
    if mask is not None and dropped > 0.0005:
        stamp_box = find_stamp_box(mask, dpi)
        if stamp_box:
            stamp_image = stamp_crop(rgb, stamp_box, dpi, skew)
    scale = 1.0
    if dpi < UPSCALE_BELOW:
        scale = TARGET_DPI / dpi
    elif dpi > DOWNSCALE_ABOVE:
        scale = READ_DPI / dpi
    out = _transform(grey, scale, skew, fast=True)
    if out is image:
        out = image.copy()
    if binarise:
        out = sauvola(out)
    return PreparedPage(
        out, round(dpi * scale) if scale != 1 else dpi, round(scale, 4), round(skew, 2) if abs(skew) >= MIN_SKEW else 0.0,
        round(dropped, 5), evened, binarise, stamp_box, stamp_image,
    )
