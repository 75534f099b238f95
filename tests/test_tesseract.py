"""Tesseract through its library (pipeline.tesseract): the same reading as the program, engines
kept and shared safely, deadlines, missing models, OpenMP held to one thread."""

from __future__ import annotations

import subprocess
import threading

import pytest
from render import degrade, rasterize, render_pdf

from pipeline import tesseract
from pipeline.ocr import LANG, PSM, READ_VARIABLES, parse_tsv
from pipeline.readers import ReadError

INVITATION = "408_gm-ubnd-xa-phat-tich-ntm"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A 200-dpi copier scan of a one-page invitation, as a greyscale image."""
    pdf = render_pdf(INVITATION, tmp_path_factory.mktemp("page") / "gm.pdf")
    return degrade(rasterize(pdf, 200)[0], angle=0.0, seed=3)


def test_library_reads_the_words_the_program_reads(page, tmp_path):
    """Same library, same pixels, same settings: the words, boxes and confidences of the
    ``tesseract`` program's TSV, none lost or added by taking them from the iterator."""
    path = tmp_path / "page.png"
    page.save(path, dpi=(200, 200))
    args = ["-l", LANG, "--psm", str(PSM), "--dpi", "200"]
    for key, value in READ_VARIABLES.items():
        args += ["-c", f"{key}={value}"]
    program = parse_tsv(subprocess.run(["tesseract", str(path), "stdout", *args, "tsv"], capture_output=True,
                                       check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"}).stdout.decode())
    library = tesseract.read(page, 200, LANG, PSM, READ_VARIABLES).words
    assert len(library) > 100
    assert [(w.text, w.x0, w.top, w.x1, w.bottom) for w in library] == [(w.text, w.x0, w.top, w.x1, w.bottom) for w in program]
    assert [w.conf for w in library] == pytest.approx([w.conf for w in program], abs=1e-3)
    assert "GIẤY MỜI" in " ".join(w.text for w in library)


def test_engine_is_kept_and_its_settings_last_one_reading(page):
    """One engine per language serves reading after reading; a reading's settings (a digits-only
    whitelist) apply to it alone."""
    header = page.crop((0, 0, page.width, page.height // 3))
    tesseract.close_all()
    digits = tesseract.read(header, 200, "vie", 6, {"tessedit_char_whitelist": "0123456789/"}).words
    assert digits and all(set(w.text) <= set("0123456789/") for w in digits)
    words = tesseract.read(header, 200, LANG, PSM, READ_VARIABLES).words
    assert len(tesseract._idle["vie"]) == 1  # the second reading used the first one's engine
    assert "UBND" in " ".join(w.text for w in words)  # letters again: the whitelist went with its reading


def test_two_threads_reading_at_once_get_an_engine_each():
    barrier = threading.Barrier(2)
    seen: list[int] = []

    def hold() -> None:
        with tesseract.engine("vie") as eng:
            seen.append(id(eng))
            barrier.wait(timeout=30)

    tesseract.close_all()
    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2 and len(tesseract._idle["vie"]) == 2


def test_unknown_setting_is_refused_and_the_engine_kept(page):
    tesseract.close_all()
    with pytest.raises(ValueError, match="not a Tesseract variable"):
        tesseract.read(page, 200, variables={"no_such_setting": "1"})
    assert len(tesseract._idle["vie"]) == 1


def test_a_page_over_its_deadline_is_given_up_and_the_engine_goes_on(page):
    with pytest.raises(ReadError, match="timed out"):
        tesseract.read(page, 200, LANG, PSM, READ_VARIABLES, timeout=0.001)
    assert "GIẤY" in [w.text for w in tesseract.read(page, 200, LANG, PSM, READ_VARIABLES).words]


def test_missing_model_is_a_clear_error(page):
    with pytest.raises(ReadError, match="model is not installed"):
        tesseract.read(page, 200, lang="xyz")


def test_text_layer_holds_the_words_in_place(page):
    import io

    import pdfplumber

    got = tesseract.read(page, 200, LANG, PSM, READ_VARIABLES, text_layer=True)
    with pdfplumber.open(io.BytesIO(got.text_layer)) as pdf:
        p = pdf.pages[0]
        assert (round(p.width), round(p.height)) == (round(page.width * 72 / 200), round(page.height * 72 / 200))
        words = p.extract_words()
    assert "MỜI" in [w["text"] for w in words]
    moi = next(w for w in words if w["text"] == "MỜI")
    ocr = next(w for w in got.words if w.text == "MỜI")
    assert moi["x0"] == pytest.approx(ocr.x0 * 72 / 200, abs=2)


def test_openmp_is_held_to_one_thread():
    """Tesseract's OpenMP threads make it 5–7× slower on 2 cores: the library sets the limit
    itself, in a process whose environment does not (and that has imported the whole pipeline)."""
    import os
    import sys

    code = ("import extractors.extract, pipeline.cli, pipeline.ingest, ctypes\n"
            "from pipeline import tesseract\n"
            "tesseract.library()\n"
            "print(ctypes.CDLL('libgomp.so.1').omp_get_thread_limit())")
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "1", done.stderr


def test_orientation_of_an_upside_down_page(page):
    if "osd" not in tesseract.languages():
        pytest.skip("Tesseract's osd model is not installed")
    assert tesseract.orientation(page.rotate(180), 200)[0] == 180
    assert tesseract.orientation(page.rotate(90, expand=True), 200)[0] == 90
