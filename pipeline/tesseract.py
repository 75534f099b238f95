"""Tesseract in process: page images read through ``libtesseract``'s C API, the engine kept loaded.

The ``tesseract`` program is a thin shell around the same library (Debian's ``tesseract-ocr``
depends on ``libtesseract5``). Calling the library instead of the program saves, on every page,
what the program spends outside recognition — measured on 16 corpus pages scanned at 200 dpi, with
the program at ~1.15 CPU-s a page:

- **loading the model**: ~0.1 s per run; here each engine loads it once and serves every page
  after (:func:`read` borrows an idle engine for the language, or makes one, and gives it the
  call's settings for that page only);
- **the TSV renderer**: ``GetTSVText`` takes ~0.06 s a page; the words are taken here with
  Tesseract's result iterator (~15 ms), exactly the words and confidences the TSV holds;
- **the image file**: the page goes over as bytes in memory, not as a PGM written and read back.

Recognition itself is the same code on the same pixels: the words are identical to the program's
(``tests/test_tesseract.py`` compares them). ``OMP_THREAD_LIMIT=1`` is set before the library is
loaded, as for the program (on 2 cores Tesseract's own OpenMP threads make it 5–7× slower); the
pages' parallelism comes from the callers' threads, each using its own engine (ctypes releases the
GIL during the calls). A page that takes over ``timeout`` seconds is given up through Tesseract's
own deadline (:class:`~pipeline.readers.ReadError`), and the engine serves the next page.

>>> from PIL import Image, ImageDraw
>>> page = Image.new("L", (900, 160), 255)
>>> ImageDraw.Draw(page).text((40, 40), "Hello 2024", fill=0, font_size=60)
>>> [w.text for w in read(page, 300, lang="eng", psm=7).words]
['Hello', '2024']
"""

from __future__ import annotations

import atexit
import ctypes
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.layout import Word
from pipeline.readers import ReadError

LIBRARY = "libtesseract.so.5"
"""The shared library (Debian ``libtesseract5``, installed with ``tesseract-ocr``)."""
PAGE_TIMEOUT = 180.0
"""Seconds one page may take before it is given up."""

_LOOKALIKES = str.maketrans("Ðð€", "Đđc")
"""Characters Vietnamese dispatches never hold that Tesseract reads for theirs: the Icelandic eth
for Đ, and € for the c of small print (``(b/€)`` is ``(b/c)`` in 8 of 52 scanned corpus documents)."""

_P, _S, _I, _F = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_float
_IP, _FP = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_float)
_SIGNATURES: dict[str, tuple[list, object]] = {
    "TessVersion": ([], _S),
    "TessBaseAPICreate": ([], _P),
    "TessBaseAPIInit3": ([_P, _S, _S], _I),
    "TessBaseAPISetVariable": ([_P, _S, _S], _I),
    "TessBaseAPIGetIntVariable": ([_P, _S, _IP], _I),
    "TessBaseAPIGetBoolVariable": ([_P, _S, _IP], _I),
    "TessBaseAPIGetDoubleVariable": ([_P, _S, ctypes.POINTER(ctypes.c_double)], _I),
    "TessBaseAPIGetStringVariable": ([_P, _S], _S),
    "TessBaseAPISetPageSegMode": ([_P, _I], None),
    "TessBaseAPISetImage": ([_P, _S, _I, _I, _I, _I], None),
    "TessBaseAPISetSourceResolution": ([_P, _I], None),
    "TessBaseAPIRecognize": ([_P, _P], _I),
    "TessBaseAPIGetIterator": ([_P], _P),
    "TessBaseAPIGetDatapath": ([_P], _S),
    "TessBaseAPIDetectOrientationScript": ([_P, _IP, _FP, ctypes.POINTER(_S), _FP], _I),
    "TessBaseAPIClear": ([_P], None),
    "TessBaseAPIEnd": ([_P], None),
    "TessBaseAPIDelete": ([_P], None),
    "TessResultIteratorGetPageIterator": ([_P], _P),
    "TessResultIteratorNext": ([_P, _I], _I),
    "TessResultIteratorGetUTF8Text": ([_P, _I], _P),
    "TessResultIteratorConfidence": ([_P, _I], _F),
    "TessResultIteratorDelete": ([_P], None),
    "TessPageIteratorBoundingBox": ([_P, _I, _IP, _IP, _IP, _IP], _I),
    "TessDeleteText": ([_P], None),
    "TessMonitorCreate": ([], _P),
    "TessMonitorDelete": ([_P], None),
    "TessMonitorSetDeadlineMSecs": ([_P, _I], None),
    "TessPDFRendererCreate": ([_S, _S, _I], _P),
    "TessResultRendererBeginDocument": ([_P, _S], _I),
    "TessResultRendererAddImage": ([_P, _P], _I),
    "TessResultRendererEndDocument": ([_P], _I),
    "TessDeleteResultRenderer": ([_P], None),
}
_RIL_WORD = 3
PSM_OSD_ONLY = 0


