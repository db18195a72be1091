"""Shared test helpers: run the core on bytes, load profiles, find the repository's folders, read output back."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLWarning

from runai_postrender.cli.group import main
from runai_postrender.pipeline import Result, run
from runai_postrender.profiles.load import load_profile
from runai_postrender.profiles.model import Profile

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
# The console script of the package under test (the one next to this Python), as Helm runs it.
RUNAI_SIZE = shutil.which("runai-size", path=str(Path(sys.executable).parent)) or "runai-size"
LARGE = load_profile("large")

# The thanos-query Deployment of the control-plane chart up to its containers (their list items follow at 8 spaces).
QUERY_HEAD = textwrap.dedent("""\
    ---
    # Source: control-plane/templates/thanos-query.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-thanos-query
    spec:
      template:
        spec:
          containers:
    """)
# ... with its `query` container, without resources.
THANOS_QUERY = (QUERY_HEAD + "        - name: query\n          image: thanos\n").encode()
# The resources the large profile gives the thanos-query `query` container.
SIZED = {"requests": {"cpu": 1, "memory": "3G"}, "limits": {"cpu": 1, "memory": "3G"}}


def render(data: bytes, profile: str = "large", overrides: list[tuple[str, str]] | None = None) -> Result:
    return run(data, load_profile(profile, overrides or []))


def output_of(result: Result) -> bytes:
    return b"".join(bytes(piece) for piece in result.pieces)


def sized(data: bytes, profile: Profile = LARGE) -> bytes:
    """The output of `profile` (the large one unless given) on `data`, as the CLI would write it."""
    return output_of(run(data, profile))


def load_all(data: bytes) -> list[Any]:
    """The documents of a stream as plain data (a byte-order mark and reused anchors allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", YAMLWarning)  # reused anchors: valid YAML, but ruamel.yaml warns
        return list(YAML(typ="safe", pure=True).load_all(data.decode("utf-8-sig")))


def changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """The lines a diff of `before` and `after` removes and adds (with their line endings)."""
    diff = difflib.unified_diff(
        before.decode("utf-8").splitlines(keepends=True), after.decode("utf-8").splitlines(keepends=True), n=0
    )
    lines = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    return [line[1:] for line in lines if line[0] == "-"], [line[1:] for line in lines if line[0] == "+"]


def run_cli(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """runai-size as Helm runs it: a process of its own (`python -m runai_postrender`)."""
    return subprocess.run(
        [sys.executable, "-m", "runai_postrender", *args], input=stdin, capture_output=True, timeout=120
    )


def run_profile_file(tmp_path: Path, profile: str, stream: str) -> subprocess.CompletedProcess[bytes]:
    """runai-size with `profile` (its text) written to a file, on `stream`."""
    (tmp_path / "profile.yaml").write_text(profile)
    return run_cli(["-p", str(tmp_path / "profile.yaml")], stream.encode())


def invoke(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> CliResult:
    """runai-size through click's CliRunner, with none of its variables set unless `env` sets them."""
    base = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": "", "NO_COLOR": ""}
    return CliRunner().invoke(main, args, input=stdin, env={**base, **(env or {})})


@pytest.fixture
def root() -> Path:
    return ROOT
