"""scripts/bench: runs end to end at a tiny size, and its streams and kustomize comparison are sound."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "scripts" / "bench"
DOCUMENTS = 20
TARGETS = {
    ("Deployment", "runai-backend-backend"),
    ("Deployment", "runai-backend-frontend"),
    ("Deployment", "runai-backend-grafana"),
    ("Deployment", "runai-backend-thanos-query"),
    ("StatefulSet", "runai-backend-thanos-receive"),
    ("RunaiConfig", "runai"),
    ("Prometheus", "runai"),
}
COPY_STDIN = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"

pytestmark = pytest.mark.slow


def installed_runai_size() -> str | None:
    """The runai-size next to this interpreter (a venv's bin/) or on PATH."""
    return shutil.which("runai-size", path=str(Path(sys.executable).parent)) or shutil.which("runai-size")


@functools.cache
def bench_streams() -> ModuleType:
    """scripts/bench_streams.py, imported from its path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_streams", ROOT / "scripts" / "bench_streams.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_all(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))


def by_id(documents: list[Any]) -> dict[tuple[str, str], Any]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


@dataclass
class BenchRun:
    report: dict[str, Any]  # the --json output
    stream: Path  # the generated stream, kept with --keep
    stdout: str  # the table


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> BenchRun:
    """One run of the benchmark at 20 documents."""
    tmp = tmp_path_factory.mktemp("bench")
    # The real tool when it is installed; otherwise a stand-in that copies its input, so that the
    # benchmark's own machinery is still tested.
    runai_size = installed_runai_size() or shlex.join([sys.executable, "-c", COPY_STDIN])
    report, streams = tmp / "bench.json", tmp / "streams"
    command = [sys.executable, str(BENCH), "--sizes", str(DOCUMENTS), "--repeat", "1", "--no-kustomize"]
    command += ["--json", str(report), "--keep", str(streams), "--runai-size", runai_size]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return BenchRun(json.loads(report.read_text()), streams / f"stream-{DOCUMENTS}.yaml", result.stdout)


def test_report_has_a_runai_size_row_with_time_and_memory(bench_run: BenchRun) -> None:
    rows = {row["command"]: row for row in bench_run.report["rows"]}
    assert set(rows) == {"cat", "python+imports", "runai-size"}
    runai = rows["runai-size"]
    assert runai["status"] == "ok"
    assert runai["documents"] == DOCUMENTS
    assert runai["median_s"] > 0
    assert runai["peak_rss_kb"] > 0
    table_row = rf"^\s+{DOCUMENTS}\s+[\d.]+\s+runai-size\s+[\d.]+\s+[\d.]+"
    assert re.search(table_row, bench_run.stdout, re.MULTILINE), bench_run.stdout


def test_peak_memory_is_the_commands_own(bench_run: BenchRun) -> None:
    # cat needs about 2 MB. Exec'd straight from the benchmark's Python, it would report that
    # Python's RSS (20 MB and more), which Linux keeps in ru_maxrss across exec.
    cat = next(row for row in bench_run.report["rows"] if row["command"] == "cat")
    assert 0 < cat["peak_rss_kb"] < 8_000


def test_stream_is_helm_shaped_yaml_with_one_set_of_targets(bench_run: BenchRun) -> None:
    text = bench_run.stream.read_text()
    documents = load_all(text)
    assert len(documents) == DOCUMENTS
    starts = re.findall(r"^---\n# Source: [\w-]+/templates/[\w/.-]+\.yaml\n", text, re.MULTILINE)
    assert len(starts) == DOCUMENTS
    ids = [(doc["kind"], doc["metadata"]["name"]) for doc in documents]
    assert len(set(ids)) == len(ids), "kustomize needs unique resource ids"
    assert set(ids) >= TARGETS
    found = by_id(documents)
    grafana = found["Deployment", "runai-backend-grafana"]["spec"]["template"]["spec"]["containers"]
    assert [container["name"] for container in grafana] == ["grafana-sc-dashboard", "grafana"]
    query = found["Deployment", "runai-backend-thanos-query"]["spec"]["template"]["spec"]["containers"]
    assert [container["name"] for container in query] == ["query"]
    receive = found["StatefulSet", "runai-backend-thanos-receive"]["spec"]["template"]["spec"]["containers"]
    assert [container["name"] for container in receive] == ["receive"]
    config = found["RunaiConfig", "runai"]
    assert config["apiVersion"] == "run.ai/v1"
    assert "resources" in config["spec"]["global"]["schedulingServices"]
    assert "queueConfig" in config["spec"]["prometheus"]["remoteWrite"]
    assert config["spec"]["prometheus"]["spec"]["retention"] == "2h"
    prometheus = found["Prometheus", "runai"]
    assert prometheus["apiVersion"] == "monitoring.coreos.com/v1"
    assert len(prometheus["spec"]["remoteWrite"]) == 2
    for name in ("runai-backend-backend", "runai-backend-frontend", "runai-backend-grafana"):
        assert found["Deployment", name]["spec"]["replicas"] == 1


def test_stream_is_deterministic(bench_run: BenchRun) -> None:
    assert bench_streams().generate_stream(DOCUMENTS, 0) == bench_run.stream.read_text()


def test_targets_appear_once_however_large_the_stream() -> None:
    documents = load_all(bench_streams().generate_stream(300, 7))
    ids = [(doc["kind"], doc["metadata"]["name"]) for doc in documents]
    assert len(documents) == 300
    assert all(ids.count(target) == 1 for target in TARGETS)
    assert len(set(ids)) == len(ids)


def normalized(value: Any) -> Any:
    """Scalars as strings, whole cores without `m`: runai-size writes `cpu: 1` where kustomize writes
    `cpu: '1'`, and keeps a chart's `cpu: "1"` where the profile says 1000m."""
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return re.sub(r"^(\d+)000m$", r"\1", str(value))


def test_kustomize_comparison_makes_the_same_changes_as_the_large_profile(tmp_path: Path) -> None:
    """The kustomization the benchmark times changes exactly what `runai-size --profile large` does."""
    runai_size = installed_runai_size()
    kubectl = os.environ.get("KUBECTL") or shutil.which(str(ROOT / ".tools" / "bin" / "kubectl"))
    if runai_size is None or kubectl is None:
        pytest.skip("needs the installed runai-size and kubectl (scripts/setup)")
    streams = bench_streams()
    stream = streams.generate_stream(50, 0)
    (tmp_path / "stream.yaml").write_text(stream)
    (tmp_path / "hpa.yaml").write_text(streams.kustomize_hpas())
    kustomization = {"resources": ["stream.yaml", "hpa.yaml"], "patches": streams.kustomize_patches()}
    (tmp_path / "kustomization.yaml").write_text(json.dumps(kustomization))
    kustomize = [kubectl, "kustomize", str(tmp_path)]
    kustomized = subprocess.run(kustomize, capture_output=True, text=True, check=True)
    rendered = subprocess.run([runai_size, "--profile", "large"], input=stream, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    expected, actual = by_id(load_all(rendered.stdout)), by_id(load_all(kustomized.stdout))
    assert set(actual) == set(expected)
    hpas = {(kind, name) for kind, name in expected if kind == "HorizontalPodAutoscaler"}
    assert len(hpas) == 3
    for resource in TARGETS | hpas:
        assert normalized(actual[resource]["spec"]) == normalized(expected[resource]["spec"]), resource
