"""The round trip writes a change near a `<<` merge key so that Helm's reader (go-yaml v2, as kubectl)
reads the output as the sized data: a merged mapping overrides a key written before `<<` in the same
mapping, so that key stands for the merged value while the change is made, and a container merged from
the same anchor as the targeted one keeps exactly what Helm read before."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runai_postrender.pipeline import run
from tests.conftest import LARGE, ROOT

KUBECTL = ROOT / ".tools" / "bin" / "kubectl"
SIZED = {"limits": {"cpu": 1, "memory": "3G"}, "requests": {"cpu": 1, "memory": "3G"}}

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason="needs .tools/bin/kubectl: scripts/setup")

HEAD = """\
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-thanos-query
    spec:
      template:
"""


def sized(body: str) -> tuple[bytes, str]:
    result = run(textwrap.dedent(HEAD + body).encode(), LARGE)
    (writer,) = result.report.writers.values()
    return b"".join(bytes(piece) for piece in result.pieces), writer


def containers(tmp_path: Path, data: bytes) -> dict[str, Any]:
    """The containers by name, as kubectl (Helm's reader) reads the document."""
    path = tmp_path / "read.yaml"
    path.write_bytes(data)
    command = [str(KUBECTL), "label", "--local", "-f", str(path), "x=y", "-o", "json"]
    read = json.loads(subprocess.run(command, capture_output=True, check=True, timeout=120).stdout)
    return {item["name"]: item for item in read["spec"]["template"]["spec"]["containers"]}


def test_a_container_merged_from_the_targeted_anchor_keeps_what_helm_read(tmp_path: Path) -> None:
    # The sidecar's own `resources`, written before `<<`, is overridden by the merge: Helm reads 500m/1Gi
    # there, and must still read that once the query container, the anchor, is sized.
    body = """\
        spec:
          containers:
            - &base
              name: query
              image: thanos
              resources: {limits: {cpu: 500m, memory: 1Gi}}
            - resources: {limits: {cpu: 50m, memory: 64Mi}}
              <<: *base
              name: sidecar
    """
    data = textwrap.dedent(HEAD + body).encode()
    before = containers(tmp_path, data)
    out, writer = sized(body)
    after = containers(tmp_path, out)
    assert writer == "round trip"
    assert after["query"]["resources"] == SIZED
    assert after["sidecar"] == before["sidecar"]
    assert after["sidecar"]["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}}


def test_a_key_written_before_a_merge_that_overrides_it_is_sized_as_helm_reads_it(tmp_path: Path) -> None:
    # Helm reads the query container's resources from `*defaults` (100m/512Mi), not the 200m written
    # before `<<`: the sized resources must be what Helm reads, and the annotation holding the anchor stays.
    body = """\
        metadata:
          annotations:
            note: &defaults {image: thanos, resources: {limits: {cpu: 100m, memory: 512Mi}}}
        spec:
          containers:
            - name: query
              resources: {limits: {cpu: 200m}}
              <<: *defaults
    """
    out, writer = sized(body)
    assert writer == "round trip"
    assert containers(tmp_path, out)["query"] == {"name": "query", "image": "thanos", "resources": SIZED}
    assert b"note: &defaults {image: thanos, resources: {limits: {cpu: 100m, memory: 512Mi}}}\n" in out


def test_a_merge_no_change_reaches_keeps_its_text_and_its_overridden_key(tmp_path: Path) -> None:
    # The change goes through an anchored node elsewhere (the round trip writes the document): the
    # sidecar's `<<` and the key it overrides stay as written, and Helm reads the sidecar as before.
    body = """\
        metadata:
          annotations:
            note: &defaults {image: envoy, resources: {limits: {cpu: 100m, memory: 128Mi}}}
        spec:
          containers:
            - &query
              name: query
              image: thanos
            - resources: {limits: {cpu: 50m}}
              <<: *defaults
              name: sidecar
          initContainers:
            - *query
    """
    data = textwrap.dedent(HEAD + body).encode()
    out, writer = sized(body)
    assert writer == "round trip"
    assert b"        - resources: {limits: {cpu: 50m}}\n          <<: *defaults\n          name: sidecar\n" in out
    after = containers(tmp_path, out)
    assert after["query"]["resources"] == SIZED
    assert after["sidecar"] == containers(tmp_path, data)["sidecar"]
