"""Shared test helpers: run the core on bytes, load profiles, find the repository's folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from runai_postrender.pipeline import Result, run
from runai_postrender.profiles.load import load_profile

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def render(data: bytes, profile: str = "large", overrides: list[tuple[str, str]] | None = None) -> Result:
    return run(data, load_profile(profile, overrides or []))


def output_of(result: Result) -> bytes:
    return b"".join(bytes(piece) for piece in result.pieces)


@pytest.fixture
def root() -> Path:
    return ROOT
