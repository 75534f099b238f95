"""The CLI and the store end to end, with good and bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.store import Store
from tests.conftest import CORPUS

SEED = CORPUS / "seed_000.txt"


def bad_inputs(folder: Path) -> dict[str, Path]:
    """One file per kind of bad input, each with the reason it must be refused."""
    files = {
        "empty": folder / "empty.txt",
        "binary": folder / "garbage.txt",
        "not_dispatch": folder / "recipe.txt",
        "huge": folder / "huge.txt",
        "legacy": folder / "legacy.txt",
        "unsupported": folder / "photo.xyz",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 40)
    files["not_dispatch"].write_text("Cách nấu phở bò: ninh xương bò trong 8 tiếng, thêm hồi, quế.\n" * 5, encoding="utf-8")
    files["huge"].write_text("Số: 1/UBND-VP\n" + "x" * (10 * 1024 * 1024), encoding="utf-8")
    # bytes that are not UTF-8 and not Windows-1258 Vietnamese: a Shift-JIS Japanese sentence
    files["legacy"].write_bytes("日本語のテキストです。これは公文書ではありません。".encode("shift_jis") * 20)
    files["unsupported"].write_bytes(b"\x89PNG not really")
    return files


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("empty", "empty file"),
        ("binary", "binary data"),
        ("not_dispatch", "not an administrative document"),
        ("huge", "text too large"),
        ("legacy", "not UTF-8"),
        ("unsupported", "unsupported file type"),
    ],
)
def test_extract_refuses_bad_input_with_a_reason(tmp_path, runner, kind, reason):
    path = bad_inputs(tmp_path)[kind]
    result = runner.invoke(main, ["extract", str(path)])
    assert result.exit_code != 0
    assert reason in result.output


def test_ingest_reports_bad_files_and_stores_the_rest(tmp_path, runner, db):
    bad_inputs(tmp_path)
    shutil.copy(SEED, tmp_path / "seed.txt")
    shutil.copy(CORPUS / "seed_004.txt", tmp_path / "công văn số 4.txt")  # diacritics and spaces in the name
    result = runner.invoke(main, ["ingest", str(tmp_path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2 stored" in result.output and "5 failed" in result.output
    for name in ("empty.txt", "garbage.txt", "recipe.txt", "huge.txt", "legacy.txt"):
        assert f"FAILED     {tmp_path / name}" in result.output
    assert Store(db).count() == 2


def test_ingest_is_idempotent_by_content(tmp_path, runner, db):
    shutil.copy(SEED, tmp_path / "a.txt")
    shutil.copy(SEED, tmp_path / "b.txt")  # same bytes, another name
    first = runner.invoke(main, ["ingest", str(tmp_path), "--db", str(db)])
    again = runner.invoke(main, ["ingest", str(tmp_path / "a.txt"), "--db", str(db)])
    assert "1 stored, 1 duplicates" in first.output
    assert "0 stored, 1 duplicates" in again.output
    assert Store(db).count() == 1


def test_extract_json_follows_the_contract(runner):
    result = runner.invoke(main, ["extract", str(SEED), "--json"])
    assert result.exit_code == 0
    record = json.loads(result.output)
    for key in ("doc_type", "issuer", "issuer_parent", "number", "symbol", "place", "date", "subject", "urgency",
                "recipients", "distribution", "signer", "references", "tasks", "deadlines", "warnings"):
        assert key in record
    assert record["symbol"]["value"] == "SNV-CCHC&VTLT"
    s, e = record["symbol"]["span"]
    assert e - s == len("SNV-CCHC&VTLT") and 0 < record["symbol"]["confidence"] <= 1
    assert record["date"]["value"] == "2022-11"
    assert record["signer"]["name"]["value"] == "Cù Huy Cẩm"
    assert {r["key"] for r in record["references"]} >= {"12/NQTU@2022", "371/TBKL@2022"}


def test_show_search_and_schema(tmp_path, runner, db):
    runner.invoke(main, ["ingest", str(CORPUS / "seed_002.txt"), str(CORPUS / "seed_004.txt"), "--db", str(db)])
    shown = runner.invoke(main, ["show", "1", "--db", str(db)])
    assert "Lê Minh Đạo" in shown.output and "2629" in shown.output
    assert runner.invoke(main, ["show", "99", "--db", str(db)]).exit_code == 2
    hits = runner.invoke(main, ["search", "quyet dinh 2629", "--db", str(db), "--json"])
    ids = {h["id"] for h in json.loads(hits.output)}
    assert ids == {1, 2}  # both seeds cite Quyết định 2629/QĐ-UBND
    one = json.loads(runner.invoke(main, ["search", "TRƯỞNG BAN", "--db", str(db), "--json"]).output)
    assert [h["id"] for h in one] == [2]
    for query in ('"unbalanced', "NEAR(a b)", "a OR", "x" * 10_000):
        assert runner.invoke(main, ["search", query, "--db", str(db)]).exit_code == 0
    assert "empty query" in runner.invoke(main, ["search", "  ", "--db", str(db)]).output
    schema = json.loads(runner.invoke(main, ["schema"]).output)
    assert schema["title"] == "Dispatch" and "references" in schema["properties"]