@cache
def library() -> ctypes.CDLL:
    """``libtesseract``, loaded once, its functions typed; :class:`ReadError` when it is missing."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # read by OpenMP when the library brings it in
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError:
        raise ReadError("OCR unavailable: Tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-vie)") from None
    for name, (args, result) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result
    return lib


def version() -> str:
    """The library's version, e.g. ``5.3.0``."""
    return library().TessVersion().decode()


class Engine:
    """One loaded Tesseract (a ``TessBaseAPI``) for one language.

    Not for two threads at once: :func:`engine` lends each engine to one caller at a time.
    """

    def __init__(self, lang: str) -> None:
        lib = library()
        self.lang = lang
        self.handle = lib.TessBaseAPICreate()
        # Tesseract's own messages (baseline statistics of an empty crop, "Empty page!!") would go
        # to this process's stderr, where the program's were captured: they go nowhere
        lib.TessBaseAPISetVariable(self.handle, b"debug_file", os.devnull.encode())
        if lib.TessBaseAPIInit3(self.handle, None, lang.encode()) != 0:
            lib.TessBaseAPIDelete(self.handle)
            raise ReadError(f"OCR unavailable: Tesseract's {_MODEL_NAMES.get(lang, lang)} model is not installed "
                            f"(Debian: tesseract-ocr-{lang})")
        self.datapath = lib.TessBaseAPIGetDatapath(self.handle)
        self.defaults: dict[str, str] = {}
        """The value each variable a caller set had before (restored by :meth:`reset`)."""

    def _get(self, name: str) -> str:
        lib, key = library(), name.encode()
        number, real = ctypes.c_int(), ctypes.c_double()
        if lib.TessBaseAPIGetIntVariable(self.handle, key, ctypes.byref(number)):
            return str(number.value)
        if lib.TessBaseAPIGetBoolVariable(self.handle, key, ctypes.byref(number)):
            return str(int(bool(number.value)))
        if lib.TessBaseAPIGetDoubleVariable(self.handle, key, ctypes.byref(real)):
            return repr(real.value)
        text = lib.TessBaseAPIGetStringVariable(self.handle, key)
        if text is None:
            raise ValueError(f"not a Tesseract variable: {name}")
        return text.decode()

    def set(self, variables: Mapping[str, str]) -> None:
        """Set Tesseract variables until :meth:`reset` (e.g. ``tessedit_char_whitelist``)."""
        for name, value in dict(variables).items():
            if name not in self.defaults:
                self.defaults[name] = self._get(name)
            library().TessBaseAPISetVariable(self.handle, name.encode(), str(value).encode())

    def reset(self) -> None:
        """Every variable set back to what it was before :meth:`set`."""
        for name, value in self.defaults.items():
            library().TessBaseAPISetVariable(self.handle, name.encode(), value.encode())
        self.defaults.clear()

    def set_page(self, img, dpi: int, psm: int) -> None:
        """Hand a greyscale PIL image over (its pixels copied by Tesseract)."""
        lib = library()
        grey = img if img.mode == "L" else img.convert("L")
        lib.TessBaseAPISetPageSegMode(self.handle, psm)
        lib.TessBaseAPISetImage(self.handle, grey.tobytes(), grey.width, grey.height, 1, grey.width)
        lib.TessBaseAPISetSourceResolution(self.handle, int(dpi))

    def recognize(self, timeout: float) -> None:
        """Read the page set; :class:`ReadError` when it takes over ``timeout`` seconds."""
        lib = library()
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout * 1000)))
            started = time.monotonic()
            if lib.TessBaseAPIRecognize(self.handle, monitor) != 0:
                if time.monotonic() - started >= timeout:
                    raise ReadError(f"OCR timed out after {timeout:g} s on one page")
                raise ReadError("OCR failed on this page")
        finally:
            lib.TessMonitorDelete(monitor)

    def words(self) -> list[Word]:
        """The words read, in Tesseract's order, with their boxes (pixels) and confidences."""
        lib = library()
        it = lib.TessBaseAPIGetIterator(self.handle)
        if not it:
            return []
        page = lib.TessResultIteratorGetPageIterator(it)
        box = [ctypes.c_int() for _ in range(4)]
        out = []
        try:
            while True:
                ptr = lib.TessResultIteratorGetUTF8Text(it, _RIL_WORD)
                if ptr:
                    text = ctypes.string_at(ptr).decode("utf-8", errors="replace")
                    lib.TessDeleteText(ptr)
                    if lib.TessPageIteratorBoundingBox(page, _RIL_WORD, *box):
                        word = make_word(text, lib.TessResultIteratorConfidence(it, _RIL_WORD), *(b.value for b in box))
                        if word:
                            out.append(word)
                if not lib.TessResultIteratorNext(it, _RIL_WORD):
                    return out
        finally:
            lib.TessResultIteratorDelete(it)

    def text_layer(self) -> bytes:
        """The page's words as a one-page PDF holding only them, invisible, in place (Tesseract's
        ``textonly_pdf`` renderer: the text layer of a searchable copy)."""
        lib = library()
        with tempfile.TemporaryDirectory(prefix="congvan-ocr-") as tmp:
            base = Path(tmp) / "layer"
            renderer = lib.TessPDFRendererCreate(str(base).encode(), self.datapath, 1)
            try:
                ok = (lib.TessResultRendererBeginDocument(renderer, b"")
                      and lib.TessResultRendererAddImage(renderer, self.handle)
                      and lib.TessResultRendererEndDocument(renderer))
            finally:
                lib.TessDeleteResultRenderer(renderer)
            if not ok:
                raise ReadError("OCR failed writing the page's text layer")
            return base.with_suffix(".pdf").read_bytes()

    def orientation(self) -> tuple[int, float]:
        """Degrees clockwise to turn the page set upright, and the confidence (an ``osd`` engine)."""
        lib = library()
        deg, conf = ctypes.c_int(), ctypes.c_float()
        script, script_conf = _S(), ctypes.c_float()
        if not lib.TessBaseAPIDetectOrientationScript(self.handle, ctypes.byref(deg), ctypes.byref(conf),
                                                      ctypes.byref(script), ctypes.byref(script_conf)):
            return 0, 0.0
        return {0: 0, 90: 270, 180: 180, 270: 90}.get(deg.value, 0), float(conf.value)

    def clear(self) -> None:
        """Free the last page's image and results (the model stays loaded)."""
        library().TessBaseAPIClear(self.handle)

    def close(self) -> None:
        if self.handle:
            library().TessBaseAPIEnd(self.handle)
            library().TessBaseAPIDelete(self.handle)
            self.handle = None


