"""Golden whole-stream cases: tests/cases/<name>/{input.yaml, profile, expected.yaml}, compared byte for byte.

`profile` holds a built-in name or the file name of a profile beside it. Regenerate with
UPDATE_GOLDEN=1 (then read every changed expected.yaml: it is the specification).
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import CASES, output_of, render

NAMES = sorted(path.name for path in CASES.iterdir() if (path / "input.yaml").exists())


def _profile(case: str) -> str:
    ref = (CASES / case / "profile").read_text().strip()
    return str(CASES / case / ref) if ref.endswith((".yaml", ".yml")) else ref


@pytest.mark.parametrize("case", NAMES)
def test_case_output_matches_golden(case: str) -> None:
    data = (CASES / case / "input.yaml").read_bytes()
    got = output_of(render(data, _profile(case)))
    expected_path = CASES / case / "expected.yaml"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_bytes(got)
    assert got == expected_path.read_bytes()


@pytest.mark.parametrize("case", NAMES)
def test_case_second_pass_changes_nothing(case: str) -> None:
    once = (CASES / case / "expected.yaml").read_bytes()
    result = render(once, _profile(case))
    assert output_of(result) == once
    assert result.report.changes == [] and result.report.added == []
