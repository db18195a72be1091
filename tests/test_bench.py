"""scripts/bench: every table at a tiny size; its inputs are deterministic; kustomize from the report agrees."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "scripts" / "bench_inputs.py"
KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
sys.path.insert(0, str(INPUTS.parent))
bench_inputs = importlib.import_module("bench_inputs")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / ".tools/bin/helm3").exists(), reason="needs .tools/bin/helm3: scripts/setup"),
]


def build(*arguments: str) -> str:
    return subprocess.run([sys.executable, str(INPUTS), *arguments], capture_output=True, text=True, check=True).stdout


def runai_size(stream: str, report: Path) -> str:
    runai_size = shutil.which("runai-size", path=str(Path(sys.executable).parent)) or "runai-size"
    command = [runai_size, "--profile", "large", "--report", str(report)]
    return subprocess.run(command, input=stream, capture_output=True, text=True, check=True).stdout


def test_bench_prints_both_tables_at_a_tiny_size() -> None:
    command = [sys.executable, str(ROOT / "scripts/bench"), "--sizes", "20", "--repeat", "1", "--no-kustomize"]
    result = subprocess.run([*command, "--large-documents", "--megabytes", "0.02"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out, seconds, times = result.stdout, r"\d+\.\d+ s", r"\d+\.\dx"
    row = rf"^\| 20 \| [\d.]+ MB( \| {seconds}){{3}} \| \*\*{seconds}\*\* \| {seconds} \| \d+ MB .*\| {times} \| "
    assert re.search(row, out, re.MULTILINE), out
    baseline = re.search(r"^baseline: .* on a 7-document stream peaks at (\d+) MB$", out, re.MULTILINE)
    assert baseline, out
    for document in ("List of Deployments", "RunaiConfig"):
        for anchor in ("no anchor", "one anchor"):
            row = rf"^\| {document}, {anchor} \| 0\.02 MB \| {seconds} \| {seconds} "
            found = re.search(row + r"\| (\d+) MB \| \d+x \| (-?\d+) MB \| -?\d+x \|$", out, re.MULTILINE)
            assert found, (document, anchor, out)
            assert abs(int(found[1]) - int(baseline[1]) - int(found[2])) <= 1, "the cost is the peak above the baseline"


def test_bench_times_each_hostile_input_with_the_exit_status_it_must_give() -> None:
    command = [sys.executable, str(ROOT / "scripts/bench"), "--hostile", "--repeat", "1"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # bench exits when an input gives another status
    rows = re.findall(r"^\| ([\w-]+) \| [\d.]+ MB \| (\d) \| \d+\.\d+ s \| \d+ MB \|$", result.stdout, re.MULTILINE)
    assert {name: int(status) for name, status in rows} == bench_inputs.HOSTILE, result.stdout


def test_stream_is_deterministic_with_unique_names_and_each_target_once(tmp_path: Path) -> None:
    stream = build("stream", "60")
    assert stream == build("stream", "60")
    found = [bench_inputs.identity(document) for document in yaml.safe_load_all(stream)]
    assert len(found) == len(set(found)) == 60, "kustomize needs unique resource ids"
    assert len(re.findall(r"^---\n# Source: (?:control-plane|runai-cluster)/", stream, re.MULTILINE)) == 60
    runai_size(stream, tmp_path / "report.json")
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


def normalized(text: str) -> dict[tuple[str, str], Any]:
    """Documents by identity, numbers as strings: runai-size keeps a chart's `cpu: "1"` where kustomize writes 1."""
    documents = bench_inputs.by_identity(text).items()
    return {key: json.loads(json.dumps(document), parse_int=str, parse_float=str) for key, document in documents}


@pytest.mark.skipif(not KUBECTL.exists(), reason="needs .tools/bin/kubectl: scripts/setup")
def test_kustomize_from_the_report_makes_the_same_changes_as_runai_size(tmp_path: Path) -> None:
    stream = build("stream", "30")
    (tmp_path / "stream.yaml").write_text(stream)
    (tmp_path / "runai-size.yaml").write_text(runai_size(stream, tmp_path / "report.json"))
    build("kustomization", *(str(tmp_path / name) for name in (".", "stream.yaml", "report.json", "runai-size.yaml")))
    kustomized = subprocess.run([KUBECTL, "kustomize", tmp_path], capture_output=True, text=True, check=True).stdout
    ours, theirs = (normalized(text) for text in ((tmp_path / "runai-size.yaml").read_text(), kustomized))
    assert len(ours) == 36  # 30 documents, 3 HPAs and 3 PodDisruptionBudgets
    assert theirs == ours