_MODEL_NAMES = {"vie": "Vietnamese", "eng": "English", "osd": "orientation (osd)"}


def make_word(text: str, conf: float, left: int, top: int, right: int, bottom: int) -> Word | None:
    """A word as the readers keep it, or ``None`` for what is not one: no text, no confidence,
    or a speck read as punctuation (under 20 and no letter or digit). Tesseract's look-alikes of
    Vietnamese letters are put right (``Ð`` → ``Đ``).

    >>> make_word("Ðà", 91.5, 10, 20, 60, 44)
    Word(text='Đà', x0=10, top=20, x1=60, bottom=44, size=0.0, conf=91.5, superscript=False)
    >>> make_word(",", 12.0, 0, 0, 3, 3) is None
    True
    """
    text = text.strip()
    if not text or conf < 0 or (conf < 20 and not any(c.isalnum() for c in text)):
        return None
    return Word(text.translate(_LOOKALIKES), left, top, right, bottom, conf=conf)


_idle: dict[str, list[Engine]] = {}
_lock = threading.Lock()


@contextmanager
def engine(lang: str, variables: Mapping[str, str] = ()) -> Iterator[Engine]:
    """An idle engine for ``lang`` (one is made when none is idle) with ``variables`` set, lent
    for the ``with`` block; its page is cleared and its variables put back when it returns."""
    with _lock:
        idle = _idle.get(lang)
        eng = idle.pop() if idle else None
    if eng is None:
        eng = Engine(lang)
    try:
        eng.set(variables)
        yield eng
    finally:
        eng.clear()
        eng.reset()
        with _lock:
            _idle.setdefault(lang, []).append(eng)


@atexit.register
def close_all() -> None:
    """End every idle engine (at exit: Tesseract otherwise reports its cached models as leaks)."""
    with _lock:
        engines = [e for es in _idle.values() for e in es]
        _idle.clear()
    for e in engines:
        e.close()


@dataclass
class Reading:
    """What :func:`read` gives: the words (pixels of the image read) and, when asked, the page's
    invisible-text PDF."""

    words: list[Word]
    text_layer: bytes | None = None


def read(img, dpi: int, lang: str = "vie", psm: int = 3, variables: Mapping[str, str] = (),
         text_layer: bool = False, timeout: float | None = None) -> Reading:
    """Read a page image (PIL, any mode; greyscale is what Tesseract is given) at ``dpi``.

    ``psm`` is Tesseract's page segmentation mode, ``variables`` its settings (e.g.
    ``{"tessedit_char_whitelist": "0123456789"}``); with ``text_layer`` the page's invisible-text
    PDF comes too. :class:`ReadError` when the model is missing or the page times out.
    """
    with engine(lang, variables) as eng:
        eng.set_page(img, dpi, psm)
        eng.recognize(PAGE_TIMEOUT if timeout is None else timeout)
        return Reading(eng.words(), eng.text_layer() if text_layer else None)


def orientation(img, dpi: int) -> tuple[int, float]:
    """Degrees clockwise to turn ``img`` upright and Tesseract's confidence in it (``osd`` model);
    ``(0, 0.0)`` when there is too little text to tell."""
    with engine("osd") as eng:
        eng.set_page(img, dpi, PSM_OSD_ONLY)
        return eng.orientation()


@cache
def languages() -> tuple[str, ...]:
    """The models installed beside the Vietnamese one (``vie``, ``eng``, ``osd``...)."""
    with engine("vie") as eng:
        folder = Path(eng.datapath.decode())
    return tuple(sorted(p.stem for p in folder.glob("*.traineddata")))
