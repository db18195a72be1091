"""The writers of targeted documents against the second hostile round (issue 11): output never corrupt
(D1-D5), and the targeted-document edges (E4, E5, L2, L4, L5, C1, C2).

Every output is read back with PyYAML (YAML 1.1, as Helm reads it where the two agree) and, where the
finding is about Helm's reading, with `helm_read` below, which reads plain scalars as Helm's reader does.
The minimal inputs of the review are in `hostile-round-2/`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from runai_postrender.pipeline import run
from runai_postrender.profiles import load_profile
from tests.conftest import ROOT

LARGE = load_profile("large")
INPUTS = ROOT / "tests" / "hostile-round-2"


def output(data: bytes, profile: Any = LARGE) -> bytes:
    return b"".join(bytes(piece) for piece in run(data, profile).pieces)


def documents(data: bytes) -> list[Any]:
    return list(yaml.safe_load_all(data))


def kinds(data: bytes) -> list[str]:
    return [doc["kind"] for doc in documents(data) if isinstance(doc, dict)]


def cli(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "runai_postrender", *args], input=stdin, capture_output=True, timeout=120
    )


def profile_file(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "profile.yaml"
    path.write_text(textwrap.dedent(text))
    return load_profile(str(path))


# ---------------------------------------------------------------- D1: one HPA per Deployment


@pytest.mark.parametrize("name", ["d1.yaml", "nsdup2.yaml"], ids=["namespace on the Deployment", "on the HPA"])
def test_a_chart_hpa_pairs_with_its_deployment_whichever_spells_the_namespace(name: str) -> None:
    data = (INPUTS / name).read_bytes()
    out = output(data)
    hpas = [doc for doc in documents(out) if doc["kind"] == "HorizontalPodAutoscaler"]
    assert len(hpas) == 1
    assert (hpas[0]["spec"]["minReplicas"], hpas[0]["spec"]["maxReplicas"]) != (1, 10)  # the chart's, sized


# ---------------------------------------------------------------- D2: a document after one without a final newline


@pytest.mark.parametrize(
    "ending",
    ["  annotations:\n    note: |\n      keep exactly", "  annotations:\n    note: |+\n      keep exactly"],
    ids=["clip", "keep"],
)
@pytest.mark.parametrize("marker", [b"", b"---\n"], ids=["bare", "with ---"])
def test_an_hpa_added_after_a_block_scalar_that_ends_the_stream_keeps_its_value(ending: str, marker: bytes) -> None:
    data = marker + b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\n" + ending.encode()
    out = output(data)
    assert kinds(out) == ["HorizontalPodAutoscaler", "Deployment"]
    assert documents(out)[1] == documents(data)[0]
    assert out.endswith(data.removeprefix(b"---\n"))  # the Deployment byte for byte
    assert output(out) == out


def test_the_review_input_of_d2_keeps_its_note() -> None:
    out = output((INPUTS / "d2.yaml").read_bytes())
    assert documents(out)[1]["metadata"]["annotations"]["note"] == "keep exactly"


def test_an_hpa_after_a_document_that_reads_the_same_with_a_final_newline_still_follows_it() -> None:
    data = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\nspec:\n  replicas: 2"
    assert kinds(output(data)) == ["Deployment", "HorizontalPodAutoscaler"]


# ---------------------------------------------------------------- D3: lone CR


SERVICE = b"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n"
BACKEND = b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-backend\nspec:\n  replicas: 3\n"
QUERY = (
    b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: r-thanos-query\nspec:\n  template:\n"
    b"    spec:\n      containers:\n        - name: query\n          image: thanos\n"
)
CR_STREAMS = {
    "targeted last": [SERVICE, BACKEND],
    "targeted first": [BACKEND, SERVICE],
    "targeted in the middle": [SERVICE, BACKEND, SERVICE.replace(b"svc", b"svc2")],
    "patched then another": [QUERY, SERVICE],
    "patched without a final line break": [SERVICE, QUERY.rstrip()],
}


@pytest.mark.parametrize("parts", list(CR_STREAMS.values()), ids=list(CR_STREAMS))
def test_lone_cr_streams_keep_every_document(parts: list[bytes]) -> None:
    data = b"".join(parts).replace(b"\n", b"\r")
    expected = documents(output(b"".join(parts)))  # the same stream with LF
    out = output(data)
    assert b"\n" not in out
    assert documents(out) == expected
    assert output(out) == out


def test_the_review_input_of_d3_keeps_the_service() -> None:
    out = output((INPUTS / "d3.yaml").read_bytes())
    assert kinds(out) == ["Service", "Deployment", "HorizontalPodAutoscaler"]


# ---------------------------------------------------------------- E4, E5: clean errors


def test_keys_equal_in_python_are_one_line_input_error() -> None:
    result = cli(["-q", "-p", "large"], (INPUTS / "e5.yaml").read_bytes())
    assert (result.returncode, result.stdout) == (1, b"")
    assert re.fullmatch(
        rb"runai-size: error: document 1 \(Deployment/r-thanos-query\), line 6: a mapping has keys that YAML "
        rb"tells apart but that read as one value \(such as 1 and true\); refused\n",
        result.stderr,
    )


@pytest.mark.parametrize("keys", ["{0: a, false: b}", "{1: a, 1.0: b}", "{true: a, 1: b}"])
def test_every_pair_of_keys_equal_in_python_is_refused(keys: str) -> None:
    data = QUERY + f"  annotations: {keys}\n".encode()
    result = cli(["-q", "-p", "large"], data)
    assert result.returncode == 1 and b"read as one value" in result.stderr and len(result.stderr.splitlines()) == 1


def nested(levels: int, anchor: bool) -> bytes:
    labels = b"  labels: &l {app: q}\n" if anchor else b"  labels: {app: q}\n"
    deep = b"".join(b" " * (i + 2) + b"k:\n" for i in range(levels)) + b" " * (levels + 2) + b"v\n"
    return QUERY.replace(
        b"spec:\n", labels + b"  annotations:\n" + deep + b"spec:\n" + (b"  selector: *l\n" if anchor else b""), 1
    )


@pytest.mark.parametrize("anchor", [False, True], ids=["text edits", "round trip"])
@pytest.mark.parametrize("levels", [300, 330, 400, 1000, 5000])
def test_block_mappings_nested_300_to_5000_deep_patch_or_fail_cleanly(levels: int, anchor: bool) -> None:
    result = cli(["-q", "-p", "large"], nested(levels, anchor))
    assert result.returncode in (0, 1), result.stderr
    if result.returncode:
        assert re.fullmatch(
            rb"runai-size: error: document 1 \(Deployment/r-thanos-query\): nested too deeply to process\n",
            result.stderr,
        )
    else:
        assert documents(result.stdout)
