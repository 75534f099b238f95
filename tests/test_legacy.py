"""Legacy Vietnamese encodings (TCVN3/ABC, VNI): conversion on real byte sequences, detection, text files."""

from __future__ import annotations

import unicodedata

import pytest
from render import corpus_names, field_errors, load, tcvn3_bytes, vni_bytes

from extractors.extract import extract
from extractors.legacy import (
    convert,
    convert_font_text,
    decode_bytes,
    detect,
    font_encoding,
    is_syllable,
    syllable_share,
)
from pipeline.readers import ReadError, decode_text, read_file

# Real byte sequences, as stored on disk by a .VnTime (TCVN3) or VNI-Times typist.
TCVN3_MOTTO = bytes.fromhex("43e96e6720686fb52078b72068e969206368f1206e6768dc61205669d674204e616d")
TCVN3_MOTTO2 = bytes.fromhex("a7e963206ccb70202d2054f920646f202d2048b96e68207068f363")
TCVN3_NUOC = bytes.fromhex("4b68bc6e6720aede6e68206eaded63")  # 0xAD, the soft-hyphen slot, is ư
VNI_MOTTO = bytes.fromhex("436fe46e6720686ff861207861f520686fe46920636875fb206e6768f36120566965e474204e616d")


def test_tcvn3_bytes_are_what_vntime_typists_stored():
    assert TCVN3_MOTTO.decode("latin-1") == "Céng hoµ x· héi chñ nghÜa ViÖt Nam"


def test_tcvn3_real_bytes_decode():
    assert decode_bytes(TCVN3_MOTTO) == ("Cộng hoà xã hội chủ nghĩa Việt Nam", "tcvn3")
    assert decode_bytes(TCVN3_MOTTO2 + b". " + TCVN3_NUOC) == ("Độc lập - Tự do - Hạnh phúc. Khẳng định nước", "tcvn3")


def test_vni_real_bytes_decode():
    assert decode_bytes(VNI_MOTTO) == ("Cộng hòa xã hội chủ nghĩa Việt Nam", "vni")


def test_tcvn3_soft_hyphen_slot_is_u_horn():
    assert convert("Th\xf1 t\xad\xedng Ch\xddnh ph\xf1", "tcvn3") == "Thủ tướng Chính phủ"


def test_tcvn3_pdf_glyph_substitutes():
    # a PDF text layer gives 0xAD as U+2212 MINUS SIGN and 0xB7 as U+2219
    assert convert("nhµ n\u2212íc, Th«ng t\u2212, x\u2219 héi", "tcvn3") == "nhà nước, Thông tư, xã hội"
    assert convert("e-mail, KT-XH, 2021-2025", "tcvn3") == "e-mail, KT-XH, 2021-2025"


def test_vni_bytes_and_the_letters_viparse_lacks():
    text = "Cộng hòa xã hội chủ nghĩa Việt Nam. Khẳng định, đẩy mạnh; Ẳ"
    raw = vni_bytes(text)
    assert b"a\xfang" in raw  # ẳ = a + 0xFA
    assert decode_bytes(raw) == (text, "vni")
    assert convert("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == "Cộng hòa xã hội chủ nghĩa Việt Nam"


def test_tables_round_trip_every_letter():
    lower = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    for letter in lower + lower.upper():
        assert convert(vni_bytes(letter).decode("cp1252"), "vni") == letter
    for letter in lower:
        assert convert(tcvn3_bytes(letter).decode("cp1252"), "tcvn3") == letter


@pytest.mark.parametrize(
    "font,expected",
    [(".VnTime", "tcvn3"), ("ABCDEF+.VnTimeH", "tcvn3"), ("VnArial,Bold", "tcvn3"), ("VNI-Times", "vni"),
     ("ABCDEF+VNI-Helve-Condense", "vni"), ("TimesNewRomanPSMT", None), ("LiberationSerif-Bold", None), (None, None)],
)
def test_font_encoding(font, expected):
    assert font_encoding(font) == expected


def test_vntimeh_runs_are_capitals():
    assert convert_font_text("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM", ".VnTimeH") == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert convert_font_text("UBND tØnh", ".VnTime") == "UBND tỉnh"
    assert convert_font_text("Cộng hòa", "TimesNewRomanPSMT") == "Cộng hòa"


def test_syllables():
    assert all(map(is_syllable, "nghiêng khuỷu quyết giữa ươm trường Đắk".split()))
    assert not any(map(is_syllable, ["hoµ", "chñ", "UBND", "Coäng", "Tổng!"[:-1] + "x"]))
    assert syllable_share("Céng hoµ x· héi") < 0.5 < syllable_share("Cộng hòa xã hội")


def test_detect_leaves_every_corpus_document_alone():
    for name in corpus_names():
        text, _ = load(name)
        assert detect(text) is None, name


def test_detect_utf8_lookalikes():
    assert detect("Thùc hiÖn C«ng v¨n sè 2097/SNV-CCHC cña Së Néi vô vÒ viÖc gãp ý") == "tcvn3"
    assert detect("Thöïc hieän Coâng vaên soá 2097/SNV-CCHC cuûa Sôû Noäi vuï") == "vni"
    assert detect("Señor Müller à la crème brûlée, ñandú y pingüino") is None


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: base letters with their hats precomposed, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        out.append(unicodedata.normalize("NFC", "".join(c for c in d if c not in tones)) + "".join(c for c in d if c in tones))
    return "".join(out).encode("cp1258")


def test_cp1258_still_wins_for_cp1258_bytes():
    text = "Sở Nội vụ đề nghị các cơ quan, đơn vị góp ý dự thảo kế hoạch"
    decoded, enc, warnings = decode_text(_cp1258(text))
    assert enc == "cp1258" and unicodedata.normalize("NFC", decoded) == text
    assert "Windows-1258" in warnings[0]


def test_other_8bit_text_is_refused():
    with pytest.raises(ReadError, match="not UTF-8 text"):
        decode_text("Привет, это письмо из другого города и на другом языке".encode("cp1251"))


@pytest.mark.parametrize("encode,name", [(tcvn3_bytes, "tcvn3"), (vni_bytes, "vni")])
def test_legacy_text_file_is_converted_and_extracted(tmp_path, encode, name):
    doc = "110_gialai-snnmt-thong-ke-dat-dai-2025"
    text, gold = load(doc)
    path = tmp_path / f"{doc}.txt"
    path.write_bytes(encode(text))
    r = read_file(path)
    assert r.encoding == name
    assert any("converted to Unicode" in w for w in r.warnings)
    assert field_errors(extract(r.text), gold) == []


def test_utf8_file_with_tcvn3_lookalikes_is_converted(tmp_path):
    text, gold = load("110_gialai-snnmt-thong-ke-dat-dai-2025")
    path = tmp_path / "copied-from-old-pdf.txt"
    path.write_text(tcvn3_bytes(text).decode("cp1252"), encoding="utf-8")
    r = read_file(path)
    assert r.encoding == "utf-8+tcvn3"
    assert field_errors(extract(r.text), gold, ("number", "symbol", "date", "recipients", "signer")) == []
