"""Shared fixtures: the corpus folder, seed texts, a CLI runner, a temporary store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture
def corpus() -> Path:
    return CORPUS


@pytest.fixture
def seed_text():
    def read(name: str) -> str:
        return (CORPUS / f"seed_{name}.txt").read_text(encoding="utf-8")

    return read


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "test.db"
