"""scripts/bench: prints both tables at a tiny size; its inputs are deterministic; kustomize agrees."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "scripts" / "bench_inputs.py"
KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
spec = importlib.util.spec_from_file_location("bench_inputs", INPUTS)
assert spec and spec.loader
bench_inputs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_inputs)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / ".tools/bin/helm3").exists(), reason="needs .tools/bin/helm3: scripts/setup"),
]


def build(*arguments: str) -> str:
    return subprocess.run([sys.executable, str(INPUTS), *arguments], capture_output=True, text=True, check=True).stdout


def ids(text: str) -> list[tuple[str, str]]:
    return [bench_inputs.identity(document) for document in yaml.safe_load_all(text)]


def runai_size(stream: str, report: Path) -> str:
    runai_size = shutil.which("runai-size", path=str(Path(sys.executable).parent)) or "runai-size"
    command = [runai_size, "--profile", "large", "--report", str(report)]
    return subprocess.run(command, input=stream, capture_output=True, text=True, check=True).stdout


def test_bench_prints_both_tables_at_a_tiny_size() -> None:
    command = [sys.executable, str(ROOT / "scripts/bench"), "--sizes", "20", "--repeat", "1", "--no-kustomize"]
    command += ["--large-documents", "--megabytes", "0.02"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seconds, times = r"\d+\.\d+ s", r"\d+\.\dx"
    stream_row = (
        rf"^\| 20 \| [\d.]+ MB( \| {seconds}){{3}} \| \*\*{seconds}\*\* \| {seconds} \| \d+ MB .*\| {times} \| "
    )
    assert re.search(stream_row, result.stdout, re.MULTILINE), result.stdout
    for document in ("List of Deployments", "RunaiConfig"):
        for anchor in ("no anchor", "one anchor"):
            row = rf"^\| {document}, {anchor} \| 0\.02 MB \| {seconds} \| {seconds} \| \d+ MB \| \d+x \|$"
            assert re.search(row, result.stdout, re.MULTILINE), (document, anchor, result.stdout)


def test_stream_is_deterministic_with_the_targets_once_and_unique_names() -> None:
    stream = build("stream", "60")
    assert stream == build("stream", "60")
    found = Counter(ids(stream))
    assert sum(found.values()) == 60
    assert set(found.values()) == {1}, "kustomize needs unique resource ids"
    assert set(bench_inputs.TARGETS) <= set(found)
    assert len(re.findall(r"^---\n# Source: (?:control-plane|runai-cluster)/", stream, re.MULTILINE)) == 60


def test_runai_size_changes_exactly_the_targets(tmp_path: Path) -> None:
    runai_size(build("stream", "60"), tmp_path / "report.json")
    changes = json.loads((tmp_path / "report.json").read_text())["changes"]
    changed = {tuple(re.search(r"\((\w+)/(.+)\)$", change["target"]).groups()) for change in changes}  # type: ignore[union-attr]
    assert changed == set(bench_inputs.TARGETS)


@pytest.mark.parametrize("kind", ["list", "runaiconfig"])
@pytest.mark.parametrize("anchor", [False, True], ids=["plain", "anchor"])
def test_large_document_has_the_size_asked_and_is_changed(tmp_path: Path, kind: str, anchor: bool) -> None:
    text = build("large", kind, "0.05", *(["--anchor"] if anchor else []))
    assert 50_000 <= len(text) < 60_000
    assert len(list(yaml.safe_load_all(text))) == 1
    assert (len(re.findall(r"&first\b", text)), len(re.findall(r"\*first\b", text))) == ((1, 1) if anchor else (0, 0))
    assert runai_size(text, tmp_path / "report.json") != text


def normalized(value: Any) -> Any:
    """Scalars as strings: runai-size keeps a chart's `cpu: "1"` quoting where kustomize writes 1."""
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return str(value)


@pytest.mark.skipif(not KUBECTL.exists(), reason="needs .tools/bin/kubectl: scripts/setup")
def test_kustomize_from_the_report_makes_the_same_changes_as_runai_size(tmp_path: Path) -> None:
    stream = build("stream", "30")
    (tmp_path / "stream.yaml").write_text(stream)
    (tmp_path / "runai-size.yaml").write_text(runai_size(stream, tmp_path / "report.json"))
    paths = [str(tmp_path / name) for name in ("stream.yaml", "report.json", "runai-size.yaml")]
    subprocess.run([sys.executable, str(INPUTS), "kustomization", str(tmp_path), *paths], check=True)
    kustomized = subprocess.run([KUBECTL, "kustomize", tmp_path], capture_output=True, text=True, check=True).stdout
    by_id = {
        tool: {bench_inputs.identity(doc): normalized(doc) for doc in yaml.safe_load_all(text)}
        for tool, text in (("runai-size", (tmp_path / "runai-size.yaml").read_text()), ("kustomize", kustomized))
    }
    assert len(by_id["runai-size"]) == 36  # 30 documents, 3 HPAs and 3 PodDisruptionBudgets
    assert by_id["kustomize"] == by_id["runai-size"]
