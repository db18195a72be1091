"""Errors name the stream's line: counted once along the stream, right for every targeted document."""

from __future__ import annotations

from textwrap import dedent

import pytest

from runai_postrender.documents.stream import LineNumbers
from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.errors import InputError


def test_line_numbers_count_on_from_the_last_offset_and_start_again_for_an_earlier_one() -> None:
    data = b"a\nb\nc\nd\n"
    lines = LineNumbers(data)
    assert [lines.at(offset) for offset in (0, 2, 6, 8)] == [1, 2, 4, 5]
    assert lines.at(4) == 3  # an earlier offset counts from the start again


def test_an_error_in_a_later_targeted_document_names_its_own_line() -> None:
    good = dedent("""\
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: runai-backend-backend
        spec:
          replicas: 1
        """)
    bad = good.replace("runai-backend-backend", "runai-backend-frontend").replace("replicas: 1", "x: !!int y")
    stream = (good * 3 + bad).encode()
    with pytest.raises(InputError, match=r"document 4 \(Deployment/runai-backend-frontend\), line 28\b"):
        run(stream, load_profile("large"))
