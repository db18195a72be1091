"""A profile file's rules that write a replica count below 1, the root, or a memory without a unit are refused
by `validate` and by a run, with exit 2 and the file and line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from runai_postrender.cli.group import main

BASE = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": "", "RUNAI_SIZE_PROFILE_PATH": ""}
DEPLOYMENT = b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: runai-backend-backend\n"

CASES = {
    "ha-cluster-replicas-zero": (
        """\
        extends: large
        values:
          ha:
            clusterReplicas: 0
        """,
        r"line 4: value ha\.clusterReplicas = 0 is used as a replica count",
    ),
    "ha-cluster-replicas-negative": (
        """\
        extends: large
        values:
          ha:
            clusterReplicas: -3
        """,
        r"line 4: value ha\.clusterReplicas = -3 is used as a replica count",
    ),
    "autoscale-min-replicas-value-zero": (
        """\
        extends: large
        values:
          controlPlane:
            minReplicas: 0
        """,
        r"line 4: value controlPlane\.minReplicas = 0 is used as a replica count",
    ),
    "autoscale-min-replicas-literal-zero": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            autoscale:
              minReplicas: 0
              maxReplicas: 3
        """,
        r"line 5: rule 'backend', autoscale\.minReplicas = 0: a replica count must be 1 or more",
    ),
    "set-replicas-literal-zero": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            set:
              /spec/replicas: 0
        """,
        r"line 5: rule 'backend', set /spec/replicas = 0: a replica count must be 1 or more",
    ),
    "set-root-pointer": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            set:
              "": {}
        """,
        r"line 5: rule 'backend': set writes the root",
    ),
    "patch-root-pointer": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            patch:
              - {op: replace, path: "", value: {}}
        """,
        r"line 5: rule 'backend': patch\[0\] writes the root",
    ),
    "set-memory-without-unit": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            containers: ["*"]
            set:
              /resources/requests/memory: 8
        """,
        r"line 6: rule 'backend', set /resources/requests/memory = 8 has no unit, which means 8 bytes",
    ),
    "set-memory-without-unit-nested": (
        """\
        rules:
          - name: backend
            match: {kind: Deployment}
            containers: ["*"]
            set:
              /resources:
                limits: {memory: "2"}
        """,
        r"line 6: rule 'backend', set /resources/limits/memory = '2' has no unit",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(CASES.values()), ids=list(CASES))
@pytest.mark.parametrize("command", [["validate"], ["--profile"]], ids=["validate", "run"])
def test_a_rule_that_cannot_mean_what_it_says_is_refused_with_file_and_line(
    tmp_path: Path, text: str, message: str, command: list[str]
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(textwrap.dedent(text))
    result = CliRunner().invoke(main, [*command, str(path)], input=DEPLOYMENT, env=BASE)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert str(path) in result.stderr
    assert re.search(message, result.stderr), result.stderr


def test_an_override_that_puts_a_replica_count_below_one_is_refused() -> None:
    result = CliRunner().invoke(
        main, ["--profile", "large", "--set", "ha.clusterReplicas=0"], input=DEPLOYMENT, env=BASE
    )
    assert result.exit_code == 2, result.stderr
    assert "override ha.clusterReplicas=0" in result.stderr and "replica count" in result.stderr


@pytest.mark.parametrize("value", ["1", "3"])
def test_a_replica_count_of_one_or_more_is_accepted(tmp_path: Path, value: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(f"extends: large\nvalues:\n  ha:\n    clusterReplicas: {value}\n")
    result = CliRunner().invoke(main, ["validate", str(path)], env=BASE)
    assert result.exit_code == 0, result.stderr
