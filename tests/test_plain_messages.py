"""Messages that say the plain thing: a default equal to the profile's value, a verify where every rule
matched, a profile given twice or not at all to `show`, a built-in name given to `validate`, and a
profile value that is not a quantity (with its line) or a memory without a unit."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.report import Report
from tests.test_cli import THANOS_QUERY
from tests.test_error_edge import assert_one_line, invoke

RUNAICONFIG = textwrap.dedent("""\
    ---
    # Source: runai-cluster/templates/runaiconfig.yaml
    apiVersion: run.ai/v1
    kind: RunaiConfig
    metadata: {name: runai, namespace: runai}
    spec:
      prometheus:
        remoteWrite:
          queueConfig: {}
        spec: {}
    """).encode()


def test_a_default_equal_to_the_profiles_value_is_called_the_same() -> None:
    # Run:ai 2.18 (the older guide's edition): xlarge's maxSamplesPerSend 2000, a modern Prometheus's default
    profile = load_profile("xlarge")
    stream = RUNAICONFIG.replace(b"{name: runai,", b"{labels: {helm.sh/chart: runai-cluster-2.18.0}, name: runai,")
    report = run(stream, profile, Report(profile="xlarge")).report
    kept = [line for line in report.kept if "maxSamplesPerSend" in line]
    assert len(kept) == 1 and "its default 2000 is the same as the profile's 2000" in kept[0], report.kept
    assert all("is above the profile's 2000" not in line for line in report.kept)


def test_verify_where_every_rule_matched_says_so(tmp_path: Path) -> None:
    profile = tmp_path / "query.yaml"
    profile.write_text(
        textwrap.dedent("""\
            rules:
              - name: thanos-query
                match: {kind: Deployment, name: "*-thanos-query"}
                containers: [query]
                set: {/resources/requests/memory: 3G}
            """)
    )
    sized = invoke(["-q", "-p", str(profile)], THANOS_QUERY)
    result = invoke(["verify", "-p", str(profile)], sized.stdout_bytes)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"ok: every setting of profile {str(profile)!r} holds (every rule matched)\n"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["show", "large", "-p", "xlarge"], {}, "give the profile once: large or --profile xlarge, not both"),
        (["-p", "xlarge", "show", "large"], {}, "give the profile once: large or --profile xlarge, not both"),
        (["show"], {}, "Missing argument 'NAME|FILE': the profile to show"),
    ],
    ids=["twice", "twice, the group's option", "none"],
)
def test_show_without_one_profile_is_a_usage_error(args: list[str], env: dict[str, str], message: str) -> None:
    assert_one_line(invoke(args, env=env), 64, message)


def test_show_takes_the_profile_from_the_environment() -> None:
    result = invoke(["show"], env={"RUNAI_SIZE_PROFILE": "small"})
    assert result.exit_code == 0 and result.stdout.startswith("# Profile 'small'"), result.stderr


def test_validate_of_a_built_in_name_says_it_checks_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["validate", "large"])
    assert_one_line(result, 2, r"large: no such file; 'large' is a built-in profile, and validate checks profile")
    (tmp_path / "large").write_text("extends: large\n")  # a file of that name is a file like any other
    assert invoke(["validate", "large"]).stdout == "large: valid\n"


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        ("lots", r"p\.yaml, line 5: value thanos\.receive\.memory = 'lots' is not a Kubernetes quantity"),
        ("-1G", r"p\.yaml, line 5: value thanos\.receive\.memory = '-1G' is negative"),
        ("8", r"p\.yaml, line 5: value thanos\.receive\.memory = 8 has no unit, which means 8 bytes; write 8Gi"),
    ],
    ids=["not a quantity", "negative", "memory without a unit"],
)
def test_a_bad_quantity_in_a_profile_file_names_its_line(tmp_path: Path, memory: str, message: str) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(f"extends: large\nvalues:\n  thanos:\n    receive:\n      memory: {memory}\n")
    assert_one_line(invoke(["validate", str(profile)]), 2, ".*" + message)


@pytest.mark.parametrize("value", ["8", "1.5", "+8"])
def test_a_memory_override_without_a_unit_is_refused(value: str) -> None:
    result = invoke(["show", "large", "--set", f"thanos.receive.memory={value}"])
    number = value.lstrip("+")
    message = re.escape(f"override thanos.receive.memory={value}: ") + f".* has no unit, which means {number} bytes"
    assert_one_line(result, 2, message)


@pytest.mark.parametrize("value", ["8Gi", "8e9", "0", "512Mi"])
def test_a_memory_override_with_a_unit_or_zero_is_taken(value: str) -> None:
    result = invoke(["show", "large", "--set", f"thanos.receive.memory={value}"])
    assert result.exit_code == 0, result.stderr
