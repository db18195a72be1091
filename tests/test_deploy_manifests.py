"""deploy/argocd: the sidecar patch, merged as kubectl merges it into an argocd-repo-server Deployment, is a
valid Deployment by the Kubernetes schema; the Application has the shape Argo CD reads."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import yaml

from tests.helm_support import ROOT
from tests.k8s_schema import validate

ARGOCD = ROOT / "deploy" / "argocd"
# The parts of Argo CD's own argocd-repo-server Deployment that the sidecar relies on.
REPO_SERVER = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: argocd-repo-server
      namespace: argocd
    spec:
      selector:
        matchLabels: {app.kubernetes.io/name: argocd-repo-server}
      template:
        metadata:
          labels: {app.kubernetes.io/name: argocd-repo-server}
        spec:
          containers:
            - name: argocd-repo-server
              image: quay.io/argoproj/argocd
          volumes:
            - {name: var-files, emptyDir: {}}
            - {name: plugins, emptyDir: {}}
    """)


def test_the_sidecar_patch_merged_into_the_repo_server_is_a_valid_deployment(tmp_path: Path) -> None:
    base = tmp_path / "repo-server.yaml"
    base.write_text(REPO_SERVER)
    merged = subprocess.run(
        [str(ROOT / ".tools" / "bin" / "kubectl"), "patch", "--local", "-f", str(base), "--type", "strategic",
         "--patch-file", str(ARGOCD / "sidecar.yaml"), "-o", "json"],
        check=True, capture_output=True, timeout=60,
    ).stdout  # fmt: skip
    deployment = json.loads(merged)
    assert validate(deployment).validated
    spec = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["runai-size", "argocd-repo-server"]
    volumes = {volume["name"] for volume in spec["volumes"]}
    (sidecar,) = (c for c in spec["containers"] if c["name"] == "runai-size")
    assert {mount["name"] for mount in sidecar["volumeMounts"]} <= volumes
    assert any(m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml" for m in sidecar["volumeMounts"])


def test_the_application_names_the_plugin_with_its_env() -> None:
    application = yaml.safe_load((ARGOCD / "application.yaml").read_text())
    plugin = yaml.safe_load((ARGOCD / "plugin.yaml").read_text())
    assert application["apiVersion"] == "argoproj.io/v1alpha1" and application["kind"] == "Application"
    assert validate(application).validated is False  # a custom resource: Kubernetes has no schema for it
    spec = application["spec"]
    assert set(spec) == {"project", "source", "destination"}
    assert {"repoURL", "targetRevision", "path", "plugin"} <= set(spec["source"])
    assert spec["source"]["plugin"]["name"] == f"{plugin['metadata']['name']}-{plugin['spec']['version']}"
    assert all(set(entry) == {"name", "value"} for entry in spec["source"]["plugin"]["env"])
    assert {entry["name"] for entry in spec["source"]["plugin"]["env"]} >= {"RUNAI_SIZE_PROFILE"}
    assert spec["destination"]["server"] and spec["destination"]["namespace"]
